package train

import "github.com/ocellus/ocellus/kernels"

// Convolution backward passes. Shapes follow kernels.ConvGeom: x is NHWC
// [N][H][W][C], w is OHWI [OC][KH][KW][C/Groups], dy is [N][OH][OW][OC].
// With P = N·OH·OW output pixels and, per group, Cg = C/Groups input and
// OCg = OC/Groups output channels and K = KH·KW·Cg taps, the maths is
//
//	db[oc]    += Σ_p dy[p][oc]
//	dW_g      += dY_gᵀ · cols_g          ([OCg][K] = [OCg][P]·[P][K])
//	dcols_g    = dY_g · W_g              ([P][K]   = [P][OCg]·[OCg][K])
//	dx        += col2im(dcols_g)
//
// where cols_g is the im2col matrix of group g (row p holds the K input
// values under output pixel p's window, zero where the window is in the
// padding). A 1×1, stride 1, unpadded convolution with one group uses x
// itself as cols and dcols as dx. Depthwise convolutions (Groups = C = OC)
// take direct loops over channels instead (dwBackward).

// convScratch holds a convolution's backward buffers between steps.
type convScratch struct {
	cols, dcols, dyg, dyT, tmp, wt, dwt []float32
}

// isDepthwise reports whether g is a depthwise convolution with one output
// channel per input channel.
func isDepthwise(g kernels.ConvGeom) bool {
	return g.Groups == g.C && g.OC == g.C && g.Groups > 1
}

// isPointwise reports whether g is a 1×1, stride 1, unpadded, one-group
// convolution: then x is the [P][C] matrix itself.
func isPointwise(g kernels.ConvGeom) bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadT == 0 && g.PadL == 0 &&
		g.OH == g.H && g.OW == g.W && g.Groups == 1
}

// convBackward accumulates the gradients of a convolution without fused
// activation: dx (len N·H·W·C), dw (len OC·KH·KW·Cg) and db (len OC) are
// added to; any of them may be nil when not wanted.
func convBackward(wk workers, g kernels.ConvGeom, x, w, dy, dx, dw, db []float32, s *convScratch) {
	P := g.N * g.OH * g.OW
	if db != nil {
		biasBackward(wk, P, g.OC, dy, db)
	}
	if dx == nil && dw == nil {
		return
	}
	if isDepthwise(g) {
		dwBackward(wk, g, x, w, dy, dx, dw, s)
		return
	}
	G := g.Groups
	cg, ocg := g.C/G, g.OC/G
	k := g.KH * g.KW * cg
	direct := isPointwise(g)
	for gi := 0; gi < G; gi++ {
		cols := x
		if !direct && dw != nil {
			s.cols = grow(s.cols, P*k)
			cols = s.cols
			im2col(wk, g, x, gi, cols)
		}
		dyg := dy
		if G > 1 {
			s.dyg = grow(s.dyg, P*ocg)
			dyg = s.dyg
			for p := 0; p < P; p++ {
				copy(dyg[p*ocg:(p+1)*ocg], dy[p*g.OC+gi*ocg:])
			}
		}
		wg := w[gi*ocg*k : (gi+1)*ocg*k]
		if dw != nil {
			s.dyT = grow(s.dyT, P*ocg)
			transpose2D(P, ocg, dyg, s.dyT)
			wk.gemm(ocg, k, P, s.dyT, cols, dw[gi*ocg*k:(gi+1)*ocg*k], true, &s.tmp)
		}
		if dx == nil {
			continue
		}
		if direct {
			wk.gemm(P, k, ocg, dyg, wg, dx, true, &s.tmp)
			continue
		}
		s.dcols = grow(s.dcols, P*k)
		wk.gemm(P, k, ocg, dyg, wg, s.dcols, false, nil)
		col2im(wk, g, s.dcols, gi, dx)
	}
}

