package kernels

import (
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

func TestSoftmaxF32Random(t *testing.T) {
	rng := tsRNG(t)
	sizes := []int{1, 2, 3, 13, 63, 64, 65, 130}
	for iter := 0; iter < 300; iter++ {
		outer := 1 + rng.IntN(3)
		axisLen := sizes[rng.IntN(len(sizes))]
		inner := sizes[rng.IntN(len(sizes))]
		if iter%3 == 0 {
			inner = 1
		}
		n := outer * axisLen * inner
		x := tsRandF32(rng, n)
		scale := float32([]float64{1, 10, 100}[rng.IntN(3)])
		for i := range x {
			x[i] *= scale
		}
		want := ref.Softmax(x, outer, axisLen, inner)
		y, check := tsGuarded(t, n, float32(-5))
		SoftmaxF32(x, y, outer, axisLen, inner)
		check()
		tsClose(t, "SoftmaxF32", y, want, 1e-7, 2e-6)
		SoftmaxF32(x, x, outer, axisLen, inner) // in place
		tsClose(t, "SoftmaxF32 in place", x, want, 1e-7, 2e-6)
	}
}

func TestSoftmaxF32Stable(t *testing.T) {
	x := []float32{1000, 1001, 1002, -1e30, float32(math.Inf(-1))}
	y := make([]float32, len(x))
	SoftmaxF32(x, y, 1, len(x), 1)
	tsClose(t, "large inputs", y, ref.Softmax(x, 1, len(x), 1), 1e-7, 2e-6)
	if y[3] != 0 || y[4] != 0 {
		t.Fatalf("tiny inputs should give 0, got %v", y)
	}
	x = []float32{1, float32(math.NaN()), 2}
	SoftmaxF32(x, y[:3], 1, 3, 1)
	for _, v := range y[:3] {
		if !math.IsNaN(float64(v)) {
			t.Fatalf("NaN must propagate along the axis, got %v", y[:3])
		}
	}
	SoftmaxF32(nil, nil, 0, 5, 3) // empty
	tsMustPanic(t, "len", func() { SoftmaxF32(x, y, 1, 4, 1) })
}

func TestTensorExpF32(t *testing.T) {
	worst := 0.0
	for x := -87.0; x <= 88.5; x += 0.001953 {
		got := float64(tensorExpF32(float32(x)))
		want := math.Exp(float64(float32(x)))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	if worst > 3e-7 { // float32 ulp is 6e-8 relative at worst 1.2e-7
		t.Fatalf("tensorExpF32 worst relative error %g", worst)
	}
	if tensorExpF32(-100) != 0 || !math.IsInf(float64(tensorExpF32(100)), 1) ||
		!math.IsNaN(float64(tensorExpF32(float32(math.NaN())))) || tensorExpF32(0) != 1 {
		t.Fatal("tensorExpF32 special values")
	}
}
