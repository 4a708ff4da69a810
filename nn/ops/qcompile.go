package ops

import (
	"math"
	"unsafe"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/quant"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Quantized ops. The arithmetic follows the graph's QuantStyle: TFLite's
// fixed point or ONNX Runtime's float requantization (package nn/quant
// computes the parameters as each runtime does at prepare time).

func params(t *graph.Tensor) quant.Params {
	return quant.Params{Scale: t.Quant.Scale[0], Zero: t.Quant.ZeroPoint[0]}
}

// offset is the domain offset of t: 128 when it holds a uint8 model's
// values (Quant.Shifted), else 0.
func offset(t *graph.Tensor) int32 {
	if t.Quant != nil && t.Quant.Shifted {
		return 128
	}
	return 0
}

// actRange is the int8 clamp of a fused activation on output y.
func actRange(n *graph.Node, a kernels.Act, y quant.Params) (int32, int32, error) {
	var qa quant.Activation
	switch {
	case a.Kind == kernels.ActNone:
		qa = quant.ActNone
	case a.Kind == kernels.ActRelu:
		qa = quant.ActRelu
	case a.Kind == kernels.ActClip && a.Min == 0 && a.Max == 6:
		qa = quant.ActRelu6
	case a.Kind == kernels.ActClip && a.Min == -1 && a.Max == 1:
		qa = quant.ActReluN1To1
	case a.Kind == kernels.ActClip:
		lo := y.Zero + int32(math.Round(float64(a.Min/y.Scale)))
		hi := y.Zero + int32(math.Round(float64(a.Max/y.Scale)))
		return max(-128, lo), min(127, hi), nil
	default:
		return 0, 0, nodeErr(n, "fused %v on a quantized output: %w", a, ErrUnsupported)
	}
	lo, hi, err := quant.ActivationRange(qa, y)
	if err != nil {
		return 0, 0, nodeErr(n, "%v", err)
	}
	return lo, hi, nil
}

// weightRequant is the requantization of a conv or dense layer.
func weightRequant(g *graph.Graph, n *graph.Node, x, w, y *graph.Tensor, a kernels.Act) (kernels.Requant, error) {
	yp := params(y)
	var rq kernels.Requant
	var err error
	if g.QuantStyle == graph.QuantTFLite {
		lo, hi, err := actRange(n, a, yp)
		if err != nil {
			return rq, err
		}
		if w.Quant.PerTensor() && w.Quant.Shifted {
			// Legacy uint8 models: TFLite's per-tensor multiplier.
			rq, err = quant.PerTensorRequantTFLite(x.Quant.Scale[0], w.Quant.Scale[0], yp, lo, hi)
		} else {
			rq, err = quant.ConvRequantTFLite(x.Quant.Scale[0], w.Quant.Scale, yp, lo, hi)
		}
		if err != nil {
			return rq, nodeErr(n, "%v", err)
		}
	} else {
		if a.Kind != kernels.ActNone {
			return rq, nodeErr(n, "fused %v on an ONNX quantized op: %w", a, ErrUnsupported)
		}
		rq, err = quant.RequantORT(x.Quant.Scale[0], w.Quant.Scale, yp)
	}
	if err != nil {
		return rq, nodeErr(n, "%v", err)
	}
	return rq, nil
}

// scratchBytes views float32 scratch as bytes.
func scratchBytes(s []float32) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 4*len(s))
}

