package kernels

import (
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// TestConvNDF32 compares the generic N-d convolution with the reference in
// 1, 2 and 3 dimensions with groups, strides, dilations and pads.
// Tolerance: 1e-5·Σ|terms| (·1.5 for the activation) + 1e-6.
func TestConvNDF32(t *testing.T) {
	r := ckRNG(t)
	for it := 0; it < 90; it++ {
		nd := 1 + it%3
		groups := 1 + r.IntN(3)
		g := ConvNDGeom{N: 1 + r.IntN(2), C: groups * (1 + r.IntN(4)), OC: groups * (1 + r.IntN(4)), Groups: groups}
		for d := 0; d < nd; d++ {
			in, k, s, dl := 1+r.IntN(6), 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(2)
			pb, pe := r.IntN(3), r.IntN(3)
			o := (in+pb+pe-dl*(k-1)-1)/s + 1
			if o < 1 {
				o = 1
			}
			g.In, g.Out, g.Kernel = append(g.In, in), append(g.Out, o), append(g.Kernel, k)
			g.Stride, g.Dilation, g.PadBegin = append(g.Stride, s), append(g.Dilation, dl), append(g.PadBegin, pb)
		}
		inSize, outSize, kSize := 1, 1, 1
		for d := range g.In {
			inSize *= g.In[d]
			outSize *= g.Out[d]
			kSize *= g.Kernel[d]
		}
		x := ckRand(r, g.N*inSize*g.C)
		w := ckRand(r, g.OC*kSize*g.C/g.Groups)
		bias := ckRand(r, g.OC)
		if it%2 == 0 {
			bias = nil
		}
		act := ckActs[it%len(ckActs)]
		ny := g.N * outSize * g.OC
		name := ckName(g, " ", act)
		gd := newCKGuard(ny, it%4)
		ConvNDF32(g, x, w, bias, gd.out(), act)
		gd.check(t, name)
		want := make([]float32, ny)
		ref.ConvND(g.N, g.C, g.OC, g.Groups, g.In, g.Out, g.Kernel, g.Stride, g.Dilation, g.PadBegin, x, w, bias, want, ckRefAct(act))
		bound := make([]float32, ny)
		ref.ConvND(g.N, g.C, g.OC, g.Groups, g.In, g.Out, g.Kernel, g.Stride, g.Dilation, g.PadBegin,
			ckAbs(x), ckAbs(w), ckAbs(bias), bound, ref.Act{})
		ckCompare(t, name, gd.out(), want, bound, 1.5e-5, 1e-6)
	}
}

func TestConvNDF32Panics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("mismatched dims did not panic")
		}
	}()
	ConvNDF32(ConvNDGeom{N: 1, C: 1, OC: 1, Groups: 1, In: []int{3}, Out: []int{3, 1}, Kernel: []int{1},
		Stride: []int{1}, Dilation: []int{1}, PadBegin: []int{0}}, make([]float32, 3), make([]float32, 1), nil,
		make([]float32, 3), Act{})
}
