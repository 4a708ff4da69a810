package kernels

// Pure-Go GEMM micro-kernels, always compiled. The tile shapes were chosen by
// measurement and by reading the generated code: on amd64 the Go compiler
// has 15 usable X registers and schedules all the products of a loop body
// before the adds, so accumulators plus products must fit or accumulators
// spill to the stack (4×4, 4×8 and 8×1 do, and run 2–3× slower).

// gemmF32_6x1_go computes a 6×1 tile: six rows of A against one column of
// B, which must be contiguous (a packed panel, ldb == 1; other strides take
// the edge kernel). Holding the B value in a register lets the compiler fold
// the A loads into the multiplies; six accumulators plus six products fit
// the 15 usable X registers (eight rows spill).
func gemmF32_6x1_go(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if ldb != 1 {
		gemmF32Edge(6, 1, kc, a, lda, b, ldb, c, ldc)
		return
	}
	b = b[:kc]
	a0 := a[:len(b)]
	a1 := a[lda:][:len(b)]
	a2 := a[2*lda:][:len(b)]
	a3 := a[3*lda:][:len(b)]
	a4 := a[4*lda:][:len(b)]
	a5 := a[5*lda:][:len(b)]
	var c0, c1, c2, c3, c4, c5 float32
	for k, bv := range b {
		c0 += a0[k] * bv
		c1 += a1[k] * bv
		c2 += a2[k] * bv
		c3 += a3[k] * bv
		c4 += a4[k] * bv
		c5 += a5[k] * bv
	}
	_ = c[5*ldc]
	c[0] += c0
	c[ldc] += c1
	c[2*ldc] += c2
	c[3*ldc] += c3
	c[4*ldc] += c4
	c[5*ldc] += c5
}

// gemmF32_4x2_go computes a 4×2 tile; B is read as pairs b[k*ldb], b[k*ldb+1]
// and is equally fast packed or strided.
func gemmF32_4x2_go(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	a0 := a[:kc]
	a1 := a[lda:][:kc]
	a2 := a[2*lda:][:kc]
	a3 := a[3*lda:][:kc]
	var c00, c01, c10, c11, c20, c21, c30, c31 float32
	for k, x0 := range a0 {
		bk := (*[2]float32)(b[k*ldb:])
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
	r := (*[2]float32)(c[0:])
	r[0] += c00
	r[1] += c01
	r = (*[2]float32)(c[ldc:])
	r[0] += c10
	r[1] += c11
	r = (*[2]float32)(c[2*ldc:])
	r[0] += c20
	r[1] += c21
	r = (*[2]float32)(c[3*ldc:])
	r[0] += c30
	r[1] += c31
}
