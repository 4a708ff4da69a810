package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// ckPoolCases covers pads, pads larger than the kernel, ceil mode (windows
// past the padded extent), stride > kernel, dilation 2, 1×1 outputs and odd
// channel counts.
var ckPoolCases = []PoolGeom{
	{N: 1, H: 6, W: 6, C: 3, OH: 3, OW: 3, KH: 2, KW: 2, SH: 2, SW: 2, DH: 1, DW: 1},
	{N: 2, H: 7, W: 5, C: 13, OH: 7, OW: 5, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
	{N: 1, H: 7, W: 7, C: 24, OH: 4, OW: 4, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
	// ceil mode: the last window reaches past H+PadB.
	{N: 1, H: 6, W: 7, C: 1, OH: 3, OW: 4, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 0, PadL: 0, PadB: 0, PadR: 1},
	{N: 1, H: 3, W: 4, C: 5, OH: 6, OW: 7, KH: 2, KW: 2, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 3, PadL: 3, PadB: 0, PadR: 0},
	{N: 1, H: 9, W: 9, C: 4, OH: 3, OW: 3, KH: 2, KW: 2, SH: 4, SW: 3, DH: 1, DW: 1},
	{N: 1, H: 9, W: 8, C: 2, OH: 5, OW: 4, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, PadT: 0, PadL: 0, PadB: 0, PadR: 0},
	{N: 1, H: 7, W: 7, C: 3, OH: 1, OW: 1, KH: 7, KW: 7, SH: 1, SW: 1, DH: 1, DW: 1},
	{N: 1, H: 2, W: 2, C: 3, OH: 3, OW: 3, KH: 1, KW: 1, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1},
}

func ckPoolRandom(r *rand.Rand) PoolGeom {
	for {
		g := PoolGeom{N: 1 + r.IntN(2), H: 1 + r.IntN(8), W: 1 + r.IntN(8), C: 1 + r.IntN(14),
			KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), DH: 1 + r.IntN(2), DW: 1 + r.IntN(2),
			PadT: r.IntN(3), PadL: r.IntN(3), PadB: r.IntN(3), PadR: r.IntN(3)}
		ceil := r.IntN(2) * (g.SH - 1)
		g.OH = (g.H+g.PadT+g.PadB-g.DH*(g.KH-1)-1+ceil)/g.SH + 1
		ceil = r.IntN(2) * (g.SW - 1)
		g.OW = (g.W+g.PadL+g.PadR-g.DW*(g.KW-1)-1+ceil)/g.SW + 1
		if g.OH > 0 && g.OW > 0 {
			return g
		}
	}
}

// TestPool2DF32 compares MaxPool2DF32 (exact) and AvgPool2DF32 (1e-6
// relative to Σ|x| over the window, plus 1e-7) with the N-d references.
func TestPool2DF32(t *testing.T) {
	r := ckRNG(t)
	cases := append([]PoolGeom(nil), ckPoolCases...)
	for i := 0; i < 200; i++ {
		cases = append(cases, ckPoolRandom(r))
	}
	for _, g := range cases {
		in, out := []int{g.H, g.W}, []int{g.OH, g.OW}
		ker, str, dil := []int{g.KH, g.KW}, []int{g.SH, g.SW}, []int{g.DH, g.DW}
		pb, pe := []int{g.PadT, g.PadL}, []int{g.PadB, g.PadR}
		x := ckRand(r, g.N*g.H*g.W*g.C)
		ny := g.N * g.OH * g.OW * g.C
		gd := newCKGuard(ny, g.C%4)
		MaxPool2DF32(g, x, gd.out())
		gd.check(t, ckName("max ", g))
		want := make([]float32, ny)
		ref.MaxPoolND(g.N, g.C, in, out, ker, str, dil, pb, x, want, nil)
		ckBitsEqual(t, ckName("max ", g), gd.out(), want)
		for _, cip := range []bool{false, true} {
			name := ckName("avg countIncludePad=", cip, " ", g)
			ga := newCKGuard(ny, 1)
			AvgPool2DF32(g, x, ga.out(), cip)
			ga.check(t, name)
			ref.AvgPoolND(g.N, g.C, in, out, ker, str, dil, pb, pe, x, want, cip)
			bound := make([]float32, ny)
			ref.AvgPoolND(g.N, g.C, in, out, ker, str, dil, pb, pe, ckAbs(x), bound, cip)
			ckCompare(t, name, ga.out(), want, bound, 1e-6, 1e-7)
		}
	}
}

func TestAvgPool2DF32Divisor(t *testing.T) {
	// 3×3 window, pad 1, all ones: the corner sees 4 inputs of 9 positions.
	g := PoolGeom{N: 1, H: 3, W: 3, C: 1, OH: 3, OW: 3, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
		PadT: 1, PadL: 1, PadB: 1, PadR: 1}
	x := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float32, 9)
	AvgPool2DF32(g, x, y, false)
	if y[0] != 1 {
		t.Errorf("exclude pad: corner = %v, want 1", y[0])
	}
	AvgPool2DF32(g, x, y, true)
	if y[0] != 4.0/9 || y[4] != 1 {
		t.Errorf("include pad: corner = %v, centre = %v, want 4/9 and 1", y[0], y[4])
	}
}

