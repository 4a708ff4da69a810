package kernels

import (
	"fmt"
	"unsafe"
)

// ConvS8 is an int8 2-D convolution with packed weights and fused
// requantization (bias, zero points, per-channel or per-tensor Requant,
// activation clamp). It is immutable after PackConvS8 and safe for
// concurrent Run and RunPart calls with separate scratch slices.
type ConvS8 struct {
	g       ConvGeom
	algo    string
	xZero   int32
	bias    []int32 // raw bias per output channel (zeros when none)
	biasAdj []int32 // bias − xZero·Σ_k w'[oc][k]: padding counted as xZero
	rq      *requantPlan

	// GEMM algorithms: weights w' = w − wZero packed per group.
	gemm    *gemmS8Impl
	wp      []int64
	wpg     int // packed words per group
	epi     []gemmS8Epi
	cg, ocg int
	kg      int // K per group: KH·KW·Cg
	kpad    int // im2col row length: kg, rounded up to 8 for the dot kernels
	dwAcc   int // depthwise: scratch offset of the int32 sums (after the band)
	mc      int // im2col rows per block
	scratch int // bytes

	// Depthwise and direct: w' unpacked, tap-major [KH·KW][OC] for
	// depthwise, OHWI for direct.
	wd  []int32
	wdp []int16 // depthwise weights packed by dw.Pack
	dw  *dwconvS8Impl
}

// PackConvS8 checks the geometry and parameters, picks the algorithm and
// packs w (OHWI int8, len OC·KH·KW·C/Groups) once. wZero holds the weight
// zero point per output channel, one for all, or nil (all zero, the fast
// path of int8 models); bias (int32, scale xScale·wScale[oc]) may be nil;
// xZero is the input zero point, which padding holds. It panics on an
// invalid geometry, short slices or an invalid Requant.
//
// Reference (y[n][oy][ox][oc], g = oc/(OC/Groups), cg = C/Groups):
//
//	acc := bias[oc]
//	for ky, kx, ci with the tap inside the input:
//		acc += (x[n][iy][ix][g*cg+ci] − xZero) · (w[oc][ky][kx][ci] − wZero[oc])
//	y[n][oy][ox][oc] = requant(acc, oc)
//
// Algorithms, as Algo names them: "gemm1x1" (1×1, stride 1, no padding:
// the input is the GEMM's A), "im2col" (patches copied to scratch, padding
// filled with xZero), depthwise "dw3x3s1", "dw3x3s2", "dw5x5s1",
// "dw5x5s2" (multiplier 1, dilation 1) and "dw" (any other), "direct"
// (at most two output channels per group).
func PackConvS8(g ConvGeom, w []int8, wZero []int32, bias []int32, xZero int32, rq Requant) *ConvS8 {
	return packConvS8With(g, w, wZero, bias, xZero, rq, gemmS8Best(), nil)
}

