package camera

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFolderSource(t *testing.T) {
	frames := fixtureJPEGs(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.jpg"), frames[0])
	writeFile(t, filepath.Join(dir, "b.JPEG"), frames[1])
	writeFile(t, filepath.Join(dir, "c.png"), encodePNG(t, 6, 3))
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("not an image"))
	if err := os.Mkdir(filepath.Join(dir, "d.jpg"), 0o755); err != nil { // a folder named like an image
		t.Fatal(err)
	}
	ctx := testCtx(t)
	src, err := OpenFolder(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	check := func(seq uint64, want string) {
		t.Helper()
		f, err := src.Next(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", seq, err)
		}
		if f.Seq != seq {
			t.Fatalf("frame %d has Seq %d", seq, f.Seq)
		}
		switch want {
		case "a", "b":
			if f.Format != MJPEG || f.W != fixW || f.H != fixH || !bytes.Equal(f.Data, frames[want[0]-'a']) {
				t.Fatalf("frame %d: %v %dx%d, want the bytes of %s.jpg", seq, f.Format, f.W, f.H, want)
			}
		case "c":
			if f.Format != RGB24 || f.W != 6 || f.H != 3 || len(f.Data) != 54 {
				t.Fatalf("frame %d: %v %dx%d, want the decoded PNG", seq, f.Format, f.W, f.H)
			}
		}
	}
	for i, want := range []string{"a", "b", "c", "a", "b", "c", "a"} {
		check(uint64(i), want)
	}

	once, err := OpenFolder(dir, Options{Once: true})
	if err != nil {
		t.Fatal(err)
	}
	defer once.Close()
	for i := 0; i < 3; i++ {
		if _, err := once.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := once.Next(ctx); err != io.EOF {
		t.Fatalf("after the last image with Once: %v, want io.EOF", err)
	}
}

func TestFolderSourceErrors(t *testing.T) {
	frames := fixtureJPEGs(t)
	dir := t.TempDir()
	if _, err := OpenFolder(dir, Options{}); !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "holds no") {
		t.Fatalf("empty folder: %v", err)
	}
	if _, err := OpenFolder(filepath.Join(dir, "missing"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing folder: %v", err)
	}
	writeFile(t, filepath.Join(dir, "1.jpg"), frames[0])
	writeFile(t, filepath.Join(dir, "2.png"), []byte("\x89PNG\r\n\x1a\nbroken"))
	writeFile(t, filepath.Join(dir, "3.jpg"), frames[2])
	src, err := OpenFolder(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := testCtx(t)
	expectFrame(t, ctx, src, frames[0], 0)
	expectErr(t, ctx, src, nil, "2.png")
	expectFrame(t, ctx, src, frames[2], 1)
}

func TestMJPEGFileSource(t *testing.T) {
	frames := fixtureJPEGs(t)
	ctx := testCtx(t)
	src, err := OpenMJPEGFile(filepath.Join("testdata", "testsrc2.mjpeg"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := 0; i < 7; i++ {
		expectFrame(t, ctx, src, frames[i%3], uint64(i))
	}

	// Padding between images is skipped; a file cut inside an image gives ErrTruncated, then the
	// source starts over; with Once it ends with io.EOF.
	dir := t.TempDir()
	var b bytes.Buffer
	b.Write(frames[0])
	b.Write(make([]byte, 37))
	b.Write(frames[1])
	b.WriteString("\r\n")
	b.Write(frames[2][:len(frames[2])/2])
	path := filepath.Join(dir, "cut.mjpg")
	writeFile(t, path, b.Bytes())
	cut, err := OpenMJPEGFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cut.Close()
	expectFrame(t, ctx, cut, frames[0], 0)
	expectFrame(t, ctx, cut, frames[1], 1)
	expectErr(t, ctx, cut, ErrTruncated, "cut.mjpg, frame 2")
	expectFrame(t, ctx, cut, frames[0], 2)

	path = filepath.Join(dir, "two.mjpeg")
	writeFile(t, path, append(append([]byte(nil), frames[0]...), frames[1]...))
	once, err := OpenMJPEGFile(path, Options{Once: true})
	if err != nil {
		t.Fatal(err)
	}
	defer once.Close()
	expectFrame(t, ctx, once, frames[0], 0)
	expectFrame(t, ctx, once, frames[1], 1)
	if _, err := once.Next(ctx); err != io.EOF {
		t.Fatalf("end of file with Once: %v, want io.EOF", err)
	}

	writeFile(t, filepath.Join(dir, "x.mjpeg"), []byte("RIFF....AVI "))
	if _, err := OpenMJPEGFile(filepath.Join(dir, "x.mjpeg"), Options{}); !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("a file that is not MJPEG: %v", err)
	}
}

func TestRawFileSource(t *testing.T) {
	ctx := testCtx(t)
	path := filepath.Join("testdata", "testsrc2.yuyv")
	n := YUYV.FrameLen(fixW, fixH)
	src, err := OpenRawFile(path, YUYV, fixW, fixH, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var first Frame
	for i := 0; i < 5; i++ {
		f, err := src.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Format != YUYV || f.W != fixW || f.H != fixH || f.Seq != uint64(i) || !bytes.Equal(f.Data, rawFixture(t, "testsrc2.yuyv", n, i%3)) {
			t.Fatalf("frame %d: %v %dx%d seq %d, or wrong bytes", i, f.Format, f.W, f.H, f.Seq)
		}
		if i == 0 {
			first = f.Clone()
		}
	}
	// Data is reused; a clone is not.
	if !bytes.Equal(first.Data, rawFixture(t, "testsrc2.yuyv", n, 0)) {
		t.Fatal("Clone shares storage with the source's buffer")
	}

	once, err := OpenRawFile(path, YUYV, fixW, fixH, Options{Once: true})
	if err != nil {
		t.Fatal(err)
	}
	defer once.Close()
	for i := 0; i < 3; i++ {
		if _, err := once.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := once.Next(ctx); err != io.EOF {
		t.Fatalf("end with Once: %v, want io.EOF", err)
	}

	if _, err := OpenRawFile(path, YUYV, 50, 48, Options{}); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "not a whole number") {
		t.Errorf("wrong size: %v", err)
	}
	if _, err := OpenRawFile(path, YUYV, 63, 48, Options{}); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("odd width: %v", err)
	}
	if _, err := OpenRawFile(path, MJPEG, 64, 48, Options{}); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("mjpeg as raw: %v", err)
	}
}

// Pacing waits are bounded by the context and by Close.
func TestPacedSourceCancel(t *testing.T) {
	src, err := OpenRawFile(filepath.Join("testdata", "testsrc2.gray"), GREY, fixW, fixH, Options{FPS: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(testCtx(t)); err != nil { // the first frame is due at once
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Millisecond)
	defer cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("paced Next with an expiring context: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := src.Next(testCtx(t)); done <- err }()
	time.Sleep(20 * time.Millisecond)
	src.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("paced Next after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a paced Next")
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
}
