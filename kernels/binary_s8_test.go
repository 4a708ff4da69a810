package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// qAddFixed draws TFLite ADD parameters the way TFLite's Prepare computes
// them (kept local: nn/quant imports kernels).
func qAddFixed(r *rand.Rand) (AddFixedS8, func(a, b int8) int8) {
	sa, sb, sy := 0.01+r.Float64()*0.1, 0.01+r.Float64()*0.1, 0.01+r.Float64()*0.2
	twice := 2 * math.Max(sa, sb)
	am, as := qMultiplier(sa / twice)
	bm, bs := qMultiplier(sb / twice)
	om, os := qMultiplier(twice / (float64(1<<20) * sy))
	p := AddFixedS8{AZero: r.Int32N(256) - 128, BZero: r.Int32N(256) - 128, LeftShift: 20,
		AMult: am, AShift: as, BMult: bm, BShift: bs, OutMult: om, OutShift: os,
		OutZero: r.Int32N(256) - 128, Min: -128, Max: 127}
	if r.IntN(3) == 0 { // relu: a low zero point, as real relu outputs have
		p.OutZero = r.Int32N(64) - 128
		p.Min = p.OutZero
	}
	f := func(a, b int8) int8 {
		return ref.AddFixedS8(a, b, p.AZero, p.BZero, p.LeftShift, p.AMult, p.AShift, p.BMult, p.BShift,
			p.OutMult, p.OutShift, p.OutZero, p.Min, p.Max)
	}
	return p, f
}

func qMulFixed(r *rand.Rand) (MulFixedS8, func(a, b int8) int8) {
	m, s := qMultiplier(math.Exp2(r.Float64()*8 - 10))
	p := MulFixedS8{AZero: r.Int32N(256) - 128, BZero: r.Int32N(256) - 128, OutMult: m, OutShift: s,
		OutZero: r.Int32N(256) - 128, Min: -128, Max: 127}
	f := func(a, b int8) int8 {
		return ref.MulFixedS8(a, b, p.AZero, p.BZero, p.OutMult, p.OutShift, p.OutZero, p.Min, p.Max)
	}
	return p, f
}

func qAddFloat(r *rand.Rand) (AddFloatS8, func(a, b int8) int8) {
	off := int32(128 * r.IntN(2))
	sa, sb, sc := float32(0.001+r.Float64()*0.1), float32(0.001+r.Float64()*0.1), float32(0.001+r.Float64()*0.1)
	za, zb, zc := r.Int32N(256)-128+off, r.Int32N(256)-128+off, r.Int32N(256)-128+off
	ra, rb := sa/sc, sb/sc
	fixed := float32(zc) - ref.FMAF32(ra, float32(za), ref.MulF32(rb, float32(zb)))
	p := AddFloatS8{RA: ra, RB: rb, Fixed: fixed, Offset: off}
	return p, func(a, b int8) int8 { return ref.AddFloatS8(a, b, ra, rb, fixed, off) }
}

func qMulFloat(r *rand.Rand) (MulFloatS8, func(a, b int8) int8) {
	off := int32(128 * r.IntN(2))
	sa, sb, sc := float32(0.001+r.Float64()*0.1), float32(0.001+r.Float64()*0.1), float32(0.001+r.Float64()*0.01)
	p := MulFloatS8{AZero: r.Int32N(256) - 128, BZero: r.Int32N(256) - 128, Ratio: sa * sb / sc,
		YZero: float32(r.Int32N(256) - 128 + off), Offset: off}
	return p, func(a, b int8) int8 { return ref.MulFloatS8(a, b, p.AZero, p.BZero, p.Ratio, p.YZero, off) }
}

// spread draws parameters with gen until the reference formula gives at
// least 8 distinct results over all pairs: zero points and scales that
// clamp nearly the whole table (input zero points near 127 and an output
// zero point at −128, say) test little, and the distinct-values check of
// TestBinaryS8Tables failed for about one seed in a hundred.
func spread[P any](t *testing.T, r *rand.Rand, gen func(*rand.Rand) (P, func(a, b int8) int8)) (P, func(a, b int8) int8) {
	t.Helper()
	for try := 0; try < 100; try++ {
		p, f := gen(r)
		distinct := map[int8]bool{}
		for a := -128; a < 128 && len(distinct) < 8; a++ {
			for b := -128; b < 128; b++ {
				distinct[f(int8(a), int8(b))] = true
			}
		}
		if len(distinct) >= 8 {
			return p, f
		}
	}
	t.Fatal("100 parameter draws in a row give fewer than 8 distinct results")
	panic("unreachable")
}

