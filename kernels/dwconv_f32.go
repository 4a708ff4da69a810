package kernels

import (
	"fmt"
	"strconv"
)

// dwRowF32 describes a run of output pixels of a depthwise convolution
// with channel multiplier 1 that all use the same KH×KW rectangle of taps,
// every one inside the input. x starts at the first tap of the first pixel
// and w at that tap's weights. Output pixel p, channel ch:
//
//	y[p*C+ch] = act(bias[ch] + Σ_{ky<KH, kx<KW} x[p*PixStep + ky*TapY + kx*TapX + ch] · w[ky*WRow + kx*C + ch])
//
// with taps summed in (ky, kx) order (bias nil counts as zero). Interior
// pixels use the whole kernel (WRow = KW·C); border pixels, for the
// kernels that take them, a sub-rectangle of it.
type dwRowF32 struct {
	C, N    int // channels, pixels in the run
	PixStep int // floats between the windows of neighbouring outputs: SW·C
	TapY    int // floats between kernel rows: DH·W·C
	TapX    int // floats between kernel columns: DW·C
	KH, KW  int // taps in the rectangle
	WRow    int // floats between kernel rows of the packed weights
	Act     Act
}

// dwconvF32Impl is one depthwise kernel. Weights are packed tap-major
// [KH·KW][C] so every inner loop runs over contiguous channels. A kernel
// comes in one of two forms:
//
//   - Fn (pure Go) computes interior runs (the whole kernel) of the size it
//     is specialised for (KH, KW; 0 = any); border pixels go to a per-pixel
//     loop (dwPixel).
//   - Asm (assembly, see dwconvF32Args and dwconvF32Asm) computes any run
//     of any tap rectangle, so border pixels use it too with the taps that
//     fall inside the input. It needs at least CStep channels.
type dwconvF32Impl struct {
	Name      string
	Available func() bool
	KH, KW    int
	Fn        func(x, w, bias, y []float32, r dwRowF32)
	Asm       dwconvF32Asm
	CStep     int
}

// dwconvF32Asm names an assembly depthwise kernel; run calls it directly
// so that the argument block stays on the stack (see gemmF32Asm).
type dwconvF32Asm uint8

const (
	dwconvF32AsmNone dwconvF32Asm = iota
	dwconvF32AsmKxKAVX2
	dwconvF32AsmKxKAVX512
	dwconvF32AsmKxKNEON
)

func (k dwconvF32Asm) run(p *dwconvF32Args) {
	switch k {
	case dwconvF32AsmKxKAVX2:
		dwconvF32_kxk_8x8_avx2(p)
	case dwconvF32AsmKxKAVX512:
		dwconvF32_kxk_8x16_avx512(p)
	case dwconvF32AsmKxKNEON:
		dwconvF32_kxk_8x8_neon(p)
	default:
		panic("kernels: no assembly depthwise kernel " + strconv.Itoa(int(k)))
	}
}

// dwconvF32Impls is the registration list of depthwise kernels, best
// first; dispatch takes the first available entry that fits the kernel
// size and channel count. Tests and benchmarks loop over all of them.
var dwconvF32Impls = []dwconvF32Impl{
	{Name: "dwconvF32_kxk_8x16_avx512", Available: f32HaveAVX512, Asm: dwconvF32AsmKxKAVX512, CStep: 16},
	{Name: "dwconvF32_kxk_8x8_avx2", Available: f32HaveAVX2, Asm: dwconvF32AsmKxKAVX2, CStep: 8},
	{Name: "dwconvF32_kxk_8x8_neon", Available: f32HaveNEON, Asm: dwconvF32AsmKxKNEON, CStep: 8},
	{Name: "dwconvF32_3x3_go", Available: always, KH: 3, KW: 3, Fn: dwconvF32_3x3_go},
	{Name: "dwconvF32_5x5_go", Available: always, KH: 5, KW: 5, Fn: dwconvF32_5x5_go},
	{Name: "dwconvF32_kxk_go", Available: always, Fn: dwconvF32_kxk_go},
}

