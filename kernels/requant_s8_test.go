package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRequantS8Rows compares requantPlan.rows with every available vector
// impl and the Go loop against the scalar reference, bit for bit: channel
// counts around the 8-channel block (the overlapped last block), several
// rows with strides, channel offsets, both modes with per-channel and
// per-tensor parameters, random and extreme sums (±2^31 with the bias
// wrapping as in int32), multipliers from tiny to ~1 and shifts down to
// −31, clamps and zero points.
func TestRequantS8Rows(t *testing.T) {
	r := ckRNG(t)
	impls := []*requantS8Impl{nil}
	for i := range requantS8Impls {
		if requantS8Impls[i].Available() {
			impls = append(impls, &requantS8Impls[i])
		}
	}
	for it := 0; it < 400; it++ {
		n := []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 33, 64, 65}[it%12]
		c0 := r.IntN(5)
		nc := c0 + n + r.IntN(3)
		rows := 1 + r.IntN(4)
		mode := qModes[it%2]
		scale := math.Exp2(-r.Float64() * 36)
		if it%7 == 0 {
			scale = 0.3 + r.Float64()*0.6
		}
		rq, rrq := qRequant(r, mode, nc, scale)
		if mode == RequantFixedPoint {
			for i := range rq.Shift { // no left shifts here (Go loop only)
				rq.Shift[i] = min(rq.Shift[i], 0)
			}
			rrq = qRefRequant(rq)
		}
		accStride, yStride := n+r.IntN(4), n+r.IntN(4)
		acc := make([]int32, (rows-1)*accStride+n)
		for i := range acc {
			switch r.IntN(8) {
			case 0:
				acc[i] = math.MaxInt32 - r.Int32N(100)
			case 1:
				acc[i] = math.MinInt32 + r.Int32N(100)
			default:
				acc[i] = int32(r.Uint32()) >> r.IntN(32)
			}
		}
		bias := qRandI32(r, n, 1<<20)
		want := make([]int8, (rows-1)*yStride+n)
		for i := 0; i < rows; i++ {
			for j := 0; j < n; j++ {
				want[i*yStride+j] = rrq.Apply(acc[i*accStride+j]+bias[j], c0+j)
			}
		}
		p := newRequantPlan("test", &rq, nc)
		for _, im := range impls {
			p.setVec(im)
			name := ckName("requant rows ", mode, " n=", n, " c0=", c0, " rows=", rows, " it=", it)
			if im != nil {
				name += " " + im.Name
			}
			before := append([]int32(nil), acc...)
			gd := newQGuard(len(want), it%4)
			p.rows(acc, accStride, bias, c0, n, rows, gd.out(), yStride)
			gd.check(t, name)
			got := gd.out()
			for i := 0; i < rows; i++ {
				qEqual(t, name, got[i*yStride:i*yStride+n], want[i*yStride:i*yStride+n])
			}
			for i := range acc {
				if acc[i] != before[i] {
					t.Fatalf("%s: acc modified", name)
				}
			}
		}
	}
}

// TestRequantS8Selected checks that an AVX2 or arm64 machine registers
// its vector requantization.
func TestRequantS8Selected(t *testing.T) {
	im := requantS8Best()
	switch {
	case requantS8HaveAVX2():
		if im == nil || im.Name != "requantS8_avx2" {
			t.Errorf("best = %v, want requantS8_avx2", im)
		}
	case requantS8HaveNEON():
		if im == nil || im.Name != "requantS8_neon" {
			t.Errorf("best = %v, want requantS8_neon", im)
		}
	default:
		if im != nil {
			t.Errorf("best = %s without SIMD", im.Name)
		}
	}
	_ = rand.N[int]
}
