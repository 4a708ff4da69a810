package plugin

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// watWasm reads a committed module assembled from testdata/wat/NAME.wat
// (regenerate: cd testdata/wat && for f in *.wat; do wat2wasm $f -o ${f%.wat}.wasm; done).
func watWasm(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wat", name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomRGB is a w×h image with values in [lo, hi] drawn from seed.
func randomRGB(seed uint64, w, h int, lo, hi int) *preprocess.RGB8 {
	r := rand.New(rand.NewPCG(seed, 7))
	img := preprocess.NewRGB8(w, h)
	for i := range img.Pix {
		img.Pix[i] = uint8(lo + r.IntN(hi-lo+1))
	}
	return img
}

// wantError checks that err wraps kind and its message contains every fragment.
func wantError(t *testing.T, err error, kind error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want an error wrapping %v", err, kind)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("%v is not a *plugin.Error", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

// process runs one frame and fails the test on error.
func process(t *testing.T, p *Plugin, in Frame) *Output {
	t.Helper()
	var out Output
	if err := p.Process(context.Background(), in, &out); err != nil {
		t.Fatalf("process %dx%d %v: %v", in.W, in.H, in.Format, err)
	}
	return &out
}

func rgbFrame(img *preprocess.RGB8) Frame {
	return Frame{W: img.W, H: img.H, Format: RGB8, Pix: img.Pix}
}
