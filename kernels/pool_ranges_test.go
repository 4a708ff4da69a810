package kernels

import (
	"math"
	"slices"
	"testing"
)

// TestPoolRowRanges checks that MaxPool2DF32Rows, AvgPool2DF32Rows and
// AvgPool2DS8Rows over ranges that cover the output rows in 1–5 pieces (and
// more pieces than rows, some empty) give exactly the whole run's bits, and
// that each call writes its rows only.
func TestPoolRowRanges(t *testing.T) {
	r := ckRNG(t)
	cases := append([]PoolGeom(nil), ckPoolCases...)
	for i := 0; i < 40; i++ {
		cases = append(cases, ckPoolRandom(r))
	}
	cases = append(cases, qPoolCases()...)
	for _, g := range cases {
		rows := g.N * g.OH
		row := g.OW * g.C
		x := ckRand(r, g.N*g.H*g.W*g.C)
		xs := qRandS8(r, len(x))
		ny := rows * row
		wantMax := make([]float32, ny)
		MaxPool2DF32(g, x, wantMax)
		wantAvg := [2][]float32{make([]float32, ny), make([]float32, ny)}
		AvgPool2DF32(g, x, wantAvg[0], false)
		AvgPool2DF32(g, x, wantAvg[1], true)
		wantS8 := make([]int8, ny)
		AvgPool2DS8(g, xs, wantS8, 128, -128, 127)
		for _, parts := range []int{1, 2, 3, 4, 5, rows + 2} {
			gotMax := slices.Repeat([]float32{-99}, ny)
			gotAvg := [2][]float32{slices.Repeat([]float32{-99}, ny), slices.Repeat([]float32{-99}, ny)}
			gotS8 := slices.Repeat([]int8{99}, ny)
			for p := 0; p < parts; p++ {
				r0, r1 := rows*p/parts, rows*(p+1)/parts
				MaxPool2DF32Rows(g, x, gotMax, r0, r1)
				AvgPool2DF32Rows(g, x, gotAvg[0], false, r0, r1)
				AvgPool2DF32Rows(g, x, gotAvg[1], true, r0, r1)
				AvgPool2DS8Rows(g, xs, gotS8, 128, -128, 127, r0, r1)
				// Rows past r1 are still the sentinel.
				if r1 < rows && (gotMax[r1*row] != -99 || gotAvg[0][r1*row] != -99 || gotS8[r1*row] != 99) {
					t.Fatalf("%+v: rows [%d, %d) wrote row %d", g, r0, r1, r1)
				}
			}
			name := ckName(g, " parts ", parts)
			ckBitsEqual(t, "max "+name, gotMax, wantMax)
			ckBitsEqual(t, "avg "+name, gotAvg[0], wantAvg[0])
			ckBitsEqual(t, "avg include pad "+name, gotAvg[1], wantAvg[1])
			if !slices.Equal(gotS8, wantS8) {
				t.Fatalf("AvgPool2DS8Rows %s differs from AvgPool2DS8", name)
			}
		}
	}
	g := ckPoolCases[0]
	y := make([]float32, g.N*g.OH*g.OW*g.C)
	x := make([]float32, g.N*g.H*g.W*g.C)
	qMustPanic(t, "rows past the end", func() { MaxPool2DF32Rows(g, x, y, 0, g.N*g.OH+1) })
	qMustPanic(t, "rows reversed", func() { AvgPool2DF32Rows(g, x, y, false, 1, 0) })
}

// TestGlobalAvgPoolChannelRanges checks GlobalAvgPoolF32Channels and
// GlobalAvgPoolS8Channels over channel ranges in 1–5 pieces and more pieces
// than channels: exactly the whole run's bits, each call writing its
// channels only; channel counts around the 64-channel block.
func TestGlobalAvgPoolChannelRanges(t *testing.T) {
	r := ckRNG(t)
	for _, s := range [][3]int{{1, 49, 13}, {2, 9, 1}, {1, 1, 5}, {1, 196, 63}, {1, 50, 64}, {3, 7, 129}, {1, 3, 200}} {
		N, HW, C := s[0], s[1], s[2]
		x := ckRand(r, N*HW*C)
		xs := qRandS8(r, N*HW*C)
		want := make([]float32, N*C)
		GlobalAvgPoolF32(N, HW, C, x, want)
		for _, mode := range qModes {
			var rq Requant
			if mode == RequantFloat {
				rq, _ = qRequant(r, mode, 1, math.Exp2(r.Float64()*4-2)/float64(HW))
			} else {
				rq, _ = qRequant(r, mode, 1, math.Exp2(r.Float64()*4-2))
			}
			xz := r.Int32N(256) - 128
			wantS8 := make([]int8, N*C)
			GlobalAvgPoolS8(N, HW, C, xs, xz, wantS8, rq)
			for _, parts := range []int{1, 2, 3, 4, 5, C + 3} {
				got := slices.Repeat([]float32{-99}, N*C)
				gotS8 := slices.Repeat([]int8{99}, N*C)
				for p := 0; p < parts; p++ {
					c0, c1 := C*p/parts, C*(p+1)/parts
					GlobalAvgPoolF32Channels(N, HW, C, c0, c1, x, got)
					GlobalAvgPoolS8Channels(N, HW, C, c0, c1, xs, xz, gotS8, rq)
					if c1 < C && (got[c1] != -99 || gotS8[c1] != 99) {
						t.Fatalf("%v: channels [%d, %d) wrote channel %d", s, c0, c1, c1)
					}
				}
				name := ckName(s, " ", mode, " parts ", parts)
				ckBitsEqual(t, "GlobalAvgPoolF32Channels "+name, got, want)
				if !slices.Equal(gotS8, wantS8) {
					t.Fatalf("GlobalAvgPoolS8Channels %s differs from GlobalAvgPoolS8", name)
				}
			}
		}
	}
	qMustPanic(t, "channels past C", func() { GlobalAvgPoolF32Channels(1, 1, 2, 0, 3, make([]float32, 2), make([]float32, 2)) })
}

// TestGlobalAvgPoolF32Order checks GlobalAvgPoolF32 bit for bit against the
// float64 sum of the positions in order (its documented arithmetic, which
// any unrolling must keep), for position counts around its 4-way unroll.
func TestGlobalAvgPoolF32Order(t *testing.T) {
	r := ckRNG(t)
	for hw := 1; hw <= 11; hw++ {
		for _, c := range []int{1, 3, 64, 67} {
			n := 2
			x := ckRand(r, n*hw*c)
			for i := range x {
				// ±2^60 swallows ±1 or ±3 in float64, so sums that
				// cancel the large values depend on the order.
				x[i] = []float32{1 << 60, -1 << 60, 1, -1, 3, x[i]}[r.IntN(6)]
			}
			got := make([]float32, n*c)
			GlobalAvgPoolF32(n, hw, c, x, got)
			want := make([]float32, n*c)
			for b := 0; b < n; b++ {
				for ch := 0; ch < c; ch++ {
					var s float64
					for p := 0; p < hw; p++ {
						s += float64(x[(b*hw+p)*c+ch])
					}
					want[b*c+ch] = float32(s * (1 / float64(hw)))
				}
			}
			ckBitsEqual(t, ckName("GlobalAvgPoolF32 hw=", hw, " c=", c), got, want)
		}
	}
}
