package camera

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The V4L2 source talks to the driver through github.com/blackjack/webcam (v4l2_linux.go). The few
// calls it makes sit behind the device and deviceSystem interfaces below, so that the capture loop,
// format negotiation and recovery are tested with a fake device that replays recorded frames.

// device is an open V4L2 capture device: the subset of *webcam.Webcam the source uses.
type device interface {
	Name() (string, error)
	Formats() map[uint32]string // FourCC → description
	FrameSizes(fourcc uint32) []frameSize
	FrameRates(fourcc, w, h uint32) []frameRate
	// SetFormat asks for a format and size; the driver may choose another, which it returns.
	SetFormat(fourcc, w, h uint32) (gotFourCC, gotW, gotH uint32, err error)
	SetFPS(fps float64) error
	SetBufferCount(n uint32) error
	StartStreaming() error
	// WaitForFrame waits up to seconds for a frame; errWaitTimeout if none came.
	WaitForFrame(seconds uint32) error
	// GetFrame dequeues a filled buffer (syscall.EAGAIN when none is ready). The bytes belong to the
	// driver: they must be copied before ReleaseFrame gives the buffer back.
	GetFrame() (data []byte, index uint32, err error)
	ReleaseFrame(index uint32) error
	// Close stops streaming and closes the device.
	Close() error
}

// deviceSystem opens devices and lists their nodes.
type deviceSystem interface {
	Open(path string) (device, error)
	Paths() []string // the /dev/video* nodes, in numeric order
}

// frameSize is a discrete size (Step 0, Min = Max), a stepwise range, or a continuous range (all
// zero: github.com/blackjack/webcam reports no bounds for those).
type frameSize struct {
	MinW, MaxW, StepW uint32
	MinH, MaxH, StepH uint32
}

// frameRate is a frame interval Num/Den seconds (discrete: Min = Max, Step 0) or a range of them.
type frameRate struct {
	MinNum, MaxNum, StepNum uint32
	MinDen, MaxDen, StepDen uint32
}

var (
	errWaitTimeout = errors.New("v4l2: no frame within the poll timeout")
	errNotCapture  = errors.New("v4l2: not a video capture device")
)

// FourCC codes of the formats this package decodes.
const (
	fourccMJPG = uint32('M') | uint32('J')<<8 | uint32('P')<<16 | uint32('G')<<24
	fourccJPEG = uint32('J') | uint32('P')<<8 | uint32('E')<<16 | uint32('G')<<24
	fourccYUYV = uint32('Y') | uint32('U')<<8 | uint32('Y')<<16 | uint32('V')<<24
	fourccGREY = uint32('G') | uint32('R')<<8 | uint32('E')<<16 | uint32('Y')<<24
	fourccNV12 = uint32('N') | uint32('V')<<8 | uint32('1')<<16 | uint32('2')<<24
	fourccRGB3 = uint32('R') | uint32('G')<<8 | uint32('B')<<16 | uint32('3')<<24
)

func fourccString(c uint32) string {
	b := []byte{byte(c), byte(c >> 8), byte(c >> 16), byte(c >> 24)}
	for i, x := range b {
		if x < 0x20 || x > 0x7e {
			b[i] = '?'
		}
	}
	return strings.TrimRight(string(b), " ")
}

func formatOfFourCC(c uint32) PixelFormat {
	switch c {
	case fourccMJPG, fourccJPEG:
		return MJPEG
	case fourccYUYV:
		return YUYV
	case fourccGREY:
		return GREY
	case fourccNV12:
		return NV12
	case fourccRGB3:
		return RGB24
	}
	return FormatUnknown
}

// formatRank orders formats when several give the requested size and rate equally well: raw YUYV
// first (converting it costs far less than decoding a JPEG and allocates nothing), then MJPEG, NV12,
// GREY and RGB24.
func formatRank(p PixelFormat) int {
	switch p {
	case YUYV:
		return 0
	case MJPEG:
		return 1
	case NV12:
		return 2
	case GREY:
		return 3
	}
	return 4
}

// V4L2Mode is what a V4L2 source negotiated with its device.
type V4L2Mode struct {
	Path, Name string
	FourCC     string
	Format     PixelFormat
	W, H       int
	FPS        float64 // the rate asked for; 0 when the device lists none
}

