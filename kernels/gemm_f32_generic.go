package kernels

// Pure-Go GEMM micro-kernels, always compiled. The tile shapes were chosen by
// measurement and by reading the generated code: on amd64 the Go compiler
// has 15 usable X registers and schedules all the products of a loop body
// before the adds, so accumulators plus products must fit or accumulators
// spill to the stack (4×4, 4×8 and 8×1 do, and run 2–3× slower).

// gemmF32_6x1_go computes 6×1 tiles: six rows of A against np single
// columns of B, each of which must be contiguous (ldb == 1, a packed panel;
// other strides take the edge kernel). Holding the B value in a register
// lets the compiler fold the A loads into the multiplies; six accumulators
// plus six products fit the 15 usable X registers (eight rows spill).
func gemmF32_6x1_go(kc, np int, a []float32, lda int, b []float32, ldb, bps int, c []float32, ldc int) {
	if ldb != 1 {
		for p := 0; p < np; p++ {
			gemmF32Edge(6, 1, kc, a, lda, b[p*bps:], ldb, c[p:], ldc)
		}
		return
	}
	a0 := a[:kc]
	a1 := a[lda:][:kc]
	a2 := a[2*lda:][:kc]
	a3 := a[3*lda:][:kc]
	a4 := a[4*lda:][:kc]
	a5 := a[5*lda:][:kc]
	_ = c[5*ldc+np-1]
	for p := 0; p < np; p++ {
		bc := b[p*bps:][:len(a0)]
		var c0, c1, c2, c3, c4, c5 float32
		for k, bv := range bc {
			c0 += a0[k] * bv
			c1 += a1[k] * bv
			c2 += a2[k] * bv
			c3 += a3[k] * bv
			c4 += a4[k] * bv
			c5 += a5[k] * bv
		}
		cp := c[p:]
		cp[0] += c0
		cp[ldc] += c1
		cp[2*ldc] += c2
		cp[3*ldc] += c3
		cp[4*ldc] += c4
		cp[5*ldc] += c5
	}
}

// gemmF32_4x2_go computes 4×2 tiles; B is read as pairs b[k*ldb],
// b[k*ldb+1] and is equally fast packed or strided.
func gemmF32_4x2_go(kc, np int, a []float32, lda int, b []float32, ldb, bps int, c []float32, ldc int) {
	a0 := a[:kc]
	a1 := a[lda:][:kc]
	a2 := a[2*lda:][:kc]
	a3 := a[3*lda:][:kc]
	_ = c[3*ldc+2*np-1]
	for p := 0; p < np; p++ {
		bp := b[p*bps:]
		var c00, c01, c10, c11, c20, c21, c30, c31 float32
		for k, x0 := range a0 {
			bk := (*[2]float32)(bp[k*ldb:])
			b0, b1 := bk[0], bk[1]
			x1, x2, x3 := a1[k], a2[k], a3[k]
			c00 += x0 * b0
			c01 += x0 * b1
			c10 += x1 * b0
			c11 += x1 * b1
			c20 += x2 * b0
			c21 += x2 * b1
			c30 += x3 * b0
			c31 += x3 * b1
		}
		cp := c[2*p:]
		r := (*[2]float32)(cp[0:])
		r[0] += c00
		r[1] += c01
		r = (*[2]float32)(cp[ldc:])
		r[0] += c10
		r[1] += c11
		r = (*[2]float32)(cp[2*ldc:])
		r[0] += c20
		r[1] += c21
		r = (*[2]float32)(cp[3*ldc:])
		r[0] += c30
		r[1] += c31
	}
}
