package kernels

import "fmt"

// dwRowF32 describes a run of interior output pixels of a depthwise
// convolution with channel multiplier 1: every tap is inside the input.
// Output pixel p, channel ch:
//
//	y[p*C+ch] = bias[ch] + Σ_{ky<KH, kx<KW} x[p*PixStep + ky*TapY + kx*TapX + ch] · w[(ky*KW+kx)*C + ch]
//
// with taps summed in (ky, kx) order (bias nil counts as zero).
type dwRowF32 struct {
	C, N    int // channels, pixels in the run
	PixStep int // floats between the windows of neighbouring outputs: SW·C
	TapY    int // floats between kernel rows: DH·W·C
	TapX    int // floats between kernel columns: DW·C
	KH, KW  int
}

// dwconvF32Impl is one depthwise interior-row kernel. KH, KW give the kernel
// size it is specialised for (0 = any). Weights are packed tap-major
// [KH·KW][C] so every inner loop runs over contiguous channels.
type dwconvF32Impl struct {
	Name      string
	Available func() bool
	KH, KW    int
	Fn        func(x, w, bias, y []float32, r dwRowF32)
}

// dwconvF32Impls is the registration list of depthwise interior kernels,
// most specialised first; dispatch takes the first available entry whose
// kernel size matches.
var dwconvF32Impls = []dwconvF32Impl{
	{Name: "dwconvF32_3x3_go", Available: always, KH: 3, KW: 3, Fn: dwconvF32_3x3_go},
	{Name: "dwconvF32_5x5_go", Available: always, KH: 5, KW: 5, Fn: dwconvF32_5x5_go},
	{Name: "dwconvF32_kxk_go", Available: always, Fn: dwconvF32_kxk_go},
}

func (im *dwconvF32Impl) fits(kh, kw int) bool {
	return im.Available() && (im.KH == 0 || im.KH == kh && im.KW == kw)
}

// packDW packs depthwise weights [OC][KH][KW][1] into [KH·KW][OC].
func (c *ConvF32) packDW(w []float32, dw *dwconvF32Impl) {
	g := &c.g
	taps := g.KH * g.KW
	c.wp = make([]float32, taps*g.OC)
	for oc := 0; oc < g.OC; oc++ {
		for t := 0; t < taps; t++ {
			c.wp[t*g.OC+oc] = w[oc*taps+t]
		}
	}
	mult := g.OC / g.C
	c.algo = convAlgoDW
	if mult != 1 {
		return // generic per-pixel path only
	}
	if dw == nil {
		for i := range dwconvF32Impls {
			if dwconvF32Impls[i].fits(g.KH, g.KW) {
				dw = &dwconvF32Impls[i]
				break
			}
		}
	}
	if dw == nil || !dw.fits(g.KH, g.KW) {
		panic("kernels: no depthwise kernel for " + fmt.Sprint(g.KH, "x", g.KW))
	}
	c.dw = dw
	if g.KH == g.KW && (g.KH == 3 || g.KH == 5) && g.SH == g.SW && (g.SH == 1 || g.SH == 2) &&
		g.DH == 1 && g.DW == 1 {
		c.algo = fmt.Sprintf("dw%dx%ds%d", g.KH, g.KW, g.SH)
	}
}

// runDW computes output rows [r0, r1) of N·OH. Interior pixels of rows whose
// kernel rows are all inside the input go to the interior kernel, the rest
// to dwPixel; both sum bias then taps in (ky, kx) order.
func (c *ConvF32) runDW(x, y []float32, r0, r1 int) {
	g := &c.g
	oc := g.OC
	// Interior columns: ox*SW-PadL >= 0 and ox*SW-PadL+(KW-1)*DW <= W-1.
	oxLo := min((g.PadL+g.SW-1)/g.SW, g.OW)
	oxHi := oxLo
	if last := g.W - 1 - (g.KW-1)*g.DW + g.PadL; last >= 0 {
		oxHi = min(max(last/g.SW+1, oxLo), g.OW)
	}
	for r := r0; r < r1; r++ {
		n, oy := r/g.OH, r%g.OH
		iy0 := oy*g.SH - g.PadT
		yrow := y[r*g.OW*oc : (r+1)*g.OW*oc]
		if c.dw == nil || iy0 < 0 || iy0+(g.KH-1)*g.DH >= g.H || oxLo >= oxHi {
			for ox := 0; ox < g.OW; ox++ {
				c.dwPixel(x, yrow[ox*oc:(ox+1)*oc], n, oy, ox)
			}
		} else {
			for ox := 0; ox < oxLo; ox++ {
				c.dwPixel(x, yrow[ox*oc:(ox+1)*oc], n, oy, ox)
			}
			ix0 := oxLo*g.SW - g.PadL
			c.dw.Fn(x[((n*g.H+iy0)*g.W+ix0)*g.C:], c.wp, c.bias, yrow[oxLo*oc:oxHi*oc], dwRowF32{
				C: g.C, N: oxHi - oxLo, PixStep: g.SW * g.C, TapY: g.DH * g.W * g.C, TapX: g.DW * g.C,
				KH: g.KH, KW: g.KW,
			})
			for ox := oxHi; ox < g.OW; ox++ {
				c.dwPixel(x, yrow[ox*oc:(ox+1)*oc], n, oy, ox)
			}
		}
		ApplyAct(c.act, yrow)
	}
}

// dwPixel computes one output pixel of a depthwise convolution with any
// multiplier, skipping taps in the padding.
func (c *ConvF32) dwPixel(x, yp []float32, n, oy, ox int) {
	g := &c.g
	if c.bias != nil {
		copy(yp, c.bias)
	} else {
		clear(yp)
	}
	mult := g.OC / g.C
	for ky := 0; ky < g.KH; ky++ {
		iy := oy*g.SH - g.PadT + ky*g.DH
		if iy < 0 || iy >= g.H {
			continue
		}
		for kx := 0; kx < g.KW; kx++ {
			ix := ox*g.SW - g.PadL + kx*g.DW
			if ix < 0 || ix >= g.W {
				continue
			}
			xs := x[((n*g.H+iy)*g.W+ix)*g.C:][:g.C]
			ws := c.wp[(ky*g.KW+kx)*g.OC:][:len(yp)]
			if mult == 1 {
				ws = ws[:len(xs)]
				yp = yp[:len(xs)]
				for ch, xv := range xs {
					yp[ch] += xv * ws[ch]
				}
			} else {
				for o := range yp {
					yp[o] += xs[o/mult] * ws[o]
				}
			}
		}
	}
}