func (m V4L2Mode) String() string {
	return fmt.Sprintf("%s (%s) %s %dx%d @ %g fps", m.Path, m.Name, m.FourCC, m.W, m.H, m.FPS)
}

type modeChoice struct {
	fourcc uint32
	format PixelFormat
	w, h   uint32
	fps    float64
	// cost, compared in order: pixels of the request the mode lacks, pixels beyond it, the rate's
	// distance from the request (per mille), the format's rank.
	short, extra int64
	fpsCost      int64
	rank         int
}

func (a modeChoice) less(b modeChoice) bool {
	return cmp.Or(cmp.Compare(a.short, b.short), cmp.Compare(a.extra, b.extra),
		cmp.Compare(a.fpsCost, b.fpsCost), cmp.Compare(a.rank, b.rank),
		cmp.Compare(a.fourcc, b.fourcc)) < 0
}

// negotiate picks the format, size and rate closest to the request among what dev offers:
// the smallest size that covers the requested one (else the largest), then the rate nearest the
// requested one, then the cheapest format (formatRank). opts.Format, when set, restricts the choice.
func negotiate(dev device, opts Options) (modeChoice, error) {
	wantW, wantH := opts.Width, opts.Height
	if wantW == 0 && wantH == 0 {
		wantW, wantH = DefaultWidth, DefaultHeight
	}
	wantW, wantH = max(wantW, 1), max(wantH, 1)
	wantFPS := opts.FPS
	if wantFPS == 0 {
		wantFPS = DefaultFPS
	}
	offered := dev.Formats()
	codes := slices.Sorted(func(yield func(uint32) bool) {
		for c := range offered {
			if !yield(c) {
				return
			}
		}
	})
	var best modeChoice
	found := false
	for _, fourcc := range codes {
		p := formatOfFourCC(fourcc)
		if p == FormatUnknown || (opts.Format != FormatUnknown && p != opts.Format) {
			continue
		}
		sizes := dev.FrameSizes(fourcc)
		if len(sizes) == 0 {
			sizes = []frameSize{{}} // not enumerated: ask for the requested size
		}
		for _, sz := range sizes {
			w, h := pickSize(sz, uint32(wantW), uint32(wantH))
			if w == 0 || h == 0 || (p != MJPEG && p.FrameLen(int(w), int(h)) < 0) {
				continue
			}
			fps := pickRate(dev.FrameRates(fourcc, w, h), wantFPS)
			c := modeChoice{fourcc: fourcc, format: p, w: w, h: h, fps: fps, rank: formatRank(p)}
			wa, ha := int64(wantW), int64(wantH)
			c.short = wa*ha - min(int64(w), wa)*min(int64(h), ha)
			if c.short == 0 {
				c.extra = int64(w)*int64(h) - wa*ha
			} else {
				c.extra = -int64(w) * int64(h) // not covering: the larger the better
			}
			if fps > 0 {
				c.fpsCost = int64(math.Round(1000 * math.Abs(fps-wantFPS) / wantFPS))
			}
			if !found || c.less(best) {
				best, found = c, true
			}
		}
	}
	if !found {
		var names []string
		for _, c := range codes {
			names = append(names, fourccString(c))
		}
		want := "mjpeg, yuyv, nv12, grey or rgb24"
		if opts.Format != FormatUnknown {
			want = opts.Format.String()
		}
		return best, fmt.Errorf("%w: the device offers %s; this source needs %s", ErrUnsupported, strings.Join(names, ", "), want)
	}
	return best, nil
}

// pickSize returns the size nearest (w, h) within a size range.
func pickSize(sz frameSize, w, h uint32) (uint32, uint32) {
	if sz.MaxW == 0 || sz.MaxH == 0 {
		return w, h // continuous, unknown bounds
	}
	return stepClamp(w, sz.MinW, sz.MaxW, sz.StepW), stepClamp(h, sz.MinH, sz.MaxH, sz.StepH)
}

func stepClamp(v, lo, hi, step uint32) uint32 {
	v = min(max(v, lo), hi)
	if step > 0 {
		v = lo + (v-lo+step/2)/step*step
		v = min(v, hi)
	}
	return v
}

