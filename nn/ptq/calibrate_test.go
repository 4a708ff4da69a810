package ptq

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

func calibrate(t *testing.T, m *onnxpb.Model, samples ...*tensor.Tensor) *Calibrator {
	t.Helper()
	c, err := NewCalibrator(m, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if err := c.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestCalibrationMinMax: x → 1×1 conv (y = 2x + 1) → Relu → r; a = r + x.
// The Relu folds into the conv, so calibration tracks r (not the conv
// output), x and a; their ranges are the hand-computed extremes.
func TestCalibrationMinMax(t *testing.T) {
	b := newBuilder(13, 1)
	b.input("x", 1, 1, 2, 2)
	b.init("w", []int64{1, 1, 1, 1}, []float32{2})
	b.init("b", []int64{1}, []float32{1})
	b.node("Conv", []string{"x", "w", "b"}, []string{"c"})
	b.node("Relu", []string{"c"}, []string{"r"})
	b.node("Add", []string{"r", "x"}, []string{"a"})
	b.output("a")
	p, err := Prepare(b.m)
	if err != nil {
		t.Fatal(err)
	}
	if got := makePlan(p.Graph, 0, 0).calibrated(); !reflect.DeepEqual(got, []string{"a", "r", "x"}) {
		t.Fatalf("calibrated tensors %v, want [a r x]", got)
	}
	c, err := NewCalibrator(p, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ranges(MinMax, 0); !errors.Is(err, ErrNoSamples) {
		t.Errorf("Ranges before any sample: %v, want ErrNoSamples", err)
	}
	// c = 2x+1: s1 → [-1 1 3 5], s2 → [7 -3 2 1]; r = relu(c); a = r + x.
	for _, s := range [][]float32{{-1, 0, 1, 2}, {3, -2, 0.5, 0}} {
		if err := c.Add(tensor.FromF32(s, 1, 1, 2, 2)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Ranges(MinMax, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Range{"x": {-2, 3}, "r": {0, 7}, "a": {-2, 10}}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("range of %s: %v, want %v", k, got[k], w)
		}
	}
	if c.Samples() != 2 || c.Histograms()["a"].N != 8 {
		t.Errorf("samples %d, values of a %d; want 2 and 8", c.Samples(), c.Histograms()["a"].N)
	}
}

// TestCalibrationAlias: a Reshape to the same shape is no tensor of its own
// in the ocellus graph; the MatMul input it names takes the range of the
// Reshape's input.
func TestCalibrationAlias(t *testing.T) {
	b := newBuilder(13, 1)
	b.input("x", 1, 4)
	b.g.Initializers = append(b.g.Initializers, newInt64Tensor("shape", []int64{2}, []int64{1, 4}))
	b.node("Reshape", []string{"x", "shape"}, []string{"y"})
	b.rand("w", -1, 1, 4, 3)
	b.node("MatMul", []string{"y", "w"}, []string{"z"})
	b.output("z")
	c := calibrate(t, b.m, tensor.FromF32([]float32{-1, 0.5, 2, 0}, 1, 4))
	if c.Histograms()["y"].N != 0 {
		t.Skip("the importer now materializes the reshape; the alias fallback is not exercised")
	}
	r, err := c.Ranges(MinMax, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r["y"] != (Range{-1, 2}) {
		t.Errorf("range of y %v, want x's [-1, 2]", r["y"])
	}
}

// TestSpreadSplit: the picks are items i·len/n, the rest the others in
// order, and together they are the items.
func TestSpreadSplit(t *testing.T) {
	for _, c := range []struct{ len, n int }{{10, 3}, {10, 9}, {7, 7}, {5, 9}, {244, 100}, {3, 0}, {0, 2}} {
		items := make([]int, c.len)
		for i := range items {
			items[i] = i
		}
		picked, rest := SpreadSplit(items, c.n)
		var want []int
		if c.len <= c.n {
			want = items
		} else {
			for i := 0; i < c.n; i++ {
				want = append(want, i*c.len/c.n)
			}
		}
		if !slices.Equal(picked, want) {
			t.Errorf("SpreadSplit(%d items, %d): picked %v, want %v", c.len, c.n, picked, want)
		}
		if got := Spread(items, c.n); !slices.Equal(got, picked) {
			t.Errorf("Spread(%d items, %d) = %v, SpreadSplit picked %v", c.len, c.n, got, picked)
		}
		all := slices.Sorted(slices.Values(append(append([]int{}, picked...), rest...)))
		if !slices.Equal(all, items) || !slices.IsSorted(rest) {
			t.Errorf("SpreadSplit(%d items, %d): picked %v + rest %v are not the items", c.len, c.n, picked, rest)
		}
	}
}
