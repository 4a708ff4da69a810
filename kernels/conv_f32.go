package kernels

import (
	"errors"
	"fmt"
)

// ConvGeom is the geometry of a 2-D convolution: NHWC input [N][H][W][C],
// output [N][OH][OW][OC], OHWI weights [OC][KH][KW][C/Groups]. Output
// channel oc belongs to group oc/(OC/Groups). SH, SW are strides, DH, DW
// dilations, PadT, PadL the leading padding; trailing padding is implied by
// OH, OW.
type ConvGeom struct {
	N, H, W, C, OH, OW, OC, KH, KW, SH, SW, DH, DW, PadT, PadL, Groups int
}

// Check reports whether the geometry is usable: all sizes, strides,
// dilations and Groups positive, pads non-negative, C and OC divisible by
// Groups. OH and OW are not derived from the pads (the trailing pads are
// implicit), so any positive output size is accepted.
func (g ConvGeom) Check() error {
	var errs []error
	pos := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s = %d, want > 0", name, v))
		}
	}
	pos("N", g.N)
	pos("H", g.H)
	pos("W", g.W)
	pos("C", g.C)
	pos("OH", g.OH)
	pos("OW", g.OW)
	pos("OC", g.OC)
	pos("KH", g.KH)
	pos("KW", g.KW)
	pos("SH", g.SH)
	pos("SW", g.SW)
	pos("DH", g.DH)
	pos("DW", g.DW)
	pos("Groups", g.Groups)
	if g.PadT < 0 || g.PadL < 0 {
		errs = append(errs, fmt.Errorf("pads (%d, %d) must be >= 0", g.PadT, g.PadL))
	}
	if g.Groups > 0 && (g.C%g.Groups != 0 || g.OC%g.Groups != 0) {
		errs = append(errs, fmt.Errorf("C = %d and OC = %d must be multiples of Groups = %d", g.C, g.OC, g.Groups))
	}
	if len(errs) > 0 {
		return fmt.Errorf("kernels: conv geometry %+v: %w", g, errors.Join(errs...))
	}
	return nil
}

// MACs is the number of multiply-accumulates of the convolution, counting
// padded taps (the usual convention): N·OH·OW·OC·KH·KW·C/Groups.
func (g ConvGeom) MACs() int64 {
	return int64(g.N) * int64(g.OH) * int64(g.OW) * int64(g.OC) * int64(g.KH) * int64(g.KW) * int64(g.C/g.Groups)
}

// Convolution algorithms chosen by PackConvF32.
const (
	convAlgoGemm1x1 = "gemm1x1" // 1×1, stride 1, no padding: the input is the A matrix
	convAlgoIm2col  = "im2col"  // patches copied into scratch, then the packed GEMM
	convAlgoDirect  = "direct"  // per-pixel dot products (tiny OC per group)
	convAlgoDW      = "dw"      // depthwise; named dwKxKsS for the fast paths
)

// ConvF32 is a float32 2-D convolution with packed weights, fused bias and
// activation. It is immutable after PackConvF32 and safe for concurrent Run
// and RunPart calls that use separate scratch slices.
type ConvF32 struct {
	g    ConvGeom
	act  Act
	algo string
	bias []float32 // len OC, or nil
	wp   []float32 // packed weights, layout per algo

	gemm    *gemmF32Impl
	dw      *dwconvF32Impl
	cg, ocg int // channels per group in, out
	kg      int // GEMM K per group: KH·KW·Cg
	wpg     int // packed weights per group (GEMM algos)
	mc      int // im2col rows per block
	scratch int
}