// pickRate returns the offered frame rate nearest want (ties: the faster), or want if none is listed.
func pickRate(rates []frameRate, want float64) float64 {
	best, bestD := want, math.Inf(1)
	for _, r := range rates {
		var fps float64
		if r.MinNum == 0 || r.MinDen == 0 {
			continue
		}
		hiFPS := float64(r.MinDen) / float64(r.MinNum) // the shortest interval
		if r.StepNum == 0 && r.StepDen == 0 {
			fps = hiFPS
		} else {
			loFPS := hiFPS
			if r.MaxNum > 0 && r.MaxDen > 0 {
				loFPS = float64(r.MaxDen) / float64(r.MaxNum)
			}
			fps = min(max(want, min(loFPS, hiFPS)), max(loFPS, hiFPS))
		}
		d := math.Abs(fps - want)
		if d < bestD || (d == bestD && fps > best) {
			best, bestD = fps, d
		}
	}
	return best
}

// pollSeconds is how long one WaitForFrame blocks: the granularity of Options.Timeout, and how soon
// a cancelled context or Close is noticed while a device is silent.
const pollSeconds = 1

// maxBadFrames consecutive empty or corrupt frames make Next give up with ErrBadFrame.
const maxBadFrames = 8

// V4L2Source captures from a Video4Linux2 device (USB/UVC webcams, the Raspberry Pi camera through
// its V4L2 driver) with github.com/blackjack/webcam, on Linux only.
//
// Each Next waits for the driver to fill a buffer, dequeues it (GetFrame), copies it and gives it back
// (ReleaseFrame) — never ReadFrame, whose buffer the driver may already be refilling. When several
// buffers are full, the newest wins and the older ones are released unread (a gap in Frame.Seq), so a
// slow caller sees current frames, not a backlog. The copy goes to one reused buffer (see Frame).
//
// Recovery: no frame within Options.Timeout gives ErrTimeout; a failing device (unplugged: ENODEV)
// gives ErrDeviceLost. Either way the device is closed, and the next Next reopens it — by name if the
// source was opened by name, so a camera that comes back as another /dev/videoN is found — after the
// Backoff delay, renegotiating the format, and returns each failed attempt's error. The source never
// needs to be recreated.
type V4L2Source struct {
	sys    deviceSystem
	spec   string // the path or name asked for
	byName bool
	opts   Options
	log    *slog.Logger
	lc     lifecycle

	mu    sync.Mutex // held by Next and by Close around device use
	dev   device
	fails int
	seq   uint64
	buf   []byte

	modeMu sync.Mutex
	mode   V4L2Mode
}

// OpenV4L2 opens a V4L2 device by path ("/dev/video0") or by name (the driver's card name, e.g.
// "HD Pro Webcam C920": an exact match, case-insensitive, else the first device whose name contains
// it), negotiates a mode (see below) and starts streaming. It fails if the device cannot be opened or
// offers nothing usable; after that, the source recovers by itself (see V4L2Source).
//
// Negotiation: among the formats this package decodes (opts.Format restricts them), the sizes and the
// rates the device lists, it takes the smallest size that covers opts.Width×opts.Height (default
// 640×480; else the largest size), then the rate nearest opts.FPS (default 30), then the cheapest
// format to convert: YUYV, MJPEG, NV12, GREY, RGB24. Mode tells what was chosen.
func OpenV4L2(ctx context.Context, device string, opts Options) (*V4L2Source, error) {
	return openV4L2(ctx, newDeviceSystem(), device, opts)
}

func openV4L2(ctx context.Context, sys deviceSystem, spec string, opts Options) (*V4L2Source, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if spec == "" {
		return nil, fmt.Errorf("%w: empty V4L2 device", ErrInvalidSpec)
	}
	s := &V4L2Source{sys: sys, spec: spec, byName: !strings.HasPrefix(spec, "/"), opts: opts, log: opts.logger(), lc: newLifecycle()}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.connect(); err != nil {
		return nil, err
	}
	return s, nil
}

// Mode returns what the source negotiated; Path is empty while the device is disconnected.
func (s *V4L2Source) Mode() V4L2Mode {
	s.modeMu.Lock()
	defer s.modeMu.Unlock()
	return s.mode
}

func (s *V4L2Source) setMode(m V4L2Mode) {
	s.modeMu.Lock()
	s.mode = m
	s.modeMu.Unlock()
}

