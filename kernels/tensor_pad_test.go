package kernels

import (
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

func TestPadRandom(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 1500; iter++ {
		mode := PadMode(rng.IntN(4))
		rank := rng.IntN(6)
		shape := tsRandShape(rng, rank, 1, 5)
		begin := make([]int, rank)
		end := make([]int, rank)
		for a := 0; a < rank; a++ {
			for {
				begin[a] = rng.IntN(7) - 3
				end[a] = rng.IntN(7) - 3
				out := shape[a] + begin[a] + end[a]
				l := shape[a] - max(-begin[a], 0) - max(-end[a], 0)
				if out < 0 {
					continue
				}
				if mode != PadConstant && l <= 0 && out > 0 {
					continue // only constant mode can pad an axis cropped away
				}
				break
			}
		}
		x := make([]int32, tsNumel(shape))
		for i := range x {
			x[i] = int32(i + 1)
		}
		want, _ := ref.Pad(x, shape, begin, end, int(mode), -9)
		y, check := tsGuarded(t, len(want), int32(-77))
		Pad(x, shape, begin, end, mode, -9, y)
		check()
		if t.Failed() {
			return
		}
		for i := range y {
			if y[i] != want[i] {
				t.Fatalf("Pad %v shape %v begin %v end %v: element %d = %d, want %d",
					mode, shape, begin, end, i, y[i], want[i])
			}
		}
	}
}

func TestPadExamples(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	cases := []struct {
		mode       PadMode
		begin, end int
		want       []float32
	}{
		{PadConstant, 2, 1, []float32{0.5, 0.5, 1, 2, 3, 4, 0.5}},
		{PadReflect, 2, 2, []float32{3, 2, 1, 2, 3, 4, 3, 2}},
		{PadEdge, 2, 2, []float32{1, 1, 1, 2, 3, 4, 4, 4}},
		{PadWrap, 2, 2, []float32{3, 4, 1, 2, 3, 4, 1, 2}},
		{PadWrap, -1, 3, []float32{2, 3, 4, 2, 3, 4}}, // crop then wrap the cropped axis
		{PadReflect, 2, -1, []float32{3, 2, 1, 2, 3}}, // crop end, reflect begin
		{PadConstant, -5, 3, []float32{0.5, 0.5}},     // over-cropped: all constant
		{PadEdge, -1, -1, []float32{2, 3}},            // crop only
	}
	for _, c := range cases {
		y := make([]float32, len(c.want))
		Pad(x, []int{4}, []int{c.begin}, []int{c.end}, c.mode, 0.5, y)
		tsEqual(t, c.mode.String(), y, c.want)
	}
	// NHWC spatial padding, as before a convolution.
	rng := tsRNG(t)
	shape := []int{1, 5, 6, 3}
	img := tsRandF32(rng, tsNumel(shape))
	begin, end := []int{0, 1, 1, 0}, []int{0, 2, 1, 0}
	want, _ := ref.Pad(img, shape, begin, end, ref.PadConstant, 0)
	y := make([]float32, len(want))
	Pad(img, shape, begin, end, PadConstant, 0, y)
	tsEqual(t, "NHWC", y, want)
	// Rank 0.
	s := []float32{0}
	Pad([]float32{3}, nil, nil, nil, PadReflect, 0, s)
	tsEqual(t, "rank 0", s, []float32{3})
}

func TestPadPanics(t *testing.T) {
	x := []float32{1, 2, 3}
	tsMustPanic(t, "negative output", func() { Pad(x, []int{3}, []int{-2}, []int{-2}, PadConstant, 0, nil) })
	tsMustPanic(t, "edge of nothing", func() { Pad(x, []int{3}, []int{-3}, []int{1}, PadEdge, 0, x[:1]) })
	tsMustPanic(t, "len pads", func() { Pad(x, []int{3}, []int{1, 1}, []int{0}, PadEdge, 0, x) })
	tsMustPanic(t, "len y", func() { Pad(x, []int{3}, []int{1}, []int{0}, PadEdge, 0, x) })
}
