package kernels

// Pure-Go int8 depthwise interior kernels (see dwRowS8). They accumulate a
// block of up to dwS8Block channels of one pixel in an int32 stack array,
// bias first, then requantize the block. Integer sums are exact, so the
// order of the taps does not matter for the result.

// dwconvS8_3x3_go is the 3×3 interior kernel: three taps per pass over the
// channels; at stride 1 (PixStep == TapX) two neighbouring pixels share two
// of their three input columns and are computed together.
func dwconvS8_3x3_go(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	c := r.C
	ty, tx := r.TapY, r.TapX
	var acc0, acc1 [dwS8Block]int32
	p := 0
	if r.PixStep == tx {
		for ; p+2 <= r.N; p += 2 {
			xp := x[p*r.PixStep:]
			for c0 := 0; c0 < c; c0 += dwS8Block {
				cb := min(dwS8Block, c-c0)
				a0, a1 := acc0[:cb], acc1[:cb]
				copy(a0, bias[c0:c0+cb])
				copy(a1, a0)
				for ky := 0; ky < 3; ky++ {
					xr := xp[ky*ty+c0:]
					x0, x1, x2, x3 := xr[:cb], xr[tx:][:cb], xr[2*tx:][:cb], xr[3*tx:][:cb]
					wr := w[ky*3*c+c0:]
					w0, w1, w2 := wr[:cb], wr[c:][:cb], wr[2*c:][:cb]
					a1 := a1[:cb]
					for i := range a0 {
						v1, v2 := int32(x1[i]), int32(x2[i])
						k0, k1, k2 := w0[i], w1[i], w2[i]
						a0[i] += int32(x0[i])*k0 + v1*k1 + v2*k2
						a1[i] += v1*k0 + v2*k1 + int32(x3[i])*k2
					}
				}
				rq.apply(a0, nil, c0, y[p*c+c0:])
				rq.apply(a1, nil, c0, y[(p+1)*c+c0:])
			}
		}
	}
	for ; p < r.N; p++ {
		xp := x[p*r.PixStep:]
		for c0 := 0; c0 < c; c0 += dwS8Block {
			cb := min(dwS8Block, c-c0)
			a := acc0[:cb]
			copy(a, bias[c0:c0+cb])
			for ky := 0; ky < 3; ky++ {
				xr := xp[ky*ty+c0:]
				x0, x1, x2 := xr[:cb], xr[tx:][:cb], xr[2*tx:][:cb]
				wr := w[ky*3*c+c0:]
				w0, w1, w2 := wr[:cb], wr[c:][:cb], wr[2*c:][:cb]
				for i := range a {
					a[i] += int32(x0[i])*w0[i] + int32(x1[i])*w1[i] + int32(x2[i])*w2[i]
				}
			}
			rq.apply(a, nil, c0, y[p*c+c0:])
		}
	}
}

// dwconvS8_5x5_go is the 5×5 interior kernel: five taps per pass.
func dwconvS8_5x5_go(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	c := r.C
	ty, tx := r.TapY, r.TapX
	var acc [dwS8Block]int32
	for p := 0; p < r.N; p++ {
		xp := x[p*r.PixStep:]
		for c0 := 0; c0 < c; c0 += dwS8Block {
			cb := min(dwS8Block, c-c0)
			a := acc[:cb]
			copy(a, bias[c0:c0+cb])
			for ky := 0; ky < 5; ky++ {
				xr := xp[ky*ty+c0:]
				x0, x1, x2, x3, x4 := xr[:cb], xr[tx:][:cb], xr[2*tx:][:cb], xr[3*tx:][:cb], xr[4*tx:][:cb]
				wr := w[ky*5*c+c0:]
				w0, w1, w2, w3, w4 := wr[:cb], wr[c:][:cb], wr[2*c:][:cb], wr[3*c:][:cb], wr[4*c:][:cb]
				for i := range a {
					a[i] += int32(x0[i])*w0[i] + int32(x1[i])*w1[i] + int32(x2[i])*w2[i] +
						int32(x3[i])*w3[i] + int32(x4[i])*w4[i]
				}
			}
			rq.apply(a, nil, c0, y[p*c+c0:])
		}
	}
}