// TestBinaryS8Tables checks every op's table against the reference formula
// on all 65536 pairs, for random parameters of both runtimes.
func TestBinaryS8Tables(t *testing.T) {
	r := ckRNG(t)
	check := func(name string, tab *BinaryS8, f func(a, b int8) int8) {
		t.Helper()
		for a := -128; a < 128; a++ {
			for b := -128; b < 128; b++ {
				if got, want := tab.At(int8(a), int8(b)), f(int8(a), int8(b)); got != want {
					t.Fatalf("%s(%d, %d) = %d, want %d", name, a, b, got, want)
				}
			}
		}
	}
	for it := 0; it < 6; it++ {
		pa, fa := spread(t, r, qAddFixed)
		check("AddFixedS8", NewBinaryS8(pa.Eval), fa)
		pm, fm := spread(t, r, qMulFixed)
		check("MulFixedS8", NewBinaryS8(pm.Eval), fm)
		pf, ff := spread(t, r, qAddFloat)
		check("AddFloatS8", NewBinaryS8(pf.Eval), ff)
		pmf, fmf := spread(t, r, qMulFloat)
		check("MulFloatS8", NewBinaryS8(pmf.Eval), fmf)
	}
}

// TestFMAF32 compares the kernels' float32 FMA with the exact big.Float
// reference, on random operands and on operands built to land on float32
// rounding ties after a float64 rounding (where naive double rounding
// fails).
func TestFMAF32(t *testing.T) {
	r := ckRNG(t)
	for i := 0; i < 300000; i++ {
		x := float32(r.IntN(512) - 256)
		y := float32(r.NormFloat64() * math.Exp2(float64(r.IntN(20)-10)))
		z := float32(r.NormFloat64() * math.Exp2(float64(r.IntN(60)-30)))
		if i%4 == 0 {
			x = float32(r.NormFloat64())
		}
		if got, want := fmaF32(x, y, z), ref.FMAF32(x, y, z); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fmaF32(%v, %v, %v) = %v, want %v", x, y, z, got, want)
		}
	}
	// x·y = 2^-24 − 2^-54 added to z = 1+2^-23: the float64 sum rounds to
	// the float32 tie 1+2^-23+2^-24, which rounds to even (up), while the
	// exact value is below the tie. A plain float32(math.FMA(...)) gets it
	// wrong.
	x, y, z := float32(math.Exp2(-24)*(1+math.Exp2(-15))), float32(1-math.Exp2(-15)), float32(1+math.Exp2(-23))
	want := float32(1 + math.Exp2(-23))
	if got := fmaF32(x, y, z); got != want {
		t.Errorf("fmaF32 below a tie = %v, want %v", got, want)
	}
	if got := ref.FMAF32(x, y, z); got != want {
		t.Errorf("ref.FMAF32 below a tie = %v, want %v", got, want)
	}
	if naive := float32(math.FMA(float64(x), float64(y), float64(z))); naive == want {
		t.Errorf("the tie case does not exercise double rounding")
	}
}