// resolve finds the device node: the path itself, or the node whose name matches.
func (s *V4L2Source) resolve() (string, error) {
	if !s.byName {
		return s.spec, nil
	}
	var names []string
	sub := ""
	for _, p := range s.sys.Paths() {
		d, err := s.sys.Open(p)
		if err != nil {
			continue
		}
		name, err := d.Name()
		d.Close()
		if err != nil {
			continue
		}
		if strings.EqualFold(name, s.spec) {
			return p, nil
		}
		if sub == "" && strings.Contains(strings.ToLower(name), strings.ToLower(s.spec)) {
			sub = p
		}
		names = append(names, fmt.Sprintf("%s %q", p, name))
	}
	if sub != "" {
		return sub, nil
	}
	if len(names) == 0 {
		return "", fmt.Errorf("%w: no V4L2 device named %q (no capture devices found)", ErrNoDevice, s.spec)
	}
	return "", fmt.Errorf("%w: no V4L2 device named %q (found %s)", ErrNoDevice, s.spec, strings.Join(names, ", "))
}

// connect opens, configures and starts the device.
func (s *V4L2Source) connect() error {
	path, err := s.resolve()
	if err != nil {
		return err
	}
	dev, err := s.sys.Open(path)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENODEV) || errors.Is(err, errNotCapture) {
			return fmt.Errorf("%w: %s: %v", ErrNoDevice, path, err)
		}
		return fmt.Errorf("camera: open %s: %w", path, err)
	}
	name, _ := dev.Name()
	mode, err := s.configure(dev)
	if err != nil {
		dev.Close()
		return fmt.Errorf("camera: %s (%s): %w", path, name, err)
	}
	s.dev = dev
	m := V4L2Mode{Path: path, Name: name, FourCC: fourccString(mode.fourcc), Format: mode.format, W: int(mode.w), H: int(mode.h), FPS: mode.fps}
	s.setMode(m)
	s.log.Info("camera: v4l2 streaming", "mode", m.String())
	return nil
}

func (s *V4L2Source) configure(dev device) (modeChoice, error) {
	mode, err := negotiate(dev, s.opts)
	if err != nil {
		return mode, err
	}
	got, w, h, err := dev.SetFormat(mode.fourcc, mode.w, mode.h)
	if err != nil {
		return mode, fmt.Errorf("set format %s %dx%d: %w", fourccString(mode.fourcc), mode.w, mode.h, err)
	}
	if got != mode.fourcc {
		p := formatOfFourCC(got)
		if p == FormatUnknown {
			return mode, fmt.Errorf("%w: asked for %s, the driver chose %s", ErrUnsupported, fourccString(mode.fourcc), fourccString(got))
		}
		s.log.Warn("camera: the driver chose another format", "asked", fourccString(mode.fourcc), "got", fourccString(got))
		mode.fourcc, mode.format = got, p
	}
	if w != 0 && h != 0 {
		mode.w, mode.h = w, h
	}
	if mode.format != MJPEG && mode.format.FrameLen(int(mode.w), int(mode.h)) < 0 {
		return mode, fmt.Errorf("%w: %v at %dx%d", ErrUnsupported, mode.format, mode.w, mode.h)
	}
	if err := dev.SetFPS(mode.fps); err != nil {
		// Many drivers do not support setting the rate; the device's default is fine.
		s.log.Debug("camera: the driver did not take the frame rate", "fps", mode.fps, "err", err)
	}
	if err := dev.SetBufferCount(4); err != nil {
		return mode, fmt.Errorf("set buffer count: %w", err)
	}
	if err := dev.StartStreaming(); err != nil {
		return mode, fmt.Errorf("start streaming: %w", err)
	}
	return mode, nil
}

// disconnect closes the device after a failure.
func (s *V4L2Source) disconnect() {
	if s.dev != nil {
		s.dev.Close()
		s.dev = nil
	}
	m := s.Mode()
	m.Path = ""
	s.setMode(m)
}

