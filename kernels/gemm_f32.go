package kernels

import "strconv"

// gemmF32Impl is one float32 GEMM micro-kernel. Fn computes np adjacent
// MR×NR tiles (one strip of MR rows against np column panels):
//
//	c[i*ldc+p*NR+j] += Σ_{k<kc} a[i*lda+k] · b[p*bps+k*ldb+j]   (i < MR, p < np, j < NR)
//
// accumulating each element from zero in k order before adding it to c, so
// that gemmF32Edge (used for partial tiles) gives bit-identical results.
// Packed B (see packGemmF32B) has ldb = NR and panel stride bps = K·NR; a
// row-major B has ldb = N and bps = NR. Looping over the panels inside the
// kernel keeps the call and slicing overhead out of small-K layers.
type gemmF32Impl struct {
	Name      string
	Available func() bool
	MR, NR    int
	// Strided reports that the kernel is as fast with an unpacked B
	// (ldb > NR) as with a packed panel; MatMulF32 only uses such kernels.
	Strided bool
	Fn      func(kc, np int, a []float32, lda int, b []float32, ldb, bps int, c []float32, ldc int)
}

// gemmF32Impls is the registration list of float32 GEMM micro-kernels, best
// first. Dispatch takes the first available entry; tests and benchmarks loop
// over all of them. The list is the only place to edit when adding a kernel.
var gemmF32Impls = []gemmF32Impl{
	{Name: "gemmF32_6x1_go", Available: always, MR: 6, NR: 1, Fn: gemmF32_6x1_go},
	{Name: "gemmF32_4x2_go", Available: always, MR: 4, NR: 2, Strided: true, Fn: gemmF32_4x2_go},
}

func always() bool { return true }

// Cache blocking of the GEMM driver: a kc-slice of a B panel (gemmF32KC·NR
// floats) stays in L1 while it is used for gemmF32MC rows of A (in L2).
const (
	gemmF32KC = 256
	gemmF32MC = 64
)

// gemmF32Best returns the first available impl, optionally requiring Strided.
func gemmF32Best(strided bool) *gemmF32Impl {
	for i := range gemmF32Impls {
		im := &gemmF32Impls[i]
		if im.Available() && (im.Strided || !strided) {
			return im
		}
	}
	panic("kernels: no float32 GEMM kernel available")
}

// gemmF32PackedLen is the length of B [k][n] packed into panels of nr columns.
func gemmF32PackedLen(k, n, nr int) int {
	return (n + nr - 1) / nr * nr * k
}

// packGemmF32B packs B into column panels of nr columns: panel p holds
// columns [p·nr, p·nr+nr) as [k][nr] (zero-padded past n). Element (kk, j)
// of B is read as b[kk*rs + j*cs], so B may be given row-major (rs=n, cs=1)
// or transposed (rs=1, cs=k, e.g. OHWI conv weights).
func packGemmF32B(k, n, nr int, b []float32, rs, cs int, dst []float32) {
	for p := 0; p*nr < n; p++ {
		panel := dst[p*nr*k : (p+1)*nr*k]
		for kk := 0; kk < k; kk++ {
			for jj := 0; jj < nr; jj++ {
				j := p*nr + jj
				v := float32(0)
				if j < n {
					v = b[kk*rs+j*cs]
				}
				panel[kk*nr+jj] = v
			}
		}
	}
}

