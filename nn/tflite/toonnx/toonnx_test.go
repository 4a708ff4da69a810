package toonnx_test

import (
	"errors"
	"math"
	"math/rand"
	"os"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

// compileONNX runs the converted model through ocellus's ONNX importer.
func compileONNX(t *testing.T, b []byte) *nn.Model {
	t.Helper()
	pm, err := toonnx.ToONNX(b)
	if err != nil {
		t.Fatal(err)
	}
	im, err := onnx.Import(pm.Marshal(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.FromONNX(im, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// vwwInputs returns random inputs in [0, 1] and the shared images
// preprocessed as the float VWW model wants them (RGB 96×96, x/255; the
// grey BMPs replicated to RGB by the decoder).
func vwwInputs(t *testing.T) (names []string, xs []*tensor.Tensor) {
	t.Helper()
	rng := rand.New(rand.NewSource(1))
	for i := range 4 {
		x := tensor.New(tensor.Float32, 1, 96, 96, 3)
		for k := range x.F32 {
			x.F32[k] = rng.Float32()
		}
		names = append(names, "random"+string(rune('0'+i)))
		xs = append(xs, x)
	}
	spec, err := preprocess.SpecForShape([]int{1, 96, 96, 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.SetNorm("unit"); err != nil {
		t.Fatal(err)
	}
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"person.bmp", "no_person.bmp", "grace_hopper.bmp", "cat.bmp"} {
		img, err := preprocess.DecodeFile(fixture.Path(t, "images", f))
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(tensor.Float32, 1, 96, 96, 3)
		pre.Run(img, x.F32)
		names = append(names, f)
		xs = append(xs, x)
	}
	return names, xs
}

// TestVWWMatchesTFLite: the converted vww_96_float model, run by ocellus
// through the ONNX importer, computes what ocellus's TFLite importer
// computes on the same inputs.
func TestVWWMatchesTFLite(t *testing.T) {
	path := fixture.Path(t, "models", "tflite", "vww_96_float.tflite")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := nn.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	conv := compileONNX(t, b)
	if got := conv.Inputs()[0].Shape; len(got) != 4 || got[1] != 96 || got[3] != 3 {
		t.Fatalf("converted input shape %v, want NHWC [1 96 96 3]", got)
	}
	rs, cs := ref.NewSession(), conv.NewSession()
	defer rs.Close()
	defer cs.Close()
	names, xs := vwwInputs(t)
	for i, x := range xs {
		ro, err := rs.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		r := append([]float32(nil), ro[0].F32...)
		co, err := cs.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		c := co[0].F32
		if len(r) != 2 || len(c) != 2 {
			t.Fatalf("%s: outputs %v and %v, want 2 scores", names[i], r, c)
		}
		d := 0.0
		for k := range r {
			d = math.Max(d, math.Abs(float64(r[k])-float64(c[k])))
		}
		t.Logf("%-16s tflite %.6f  onnx %.6f  max |Δ| %.2g", names[i], r, c, d)
		if d > 1e-5 {
			t.Errorf("%s: tflite %v, converted %v: max |Δ| %g > 1e-5", names[i], r, c, d)
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := toonnx.ToONNX(nil); err == nil {
		t.Error("nil bytes: no error")
	}
	q, err := os.ReadFile(fixture.Path(t, "models", "tflite", "person_detect.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := toonnx.ToONNX(q); !errors.Is(err, toonnx.ErrQuantized) {
		t.Errorf("quantized person_detect.tflite: %v, want ErrQuantized", err)
	}
}
