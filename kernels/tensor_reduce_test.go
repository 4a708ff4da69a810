package kernels

import (
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

func TestReduceMeanF32Random(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 500; iter++ {
		rank := rng.IntN(7)
		shape := tsRandShape(rng, rank, 2, 6)
		var axes []int
		for a := 0; a < rank; a++ {
			if rng.IntN(2) == 0 {
				axes = append(axes, a)
			}
		}
		x := tsRandF32(rng, tsNumel(shape))
		want := ref.ReduceMean(x, shape, axes)
		y, check := tsGuarded(t, len(want), float32(-3))
		ReduceMeanF32(x, shape, axes, y)
		check()
		tsClose(t, "ReduceMeanF32", y, want, 1e-6, 1e-5)
	}
}

func TestReduceMeanF32Layouts(t *testing.T) {
	rng := tsRNG(t)
	cases := []struct{ shape, axes []int }{
		{[]int{1, 14, 14, 576}, []int{1, 2}}, // NHWC global average pool
		{[]int{2, 7, 7, 130}, []int{1, 2}},   // batched, column tile edge
		{[]int{2, 64, 7, 7}, []int{2, 3}},    // NCHW global average pool
		{[]int{3, 5, 4}, []int{0, 2}},        // general walk
		{[]int{300, 4}, []int{0}},            // [R, K]
		{[]int{1000}, []int{0}},              // [R]
		{[]int{4, 1, 5}, []int{1}},           // only a size-1 axis: copy
		{[]int{}, nil},                       // scalar
		{[]int{3, 4}, nil},                   // no axes: copy
		{[]int{3, 1, 1}, []int{1, 2}},
	}
	for _, c := range cases {
		x := tsRandF32(rng, tsNumel(c.shape))
		want := ref.ReduceMean(x, c.shape, c.axes)
		y := make([]float32, len(want))
		ReduceMeanF32(x, c.shape, c.axes, y)
		tsClose(t, "ReduceMeanF32", y, want, 1e-6, 1e-5)
	}
	y := make([]float32, 3)
	ReduceMeanF32(nil, []int{3, 0}, []int{1}, y)
	for _, v := range y {
		if !math.IsNaN(float64(v)) {
			t.Fatalf("mean over an empty axis = %v, want NaN", v)
		}
	}
	tsMustPanic(t, "unsorted axes", func() { ReduceMeanF32(make([]float32, 6), []int{2, 3}, []int{1, 0}, y[:1]) })
	tsMustPanic(t, "axis range", func() { ReduceMeanF32(make([]float32, 6), []int{2, 3}, []int{2}, y[:1]) })
	tsMustPanic(t, "len y", func() { ReduceMeanF32(make([]float32, 6), []int{2, 3}, []int{1}, y[:3]) })
}

func TestReduceMeanF32Accuracy(t *testing.T) {
	// 224·224 values of 0.1: a float32 running sum would drift by ~1e-3.
	x := make([]float32, 224*224*3)
	for i := range x {
		x[i] = 0.1
	}
	y := make([]float32, 3)
	ReduceMeanF32(x, []int{1, 224, 224, 3}, []int{1, 2}, y)
	for _, v := range y {
		if math.Abs(float64(v)-0.1) > 1e-7 {
			t.Fatalf("mean of 0.1s = %v", v)
		}
	}
}
