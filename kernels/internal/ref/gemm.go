package ref

// MatMul is the reference matrix product c[m][n] = Σ_k a[m][k]·b[k][n]
// (row-major, c overwritten), accumulated in float64.
func MatMul(m, n, k int, a, b, c []float32) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			acc := 0.0
			for p := 0; p < k; p++ {
				acc += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			c[i*n+j] = float32(acc)
		}
	}
}
