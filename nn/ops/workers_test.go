package ops

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestElementwisePartsMatchRun checks that the float32 activation and binary
// ops computed in shares over 1–5 parts (and through a Workers pool) equal a
// whole run bit for bit, with broadcasting on either side and split axes of
// every kind.
func TestElementwisePartsMatchRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.F32 {
			x.F32[i] = rng.Float32()*4 - 2
		}
		return x
	}
	cases := []struct{ a, b []int }{
		{[]int{1, 37, 5, 700}, []int{1, 1, 1, 700}}, // squeeze-excite multiply
		{[]int{1, 1, 1, 700}, []int{1, 37, 5, 700}},
		{[]int{1, 29, 23, 31}, []int{1, 29, 23, 31}}, // residual add
		{[]int{3, 50, 1, 130}, []int{3, 1, 7, 1}},    // split on axis 0
		{[]int{1, 1, 1, 20000}, []int{1, 1, 1, 1}},   // split on the last axis
		{[]int{37, 700}, []int{1, 700}},
	}
	for _, c := range cases {
		yshape := make([]int, len(c.a))
		for i := range yshape {
			yshape[i] = max(c.a[i], c.b[i])
		}
		a, b := fill(c.a...), fill(c.b...)
		for _, op := range []kernels.BinOp{kernels.OpAdd, kernels.OpMul, kernels.OpDiv} {
			o := &binaryOp{op: op, act: kernels.Act{Kind: kernels.ActRelu}, ashape: c.a, bshape: c.b, yshape: yshape,
				partShapes: make([]int, maxBinaryParts*3*len(yshape))}
			want := tensor.New(tensor.Float32, yshape...)
			o.Run(nil, []*tensor.Tensor{a, b}, []*tensor.Tensor{want})
			for parts := 1; parts <= 5; parts++ {
				got := tensor.New(tensor.Float32, yshape...)
				for i := range got.F32 {
					got.F32[i] = -99
				}
				for p := range parts {
					o.RunPart([]*tensor.Tensor{a, b}, []*tensor.Tensor{got}, nil, p, parts)
				}
				if !slices.Equal(got.F32, want.F32) {
					t.Fatalf("%v op %d %v: %d parts differ from a whole run", c.a, op, c.b, parts)
				}
			}
			w := NewWorkers(3, 0)
			got := tensor.New(tensor.Float32, yshape...)
			w.Run(nil, o, []*tensor.Tensor{a, b}, []*tensor.Tensor{got})
			w.Close()
			if !slices.Equal(got.F32, want.F32) {
				t.Fatalf("%v op %d %v: the pool's run differs from a whole run", c.a, op, c.b)
			}
		}
	}
	x := fill(1, 61, 17, 33)
	u := &unaryOp{act: kernels.Act{Kind: kernels.ActSwish}}
	want := tensor.New(tensor.Float32, x.Shape...)
	u.Run(nil, []*tensor.Tensor{x}, []*tensor.Tensor{want})
	for parts := 1; parts <= 5; parts++ {
		got := tensor.New(tensor.Float32, x.Shape...)
		for p := range parts {
			u.RunPart([]*tensor.Tensor{x}, []*tensor.Tensor{got}, nil, p, parts)
		}
		if !slices.Equal(got.F32, want.F32) {
			t.Fatalf("swish: %d parts differ from a whole run", parts)
		}
	}
}
