package kernels

import (
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// TestDenseS8 compares DenseS8 (both weight layouts, every GEMM impl, both
// modes, batch sizes around the micro-kernel rows including the one-row
// path) with the reference, and RunPart splits with Run.
func TestDenseS8(t *testing.T) {
	r := ckRNG(t)
	for _, gm := range qGemmImpls() {
		for _, sz := range [][2]int{{1, 1}, {3, 5}, {13, 24}, {24, 13}, {63, 7}, {64, 12}, {200, 37}, {32, 100}, {1280, 10}} {
			K, N := sz[0], sz[1]
			for _, M := range []int{1, 2, gm.MR - 1, gm.MR, gm.MR + 1, 3*gm.MR + 2} {
				if M < 1 {
					continue
				}
				for _, nk := range []bool{false, true} {
					mode := qModes[(K+M)%2]
					x := qRandS8(r, M*K)
					w := qRandS8(r, K*N)
					g := ConvGeom{N: 1, H: 1, W: 1, C: K, OH: 1, OW: 1, OC: N, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}
					p := qDrawConv(r, g, mode)
					d := packDenseS8With(K, N, w, nk, p.wZero, p.bias, p.xZero, p.rq, gm)
					name := ckName("dense ", gm.Name, " M=", M, " K=", K, " N=", N, " nk=", nk, " ", mode)
					gd := newQGuard(M*N, 1)
					d.Run(x, M, gd.out())
					gd.check(t, name)
					// Reference takes [K][N].
					wkn := w
					if nk {
						wkn = make([]int8, K*N)
						for k := 0; k < K; k++ {
							for n := 0; n < N; n++ {
								wkn[k*N+n] = w[n*K+k]
							}
						}
					}
					want := make([]int8, M*N)
					ref.DenseS8(M, K, N, x, p.xZero, wkn, p.wZero, p.bias, &p.rrq, want)
					qEqual(t, name, gd.out(), want)
					for _, parts := range []int{2, 3, 5} {
						gp := newQGuard(M*N, 2)
						for q := 0; q < parts; q++ {
							d.RunPart(x, M, gp.out(), q, parts)
						}
						gp.check(t, name)
						qEqual(t, ckName(name, " parts=", parts), gp.out(), want)
					}
				}
			}
		}
	}
	qMustPanic(t, "K=0", func() { PackDenseS8(0, 3, nil, false, nil, nil, 0, Requant{}) })
	d := PackDenseS8(4, 3, make([]int8, 12), false, nil, nil, 0, Requant{Mode: RequantFloat, Scale: []float32{1}, Min: -128, Max: 127})
	qMustPanic(t, "short y", func() { d.Run(make([]int8, 8), 2, make([]int8, 5)) })
}

func TestDenseS8Allocs(t *testing.T) {
	d := PackDenseS8(40, 30, make([]int8, 1200), true, []int32{3}, nil, 5, Requant{Mult: []int32{1 << 30}, Shift: []int32{-8}, Min: -128, Max: 127})
	x, y := make([]int8, 5*40), make([]int8, 5*30)
	for _, m := range []int{1, 5} {
		if n := testing.AllocsPerRun(5, func() { d.RunPart(x, m, y, 0, 2) }); n != 0 {
			t.Errorf("DenseS8.RunPart M=%d allocates %v times", m, n)
		}
	}
}

func TestMatMulS8(t *testing.T) {
	r := ckRNG(t)
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 7}, {13, 24, 3}, {5, 64, 65}, {2, 300, 130}} {
		M, K, N := sz[0], sz[1], sz[2]
		for _, mode := range qModes {
			a, b := qRandS8(r, M*K), qRandS8(r, K*N)
			g := ConvGeom{C: K, OC: N, KH: 1, KW: 1, Groups: 1}
			p := qDrawConv(r, g, mode)
			p.bias = nil
			mm := NewMatMulS8(N, p.xZero, p.wZero, p.rq)
			gd := newQGuard(M*N, 3)
			mm.Run(M, K, a, b, gd.out())
			gd.check(t, "MatMulS8")
			want := make([]int8, M*N)
			ref.DenseS8(M, K, N, a, p.xZero, b, p.wZero, nil, &p.rrq, want)
			qEqual(t, ckName("MatMulS8 ", sz, " ", mode), gd.out(), want)
			got2 := make([]int8, M*N)
			for q := 0; q < 3; q++ {
				mm.RunPart(M, K, a, b, got2, q, 3)
			}
			qEqual(t, "MatMulS8 parts", got2, want)
			if n := testing.AllocsPerRun(3, func() { mm.Run(M, K, a, b, got2) }); n != 0 {
				t.Errorf("MatMulS8.Run allocates %v times", n)
			}
		}
	}
	mm := NewMatMulS8(3, 0, nil, Requant{Mode: RequantFloat, Scale: []float32{1}, Min: -128, Max: 127})
	qMustPanic(t, "short b", func() { mm.Run(2, 2, make([]int8, 4), make([]int8, 5), make([]int8, 6)) })
	qMustPanic(t, "N=0", func() { NewMatMulS8(0, 0, nil, Requant{}) })
}

// TestDenseS8WideWeights uses weight zero points at the extremes (|w − wz|
// up to 255) with K past the 32-product lane block.
func TestDenseS8WideWeights(t *testing.T) {
	r := ckRNG(t)
	for _, gm := range qGemmImpls() {
		K, N, M := 100, 9, 6
		x := make([]int8, M*K)
		w := make([]int8, K*N)
		for i := range x {
			x[i] = -128
		}
		for i := range w {
			w[i] = 127
			if i%2 == 0 {
				w[i] = -128
			}
		}
		wz := []int32{-128, 127, -128, 127, 0, -128, 127, 1, -1}
		for _, mode := range qModes {
			rq, rrq := qRequant(r, mode, N, 30/(200.0*math.Sqrt(100)*128))
			d := packDenseS8With(K, N, w, false, wz, nil, 127, rq, gm)
			got := make([]int8, M*N)
			d.Run(x, M, got)
			want := make([]int8, M*N)
			ref.DenseS8(M, K, N, x, 127, w, wz, nil, &rrq, want)
			qEqual(t, "wide "+gm.Name, got, want)
		}
	}
}
