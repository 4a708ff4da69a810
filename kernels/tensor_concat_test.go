package kernels

import (
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

func TestConcatRandom(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 300; iter++ {
		rank := 1 + rng.IntN(5)
		base := tsRandShape(rng, rank, 1, 4)
		axis := rng.IntN(rank)
		k := 1 + rng.IntN(4)
		inputs := make([][]int16, k)
		shapes := make([][]int, k)
		for i := range inputs {
			s := append([]int(nil), base...)
			s[axis] = rng.IntN(4) // zero-length inputs included
			shapes[i] = s
			inputs[i] = make([]int16, tsNumel(s))
			for j := range inputs[i] {
				inputs[i][j] = int16(rng.IntN(30000))
			}
		}
		want, _ := ref.Concat(inputs, shapes, axis)
		y, check := tsGuarded(t, len(want), int16(-1))
		a := axis
		if rng.IntN(2) == 0 {
			a -= rank // negative axis
		}
		Concat(inputs, shapes, a, y)
		check()
		tsEqual(t, "Concat", y, want)
	}
}

func TestConcatPanics(t *testing.T) {
	x := make([]float32, 6)
	tsMustPanic(t, "shape mismatch", func() {
		Concat([][]float32{x, x}, [][]int{{2, 3}, {3, 2}}, 0, make([]float32, 12))
	})
	tsMustPanic(t, "rank 0", func() { Concat([][]float32{x[:1]}, [][]int{{}}, 0, x[:1]) })
	tsMustPanic(t, "axis", func() { Concat([][]float32{x}, [][]int{{6}}, 1, x) })
	tsMustPanic(t, "len y", func() { Concat([][]float32{x}, [][]int{{6}}, 0, x[:5]) })
}
