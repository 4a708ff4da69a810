package plugin

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/cpu"
)

// Engine is how wazero runs plugins.
type Engine uint8

const (
	// EngineAuto picks the compiler where wazero has one (amd64 with SSE4.1, arm64) and the
	// interpreter elsewhere (32-bit arm: armv6, armv7).
	EngineAuto Engine = iota
	// EngineCompiler compiles plugins to machine code ahead of time; compiled code can be cached
	// on disk (Config.CacheDir).
	EngineCompiler
	// EngineInterpreter interprets plugins: 10 to 40 times slower, nothing cached on disk.
	EngineInterpreter
)

var engineNames = [...]string{EngineAuto: "auto", EngineCompiler: "compiler", EngineInterpreter: "interpreter"}

func (e Engine) String() string {
	if int(e) < len(engineNames) {
		return engineNames[e]
	}
	return fmt.Sprintf("Engine(%d)", uint8(e))
}

// ParseEngine parses "auto", "compiler" or "interpreter".
func ParseEngine(s string) (Engine, error) {
	for i, n := range engineNames {
		if strings.EqualFold(s, n) {
			return Engine(i), nil
		}
	}
	return 0, fmt.Errorf("%w: engine %q (want auto, compiler or interpreter)", ErrInvalidConfig, s)
}

// CompilerAvailable reports whether wazero v1.12 has a compiler for this platform: the
// condition its NewRuntimeConfig checks (amd64 needs SSE4.1), minus its probe for executable
// memory, which systems that forbid it fail at the first compilation instead.
func CompilerAvailable() bool {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "windows":
		if runtime.GOARCH == "arm64" {
			return true
		}
	case "dragonfly", "solaris", "illumos":
	default:
		return false
	}
	return runtime.GOARCH == "amd64" && cpu.X86.HasSSE41
}

// Config configures a Host: the engine and compile cache shared by the plugins it loads.
type Config struct {
	// Engine: EngineAuto (the default) uses the compiler where available.
	Engine Engine
	// CacheDir keeps compiled plugins on disk, so that a restarted board loads them without
	// compiling again (only the compiler engine caches). "" keeps them in memory only. The
	// directory must be private to this program: wazero trusts what it finds there.
	CacheDir string
	// Logger, if not nil, receives StartMessage when the host is created.
	Logger *slog.Logger
}

// DefaultConfig is the automatic engine with an in-memory cache.
func DefaultConfig() Config { return Config{} }

// Validate reports the first problem with c, wrapping ErrInvalidConfig.
func (c Config) Validate() error {
	switch {
	case int(c.Engine) >= len(engineNames):
		return fmt.Errorf("%w: engine %d", ErrInvalidConfig, c.Engine)
	case c.Engine == EngineCompiler && !CompilerAvailable():
		return fmt.Errorf("%w: wazero has no compiler for %s/%s; use the auto or interpreter engine", ErrInvalidConfig, runtime.GOOS, runtime.GOARCH)
	}
	return nil
}

// Defaults of Options.
const (
	DefaultMemoryLimitPages = 1024 // 64 MiB
	DefaultFrameTimeout     = time.Second
	// DefaultFrameTimeoutInterpreter is the default with the interpreter, ~50× slower: a
	// per-pixel plugin on a 640×480 frame takes ~0.1–0.3 s on an amd64 desktop there, and seconds
	// on a Pi Zero.
	DefaultFrameTimeoutInterpreter = 10 * time.Second
	DefaultStartTimeout            = 10 * time.Second
	// MaxMemoryLimitPages is WebAssembly's 4 GiB.
	MaxMemoryLimitPages = 65536
)

// Options configures one plugin. Zero fields take the defaults above.
type Options struct {
	// Name identifies the plugin in errors and logs (default "plugin").
	Name string
	// Params is handed to the plugin's ocellus_configure after each start (ABI.md). A plugin
	// without that export accepts only "".
	Params string
	// MemoryLimitPages caps the plugin's linear memory, in 64 KiB pages (1 to 65536). A Go
	// plugin needs at least ~40 pages (2.5 MiB) plus its frames.
	MemoryLimitPages uint32
	// FrameTimeout is the deadline of one Process call (output_shape, alloc and process
	// together); a plugin still running then is stopped and restarted for the next frame.
	// Default: DefaultFrameTimeout with the compiler, DefaultFrameTimeoutInterpreter with the
	// interpreter.
	FrameTimeout time.Duration
	// StartTimeout is the deadline for starting an instance: its _initialize, the version check
	// and ocellus_configure. A Go plugin starts in ~20 ms compiled, ~100 ms interpreted.
	StartTimeout time.Duration
	// Output receives what the plugin writes to stdout and stderr; nil discards it (the first
	// KiB of a failing call is kept in the Error either way).
	Output io.Writer
}

// withDefaults fills the zero fields for an engine and validates.
func (o Options) withDefaults(e Engine) (Options, error) {
	if o.Name == "" {
		o.Name = "plugin"
	}
	if o.MemoryLimitPages == 0 {
		o.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if o.FrameTimeout == 0 {
		o.FrameTimeout = DefaultFrameTimeout
		if e == EngineInterpreter {
			o.FrameTimeout = DefaultFrameTimeoutInterpreter
		}
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	switch {
	case o.MemoryLimitPages > MaxMemoryLimitPages:
		return o, fmt.Errorf("%w: memory limit %d pages (at most %d)", ErrInvalidConfig, o.MemoryLimitPages, MaxMemoryLimitPages)
	case o.FrameTimeout < 0 || o.StartTimeout < 0:
		return o, fmt.Errorf("%w: negative timeout (frame %v, start %v)", ErrInvalidConfig, o.FrameTimeout, o.StartTimeout)
	}
	return o, nil
}

// mib formats a page count as MiB.
func mib(pages uint64) string {
	return fmt.Sprintf("%.4g MiB", float64(pages)/16)
}