// gemmF32Packed computes rows [0, m) of
//
//	c[i*ldc+j] = act(bias[j] + Σ_k a[i*lda+k] · B[k][j])   (j < n)
//
// with B packed by packGemmF32B for im.NR. bias may be nil. The sum for every
// element is formed the same way whatever m is, as long as the caller splits
// M at multiples of im.MR: per K block of gemmF32KC, a zero-started partial
// sum in k order, added to c.
func gemmF32Packed(im *gemmF32Impl, m, n, k int, a []float32, lda int, bp []float32,
	bias []float32, c []float32, ldc int, act Act) {
	mr, nr := im.MR, im.NR
	mc := max(gemmF32MC/mr, 1) * mr // whole strips: partial ones only at m
	for i0 := 0; i0 < m; i0 += mc {
		mb := min(mc, m-i0)
		for i := i0; i < i0+mb; i++ {
			row := c[i*ldc : i*ldc+n]
			if bias != nil {
				copy(row, bias[:n])
			} else {
				clear(row)
			}
		}
		for k0 := 0; k0 < k; k0 += gemmF32KC {
			kc := min(gemmF32KC, k-k0)
			for i := i0; i < i0+mb; i += mr {
				mi := min(mr, i0+mb-i)
				ai, ci := a[i*lda+k0:], c[i*ldc:]
				j0 := 0
				if mi == mr && n >= nr {
					im.Fn(kc, n/nr, ai, lda, bp[k0*nr:], nr, k*nr, ci, ldc)
					j0 = n / nr * nr
				}
				for ; j0 < n; j0 += nr {
					gemmF32Edge(mi, min(nr, n-j0), kc, ai, lda, bp[j0*k+k0*nr:], nr, ci[j0:], ldc)
				}
			}
		}
		if act.Kind != ActNone {
			for i := i0; i < i0+mb; i++ {
				ApplyAct(act, c[i*ldc:i*ldc+n])
			}
		}
	}
}

// gemmF32Edge is the any-size tile used at the M and N edges: the same
// per-element arithmetic as the micro-kernels, without register blocking.
func gemmF32Edge(mr, nr, kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < mr; i++ {
		ar := a[i*lda : i*lda+kc]
		for j := 0; j < nr; j++ {
			var acc float32
			for k, av := range ar {
				acc += av * b[k*ldb+j]
			}
			c[i*ldc+j] += acc
		}
	}
}

// MatMulF32 is a plain GEMM with runtime operands (MatMul of two
// activations): c[M][N] = a[M][K] · b[K][N], all row-major; c is overwritten.
//
//	for i := 0; i < M; i++ {
//		for j := 0; j < N; j++ {
//			var s float32
//			for k := 0; k < K; k++ {
//				s += a[i*K+k] * b[k*N+j]
//			}
//			c[i*N+j] = s
//		}
//	}
//
// B is read in place (no packing, so no scratch), with a kernel that is fast
// on a strided B.
func MatMulF32(M, N, K int, a, b, c []float32) {
	if M < 0 || N < 0 || K < 0 {
		panic("kernels: MatMulF32 negative size")
	}
	if len(a) < M*K || len(b) < K*N || len(c) < M*N {
		panic("kernels: MatMulF32 short slice: need a " + strconv.Itoa(M*K) + ", b " +
			strconv.Itoa(K*N) + ", c " + strconv.Itoa(M*N))
	}
	matMulF32With(gemmF32Best(true), M, N, K, a, b, c)
}

func matMulF32With(im *gemmF32Impl, M, N, K int, a, b, c []float32) {
	clear(c[:M*N])
	mr, nr := im.MR, im.NR
	mc := max(gemmF32MC/mr, 1) * mr
	for i0 := 0; i0 < M; i0 += mc {
		mb := min(mc, M-i0)
		for k0 := 0; k0 < K; k0 += gemmF32KC {
			kc := min(gemmF32KC, K-k0)
			for i := i0; i < i0+mb; i += mr {
				mi := min(mr, i0+mb-i)
				ai, ci := a[i*K+k0:], c[i*N:]
				j0 := 0
				if mi == mr && N >= nr {
					im.Fn(kc, N/nr, ai, K, b[k0*N:], N, nr, ci, N)
					j0 = N / nr * nr
				}
				for ; j0 < N; j0 += nr {
					gemmF32Edge(mi, min(nr, N-j0), kc, ai, K, b[k0*N+j0:], N, ci[j0:], N)
				}
			}
		}
	}
}
