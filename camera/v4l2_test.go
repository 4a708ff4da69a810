package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func discrete(w, h uint32) frameSize { return frameSize{MinW: w, MaxW: w, MinH: h, MaxH: h} }
func fps(f ...uint32) []frameRate {
	var r []frameRate
	for _, x := range f {
		r = append(r, frameRate{MinNum: 1, MaxNum: 1, MinDen: x, MaxDen: x})
	}
	return r
}

// c920 offers what a Logitech C920 offers (abridged).
func c920() *fakeCam {
	return &fakeCam{
		name:    "HD Pro Webcam C920",
		formats: map[uint32]string{fourccYUYV: "YUYV 4:2:2", fourccMJPG: "Motion-JPEG", 0x34363248: "H.264"},
		sizes: map[uint32][]frameSize{
			fourccYUYV: {discrete(640, 480), discrete(1280, 720), discrete(1920, 1080)},
			fourccMJPG: {discrete(640, 480), discrete(1280, 720), discrete(1920, 1080)},
		},
		rates: map[string][]frameRate{
			fakeRateKey(fourccYUYV, 640, 480):   fps(30, 15),
			fakeRateKey(fourccYUYV, 1280, 720):  fps(10, 5),
			fakeRateKey(fourccYUYV, 1920, 1080): fps(5),
			"MJPG":                              fps(30, 24, 15),
		},
	}
}

func TestV4L2Negotiation(t *testing.T) {
	sys := newFakeSystem(t)
	sys.plug("/dev/video0", c920())
	dev, _ := sys.Open("/dev/video0")
	defer dev.Close()
	stepCam := &fakeCam{name: "step", formats: map[uint32]string{fourccGREY: "Greyscale", fourccNV12: "NV12"},
		sizes: map[uint32][]frameSize{
			fourccGREY: {{MinW: 32, MaxW: 1024, StepW: 16, MinH: 32, MaxH: 768, StepH: 16}},
			fourccNV12: {{}}, // continuous, no bounds reported
		},
		rates: map[string][]frameRate{"GREY": {{MinNum: 1, MaxNum: 1, StepNum: 1, MinDen: 60, MaxDen: 1, StepDen: 1}}},
	}
	sys.plug("/dev/video1", stepCam)
	stepDev, _ := sys.Open("/dev/video1")
	defer stepDev.Close()
	for _, c := range []struct {
		name string
		dev  device
		opts Options
		want string // fourcc WxH@fps
		err  string
	}{
		{"defaults: 640x480@30, YUYV is cheaper", dev, Options{}, "YUYV 640x480@30", ""},
		{"720p30: only MJPEG has the rate", dev, Options{Width: 1280, Height: 720, FPS: 30}, "MJPG 1280x720@30", ""},
		{"720p5: YUYV has it", dev, Options{Width: 1280, Height: 720, FPS: 5}, "YUYV 1280x720@5", ""},
		{"format asked for", dev, Options{Format: MJPEG}, "MJPG 640x480@30", ""},
		{"800x600: smallest size covering it", dev, Options{Width: 800, Height: 600, FPS: 30}, "MJPG 1280x720@30", ""},
		{"4000x3000: the largest", dev, Options{Width: 4000, Height: 3000, FPS: 30}, "MJPG 1920x1080@30", ""},
		{"320x240: 640x480 covers it", dev, Options{Width: 320, Height: 240}, "YUYV 640x480@30", ""},
		{"20 fps: nearest rate wins", dev, Options{FPS: 20}, "MJPG 640x480@24", ""},
		{"nv12 not offered", dev, Options{Format: NV12}, "", "offers H264, MJPG, YUYV; this source needs nv12"},
		{"stepwise sizes and rates", stepDev, Options{Width: 650, Height: 470, FPS: 25, Format: GREY}, "GREY 656x464@25", ""},
		{"stepwise rate clamped", stepDev, Options{Width: 64, Height: 64, FPS: 90, Format: GREY}, "GREY 64x64@60", ""},
		{"continuous sizes: the request", stepDev, Options{Width: 320, Height: 200, Format: NV12}, "NV12 320x200@30", ""},
	} {
		m, err := negotiate(c.dev, c.opts)
		if c.err != "" {
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want ErrUnsupported containing %q", c.name, err, c.err)
			}
			continue
		}
		got := ""
		if err == nil {
			got = fmt.Sprintf("%s %dx%d@%g", fourccString(m.fourcc), m.w, m.h, m.fps)
		}
		if err != nil || got != c.want {
			t.Errorf("%s: got %q (err %v), want %q", c.name, got, err, c.want)
		}
	}
	onlyH264 := &fakeCam{name: "h264", formats: map[uint32]string{0x34363248: "H.264"}}
	sys.plug("/dev/video2", onlyH264)
	d2, _ := sys.Open("/dev/video2")
	defer d2.Close()
	if _, err := negotiate(d2, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("an H.264-only camera: %v", err)
	}
}

