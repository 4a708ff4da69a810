package train

// denseBackward accumulates the gradients of y = x·w + b for x [M][K],
// w [K][N], dy [M][N]:
//
//	db += Σ_m dy[m]          dw += xᵀ·dy          dx += dy·wᵀ
//
// Any of dx, dw, db may be nil.
func denseBackward(wk workers, M, K, N int, x, w, dy, dx, dw, db []float32, s *convScratch) {
	if db != nil {
		biasBackward(wk, M, N, dy, db)
	}
	if dw != nil {
		s.cols = grow(s.cols, M*K)
		transpose2D(M, K, x, s.cols)
		wk.gemm(K, N, M, s.cols, dy, dw, true, &s.tmp)
	}
	if dx != nil {
		s.wt = grow(s.wt, K*N)
		transpose2D(K, N, w, s.wt)
		wk.gemm(M, K, N, dy, s.wt, dx, true, &s.tmp)
	}
}
