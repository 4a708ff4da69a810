package plugin

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
)

// Host loads plugins. It owns the engine choice and the compiled modules, which its plugins
// share: loading the same module twice compiles it once, and with Config.CacheDir a restarted
// process finds the compiled code on disk. Compiled modules stay in memory until Close (a
// program that replaces plugins often can start a new Host now and then: with a cache directory
// that is cheap). A Host is safe for concurrent use; its Plugins are not.
type Host struct {
	cfg    Config
	engine Engine // resolved: EngineCompiler or EngineInterpreter
	cache  wazero.CompilationCache

	mu       sync.Mutex
	runtimes map[uint32]wazero.Runtime // one per memory limit (a wazero runtime setting)
	modules  map[moduleKey]wazero.CompiledModule
	pending  map[moduleKey]chan struct{} // compilations in progress, closed when done
	plugins  map[*Plugin]struct{}
	closed   bool
}

// moduleKey identifies a module compiled in the runtime of one memory limit.
type moduleKey struct {
	limit uint32
	sum   [sha256.Size]byte
}

// NewHost validates cfg, opens the compile cache and logs StartMessage to cfg.Logger.
func NewHost(cfg Config) (*Host, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Host{
		cfg:      cfg,
		engine:   cfg.Engine,
		runtimes: map[uint32]wazero.Runtime{},
		modules:  map[moduleKey]wazero.CompiledModule{},
		pending:  map[moduleKey]chan struct{}{},
		plugins:  map[*Plugin]struct{}{},
	}
	if h.engine == EngineAuto {
		h.engine = EngineInterpreter
		if CompilerAvailable() {
			h.engine = EngineCompiler
		}
	}
	if cfg.CacheDir == "" {
		h.cache = wazero.NewCompilationCache()
	} else {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("%w: compile cache: %v", ErrInvalidConfig, err)
		}
		h.cache = c
	}
	if log := cfg.Logger; log != nil {
		level := slog.LevelInfo
		if h.engine == EngineInterpreter && cfg.Engine == EngineAuto {
			level = slog.LevelWarn // slower than the operator may expect
		}
		log.Log(context.Background(), level, h.StartMessage(), "engine", h.engine.String(), "cache", cfg.CacheDir)
	}
	return h, nil
}

// Engine is the engine in use: EngineCompiler or EngineInterpreter (never EngineAuto).
func (h *Host) Engine() Engine { return h.engine }

// StartMessage says, for a log line at start, how plugins will run here — in particular when
// they run in the interpreter because wazero has no compiler for this CPU.
func (h *Host) StartMessage() string {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	var b strings.Builder
	if h.engine == EngineCompiler {
		fmt.Fprintf(&b, "wasm plugins: wazero compiler engine (%s)", platform)
		if h.cfg.CacheDir != "" {
			fmt.Fprintf(&b, ", compiled plugins cached in %s", h.cfg.CacheDir)
		} else {
			b.WriteString(", compile cache in memory only (set a cache directory to start faster after a restart)")
		}
		return b.String()
	}
	fmt.Fprintf(&b, "wasm plugins: wazero interpreter engine (%s", platform)
	if h.cfg.Engine == EngineInterpreter {
		b.WriteString(", chosen in the configuration")
	} else {
		b.WriteString(": wazero has no compiler for this CPU")
	}
	b.WriteString("); plugins run 10 to 40 times slower than compiled and nothing is cached on disk")
	return b.String()
}

// Load compiles (or finds in the cache) a plugin module, checks its imports and exports, starts
// an instance, checks its ABI version and configures it with opts.Params. ctx bounds the
// compilation; starting is bounded by opts.StartTimeout too. Errors are *Error values.
func (h *Host) Load(ctx context.Context, wasm []byte, opts Options) (*Plugin, error) {
	opts, err := opts.withDefaults(h.engine)
	if err != nil {
		return nil, err
	}
	key := moduleKey{limit: opts.MemoryLimitPages, sum: sha256.Sum256(wasm)}
	rt, cm, cerr := h.compile(ctx, key, wasm)
	if cerr != nil {
		cerr.Plugin = opts.Name
		return nil, cerr
	}
	p := &Plugin{host: h, opts: opts, rt: rt, cm: cm}
	p.sb.w = opts.Output
	if err := p.checkModule(); err != nil {
		h.drop(ctx, key) // an invalid plugin: no need to keep its code
		return nil, err
	}
	if err := p.start(ctx, 0); err != nil {
		// The version and export checks (Op "load") fail for every Load of these bytes, so no
		// plugin can be using them; other failures (configure, a trap at start) may be specific
		// to this Load.
		if e, ok := err.(*Error); ok && e.Op == "load" {
			h.drop(ctx, key)
		}
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		p.discard(ctx)
		return nil, &Error{Plugin: opts.Name, Op: "load", Kind: ErrClosed, Detail: "the host was closed during load"}
	}
	h.plugins[p] = struct{}{}
	return p, nil
}

