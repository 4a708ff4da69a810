package kernels

import (
	"fmt"
	"unsafe"
)

// dwRowS8 describes a run of interior output pixels of an int8 depthwise
// convolution with channel multiplier 1: every tap is inside the input.
// Output pixel p, channel ch:
//
//	acc = bias[ch] + Σ_{ky<KH, kx<KW} x[p*PixStep + ky*TapY + kx*TapX + ch] · w[(ky*KW+kx)*C + ch]
//	y[p*C+ch] = requant(acc, ch)
//
// with bias the corrected bias (padding-free sum of x·w' minus
// xZero·Σ w'), w the weights minus their zero points.
type dwRowS8 struct {
	Acc     []int32 // scratch for the assembly kernels' sums (see dwS8AccLen)
	WP      []int16 // weights packed by the impl's Pack (nil: none)
	C, N    int     // channels, pixels in the run
	PixStep int     // bytes between the windows of neighbouring outputs: SW·C
	TapY    int     // bytes between kernel rows: DH·W·C
	TapX    int     // bytes between kernel columns: DW·C
	KH, KW  int
}

// dwconvS8Impl is one int8 depthwise interior-row kernel; KH, KW give the
// kernel size it is specialised for (0 = any).
type dwconvS8Impl struct {
	Name      string
	Available func() bool
	KH, KW    int
	Fn        func(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan)
	// Pack, when set, packs the tap-major weights [taps][C] for the impl
	// (passed as dwRowS8.WP).
	Pack func(wd []int32, taps, c int) []int16
}

// dwconvS8Impls is the registration list of int8 depthwise interior
// kernels, most specialised first; dispatch takes the first available entry
// whose kernel size matches.
var dwconvS8Impls = []dwconvS8Impl{
	{Name: "dwconvS8_pairs_vnni", Available: gemmS8HaveVNNI, Fn: dwconvS8_pairs_vnni, Pack: packDWPairs},
	{Name: "dwconvS8_pairs_avx2", Available: requantS8HaveAVX2, Fn: dwconvS8_pairs_avx2, Pack: packDWPairs},
	{Name: "dwconvS8_kxk_avx2", Available: requantS8HaveAVX2, Fn: dwconvS8_kxk_avx2},
	{Name: "dwconvS8_kxk_neon", Available: requantS8HaveNEON, Fn: dwconvS8_kxk_neon},
	{Name: "dwconvS8_3x3_cols_go", Available: always, KH: 3, KW: 3, Fn: dwconvS8_3x3_cols_go},
	{Name: "dwconvS8_3x3_go", Available: always, KH: 3, KW: 3, Fn: dwconvS8_3x3_go},
	{Name: "dwconvS8_5x5_go", Available: always, KH: 5, KW: 5, Fn: dwconvS8_5x5_go},
	{Name: "dwconvS8_kxk_go", Available: always, Fn: dwconvS8_kxk_go},
}

func (im *dwconvS8Impl) fits(kh, kw int) bool {
	return im.Available() && (im.KH == 0 || im.KH == kh && im.KW == kw)
}

// packDW packs depthwise weights [OC][KH][KW][1] minus their zero points
// into [KH·KW][OC] int32.
func (c *ConvS8) packDW(w []int8, wz func(int) int32, dw *dwconvS8Impl) {
	g := &c.g
	taps := g.KH * g.KW
	c.wd = make([]int32, taps*g.OC)
	for oc := 0; oc < g.OC; oc++ {
		for t := 0; t < taps; t++ {
			c.wd[t*g.OC+oc] = int32(w[oc*taps+t]) - wz(oc)
		}
	}
	c.algo = convAlgoDW
	if g.OC != g.C {
		return // channel multiplier > 1: per-pixel path only
	}
	if dw == nil {
		for i := range dwconvS8Impls {
			if dwconvS8Impls[i].fits(g.KH, g.KW) {
				dw = &dwconvS8Impls[i]
				break
			}
		}
	}
	if dw == nil || !dw.fits(g.KH, g.KW) {
		panic("kernels: no int8 depthwise kernel for " + fmt.Sprint(g.KH, "x", g.KW))
	}
	c.dw = dw
	if dw.Pack != nil && g.C >= 16 && taps <= 32 {
		c.wdp = dw.Pack(c.wd, taps, g.C)
	}
	// Border pixels run through the same kernel on a band of the input
	// with the padding filled with xZero (see dwBand).
	// After the band, a buffer for the assembly kernels' int32 sums.
	c.dwAcc = (g.KH*c.dwSpan(0, g.OW)*g.C + 63) &^ 63
	c.scratch = c.dwAcc + 4*dwS8AccLen(g.C, g.OW) + 3
	if g.KH == g.KW && (g.KH == 3 || g.KH == 5) && g.SH == g.SW && (g.SH == 1 || g.SH == 2) &&
		g.DH == 1 && g.DW == 1 {
		c.algo = fmt.Sprintf("dw%dx%ds%d", g.KH, g.KW, g.SH)
	}
}