// PackConvF32 checks the geometry, picks the algorithm and packs w (OHWI,
// len OC·KH·KW·C/Groups) once into the layout that algorithm reads. bias
// (len OC) may be nil. It panics on an invalid geometry or short slices.
//
// Reference loop (y[n][oy][ox][oc], g = oc/(OC/Groups), cg = C/Groups):
//
//	s := bias[oc]
//	for ky, kx, ci: iy, ix := oy*SH-PadT+ky*DH, ox*SW-PadL+kx*DW
//		if 0 <= iy < H && 0 <= ix < W:
//			s += x[n][iy][ix][g*cg+ci] * w[oc][ky][kx][ci]
//	y[n][oy][ox][oc] = act(s)
//
// Algorithms: "gemm1x1" (1×1, stride 1, no padding, OH == H, OW == W: a
// GEMM with M = N·OH·OW pixels, K = C/Groups, N = OC/Groups), depthwise
// (Groups == C > 1: "dw3x3s1", "dw3x3s2", "dw5x5s1", "dw5x5s2" fast paths
// for multiplier 1 and dilation 1, "dw" otherwise), "direct" (at most two
// output channels per group) and "im2col" (everything else).
func PackConvF32(g ConvGeom, w, bias []float32, act Act) *ConvF32 {
	return packConvF32With(g, w, bias, act, gemmF32Best(false), nil)
}

// packConvF32With packs for a given GEMM impl and (for depthwise) a given
// depthwise impl; nil dw picks the first available matching one.
func packConvF32With(g ConvGeom, w, bias []float32, act Act, gm *gemmF32Impl, dw *dwconvF32Impl) *ConvF32 {
	if err := g.Check(); err != nil {
		panic(err.Error())
	}
	mustCheckAct(act)
	c := &ConvF32{g: g, act: act, gemm: gm, cg: g.C / g.Groups, ocg: g.OC / g.Groups}
	c.kg = g.KH * g.KW * c.cg
	if len(w) < g.OC*c.kg {
		panic(fmt.Sprintf("kernels: PackConvF32 weights len %d, want %d", len(w), g.OC*c.kg))
	}
	if bias != nil {
		if len(bias) < g.OC {
			panic(fmt.Sprintf("kernels: PackConvF32 bias len %d, want %d", len(bias), g.OC))
		}
		c.bias = append([]float32(nil), bias[:g.OC]...)
	}
	switch {
	case g.Groups == g.C && g.Groups > 1:
		c.packDW(w, dw)
	case g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadT == 0 && g.PadL == 0 &&
		g.OH == g.H && g.OW == g.W && c.ocg > 2:
		c.algo = convAlgoGemm1x1
		c.packGemm(w)
	case c.ocg <= 2:
		c.algo = convAlgoDirect
		c.wp = append([]float32(nil), w[:g.OC*c.kg]...)
	default:
		c.algo = convAlgoIm2col
		c.packGemm(w)
		mr := gm.MR
		c.mc = min(max(16384/c.kg/mr*mr, mr), 256)
		c.scratch = c.mc * c.kg
	}
	return c
}

func (c *ConvF32) packGemm(w []float32) {
	nr := c.gemm.NR
	c.wpg = gemmF32PackedLen(c.kg, c.ocg, nr)
	c.wp = make([]float32, c.wpg*c.g.Groups)
	for gi := 0; gi < c.g.Groups; gi++ {
		c.gemm.pack(c.kg, c.ocg, w[gi*c.ocg*c.kg:], 1, c.kg, c.wp[gi*c.wpg:])
	}
}

// Geom returns the geometry the convolution was packed for.
func (c *ConvF32) Geom() ConvGeom { return c.g }

// Algo names the algorithm PackConvF32 chose, e.g. "gemm1x1", "dw3x3s1",
// "dw5x5s2", "dw", "im2col", "direct".
func (c *ConvF32) Algo() string { return c.algo }

// ScratchLen is the number of float32s of scratch one Run or RunPart call
// needs (0 if none).
func (c *ConvF32) ScratchLen() int { return c.scratch }

// Run computes the whole output; it is RunPart(x, y, scratch, 0, 1).
func (c *ConvF32) Run(x, y, scratch []float32) { c.RunPart(x, y, scratch, 0, 1) }

