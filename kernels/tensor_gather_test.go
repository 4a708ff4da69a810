package kernels

import (
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

func TestGatherRandom(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 300; iter++ {
		rank := 1 + rng.IntN(4)
		shape := tsRandShape(rng, rank, 1, 5)
		axis := rng.IntN(rank)
		ishape := tsRandShape(rng, rng.IntN(3), 0, 3)
		idx := make([]int64, tsNumel(ishape))
		l := int64(shape[axis])
		for i := range idx {
			idx[i] = rng.Int64N(2*l) - l // [-l, l)
		}
		x := tsRandF32(rng, tsNumel(shape))
		want, _ := ref.Gather(x, shape, axis, idx, ishape)
		y, check := tsGuarded(t, len(want), float32(-1))
		a := axis
		if rng.IntN(2) == 0 {
			a -= rank
		}
		Gather(x, shape, a, idx, ishape, y)
		check()
		tsEqual(t, "Gather", y, want)
	}
}

func TestGatherPanics(t *testing.T) {
	x := make([]float32, 6)
	tsMustPanic(t, "index", func() { Gather(x, []int{2, 3}, 1, []int64{3}, []int{1}, x[:2]) })
	tsMustPanic(t, "negative index", func() { Gather(x, []int{2, 3}, 1, []int64{-4}, []int{1}, x[:2]) })
	tsMustPanic(t, "rank 0", func() { Gather(x[:1], []int{}, 0, []int64{0}, []int{}, x[:1]) })
	tsMustPanic(t, "len y", func() { Gather(x, []int{2, 3}, 0, []int64{0}, []int{}, x[:2]) })
}
