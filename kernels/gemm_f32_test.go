package kernels

import (
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// gemmTestSizes gives sizes on and around the tile edges of im.
func gemmTestSizes(t, extra int) []int {
	s := []int{1, t, t + 1, 2 * t, 3*t + 1, extra}
	if t > 1 {
		s = append(s, t-1)
	}
	return s
}

// gemmTestCols adds the column-step edges of an assembly kernel (every
// multiple of the step up to two panels, ±1: whole panels, the narrower
// in-kernel paths and the stack-tile tail) to the panel edges.
func gemmTestCols(im *gemmF32Impl) []int {
	s := gemmTestSizes(im.NR, 13)
	if st := im.NStep; st > 0 {
		seen := map[int]bool{}
		for _, v := range s {
			seen[v] = true
		}
		for j := st; j <= 2*im.NR; j += st {
			for _, v := range []int{j - 1, j, j + 1} {
				if !seen[v] {
					seen[v] = true
					s = append(s, v)
				}
			}
		}
	}
	return s
}

// TestGemmF32Packed runs the packed-B driver of every available impl against
// ref.Dense at tile-edge sizes of M, N and K (K around the KC block, so
// assembly kernels also start from C), with bias, an activation, A at
// alignment offsets 0–3 and guarded, padded output rows.
// Tolerance: 1e-5·Σ|terms| (·1.5 for the activation) + 1e-6.
func TestGemmF32Packed(t *testing.T) {
	r := ckRNG(t)
	for i := range gemmF32Impls {
		im := &gemmF32Impls[i]
		if !im.Available() {
			t.Logf("%s: not available on this CPU", im.Name)
			continue
		}
		for _, m := range gemmTestSizes(im.MR, 67) {
			for _, n := range gemmTestCols(im) {
				for _, k := range []int{1, 3, 13, 24, im.KC - 1, im.KC, im.KC + 1, 2*im.KC + 5} {
					act := ckActs[(m+n+k)%len(ckActs)]
					aoff := (m + n) % 4
					name := ckName(im.Name, " m=", m, " n=", n, " k=", k, " ", act, " a+", aoff)
					a := ckRand(r, m*k+aoff)[aoff:]
					b := ckRand(r, k*n)
					bias := ckRand(r, n)
					if k%2 == 0 {
						bias = nil
					}
					bp := make([]float32, gemmF32PackedLen(k, n, im.NR))
					im.pack(k, n, b, n, 1, bp)
					ldc := n + 3 // padded rows: the gap must stay untouched
					gd := newCKGuard(m*ldc, (m+k)%4)
					c := gd.out()
					gemmF32Packed(im, m, n, k, a, k, bp, bias, c, ldc, act)
					gd.check(t, name)
					got := make([]float32, m*n)
					for row := 0; row < m; row++ {
						copy(got[row*n:(row+1)*n], c[row*ldc:row*ldc+n])
						for j := n; j < ldc && row*ldc+j < len(c); j++ {
							if c[row*ldc+j] != gd.sentinel {
								t.Fatalf("%s: row gap (%d, %d) overwritten", name, row, j)
							}
						}
					}
					want := make([]float32, m*n)
					ref.Dense(m, n, k, a, b, bias, want, ckRefAct(act))
					bound := make([]float32, m*n)
					ref.Dense(m, n, k, ckAbs(a), ckAbs(b), ckAbs(bias), bound, ref.Act{})
					ckCompare(t, name, got, want, bound, 1.5e-5, 1e-6)
				}
			}
		}
	}
}

// TestMatMulF32 checks every impl on an unpacked (strided) B, and the
// exported entry. Tolerance: 1e-5·Σ|terms| + 1e-6.
func TestMatMulF32(t *testing.T) {
	r := ckRNG(t)
	check := func(name string, m, n, k int, f func(a, b, c []float32)) {
		a, b := ckRand(r, m*k), ckRand(r, k*n)
		gd := newCKGuard(m*n, (m+n)%4)
		c := gd.out()
		for i := range c {
			c[i] = 99 // overwritten, not accumulated
		}
		f(a, b, c)
		gd.check(t, name)
		want := make([]float32, m*n)
		ref.MatMul(m, n, k, a, b, want)
		bound := make([]float32, m*n)
		ref.MatMul(m, n, k, ckAbs(a), ckAbs(b), bound)
		ckCompare(t, name, c, want, bound, 1e-5, 1e-6)
	}
	for i := range gemmF32Impls {
		im := &gemmF32Impls[i]
		if !im.Available() || im.Fn == nil {
			continue // MatMulF32 uses the pure-Go tile kernels only
		}
		for _, m := range gemmTestSizes(im.MR, 21) {
			for _, n := range gemmTestSizes(im.NR, 24) {
				for _, k := range []int{1, 13, gemmF32KC + 1} {
					check(ckName(im.Name, " m=", m, " n=", n, " k=", k), m, n, k, func(a, b, c []float32) {
						matMulF32With(im, m, n, k, a, b, c)
					})
				}
			}
		}
	}
	for _, s := range [][3]int{{0, 5, 3}, {5, 0, 3}, {3, 4, 0}, {1, 1, 1}, {65, 33, 300}} {
		m, n, k := s[0], s[1], s[2]
		check(ckName("MatMulF32 ", s), m, n, k, func(a, b, c []float32) { MatMulF32(m, n, k, a, b, c) })
	}
}

func TestMatMulF32Panics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MatMulF32 with a short c did not panic")
		}
	}()
	MatMulF32(2, 2, 2, make([]float32, 4), make([]float32, 4), make([]float32, 3))
}
