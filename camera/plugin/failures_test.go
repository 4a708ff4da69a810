package plugin

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
)

// loopTimeout is the deadline of the calls that never finish. The frames and starts that must
// finish get a minute (or the defaults), so that a busy machine or an emulator cannot fail them.
const loopTimeout = 300 * time.Millisecond

// TestBadPluginFrames sends the bad plugin a frame that makes it misbehave, then a good frame,
// which must come back unchanged: the pipeline goes on after every kind of failure.
func TestBadPluginFrames(t *testing.T) {
	cases := []struct {
		name      string
		trigger   byte
		kind      error
		restart   bool
		fragments []string
	}{
		{"trap", 0xF1, ErrTrap, true, []string{"process", "out of bounds memory access"}},
		{"panic", 0xF2, ErrTrap, true, []string{"wasm error: unreachable", "panic: badplugin: deliberate panic"}},
		{"loop", 0xF3, ErrDeadline, true, []string{"process", "stopped after", "the caller's deadline"}},
		{"grow", 0xF4, ErrMemoryLimit, true, []string{"limit 4 MiB", "out of memory"}},
		{"short", 0xF5, ErrBadOutput, false, []string{"returned 47 bytes; rgb8 [4 4 3] is 48 bytes"}},
		{"shape", 0xF6, ErrBadOutput, false, []string{"returned gray8 [4 4 1], declared rgb8 [4 4 3]"}},
		{"status", 0xF7, ErrFailed, false, []string{"status 7: badplugin: frame rejected on request"}},
		{"exit", 0xF8, ErrTrap, true, []string{"exited with code 3"}},
		{"far pointer", 0xF9, ErrBadOutput, false, []string{"0xffff0000+48 lies outside"}},
		{"null record", 0xFA, ErrBadOutput, false, []string{"result record address 0x0"}},
		{"sleep", 0xFB, ErrDeadline, true, []string{"stopped after"}},
	}
	var log bytes.Buffer
	p := load(t, "bad", Options{MemoryLimitPages: 64, FrameTimeout: time.Minute, Output: &log})
	good := Frame{W: 4, H: 4, Format: RGB8, Pix: make([]byte, 48)}
	for i := range good.Pix {
		good.Pix[i] = byte(i)
	}
	var restarts uint64
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := Frame{W: 4, H: 4, Format: RGB8, Pix: bytes.Clone(good.Pix)}
			bad.Pix[0] = c.trigger
			ctx := context.Background()
			if c.kind == ErrDeadline { // the caller's deadline, shorter than FrameTimeout
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, loopTimeout)
				defer cancel()
			}
			var out Output
			start := time.Now()
			err := p.Process(ctx, bad, &out)
			if c.restart {
				restarts++
			}
			wantError(t, err, c.kind, append([]string{`plugin "bad"`}, c.fragments...)...)
			t.Logf("%v (after %v)", err, time.Since(start).Round(time.Millisecond))
			got := process(t, p, good)
			if !bytes.Equal(got.Pix, good.Pix) {
				t.Fatalf("the frame after the failure came back changed: %v", got.Pix)
			}
			if s := p.Stats(); s.Restarts != restarts {
				t.Fatalf("%d restarts, want %d", s.Restarts, restarts)
			}
		})
	}
	if s := p.Stats(); s.Frames != uint64(2*len(cases)) || s.Failures != uint64(len(cases)) {
		t.Fatalf("stats %+v, want %d frames and %d failures", s, 2*len(cases), len(cases))
	}
	if !strings.Contains(log.String(), "panic: badplugin: deliberate panic") {
		t.Errorf("Options.Output did not receive the panic message; got %q", log.String())
	}
}

// Options.FrameTimeout alone stops an infinite loop.
func TestFrameTimeout(t *testing.T) {
	p := load(t, "bad", Options{FrameTimeout: time.Second})
	var out Output
	err := p.Process(context.Background(), Frame{W: 1, H: 1, Format: Gray8, Pix: []byte{0xF3}}, &out)
	wantError(t, err, ErrDeadline, "stopped after 1s")
	if got := process(t, p, Frame{W: 1, H: 1, Format: Gray8, Pix: []byte{7}}); got.Pix[0] != 7 {
		t.Fatalf("the frame after the deadline came back as %v", got.Pix)
	}
}