// fixtureCam is a 64×48 camera replaying the fixture frames: MJPEG at 30 fps, stripped of their
// Huffman tables as UVC cameras send them, and YUYV at 5 fps.
func fixtureCam(t *testing.T, name string) *fakeCam {
	var mjpeg [][]byte
	for _, f := range fixtureJPEGs(t) {
		mjpeg = append(mjpeg, stripDHT(t, f, nil))
	}
	var yuyv [][]byte
	for k := range fixFrames {
		yuyv = append(yuyv, rawFixture(t, "testsrc2.yuyv", fixW*fixH*2, k))
	}
	return &fakeCam{
		name:    name,
		formats: map[uint32]string{fourccMJPG: "Motion-JPEG", fourccYUYV: "YUYV 4:2:2"},
		sizes:   map[uint32][]frameSize{fourccMJPG: {discrete(fixW, fixH)}, fourccYUYV: {discrete(fixW, fixH)}},
		rates:   map[string][]frameRate{"MJPG": fps(30), "YUYV": fps(5)},
		frames:  map[uint32][][]byte{fourccMJPG: mjpeg, fourccYUYV: yuyv},
	}
}

func fixtureOpts() Options {
	o := fastOpts()
	o.Width, o.Height, o.FPS, o.Timeout = fixW, fixH, 30, 3*time.Second
	return o
}

// nextFrame calls Next and checks the frame is recorded frame k of the camera and has sequence seq.
func nextFrame(t *testing.T, src *V4L2Source, cam *fakeCam, fourcc uint32, k int, seq uint64) Frame {
	t.Helper()
	f, err := src.Next(testCtx(t))
	if err != nil {
		t.Fatalf("Next (want frame %d, seq %d): %v", k, seq, err)
	}
	want := cam.frames[fourcc][k%len(cam.frames[fourcc])]
	if !bytes.Equal(f.Data, want) {
		t.Fatalf("Next: seq %d, %d bytes: not recorded frame %d (seq %d) — poisoned by ReleaseFrame: %v", f.Seq, len(f.Data), k, seq, bytes.Contains(f.Data, []byte{0xee, 0xee, 0xee, 0xee}))
	}
	if f.Seq != seq || f.W != fixW || f.H != fixH || f.Format != formatOfFourCC(fourcc) || f.Time.IsZero() {
		t.Fatalf("Next: seq %d %v %dx%d; want seq %d %v %dx%d", f.Seq, f.Format, f.W, f.H, seq, formatOfFourCC(fourcc), fixW, fixH)
	}
	return f
}

