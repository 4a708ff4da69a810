package kernels

import (
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

func TestTransposeRandom(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 400; iter++ {
		rank := rng.IntN(7)
		if iter%50 == 0 {
			rank = 8
		}
		hi := 5
		if rank >= 6 {
			hi = 3
		}
		shape := tsRandShape(rng, rank, 0, hi)
		if iter%7 != 0 { // mostly non-empty
			for i := range shape {
				shape[i] = max(shape[i], 1)
			}
		}
		perm := rng.Perm(rank)
		n := tsNumel(shape)
		x := make([]int32, n)
		for i := range x {
			x[i] = int32(i) + 1
		}
		y, check := tsGuarded(t, n, int32(-7))
		Transpose(x, shape, perm, y)
		check()
		tsEqual(t, "Transpose", y, ref.Transpose(x, shape, perm))
	}
}

func TestTransposeLayouts(t *testing.T) {
	cases := []struct {
		shape, perm []int
	}{
		{[]int{1, 3, 224, 224}, []int{0, 2, 3, 1}}, // NCHW -> NHWC
		{[]int{1, 224, 224, 3}, []int{0, 3, 1, 2}}, // NHWC -> NCHW
		{[]int{2, 5, 7, 9}, []int{0, 2, 3, 1}},     // batched
		{[]int{2, 7, 9, 5}, []int{0, 3, 1, 2}},
		{[]int{33, 65}, []int{1, 0}}, // tile edges
		{[]int{64, 32}, []int{1, 0}}, // tile multiples
		{[]int{31, 1, 4}, []int{2, 1, 0}},
		{[]int{3, 4, 5}, []int{2, 0, 1}},       // general strided walk
		{[]int{4, 3, 6, 2}, []int{1, 0, 2, 3}}, // contiguous inner block
		{[]int{2, 3}, []int{0, 1}},
		{[]int{}, []int{}},
		{[]int{7}, []int{0}},
	}
	for _, c := range cases {
		n := tsNumel(c.shape)
		x := tsRandF32(tsRNG(t), n)
		y, check := tsGuarded(t, n, float32(-1234))
		Transpose(x, c.shape, c.perm, y)
		check()
		tsEqual(t, "Transpose", y, ref.Transpose(x, c.shape, c.perm))
	}
}

func TestTransposePanics(t *testing.T) {
	x := make([]float32, 6)
	tsMustPanic(t, "bad perm", func() { Transpose(x, []int{2, 3}, []int{0, 0}, x) })
	tsMustPanic(t, "short perm", func() { Transpose(x, []int{2, 3}, []int{0}, x) })
	tsMustPanic(t, "short y", func() { Transpose(x, []int{2, 3}, []int{1, 0}, x[:5]) })
	tsMustPanic(t, "rank 9", func() {
		Transpose(x[:1], []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, x[:1])
	})
}
