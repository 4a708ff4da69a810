package kernels

// Pure-Go depthwise interior kernels (see dwRowF32). Each keeps the
// per-element order bias, then taps in (ky, kx) order, so all of them and
// the border path produce the same bits, and applies r.Act at the end.

// dwconvF32_3x3_go is the 3×3 interior kernel (any stride and dilation):
// one pass over the channels per kernel row, three taps fused per pass (all
// nine at once would need 19 live slice pointers and spill). When the
// stride equals the dilation (stride 1) two neighbouring pixels share two of
// their three columns, so they are computed together: 11 memory operations
// per 12 flops instead of 16.
func dwconvF32_3x3_go(x, w, bias, y []float32, r dwRowF32) {
	c := r.C
	ty, tx := r.TapY, r.TapX
	p := 0
	if r.PixStep == tx {
		for ; p+2 <= r.N; p += 2 {
			xp := x[p*r.PixStep:]
			y0, y1 := y[p*c:][:c], y[(p+1)*c:][:c]
			if bias != nil {
				copy(y0, bias[:c])
				copy(y1, bias[:c])
			} else {
				clear(y0)
				clear(y1)
			}
			for ky := 0; ky < 3; ky++ {
				xr := xp[ky*ty:]
				x0, x1, x2, x3 := xr[0:][:c], xr[tx:][:c], xr[2*tx:][:c], xr[3*tx:][:c]
				wr := w[ky*r.WRow:]
				w0, w1, w2 := wr[0:][:c], wr[c:][:c], wr[2*c:][:c]
				y1 := y1[:c]
				for ch := range y0 {
					v0, v1, v2, v3 := x0[ch], x1[ch], x2[ch], x3[ch]
					k0, k1, k2 := w0[ch], w1[ch], w2[ch]
					s0, s1 := y0[ch], y1[ch]
					s0 += v0 * k0
					s1 += v1 * k0
					s0 += v1 * k1
					s1 += v2 * k1
					s0 += v2 * k2
					s1 += v3 * k2
					y0[ch], y1[ch] = s0, s1
				}
			}
		}
	}
	for ; p < r.N; p++ {
		xp := x[p*r.PixStep:]
		yp := y[p*c:][:c]
		if bias != nil {
			copy(yp, bias[:c])
		} else {
			clear(yp)
		}
		for ky := 0; ky < 3; ky++ {
			xr := xp[ky*ty:]
			x0, x1, x2 := xr[0:][:c], xr[tx:][:c], xr[2*tx:][:c]
			wr := w[ky*r.WRow:]
			w0, w1, w2 := wr[0:][:c], wr[c:][:c], wr[2*c:][:c]
			for ch := range yp {
				s := yp[ch]
				s += x0[ch] * w0[ch]
				s += x1[ch] * w1[ch]
				s += x2[ch] * w2[ch]
				yp[ch] = s
			}
		}
	}
	ApplyAct(r.Act, y[:r.N*c])
}

// dwconvF32_5x5_go is the 5×5 interior kernel (any stride and dilation): one
// pass per kernel row, five taps fused per pass.
func dwconvF32_5x5_go(x, w, bias, y []float32, r dwRowF32) {
	c := r.C
	ty, tx := r.TapY, r.TapX
	for p := 0; p < r.N; p++ {
		xp := x[p*r.PixStep:]
		yp := y[p*c:][:c]
		if bias != nil {
			copy(yp, bias[:c])
		} else {
			clear(yp)
		}
		for ky := 0; ky < 5; ky++ {
			xr := xp[ky*ty:]
			x0, x1, x2, x3, x4 := xr[0:][:c], xr[tx:][:c], xr[2*tx:][:c], xr[3*tx:][:c], xr[4*tx:][:c]
			wr := w[ky*r.WRow:]
			w0, w1, w2, w3, w4 := wr[0:][:c], wr[c:][:c], wr[2*c:][:c], wr[3*c:][:c], wr[4*c:][:c]
			for ch := range yp {
				s := yp[ch]
				s += x0[ch] * w0[ch]
				s += x1[ch] * w1[ch]
				s += x2[ch] * w2[ch]
				s += x3[ch] * w3[ch]
				s += x4[ch] * w4[ch]
				yp[ch] = s
			}
		}
	}
	ApplyAct(r.Act, y[:r.N*c])
}

// dwconvF32_kxk_go is the interior kernel for any kernel size.
func dwconvF32_kxk_go(x, w, bias, y []float32, r dwRowF32) {
	c := r.C
	for p := 0; p < r.N; p++ {
		xp := x[p*r.PixStep:]
		yp := y[p*c:][:c]
		if bias != nil {
			copy(yp, bias[:c])
		} else {
			clear(yp)
		}
		for ky := 0; ky < r.KH; ky++ {
			for kx := 0; kx < r.KW; kx++ {
				xs := xp[ky*r.TapY+kx*r.TapX:][:c]
				ws := w[ky*r.WRow+kx*c:][:c]
				for ch, xv := range xs {
					yp[ch] += xv * ws[ch]
				}
			}
		}
	}
	ApplyAct(r.Act, y[:r.N*c])
}