func compileQuantized(g *graph.Graph, n *graph.Node) (Op, error) {
	x, y := in(g, n, 0), out(g, n, 0)
	switch n.Op {
	case graph.OpConv:
		geom, ok := ConvGeom2D(g, n)
		if !ok {
			return nil, nodeErr(n, "quantized convolution of rank %d: %w", len(x.Shape), ErrUnsupported)
		}
		if err := geom.Check(); err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		w := in(g, n, 1)
		rq, err := weightRequant(g, n, x, w, y, n.Params.(*graph.ConvParams).Act)
		if err != nil {
			return nil, err
		}
		var bias []int32
		if b := in(g, n, 2); b != nil {
			bias = b.Const.I32
		}
		return &convS8Op{k: kernels.PackConvS8(geom, w.Const.I8, w.Quant.ZeroPoint, bias, params(x).Zero, rq)}, nil
	case graph.OpDense:
		w := in(g, n, 1)
		rq, err := weightRequant(g, n, x, w, y, n.Params.(*graph.DenseParams).Act)
		if err != nil {
			return nil, err
		}
		var bias []int32
		if b := in(g, n, 2); b != nil {
			bias = b.Const.I32
		}
		return &denseS8Op{k: kernels.PackDenseS8(w.Shape[0], w.Shape[1], w.Const.I8, false, w.Quant.ZeroPoint, bias, params(x).Zero, rq), kdim: w.Shape[0],
			split: w.Shape[0]*w.Shape[1] >= minPartElems}, nil
	case graph.OpBinary:
		return compileBinaryS8(g, n)
	case graph.OpGlobalAvgPool:
		var rq kernels.Requant
		var err error
		r := len(x.Shape)
		hw := tensor.NumElems(x.Shape[1 : r-1])
		if g.QuantStyle == graph.QuantTFLite {
			rq, err = quant.MeanRequantTFLite(params(x), params(y))
		} else {
			rq, err = quant.GlobalAvgPoolRequantORT(params(x), params(y), hw)
		}
		if err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		return &gapS8Op{n: x.Shape[0], hw: hw, c: x.Shape[r-1], zero: params(x).Zero, rq: rq}, nil
	case graph.OpPool:
		p := n.Params.(*graph.PoolParams)
		if wholeWindowAvg(x.Shape, y.Shape, p) && g.QuantStyle == graph.QuantONNX {
			// An average pool over the whole map (Keras exports the
			// global pool so) is a global average pool, in ONNX Runtime's
			// arithmetic like QLinearGlobalAveragePool.
			hw := x.Shape[1] * x.Shape[2]
			rq, err := quant.GlobalAvgPoolRequantORT(params(x), params(y), hw)
			if err != nil {
				return nil, nodeErr(n, "%v", err)
			}
			return &gapS8Op{n: x.Shape[0], hw: hw, c: x.Shape[3], zero: params(x).Zero, rq: rq}, nil
		}
		if len(x.Shape) != 4 || !x.Quant.Equal(y.Quant) || g.QuantStyle != graph.QuantTFLite {
			return nil, nodeErr(n, "quantized average pooling needs 2-D, equal input and output parameters and TFLite arithmetic: %w", ErrUnsupported)
		}
		geom := kernels.PoolGeom{N: x.Shape[0], H: x.Shape[1], W: x.Shape[2], C: x.Shape[3], OH: y.Shape[1], OW: y.Shape[2],
			KH: p.Kernel[0], KW: p.Kernel[1], SH: p.Strides[0], SW: p.Strides[1], DH: p.Dilations[0], DW: p.Dilations[1],
			PadT: p.PadBegin[0], PadL: p.PadBegin[1], PadB: p.PadEnd[0], PadR: p.PadEnd[1]}
		return &avgPoolS8Op{g: geom, offset: offset(x), lo: -128, hi: 127, split: poolWorth(geom)}, nil
	case graph.OpUnary:
		return compileUnaryS8(g, n)
	case graph.OpMatMul:
		b := in(g, n, 1)
		if g.QuantStyle != graph.QuantONNX {
			return nil, nodeErr(n, "quantized MatMul of two runtime tensors in TFLite arithmetic: %w", ErrUnsupported)
		}
		plan, err := planMatMul(x.Shape, b.Shape)
		if err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		rq, err := quant.RequantORT(x.Quant.Scale[0], b.Quant.Scale, params(y))
		if err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		return &matMulS8Op{plan: plan, k: kernels.NewMatMulS8(plan.n, params(x).Zero, b.Quant.ZeroPoint, rq)}, nil
	}
	return nil, nodeErr(n, "int8 kernels for %v: %w", n.Op, ErrUnsupported)
}

