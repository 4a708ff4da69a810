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