func packConvS8With(g ConvGeom, w []int8, wZero []int32, bias []int32, xZero int32, rq Requant,
	gm *gemmS8Impl, dw *dwconvS8Impl) *ConvS8 {
	if err := g.Check(); err != nil {
		panic(err.Error())
	}
	c := &ConvS8{g: g, xZero: xZero, gemm: gm, cg: g.C / g.Groups, ocg: g.OC / g.Groups}
	c.kg = g.KH * g.KW * c.cg
	if len(w) < g.OC*c.kg {
		panic(fmt.Sprintf("kernels: PackConvS8 weights len %d, want %d", len(w), g.OC*c.kg))
	}
	if xZero < -128 || xZero > 127 {
		panic(fmt.Sprintf("kernels: PackConvS8 input zero point %d outside [-128, 127]", xZero))
	}
	wz := checkWeightZero("PackConvS8", wZero, g.OC)
	wide := false
	for oc := 0; oc < g.OC; oc++ {
		wide = wide || wz(oc) != 0
	}
	c.gemm = gm.forWeights(wide)
	gm = c.gemm
	c.bias = make([]int32, g.OC)
	if bias != nil {
		if len(bias) < g.OC {
			panic(fmt.Sprintf("kernels: PackConvS8 bias len %d, want %d", len(bias), g.OC))
		}
		copy(c.bias, bias[:g.OC])
	}
	c.rq = newRequantPlan("kernels: PackConvS8", &rq, g.OC)
	// Corrected bias: the padding holds xZero, so over all KH·KW·Cg taps
	// Σ (x − xZero)·w' = Σ x·w' − xZero·Σ w'.
	c.biasAdj = make([]int32, g.OC)
	for oc := 0; oc < g.OC; oc++ {
		var s int32
		for _, v := range w[oc*c.kg : (oc+1)*c.kg] {
			s += int32(v) - wz(oc)
		}
		c.biasAdj[oc] = c.bias[oc] - xZero*s
	}
	switch {
	case g.Groups == g.C && g.Groups > 1:
		c.packDW(w, wz, dw)
	case g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadT == 0 && g.PadL == 0 &&
		g.OH == g.H && g.OW == g.W && c.ocg > 2:
		c.algo = convAlgoGemm1x1
		c.packGemm(w, wz, wide)
	case c.ocg <= 2:
		c.algo = convAlgoDirect
		c.wd = make([]int32, g.OC*c.kg)
		for oc := 0; oc < g.OC; oc++ {
			for k := 0; k < c.kg; k++ {
				c.wd[oc*c.kg+k] = int32(w[oc*c.kg+k]) - wz(oc)
			}
		}
	default:
		c.algo = convAlgoIm2col
		c.packGemm(w, wz, wide)
		mr := gm.MR
		// Panels with zero weights past kg (gemmS8Impl.KPad) take rows
		// padded with zeros, so the kernel needs no K tail.
		c.kpad = c.kg
		if gm.KPad > 1 {
			c.kpad = (c.kg + gm.KPad - 1) / gm.KPad * gm.KPad
		}
		c.mc = min(max(16384/c.kpad/mr*mr, mr), 256)
		c.scratch = c.mc * c.kpad
	}
	return c
}

// checkWeightZero validates weight zero points (nil, one, or n values in
// [-128, 127]) and returns an accessor.
func checkWeightZero(what string, wZero []int32, n int) func(int) int32 {
	switch len(wZero) {
	case 0:
		return func(int) int32 { return 0 }
	case 1, n:
	default:
		panic(fmt.Sprintf("kernels: %s weight zero points: %d values, want 0, 1 or %d", what, len(wZero), n))
	}
	for _, v := range wZero {
		if v < -128 || v > 127 {
			panic(fmt.Sprintf("kernels: %s weight zero point %d outside [-128, 127]", what, v))
		}
	}
	if len(wZero) == 1 {
		z := wZero[0]
		return func(int) int32 { return z }
	}
	return func(i int) int32 { return wZero[i] }
}

func (c *ConvS8) packGemm(w []int8, wz func(int) int32, wide bool) {
	g := &c.g
	im := c.gemm
	c.wpg = gemmS8PackedLen(im, c.kg, c.ocg)
	c.wp = make([]int64, c.wpg*g.Groups)
	c.epi = make([]gemmS8Epi, g.Groups)
	for gi := 0; gi < g.Groups; gi++ {
		oc0 := gi * c.ocg
		packGemmS8B(im, c.kg, c.ocg, w[oc0*c.kg:], 1, c.kg, func(j int) int32 { return wz(oc0 + j) }, c.wp[gi*c.wpg:])
		c.epi[gi] = gemmS8Epi{bias: c.biasAdj[oc0 : oc0+c.ocg], rq: c.rq, c0: oc0, n: c.ocg, kblk: im.kBlock(wide)}
		c.epi[gi].padFloat()
	}
}

// Geom returns the geometry the convolution was packed for.
func (c *ConvS8) Geom() ConvGeom { return c.g }

// Algo names the algorithm PackConvS8 chose.
func (c *ConvS8) Algo() string { return c.algo }

// ScratchBytes is the size of the scratch one Run or RunPart call needs
// (0 if none).
func (c *ConvS8) ScratchBytes() int { return c.scratch }

// Run computes the whole output; it is RunPart(x, y, scratch, 0, 1).
func (c *ConvS8) Run(x, y []int8, scratch []byte) { c.RunPart(x, y, scratch, 0, 1) }

