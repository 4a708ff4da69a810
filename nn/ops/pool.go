package ops

import (
	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

type poolOp struct {
	colMajor   bool
	kind       graph.PoolKind
	inclPad    bool
	gn         kernels.PoolNDGeom
	xlen, ylen int
}

func compilePool(g *graph.Graph, n *graph.Node) (Op, error) {
	x, y := in(g, n, 0), out(g, n, 0)
	p := n.Params.(*graph.PoolParams)
	r := len(x.Shape)
	hasIdx := len(n.Outputs) > 1 && n.Outputs[1] >= 0
	if r == 4 && !hasIdx && x.DType == tensor.Float32 {
		// Integer max pooling goes through the float N-d path below.
		g2 := kernels.PoolGeom{N: x.Shape[0], H: x.Shape[1], W: x.Shape[2], C: x.Shape[3], OH: y.Shape[1], OW: y.Shape[2],
			KH: p.Kernel[0], KW: p.Kernel[1], SH: p.Strides[0], SW: p.Strides[1], DH: p.Dilations[0], DW: p.Dilations[1],
			PadT: p.PadBegin[0], PadL: p.PadBegin[1], PadB: p.PadEnd[0], PadR: p.PadEnd[1]}
		return &pool2DOp{g: g2, max: p.Kind == graph.MaxPool, inclPad: p.CountIncludePad, split: poolWorth(g2)}, nil
	}
	op := &poolOp{kind: p.Kind, inclPad: p.CountIncludePad, colMajor: p.IndicesColMajor, xlen: tensor.NumElems(x.Shape), ylen: tensor.NumElems(y.Shape)}
	op.gn = kernels.PoolNDGeom{N: x.Shape[0], C: x.Shape[r-1], In: x.Shape[1 : r-1], Out: y.Shape[1 : r-1],
		Kernel: p.Kernel, Stride: p.Strides, Dilation: p.Dilations, PadBegin: p.PadBegin, PadEnd: p.PadEnd}
	return op, nil
}

// poolWorth reports whether a 2-D pooling reads enough (output elements
// times window taps) to be worth splitting over threads.
func poolWorth(g kernels.PoolGeom) bool {
	return g.N*g.OH*g.OW*g.C*g.KH*g.KW >= minPartElems
}

// pool2DOp is float32 NHWC max or average pooling; it splits over output
// rows (n, oy), each output computed as a whole run computes it.
type pool2DOp struct {
	g            kernels.PoolGeom
	max, inclPad bool
	split        bool
}

func (o *pool2DOp) ScratchLen() int { return 0 }
func (o *pool2DOp) Run(x *Exec, in, out []*tensor.Tensor) {
	o.rows(in, out, 0, o.g.N*o.g.OH)
}

// RunPart runs a range of the output rows; small poolings run whole in
// part 0.
func (o *pool2DOp) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	rows := o.g.N * o.g.OH
	if !o.split {
		if part == 0 {
			o.rows(in, out, 0, rows)
		}
		return
	}
	lo, hi := splitRange(rows, 1, part, parts)
	o.rows(in, out, lo, hi)
}

func (o *pool2DOp) rows(in, out []*tensor.Tensor, r0, r1 int) {
	if r0 >= r1 {
		return
	}
	if o.max {
		kernels.MaxPool2DF32Rows(o.g, in[0].F32, out[0].F32, r0, r1)
		return
	}
	kernels.AvgPool2DF32Rows(o.g, in[0].F32, out[0].F32, o.inclPad, r0, r1)
}

func (o *poolOp) ScratchLen() int {
	return o.xlen + o.ylen // integer inputs are widened to float32 (exact for 8-bit)
}

func (o *poolOp) Run(x *Exec, in, out []*tensor.Tensor) {
	var idx []int64
	if len(out) > 1 && out[1] != nil {
		idx = out[1].I64
	}
	src, dst := in[0].F32, out[0].F32
	if in[0].DType != tensor.Float32 {
		src, dst = x.Scratch[:o.xlen], x.Scratch[o.xlen:o.xlen+o.ylen]
		widen(in[0], src)
	}
	switch {
	case o.kind == graph.MaxPool:
		kernels.MaxPoolNDF32(o.gn, src, dst, idx)
		if o.colMajor && idx != nil {
			colMajorIndices(idx, o.gn.In)
		}
	default:
		kernels.AvgPoolNDF32(o.gn, src, dst, o.inclPad)
	}
	if in[0].DType != tensor.Float32 {
		narrow(dst, out[0])
	}
}

func widen(t *tensor.Tensor, dst []float32) {
	switch t.DType {
	case tensor.Uint8:
		for i, v := range t.U8 {
			dst[i] = float32(v)
		}
	case tensor.Int8:
		for i, v := range t.I8 {
			dst[i] = float32(v)
		}
	}
}

func narrow(src []float32, t *tensor.Tensor) {
	switch t.DType {
	case tensor.Uint8:
		for i, v := range src {
			t.U8[i] = uint8(v)
		}
	case tensor.Int8:
		for i, v := range src {
			t.I8[i] = int8(v)
		}
	}
}

// gapOp is float32 global average pooling; it splits over channels (each
// channel is summed alone, so any split gives the same bits).
type gapOp struct{ n, hw, c int }

func (o *gapOp) ScratchLen() int { return 0 }
func (o *gapOp) Run(x *Exec, in, out []*tensor.Tensor) {
	kernels.GlobalAvgPoolF32(o.n, o.hw, o.c, in[0].F32, out[0].F32)
}

// RunPart averages a range of the channels (in blocks of 8); small inputs
// run whole in part 0.
func (o *gapOp) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	if o.n*o.hw*o.c < minPartElems {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	c0, c1 := splitRange(o.c, 8, part, parts)
	if c0 < c1 {
		kernels.GlobalAvgPoolF32Channels(o.n, o.hw, o.c, c0, c1, in[0].F32, out[0].F32)
	}
}

// colMajorIndices renumbers row-major flat indices ((nc·S0 + i0)·S1 + i1 …)
// with the spatial axes in column-major order (nc·ΠS + i0 + i1·S0 + …).
func colMajorIndices(idx []int64, in []int) {
	sp := int64(tensor.NumElems(in))
	var coords [8]int64
	for j, v := range idx {
		rem := v % sp
		for a := len(in) - 1; a >= 0; a-- {
			coords[a] = rem % int64(in[a])
			rem /= int64(in[a])
		}
		col, stride := int64(0), int64(1)
		for a := range in {
			col += coords[a] * stride
			stride *= int64(in[a])
		}
		idx[j] = v/sp*sp + col
	}
}
