package plugin

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// The sandbox: a WASI preview 1 module with only the functions a Go (wasip1) program needs to run,
// defined here rather than taken from wazero's full WASI so that nothing else is reachable.
//
//	args_*, environ_*   empty
//	clock_time_get      monotonic: time since the instance started; realtime: the Unix epoch plus
//	                    that time (deterministic; plugins get no wall clock)
//	random_get          ChaCha8 with a fixed seed, restarted with each instance (deterministic)
//	fd_write            fd 1 and 2 only: kept for error messages, copied to Options.Output
//	fd_read             fd 0 only, always at end of file
//	fd_close, fd_fdstat_get, fd_fdstat_set_flags   fds 0–2 only
//	fd_prestat_get, fd_prestat_dir_name            EBADF: there are no preopened directories
//	poll_oneoff         clock subscriptions sleep (until the call's deadline at most); fd
//	                    subscriptions fail with EBADF
//	sched_yield, proc_exit
//
// Any other import — path_open, sock_*, another module — is refused at load (ErrImport).
const wasiModule = "wasi_snapshot_preview1"

// WASI errno values.
const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoFault   = 21
	errnoInval   = 28
)

// maxOutput is how much of what a plugin writes during one call is kept for error messages.
const maxOutput = 1024

// sandbox is the per-plugin state the WASI functions see, reached through the context of each
// call (wazero passes the caller's context to host functions).
type sandbox struct {
	start time.Time
	rng   *rand.ChaCha8
	out   []byte    // what the plugin wrote during the current call, first maxOutput bytes
	w     io.Writer // Options.Output (may be nil)
}

// randSeed is the fixed seed of every instance's random stream.
func randSeed() [32]byte {
	var s [32]byte
	copy(s[:], "ocellus plugin random seed")
	return s
}

// restart resets the clock origin and random stream for a new instance.
func (s *sandbox) restart() {
	s.start = time.Now()
	if s.rng == nil {
		s.rng = rand.NewChaCha8(randSeed())
	} else {
		s.rng.Seed(randSeed())
	}
	s.out = s.out[:0]
}

func (s *sandbox) write(b []byte) {
	if n := min(len(b), maxOutput-len(s.out)); n > 0 {
		s.out = append(s.out, b[:n]...)
	}
	if s.w != nil {
		_, _ = s.w.Write(b) // a failing log writer must not fail the plugin
	}
}

type sandboxKey struct{}

func withSandbox(ctx context.Context, s *sandbox) context.Context {
	return context.WithValue(ctx, sandboxKey{}, s)
}

func sandboxOf(ctx context.Context) *sandbox {
	s, _ := ctx.Value(sandboxKey{}).(*sandbox)
	if s == nil {
		// Only reachable if a call bypasses Plugin; behave as a fresh instance with no output.
		s = &sandbox{}
		s.restart()
	}
	return s
}

type wasiFunc struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
	fn      api.GoModuleFunc
}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func errno(stack []uint64, e uint32) { stack[0] = uint64(e) }

