package kernels

// Pure-Go int8 GEMM micro-kernels, always compiled.
//
// gemmS8_4x3_swar does three multiply-accumulates per 64-bit multiply: a
// weight word holds three columns as w0 + w1·2^21 + w2·2^42 (signed lanes
// of 21 bits, the top one 22), so x·word accumulates x·w0, x·w1 and x·w2 in
// separate lanes. A lane sum stays within ±2^20 for up to 63 products of
// int8 values (63·128·128 < 2^20), or 32 products when the weights had a
// zero point subtracted (|w| <= 255); the kernel unpacks the lanes into
// int32 sums after every such block. The sum is exact in int64, so the
// unpacking is too. Measured on the development machine (Zen 4, Go 1.26)
// at ~12 GOP/s against ~4.5 for plain int32 tiles: the Go compiler keeps
// four 64-bit accumulators, the word and four row pointers in registers,
// while wider int32 tiles (4×4) spill.
//
// gemmS8_4x2_go is the plain kernel (int32 products), preferred on 32-bit
// targets where a 64-bit multiply costs three 32-bit ones.

// packWordSwar21 packs three weights into 21-bit signed lanes.
func packWordSwar21(w []int32) int64 {
	return int64(w[0]) + int64(w[1])<<21 + int64(w[2])<<42
}

// unpackSwar21 splits a word of three signed lane sums.
func unpackSwar21(v int64) (l0, l1, l2 int32) {
	s0 := v << 43 >> 43
	v = (v - s0) >> 21
	s1 := v << 43 >> 43
	v = (v - s1) >> 21
	return int32(s0), int32(s1), int32(v)
}

// packWord2x32 packs two weights as the low and high 32-bit halves.
func packWord2x32(w []int32) int64 {
	return int64(uint32(w[0])) | int64(w[1])<<32
}

func gemmS8_4x3_swar(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	// Rows past mr re-read row 0; their results are not stored.
	o1, o2, o3 := lda, 2*lda, 3*lda
	if mr < 2 {
		o1 = 0
	}
	if mr < 3 {
		o2 = 0
	}
	if mr < 4 {
		o3 = 0
	}
	a0 := a[:kc]
	a1 := a[o1:][:kc]
	a2 := a[o2:][:kc]
	a3 := a[o3:][:kc]
	kblk := ep.kblk
	var acc [12]int32
	for p := 0; p < np; p++ {
		bp := b[p*kc:][:kc]
		acc = [12]int32{}
		for k0 := 0; k0 < kc; k0 += kblk {
			kb := min(kblk, kc-k0)
			bb := bp[k0:][:kb]
			x0 := a0[k0:][:kb]
			x1 := a1[k0:][:kb]
			x2 := a2[k0:][:kb]
			x3 := a3[k0:][:kb]
			var c0, c1, c2, c3 int64
			for k, bv := range bb {
				c0 += int64(x0[k]) * bv
				c1 += int64(x1[k]) * bv
				c2 += int64(x2[k]) * bv
				c3 += int64(x3[k]) * bv
			}
			l0, l1, l2 := unpackSwar21(c0)
			acc[0] += l0
			acc[1] += l1
			acc[2] += l2
			l0, l1, l2 = unpackSwar21(c1)
			acc[3] += l0
			acc[4] += l1
			acc[5] += l2
			l0, l1, l2 = unpackSwar21(c2)
			acc[6] += l0
			acc[7] += l1
			acc[8] += l2
			l0, l1, l2 = unpackSwar21(c3)
			acc[9] += l0
			acc[10] += l1
			acc[11] += l2
		}
		ep.tile3(&acc, mr, p, y, ldy)
	}
}