func (im *dwconvF32Impl) fits(kh, kw, c int) bool {
	return im.Available() && (im.KH == 0 || im.KH == kh && im.KW == kw) && c >= im.CStep
}

// run computes one run with the impl's kernel.
func (im *dwconvF32Impl) run(x, w, bias, y []float32, r dwRowF32) {
	if im.Asm == dwconvF32AsmNone {
		im.Fn(x, w, bias, y, r)
		return
	}
	dwconvF32RunAsm(im.Asm, x, w, bias, y, r)
}

// dwconvF32RunAsm checks the run's extent against the slices (a failure is
// a bug in the caller) and calls the assembly kernel, then the vector
// activation pass for the activations the kernels do not fuse.
func dwconvF32RunAsm(k dwconvF32Asm, x, w, bias, y []float32, r dwRowF32) {
	c := r.C
	if r.N <= 0 || r.KH <= 0 || r.KW <= 0 {
		panic(fmt.Sprintf("kernels: depthwise run %+v", r))
	}
	_ = x[(r.N-1)*r.PixStep+(r.KH-1)*r.TapY+(r.KW-1)*r.TapX+c-1]
	_ = w[(r.KH-1)*r.WRow+r.KW*c-1]
	_ = y[r.N*c-1]
	fa, fused := r.Act.asmArgs()
	p := dwconvF32Args{
		x: &x[0], w: &w[0], y: &y[0],
		c: uintptr(c), n: uintptr(r.N),
		pixStep: uintptr(r.PixStep) * 4, tapY: uintptr(r.TapY) * 4, tapX: uintptr(r.TapX) * 4,
		kh: uintptr(r.KH), kw: uintptr(r.KW), wRow: uintptr(r.WRow) * 4,
		act: fa,
	}
	if bias != nil {
		_ = bias[c-1]
		p.bias = &bias[0]
	}
	k.run(&p)
	if !fused {
		actF32Best().applyRows(r.Act, y, 1, r.N*c, 0)
	}
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
			if dwconvF32Impls[i].fits(g.KH, g.KW, g.C) {
				dw = &dwconvF32Impls[i]
				break
			}
		}
	}
	if dw == nil || !dw.fits(g.KH, g.KW, g.C) {
		panic("kernels: no depthwise kernel for " + fmt.Sprint(g.KH, "x", g.KW))
	}
	c.dw = dw
	if g.KH == g.KW && (g.KH == 3 || g.KH == 5) && g.SH == g.SW && (g.SH == 1 || g.SH == 2) &&
		g.DH == 1 && g.DW == 1 {
		c.algo = fmt.Sprintf("dw%dx%ds%d", g.KH, g.KW, g.SH)
	}
}

// runDW computes output rows [r0, r1) of N·OH. With a Go kernel, interior
// pixels of rows whose kernel rows are all inside the input go to the
// kernel and the rest to dwPixel; an assembly kernel takes every pixel
// (runDWRect). Both sum bias then taps in (ky, kx) order.
func (c *ConvF32) runDW(x, y []float32, r0, r1 int) {
	if c.dw != nil && c.dw.Asm != dwconvF32AsmNone {
		c.runDWRect(x, y, r0, r1)
		return
	}
	g := &c.g
	oc := g.OC
	oxLo, oxHi := c.dwInterior()
	for r := r0; r < r1; r++ {
		n, oy := r/g.OH, r%g.OH
		iy0 := oy*g.SH - g.PadT
		yrow := y[r*g.OW*oc : (r+1)*g.OW*oc]
		if c.dw == nil || iy0 < 0 || iy0+(g.KH-1)*g.DH >= g.H || oxLo >= oxHi {
			for ox := 0; ox < g.OW; ox++ {
				c.dwPixel(x, yrow[ox*oc:(ox+1)*oc], n, oy, ox)
			}
			continue
		}
		for ox := 0; ox < oxLo; ox++ {
			c.dwPixel(x, yrow[ox*oc:(ox+1)*oc], n, oy, ox)
		}
		ix0 := oxLo*g.SW - g.PadL
		c.dw.run(x[((n*g.H+iy0)*g.W+ix0)*g.C:], c.wp, c.bias, yrow[oxLo*oc:oxHi*oc], dwRowF32{
			C: g.C, N: oxHi - oxLo, PixStep: g.SW * g.C, TapY: g.DH * g.W * g.C, TapX: g.DW * g.C,
			KH: g.KH, KW: g.KW, WRow: g.KW * g.C, Act: c.act,
		})
		for ox := oxHi; ox < g.OW; ox++ {
			c.dwPixel(x, yrow[ox*oc:(ox+1)*oc], n, oy, ox)
		}
	}
}

