package camera

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A fake V4L2 world: cameras plugged into /dev/video* nodes, and a script of driver events that the
// open device plays as the source waits for frames. The fake enforces the driver's rules — frames are
// released once, buffers are poisoned when given back (so a source that does not copy sees garbage),
// nothing is used after Close — and records every breach.

type fakeCam struct {
	name    string
	formats map[uint32]string
	sizes   map[uint32][]frameSize
	rates   map[string][]frameRate // key fakeRateKey(fourcc, w, h); "fourcc" alone for any size
	frames  map[uint32][][]byte    // recorded frames replayed per format
	// chooses: SetFormat answers with this format instead of the one asked for (a driver's choice).
	chooses uint32
}

func fakeRateKey(fourcc, w, h uint32) string {
	return fmt.Sprintf("%s %dx%d", fourccString(fourcc), w, h)
}

type fakeSystem struct {
	t          testing.TB
	mu         sync.Mutex
	nodes      map[string]*fakeCam
	notCapture map[string]bool
	denied     map[string]bool
	script     []string // "frame", "frames N", "bad", "timeout", "eintr", "unplug", "pollerr"
	waitDelay  time.Duration
	opens      []string
	open       int
	breaches   []string
	lastDev    *fakeDevice
}

func newFakeSystem(t testing.TB) *fakeSystem {
	s := &fakeSystem{t: t, nodes: map[string]*fakeCam{}, notCapture: map[string]bool{}, denied: map[string]bool{}}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, b := range s.breaches {
			t.Errorf("fake V4L2: %s", b)
		}
	})
	return s
}

func (s *fakeSystem) breach(format string, args ...any) {
	s.breaches = append(s.breaches, fmt.Sprintf(format, args...))
}

func (s *fakeSystem) plug(path string, c *fakeCam) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nodes[path] = c
}

func (s *fakeSystem) play(events ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, events...)
}

func (s *fakeSystem) openCount() (opened int, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.opens), s.open
}

func (s *fakeSystem) Open(path string) (device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.notCapture[path]:
		return nil, errNotCapture
	case s.denied[path]:
		return nil, syscall.EACCES
	case s.nodes[path] == nil:
		s.opens = append(s.opens, path+" ENOENT")
		return nil, syscall.ENOENT
	}
	s.opens = append(s.opens, path)
	s.open++
	d := &fakeDevice{sys: s, cam: s.nodes[path], path: path}
	s.lastDev = d
	return d, nil
}

func (s *fakeSystem) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p []string
	for k := range s.nodes {
		p = append(p, k)
	}
	for k := range s.notCapture {
		p = append(p, k)
	}
	for k := range s.denied {
		p = append(p, k)
	}
	slices.Sort(p)
	return p
}

const fakeBuffers = 4

type fakeDevice struct {
	sys                 *fakeSystem
	cam                 *fakeCam
	path                string
	fourcc, w, h        uint32
	fps                 float64
	streaming, closed   bool
	gone                bool // unplugged: every call fails with ENODEV
	bufs                [fakeBuffers][]byte
	held, queued        [fakeBuffers]bool
	queue               []uint32
	next                int // next recorded frame
	delivered, released int
}

// guard checks the device is usable; it is called with sys.mu held.
func (d *fakeDevice) guard(op string) {
	if d.closed {
		d.sys.breach("%s on a closed device %s", op, d.path)
	}
}

func (d *fakeDevice) Name() (string, error) {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	d.guard("Name")
	return d.cam.name, nil
}

func (d *fakeDevice) Formats() map[uint32]string {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	d.guard("Formats")
	return d.cam.formats
}

func (d *fakeDevice) FrameSizes(fourcc uint32) []frameSize {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	return d.cam.sizes[fourcc]
}

func (d *fakeDevice) FrameRates(fourcc, w, h uint32) []frameRate {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	if r, ok := d.cam.rates[fakeRateKey(fourcc, w, h)]; ok {
		return r
	}
	return d.cam.rates[fourccString(fourcc)]
}

func (d *fakeDevice) SetFormat(fourcc, w, h uint32) (uint32, uint32, uint32, error) {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	d.guard("SetFormat")
	if d.streaming {
		return 0, 0, 0, syscall.EBUSY
	}
	if d.cam.chooses != 0 {
		fourcc = d.cam.chooses
	}
	d.fourcc, d.w, d.h = fourcc, w, h
	return fourcc, w, h, nil
}