// RunPart computes share part (0 ≤ part < parts) of the output: the output
// is split into parts contiguous ranges of pixel tiles (GEMM algorithms and
// direct) or of output rows N·OH (depthwise). Parts may run concurrently,
// each with its own scratch. The result is bit-identical for any parts.
func (c *ConvF32) RunPart(x, y, scratch []float32, part, parts int) {
	g := &c.g
	if parts <= 0 || part < 0 || part >= parts {
		panic(fmt.Sprintf("kernels: ConvF32.RunPart part %d of %d", part, parts))
	}
	if len(x) < g.N*g.H*g.W*g.C {
		panic(fmt.Sprintf("kernels: ConvF32 input len %d, want %d", len(x), g.N*g.H*g.W*g.C))
	}
	if len(y) < g.N*g.OH*g.OW*g.OC {
		panic(fmt.Sprintf("kernels: ConvF32 output len %d, want %d", len(y), g.N*g.OH*g.OW*g.OC))
	}
	if len(scratch) < c.scratch {
		panic(fmt.Sprintf("kernels: ConvF32 scratch len %d, want %d", len(scratch), c.scratch))
	}
	switch c.algo {
	case convAlgoGemm1x1:
		c.runGemm1x1(x, y, part, parts)
	case convAlgoIm2col:
		c.runIm2col(x, y, scratch, part, parts)
	case convAlgoDirect:
		lo, hi := partRange(g.N*g.OH*g.OW, part, parts)
		c.runDirect(x, y, lo, hi)
	default:
		lo, hi := partRange(g.N*g.OH, part, parts)
		c.runDW(x, y, lo, hi)
	}
}

// partRange splits [0, n) into parts nearly equal contiguous ranges.
func partRange(n, part, parts int) (lo, hi int) {
	return n * part / parts, n * (part + 1) / parts
}

// stripRange splits m rows into parts at multiples of mr, so that only the
// globally last strip is partial whatever parts is.
func stripRange(m, mr, part, parts int) (lo, hi int) {
	strips := (m + mr - 1) / mr
	s0, s1 := partRange(strips, part, parts)
	return min(s0*mr, m), min(s1*mr, m)
}

func (c *ConvF32) groupBias(gi int) []float32 {
	if c.bias == nil {
		return nil
	}
	return c.bias[gi*c.ocg : (gi+1)*c.ocg]
}

func (c *ConvF32) runGemm1x1(x, y []float32, part, parts int) {
	g := &c.g
	if m := g.N * g.H * g.W; m < c.gemm.MR && g.Groups == 1 {
		// Fewer pixels than one strip (squeeze-excite convolutions on a
		// 1×1 map): split the output channels instead.
		gemmF32PackedColumns(c.gemm, m, c.ocg, c.cg, x, g.C, c.wp, c.bias, y, g.OC, c.act, part, parts)
		return
	}
	m0, m1 := stripRange(g.N*g.H*g.W, c.gemm.MR, part, parts)
	if m0 >= m1 {
		return
	}
	for gi := 0; gi < g.Groups; gi++ {
		gemmF32Packed(c.gemm, m1-m0, c.ocg, c.cg, x[m0*g.C+gi*c.cg:], g.C,
			c.wp[gi*c.wpg:], c.groupBias(gi), y[m0*g.OC+gi*c.ocg:], g.OC, c.act)
	}
}

func (c *ConvF32) runIm2col(x, y, scratch []float32, part, parts int) {
	g := &c.g
	m0, m1 := stripRange(g.N*g.OH*g.OW, c.gemm.MR, part, parts)
	for b0 := m0; b0 < m1; b0 += c.mc {
		mb := min(c.mc, m1-b0)
		for gi := 0; gi < g.Groups; gi++ {
			c.im2col(x, scratch, b0, mb, gi)
			gemmF32Packed(c.gemm, mb, c.ocg, c.kg, scratch, c.kg,
				c.wp[gi*c.wpg:], c.groupBias(gi), y[b0*g.OC+gi*c.ocg:], g.OC, c.act)
		}
	}
}

