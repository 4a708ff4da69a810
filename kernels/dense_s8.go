package kernels

import "fmt"

// DenseS8 is an int8 fully connected layer (TFLite FULLY_CONNECTED, ONNX
// QLinearMatMul or MatMulInteger with a constant B) with packed weights and
// fused requantization:
//
//	for m, n: acc := bias[n] + Σ_k (x[m][k] − xZero)·(w[k][n] − wZero[n]); y[m][n] = requant(acc, n)
//
// It is immutable after PackDenseS8 and safe for concurrent use.
type DenseS8 struct {
	k, n int
	gemm *gemmS8Impl
	wp   []int64
	epi  gemmS8Epi
}

// PackDenseS8 packs w once: row-major [K][N] (ONNX MatMul's B), or [N][K]
// when nk is true (TFLite FULLY_CONNECTED's weights). wZero (per output
// column, one, or nil), bias (len N or nil), xZero and rq are as for
// PackConvS8. It panics on bad sizes or parameters.
func PackDenseS8(K, N int, w []int8, nk bool, wZero []int32, bias []int32, xZero int32, rq Requant) *DenseS8 {
	return packDenseS8With(K, N, w, nk, wZero, bias, xZero, rq, gemmS8Best())
}

func packDenseS8With(K, N int, w []int8, nk bool, wZero []int32, bias []int32, xZero int32, rq Requant, im *gemmS8Impl) *DenseS8 {
	if K <= 0 || N <= 0 {
		panic(fmt.Sprintf("kernels: PackDenseS8 K = %d, N = %d, want > 0", K, N))
	}
	if len(w) < K*N || (bias != nil && len(bias) < N) {
		panic(fmt.Sprintf("kernels: PackDenseS8 w len %d (want %d), bias len %d (want %d or nil)",
			len(w), K*N, len(bias), N))
	}
	if xZero < -128 || xZero > 127 {
		panic(fmt.Sprintf("kernels: PackDenseS8 input zero point %d outside [-128, 127]", xZero))
	}
	wz := checkWeightZero("PackDenseS8", wZero, N)
	rs, cs := N, 1
	if nk {
		rs, cs = 1, K
	}
	wide := false
	for j := 0; j < N; j++ {
		wide = wide || wz(j) != 0
	}
	im = im.forWeights(wide)
	d := &DenseS8{k: K, n: N, gemm: im}
	d.wp = make([]int64, gemmS8PackedLen(im, K, N))
	packGemmS8B(im, K, N, w, rs, cs, wz, d.wp)
	adj := make([]int32, N)
	for j := 0; j < N; j++ {
		var s int32
		for k := 0; k < K; k++ {
			s += int32(w[k*rs+j*cs]) - wz(j)
		}
		if bias != nil {
			adj[j] = bias[j]
		}
		adj[j] -= xZero * s
	}
	d.epi = gemmS8Epi{bias: adj, rq: newRequantPlan("kernels: PackDenseS8", &rq, N), n: N, kblk: im.kBlock(wide)}
	d.epi.padFloat()
	return d
}

// Run computes y[M][N] for x[M][K]; it is RunPart(x, M, y, 0, 1).
func (d *DenseS8) Run(x []int8, M int, y []int8) { d.RunPart(x, M, y, 0, 1) }

// RunPart computes share part of parts of the output: a range of row
// strips, or for M below the micro-kernel's rows a range of column panels.
func (d *DenseS8) RunPart(x []int8, M int, y []int8, part, parts int) {
	checkPart("DenseS8.RunPart", part, parts)
	if M < 0 || len(x) < M*d.k || len(y) < M*d.n {
		panic(fmt.Sprintf("kernels: DenseS8 M = %d: x len %d (want %d), y len %d (want %d)",
			M, len(x), M*d.k, len(y), M*d.n))
	}
	im := d.gemm
	if M < im.MR {
		np := (d.n + im.NR - 1) / im.NR
		p0, p1 := partRange(np, part, parts)
		for m := 0; m < M; m++ {
			im.Gemv(d.k, p0, p1, x[m*d.k:], d.wp, y[m*d.n:], &d.epi)
		}
		return
	}
	m0, m1 := stripRange(M, im.MR, part, parts)
	if m0 < m1 {
		gemmS8Run(im, m1-m0, d.k, x[m0*d.k:], d.k, d.wp, y[m0*d.n:], d.n, &d.epi)
	}
}

// MatMulS8 is a prepared int8 matrix product of two runtime tensors (ONNX
// QLinearMatMul with a non-constant B, as ONNX Runtime computes it):
//
//	y[m][n] = requant(Σ_k (a[m][k] − aZero)·(b[k][n] − bZero[n]), n)
//
// with row-major a [M][K], b [K][N], y [M][N]. bZero and the requant's
// scales are per column or single. It is immutable and safe for concurrent
// use; Run allocates nothing.
type MatMulS8 struct {
	n     int
	aZero int32
	bZero []int32
	rq    *requantPlan
}

// NewMatMulS8 prepares a product with N output columns.
func NewMatMulS8(N int, aZero int32, bZero []int32, rq Requant) *MatMulS8 {
	if N <= 0 {
		panic(fmt.Sprintf("kernels: NewMatMulS8 N = %d, want > 0", N))
	}
	if aZero < -128 || aZero > 127 {
		panic(fmt.Sprintf("kernels: NewMatMulS8 a zero point %d outside [-128, 127]", aZero))
	}
	wz := checkWeightZero("NewMatMulS8", bZero, N)
	mm := &MatMulS8{n: N, aZero: aZero, bZero: make([]int32, N), rq: newRequantPlan("kernels: NewMatMulS8", &rq, N)}
	for j := range mm.bZero {
		mm.bZero[j] = wz(j)
	}
	return mm
}

// matMulS8Block is the column block of MatMulS8's stack accumulators.
const matMulS8Block = 64

// Run computes y = a·b for a [M][K] and b [K][N]; it is RunPart(…, 0, 1).
func (mm *MatMulS8) Run(M, K int, a, b, y []int8) { mm.RunPart(M, K, a, b, y, 0, 1) }

// RunPart computes a range of the rows of y; parts may run concurrently.
func (mm *MatMulS8) RunPart(M, K int, a, b, y []int8, part, parts int) {
	checkPart("MatMulS8.RunPart", part, parts)
	N := mm.n
	if M < 0 || K <= 0 || len(a) < M*K || len(b) < K*N || len(y) < M*N {
		panic(fmt.Sprintf("kernels: MatMulS8 M=%d K=%d N=%d: a len %d, b len %d, y len %d", M, K, N, len(a), len(b), len(y)))
	}
	i0, i1 := partRange(M, part, parts)
	var acc [matMulS8Block]int32
	for i := i0; i < i1; i++ {
		ar := a[i*K : (i+1)*K]
		for j0 := 0; j0 < N; j0 += matMulS8Block {
			jb := min(matMulS8Block, N-j0)
			c := acc[:jb]
			clear(c)
			bz := mm.bZero[j0 : j0+jb]
			// Σ_k (a−az)(b−bz) = Σ_k (a−az)·b − bz·Σ_k (a−az)
			var sa int32
			for k, av := range ar {
				v := int32(av) - mm.aZero
				sa += v
				br := b[k*N+j0:][:jb]
				for j, bv := range br {
					c[j] += v * int32(bv)
				}
			}
			for j := range c {
				c[j] -= bz[j] * sa
			}
			mm.rq.apply(c, nil, j0, y[i*N+j0:])
		}
	}
}