// dwconvS8_kxk_go is the interior kernel for any kernel size.
func dwconvS8_kxk_go(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	c := r.C
	var acc [dwS8Block]int32
	for p := 0; p < r.N; p++ {
		xp := x[p*r.PixStep:]
		for c0 := 0; c0 < c; c0 += dwS8Block {
			cb := min(dwS8Block, c-c0)
			a := acc[:cb]
			copy(a, bias[c0:c0+cb])
			for ky := 0; ky < r.KH; ky++ {
				for kx := 0; kx < r.KW; kx++ {
					xs := xp[ky*r.TapY+kx*r.TapX+c0:][:cb]
					ws := w[(ky*r.KW+kx)*c+c0:][:cb]
					for i, xv := range xs {
						a[i] += int32(xv) * ws[i]
					}
				}
			}
			rq.apply(a, nil, c0, y[p*c+c0:])
		}
	}
}

// dwconvS8_3x3_cols_go is the 3×3 interior kernel for strides 1 and 2 that
// walks one channel at a time along the run of pixels: the channel's nine
// weights, bias and requantization stay in registers, each output loads
// only the input columns it does not share with the previous one (one at
// stride 1, two at stride 2), and the result is requantized at once. Loads
// and stores are strided by C, within a run of a few kilobytes.
func dwconvS8_3x3_cols_go(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	c, n := r.C, r.N
	tx, ty := r.TapX, r.TapY
	s := r.PixStep / tx // 1 or 2 (fits checks)
	if s != 1 && s != 2 || r.PixStep != s*tx {
		dwconvS8_3x3_go(x, w, bias, y, r, rq)
		return
	}
	if rq.mode == RequantFixedPoint && rq.anyLeft {
		dwconvS8_3x3_go(x, w, bias, y, r, rq)
		return
	}
	last := ((n-1)*s + 2) * tx // offset of the last column read
	lo, hi, zp := rq.min, rq.max, rq.zp
	for ch := 0; ch < c; ch++ {
		k0, k1, k2 := w[ch], w[c+ch], w[2*c+ch]
		k3, k4, k5 := w[3*c+ch], w[4*c+ch], w[5*c+ch]
		k6, k7, k8 := w[6*c+ch], w[7*c+ch], w[8*c+ch]
		b := bias[ch]
		x0 := x[ch:][:last+1]
		x1 := x[ty+ch:][:last+1]
		x2 := x[2*ty+ch:][:last+1]
		yc := y[ch:]
		// Columns j−2 (p), j−1 (q) of the window's three rows.
		p0, p1, p2 := int32(x0[0]), int32(x1[0]), int32(x2[0])
		q0, q1, q2 := int32(x0[tx]), int32(x1[tx]), int32(x2[tx])
		off := 2 * tx
		if rq.mode == RequantFloat {
			sc, flo, fhi := rq.scale[ch], rq.lo, rq.hi
			for o := 0; o < n; o++ {
				r0, r1, r2 := int32(x0[off]), int32(x1[off]), int32(x2[off])
				acc := b + p0*k0 + q0*k1 + r0*k2 + p1*k3 + q1*k4 + r1*k5 + p2*k6 + q2*k7 + r2*k8
				yc[o*c] = rqFloat(acc, sc, flo, fhi, zp)
				if s == 1 {
					p0, p1, p2, q0, q1, q2 = q0, q1, q2, r0, r1, r2
					off += tx
				} else if o+1 < n {
					p0, p1, p2 = r0, r1, r2
					q0, q1, q2 = int32(x0[off+tx]), int32(x1[off+tx]), int32(x2[off+tx])
					off += 2 * tx
				}
			}
			continue
		}
		f := rq.fx[ch]
		for o := 0; o < n; o++ {
			r0, r1, r2 := int32(x0[off]), int32(x1[off]), int32(x2[off])
			acc := b + p0*k0 + q0*k1 + r0*k2 + p1*k3 + q1*k4 + r1*k5 + p2*k6 + q2*k7 + r2*k8
			yc[o*c] = rqFixedR(acc, f.mult, f.rnd, f.neg, f.sh, lo, hi, zp)
			if s == 1 {
				p0, p1, p2, q0, q1, q2 = q0, q1, q2, r0, r1, r2
				off += tx
			} else if o+1 < n {
				p0, p1, p2 = r0, r1, r2
				q0, q1, q2 = int32(x0[off+tx]), int32(x1[off+tx]), int32(x2[off+tx])
				off += 2 * tx
			}
		}
	}
}