func gemmS8_4x2_go(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	o1, o2, o3 := lda, 2*lda, 3*lda
	if mr < 2 {
		o1 = 0
	}
	if mr < 3 {
		o2 = 0
	}
	if mr < 4 {
		o3 = 0
	}
	a0 := a[:kc]
	a1 := a[o1:][:kc]
	a2 := a[o2:][:kc]
	a3 := a[o3:][:kc]
	var acc [8]int32
	for p := 0; p < np; p++ {
		bp := b[p*kc:][:kc]
		var c00, c01, c10, c11, c20, c21, c30, c31 int32
		for k, w := range bp {
			b0, b1 := int32(w), int32(w>>32)
			x0, x1, x2, x3 := int32(a0[k]), int32(a1[k]), int32(a2[k]), int32(a3[k])
			c00 += x0 * b0
			c01 += x0 * b1
			c10 += x1 * b0
			c11 += x1 * b1
			c20 += x2 * b0
			c21 += x2 * b1
			c30 += x3 * b0
			c31 += x3 * b1
		}
		acc = [8]int32{c00, c01, c10, c11, c20, c21, c30, c31}
		ep.tile(acc[:], 2, mr, p, y, ldy)
	}
}

// gemvS8_swar is the one-row SWAR kernel: four panels (twelve columns) per
// pass over x.
func gemvS8_swar(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	x = x[:kc]
	kblk := ep.kblk
	var acc [12]int32
	p := p0
	for ; p+4 <= p1; p += 4 {
		b0 := b[p*kc:][:kc]
		b1 := b[(p+1)*kc:][:kc]
		b2 := b[(p+2)*kc:][:kc]
		b3 := b[(p+3)*kc:][:kc]
		acc = [12]int32{}
		for k0 := 0; k0 < kc; k0 += kblk {
			kb := min(kblk, kc-k0)
			xs := x[k0:][:kb]
			w0, w1, w2, w3 := b0[k0:][:kb], b1[k0:][:kb], b2[k0:][:kb], b3[k0:][:kb]
			var c0, c1, c2, c3 int64
			for k, xv := range xs {
				v := int64(xv)
				c0 += v * w0[k]
				c1 += v * w1[k]
				c2 += v * w2[k]
				c3 += v * w3[k]
			}
			for q, c := range [4]int64{c0, c1, c2, c3} {
				l0, l1, l2 := unpackSwar21(c)
				acc[3*q] += l0
				acc[3*q+1] += l1
				acc[3*q+2] += l2
			}
		}
		for q := 0; q < 4; q++ {
			ep.tile(acc[3*q:3*q+3], 3, 1, p+q, y, 0)
		}
	}
	for ; p < p1; p++ {
		bp := b[p*kc:][:kc]
		var a3 [3]int32
		for k0 := 0; k0 < kc; k0 += kblk {
			kb := min(kblk, kc-k0)
			xs := x[k0:][:kb]
			w := bp[k0:][:kb]
			var c int64
			for k, xv := range xs {
				c += int64(xv) * w[k]
			}
			l0, l1, l2 := unpackSwar21(c)
			a3[0] += l0
			a3[1] += l1
			a3[2] += l2
		}
		ep.tile(a3[:], 3, 1, p, y, 0)
	}
}

// gemvS8_2x32 is the one-row plain kernel: four panels (eight columns) per
// pass over x.
func gemvS8_2x32(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	x = x[:kc]
	var acc [8]int32
	p := p0
	for ; p+4 <= p1; p += 4 {
		b0 := b[p*kc:][:kc]
		b1 := b[(p+1)*kc:][:kc]
		b2 := b[(p+2)*kc:][:kc]
		b3 := b[(p+3)*kc:][:kc]
		var c0, c1, c2, c3, c4, c5, c6, c7 int32
		for k, xv := range x {
			v := int32(xv)
			w0, w1, w2, w3 := b0[k], b1[k], b2[k], b3[k]
			c0 += v * int32(w0)
			c1 += v * int32(w0>>32)
			c2 += v * int32(w1)
			c3 += v * int32(w1>>32)
			c4 += v * int32(w2)
			c5 += v * int32(w2>>32)
			c6 += v * int32(w3)
			c7 += v * int32(w3>>32)
		}
		acc = [8]int32{c0, c1, c2, c3, c4, c5, c6, c7}
		for q := 0; q < 4; q++ {
			ep.tile(acc[2*q:2*q+2], 2, 1, p+q, y, 0)
		}
	}
	for ; p < p1; p++ {
		bp := b[p*kc:][:kc]
		var c0, c1 int32
		for k, xv := range x {
			w := bp[k]
			c0 += int32(xv) * int32(w)
			c1 += int32(xv) * int32(w>>32)
		}
		a2 := [2]int32{c0, c1}
		ep.tile(a2[:], 2, 1, p, y, 0)
	}
}