// wasiFuncs is the whole sandbox, one entry per function.
var wasiFuncs = []wasiFunc{
	{"args_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, noArgs},
	{"args_sizes_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, zeroSizes},
	{"environ_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, noArgs},
	{"environ_sizes_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, zeroSizes},
	{"clock_res_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, clockResGet},
	{"clock_time_get", []api.ValueType{i32, i64, i32}, []api.ValueType{i32}, clockTimeGet},
	{"random_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, randomGet},
	{"fd_write", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, fdWrite},
	{"fd_read", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, fdRead},
	{"fd_close", []api.ValueType{i32}, []api.ValueType{i32}, fdClose},
	{"fd_fdstat_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, fdFdstatGet},
	{"fd_fdstat_set_flags", []api.ValueType{i32, i32}, []api.ValueType{i32}, fdClose},
	{"fd_prestat_get", []api.ValueType{i32, i32}, []api.ValueType{i32}, badFD},
	{"fd_prestat_dir_name", []api.ValueType{i32, i32, i32}, []api.ValueType{i32}, badFD},
	{"poll_oneoff", []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i32}, pollOneoff},
	{"sched_yield", nil, []api.ValueType{i32}, func(_ context.Context, _ api.Module, stack []uint64) { errno(stack, errnoSuccess) }},
	{"proc_exit", []api.ValueType{i32}, nil, procExit},
}

func findWASI(name string) *wasiFunc {
	for i := range wasiFuncs {
		if wasiFuncs[i].name == name {
			return &wasiFuncs[i]
		}
	}
	return nil
}

// instantiateWASI adds the sandbox module to a runtime.
func instantiateWASI(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(wasiModule)
	for _, f := range wasiFuncs {
		b.NewFunctionBuilder().WithGoModuleFunction(f.fn, f.params, f.results).Export(f.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func noArgs(_ context.Context, _ api.Module, stack []uint64) { errno(stack, errnoSuccess) }

func zeroSizes(_ context.Context, mod api.Module, stack []uint64) {
	mem := mod.Memory()
	if !mem.WriteUint32Le(uint32(stack[0]), 0) || !mem.WriteUint32Le(uint32(stack[1]), 0) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

func clockResGet(_ context.Context, mod api.Module, stack []uint64) {
	if uint32(stack[0]) > 3 {
		errno(stack, errnoInval)
		return
	}
	if !mod.Memory().WriteUint64Le(uint32(stack[1]), 1000) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

func clockTimeGet(ctx context.Context, mod api.Module, stack []uint64) {
	id, ptr := uint32(stack[0]), uint32(stack[2])
	if id > 3 { // 0 realtime, 1 monotonic, 2 process CPU time, 3 thread CPU time
		errno(stack, errnoInval)
		return
	}
	// Monotonic and CPU clocks: time since the instance started (never 0); realtime: the Unix
	// epoch plus the same, so a plugin sees a clock that runs but learns nothing of the host.
	t := uint64(time.Since(sandboxOf(ctx).start)) + 1
	if !mod.Memory().WriteUint64Le(ptr, t) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

func randomGet(ctx context.Context, mod api.Module, stack []uint64) {
	buf, ok := mod.Memory().Read(uint32(stack[0]), uint32(stack[1]))
	if !ok {
		errno(stack, errnoFault)
		return
	}
	_, _ = sandboxOf(ctx).rng.Read(buf)
	errno(stack, errnoSuccess)
}

// iovecs calls f on each buffer of a WASI iovec array and returns the total length.
func iovecs(mem api.Memory, iovs, n uint32, f func([]byte)) (uint32, bool) {
	var total uint32
	for i := range n {
		off, ok1 := mem.ReadUint32Le(iovs + 8*i)
		l, ok2 := mem.ReadUint32Le(iovs + 8*i + 4)
		b, ok3 := mem.Read(off, l)
		if !ok1 || !ok2 || !ok3 {
			return 0, false
		}
		f(b)
		total += l
	}
	return total, true
}

func fdWrite(ctx context.Context, mod api.Module, stack []uint64) {
	fd, iovs, n, nwritten := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	if fd != 1 && fd != 2 {
		errno(stack, errnoBadf)
		return
	}
	sb := sandboxOf(ctx)
	mem := mod.Memory()
	total, ok := iovecs(mem, iovs, n, sb.write)
	if !ok || !mem.WriteUint32Le(nwritten, total) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

func fdRead(_ context.Context, mod api.Module, stack []uint64) {
	if uint32(stack[0]) != 0 {
		errno(stack, errnoBadf)
		return
	}
	if !mod.Memory().WriteUint32Le(uint32(stack[3]), 0) { // end of file
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

// fdClose serves fd_close and fd_fdstat_set_flags: accepted (and ignored) on fds 0–2.
func fdClose(_ context.Context, _ api.Module, stack []uint64) {
	if uint32(stack[0]) > 2 {
		errno(stack, errnoBadf)
		return
	}
	errno(stack, errnoSuccess)
}

func fdFdstatGet(_ context.Context, mod api.Module, stack []uint64) {
	fd, ptr := uint32(stack[0]), uint32(stack[1])
	if fd > 2 {
		errno(stack, errnoBadf)
		return
	}
	var st [24]byte
	st[0] = 2                // filetype character_device
	rights := uint64(1 << 6) // fd_write
	if fd == 0 {
		rights = 1 << 1 // fd_read
	}
	binary.LittleEndian.PutUint64(st[8:], rights)
	if !mod.Memory().Write(ptr, st[:]) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

func badFD(_ context.Context, _ api.Module, stack []uint64) { errno(stack, errnoBadf) }

// poll_oneoff layouts: a subscription is 48 bytes (userdata u64, tag u8 at 8, then for a clock:
// id u32 at 16, timeout u64 at 24, precision u64 at 32, flags u16 at 40; for an fd: fd u32 at 16);
// an event is 32 bytes (userdata u64, errno u16 at 8, type u8 at 10, …).
const (
	subSize    = 48
	eventSize  = 32
	tagClock   = 0
	maxPollSub = 1 << 10
)

func pollOneoff(ctx context.Context, mod api.Module, stack []uint64) {
	in, out, nsub, neventsPtr := uint32(stack[0]), uint32(stack[1]), uint32(stack[2]), uint32(stack[3])
	if nsub == 0 || nsub > maxPollSub {
		errno(stack, errnoInval)
		return
	}
	mem := mod.Memory()
	subs, ok1 := mem.Read(in, nsub*subSize)
	evs, ok2 := mem.Read(out, nsub*eventSize)
	if !ok1 || !ok2 {
		errno(stack, errnoFault)
		return
	}
	now := time.Since(sandboxOf(ctx).start)
	nev := 0
	event := func(s []byte, e uint16) {
		ev := evs[nev*eventSize : (nev+1)*eventSize]
		clear(ev)
		copy(ev[:8], s[:8])
		binary.LittleEndian.PutUint16(ev[8:], e)
		ev[10] = s[8]
		nev++
	}
	// Descriptors and unknown clocks fail at once; otherwise sleep until the earliest clock.
	wait := time.Duration(-1)
	for i := range nsub {
		s := subs[i*subSize : (i+1)*subSize]
		if s[8] != tagClock {
			event(s, errnoBadf)
			continue
		}
		if binary.LittleEndian.Uint32(s[16:]) > 3 {
			event(s, errnoInval)
			continue
		}
		d := time.Duration(min(binary.LittleEndian.Uint64(s[24:]), 1<<62))
		if binary.LittleEndian.Uint16(s[40:])&1 != 0 { // absolute time
			d -= now
		}
		if wait < 0 || d < wait {
			wait = max(d, 0)
		}
	}
	if nev == 0 && wait >= 0 {
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done(): // the call is being stopped; wazero closes the module next
				t.Stop()
			}
		}
		for i := range nsub { // report the clocks that are due (the earliest one at least)
			s := subs[i*subSize : (i+1)*subSize]
			d := time.Duration(min(binary.LittleEndian.Uint64(s[24:]), 1<<62))
			if binary.LittleEndian.Uint16(s[40:])&1 != 0 {
				d -= now
			}
			if d <= wait {
				event(s, errnoSuccess)
			}
		}
	}
	if !mem.WriteUint32Le(neventsPtr, uint32(nev)) {
		errno(stack, errnoFault)
		return
	}
	errno(stack, errnoSuccess)
}

func procExit(ctx context.Context, mod api.Module, stack []uint64) {
	code := uint32(stack[0])
	// Close first so that other callers see the exit code, then unwind the guest: nothing of it
	// may run after proc_exit.
	_ = mod.CloseWithExitCode(ctx, code)
	panic(sys.NewExitError(code))
}
