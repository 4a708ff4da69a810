// Package plugin runs sandboxed WebAssembly preprocessing plugins on camera frames, with wazero.
//
// A plugin receives a frame (RGB8, Gray8 or YUYV) and returns a frame (RGB8 or Gray8), which the
// built-in preprocessing (camera/preprocess) then resizes and normalises for the model, or the
// model's float32 input tensor itself:
//
//	host, err := plugin.NewHost(plugin.Config{CacheDir: "/var/cache/ocellus/wasm", Logger: log})
//	// log: "wasm plugins: wazero compiler engine (linux/arm64), compiled plugins cached in …"
//	p, err := host.LoadFile(ctx, "grayscale.wasm", plugin.Options{Params: "clip=1"})
//	pl, err := plugin.NewPipeline(p, spec, plugin.Fallback)
//	outcome, err := pl.Run(ctx, frame, input) // per frame; err says why a frame fell back
//
// or, without the built-in preprocessing, p.Process(ctx, plugin.Frame{…}, &out).
//
// # ABI
//
// Version 1.0, specified in ABI.md beside this file. In short: the module is a WASI reactor that
// exports its memory and five functions, all on i32:
//
//	ocellus_abi_version() → major<<16 | minor
//	ocellus_alloc(size) → address            a buffer the host writes the frame into
//	ocellus_configure(addr, size) → record   optional: the parameter string
//	ocellus_output_shape(w, h, format) → record   declares the output format and dims
//	ocellus_process(addr, size, w, h, format) → record   points at the output
//
// A record is nine little-endian u32: status, format, ptr, len, rank, dims[4]. A non-zero status
// is a failure and ptr/len hold the plugin's message. The host refuses a plugin whose major
// version differs from ABIMajor or whose minor version exceeds ABIMinor (ErrABIVersion). Go
// plugins use package guest, which implements the plugin side; build them with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared (a reactor: without c-shared Go makes a
// command, which the host refuses). Two examples are in examples/: grayscale (grey conversion
// and contrast stretch) and roicrop (region of interest).
//
// # Sandbox
//
// A plugin gets no filesystem, no network and no host functions beyond a WASI subset defined
// here (wasi.go): empty arguments and environment, a clock that starts at the instance's start,
// a deterministic random stream, stdout/stderr captured. Any other import is refused at load.
// Each plugin has a memory limit (Options.MemoryLimitPages), a deadline per frame
// (Options.FrameTimeout; wazero's WithCloseOnContextDone stops loops) and a deadline per start.
//
// # Failures
//
// A plugin that traps, panics, exits, loops past its deadline, runs out of memory or returns the
// wrong output size costs one frame: Process returns an *Error wrapping a sentinel (ErrTrap,
// ErrDeadline, ErrMemoryLimit, ErrBadOutput, ErrFailed, …) and, when the instance may be broken,
// discards it; the next frame starts a new instance (Stats().Restarts). Pipeline applies a Policy
// to the failed frame: Drop it, or Fallback to the built-in preprocessing of the raw frame.
//
// # Engines and the compile cache
//
// wazero compiles plugins to machine code on amd64 (SSE4.1) and arm64, and interprets them
// elsewhere, notably on 32-bit arm (armv6, armv7: Pi Zero, Pi 2/3 on a 32-bit OS), where plugins
// run 10 to 40 times slower. Host.Engine says which is in use and Host.StartMessage says so in a
// line to log at start (NewHost logs it when Config.Logger is set). Compiling a Go plugin takes
// about a second natively and much longer on a small board; with Config.CacheDir the compiled
// code is stored on disk, and the next start loads it instead (BenchmarkPluginStart measures
// both). The interpreter caches nothing on disk. Within a Host each module is compiled once per
// memory limit, whatever the number of plugins loaded from it.
//
// A Host is safe for concurrent use; a Plugin and a Pipeline are not (load one per goroutine).
package plugin
