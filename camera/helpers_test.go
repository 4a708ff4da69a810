package camera

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Fixture geometry (testdata/gen.sh).
const fixW, fixH, fixFrames = 64, 48, 3

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("testdata/%s (regenerate with testdata/gen.sh): %v", name, err)
	}
	return b
}

// fixtureJPEGs splits testdata/testsrc2.mjpeg into its frames.
func fixtureJPEGs(t testing.TB) [][]byte {
	t.Helper()
	data := readTestdata(t, "testsrc2.mjpeg")
	r := bufio.NewReader(bytes.NewReader(data))
	var frames [][]byte
	for {
		f, err := readJPEG(r, nil, MaxFrameBytes)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("splitting testsrc2.mjpeg: %v", err)
		}
		frames = append(frames, f)
	}
	if len(frames) != fixFrames {
		t.Fatalf("testsrc2.mjpeg has %d frames, want %d", len(frames), fixFrames)
	}
	return frames
}

// rawFixture returns frame k of a raw fixture file with n bytes per frame.
func rawFixture(t testing.TB, name string, n, k int) []byte {
	t.Helper()
	b := readTestdata(t, name)
	if len(b) != n*fixFrames {
		t.Fatalf("testdata/%s has %d bytes, want %d", name, len(b), n*fixFrames)
	}
	return b[k*n : (k+1)*n]
}

// stripDHT returns a copy of a JPEG without the DHT segments before its first scan, or with only the
// tables for which keep returns true (as a UVC camera sends frames: no tables at all).
func stripDHT(t testing.TB, frame []byte, keep func(classID byte) bool) []byte {
	t.Helper()
	out := []byte{0xff, 0xd8}
	i := 2
	for {
		if i+4 > len(frame) || frame[i] != 0xff {
			t.Fatalf("stripDHT: bad marker at %d", i)
		}
		m := frame[i+1]
		n := int(frame[i+2])<<8 | int(frame[i+3])
		seg := frame[i : i+2+n]
		if m == 0xda {
			return append(out, frame[i:]...)
		}
		i += 2 + n
		if m != 0xc4 {
			out = append(out, seg...)
			continue
		}
		var kept []byte
		for p := seg[4:]; len(p) > 0; {
			count := 0
			for _, c := range p[1:17] {
				count += int(c)
			}
			if keep != nil && keep(p[0]) {
				kept = append(kept, p[:17+count]...)
			}
			p = p[17+count:]
		}
		if len(kept) > 0 {
			out = append(out, 0xff, 0xc4, byte((len(kept)+2)>>8), byte(len(kept)+2))
			out = append(out, kept...)
		}
	}
}

// encodePNG returns a w×h PNG with a gradient.
func encodePNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