func (d *fakeDevice) SetFPS(fps float64) error {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	d.fps = fps
	return nil
}

func (d *fakeDevice) SetBufferCount(n uint32) error { return nil }

func (d *fakeDevice) StartStreaming() error {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	d.guard("StartStreaming")
	if d.fourcc == 0 {
		d.sys.breach("StartStreaming before SetFormat")
	}
	if len(d.cam.frames[d.fourcc]) == 0 {
		d.sys.breach("streaming %s, which the fake camera has no frames for", fourccString(d.fourcc))
	}
	d.streaming = true
	return nil
}

// fill puts the next recorded frame (or an empty one) into a free buffer, as the driver does.
func (d *fakeDevice) fill(empty bool) {
	for i := range d.bufs {
		if d.held[i] || d.queued[i] {
			continue
		}
		rec := d.cam.frames[d.fourcc]
		data := rec[d.next%len(rec)]
		d.next++
		if empty {
			data = nil
		}
		d.bufs[i] = append(d.bufs[i][:0], data...)
		d.queued[i] = true
		d.queue = append(d.queue, uint32(i))
		return
	}
	// All buffers busy: the driver drops the frame.
	d.next++
}

func (d *fakeDevice) WaitForFrame(seconds uint32) error {
	if seconds == 0 {
		d.sys.t.Errorf("WaitForFrame(0) would busy-poll")
	}
	d.sys.mu.Lock()
	delay := d.sys.waitDelay
	d.guard("WaitForFrame")
	if !d.streaming {
		d.sys.breach("WaitForFrame while not streaming")
	}
	ev := "frame"
	if len(d.sys.script) > 0 {
		ev, d.sys.script = d.sys.script[0], d.sys.script[1:]
	}
	d.sys.mu.Unlock()
	if delay > 0 && ev == "timeout" {
		time.Sleep(delay)
	}
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	if d.gone {
		return nil // poll reports POLLERR|POLLHUP on a vanished device; GetFrame then fails
	}
	switch {
	case ev == "frame":
		d.fill(false)
	case strings.HasPrefix(ev, "frames "):
		n, _ := strconv.Atoi(strings.TrimPrefix(ev, "frames "))
		for range n {
			d.fill(false)
		}
	case ev == "bad":
		d.fill(true)
	case ev == "timeout":
		return errWaitTimeout
	case ev == "eintr":
		return syscall.EINTR
	case ev == "pollerr":
		return syscall.EIO
	case ev == "unplug":
		d.gone = true
		delete(d.sys.nodes, d.path)
	case ev == "spurious":
	default:
		d.sys.t.Fatalf("fake V4L2: unknown event %q", ev)
	}
	return nil
}

func (d *fakeDevice) GetFrame() ([]byte, uint32, error) {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	d.guard("GetFrame")
	if d.gone {
		return nil, 0, syscall.ENODEV
	}
	if len(d.queue) == 0 {
		return nil, 0, syscall.EAGAIN
	}
	i := d.queue[0]
	d.queue = d.queue[1:]
	d.queued[i], d.held[i] = false, true
	d.delivered++
	return d.bufs[i], i, nil
}

func (d *fakeDevice) ReleaseFrame(i uint32) error {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	d.guard("ReleaseFrame")
	if i >= fakeBuffers || !d.held[i] {
		d.sys.breach("ReleaseFrame(%d) of a buffer not held", i)
		return syscall.EINVAL
	}
	d.held[i] = false
	d.released++
	for k := range d.bufs[i] { // the driver refills it: a source that kept a reference sees garbage
		d.bufs[i][k] = 0xee
	}
	if d.gone {
		return syscall.ENODEV
	}
	return nil
}

func (d *fakeDevice) Close() error {
	d.sys.mu.Lock()
	defer d.sys.mu.Unlock()
	if d.closed {
		d.sys.breach("second Close of %s", d.path)
		return syscall.EBADF
	}
	for i, h := range d.held {
		if h {
			d.sys.breach("Close of %s with buffer %d still held", d.path, i)
		}
	}
	d.closed = true
	d.sys.open--
	return nil
}