// im2col writes the patches of output pixels [p0, p0+np) for group gi as
// rows of dst: dst[r][(ky*KW+kx)*Cg+ci], zero where the tap is in padding.
func (c *ConvF32) im2col(x, dst []float32, p0, np, gi int) {
	g := &c.g
	if g.DW == 1 && g.Groups == 1 {
		c.im2colSpan(x, dst, p0, np)
		return
	}
	cg, kg := c.cg, c.kg
	for r := 0; r < np; r++ {
		p := p0 + r
		ox := p % g.OW
		oy := p / g.OW % g.OH
		n := p / (g.OW * g.OH)
		row := dst[r*kg : (r+1)*kg]
		for ky := 0; ky < g.KH; ky++ {
			iy := oy*g.SH - g.PadT + ky*g.DH
			seg := row[ky*g.KW*cg : (ky+1)*g.KW*cg]
			if iy < 0 || iy >= g.H {
				clear(seg)
				continue
			}
			xrow := x[((n*g.H+iy)*g.W)*g.C+gi*cg:]
			for kx := 0; kx < g.KW; kx++ {
				ix := ox*g.SW - g.PadL + kx*g.DW
				d := seg[kx*cg : (kx+1)*cg]
				if ix < 0 || ix >= g.W {
					clear(d)
				} else {
					copy(d, xrow[ix*g.C:ix*g.C+cg])
				}
			}
		}
	}
}

// im2colSpan is im2col for dilation 1 and one group: the KW taps of a
// kernel row that fall inside the input are KW·C contiguous floats in both
// x and dst, so each moves as one block, by a plain loop when it is short
// (a 3-channel first layer: 9 floats, where a copy call costs more than
// the copy).
func (c *ConvF32) im2colSpan(x, dst []float32, p0, np int) {
	g := &c.g
	kg, span := c.kg, g.KW*g.C
	ox, oy, n := p0%g.OW, p0/g.OW%g.OH, p0/(g.OW*g.OH)
	for r := 0; r < np; r++ {
		row := dst[r*kg : (r+1)*kg]
		ix0 := ox*g.SW - g.PadL
		kx0, kx1 := dwTaps(ix0, 1, g.KW, g.W)
		for ky := 0; ky < g.KH; ky++ {
			iy := oy*g.SH - g.PadT + ky*g.DH
			seg := row[ky*span : (ky+1)*span]
			if iy < 0 || iy >= g.H || kx0 >= kx1 {
				clear(seg)
				continue
			}
			src := x[((n*g.H+iy)*g.W+ix0+kx0)*g.C : ((n*g.H+iy)*g.W+ix0+kx1)*g.C]
			d := seg[kx0*g.C : kx1*g.C]
			if len(d) <= 32 {
				for i, v := range src {
					d[i] = v
				}
			} else {
				copy(d, src)
			}
			clear(seg[:kx0*g.C])
			clear(seg[kx1*g.C:])
		}
		if ox++; ox == g.OW {
			ox = 0
			if oy++; oy == g.OH {
				oy = 0
				n++
			}
		}
	}
}

// runDirect computes output pixels [p0, p1) as plain dot products over the
// taps that fall inside the input; weights are unpacked OHWI.
func (c *ConvF32) runDirect(x, y []float32, p0, p1 int) {
	g := &c.g
	cg, kg := c.cg, c.kg
	for p := p0; p < p1; p++ {
		ox := p % g.OW
		oy := p / g.OW % g.OH
		n := p / (g.OW * g.OH)
		yp := y[p*g.OC : (p+1)*g.OC]
		for oc := range yp {
			gi := oc / c.ocg
			var s float32
			if c.bias != nil {
				s = c.bias[oc]
			}
			wo := c.wp[oc*kg : (oc+1)*kg]
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
						s += xv * ws[ci]
					}
				}
			}
			yp[oc] = s
		}
		ApplyAct(c.act, yp)
	}
}
