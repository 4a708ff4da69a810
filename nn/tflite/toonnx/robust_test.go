package toonnx_test

import (
	"fmt"
	"math/rand"
	"os"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

// TestCorruptNoPanic: truncated and corrupted models give errors or
// models, never a panic. The seed is printed; TOONNX_SEED=N replays or
// varies it.
func TestCorruptNoPanic(t *testing.T) {
	seed := int64(1)
	if s := os.Getenv("TOONNX_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	small := tflitetest.FloatOps()
	vww, err := os.ReadFile(fixture.Path(t, "models", "tflite", "vww_96_float.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(small); n += 7 {
		if _, err := toonnx.ToONNX(small[:n]); err == nil {
			t.Errorf("model truncated to %d of %d bytes: no error", n, len(small))
		}
	}
	if _, err := toonnx.ToONNX(vww[:len(vww)/2]); err == nil {
		t.Error("vww truncated to half: no error")
	}
	errs, n := 0, 3000
	if testing.Short() {
		n = 500
	}
	for range n {
		if _, err := toonnx.ToONNX(fbtest.Mutate(rng, small)); err != nil {
			errs++
		}
	}
	for range 100 {
		// Mutations in the first and last 16 KiB (tables, not weights).
		c := fbtest.Mutate(rng, vww[:16<<10])
		c = append(c, vww[16<<10:len(vww)-16<<10]...)
		c = append(c, fbtest.Mutate(rng, vww[len(vww)-16<<10:])...)
		if _, err := toonnx.ToONNX(c); err != nil {
			errs++
		}
	}
	t.Logf("%d of %d corrupted models refused", errs, n+100)
}

// FuzzToONNX: ToONNX returns an error or a model for any bytes, never
// panics.
//
//	go test -run '^$' -fuzz FuzzToONNX -fuzztime 3m -fuzzminimizetime 2s ./nn/tflite/toonnx
func FuzzToONNX(f *testing.F) {
	small := tflitetest.FloatOps()
	f.Add(small)
	f.Add(small[:len(small)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		toonnx.ToONNX(b)
	})
}
