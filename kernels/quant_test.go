package kernels

import (
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// Hand-computed cases of gemmlowp's fixed-point primitives as the TFLite
// quantization spec uses them.
func TestSaturatingRoundingDoublingHighMul(t *testing.T) {
	for _, tc := range []struct{ a, b, want int32 }{
		{math.MinInt32, math.MinInt32, math.MaxInt32}, // the one overflow: saturates
		{math.MinInt32, math.MaxInt32, -math.MaxInt32},
		{math.MaxInt32, math.MaxInt32, math.MaxInt32 - 1},
		{1 << 30, 1 << 30, 1 << 29},
		{-(1 << 30), 1 << 30, -(1 << 29)},
		{3, 1 << 30, 2},   // 1.5 rounds up
		{-3, 1 << 30, -1}, // -1.5 rounds up too (toward +inf)
		{5, 1 << 30, 3},   // 2.5
		{-5, 1 << 30, -2}, // -2.5
		{1, 1, 0},
		{0, math.MinInt32, 0},
		{math.MinInt32, 1 << 30, -(1 << 30)},
	} {
		if got := SaturatingRoundingDoublingHighMul(tc.a, tc.b); got != tc.want {
			t.Errorf("SRDHM(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := ref.SRDHM(tc.a, tc.b); got != tc.want {
			t.Errorf("ref.SRDHM(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestRoundingDivideByPOT(t *testing.T) {
	for _, tc := range []struct {
		x    int32
		e    int
		want int32
	}{
		{5, 1, 3}, {-5, 1, -3}, {4, 1, 2}, {-4, 1, -2}, {7, 2, 2}, {6, 2, 2}, {-6, 2, -2}, {-7, 2, -2},
		{-10, 2, -3}, {10, 2, 3}, {9, 2, 2}, {-9, 2, -2},
		{12345, 0, 12345}, {-12345, 0, -12345},
		{math.MinInt32, 31, -1}, {math.MaxInt32, 31, 1}, {1 << 30, 31, 1}, {-(1 << 30), 31, -1},
		{1<<30 - 1, 31, 0}, {-(1 << 30) + 1, 31, 0},
	} {
		if got := RoundingDivideByPOT(tc.x, tc.e); got != tc.want {
			t.Errorf("RoundingDivideByPOT(%d, %d) = %d, want %d", tc.x, tc.e, got, tc.want)
		}
		if got := ref.RDBPOT(tc.x, tc.e); got != tc.want {
			t.Errorf("ref.RDBPOT(%d, %d) = %d, want %d", tc.x, tc.e, got, tc.want)
		}
	}
	qMustPanic(t, "exponent 32", func() { RoundingDivideByPOT(1, 32) })
	qMustPanic(t, "exponent -1", func() { RoundingDivideByPOT(1, -1) })
}

func TestMultiplyByQuantizedMultiplier(t *testing.T) {
	const half = 1 << 30 // 0.5 in Q31
	for _, tc := range []struct {
		x, m  int32
		shift int
		want  int32
	}{
		{12345, half, 1, 12345}, // 0.5·2
		{100, half, -1, 25},
		{3, half, -1, 1},          // 0.75: 1.5 → 2, then 1
		{5, half, -2, 1},          // 0.625
		{1, 3 << 29, -1, 1},       // exact 0.375: double rounding gives 1 (0.75 → 1, then 0.5 → 1)
		{-1, 3 << 29, -1, -1},     // -0.375: SRDHM gives -1 (-1.25+ε truncated), then -0.5 → -1
		{1000, 1 << 30, 30, 0},    // left shift wraps: 1000·2^30 mod 2^32 = 0
		{1, 1 << 30, 30, 1 << 29}, // 2^30 · 0.5
		{-7, 0, 5, 0},
		{math.MaxInt32, math.MaxInt32, 0, math.MaxInt32 - 1},
	} {
		if got := MultiplyByQuantizedMultiplier(tc.x, tc.m, tc.shift); got != tc.want {
			t.Errorf("MBQM(%d, %d, %d) = %d, want %d", tc.x, tc.m, tc.shift, got, tc.want)
		}
		if got := ref.MBQM(tc.x, tc.m, tc.shift); got != tc.want {
			t.Errorf("ref.MBQM(%d, %d, %d) = %d, want %d", tc.x, tc.m, tc.shift, got, tc.want)
		}
	}
	qMustPanic(t, "shift 31", func() { MultiplyByQuantizedMultiplier(1, 1, 31) })
	qMustPanic(t, "shift -32", func() { MultiplyByQuantizedMultiplier(1, 1, -32) })
}

// TestFixedPointRandom compares the kernels' primitives and the branch-free
// requantFixed with the reference on random operands, including the
// extremes.
func TestFixedPointRandom(t *testing.T) {
	r := ckRNG(t)
	edge := []int32{0, 1, -1, 2, -2, math.MaxInt32, math.MinInt32, math.MinInt32 + 1, 1 << 30, -(1 << 30), 1<<30 - 1}
	draw := func() int32 {
		if r.IntN(4) == 0 {
			return edge[r.IntN(len(edge))]
		}
		return int32(r.Uint32())
	}
	for i := 0; i < 200000; i++ {
		a, b := draw(), draw()
		if got, want := SaturatingRoundingDoublingHighMul(a, b), ref.SRDHM(a, b); got != want {
			t.Fatalf("SRDHM(%d, %d) = %d, want %d", a, b, got, want)
		}
		e := r.IntN(32)
		if got, want := RoundingDivideByPOT(a, e), ref.RDBPOT(a, e); got != want {
			t.Fatalf("RDBPOT(%d, %d) = %d, want %d", a, e, got, want)
		}
		m := b & math.MaxInt32 // kernels' multipliers are non-negative
		s := r.IntN(62) - 31
		want := ref.MBQM(a, m, s)
		if got := MultiplyByQuantizedMultiplier(a, m, s); got != want {
			t.Fatalf("MBQM(%d, %d, %d) = %d, want %d", a, m, s, got, want)
		}
		f := newFixedCh(m, int32(max(s, -31)))
		if s > 30 {
			continue
		}
		if got := fixedRequant(a, &f); got != want {
			t.Fatalf("requantFixed(%d, %d, %d) = %d, want %d", a, m, s, got, want)
		}
	}
}

// TestRequantFloat checks the MLAS-style float requantization against the
// reference (float32 product computed exactly and rounded once, then
// round half to even), around rounding ties and the clamps.
func TestRequantFloat(t *testing.T) {
	r := ckRNG(t)
	for i := 0; i < 200000; i++ {
		acc := int32(r.Uint32()) >> r.IntN(31)
		scale := float32(math.Exp2(-r.Float64() * 30))
		if i%3 == 0 { // exact halves: scale 2^-k and odd accumulators
			scale = float32(math.Exp2(-float64(1 + r.IntN(20))))
		}
		zp := r.Int32N(256) - 128
		lo, hi := int32(-128), int32(127)
		if i%5 == 0 {
			lo, hi = zp, 127
		}
		rq := Requant{Mode: RequantFloat, Scale: []float32{scale}, ZeroPoint: zp, Min: lo, Max: hi}
		p := newRequantPlan("test", &rq, 1)
		rrq := qRefRequant(rq)
		if got, want := p.one(acc, 0), rrq.Apply(acc, 0); got != want {
			t.Fatalf("requant float acc %d scale %g zp %d [%d,%d] = %d, want %d", acc, scale, zp, lo, hi, got, want)
		}
	}
	// Ties: 2.5 → 2, 3.5 → 4, -2.5 → -2.
	rq := Requant{Mode: RequantFloat, Scale: []float32{0.5}, Min: -128, Max: 127}
	p := newRequantPlan("test", &rq, 1)
	for acc, want := range map[int32]int8{5: 2, 7: 4, -5: -2, -7: -4, 1: 0, 3: 2, 300: 127, -300: -128} {
		if got := p.one(acc, 0); got != want {
			t.Errorf("float requant of %d·0.5 = %d, want %d", acc, got, want)
		}
	}
}

func TestQuantizeDequantizeS8(t *testing.T) {
	r := ckRNG(t)
	n := 4096
	x := make([]float32, n)
	for i := range x {
		switch i % 7 {
		case 0:
			x[i] = float32(r.IntN(600)-300) * 0.05 // exact multiples of the scale: ties at .5
		case 1:
			x[i] = float32(r.IntN(600)-300)*0.05 + 0.025
		default:
			x[i] = float32(r.NormFloat64() * 4)
		}
	}
	x[0], x[1], x[2], x[3] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e30
	for _, mode := range qModes {
		for _, scale := range []float32{0.05, 0.0173, 1, 0.1} {
			zp := r.Int32N(256) - 128
			got := make([]int8, n)
			QuantizeS8(mode, x, scale, zp, got)
			want := make([]int8, n)
			ref.QuantizeS8(mode == RequantFloat, x, scale, zp, want)
			qEqual(t, ckName("QuantizeS8 ", mode, " scale ", scale), got, want)
			if got[0] != -128 || got[1] != 127 || got[2] != -128 || got[3] != 127 {
				t.Errorf("QuantizeS8 %v NaN, +Inf, -Inf, 1e30 = %v, want -128 127 -128 127", mode, got[:4])
			}
			deq := make([]float32, n)
			DequantizeS8(got, scale, zp, deq)
			for i, q := range got {
				if want := float32(float64(int32(q)-zp) * float64(scale)); deq[i] != want {
					t.Fatalf("DequantizeS8(%d) = %v, want %v", q, deq[i], want)
				}
			}
		}
	}
	// Lengths around the 8-value vector blocks (vector bulk, Go tail).
	for l := 0; l <= 25; l++ {
		got, want := make([]int8, l), make([]int8, l)
		QuantizeS8(RequantFloat, x[:l], 0.0173, -7, got)
		ref.QuantizeS8(true, x[:l], 0.0173, -7, want)
		qEqual(t, ckName("QuantizeS8 len ", l), got, want)
	}
	// Ties: 2.5 → 2 (even) or 3 (away), -2.5 → -2 or -3.
	y := make([]int8, 2)
	QuantizeS8(RequantFloat, []float32{2.5, -2.5}, 1, 0, y)
	if y[0] != 2 || y[1] != -2 {
		t.Errorf("QuantizeS8 float of ±2.5 = %v, want [2 -2]", y)
	}
	QuantizeS8(RequantFixedPoint, []float32{2.5, -2.5}, 1, 0, y)
	if y[0] != 3 || y[1] != -3 {
		t.Errorf("QuantizeS8 fixed of ±2.5 = %v, want [3 -3]", y)
	}
	qMustPanic(t, "zero scale", func() { QuantizeS8(RequantFloat, x, 0, 0, y) })
	qMustPanic(t, "short y", func() { QuantizeS8(RequantFloat, x, 1, 0, y) })
	qMustPanic(t, "short deq", func() { DequantizeS8(make([]int8, 3), 1, 0, nil) })
}

func TestRequantizeS8AndLUT(t *testing.T) {
	r := ckRNG(t)
	x := make([]int8, 256)
	for i := range x {
		x[i] = int8(i - 128)
	}
	for _, mode := range qModes {
		for it := 0; it < 20; it++ {
			rq, rrq := qRequant(r, mode, 1, math.Exp2(r.Float64()*6-3))
			xz := r.Int32N(256) - 128
			got := make([]int8, 256)
			RequantizeS8(x, xz, got, rq)
			want := make([]int8, 256)
			for i, v := range x {
				want[i] = rrq.Apply(int32(v)-xz, 0)
			}
			qEqual(t, ckName("RequantizeS8 ", mode), got, want)
			// The same mapping as a table, in place.
			var tab [256]int8
			for _, v := range x {
				tab[uint8(v)] = want[int(v)+128]
			}
			y := qRandS8(r, 1000)
			wantY := make([]int8, len(y))
			for i, v := range y {
				wantY[i] = want[int(v)+128]
			}
			LUTS8(&tab, y, y)
			qEqual(t, "LUTS8", y, wantY)
		}
	}
	qMustPanic(t, "RequantizeS8 short", func() { RequantizeS8(x, 0, nil, Requant{Mode: RequantFloat, Scale: []float32{1}, Max: 127, Min: -128}) })
	qMustPanic(t, "RequantizeS8 per channel", func() {
		RequantizeS8(x, 0, x, Requant{Mode: RequantFloat, Scale: []float32{1, 2}, Max: 127, Min: -128})
	})
	qMustPanic(t, "LUTS8 short", func() { LUTS8(&[256]int8{}, x, nil) })
}
