package kernels

import "fmt"

// DenseF32 is a fully connected layer with packed weights, fused bias and
// activation:
//
//	for m, n: s := bias[n]; for k: s += x[m*K+k] * w[k*N+n]; y[m*N+n] = act(s)
//
// It is immutable after PackDenseF32 and safe for concurrent use.
type DenseF32 struct {
	k, n int
	act  Act
	bias []float32
	wp   []float32 // B packed into panels of gemm.NR columns
	gemm *gemmF32Impl
}

// PackDenseF32 packs w (row-major [K][N]) once; bias (len N) may be nil.
// With an assembly GEMM kernel the packed weights are its column panels
// and serve every M. The pure-Go kernels use the one-column-panel kernel,
// so the packed weights are W transposed and serve both batch 1 (see
// runGemv) and batched inputs.
func PackDenseF32(K, N int, w, bias []float32, act Act) *DenseF32 {
	if im := gemmF32Best(false); im.Asm != gemmF32AsmNone {
		return packDenseF32With(K, N, w, bias, act, im)
	}
	for i := range gemmF32Impls {
		if im := &gemmF32Impls[i]; im.NR == 1 && im.Available() {
			return packDenseF32With(K, N, w, bias, act, im)
		}
	}
	return packDenseF32With(K, N, w, bias, act, gemmF32Best(false))
}

func packDenseF32With(K, N int, w, bias []float32, act Act, im *gemmF32Impl) *DenseF32 {
	if K <= 0 || N <= 0 {
		panic(fmt.Sprintf("kernels: PackDenseF32 K = %d, N = %d, want > 0", K, N))
	}
	if len(w) < K*N || (bias != nil && len(bias) < N) {
		panic(fmt.Sprintf("kernels: PackDenseF32 w len %d (want %d), bias len %d (want %d or nil)",
			len(w), K*N, len(bias), N))
	}
	mustCheckAct(act)
	d := &DenseF32{k: K, n: N, act: act, gemm: im}
	if bias != nil {
		d.bias = append([]float32(nil), bias[:N]...)
	}
	d.wp = make([]float32, gemmF32PackedLen(K, N, im.NR))
	im.pack(K, N, w, N, 1, d.wp)
	return d
}

// Run computes y[M][N] for x[M][K]; it is RunPart(x, M, y, 0, 1).
func (d *DenseF32) Run(x []float32, M int, y []float32) { d.RunPart(x, M, y, 0, 1) }

// RunPart computes share part of parts of the output: a range of rows of M,
// or for small M (fewer rows than the micro-kernel) a range of columns.
// Results are bit-identical for any parts.
func (d *DenseF32) RunPart(x []float32, M int, y []float32, part, parts int) {
	if parts <= 0 || part < 0 || part >= parts {
		panic(fmt.Sprintf("kernels: DenseF32.RunPart part %d of %d", part, parts))
	}
	if M < 0 || len(x) < M*d.k || len(y) < M*d.n {
		panic(fmt.Sprintf("kernels: DenseF32 M = %d: x len %d (want %d), y len %d (want %d)",
			M, len(x), M*d.k, len(y), M*d.n))
	}
	im := d.gemm
	if M < im.MR && im.NR == 1 && im.Asm == gemmF32AsmNone {
		d.runGemv(x, M, y, part, parts)
		return
	}
	if M < im.MR && M > 0 {
		// Fewer rows than one strip: split the columns.
		gemmF32PackedColumns(im, M, d.n, d.k, x, d.k, d.wp, d.bias, y, d.n, d.act, part, parts)
		return
	}
	m0, m1 := stripRange(M, im.MR, part, parts)
	if m0 < m1 {
		gemmF32Packed(im, m1-m0, d.n, d.k, x[m0*d.k:], d.k, d.wp, d.bias, y[m0*d.n:], d.n, d.act)
	}
}

// runGemv handles M < MR for one-column panels: the packed weights are then
// W transposed ([N][K]), so the micro-kernel runs with the roles of A and B
// swapped, MR output columns per call against one row of x.
func (d *DenseF32) runGemv(x []float32, M int, y []float32, part, parts int) {
	im := d.gemm
	K, N := d.k, d.n
	j0, j1 := stripRange(N, im.MR, part, parts)
	if j0 >= j1 {
		return
	}
	for m := 0; m < M; m++ {
		yr := y[m*N+j0 : m*N+j1]
		if d.bias != nil {
			copy(yr, d.bias[j0:j1])
		} else {
			clear(yr)
		}
		for k0 := 0; k0 < K; k0 += gemmF32KC {
			kc := min(gemmF32KC, K-k0)
			xr := x[m*K+k0:]
			for j := j0; j < j1; j += im.MR {
				if j+im.MR <= j1 {
					im.Fn(kc, 1, d.wp[j*K+k0:], K, xr, 1, 0, y[m*N+j:], 1)
				} else {
					gemmF32Edge(j1-j, 1, kc, d.wp[j*K+k0:], K, xr, 1, y[m*N+j:], 1)
				}
			}
		}
		ApplyAct(d.act, yr)
	}
}