// TestBinaryS8Broadcast compares Run and RunPart with the reference
// broadcasting loop on the shapes the runtime meets: equal, scalar, the
// NHWC per-channel squeeze-excite product, NCHW per-channel, and general.
func TestBinaryS8Broadcast(t *testing.T) {
	r := ckRNG(t)
	pa, _ := qAddFixed(r)
	tab := NewBinaryS8(pa.Eval)
	for _, tc := range []struct{ a, b, y []int }{
		{[]int{2, 3, 4, 13}, []int{2, 3, 4, 13}, []int{2, 3, 4, 13}},
		{[]int{2, 3, 4, 13}, []int{}, []int{2, 3, 4, 13}},
		{[]int{1}, []int{5, 7}, []int{5, 7}},
		{[]int{2, 5, 6, 24}, []int{2, 1, 1, 24}, []int{2, 5, 6, 24}}, // SE multiply, NHWC
		{[]int{1, 1, 1, 24}, []int{1, 5, 6, 24}, []int{1, 5, 6, 24}},
		{[]int{1, 24, 5, 6}, []int{1, 24, 1, 1}, []int{1, 24, 5, 6}}, // per-channel NCHW
		{[]int{3, 1, 5}, []int{1, 4, 1}, []int{3, 4, 5}},
		{[]int{4, 1}, []int{3}, []int{4, 3}},
		{[]int{1, 1}, []int{1}, []int{1, 1}},
		{[]int{0, 3}, []int{3}, []int{0, 3}},
	} {
		a, b := qRandS8(r, qNumel(tc.a)), qRandS8(r, qNumel(tc.b))
		n := qNumel(tc.y)
		gd := newQGuard(n, 1)
		tab.Run(a, tc.a, b, tc.b, gd.out(), tc.y)
		gd.check(t, "BinaryS8")
		want := make([]int8, n)
		ref.BroadcastS8(a, tc.a, b, tc.b, want, tc.y, tab.At)
		qEqual(t, ckName("BinaryS8 ", tc.a, tc.b), gd.out(), want)
		for _, parts := range []int{2, 3, 7} {
			got := make([]int8, n)
			for q := 0; q < parts; q++ {
				tab.RunPart(a, tc.a, b, tc.b, got, tc.y, q, parts)
			}
			qEqual(t, ckName("BinaryS8 parts ", tc.a, tc.b), got, want)
		}
	}
	// In place on a.
	a := qRandS8(r, 60)
	b := qRandS8(r, 12)
	want := make([]int8, 60)
	ref.BroadcastS8(a, []int{5, 12}, b, []int{12}, want, []int{5, 12}, tab.At)
	tab.Run(a, []int{5, 12}, b, []int{12}, a, []int{5, 12})
	qEqual(t, "BinaryS8 in place", a, want)
	if n := testing.AllocsPerRun(5, func() { tab.Run(a, []int{5, 12}, b, []int{12}, a, []int{5, 12}) }); n != 0 {
		t.Errorf("BinaryS8.Run allocates %v times", n)
	}
	qMustPanic(t, "bad shape", func() { tab.Run(a, []int{5, 12}, b, []int{11}, a, []int{5, 12}) })
	qMustPanic(t, "short y", func() { tab.Run(a, []int{5, 12}, b, []int{12}, a[:10], []int{5, 12}) })
}

func qNumel(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func TestSoftmaxS8(t *testing.T) {
	r := ckRNG(t)
	for _, n := range []int{1, 2, 10, 1001} {
		for _, sc := range []float32{0.05, 0.2, 1.3} {
			rows := 3
			x := qRandS8(r, rows*n)
			s := NewSoftmaxS8(sc, 1, 1.0/256, -128)
			gd := newQGuard(rows*n, 1)
			s.Run(rows, n, x, gd.out())
			gd.check(t, "SoftmaxS8")
			want := make([]int8, rows*n)
			ref.SoftmaxS8(rows, n, x, sc, 1, 1.0/256, -128, want)
			qEqual(t, ckName("SoftmaxS8 n=", n, " scale ", sc), gd.out(), want)
			// Probabilities sum to about 1.
			for row := 0; row < rows; row++ {
				sum := 0.0
				for _, v := range gd.out()[row*n : (row+1)*n] {
					sum += float64(int32(v)+128) / 256
				}
				if math.Abs(sum-1) > 0.5*float64(n)/256+0.01 {
					t.Errorf("SoftmaxS8 n=%d row %d sums to %v", n, row, sum)
				}
			}
		}
	}
	qMustPanic(t, "bad scale", func() { NewSoftmaxS8(0, 1, 1, 0) })
	s := NewSoftmaxS8(1, 1, 1, 0)
	qMustPanic(t, "short", func() { s.Run(2, 3, make([]int8, 5), make([]int8, 6)) })
}
