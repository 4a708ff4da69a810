package plugin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// Frame is an input frame: W×H pixels in Format (RGB8, Gray8 or YUYV), rows packed without
// padding. Pix may be longer than needed; the first W·H·bytes-per-pixel bytes are used.
type Frame struct {
	W, H   int
	Format Format
	Pix    []byte
}

// bytes checks the size and format of f and returns its length in bytes.
func (f Frame) bytes() (int, error) {
	bpp := f.Format.bytesPerPixel()
	switch {
	case bpp == 0:
		return 0, fmt.Errorf("input format %v (want %v, %v or %v)", f.Format, RGB8, Gray8, YUYV)
	case f.W <= 0 || f.H <= 0 || f.W > preprocess.MaxSide || f.H > preprocess.MaxSide || f.W*f.H > preprocess.MaxPixels:
		return 0, fmt.Errorf("frame size %dx%d (each side 1…%d, at most %d pixels)", f.W, f.H, preprocess.MaxSide, preprocess.MaxPixels)
	case f.Format == YUYV && f.W%2 != 0:
		return 0, fmt.Errorf("a yuyv frame has an even width, got %d", f.W)
	}
	return f.W * f.H * bpp, nil
}

// size is bytes plus the check that Pix holds them.
func (f Frame) size() (int, error) {
	n, err := f.bytes()
	if err == nil && len(f.Pix) < n {
		err = fmt.Errorf("a %dx%d %v frame has %d bytes, got %d", f.W, f.H, f.Format, n, len(f.Pix))
	}
	return n, err
}

// Output is what a plugin produced for one frame. Process reuses its slices.
type Output struct {
	Format Format    // RGB8, Gray8 or F32
	Shape  []int     // frames: [H, W, C]; tensors: the dims the plugin declared
	Pix    []byte    // the frame's pixels (RGB8, Gray8); empty for a tensor
	Tensor []float32 // the tensor's values (F32); empty for a frame
}

// Stats counts a plugin's calls.
type Stats struct {
	Frames   uint64 // Process calls with a valid frame
	Failures uint64 // of those, the ones that returned an error
	Restarts uint64 // instances re-created after a trap, exit, deadline or memory exhaustion
}

// Plugin is a loaded plugin: a compiled module and, between failures, one running instance. A
// failure that may have left the instance inconsistent (trap, exit, deadline, memory) discards it;
// the next Process starts a fresh one. A Plugin is not safe for concurrent use: load one per
// goroutine (the compiled code is shared through the Host).
type Plugin struct {
	host *Host
	opts Options
	rt   wazero.Runtime
	cm   wazero.CompiledModule

	major, minor int
	sb           sandbox
	inst         *instance
	stack        [5]uint64
	budget       string // the time the calls in progress have, for error messages
	stats        Stats
	closed       atomic.Bool
}

// instance is one running instance of the module.
type instance struct {
	mod                              api.Module
	mem                              api.Memory
	alloc, configure, shape, process api.Function

	keyOK bool     // key, decl and in are valid
	key   frameKey // the input they are for
	decl  shape    // what the plugin declared for it
	in    uint32   // the input buffer's address (from ocellus_alloc)
}

type frameKey struct {
	w, h   int
	format Format
}

// Name is Options.Name.
func (p *Plugin) Name() string { return p.opts.Name }

// ABIVersion is the version the plugin declared.
func (p *Plugin) ABIVersion() (major, minor int) { return p.major, p.minor }

// Stats returns the call counters.
func (p *Plugin) Stats() Stats { return p.stats }

// Engine is the host's engine.
func (p *Plugin) Engine() Engine { return p.host.engine }

