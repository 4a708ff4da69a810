package ref

// Dense is the reference fully connected layer
// y[m][n] = act(bias[n] + Σ_k x[m][k]·w[k][n]); bias may be nil.
func Dense(m, n, k int, x, w, bias, y []float32, act Act) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			acc := 0.0
			if bias != nil {
				acc = float64(bias[j])
			}
			for p := 0; p < k; p++ {
				acc += float64(x[i*k+p]) * float64(w[p*n+j])
			}
			y[i*n+j] = float32(act.Eval(acc))
		}
	}
}
