package toonnx_test

import (
	"os"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

// TestCorruptNoPanic: truncated and corrupted models give errors or
// models, never a panic. The seed is printed; TOONNX_SEED=N replays or
// varies it.
func TestCorruptNoPanic(t *testing.T) {
	vww, err := os.ReadFile(fixture.Path(t, "models", "tflite", "vww_96_float.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := toonnx.ToONNX(vww[:len(vww)/2]); err == nil {
		t.Error("vww truncated to half: no error")
	}
	refused, tried := tflitetest.Corrupt(t, "TOONNX_SEED", tflitetest.FloatOps(), vww, func(b []byte) error {
		_, err := toonnx.ToONNX(b)
		return err
	})
	t.Logf("%d of %d corrupted models refused", refused, tried)
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
