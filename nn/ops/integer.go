package ops

import (
	"fmt"
	"math"
	"slices"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Integer ops of ONNX's dynamic quantization: ConvInteger and MatMulInteger
// produce the int32 accumulators Σ(x − x_zero)·(w − w_zero) of uint8/int8
// operands, DynamicQuantizeLinear quantizes float32 to uint8 with a scale
// and zero point taken from the data's range. ONNX Runtime's dynamic
// quantization chains them: DynamicQuantizeLinear → ConvInteger/MatMulInteger
// → Cast → Mul(x_scale·w_scale).
//
// The accumulation wraps in 32 bits, as the ONNX specification allows
// ("the accumulation may overflow if and only if in 32 bits"); Go's int32
// arithmetic wraps, so results are the same on every architecture.
//
// Operands are read in their stored type. An int8 tensor holding a uint8
// model's values (graph.Quant.Shifted) is read back as uint8 by adding 128
// (offset), so any mix of shifted and raw tensors and zero points is
// computed in the source model's numbers.

// isU8OrS8 reports whether t is int8 or uint8.
func isU8OrS8(t *graph.Tensor) bool { return t.DType == tensor.Int8 || t.DType == tensor.Uint8 }

// zeroPointAt returns element i of a zero-point tensor in the source
// model's numbers (see offset).
func zeroPointAt(t *tensor.Tensor, off int32, i int) int32 {
	if t.DType == tensor.Int8 {
		return int32(t.I8[i]) + off
	}
	return int32(t.U8[i]) + off
}

// ---- ConvInteger ----

// convIntGeom is a channels-last convolution with up to three spatial axes;
// lower-rank convolutions have leading unit axes (D, then H).
type convIntGeom struct {
	n, d, h, w, c                int
	od, oh, ow, oc               int
	kd, kh, kw                   int
	sd, sh, sw, dd, dh, dw       int
	pd, ph, pw                   int // leading pads
	groups, cg, ocg, taps, wStep int
}

func convIntGeomOf(x, y *graph.Tensor, w []int, p *graph.ConvParams) convIntGeom {
	s := len(x.Shape) - 2
	pad3 := func(v []int, fill int) [3]int {
		r := [3]int{fill, fill, fill}
		copy(r[3-s:], v)
		return r
	}
	in, out, k := pad3(x.Shape[1:1+s], 1), pad3(y.Shape[1:1+s], 1), pad3(w[1:1+s], 1)
	st, dl, pb := pad3(p.Strides, 1), pad3(p.Dilations, 1), pad3(p.PadBegin, 0)
	g := convIntGeom{n: x.Shape[0], d: in[0], h: in[1], w: in[2], c: x.Shape[s+1],
		od: out[0], oh: out[1], ow: out[2], oc: w[0], kd: k[0], kh: k[1], kw: k[2],
		sd: st[0], sh: st[1], sw: st[2], dd: dl[0], dh: dl[1], dw: dl[2], pd: pb[0], ph: pb[1], pw: pb[2],
		groups: p.Groups}
	g.cg, g.ocg = g.c/g.groups, g.oc/g.groups
	g.taps = g.kd * g.kh * g.kw
	g.wStep = g.taps * g.cg
	return g
}

func inferConvInteger(g *graph.Graph, n *graph.Node) error {
	if err := needInputs(g, n, 2, 4); err != nil {
		return err
	}
	x, w := in(g, n, 0), in(g, n, 1)
	p := n.Params.(*graph.ConvParams)
	if !isU8OrS8(x) {
		return nodeErr(n, "input %q is %v, want uint8 or int8: %w", x.Name, x.DType, ErrUnsupported)
	}
	if w.Const == nil || !isU8OrS8(w) {
		return nodeErr(n, "weights %q must be a uint8 or int8 constant, are %v (constant %v): %w", w.Name, w.DType, w.Const != nil, ErrUnsupported)
	}
	r := len(x.Shape)
	if r < 3 || r > 5 {
		return nodeErr(n, "input %q is %v: ConvInteger supports 1 to 3 spatial axes: %w", x.Name, x.Shape, ErrUnsupported)
	}
	if len(w.Shape) != r {
		return nodeErr(n, "weights %v and input %v differ in rank: %w", w.Shape, x.Shape, ErrShape)
	}
	if p.Act.Kind != kernels.ActNone {
		return nodeErr(n, "fused %v: %w", p.Act, ErrUnsupported)
	}
	kernel := w.Shape[1 : r-1]
	if err := checkSpatial(n, r, kernel, p.Strides, p.Dilations, p.PadBegin, p.PadEnd); err != nil {
		return err
	}
	c, oc := x.Shape[r-1], w.Shape[0]
	if p.Groups < 1 || c%p.Groups != 0 || oc%p.Groups != 0 || w.Shape[r-1] != c/p.Groups {
		return nodeErr(n, "input channels %d, weights %v and group %d do not fit: %w", c, w.Shape, p.Groups, ErrShape)
	}
	if z := in(g, n, 2); z != nil && (!isU8OrS8(z) || tensor.NumElems(z.Shape) != 1) {
		return nodeErr(n, "input zero point %q is %v%v, want one uint8 or int8 value: %w", z.Name, z.DType, z.Shape, ErrShape)
	}
	if z := in(g, n, 3); z != nil {
		if z.Const == nil {
			return nodeErr(n, "weight zero point %q must be a constant: %w", z.Name, ErrUnsupported)
		}
		if k := tensor.NumElems(z.Shape); !isU8OrS8(z) || len(z.Shape) > 1 || k != 1 && k != oc {
			return nodeErr(n, "weight zero point %q is %v%v, want 1 or %d (output channels) uint8 or int8 values: %w", z.Name, z.DType, z.Shape, oc, ErrShape)
		}
	}
	ys := []int{x.Shape[0]}
	for i, k := range kernel {
		o := convOut(x.Shape[1+i], k, p.Strides[i], p.Dilations[i], p.PadBegin[i], p.PadEnd[i])
		if o < 1 {
			return nodeErr(n, "input %v too small for kernel %v: %w", x.Shape, kernel, ErrShape)
		}
		ys = append(ys, o)
	}
	ys = append(ys, oc)
	return setOut(g, n, 0, tensor.Int32, ys)
}

// convIntOp holds the weights minus their zero points, [OC][taps][C/G]
// (in [−255, 255], so int16).
type convIntOp struct {
	g          convIntGeom
	w          []int16
	xOff, zOff int32 // offsets of x and of its zero point (inputs 0 and 2)
}

func compileConvInteger(g *graph.Graph, n *graph.Node) (Op, error) {
	x, w, y := in(g, n, 0), in(g, n, 1), out(g, n, 0)
	op := &convIntOp{g: convIntGeomOf(x, y, w.Shape, n.Params.(*graph.ConvParams)), xOff: offset(x)}
	if z := in(g, n, 2); z != nil {
		op.zOff = offset(z)
	}
	var wz *tensor.Tensor
	var wzOff int32
	if z := in(g, n, 3); z != nil {
		wz, wzOff = z.Const, offset(z)
	}
	wOff := offset(w)
	per := op.g.wStep
	op.w = make([]int16, op.g.oc*per)
	for i := range op.w {
		var zp int32
		if wz != nil {
			zp = zeroPointAt(wz, wzOff, min(i/per, wz.Len()-1))
		}
		op.w[i] = int16(readInt(w.Const, i) + wOff - zp)
	}
	return op, nil
}

func (o *convIntOp) ScratchLen() int { return 0 }

func (o *convIntOp) Run(_ *Exec, in, out []*tensor.Tensor) {
	// xz is the value subtracted from each stored x: its zero point in
	// the stored domain.
	xz := -o.xOff
	if len(in) > 2 && in[2] != nil {
		xz += zeroPointAt(in[2], o.zOff, 0)
	}
	if in[0].DType == tensor.Int8 {
		convInt(&o.g, in[0].I8, xz, o.w, out[0].I32)
	} else {
		convInt(&o.g, in[0].U8, xz, o.w, out[0].I32)
	}
}

// convInt is a direct channels-last convolution with int32 accumulation:
// y[n,o…,oc] = Σ over valid taps and channels of its group of
// (x − xz)·w. Taps in the padding contribute nothing (ONNX pads x − xz
// with zeros).
func convInt[T int8 | uint8](g *convIntGeom, x []T, xz int32, w []int16, y []int32) {
	i := 0
	for b := 0; b < g.n; b++ {
		for od := 0; od < g.od; od++ {
			for oh := 0; oh < g.oh; oh++ {
				for ow := 0; ow < g.ow; ow++ {
					yr := y[i : i+g.oc]
					i += g.oc
					clear(yr)
					for kd := 0; kd < g.kd; kd++ {
						id := od*g.sd - g.pd + kd*g.dd
						if id < 0 || id >= g.d {
							continue
						}
						for kh := 0; kh < g.kh; kh++ {
							ih := oh*g.sh - g.ph + kh*g.dh
							if ih < 0 || ih >= g.h {
								continue
							}
							for kw := 0; kw < g.kw; kw++ {
								iw := ow*g.sw - g.pw + kw*g.dw
								if iw < 0 || iw >= g.w {
									continue
								}
								xb := (((b*g.d+id)*g.h+ih)*g.w + iw) * g.c
								tap := (kd*g.kh+kh)*g.kw + kw
								for gr := 0; gr < g.groups; gr++ {
									xs := x[xb+gr*g.cg : xb+(gr+1)*g.cg]
									for oc := gr * g.ocg; oc < (gr+1)*g.ocg; oc++ {
										ws := w[oc*g.wStep+tap*g.cg:][:len(xs)]
										var acc int32
										for c, v := range xs {
											acc += (int32(v) - xz) * int32(ws[c])
										}
										yr[oc] += acc
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// ---- MatMulInteger ----

// intZeroPoints describes how a zero-point input indexes: element
// batch·batchStride + i·stride for the A batch (or B batch) and row (or
// column) i.
type intZeroPoints struct {
	batchStride, stride int
	off                 int32
}

// matMulZeroPoints checks zero point z of operand shape s (as planMatMul
// saw it) and returns its indexing. rows is M for A (per row), N for B
// (per column); perRowShape is the full N-D shape the specification
// allows ([…, M, 1] for A, […, 1, N] for B).
func matMulZeroPoints(n *graph.Node, z *graph.Tensor, what string, rows int, perRowShape []int) (intZeroPoints, error) {
	if !isU8OrS8(z) {
		return intZeroPoints{}, nodeErr(n, "%s zero point %q is %v, want uint8 or int8: %w", what, z.Name, z.DType, ErrShape)
	}
	zp := intZeroPoints{off: offset(z)}
	switch k := tensor.NumElems(z.Shape); {
	case k == 1:
	case len(z.Shape) == 1 && k == rows:
		zp.stride = 1
	case perRowShape != nil && slices.Equal(z.Shape, perRowShape):
		zp.stride, zp.batchStride = 1, rows
	default:
		want := "one value"
		if rows > 1 {
			want += fmt.Sprintf(", [%d]", rows)
			if perRowShape != nil {
				want += fmt.Sprintf(" or %v", perRowShape)
			}
		}
		return intZeroPoints{}, nodeErr(n, "%s zero point %q has shape %v, want %s: %w", what, z.Name, z.Shape, want, ErrShape)
	}
	return zp, nil
}

// perRowShapes are the N-D zero-point shapes the specification gives:
// a[:-1]+[1] for A and b[:-2]+[1, N] for B (nil for 1-D operands).
func perRowShapes(as, bs []int) (a, b []int) {
	if len(as) >= 2 {
		a = append(append([]int(nil), as[:len(as)-1]...), 1)
	}
	if len(bs) >= 2 {
		b = append(append([]int(nil), bs[:len(bs)-2]...), 1, bs[len(bs)-1])
	}
	return a, b
}

func inferMatMulInteger(g *graph.Graph, n *graph.Node) error {
	if err := needInputs(g, n, 2, 4); err != nil {
		return err
	}
	a, b := in(g, n, 0), in(g, n, 1)
	for _, t := range []*graph.Tensor{a, b} {
		if !isU8OrS8(t) {
			return nodeErr(n, "operand %q is %v, want uint8 or int8: %w", t.Name, t.DType, ErrUnsupported)
		}
	}
	plan, err := planMatMul(a.Shape, b.Shape)
	if err != nil {
		return nodeErr(n, "%v: %w", err, ErrShape)
	}
	ar, br := perRowShapes(a.Shape, b.Shape)
	if z := in(g, n, 2); z != nil {
		if _, err := matMulZeroPoints(n, z, "A", plan.m, ar); err != nil {
			return err
		}
	}
	if z := in(g, n, 3); z != nil {
		if _, err := matMulZeroPoints(n, z, "B", plan.n, br); err != nil {
			return err
		}
	}
	return setOut(g, n, 0, tensor.Int32, plan.yshape)
}

type matMulIntOp struct {
	plan       *matMulOp
	aOff, bOff int32
	az, bz     intZeroPoints
}

func compileMatMulInteger(g *graph.Graph, n *graph.Node) (Op, error) {
	a, b := in(g, n, 0), in(g, n, 1)
	plan, err := planMatMul(a.Shape, b.Shape)
	if err != nil {
		return nil, nodeErr(n, "%v: %w", err, ErrShape)
	}
	op := &matMulIntOp{plan: plan, aOff: offset(a), bOff: offset(b)}
	ar, br := perRowShapes(a.Shape, b.Shape)
	if z := in(g, n, 2); z != nil {
		if op.az, err = matMulZeroPoints(n, z, "A", plan.m, ar); err != nil {
			return nil, err
		}
	}
	if z := in(g, n, 3); z != nil {
		if op.bz, err = matMulZeroPoints(n, z, "B", plan.n, br); err != nil {
			return nil, err
		}
	}
	return op, nil
}

func (o *matMulIntOp) ScratchLen() int { return 0 }

func (o *matMulIntOp) Run(_ *Exec, in, out []*tensor.Tensor) {
	var az, bz *tensor.Tensor
	if len(in) > 2 {
		az = in[2]
	}
	if len(in) > 3 {
		bz = in[3]
	}
	switch a, b := in[0], in[1]; {
	case a.DType == tensor.Int8 && b.DType == tensor.Int8:
		matMulInt(o, a.I8, b.I8, az, bz, out[0].I32)
	case a.DType == tensor.Int8:
		matMulInt(o, a.I8, b.U8, az, bz, out[0].I32)
	case b.DType == tensor.Int8:
		matMulInt(o, a.U8, b.I8, az, bz, out[0].I32)
	default:
		matMulInt(o, a.U8, b.U8, az, bz, out[0].I32)
	}
}

// matMulInt computes each output row as
// y[r,j] = Σk a'[r,k]·b[k,j] + (bOff − bz[j])·Σk a'[r,k] with
// a' = a + aOff − az[r]: (a')·(b + bOff − bz[j]) summed over k, with the
// column zero point taken out of the inner loop. The identity holds in
// wrapping int32 arithmetic, so the result is exactly the direct sum.
func matMulInt[TA, TB int8 | uint8](o *matMulIntOp, a []TA, b []TB, az, bz *tensor.Tensor, y []int32) {
	p := o.plan
	m, k, n := p.m, p.k, p.n
	for bi := 0; bi < p.batchLen; bi++ {
		am := a[p.aOff[bi] : p.aOff[bi]+m*k]
		bm := b[p.bOff[bi] : p.bOff[bi]+k*n]
		ab, bb := p.aOff[bi]/max(m*k, 1), p.bOff[bi]/max(k*n, 1)
		for r := 0; r < m; r++ {
			sub := -o.aOff
			if az != nil {
				sub += zeroPointAt(az, o.az.off, ab*o.az.batchStride+r*o.az.stride)
			}
			yr := y[(bi*m+r)*n : (bi*m+r+1)*n]
			clear(yr)
			var rowSum int32
			for kk, av := range am[r*k : (r+1)*k] {
				v := int32(av) - sub
				rowSum += v
				if v == 0 {
					continue
				}
				for j, bv := range bm[kk*n : (kk+1)*n] {
					yr[j] += v * int32(bv)
				}
			}
			for j := range yr {
				c := o.bOff
				if bz != nil {
					c -= zeroPointAt(bz, o.bz.off, bb*o.bz.batchStride+j*o.bz.stride)
				}
				yr[j] += c * rowSum
			}
		}
	}
}

// ---- DynamicQuantizeLinear ----

func inferDynamicQuantize(g *graph.Graph, n *graph.Node) error {
	if err := needInputs(g, n, 1, 1); err != nil {
		return err
	}
	x := in(g, n, 0)
	if err := needF32(n, x); err != nil {
		return err
	}
	if len(n.Outputs) != 3 {
		return nodeErr(n, "has %d outputs, want 3 (y, scale, zero point)", len(n.Outputs))
	}
	if err := setOut(g, n, 0, tensor.Uint8, x.Shape); err != nil {
		return err
	}
	if err := setOut(g, n, 1, tensor.Float32, []int{}); err != nil {
		return err
	}
	return setOut(g, n, 2, tensor.Uint8, []int{})
}

// dynamicQuantizeOp follows ONNX Runtime's DynamicQuantizeLinear: the range
// [min(0, min x), max(0, max x)] (NaNs ignored) maps onto [0, 255] with
// scale (max − min)/255 (1 when the range is empty: x all zeros) and zero
// point round-half-even(clamp(−min/scale, 0, 255)); y is x quantized with
// them, rounding half to even.
type dynamicQuantizeOp struct{}

func (dynamicQuantizeOp) ScratchLen() int { return 0 }

func (dynamicQuantizeOp) Run(_ *Exec, in, out []*tensor.Tensor) {
	x := in[0].F32
	lo, hi := float32(0), float32(0)
	for _, v := range x { // comparisons, not min/max: those propagate NaN
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	scale := float32(1)
	if hi != lo {
		scale = (hi - lo) / 255
	}
	zf := min(max(0-lo/scale, 0), 255)
	zp := int32(math.RoundToEven(float64(zf)))
	if out[0] != nil {
		quantizeHalfEven(x, scale, zp, 0, 255, out[0].U8)
	}
	if out[1] != nil {
		out[1].F32[0] = scale
	}
	if out[2] != nil {
		out[2].U8[0] = uint8(zp)
	}
}