func TestGlobalAvgPoolF32(t *testing.T) {
	r := ckRNG(t)
	for _, s := range [][3]int{{1, 1, 1}, {2, 49, 13}, {1, 7, 64}, {1, 3, 65}, {3, 5, 200}} {
		n, hw, c := s[0], s[1], s[2]
		x := ckRand(r, n*hw*c)
		gd := newCKGuard(n*c, 2)
		GlobalAvgPoolF32(n, hw, c, x, gd.out())
		gd.check(t, ckName(s))
		want := make([]float32, n*c)
		ref.GlobalAvgPool(n, hw, c, x, want)
		ckCompare(t, ckName(s), gd.out(), want, nil, 0, 1e-7)
	}
}

// TestPoolNDF32 checks the N-d pools in 1, 2 and 3 dimensions against the
// references, including MaxPool indices in NCHW order.
func TestPoolNDF32(t *testing.T) {
	r := ckRNG(t)
	for it := 0; it < 120; it++ {
		nd := 1 + it%3
		g := PoolNDGeom{N: 1 + r.IntN(2), C: 1 + r.IntN(5)}
		for d := 0; d < nd; d++ {
			in, k, s, dl := 1+r.IntN(6), 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(2)
			pb, pe := r.IntN(3), r.IntN(3)
			o := (in+pb+pe-dl*(k-1)-1+r.IntN(2)*(s-1))/s + 1
			if o < 1 {
				o, pe = 1, pe+dl*(k-1)
			}
			g.In, g.Out, g.Kernel = append(g.In, in), append(g.Out, o), append(g.Kernel, k)
			g.Stride, g.Dilation = append(g.Stride, s), append(g.Dilation, dl)
			g.PadBegin, g.PadEnd = append(g.PadBegin, pb), append(g.PadEnd, pe)
		}
		inSize, outSize := 1, 1
		for d := range g.In {
			inSize *= g.In[d]
			outSize *= g.Out[d]
		}
		x := ckRand(r, g.N*inSize*g.C)
		if it%4 == 0 { // ties
			for i := range x {
				x[i] = float32(math.Round(float64(x[i])))
			}
		}
		ny := g.N * outSize * g.C
		name := ckName(g)
		gd := newCKGuard(ny, 0)
		idx := make([]int64, ny)
		MaxPoolNDF32(g, x, gd.out(), idx)
		gd.check(t, name)
		want := make([]float32, ny)
		wantIdx := make([]int64, ny)
		ref.MaxPoolND(g.N, g.C, g.In, g.Out, g.Kernel, g.Stride, g.Dilation, g.PadBegin, x, want, wantIdx)
		ckBitsEqual(t, "max "+name, gd.out(), want)
		for i := range idx {
			if idx[i] != wantIdx[i] {
				t.Fatalf("max %s: index %d = %d, want %d", name, i, idx[i], wantIdx[i])
			}
		}
		MaxPoolNDF32(g, x, gd.out(), nil)
		ckBitsEqual(t, "max nil indices "+name, gd.out(), want)
		for _, cip := range []bool{false, true} {
			AvgPoolNDF32(g, x, gd.out(), cip)
			gd.check(t, name)
			ref.AvgPoolND(g.N, g.C, g.In, g.Out, g.Kernel, g.Stride, g.Dilation, g.PadBegin, g.PadEnd, x, want, cip)
			bound := make([]float32, ny)
			ref.AvgPoolND(g.N, g.C, g.In, g.Out, g.Kernel, g.Stride, g.Dilation, g.PadBegin, g.PadEnd, ckAbs(x), bound, cip)
			ckCompare(t, ckName("avg ", cip, " ", name), gd.out(), want, bound, 1e-6, 1e-7)
		}
	}
}

func TestMaxPoolNDIndicesNCHW(t *testing.T) {
	// N=1, C=2, 1-D In=4: x[w][c]; channel 1 peaks at w=2.
	x := []float32{0, 1, 5, 2, 1, 9, 3, 0}
	g := PoolNDGeom{N: 1, C: 2, In: []int{4}, Out: []int{1}, Kernel: []int{4}, Stride: []int{1},
		Dilation: []int{1}, PadBegin: []int{0}, PadEnd: []int{0}}
	y, idx := make([]float32, 2), make([]int64, 2)
	MaxPoolNDF32(g, x, y, idx)
	if y[0] != 5 || y[1] != 9 || idx[0] != 1 || idx[1] != 4+2 {
		t.Errorf("y = %v idx = %v, want [5 9] [1 6]", y, idx)
	}
}
