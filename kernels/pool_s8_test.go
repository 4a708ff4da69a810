package kernels

import (
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

func qPoolCases() []PoolGeom {
	mk := func(n, h, w, c, k, s, pt, pl, pb, pr int) PoolGeom {
		return PoolGeom{N: n, H: h, W: w, C: c, KH: k, KW: k, SH: s, SW: s, DH: 1, DW: 1,
			PadT: pt, PadL: pl, PadB: pb, PadR: pr,
			OH: (h+pt+pb-k)/s + 1, OW: (w+pl+pr-k)/s + 1}
	}
	return []PoolGeom{
		mk(1, 7, 7, 13, 7, 1, 0, 0, 0, 0), // global as a window
		mk(2, 6, 5, 3, 2, 2, 0, 0, 0, 0),
		mk(1, 9, 8, 24, 3, 2, 1, 1, 1, 1),
		mk(1, 5, 5, 1, 3, 1, 1, 1, 1, 1),
		mk(1, 4, 4, poolS8Block+1, 3, 3, 2, 2, 2, 2), // windows all padding? no: pads < k
		mk(1, 3, 4, 2*poolS8Block+5, 5, 2, 2, 2, 2, 2),
	}
}

func TestAvgMaxPool2DS8(t *testing.T) {
	r := ckRNG(t)
	for _, g := range qPoolCases() {
		for _, offset := range []int32{0, 128} {
			x := qRandS8(r, g.N*g.H*g.W*g.C)
			if r.IntN(2) == 0 { // many exact halves
				for i := range x {
					x[i] = int8(r.IntN(5) - 2)
				}
			}
			lo, hi := int32(-128), int32(127)
			if offset == 0 && r.IntN(2) == 0 {
				lo, hi = -50, 60
			}
			n := g.N * g.OH * g.OW * g.C
			gd := newQGuard(n, 1)
			AvgPool2DS8(g, x, gd.out(), offset, lo, hi)
			gd.check(t, "AvgPool2DS8")
			want := make([]int8, n)
			ref.AvgPool2DS8(g.N, g.H, g.W, g.C, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PadT, g.PadL, x, want, offset, lo+offset, hi+offset)
			qEqual(t, ckName("AvgPool2DS8 ", g, " offset ", offset), gd.out(), want)

			gm := newQGuard(n, 2)
			MaxPool2DS8(g, x, gm.out())
			gm.check(t, "MaxPool2DS8")
			ref.MaxPool2DS8(g.N, g.H, g.W, g.C, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PadT, g.PadL, x, want)
			qEqual(t, ckName("MaxPool2DS8 ", g), gm.out(), want)
		}
	}
	// Hand cases: a 1×2 window of a 1×2 input.
	g := PoolGeom{N: 1, H: 1, W: 2, C: 1, OH: 1, OW: 1, KH: 1, KW: 2, SH: 1, SW: 1, DH: 1, DW: 1}
	for _, tc := range []struct {
		a, b   int8
		offset int32
		want   int8
	}{
		{1, 2, 0, 2}, {-1, -2, 0, -2}, {2, 2, 0, 2}, {-3, 0, 0, -2},
		// uint8 model: 127 and 128 average to 127.5 → 128 (−0.5 in int8 would give −1 → 127−128)
		{-1, 0, 128, 0}, {-1, 0, 0, -1},
	} {
		y := make([]int8, 1)
		AvgPool2DS8(g, []int8{tc.a, tc.b}, y, tc.offset, -128, 127)
		if y[0] != tc.want {
			t.Errorf("AvgPool2DS8(%d, %d) offset %d = %d, want %d", tc.a, tc.b, tc.offset, y[0], tc.want)
		}
	}
	qMustPanic(t, "offset", func() { AvgPool2DS8(g, make([]int8, 2), make([]int8, 1), 5, -128, 127) })
	qMustPanic(t, "clamp", func() { AvgPool2DS8(g, make([]int8, 2), make([]int8, 1), 0, 3, 2) })
	qMustPanic(t, "short", func() { MaxPool2DS8(g, make([]int8, 1), make([]int8, 1)) })
}

func TestGlobalAvgPoolS8(t *testing.T) {
	r := ckRNG(t)
	for _, sz := range [][3]int{{1, 49, 13}, {2, 7, 1}, {1, 1, 5}, {1, 196, poolS8Block + 3}, {3, 4, 24}} {
		N, HW, C := sz[0], sz[1], sz[2]
		for _, mode := range qModes {
			for it := 0; it < 5; it++ {
				x := qRandS8(r, N*HW*C)
				xz := r.Int32N(256) - 128
				var rq Requant
				var rrq ref.Requant
				if mode == RequantFloat {
					rq, rrq = qRequant(r, mode, 1, math.Exp2(r.Float64()*4-2)/float64(HW))
				} else {
					rq, rrq = qRequant(r, mode, 1, math.Exp2(r.Float64()*4-2))
				}
				gd := newQGuard(N*C, 1)
				GlobalAvgPoolS8(N, HW, C, x, xz, gd.out(), rq)
				gd.check(t, "GlobalAvgPoolS8")
				want := make([]int8, N*C)
				ref.GlobalAvgPoolS8(N, HW, C, x, xz, &rrq, want)
				qEqual(t, ckName("GlobalAvgPoolS8 ", sz, " ", mode), gd.out(), want)
			}
		}
	}
	// TFLite MEAN: multiplier 1 (Q31 2^30, shift 1), values 1 and 2 → 1.5 → 2; -1, -2 → -2.
	one := Requant{Mult: []int32{1 << 30}, Shift: []int32{1}, Min: -128, Max: 127}
	y := make([]int8, 2)
	GlobalAvgPoolS8(1, 2, 2, []int8{1, -1, 2, -2}, 0, y, one)
	if y[0] != 2 || y[1] != -2 {
		t.Errorf("MEAN of (1,2), (-1,-2) = %v, want [2 -2]", y)
	}
	qMustPanic(t, "HW 0", func() { GlobalAvgPoolS8(1, 0, 1, nil, 0, y, one) })
	qMustPanic(t, "per channel", func() {
		GlobalAvgPoolS8(1, 1, 2, make([]int8, 2), 0, y, Requant{Mode: RequantFloat, Scale: []float32{1, 1}, Min: -128, Max: 127})
	})
	x := make([]int8, 2*49*13)
	yy := make([]int8, 2*13)
	if n := testing.AllocsPerRun(5, func() { GlobalAvgPoolS8(2, 49, 13, x, 3, yy, one) }); n != 0 {
		t.Errorf("GlobalAvgPoolS8 allocates %v times", n)
	}
}
