package kernels

import (
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// TestDenseF32 compares every GEMM impl against ref.Dense for small M (the
// GEMV path) and large M, odd K and N, with guarded outputs, and checks that
// RunPart with 1, 2, 3 and 7 parts equals Run bit for bit.
// Tolerance: 1e-5·Σ|terms| (·1.5 for the activation) + 1e-6.
func TestDenseF32(t *testing.T) {
	r := ckRNG(t)
	for i := range gemmF32Impls {
		im := &gemmF32Impls[i]
		if !im.Available() {
			continue
		}
		for _, m := range []int{1, 2, im.MR - 1, im.MR, im.MR + 1, 33} {
			for _, kn := range [][2]int{{1, 1}, {3, 13}, {13, 24}, {24, 7}, {300, 17}, {64, 100}} {
				k, n := kn[0], kn[1]
				act := ckActs[(m+k+n)%len(ckActs)]
				name := ckName(im.Name, " m=", m, " k=", k, " n=", n, " ", act)
				x, w, bias := ckRand(r, m*k), ckRand(r, k*n), ckRand(r, n)
				if n%2 == 0 {
					bias = nil
				}
				d := packDenseF32With(k, n, w, bias, act, im)
				gd := newCKGuard(m*n, m%4)
				d.Run(x, m, gd.out())
				gd.check(t, name)
				want := make([]float32, m*n)
				ref.Dense(m, n, k, x, w, bias, want, ckRefAct(act))
				bound := make([]float32, m*n)
				ref.Dense(m, n, k, ckAbs(x), ckAbs(w), ckAbs(bias), bound, ref.Act{})
				ckCompare(t, name, gd.out(), want, bound, 1.5e-5, 1e-6)
				for _, parts := range []int{2, 3, 7} {
					gp := newCKGuard(m*n, 1)
					for p := 0; p < parts; p++ {
						d.RunPart(x, m, gp.out(), p, parts)
					}
					gp.check(t, name)
					ckBitsEqual(t, ckName(name, " parts=", parts), gp.out(), gd.out())
				}
			}
		}
	}
}

func TestDenseF32Allocs(t *testing.T) {
	r := ckRNG(t)
	d := PackDenseF32(64, 40, ckRand(r, 64*40), ckRand(r, 40), Act{Kind: ActRelu})
	x, y := ckRand(r, 9*64), make([]float32, 9*40)
	for _, m := range []int{1, 9} {
		if n := testing.AllocsPerRun(10, func() { d.Run(x, m, y) }); n != 0 {
			t.Errorf("DenseF32.Run M=%d allocates %v times", m, n)
		}
	}
}