// dwInterior returns the output columns [oxLo, oxHi) whose kernel columns
// are all inside the input: ox*SW-PadL >= 0 and ox*SW-PadL+(KW-1)*DW <= W-1.
func (c *ConvF32) dwInterior() (oxLo, oxHi int) {
	g := &c.g
	oxLo = min((g.PadL+g.SW-1)/g.SW, g.OW)
	oxHi = oxLo
	if last := g.W - 1 - (g.KW-1)*g.DW + g.PadL; last >= 0 {
		oxHi = min(max(last/g.SW+1, oxLo), g.OW)
	}
	return oxLo, oxHi
}

// dwTaps returns the taps [k0, k1) of a kernel dimension whose input
// position i0 + k·d lies in [0, size).
func dwTaps(i0, d, k, size int) (k0, k1 int) {
	if i0 < 0 {
		k0 = (-i0 + d - 1) / d
	}
	k1 = k
	if last := size - 1 - i0; last < (k-1)*d {
		k1 = 0
		if last >= 0 {
			k1 = last/d + 1
		}
	}
	return min(k0, k1), k1
}

// runDWRect computes output rows [r0, r1) with an assembly kernel: per row,
// the interior columns in one run with the kernel rows inside the input,
// and each border pixel as a run of one with its own tap rectangle.
func (c *ConvF32) runDWRect(x, y []float32, r0, r1 int) {
	g := &c.g
	oc := g.OC
	oxLo, oxHi := c.dwInterior()
	run := func(yp []float32, n, iy0, ky0, ky1, ix0, kx0, kx1, np int) {
		if ky0 >= ky1 || kx0 >= kx1 { // no tap inside the input
			for p := 0; p < np; p++ {
				if c.bias != nil {
					copy(yp[p*oc:], c.bias)
				} else {
					clear(yp[p*oc : (p+1)*oc])
				}
			}
			actF32Best().applyRows(c.act, yp, 1, np*oc, 0)
			return
		}
		iy, ix := iy0+ky0*g.DH, ix0+kx0*g.DW
		c.dw.run(x[((n*g.H+iy)*g.W+ix)*g.C:], c.wp[(ky0*g.KW+kx0)*oc:], c.bias, yp, dwRowF32{
			C: g.C, N: np, PixStep: g.SW * g.C, TapY: g.DH * g.W * g.C, TapX: g.DW * g.C,
			KH: ky1 - ky0, KW: kx1 - kx0, WRow: g.KW * g.C, Act: c.act,
		})
	}
	for r := r0; r < r1; r++ {
		n, oy := r/g.OH, r%g.OH
		iy0 := oy*g.SH - g.PadT
		ky0, ky1 := dwTaps(iy0, g.DH, g.KH, g.H)
		yrow := y[r*g.OW*oc : (r+1)*g.OW*oc]
		for ox := 0; ox < g.OW; {
			ix0 := ox*g.SW - g.PadL
			if ox == oxLo && oxLo < oxHi {
				run(yrow[ox*oc:], n, iy0, ky0, ky1, ix0, 0, g.KW, oxHi-oxLo)
				ox = oxHi
				continue
			}
			kx0, kx1 := dwTaps(ix0, g.DW, g.KW, g.W)
			run(yrow[ox*oc:], n, iy0, ky0, ky1, ix0, kx0, kx1, 1)
			ox++
		}
	}
}

// dwPixel computes one output pixel of a depthwise convolution with any
// multiplier, skipping taps in the padding, and applies the activation.
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
	ApplyAct(c.act, yp)
}