func compileBinaryS8(g *graph.Graph, n *graph.Node) (Op, error) {
	a, b, y := in(g, n, 0), in(g, n, 1), out(g, n, 0)
	p := n.Params.(*graph.BinaryParams)
	ap, bp, yp := params(a), params(b), params(y)
	var eval func(a, b int8) int8
	swap := false
	if g.QuantStyle == graph.QuantTFLite {
		lo, hi, err := actRange(n, p.Act, yp)
		if err != nil {
			return nil, err
		}
		switch p.Op {
		case kernels.OpAdd:
			k, err := quant.AddTFLite(ap, bp, yp, lo, hi)
			if err != nil {
				return nil, nodeErr(n, "%v", err)
			}
			eval = k.Eval
		case kernels.OpMul:
			k, err := quant.MulTFLite(ap, bp, yp, lo, hi)
			if err != nil {
				return nil, nodeErr(n, "%v", err)
			}
			eval = k.Eval
		}
	} else {
		if p.Act.Kind != kernels.ActNone {
			return nil, nodeErr(n, "fused %v on an ONNX quantized op: %w", p.Act, ErrUnsupported)
		}
		// MLAS evaluates the broadcast operand first (kernels.AddFloatS8).
		if tensor.NumElems(a.Shape) < tensor.NumElems(b.Shape) {
			swap = true
			ap, bp = bp, ap
		}
		switch p.Op {
		case kernels.OpAdd:
			k, err := quant.AddORT(ap, bp, yp, offset(y))
			if err != nil {
				return nil, nodeErr(n, "%v", err)
			}
			eval = k.Eval
		case kernels.OpMul:
			k, err := quant.MulORT(ap, bp, yp, offset(y))
			if err != nil {
				return nil, nodeErr(n, "%v", err)
			}
			eval = k.Eval
		}
	}
	if eval == nil {
		return nil, nodeErr(n, "quantized %v: %w", p.Op, ErrUnsupported)
	}
	if swap {
		f := eval
		eval = func(a, b int8) int8 { return f(b, a) }
	}
	return &binaryS8Op{t: kernels.NewBinaryS8(eval), ashape: a.Shape, bshape: b.Shape, yshape: y.Shape}, nil
}

func compileUnaryS8(g *graph.Graph, n *graph.Node) (Op, error) {
	x, y := in(g, n, 0), out(g, n, 0)
	a := n.Params.(*graph.UnaryParams).Act
	xp, yp := params(x), params(y)
	var table *[256]int8
	var err error
	tflite := g.QuantStyle == graph.QuantTFLite
	switch {
	case a.Kind == kernels.ActSigmoid && tflite:
		table, err = quant.LogisticTableTFLite(xp, yp)
	case a.Kind == kernels.ActHardSwish && tflite:
		table, err = quant.HardSwishTableTFLite(xp, yp)
	case a.Kind == kernels.ActSigmoid:
		table, err = quant.SigmoidTableORT(xp, yp)
	case tflite:
		table, err = quant.FloatTableTFLite(xp, yp, a.Eval)
	default:
		table, err = quant.FloatTableORT(xp, yp, a.Eval)
	}
	if err != nil {
		return nil, nodeErr(n, "%v", err)
	}
	return &lutS8Op{table: table}, nil
}

type convS8Op struct{ k *kernels.ConvS8 }

func (o *convS8Op) PackedInputs() []int { return []int{1, 2} }
func (o *convS8Op) ScratchLen() int     { return (o.k.ScratchBytes() + 3) / 4 }
func (o *convS8Op) Run(x *Exec, in, out []*tensor.Tensor) {
	o.k.Run(in[0].I8, out[0].I8, scratchBytes(x.Scratch))
}
func (o *convS8Op) RunPart(in, out []*tensor.Tensor, scratch []float32, part, parts int) {
	o.k.RunPart(in[0].I8, out[0].I8, scratchBytes(scratch), part, parts)
}

type denseS8Op struct {
	k     *kernels.DenseS8
	kdim  int
	split bool
}

func (o *denseS8Op) PackedInputs() []int { return []int{1, 2} }
func (o *denseS8Op) ScratchLen() int     { return 0 }
func (o *denseS8Op) Run(x *Exec, in, out []*tensor.Tensor) {
	o.k.Run(in[0].I8, len(in[0].I8)/o.kdim, out[0].I8)
}

// RunPart runs the kernel's share (row strips, or column panels for fewer
// rows than its tile); layers of fewer than minPartElems weights run whole
// in part 0.
func (o *denseS8Op) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	if !o.split {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	o.k.RunPart(in[0].I8, len(in[0].I8)/o.kdim, out[0].I8, part, parts)
}

type binaryS8Op struct {
	t                      *kernels.BinaryS8
	ashape, bshape, yshape []int
}

func (o *binaryS8Op) ScratchLen() int { return 0 }
func (o *binaryS8Op) Run(x *Exec, in, out []*tensor.Tensor) {
	o.t.Run(in[0].I8, o.ashape, in[1].I8, o.bshape, out[0].I8, o.yshape)
}
func (o *binaryS8Op) RunPart(in, out []*tensor.Tensor, scratch []float32, part, parts int) {
	o.t.RunPart(in[0].I8, o.ashape, in[1].I8, o.bshape, out[0].I8, o.yshape, part, parts)
}