// compile returns the runtime for key's memory limit and the module compiled in it, compiling
// it (or loading it from the cache) the first time. Different modules compile in parallel; a
// Load of a module being compiled waits for that compilation.
func (h *Host) compile(ctx context.Context, key moduleKey, wasm []byte) (wazero.Runtime, wazero.CompiledModule, *Error) {
	h.mu.Lock()
	for {
		if h.closed {
			h.mu.Unlock()
			return nil, nil, &Error{Op: "load", Kind: ErrClosed, Detail: "the host is closed"}
		}
		if cm := h.modules[key]; cm != nil {
			rt := h.runtimes[key.limit]
			h.mu.Unlock()
			return rt, cm, nil
		}
		wait := h.pending[key]
		if wait == nil {
			break
		}
		h.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, nil, &Error{Op: "compile", Kind: ctx.Err(), Detail: "waiting for another load of the same module"}
		}
		h.mu.Lock()
	}
	rt, err := h.runtimeLocked(ctx, key.limit)
	if err != nil {
		h.mu.Unlock()
		return nil, nil, &Error{Op: "compile", Kind: ErrInvalidModule, Detail: "sandbox: " + err.Error(), Err: err}
	}
	done := make(chan struct{})
	h.pending[key] = done
	h.mu.Unlock()

	cm, err := rt.CompileModule(ctx, wasm)

	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.pending, key)
	close(done)
	if err != nil {
		kind := ErrInvalidModule
		switch {
		case ctx.Err() != nil:
			kind = ctx.Err()
		case strings.Contains(err.Error(), "over limit"): // wazero: "min N pages (…) over limit of M pages"
			kind = ErrMemoryLimit
		}
		return nil, nil, &Error{Op: "compile", Kind: kind, Detail: firstLine(err.Error()), Err: err}
	}
	if h.closed {
		_ = cm.Close(ctx)
		return nil, nil, &Error{Op: "load", Kind: ErrClosed, Detail: "the host was closed during compilation"}
	}
	h.modules[key] = cm
	return rt, cm, nil
}

// runtimeLocked returns the runtime for a memory limit, creating it the first time.
func (h *Host) runtimeLocked(ctx context.Context, limit uint32) (wazero.Runtime, error) {
	if rt := h.runtimes[limit]; rt != nil {
		return rt, nil
	}
	rc := wazero.NewRuntimeConfigInterpreter()
	if h.engine == EngineCompiler {
		rc = wazero.NewRuntimeConfigCompiler()
	}
	rc = rc.WithCompilationCache(h.cache).
		WithMemoryLimitPages(limit).
		WithCloseOnContextDone(true)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if err := instantiateWASI(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	h.runtimes[limit] = rt
	return rt, nil
}

// drop forgets a compiled module that failed the ABI checks.
func (h *Host) drop(ctx context.Context, key moduleKey) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cm := h.modules[key]; cm != nil {
		_ = cm.Close(context.WithoutCancel(ctx))
		delete(h.modules, key)
	}
}

// LoadFile reads a module from a file and loads it; opts.Name defaults to the file's base name
// without ".wasm".
func (h *Host) LoadFile(ctx context.Context, path string, opts Options) (*Plugin, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = strings.TrimSuffix(filepath.Base(path), ".wasm")
	}
	return h.Load(ctx, wasm, opts)
}

// Close closes the plugins still open and releases the compiled code. It is idempotent.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	for p := range h.plugins {
		p.close(ctx)
	}
	var errs []error
	for _, cm := range h.modules {
		errs = append(errs, cm.Close(ctx))
	}
	for _, rt := range h.runtimes {
		errs = append(errs, rt.Close(ctx))
	}
	errs = append(errs, h.cache.Close(ctx))
	h.plugins, h.modules, h.runtimes = nil, nil, nil
	return errors.Join(errs...)
}

// forget removes a closed plugin from the host's set.
func (h *Host) forget(p *Plugin) {
	h.mu.Lock()
	delete(h.plugins, p)
	h.mu.Unlock()
}