// RunPart computes share part (0 <= part < parts) of the output: a
// contiguous range of pixel strips (GEMM algorithms, direct) or of output
// rows N·OH (depthwise). Parts may run concurrently, each with its own
// scratch; the result does not depend on parts.
func (c *ConvS8) RunPart(x, y []int8, scratch []byte, part, parts int) {
	g := &c.g
	checkPart("ConvS8.RunPart", part, parts)
	if len(x) < g.N*g.H*g.W*g.C {
		panic(fmt.Sprintf("kernels: ConvS8 input len %d, want %d", len(x), g.N*g.H*g.W*g.C))
	}
	if len(y) < g.N*g.OH*g.OW*g.OC {
		panic(fmt.Sprintf("kernels: ConvS8 output len %d, want %d", len(y), g.N*g.OH*g.OW*g.OC))
	}
	if len(scratch) < c.scratch {
		panic(fmt.Sprintf("kernels: ConvS8 scratch len %d, want %d", len(scratch), c.scratch))
	}
	switch c.algo {
	case convAlgoGemm1x1:
		m0, m1 := stripRange(g.N*g.H*g.W, c.gemm.MR, part, parts)
		if m0 >= m1 {
			return
		}
		for gi := 0; gi < g.Groups; gi++ {
			gemmS8Run(c.gemm, m1-m0, c.cg, x[m0*g.C+gi*c.cg:], g.C, c.wp[gi*c.wpg:],
				y[m0*g.OC+gi*c.ocg:], g.OC, &c.epi[gi])
		}
	case convAlgoIm2col:
		c.runIm2col(x, y, scratchInt8(scratch[:c.scratch]), part, parts)
	case convAlgoDirect:
		lo, hi := partRange(g.N*g.OH*g.OW, part, parts)
		c.runDirect(x, y, lo, hi)
	default:
		lo, hi := partRange(g.N*g.OH, part, parts)
		c.runDW(x, y, scratchInt8(scratch[:c.scratch]), lo, hi)
	}
}

func (c *ConvS8) runIm2col(x, y, buf []int8, part, parts int) {
	g := &c.g
	m0, m1 := stripRange(g.N*g.OH*g.OW, c.gemm.MR, part, parts)
	for b0 := m0; b0 < m1; b0 += c.mc {
		mb := min(c.mc, m1-b0)
		for gi := 0; gi < g.Groups; gi++ {
			c.im2col(x, buf, b0, mb, gi)
			gemmS8Run(c.gemm, mb, c.kpad, buf, c.kpad, c.wp[gi*c.wpg:], y[b0*g.OC+gi*c.ocg:], g.OC, &c.epi[gi])
		}
	}
}

// im2col writes the patches of output pixels [p0, p0+np) for group gi as
// rows of dst: dst[r][(ky*KW+kx)*Cg+ci], xZero where the tap is in padding,
// rows c.kpad long (zeros past kg, against zero weights).
func (c *ConvS8) im2col(x, dst []int8, p0, np, gi int) {
	g := &c.g
	cg, kg, kp := c.cg, c.kg, c.kpad
	zp := int8(c.xZero)
	ox := p0 % g.OW
	oy := p0 / g.OW % g.OH
	n := p0 / (g.OW * g.OH)
	seglen := g.KW * cg
	for r := 0; r < np; {
		if run := c.im2colRun(x, dst, r, np, n, oy, ox, gi); run > 0 {
			// A run of pixels of one output row done at once.
			r += run
			if ox += run; ox == g.OW {
				ox = 0
				if oy++; oy == g.OH {
					oy = 0
					n++
				}
			}
			continue
		}
		row := dst[r*kp : r*kp+kg]
		clear(dst[r*kp+kg : (r+1)*kp])
		ix0 := ox*g.SW - g.PadL
		// One group with all taps of a kernel row inside: contiguous.
		contig := cg == g.C && g.DW == 1 && ix0 >= 0 && ix0+g.KW <= g.W
		for ky := 0; ky < g.KH; ky++ {
			iy := oy*g.SH - g.PadT + ky*g.DH
			seg := row[ky*seglen : (ky+1)*seglen]
			if iy < 0 || iy >= g.H {
				fillS8(seg, zp)
				continue
			}
			xrow := x[((n*g.H+iy)*g.W)*g.C+gi*cg:]
			if contig {
				copySmallS8(seg, xrow[ix0*cg:(ix0+g.KW)*cg])
				continue
			}
			for kx := 0; kx < g.KW; kx++ {
				ix := ix0 + kx*g.DW
				d := seg[kx*cg : (kx+1)*cg]
				if ix < 0 || ix >= g.W {
					fillS8(d, zp)
				} else {
					copy(d, xrow[ix*g.C:ix*g.C+cg])
				}
			}
		}
		r++
		if ox++; ox == g.OW {
			ox = 0
			if oy++; oy == g.OH {
				oy = 0
				n++
			}
		}
	}
}