// biasBackward adds the column sums of dy [P][C] to db, in float32 and
// pixel order; threads take disjoint channel ranges.
func biasBackward(wk workers, P, C int, dy, db []float32) {
	wk.ranges(C, 16, func(c0, c1 int) {
		acc := db[c0:c1]
		for p := 0; p < P; p++ {
			row := dy[p*C+c0 : p*C+c1]
			for i, v := range row {
				acc[i] += v
			}
		}
	})
}

// im2col writes group gi's patches of x into cols [P][KH·KW·Cg]; threads
// take disjoint row ranges.
func im2col(wk workers, g kernels.ConvGeom, x []float32, gi int, cols []float32) {
	cg := g.C / g.Groups
	k := g.KH * g.KW * cg
	P := g.N * g.OH * g.OW
	wk.ranges(P, 8, func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			n, r := p/(g.OH*g.OW), p%(g.OH*g.OW)
			oy, ox := r/g.OW, r%g.OW
			row := cols[p*k : (p+1)*k]
			for ky := 0; ky < g.KH; ky++ {
				iy := oy*g.SH - g.PadT + ky*g.DH
				for kx := 0; kx < g.KW; kx++ {
					ix := ox*g.SW - g.PadL + kx*g.DW
					dst := row[(ky*g.KW+kx)*cg : (ky*g.KW+kx+1)*cg]
					if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
						clear(dst)
						continue
					}
					copy(dst, x[((n*g.H+iy)*g.W+ix)*g.C+gi*cg:])
				}
			}
		}
	})
}

// col2im adds group gi's patch gradients dcols [P][KH·KW·Cg] into dx;
// threads take disjoint images (windows of one image overlap).
func col2im(wk workers, g kernels.ConvGeom, dcols []float32, gi int, dx []float32) {
	cg := g.C / g.Groups
	k := g.KH * g.KW * cg
	wk.ranges(g.N, 1, func(n0, n1 int) {
		for n := n0; n < n1; n++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					p := (n*g.OH+oy)*g.OW + ox
					row := dcols[p*k : (p+1)*k]
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
							src := row[(ky*g.KW+kx)*cg : (ky*g.KW+kx+1)*cg]
							addTo(dx[((n*g.H+iy)*g.W+ix)*g.C+gi*cg:][:cg], src)
						}
					}
				}
			}
		}
	})
}

// dwBackward is convBackward for a depthwise convolution (one output
// channel per input channel, w [C][KH][KW][1]): direct loops with the
// channel axis innermost, threads taking disjoint channel ranges so both dx
// and dw writes are private. The weights are used transposed, [KH·KW][C].
func dwBackward(wk workers, g kernels.ConvGeom, x, w, dy, dx, dw []float32, s *convScratch) {
	C, T := g.C, g.KH*g.KW
	s.wt = grow(s.wt, T*C)
	transpose2D(C, T, w, s.wt)
	var dwt []float32
	if dw != nil {
		s.dwt = grow(s.dwt, T*C)
		dwt = s.dwt
		clear(dwt)
	}
	wt := s.wt
	wk.ranges(C, 16, func(c0, c1 int) {
		for n := 0; n < g.N; n++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					dyp := dy[((n*g.OH+oy)*g.OW+ox)*C:][c0:c1]
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
							t := ky*g.KW + kx
							off := ((n*g.H+iy)*g.W + ix) * C
							if dx != nil {
								dxp := dx[off+c0 : off+c1]
								wr := wt[t*C+c0 : t*C+c1]
								for i, d := range dyp {
									dxp[i] += d * wr[i]
								}
							}
							if dwt != nil {
								xp := x[off+c0 : off+c1]
								dwr := dwt[t*C+c0 : t*C+c1]
								for i, d := range dyp {
									dwr[i] += xp[i] * d
								}
							}
						}
					}
				}
			}
		}
	})
	if dw != nil {
		// dw [C][T] += dwt [T][C]ᵀ
		for c := 0; c < C; c++ {
			row := dw[c*T : (c+1)*T]
			for t := range row {
				row[t] += dwt[t*C+c]
			}
		}
	}
}