// wholeWindowAvg reports a 2-D average pool whose one window covers the
// whole unpadded NHWC input.
func wholeWindowAvg(x, y []int, p *graph.PoolParams) bool {
	if p.Kind != graph.AvgPool || len(x) != 4 || len(y) != 4 || y[1] != 1 || y[2] != 1 {
		return false
	}
	for i := range 2 {
		if p.Kernel[i] != x[i+1] || p.PadBegin[i] != 0 || p.PadEnd[i] != 0 || p.Dilations[i] != 1 {
			return false
		}
	}
	return true
}

type gapS8Op struct {
	n, hw, c int
	zero     int32
	rq       kernels.Requant
}

func (o *gapS8Op) ScratchLen() int { return 0 }
func (o *gapS8Op) Run(x *Exec, in, out []*tensor.Tensor) {
	kernels.GlobalAvgPoolS8(o.n, o.hw, o.c, in[0].I8, o.zero, out[0].I8, o.rq)
}

// RunPart averages a range of the channels (in blocks of 16, each channel
// summed and requantized alone); small inputs run whole in part 0.
func (o *gapS8Op) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	if o.n*o.hw*o.c < minPartElems {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	c0, c1 := splitRange(o.c, 16, part, parts)
	if c0 < c1 {
		kernels.GlobalAvgPoolS8Channels(o.n, o.hw, o.c, c0, c1, in[0].I8, o.zero, out[0].I8, o.rq)
	}
}

type avgPoolS8Op struct {
	g              kernels.PoolGeom
	offset, lo, hi int32
	split          bool
}

func (o *avgPoolS8Op) ScratchLen() int { return 0 }
func (o *avgPoolS8Op) Run(x *Exec, in, out []*tensor.Tensor) {
	kernels.AvgPool2DS8(o.g, in[0].I8, out[0].I8, o.offset, o.lo, o.hi)
}

// RunPart pools a range of the output rows (n, oy); small poolings run
// whole in part 0.
func (o *avgPoolS8Op) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	if !o.split {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	r0, r1 := splitRange(o.g.N*o.g.OH, 1, part, parts)
	if r0 < r1 {
		kernels.AvgPool2DS8Rows(o.g, in[0].I8, out[0].I8, o.offset, o.lo, o.hi, r0, r1)
	}
}

type lutS8Op struct{ table *[256]int8 }

func (o *lutS8Op) ScratchLen() int { return 0 }
func (o *lutS8Op) Run(x *Exec, in, out []*tensor.Tensor) {
	kernels.LUTS8(o.table, in[0].I8, out[0].I8)
}

// RunPart maps a range of the elements; small tensors run whole in part 0.
func (o *lutS8Op) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	n := len(in[0].I8)
	if n < minPartCheap {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	lo, hi := elemRange(n, part, parts)
	kernels.LUTS8(o.table, in[0].I8[lo:hi], out[0].I8[lo:hi])
}

type matMulS8Op struct {
	plan *matMulOp
	k    *kernels.MatMulS8
}

func (o *matMulS8Op) ScratchLen() int { return 0 }
func (o *matMulS8Op) Run(x *Exec, in, out []*tensor.Tensor) {
	p := o.plan
	a, b, y := in[0].I8, in[1].I8, out[0].I8
	mn := p.m * p.n
	for i := 0; i < p.batchLen; i++ {
		o.k.Run(p.m, p.k, a[p.aOff[i]:p.aOff[i]+p.m*p.k], b[p.bOff[i]:p.bOff[i]+p.k*p.n], y[i*mn:(i+1)*mn])
	}
}

// RunPart computes a range of the output rows counted over all batch items
// (each row on its own, as Run computes it); products below minPartElems
// multiply-adds run whole in part 0.
func (o *matMulS8Op) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	p := o.plan
	rows := p.batchLen * p.m
	if rows*p.k*p.n < minPartElems {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	a, b, y := in[0].I8, in[1].I8, out[0].I8
	r0, r1 := splitRange(rows, 1, part, parts)
	for r0 < r1 {
		i, m0 := r0/p.m, r0%p.m
		m1 := min(p.m, m0+r1-r0)
		ao, yo := p.aOff[i]+m0*p.k, (i*p.m+m0)*p.n
		o.k.Run(m1-m0, p.k, a[ao:ao+(m1-m0)*p.k], b[p.bOff[i]:p.bOff[i]+p.k*p.n], y[yo:yo+(m1-m0)*p.n])
		r0 += m1 - m0
	}
}