// im2colRun writes the rows of buffer rows [r, …) that are output pixels
// (n, oy, ox…) of one output row whose taps are all inside the input and
// contiguous per kernel row (one group, dilation 1 along x), and returns
// how many it wrote (0: pixel (n, oy, ox) is not such a pixel). Per kernel
// row it walks the pixels with a fixed input step, with no per-pixel
// geometry.
func (c *ConvS8) im2colRun(x, dst []int8, r, np, n, oy, ox, gi int) int {
	g := &c.g
	cg, kp := c.cg, c.kpad
	if cg != g.C || g.DW != 1 {
		return 0
	}
	iy0 := oy*g.SH - g.PadT
	if iy0 < 0 || iy0+(g.KH-1)*g.DH >= g.H {
		return 0
	}
	ix0 := ox*g.SW - g.PadL
	if ix0 < 0 || ix0+g.KW > g.W {
		return 0
	}
	// Pixels ox … ox+run−1 have their taps inside (ix0 + SW·i + KW <= W).
	run := min(np-r, g.OW-ox, (g.W-g.KW-ix0)/g.SW+1)
	seglen := g.KW * cg
	step := g.SW * cg
	for i := 0; i < run; i++ {
		pad := dst[(r+i)*kp+c.kg : (r+i+1)*kp]
		for j := range pad {
			pad[j] = 0
		}
	}
	for ky := 0; ky < g.KH; ky++ {
		iy := iy0 + ky*g.DH
		src := x[((n*g.H+iy)*g.W+ix0)*g.C+gi*cg:]
		src = src[:(run-1)*step+seglen]
		d := dst[r*kp+ky*seglen:]
		d = d[:(run-1)*kp+seglen]
		for i := 0; i < run; i++ {
			copySmallS8(d[i*kp:i*kp+seglen], src[i*step:i*step+seglen])
		}
	}
	return run
}

// copySmallS8 copies len(dst) bytes of src: 8 at a time on 64-bit targets
// (cheaper than a memmove call for the few bytes of an im2col segment).
func copySmallS8(dst, src []int8) {
	src = src[:len(dst)]
	i := 0
	if is64bit() {
		for ; i+8 <= len(dst); i += 8 {
			*(*uint64)(unsafe.Pointer(&dst[i])) = *(*uint64)(unsafe.Pointer(&src[i]))
		}
	}
	for ; i < len(dst); i++ {
		dst[i] = src[i]
	}
}

func fillS8(s []int8, v int8) {
	if len(s) == 0 {
		return
	}
	s[0] = v
	for n := 1; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}

// runDirect computes output pixels [p0, p1) as dot products over the taps
// inside the input, (x − xZero)·w'.
func (c *ConvS8) runDirect(x, y []int8, p0, p1 int) {
	g := &c.g
	cg, kg := c.cg, c.kg
	for p := p0; p < p1; p++ {
		ox := p % g.OW
		oy := p / g.OW % g.OH
		n := p / (g.OW * g.OH)
		yp := y[p*g.OC : (p+1)*g.OC]
		for oc := range yp {
			gi := oc / c.ocg
			acc := c.bias[oc]
			wo := c.wd[oc*kg : (oc+1)*kg]
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
					xs := x[((n*g.H+iy)*g.W+ix)*g.C+gi*cg:][:cg]
					ws := wo[(ky*g.KW+kx)*cg:][:cg]
					for ci, xv := range xs {
						acc += (int32(xv) - c.xZero) * ws[ci]
					}
				}
			}
			yp[oc] = c.rq.one(acc, oc)
		}
	}
}
