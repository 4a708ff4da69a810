package camera

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	ctx := testCtx(t)
	frames := fixtureJPEGs(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.jpg"), frames[0])
	writeFile(t, filepath.Join(dir, "b.png"), encodePNG(t, 4, 4))
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("x"))
	stream := newCamServer(t, streamParts(t, frames, -1, true))
	for _, c := range []struct {
		spec   string
		format PixelFormat
		w, h   int
		typ    string
	}{
		{"demo", RGB24, DefaultDemoWidth, DefaultDemoHeight, "*camera.Demo"},
		{"demo:42", RGB24, DefaultDemoWidth, DefaultDemoHeight, "*camera.Demo"},
		{stream.URL + "/stream", MJPEG, fixW, fixH, "*camera.HTTPStream"},
		{"yuyv:64x48:" + filepath.Join("testdata", "testsrc2.yuyv"), YUYV, fixW, fixH, "*camera.rawFile"},
		{"NV12:64X48:" + filepath.Join("testdata", "testsrc2.nv12"), NV12, fixW, fixH, "*camera.rawFile"},
		{"grey:64x48:" + filepath.Join("testdata", "testsrc2.gray"), GREY, fixW, fixH, "*camera.rawFile"},
		{filepath.Join("testdata", "testsrc2.mjpeg"), MJPEG, fixW, fixH, "*camera.mjpegFile"},
		{dir, MJPEG, fixW, fixH, "*camera.imageFiles"},
		{filepath.Join(dir, "b.png"), RGB24, 4, 4, "*camera.imageFiles"},
	} {
		src, err := Open(ctx, c.spec, Options{})
		if err != nil {
			t.Errorf("Open(%q): %v", c.spec, err)
			continue
		}
		f, err := src.Next(ctx)
		src.Close()
		if typ := typeName(src); err != nil || f.Format != c.format || f.W != c.w || f.H != c.h || typ != c.typ {
			t.Errorf("Open(%q): %s, first frame %v %dx%d, err %v; want %s, %v %dx%d", c.spec, typ, f.Format, f.W, f.H, err, c.typ, c.format, c.w, c.h)
		}
	}
	a, _ := Open(ctx, "demo:42", Options{})
	b, _ := Open(ctx, "demo", Options{Seed: 42})
	fa, _ := a.Next(ctx)
	fb, _ := b.Next(ctx)
	if string(fa.Data) != string(fb.Data) {
		t.Error(`"demo:42" is not the demo with seed 42`)
	}

	for _, c := range []struct {
		spec string
		want error
		text string
	}{
		{"", ErrInvalidSpec, "empty"},
		{"demo:x", ErrInvalidSpec, "seed"},
		{"yuyv:64:" + filepath.Join("testdata", "testsrc2.yuyv"), ErrInvalidSpec, "WIDTHxHEIGHT"},
		{"yuyv:60x48:" + filepath.Join("testdata", "testsrc2.yuyv"), ErrTruncated, "not a whole number"},
		{filepath.Join(dir, "notes.txt"), ErrInvalidSpec, "not a folder, an .mjpeg file or an image"},
		{filepath.Join(dir, "missing.mjpeg"), ErrInvalidSpec, "no such file or folder"},
		{"ftp://camera/stream", ErrInvalidSpec, "no such file or folder"},
	} {
		if _, err := Open(ctx, c.spec, Options{}); !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("Open(%q): %v; want %v containing %q", c.spec, err, c.want, c.text)
		}
	}
	// Names and device paths go to V4L2: on this machine (no cameras) or off Linux they fail clearly.
	for _, spec := range []string{"/dev/video9", "v4l2:HD Pro Webcam C920", "HD Pro Webcam C920"} {
		_, err := Open(ctx, spec, Options{})
		want := ErrNoDevice
		if runtime.GOOS != "linux" {
			want = ErrUnsupported
		}
		if !errors.Is(err, want) {
			t.Errorf("Open(%q): %v, want %v", spec, err, want)
		}
	}
	if _, err := Open(ctx, "demo", Options{FPS: -1}); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("invalid options: %v", err)
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
