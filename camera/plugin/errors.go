package plugin

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Load and Process return an *Error that wraps one of them (test with errors.Is)
// together with the plugin's name, the frame number and the call that failed.
var (
	// ErrInvalidConfig: a Config or Options field is out of range.
	ErrInvalidConfig = errors.New("plugin: invalid configuration")
	// ErrInvalidModule: the bytes are not a valid WebAssembly module for this runtime.
	ErrInvalidModule = errors.New("plugin: invalid WebAssembly module")
	// ErrImport: the module imports something plugins do not get (a file, socket or any
	// function outside the WASI subset listed in ABI.md).
	ErrImport = errors.New("plugin: forbidden import")
	// ErrABI: the module does not follow the plugin ABI (missing or mistyped export, a WASI
	// command instead of a reactor, an invalid result record).
	ErrABI = errors.New("plugin: ABI violation")
	// ErrABIVersion: the plugin was built for an ABI version this host does not implement.
	ErrABIVersion = errors.New("plugin: unsupported ABI version")
	// ErrTrap: the plugin trapped (unreachable, out-of-bounds access, …), panicked or exited.
	ErrTrap = errors.New("plugin: trapped")
	// ErrDeadline: a call did not finish within its deadline (Options.FrameTimeout or
	// StartTimeout, or the caller's context) and was stopped.
	ErrDeadline = errors.New("plugin: deadline exceeded")
	// ErrMemoryLimit: the plugin ran out of memory under Options.MemoryLimitPages.
	ErrMemoryLimit = errors.New("plugin: memory limit reached")
	// ErrBadOutput: the output does not match the shape the plugin declared, or lies outside its
	// memory.
	ErrBadOutput = errors.New("plugin: bad output")
	// ErrFailed: the plugin reported a failure (a non-zero status with a message).
	ErrFailed = errors.New("plugin: reported failure")
	// ErrInvalidFrame: the input frame is inconsistent (size, format, buffer length).
	ErrInvalidFrame = errors.New("plugin: invalid frame")
	// ErrClosed: the plugin or host was closed.
	ErrClosed = errors.New("plugin: closed")
)

// Error describes a failed plugin call.
type Error struct {
	Plugin string // Options.Name
	Frame  uint64 // 1-based number of the frame (Plugin.Stats().Frames); 0 during Load
	Op     string // "compile", "start", "configure", "output_shape", "alloc" or "process"
	Kind   error  // one of the sentinel errors
	Detail string // what went wrong, for a person
	Output string // what the plugin wrote to stdout/stderr during the call (first KiB)
	Err    error  // the underlying runtime error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin %q", e.Plugin)
	if e.Frame > 0 {
		fmt.Fprintf(&b, ", frame %d", e.Frame)
	}
	fmt.Fprintf(&b, ", %s: %s", e.Op, strings.TrimPrefix(e.Kind.Error(), "plugin: "))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if out := firstParagraph(e.Output, 300); out != "" {
		fmt.Fprintf(&b, " (plugin output: %q)", out)
	}
	return b.String()
}

// Unwrap returns the sentinel and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// firstParagraph is s up to its first blank line (a Go panic's message before its goroutine
// dump), trimmed and cut to n bytes.
func firstParagraph(s string, n int) string {
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// firstLine is the first line of s (wazero appends a stack trace to trap messages).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