// Next returns the newest frame. See V4L2Source for errors and recovery.
func (s *V4L2Source) Next(ctx context.Context) (Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.lc.check(ctx); err != nil {
		return Frame{}, err
	}
	if s.dev == nil {
		if err := sleep(ctx, s.lc.closed, s.opts.Backoff.Delay(s.fails)); err != nil {
			return Frame{}, err
		}
		if err := s.connect(); err != nil {
			s.fails++
			s.log.Warn("camera: v4l2 reconnect failed", "device", s.spec, "attempt", s.fails, "err", err)
			return Frame{}, err
		}
		s.log.Info("camera: v4l2 device recovered", "device", s.spec, "after", s.fails)
	}
	f, err := s.capture(ctx)
	if err != nil {
		if !IsTerminal(err) {
			s.disconnect()
			s.fails = max(s.fails, 1)
			s.log.Warn("camera: v4l2 capture failed", "device", s.spec, "err", err)
		}
		return Frame{}, err
	}
	s.fails = 0
	return f, nil
}

// capture waits for a frame, takes the newest one the driver holds, copies it and releases it.
func (s *V4L2Source) capture(ctx context.Context) (Frame, error) {
	m := s.Mode()
	polls := max(1, int((s.opts.timeout()+time.Second-1)/time.Second)/pollSeconds)
	waited, bad := 0, 0
	for {
		if err := s.lc.check(ctx); err != nil {
			return Frame{}, err
		}
		err := s.dev.WaitForFrame(pollSeconds)
		if errors.Is(err, errWaitTimeout) {
			if waited++; waited >= polls {
				return Frame{}, fmt.Errorf("%w: %s: no frame for %v", ErrTimeout, m.Path, time.Duration(waited*pollSeconds)*time.Second)
			}
			continue
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return Frame{}, fmt.Errorf("%w: %s: waiting for a frame: %v", ErrDeviceLost, m.Path, err)
		}
		data, idx, err := s.dev.GetFrame()
		if errors.Is(err, syscall.EAGAIN) {
			continue // woken without a frame
		}
		if err != nil {
			return Frame{}, fmt.Errorf("%w: %s: dequeuing a frame: %v", ErrDeviceLost, m.Path, err)
		}
		// Newer frames waiting? Keep the newest.
		for {
			d2, i2, err := s.dev.GetFrame()
			if err != nil {
				break // EAGAIN: none; a real failure shows on the next wait
			}
			if err := s.dev.ReleaseFrame(idx); err != nil {
				return Frame{}, fmt.Errorf("%w: %s: releasing a frame: %v", ErrDeviceLost, m.Path, err)
			}
			s.seq++
			data, idx = d2, i2
		}
		n := len(data)
		if m.Format != MJPEG {
			n = m.Format.FrameLen(m.W, m.H)
		}
		ok := len(data) >= n && n > 0
		if m.Format == MJPEG {
			ok = len(data) > 4 && data[0] == 0xff && data[1] == 0xd8
		}
		if ok {
			s.buf = append(s.buf[:0], data[:n]...)
		}
		t := time.Now()
		if err := s.dev.ReleaseFrame(idx); err != nil {
			return Frame{}, fmt.Errorf("%w: %s: releasing a frame: %v", ErrDeviceLost, m.Path, err)
		}
		seq := s.seq
		s.seq++
		if !ok {
			// Empty or corrupt buffers happen (USB bandwidth, a camera starting up): skip a few.
			if bad++; bad >= maxBadFrames {
				return Frame{}, fmt.Errorf("%w: %s: %d bad frames in a row (last: %d bytes for %v %dx%d)", ErrBadFrame, m.Path, bad, len(data), m.Format, m.W, m.H)
			}
			continue
		}
		return Frame{Seq: seq, Time: t, Format: m.Format, W: m.W, H: m.H, Data: s.buf}, nil
	}
}

// Close stops streaming and closes the device; a Next blocked waiting for a frame returns ErrClosed
// within a second. It is idempotent.
func (s *V4L2Source) Close() error {
	if !s.lc.close() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.dev != nil {
		err = s.dev.Close()
		s.dev = nil
	}
	return err
}

// DeviceInfo describes a V4L2 capture device for `ocellus cameras`.
type DeviceInfo struct {
	Path, Name string
	Formats    []FormatInfo
	// Error says why the device could not be queried (e.g. permission denied); empty when it could.
	Error string
}

// FormatInfo is one pixel format a device offers.
type FormatInfo struct {
	FourCC      string
	Format      PixelFormat // FormatUnknown: offered, but this package does not decode it
	Description string
	Sizes       []SizeInfo
}