func (p *Plugin) errorf(frame uint64, op string, kind error, format string, args ...any) *Error {
	return &Error{Plugin: p.opts.Name, Frame: frame, Op: op, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// checkModule checks the imports and the exports every ABI version keeps.
func (p *Plugin) checkModule() error {
	for _, def := range p.cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		if mod != wasiModule {
			return p.errorf(0, "load", ErrImport, "imports %s.%s: plugins may import only the WASI functions listed in ABI.md", mod, name)
		}
		f := findWASI(name)
		if f == nil {
			return p.errorf(0, "load", ErrImport, "imports %s.%s: plugins get no files, network or other system access (allowed: %s)", mod, name, wasiNames())
		}
		if !slices.Equal(def.ParamTypes(), f.params) || !slices.Equal(def.ResultTypes(), f.results) {
			return p.errorf(0, "load", ErrImport, "imports %s.%s with the wrong signature", mod, name)
		}
	}
	for _, def := range p.cm.ImportedMemories() {
		mod, name, _ := def.Import()
		return p.errorf(0, "load", ErrImport, "imports memory %s.%s: a plugin defines and exports its own", mod, name)
	}
	fns := p.cm.ExportedFunctions()
	_, hasInit := fns[exportInit]
	if _, ok := fns[exportStart]; ok && !hasInit {
		return p.errorf(0, "load", ErrABI, "the module is a WASI command (it exports _start, not _initialize); plugins are reactors: build Go plugins with -buildmode=c-shared")
	}
	v, ok := fns[exportVersion]
	if !ok {
		return p.errorf(0, "load", ErrABI, "no %s export: not an ocellus plugin", exportVersion)
	}
	if !sig(0, 1).matches(v) {
		return p.errorf(0, "load", ErrABI, "%s must have no parameters and one i32 result", exportVersion)
	}
	if _, ok := p.cm.ExportedMemories()[exportMemory]; !ok {
		return p.errorf(0, "load", ErrABI, "no exported memory named %q", exportMemory)
	}
	return nil
}

func wasiNames() string {
	names := make([]string, len(wasiFuncs))
	for i, f := range wasiFuncs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// checkExports checks the exports of ABI 1 (after the version check).
func (p *Plugin) checkExports() error {
	fns := p.cm.ExportedFunctions()
	for _, e := range abiExports {
		def, ok := fns[e.name]
		switch {
		case !ok && e.required:
			return p.errorf(0, "load", ErrABI, "no %s export (ABI %d.%d requires it)", e.name, p.major, p.minor)
		case ok && !e.sig.matches(def):
			return p.errorf(0, "load", ErrABI, "%s has the wrong signature (want %v)", e.name, e.sig)
		}
	}
	return nil
}

// start instantiates the module, runs _initialize, checks the ABI version and configures the
// instance, all within StartTimeout. frame is 0 at load.
func (p *Plugin) start(ctx context.Context, frame uint64) error {
	ctx, cancel := p.withDeadline(ctx, p.opts.StartTimeout)
	defer cancel()
	p.sb.restart()
	ctx = withSandbox(ctx, &p.sb)
	mod, err := p.rt.InstantiateModule(ctx, p.cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		var exit *sys.ExitError
		if !errors.As(err, &exit) {
			return &Error{Plugin: p.opts.Name, Frame: frame, Op: "start", Kind: ErrInvalidModule, Detail: firstLine(err.Error()), Err: err}
		}
		return p.callError(ctx, frame, "start", err, nil)
	}
	inst := &instance{mod: mod, mem: mod.ExportedMemory(exportMemory)}
	p.inst = inst
	if f := mod.ExportedFunction(exportInit); f != nil {
		if err := f.CallWithStack(ctx, p.stack[:]); err != nil {
			return p.callError(ctx, frame, "start", err, inst)
		}
	}
	if err := mod.ExportedFunction(exportVersion).CallWithStack(ctx, p.stack[:]); err != nil {
		return p.callError(ctx, frame, "start", err, inst)
	}
	v := uint32(p.stack[0])
	major, minor := int(v>>16), int(v&0xffff)
	if frame == 0 {
		if major != ABIMajor || minor > ABIMinor {
			p.discard(ctx)
			return p.errorf(0, "load", ErrABIVersion, "the plugin was built for ABI %d.%d; this host implements ABI %s (rebuild the plugin against ABI %d.x)",
				major, minor, hostABI(), ABIMajor)
		}
		p.major, p.minor = major, minor
		if err := p.checkExports(); err != nil {
			p.discard(ctx)
			return err
		}
	}
	inst.alloc = mod.ExportedFunction(exportAlloc)
	inst.configure = mod.ExportedFunction(exportConfigure)
	inst.shape = mod.ExportedFunction(exportShape)
	inst.process = mod.ExportedFunction(exportProcess)
	return p.configure(ctx, frame)
}

// configure hands Options.Params to ocellus_configure.
func (p *Plugin) configure(ctx context.Context, frame uint64) error {
	inst := p.inst
	params := p.opts.Params
	if inst.configure == nil {
		if params != "" {
			p.discard(ctx)
			return p.errorf(frame, "configure", ErrABI, "parameters %q given, but the plugin has no %s export", params, exportConfigure)
		}
		return nil
	}
	var ptr uint32
	if params != "" {
		var err error
		if ptr, err = p.alloc(ctx, frame, len(params)); err != nil {
			return err
		}
		inst.mem.Write(ptr, []byte(params))
	}
	p.stack[0], p.stack[1] = uint64(ptr), uint64(len(params))
	if err := inst.configure.CallWithStack(ctx, p.stack[:]); err != nil {
		return p.callError(ctx, frame, "configure", err, inst)
	}
	rec, err := p.record(frame, "configure")
	if err == nil && rec[recStatus] != 0 {
		err = p.failed(frame, "configure", &rec)
	}
	if err != nil {
		p.discard(ctx)
	}
	return err
}

// alloc calls ocellus_alloc and checks the buffer lies inside memory.
func (p *Plugin) alloc(ctx context.Context, frame uint64, n int) (uint32, error) {
	inst := p.inst
	p.stack[0] = uint64(n)
	if err := inst.alloc.CallWithStack(ctx, p.stack[:]); err != nil {
		return 0, p.callError(ctx, frame, "alloc", err, inst)
	}
	ptr := uint32(p.stack[0])
	if _, ok := inst.mem.Read(ptr, uint32(n)); !ok || ptr == 0 {
		p.discard(ctx)
		kind := ErrABI
		if p.atLimit(inst) {
			kind = ErrMemoryLimit
		}
		return 0, p.errorf(frame, "alloc", kind, "%s(%d) returned %#x, outside the plugin's %s memory (limit %s)",
			exportAlloc, n, ptr, mib(uint64(inst.mem.Size())>>16), mib(uint64(p.opts.MemoryLimitPages)))
	}
	return ptr, nil
}

// record reads the result record whose address the last call returned.
func (p *Plugin) record(frame uint64, op string) (record, error) {
	addr := uint32(p.stack[0])
	rec, ok := readRecord(p.inst.mem, addr)
	if !ok {
		return rec, p.errorf(frame, op, ErrBadOutput, "result record address %#x is null or outside memory", addr)
	}
	return rec, nil
}

// failed turns a record with a non-zero status into an ErrFailed error.
func (p *Plugin) failed(frame uint64, op string, rec *record) *Error {
	msg := rec.message(p.inst.mem)
	if msg == "" {
		msg = "(no message)"
	}
	return p.errorf(frame, op, ErrFailed, "status %d: %s", rec[recStatus], msg)
}

// discard closes the current instance; the next call starts a new one.
func (p *Plugin) discard(ctx context.Context) {
	if p.inst != nil {
		_ = p.inst.mod.Close(context.WithoutCancel(ctx))
		p.inst = nil
	}
}

// atLimit reports whether the instance's memory has reached the limit.
func (p *Plugin) atLimit(inst *instance) bool {
	return inst != nil && uint64(inst.mem.Size()) >= uint64(p.opts.MemoryLimitPages)<<16
}

// withDeadline bounds ctx by timeout and notes for error messages which deadline applies.
func (p *Plugin) withDeadline(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	p.budget = timeout.String()
	if d, ok := ctx.Deadline(); ok {
		if r := time.Until(d); r < timeout {
			p.budget = r.Round(time.Millisecond).String() + " (the caller's deadline)"
		}
	}
	return context.WithTimeout(ctx, timeout)
}

// callError classifies an error returned by a call into the guest and discards the instance.
func (p *Plugin) callError(ctx context.Context, frame uint64, op string, err error, inst *instance) *Error {
	e := &Error{Plugin: p.opts.Name, Frame: frame, Op: op, Err: err, Output: string(p.sb.out)}
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded:
		e.Kind, e.Detail = ErrDeadline, "stopped after "+p.budget
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeContextCanceled:
		e.Kind, e.Detail = context.Canceled, "stopped: the caller cancelled"
	case errors.As(err, &exit):
		e.Kind, e.Detail = ErrTrap, fmt.Sprintf("exited with code %d", exit.ExitCode())
	default:
		e.Kind, e.Detail = ErrTrap, firstLine(err.Error())
	}
	if e.Kind == ErrTrap && (p.atLimit(inst) || strings.Contains(e.Output, "out of memory")) {
		e.Kind = ErrMemoryLimit
	}
	if e.Kind == ErrMemoryLimit && inst != nil {
		e.Detail += fmt.Sprintf("; memory %s, limit %s", mib(uint64(inst.mem.Size())>>16), mib(uint64(p.opts.MemoryLimitPages)))
	}
	p.discard(ctx)
	return e
}

// Process runs the plugin on one frame within Options.FrameTimeout and writes the result to out.
// On failure it returns an *Error (see the sentinel errors) and out is unspecified; a trap,
// exit, deadline or memory exhaustion discards the instance and the next call starts a new one
// (Stats().Restarts). An invalid frame returns ErrInvalidFrame without calling the plugin.
func (p *Plugin) Process(ctx context.Context, in Frame, out *Output) error {
	if p.closed.Load() {
		return p.errorf(p.stats.Frames, "process", ErrClosed, "the plugin is closed")
	}
	n, err := in.size()
	if err != nil {
		return p.errorf(p.stats.Frames+1, "process", ErrInvalidFrame, "%v", err)
	}
	p.stats.Frames++
	if err := p.process(ctx, p.stats.Frames, in, n, out); err != nil {
		p.stats.Failures++
		return err
	}
	return nil
}

func (p *Plugin) process(ctx context.Context, frame uint64, in Frame, n int, out *Output) error {
	if p.inst == nil {
		if err := p.start(ctx, frame); err != nil {
			return err
		}
		p.stats.Restarts++
	}
	ctx, cancel := p.withDeadline(ctx, p.opts.FrameTimeout)
	defer cancel()
	ctx = withSandbox(ctx, &p.sb)
	p.sb.out = p.sb.out[:0]
	decl, err := p.declare(ctx, frame, frameKey{in.W, in.H, in.Format}, n)
	if err != nil {
		return err
	}
	inst := p.inst
	inst.mem.Write(inst.in, in.Pix[:n]) // inside memory: checked by alloc, and memory never shrinks
	p.stack = [5]uint64{uint64(inst.in), uint64(n), uint64(in.W), uint64(in.H), uint64(in.Format)}
	if err := inst.process.CallWithStack(ctx, p.stack[:]); err != nil {
		return p.callError(ctx, frame, "process", err, inst)
	}
	rec, err := p.record(frame, "process")
	if err != nil {
		return err
	}
	if rec[recStatus] != 0 {
		return p.failed(frame, "process", &rec)
	}
	got, err := shapeOf(&rec)
	if err != nil {
		return p.errorf(frame, "process", ErrBadOutput, "%v", err)
	}
	if !got.equal(decl) {
		return p.errorf(frame, "process", ErrBadOutput, "returned %v, declared %v", got, decl)
	}
	if int(rec[recLen]) != decl.bytes {
		return p.errorf(frame, "process", ErrBadOutput, "returned %d bytes; %v is %d bytes", rec[recLen], decl, decl.bytes)
	}
	data, ok := inst.mem.Read(rec[recPtr], rec[recLen])
	if !ok {
		return p.errorf(frame, "process", ErrBadOutput, "output at %#x+%d lies outside the plugin's %s memory",
			rec[recPtr], rec[recLen], mib(uint64(inst.mem.Size())>>16))
	}
	out.Format = decl.format
	out.Shape = append(out.Shape[:0], decl.dims[:decl.rank]...)
	if decl.format == F32 {
		m := decl.bytes / 4
		if cap(out.Tensor) < m {
			out.Tensor = make([]float32, m)
		}
		t := out.Tensor[:m]
		for i := range t {
			t[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		out.Tensor, out.Pix = t, out.Pix[:0]
		return nil
	}
	out.Pix, out.Tensor = append(out.Pix[:0], data...), out.Tensor[:0]
	return nil
}

// declare asks the plugin for its output shape and an input buffer when the input changes.
func (p *Plugin) declare(ctx context.Context, frame uint64, key frameKey, n int) (shape, error) {
	inst := p.inst
	if inst.keyOK && inst.key == key {
		return inst.decl, nil
	}
	inst.keyOK = false
	p.stack[0], p.stack[1], p.stack[2] = uint64(key.w), uint64(key.h), uint64(key.format)
	if err := inst.shape.CallWithStack(ctx, p.stack[:]); err != nil {
		return shape{}, p.callError(ctx, frame, "output_shape", err, inst)
	}
	rec, err := p.record(frame, "output_shape")
	if err != nil {
		return shape{}, err
	}
	if rec[recStatus] != 0 {
		return shape{}, p.failed(frame, "output_shape", &rec)
	}
	decl, err := shapeOf(&rec)
	if err != nil {
		return shape{}, p.errorf(frame, "output_shape", ErrBadOutput, "declared shape: %v", err)
	}
	ptr, err := p.alloc(ctx, frame, n)
	if err != nil {
		return shape{}, err
	}
	inst.key, inst.decl, inst.in, inst.keyOK = key, decl, ptr, true
	return decl, nil
}

// OutputShape asks the plugin what it produces for a w×h frame of format f: the output format
// and shape ([H, W, C] for a frame). It runs within FrameTimeout like a Process call.
func (p *Plugin) OutputShape(ctx context.Context, w, h int, f Format) (Format, []int, error) {
	if p.closed.Load() {
		return 0, nil, p.errorf(0, "output_shape", ErrClosed, "the plugin is closed")
	}
	n, err := Frame{W: w, H: h, Format: f}.bytes()
	if err != nil {
		return 0, nil, p.errorf(0, "output_shape", ErrInvalidFrame, "%v", err)
	}
	if p.inst == nil {
		if err := p.start(ctx, 0); err != nil {
			return 0, nil, err
		}
		p.stats.Restarts++
	}
	ctx, cancel := p.withDeadline(ctx, p.opts.FrameTimeout)
	defer cancel()
	ctx = withSandbox(ctx, &p.sb)
	p.sb.out = p.sb.out[:0]
	decl, err := p.declare(ctx, 0, frameKey{w, h, f}, n)
	if err != nil {
		return 0, nil, err
	}
	return decl.format, append([]int(nil), decl.dims[:decl.rank]...), nil
}

// Close stops the instance. The compiled code stays with the Host for the next Load. Close is
// idempotent and must not run concurrently with Process (cancel the Process context to stop a
// call).
func (p *Plugin) Close(ctx context.Context) error {
	if p.closed.Load() {
		return nil
	}
	p.host.forget(p)
	p.close(ctx)
	return nil
}

func (p *Plugin) close(ctx context.Context) {
	if !p.closed.Swap(true) {
		p.discard(ctx)
	}
}

// hostABI names the versions this host accepts: "1.0", or "1.0 to 1.N".
func hostABI() string {
	if ABIMinor == 0 {
		return fmt.Sprintf("%d.0", ABIMajor)
	}
	return fmt.Sprintf("%d.0 to %d.%d", ABIMajor, ABIMajor, ABIMinor)
}