func TestMemoryLimitNonGo(t *testing.T) {
	p, err := testHost.Load(context.Background(), watWasm(t, "grow"), Options{Name: "grow", MemoryLimitPages: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	var out Output
	err = p.Process(context.Background(), Frame{W: 2, H: 2, Format: Gray8, Pix: make([]byte, 4)}, &out)
	wantError(t, err, ErrMemoryLimit, "unreachable", "memory 1.25 MiB, limit 1.25 MiB")
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		wasm      []byte
		opts      Options
		kind      error
		fragments []string
	}{
		{"abi2", watWasm(t, "abi2"), Options{}, ErrABIVersion, []string{"built for ABI 2.0", "this host implements ABI 1.0"}},
		{"command", watWasm(t, "command"), Options{}, ErrABI, []string{"WASI command", "-buildmode=c-shared"}},
		{"fsimport", watWasm(t, "fsimport"), Options{}, ErrImport, []string{"wasi_snapshot_preview1.path_open", "no files, network"}},
		{"garbage", []byte("\x00asm\x01\x00\x00\x00garbage"), Options{}, ErrInvalidModule, []string{"compile"}},
		{"not wasm", []byte("#!/bin/sh\n"), Options{}, ErrInvalidModule, []string{"compile"}},
		{"params without configure", watWasm(t, "invert"), Options{Params: "x=1"}, ErrABI, []string{"no ocellus_configure export"}},
		{"configure loops", pluginWasm(t, "bad"), Options{Params: "configure=loop", StartTimeout: loopTimeout}, ErrDeadline, []string{"configure", "stopped after 300ms"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Name = c.name
			p, err := testHost.Load(ctx, c.wasm, c.opts)
			if p != nil {
				p.Close(ctx)
			}
			wantError(t, err, c.kind, append([]string{`plugin "` + c.name + `"`}, c.fragments...)...)
			t.Log(err)
		})
	}
}

func TestMemoryLimitBelowModuleMinimum(t *testing.T) {
	// A Go module starts with ~40 pages of memory; a 16-page limit cannot hold it.
	_, err := testHost.Load(context.Background(), pluginWasm(t, "grayscale"), Options{Name: "small", MemoryLimitPages: 16})
	wantError(t, err, ErrMemoryLimit, "over limit of 16 pages")
	t.Log(err)
}

func TestInvalidFrames(t *testing.T) {
	p := load(t, "bad", Options{})
	cases := []struct {
		f    Frame
		frag string
	}{
		{Frame{W: 0, H: 4, Format: RGB8}, "frame size 0x4"},
		{Frame{W: 4, H: 4, Format: RGB8, Pix: make([]byte, 47)}, "has 48 bytes, got 47"},
		{Frame{W: 3, H: 2, Format: YUYV, Pix: make([]byte, 12)}, "even width"},
		{Frame{W: 2, H: 2, Format: F32, Pix: make([]byte, 16)}, "input format f32"},
		{Frame{W: 1 << 16, H: 1, Format: Gray8}, "frame size 65536x1"},
	}
	for _, c := range cases {
		var out Output
		wantError(t, p.Process(context.Background(), c.f, &out), ErrInvalidFrame, c.frag)
	}
	if s := p.Stats(); s != (Stats{}) {
		t.Fatalf("invalid frames reached the plugin: stats %+v", s)
	}
}

func TestCancelledContext(t *testing.T) {
	p := load(t, "bad", Options{FrameTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	in := Frame{W: 2, H: 2, Format: Gray8, Pix: []byte{0xF3, 0, 0, 0}}
	var out Output
	err := p.Process(ctx, in, &out)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	in.Pix[0] = 9
	if got := process(t, p, in); !bytes.Equal(got.Pix, in.Pix) {
		t.Fatalf("after the cancelled call: %v", got.Pix)
	}
}

func TestClose(t *testing.T) {
	h, err := NewHost(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.Load(context.Background(), watWasm(t, "invert"), Options{Name: "invert"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := h.Load(context.Background(), watWasm(t, "invert"), Options{Name: "invert2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	in := Frame{W: 1, H: 1, Format: Gray8, Pix: []byte{1}}
	var out Output
	wantError(t, p.Process(context.Background(), in, &out), ErrClosed)
	if err := q.Process(context.Background(), in, &out); err != nil || out.Pix[0] != 254 {
		t.Fatalf("the other plugin after closing the first: %v %v", out.Pix, err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatalf("second host Close: %v", err)
	}
	wantError(t, q.Process(context.Background(), in, &out), ErrClosed)
	_, err = h.Load(context.Background(), watWasm(t, "invert"), Options{})
	wantError(t, err, ErrClosed)
}

// What the WASI subset gives a plugin: deterministic random bytes (the same for every new
// instance, a stream within one), a clock that starts with the instance, a wall clock at the Unix
// epoch, no arguments or environment, stdout/stderr only.
func TestSandbox(t *testing.T) {
	var log bytes.Buffer
	run := func() (first, second []byte) {
		p, err := testHost.Load(context.Background(), watWasm(t, "sandbox"), Options{Name: "sandbox", Output: &log})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(context.Background())
		in := Frame{W: 1, H: 1, Format: Gray8, Pix: []byte{0}}
		first = bytes.Clone(process(t, p, in).Pix)
		second = bytes.Clone(process(t, p, in).Pix)
		return first, second
	}
	a1, a2 := run()
	b1, _ := run()
	le := binary.LittleEndian
	if !bytes.Equal(a1[:8], b1[:8]) {
		t.Errorf("random bytes of two fresh instances differ: %x, %x", a1[:8], b1[:8])
	}
	if bytes.Equal(a1[:8], a2[:8]) {
		t.Errorf("random bytes repeat within an instance: %x", a1[:8])
	}
	mono, wall := le.Uint64(a1[8:]), le.Uint64(a1[16:])
	if mono == 0 || mono > uint64(time.Minute) || wall > uint64(time.Minute) || le.Uint64(a2[8:]) <= mono {
		t.Errorf("clocks: monotonic %d then %d, realtime %d; want time since the instance started", mono, le.Uint64(a2[8:]), wall)
	}
	if argc, envc := le.Uint32(a1[24:]), le.Uint32(a1[28:]); argc != 0 || envc != 0 {
		t.Errorf("%d arguments, %d environment variables; want none", argc, envc)
	}
	if e3, e2 := le.Uint32(a1[32:]), le.Uint32(a1[36:]); e3 != errnoBadf || e2 != errnoSuccess {
		t.Errorf("fd_write errno: fd 3 %d (want EBADF = 8), fd 2 %d (want 0)", e3, e2)
	}
	if got := strings.Count(log.String(), "sandbox says hi\n"); got != 4 {
		t.Errorf("Options.Output got %q, want the message 4 times", log.String())
	}
}