// SizeInfo is a frame size, or a range of sizes, and its frame rates.
type SizeInfo struct {
	W, H int // the size; for a range, the largest
	// A range: the smallest size and the steps (StepW > 0). Zero for a discrete size.
	MinW, MinH, StepW, StepH int
	// FPS lists the discrete rates, fastest first; for a range of rates, its fastest and slowest.
	FPS []float64
}

func (s SizeInfo) String() string {
	var b strings.Builder
	if s.StepW > 0 || s.StepH > 0 {
		fmt.Fprintf(&b, "%d-%dx%d-%d (step %d,%d)", s.MinW, s.W, s.MinH, s.H, s.StepW, s.StepH)
	} else {
		fmt.Fprintf(&b, "%dx%d", s.W, s.H)
	}
	if len(s.FPS) > 0 {
		b.WriteString(" @")
		for i, f := range s.FPS {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %g", math.Round(f*100)/100)
		}
		b.WriteString(" fps")
	}
	return b.String()
}

// String formats the device as a few lines: path and name, then one line per format and size.
func (d DeviceInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%s", d.Path, d.Name)
	if d.Error != "" {
		fmt.Fprintf(&b, "\terror: %s", d.Error)
	}
	for _, f := range d.Formats {
		note := ""
		if f.Format == FormatUnknown {
			note = " (not supported by ocellus)"
		}
		fmt.Fprintf(&b, "\n  %s %s%s", f.FourCC, f.Description, note)
		for _, s := range f.Sizes {
			fmt.Fprintf(&b, "\n    %s", s)
		}
	}
	return b.String()
}

// List returns the V4L2 capture devices (/dev/video*) with their formats, sizes and rates. Nodes that
// are not capture devices (the metadata node every UVC camera adds) are left out. Off Linux, or with
// no camera, the list is empty and the error nil.
func List() ([]DeviceInfo, error) {
	return listDevices(newDeviceSystem()), nil
}

func listDevices(sys deviceSystem) []DeviceInfo {
	var out []DeviceInfo
	for _, p := range sys.Paths() {
		dev, err := sys.Open(p)
		if errors.Is(err, errNotCapture) {
			continue
		}
		if err != nil {
			out = append(out, DeviceInfo{Path: p, Error: err.Error()})
			continue
		}
		out = append(out, describe(p, dev))
		dev.Close()
	}
	return out
}

func describe(path string, dev device) DeviceInfo {
	info := DeviceInfo{Path: path}
	info.Name, _ = dev.Name()
	for fourcc, desc := range dev.Formats() {
		f := FormatInfo{FourCC: fourccString(fourcc), Format: formatOfFourCC(fourcc), Description: desc}
		for _, sz := range dev.FrameSizes(fourcc) {
			si := SizeInfo{W: int(sz.MaxW), H: int(sz.MaxH)}
			if sz.StepW != 0 || sz.StepH != 0 {
				si.MinW, si.MinH, si.StepW, si.StepH = int(sz.MinW), int(sz.MinH), int(sz.StepW), int(sz.StepH)
			}
			for _, r := range dev.FrameRates(fourcc, sz.MaxW, sz.MaxH) {
				if r.MinNum == 0 || r.MinDen == 0 {
					continue
				}
				si.FPS = append(si.FPS, float64(r.MinDen)/float64(r.MinNum))
				if (r.StepNum != 0 || r.StepDen != 0) && r.MaxNum > 0 && r.MaxDen > 0 {
					si.FPS = append(si.FPS, float64(r.MaxDen)/float64(r.MaxNum))
				}
			}
			slices.SortFunc(si.FPS, func(a, b float64) int { return cmp.Compare(b, a) })
			si.FPS = slices.Compact(si.FPS)
			f.Sizes = append(f.Sizes, si)
		}
		slices.SortFunc(f.Sizes, func(a, b SizeInfo) int { return cmp.Or(cmp.Compare(a.W*a.H, b.W*b.H), cmp.Compare(a.W, b.W)) })
		info.Formats = append(info.Formats, f)
	}
	slices.SortFunc(info.Formats, func(a, b FormatInfo) int {
		ka, kb := formatRank(a.Format), formatRank(b.Format)
		if a.Format == FormatUnknown {
			ka = 9
		}
		if b.Format == FormatUnknown {
			kb = 9
		}
		return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(a.FourCC, b.FourCC))
	})
	return info
}