// runDW computes output rows [r0, r1) of N·OH. With an interior kernel
// (multiplier 1), pixels whose taps are all inside the input read it in
// place and the others read a band copied to scratch (dwBand); with a
// channel multiplier every pixel goes to dwPixel.
func (c *ConvS8) runDW(x, y, scratch []int8, r0, r1 int) {
	g := &c.g
	var band []int8
	var acc []int32
	if c.dw != nil {
		band = scratch[:c.dwAcc]
		off := c.dwAcc + int(-uintptr(unsafe.Pointer(&scratch[c.dwAcc]))&3) // align to 4
		acc = unsafe.Slice((*int32)(unsafe.Pointer(&scratch[off])), dwS8AccLen(g.C, g.OW))
	}
	oc := g.OC
	oxLo := min((g.PadL+g.SW-1)/g.SW, g.OW)
	oxHi := oxLo
	if last := g.W - 1 - (g.KW-1)*g.DW + g.PadL; last >= 0 {
		oxHi = min(max(last/g.SW+1, oxLo), g.OW)
	}
	for r := r0; r < r1; r++ {
		n, oy := r/g.OH, r%g.OH
		iy0 := oy*g.SH - g.PadT
		yrow := y[r*g.OW*oc : (r+1)*g.OW*oc]
		if c.dw == nil {
			for ox := 0; ox < g.OW; ox++ {
				c.dwPixel(x, yrow[ox*oc:(ox+1)*oc], n, oy, ox)
			}
			continue
		}
		if iy0 < 0 || iy0+(g.KH-1)*g.DH >= g.H || oxLo >= oxHi {
			c.dwBand(x, yrow, band, acc, n, iy0, 0, g.OW)
			continue
		}
		if oxLo > 0 {
			c.dwBand(x, yrow, band, acc, n, iy0, 0, oxLo)
		}
		ix0 := oxLo*g.SW - g.PadL
		c.dw.Fn(x[((n*g.H+iy0)*g.W+ix0)*g.C:], c.wd, c.biasAdj, yrow[oxLo*oc:oxHi*oc], dwRowS8{
			Acc: acc, WP: c.wdp, C: g.C, N: oxHi - oxLo, PixStep: g.SW * g.C, TapY: g.DH * g.W * g.C, TapX: g.DW * g.C,
			KH: g.KH, KW: g.KW,
		}, c.rq)
		if oxHi < g.OW {
			c.dwBand(x, yrow, band, acc, n, iy0, oxHi, g.OW)
		}
	}
}

// dwSpan is the number of input columns the output pixels [oxA, oxB) of a
// row read.
func (c *ConvS8) dwSpan(oxA, oxB int) int {
	g := &c.g
	return (oxB-1-oxA)*g.SW + (g.KW-1)*g.DW + 1
}

// dwBand computes output pixels [oxA, oxB) of a row (image n, first kernel
// row at input row iy0) with the interior kernel on a copy of the KH
// kernel rows of the columns they read, positions outside the input
// holding xZero: as Σ x·w' + biasAdj counts padding as xZero, this equals
// Σ_{taps inside} (x − xZero)·w' + bias.
func (c *ConvS8) dwBand(x, yrow, band []int8, acc []int32, n, iy0, oxA, oxB int) {
	g := &c.g
	C := g.C
	cols := c.dwSpan(oxA, oxB)
	ix0 := oxA*g.SW - g.PadL
	// Columns [a, b) of the band are inside the input.
	a := min(max(-ix0, 0), cols)
	b := max(min(g.W-ix0, cols), a)
	zp := int8(c.xZero)
	band = band[:g.KH*cols*C]
	for ky := 0; ky < g.KH; ky++ {
		row := band[ky*cols*C : (ky+1)*cols*C]
		iy := iy0 + ky*g.DH
		if iy < 0 || iy >= g.H {
			fillS8(row, zp)
			continue
		}
		fillS8(row[:a*C], zp)
		if b > a {
			copy(row[a*C:b*C], x[((n*g.H+iy)*g.W+ix0+a)*C:][:(b-a)*C])
		}
		fillS8(row[b*C:], zp)
	}
	c.dw.Fn(band, c.wd, c.biasAdj, yrow[oxA*g.OC:oxB*g.OC], dwRowS8{
		Acc: acc, WP: c.wdp, C: C, N: oxB - oxA, PixStep: g.SW * C, TapY: cols * C, TapX: g.DW * C,
		KH: g.KH, KW: g.KW,
	}, c.rq)
}

// dwS8Block is the channel block of the depthwise kernels' int32
// accumulators (a stack array).
const dwS8Block = 64

// dwPixel computes one output pixel of a depthwise convolution with any
// multiplier, skipping taps in the padding: acc = bias + Σ (x − xZero)·w'.
func (c *ConvS8) dwPixel(x, yp []int8, n, oy, ox int) {
	g := &c.g
	mult := g.OC / g.C
	var acc [dwS8Block]int32
	for o0 := 0; o0 < len(yp); o0 += dwS8Block {
		ob := min(dwS8Block, len(yp)-o0)
		a := acc[:ob]
		copy(a, c.bias[o0:o0+ob])
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
				ws := c.wd[(ky*g.KW+kx)*g.OC+o0:][:ob]
				if mult == 1 {
					xs = xs[o0:][:ob]
					for i, xv := range xs {
						a[i] += (int32(xv) - c.xZero) * ws[i]
					}
				} else {
					for i := range a {
						a[i] += (int32(xs[(o0+i)/mult]) - c.xZero) * ws[i]
					}
				}
			}
		}
		c.rq.apply(a, nil, o0, yp[o0:])
	}
}