func TestV4L2Streaming(t *testing.T) {
	sys := newFakeSystem(t)
	cam := fixtureCam(t, "Fixture Cam")
	sys.plug("/dev/video0", cam)
	sys.notCapture["/dev/video1"] = true
	src, err := openV4L2(testCtx(t), sys, "/dev/video0", fixtureOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := src.Mode()
	if m.Path != "/dev/video0" || m.Name != "Fixture Cam" || m.FourCC != "MJPG" || m.Format != MJPEG || m.W != fixW || m.H != fixH || m.FPS != 30 {
		t.Fatalf("Mode() = %+v", m)
	}
	if sys.lastDev.fps != 30 {
		t.Errorf("the source asked the driver for %v fps, want 30", sys.lastDev.fps)
	}
	// The frames come without Huffman tables; the decoder makes them equal to the originals.
	var d Decoder
	orig := fixtureJPEGs(t)
	for k := 0; k < 4; k++ {
		f := nextFrame(t, src, cam, fourccMJPG, k, uint64(k))
		got, err := d.Decode(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := d.Decode(nil, Frame{Format: MJPEG, Data: orig[k%3]})
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("frame %d decodes differently from the original fixture frame", k)
		}
	}
	// Three frames queued while the caller was busy: the newest is delivered, the others dropped.
	sys.play("frames 3")
	nextFrame(t, src, cam, fourccMJPG, 6, 6)
	// Spurious wake-ups, EINTR and empty buffers are skipped.
	sys.play("spurious", "eintr", "bad", "frame")
	nextFrame(t, src, cam, fourccMJPG, 8, 8)
	if opened, open := sys.openCount(); opened != 1 || open != 1 {
		t.Fatalf("%d opens, %d open devices; want 1 and 1", opened, open)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, open := sys.openCount(); open != 0 {
		t.Fatalf("%d devices open after Close", open)
	}
	if _, err := src.Next(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestV4L2YUYV(t *testing.T) {
	sys := newFakeSystem(t)
	cam := fixtureCam(t, "Fixture Cam")
	sys.plug("/dev/video0", cam)
	opts := fixtureOpts()
	opts.Format = YUYV
	src, err := openV4L2(testCtx(t), sys, "/dev/video0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if m := src.Mode(); m.Format != YUYV || m.FPS != 5 {
		t.Fatalf("Mode() = %+v, want YUYV at 5 fps", m)
	}
	var d Decoder
	for k := 0; k < 3; k++ {
		f := nextFrame(t, src, cam, fourccYUYV, k, uint64(k))
		img, err := d.Decode(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(img.Pix, rawFixture(t, "testsrc2_yuyv.rgb24", fixW*fixH*3, k)) {
			t.Fatalf("frame %d does not decode to FFmpeg's RGB", k)
		}
	}
	// Steady-state capture allocates nothing.
	ctx := context.Background()
	if n := testing.AllocsPerRun(10, func() {
		if _, err := src.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per Next", n)
	}
}

// A driver that picks another format than the one asked for is followed; one that delivers raw
// frames shorter than the size says gives ErrBadFrame after a few, then the device is reopened.
func TestV4L2DriverChoosesFormat(t *testing.T) {
	sys := newFakeSystem(t)
	cam := fixtureCam(t, "Stubborn")
	cam.chooses = fourccYUYV
	cam.frames[fourccYUYV] = [][]byte{make([]byte, 100)}
	sys.plug("/dev/video0", cam)
	src, err := openV4L2(testCtx(t), sys, "/dev/video0", fixtureOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if m := src.Mode(); m.Format != YUYV {
		t.Fatalf("Mode() = %+v, want the driver's YUYV", m)
	}
	_, err = src.Next(testCtx(t))
	if !errors.Is(err, ErrBadFrame) || !strings.Contains(err.Error(), "8 bad frames in a row (last: 100 bytes for yuyv 64x48)") {
		t.Fatalf("short raw frames: %v", err)
	}
	cam.frames[fourccYUYV] = [][]byte{rawFixture(t, "testsrc2.yuyv", fixW*fixH*2, 0)}
	nextFrame(t, src, cam, fourccYUYV, 0, 8)
	if opened, _ := sys.openCount(); opened != 2 {
		t.Fatalf("%d opens, want 2 (reopened after the bad frames)", opened)
	}
}

// No frame within Options.Timeout: ErrTimeout, the device is closed, and the next Next reopens it and
// streams again.
func TestV4L2Timeout(t *testing.T) {
	sys := newFakeSystem(t)
	cam := fixtureCam(t, "Fixture Cam")
	sys.plug("/dev/video0", cam)
	opts := fixtureOpts()
	opts.Timeout = 2500 * time.Millisecond // three one-second polls
	src, err := openV4L2(testCtx(t), sys, "/dev/video0", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	nextFrame(t, src, cam, fourccMJPG, 0, 0)
	sys.play("timeout", "timeout", "frame") // a slow frame within the timeout is fine
	nextFrame(t, src, cam, fourccMJPG, 1, 1)
	sys.play("timeout", "timeout", "timeout")
	_, err = src.Next(testCtx(t))
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "/dev/video0: no frame for 3s") || IsTerminal(err) {
		t.Fatalf("after three silent polls: %v", err)
	}
	if _, open := sys.openCount(); open != 0 {
		t.Fatal("the device is still open after a timeout")
	}
	if src.Mode().Path != "" {
		t.Errorf("Mode().Path = %q while disconnected", src.Mode().Path)
	}
	nextFrame(t, src, cam, fourccMJPG, 0, 2) // reopened: the replay starts over
	if opened, open := sys.openCount(); opened != 2 || open != 1 {
		t.Fatalf("%d opens, %d open; want 2 and 1", opened, open)
	}
}

// Unplug (the device fails with ENODEV), reconnection attempts while it is away, replug at another
// node: the source opened by name finds it and delivers frames again, without being recreated.
func TestV4L2UnplugReplug(t *testing.T) {
	for _, byName := range []bool{true, false} {
		t.Run(map[bool]string{true: "by name", false: "by path"}[byName], func(t *testing.T) {
			sys := newFakeSystem(t)
			cam := fixtureCam(t, "USB Camera")
			sys.plug("/dev/video0", cam)
			sys.notCapture["/dev/video1"] = true
			spec := "/dev/video0"
			if byName {
				spec = "usb camera"
			}
			src, err := openV4L2(testCtx(t), sys, spec, fixtureOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			nextFrame(t, src, cam, fourccMJPG, 0, 0)
			nextFrame(t, src, cam, fourccMJPG, 1, 1)

			sys.play("unplug")
			_, err = src.Next(testCtx(t))
			if !errors.Is(err, ErrDeviceLost) || !strings.Contains(err.Error(), "no such device") || IsTerminal(err) {
				t.Fatalf("unplug: %v", err)
			}
			if _, open := sys.openCount(); open != 0 {
				t.Fatal("the lost device is still open")
			}
			for i := 0; i < 3; i++ {
				_, err = src.Next(testCtx(t))
				want := "/dev/video0: no such file or directory"
				if byName {
					want = `no V4L2 device named "usb camera"`
				}
				if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), want) || IsTerminal(err) {
					t.Fatalf("reconnect %d while unplugged: %v (want ErrNoDevice containing %q)", i, err, want)
				}
			}
			// Replugged: by name it may come back under another node.
			at := "/dev/video0"
			if byName {
				at = "/dev/video2"
			}
			sys.plug(at, cam)
			f := nextFrame(t, src, cam, fourccMJPG, 0, 2)
			if m := src.Mode(); m.Path != at {
				t.Fatalf("after replug Mode().Path = %q, want %s", m.Path, at)
			}
			_ = f
			nextFrame(t, src, cam, fourccMJPG, 1, 3)
			if s := src.fails; s != 0 {
				t.Fatalf("failure count %d after recovery", s)
			}
		})
	}
}

// A poll error (not just a failing dequeue) also counts as a lost device.
func TestV4L2PollError(t *testing.T) {
	sys := newFakeSystem(t)
	cam := fixtureCam(t, "Fixture Cam")
	sys.plug("/dev/video0", cam)
	src, err := openV4L2(testCtx(t), sys, "/dev/video0", fixtureOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	sys.play("pollerr")
	if _, err := src.Next(testCtx(t)); !errors.Is(err, ErrDeviceLost) || !strings.Contains(err.Error(), "waiting for a frame") {
		t.Fatalf("poll error: %v", err)
	}
	nextFrame(t, src, cam, fourccMJPG, 0, 0)
}

// Cancelling the context stops a Next waiting on a silent device and keeps the device; Close stops
// one too and closes it.
func TestV4L2CancelAndClose(t *testing.T) {
	sys := newFakeSystem(t)
	cam := fixtureCam(t, "Fixture Cam")
	sys.plug("/dev/video0", cam)
	sys.waitDelay = 5 * time.Millisecond // a silent device: each poll takes a while
	opts := fixtureOpts()
	opts.Timeout = time.Hour
	src, err := openV4L2(testCtx(t), sys, "/dev/video0", opts)
	if err != nil {
		t.Fatal(err)
	}
	silence := make([]string, 100000)
	for i := range silence {
		silence[i] = "timeout"
	}
	sys.play(silence...)
	ctx, cancel := context.WithTimeout(testCtx(t), 30*time.Millisecond)
	defer cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next with an expiring context: %v", err)
	}
	if _, open := sys.openCount(); open != 1 {
		t.Fatal("a cancelled Next closed the device")
	}
	done := make(chan error, 1)
	go func() { _, err := src.Next(testCtx(t)); done <- err }()
	time.Sleep(20 * time.Millisecond)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a waiting Next")
	}
	if _, open := sys.openCount(); open != 0 {
		t.Fatal("Close left the device open")
	}
}

func TestV4L2OpenErrors(t *testing.T) {
	sys := newFakeSystem(t)
	sys.plug("/dev/video0", c920())
	sys.notCapture["/dev/video1"] = true
	ctx := testCtx(t)
	if _, err := openV4L2(ctx, sys, "Logitech BRIO", Options{}); !errors.Is(err, ErrNoDevice) ||
		!strings.Contains(err.Error(), `found /dev/video0 "HD Pro Webcam C920"`) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := openV4L2(ctx, sys, "/dev/video7", Options{}); !errors.Is(err, ErrNoDevice) {
		t.Errorf("missing node: %v", err)
	}
	if _, err := openV4L2(ctx, sys, "/dev/video1", Options{}); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "not a video capture device") {
		t.Errorf("metadata node: %v", err)
	}
	if _, err := openV4L2(ctx, sys, "/dev/video0", Options{Format: GREY}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "HD Pro Webcam C920") {
		t.Errorf("format not offered: %v", err)
	}
	if _, open := sys.openCount(); open != 0 {
		t.Errorf("%d devices left open by failed opens", open)
	}
	if runtime.GOOS != "linux" {
		if _, err := OpenV4L2(ctx, "/dev/video0", Options{}); !errors.Is(err, ErrUnsupported) {
			t.Errorf("OpenV4L2 off Linux: %v", err)
		}
	}
}

func TestListDevices(t *testing.T) {
	sys := newFakeSystem(t)
	sys.plug("/dev/video0", c920())
	sys.notCapture["/dev/video1"] = true
	sys.denied["/dev/video2"] = true
	sys.plug("/dev/video3", fixtureCam(t, "Fixture Cam"))
	list := listDevices(sys)
	if len(list) != 3 {
		t.Fatalf("%d devices, want 3 (the metadata node left out): %+v", len(list), list)
	}
	if list[1].Path != "/dev/video2" || list[1].Error != "permission denied" {
		t.Errorf("denied device: %+v", list[1])
	}
	c := list[0]
	if c.Path != "/dev/video0" || c.Name != "HD Pro Webcam C920" || len(c.Formats) != 3 {
		t.Fatalf("C920: %+v", c)
	}
	if c.Formats[0].FourCC != "YUYV" || c.Formats[1].FourCC != "MJPG" || c.Formats[2].FourCC != "H264" || c.Formats[2].Format != FormatUnknown {
		t.Errorf("formats not in preference order: %+v", c.Formats)
	}
	want := "/dev/video0\tHD Pro Webcam C920\n" +
		"  YUYV YUYV 4:2:2\n    640x480 @ 30, 15 fps\n    1280x720 @ 10, 5 fps\n    1920x1080 @ 5 fps\n" +
		"  MJPG Motion-JPEG\n    640x480 @ 30, 24, 15 fps\n    1280x720 @ 30, 24, 15 fps\n    1920x1080 @ 30, 24, 15 fps\n" +
		"  H264 H.264 (not supported by ocellus)"
	if got := c.String(); got != want {
		t.Errorf("String():\n%s\nwant:\n%s", got, want)
	}
	if _, open := sys.openCount(); open != 0 {
		t.Errorf("listing left %d devices open", open)
	}
	// This machine has no cameras (or, off Linux, no V4L2): an empty list, no error.
	real, err := List()
	if err != nil {
		t.Fatalf("List(): %v", err)
	}
	for _, d := range real {
		t.Logf("found %s", d.String())
	}
}

func TestBackoff(t *testing.T) {
	b := Backoff{First: 10 * time.Millisecond, Max: 70 * time.Millisecond}
	want := []time.Duration{0, 10, 20, 40, 70, 70, 70}
	for n, w := range want {
		if got := b.Delay(n); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w*time.Millisecond)
		}
	}
	if d := (Backoff{}).Delay(100); d != DefaultBackoffMax {
		t.Errorf("default Delay(100) = %v", d)
	}
	if err := (Backoff{First: time.Second, Max: time.Millisecond}).Validate(); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("First > Max: %v", err)
	}
}
