package store

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// openTemp opens a new store in a temporary folder. opts may be nil; NoSync is set unless the
// test asks for real syncs with sync=true.
func openTemp(t *testing.T, opts *Options) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "test.db"), opts)
}

func openAt(t *testing.T, path string, opts *Options) *Store {
	t.Helper()
	o := Options{NoSync: true}
	if opts != nil {
		o = *opts
	}
	s, err := Open(path, &o)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixedClock returns a clock that advances one second per call from a fixed start.
func fixedClock() func() time.Time {
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	n := 0
	return func() time.Time {
		n++
		return t0.Add(time.Duration(n) * time.Second)
	}
}

// testRGBA draws a w×h image that differs for every seed.
func testRGBA(seed uint64, w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	c0 := color.RGBA{uint8(r.IntN(128)), uint8(r.IntN(128)), uint8(r.IntN(128)), 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{c0.R + uint8(x*3), c0.G + uint8(y*5), c0.B + uint8((x+y)*2), 255})
		}
	}
	// A few random dots make every image unique even for equal first colours.
	for i := 0; i < 8; i++ {
		img.SetRGBA(r.IntN(w), r.IntN(h), color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255})
	}
	return img
}

func testJPEG(t testing.TB, seed uint64, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testRGBA(seed, w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testPNG(t testing.TB, seed uint64, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testRGBA(seed, w, h)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testBMP writes a 24-bit bottom-up BMP of testRGBA(seed, w, h).
func testBMP(t testing.TB, seed uint64, w, h int) []byte {
	t.Helper()
	img := testRGBA(seed, w, h)
	stride := (w*3 + 3) &^ 3
	size := 54 + stride*h
	b := make([]byte, size)
	copy(b, "BM")
	le := binary.LittleEndian
	le.PutUint32(b[2:], uint32(size))
	le.PutUint32(b[10:], 54)
	le.PutUint32(b[14:], 40)
	le.PutUint32(b[18:], uint32(w))
	le.PutUint32(b[22:], uint32(h))
	le.PutUint16(b[26:], 1)
	le.PutUint16(b[28:], 24)
	le.PutUint32(b[34:], uint32(stride*h))
	for y := 0; y < h; y++ {
		row := b[54+(h-1-y)*stride:]
		for x := 0; x < w; x++ {
			c := img.RGBAAt(x, y)
			row[3*x], row[3*x+1], row[3*x+2] = c.B, c.G, c.R
		}
	}
	return b
}

// mustAddLabels adds labels or fails.
func mustAddLabels(t testing.TB, s *Store, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := s.AddLabel(n); err != nil {
			t.Fatalf("AddLabel(%q): %v", n, err)
		}
	}
}

// mustAdd adds a JPEG sample with the given seed and label.
func mustAdd(t testing.TB, s *Store, seed uint64, label string) Sample {
	t.Helper()
	smp, err := s.AddSample(NewSample{Image: testJPEG(t, seed, 24, 16), Label: label})
	if err != nil {
		t.Fatalf("AddSample(seed %d, %q): %v", seed, label, err)
	}
	return smp
}

// mustVerify fails the test if Verify finds a problem.
func mustVerify(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Verify(); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
