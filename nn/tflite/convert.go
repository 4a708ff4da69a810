package tflite

import (
	"fmt"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
)

func (im *importer) convert(code fb.BuiltinOperator, op *fb.Operator) error {
	if len(op.Outputs) == 0 {
		return fmt.Errorf("no outputs: %w", ErrInvalid)
	}
	switch code {
	case fb.OpConv2D, fb.OpDepthwiseConv2D:
		return im.conv(code, op)
	case fb.OpFullyConnected:
		return im.fullyConnected(op)
	case fb.OpAdd, fb.OpMul, fb.OpSub, fb.OpDiv:
		return im.binary(code, op)
	case fb.OpAveragePool2D, fb.OpMaxPool2D:
		return im.pool(code, op)
	case fb.OpMean:
		return im.mean(op)
	case fb.OpSoftmax:
		return im.softmax(op)
	case fb.OpLogistic, fb.OpHardSwish, fb.OpRelu, fb.OpRelu6:
		return im.unary(code, op)
	case fb.OpReshape, fb.OpSqueeze:
		return im.reshape(op)
	case fb.OpPad:
		return im.pad(op)
	case fb.OpConcatenation:
		return im.concat(op)
	case fb.OpTranspose:
		return im.transpose(op)
	case fb.OpQuantize, fb.OpDequantize:
		return im.quantize(code, op)
	}
	return fmt.Errorf("operator %v: %w", code, ErrUnsupported)
}

func (im *importer) conv(code fb.BuiltinOperator, op *fb.Operator) error {
	in, err := im.inputs(op, 2)
	if err != nil {
		return err
	}
	x, w := im.g.Tensors[in[0]], im.g.Tensors[in[1]]
	if len(x.Shape) != 4 || len(w.Shape) != 4 || w.Const == nil {
		return fmt.Errorf("input %v and filter %v (constant %v): want 4-D NHWC and a constant filter: %w", x.Shape, w.Shape, w.Const != nil, ErrInvalid)
	}
	var pad fb.Padding
	var sh, sw, dh, dw int
	var fa fb.Activation
	groups := 1
	wid := in[1]
	switch o := op.Options.(type) {
	case fb.Conv2DOptions:
		pad, sh, sw, dh, dw, fa = o.Padding, int(o.StrideH), int(o.StrideW), int(o.DilationH), int(o.DilationW), o.FusedActivation
	case fb.DepthwiseConv2DOptions:
		pad, sh, sw, dh, dw, fa = o.Padding, int(o.StrideH), int(o.StrideW), int(o.DilationH), int(o.DilationW), o.FusedActivation
		// Filter [1, KH, KW, C·M] → OHWI [C·M, KH, KW, 1], groups = C.
		groups = x.Shape[3]
		tw := w.Const.Transposed([]int{3, 1, 2, 0})
		wid = im.g.AddConst(w.Name+"#ohwi", tw)
		if q := w.Quant; q != nil {
			c := *q
			if !q.PerTensor() {
				c.Axis = 0
			}
			im.g.Tensors[wid].Quant = &c
		}
		w = im.g.Tensors[wid]
	default:
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	if code == fb.OpDepthwiseConv2D && w.Shape[0]%groups != 0 {
		return fmt.Errorf("depthwise filter %v for %d channels: %w", w.Shape, groups, ErrInvalid)
	}
	if sh < 1 || sw < 1 || dh < 1 || dw < 1 {
		return fmt.Errorf("strides %d,%d dilations %d,%d: %w", sh, sw, dh, dw, ErrInvalid)
	}
	a, err := act(fa)
	if err != nil {
		return err
	}
	begin, end, err := padHW(pad, x.Shape, w.Shape[1], w.Shape[2], sh, sw, dh, dw)
	if err != nil {
		return err
	}
	p := &graph.ConvParams{Strides: []int{sh, sw}, Dilations: []int{dh, dw}, PadBegin: begin, PadEnd: end, Groups: groups, Act: a}
	inputs := []int{in[0], wid}
	if len(in) > 2 && in[2] >= 0 {
		inputs = append(inputs, in[2])
	}
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	id, err := im.emit(graph.OpConv, p, inputs, decl)
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) fullyConnected(op *fb.Operator) error {
	in, err := im.inputs(op, 2)
	if err != nil {
		return err
	}
	o, ok := op.Options.(fb.FullyConnectedOptions)
	if !ok && op.Options != nil {
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	if o.WeightsFormat != 0 {
		return fmt.Errorf("weights format %v: %w", o.WeightsFormat, ErrUnsupported)
	}
	w := im.g.Tensors[in[1]]
	if w.Const == nil || len(w.Shape) != 2 {
		return fmt.Errorf("weights %v must be a 2-D constant: %w", w.Shape, ErrUnsupported)
	}
	// [N, K] → [K, N].
	wid := im.g.AddConst(w.Name+"#kn", w.Const.Transposed([]int{1, 0}))
	if q := w.Quant; q != nil {
		c := *q
		if !q.PerTensor() {
			c.Axis = 1
		}
		im.g.Tensors[wid].Quant = &c
	}
	k := w.Shape[1]
	x := im.g.Tensors[in[0]]
	xid := in[0]
	if x.Shape[len(x.Shape)-1] != k || len(x.Shape) != 2 {
		if tensor.NumElems(x.Shape)%k != 0 {
			return fmt.Errorf("input %v does not fit weights %v: %w", x.Shape, w.Shape, ErrInvalid)
		}
		if xid, err = im.emit(graph.OpReshape, nil, []int{xid}, graph.Tensor{DType: x.DType, Shape: []int{tensor.NumElems(x.Shape) / k, k}, Quant: x.Quant}); err != nil {
			return err
		}
	}
	a, err := act(o.FusedActivation)
	if err != nil {
		return err
	}
	inputs := []int{xid, wid}
	if len(in) > 2 && in[2] >= 0 {
		inputs = append(inputs, in[2])
	}
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	id, err := im.emit(graph.OpDense, &graph.DenseParams{Act: a}, inputs, decl)
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) binary(code fb.BuiltinOperator, op *fb.Operator) error {
	in, err := im.inputs(op, 2)
	if err != nil {
		return err
	}
	var fa fb.Activation
	var bop kernels.BinOp
	switch o := op.Options.(type) {
	case fb.AddOptions:
		fa, bop = o.FusedActivation, kernels.OpAdd
	case fb.MulOptions:
		fa, bop = o.FusedActivation, kernels.OpMul
	case fb.SubOptions:
		fa, bop = o.FusedActivation, kernels.OpSub
	case fb.DivOptions:
		fa, bop = o.FusedActivation, kernels.OpDiv
	case nil:
		bop = map[fb.BuiltinOperator]kernels.BinOp{fb.OpAdd: kernels.OpAdd, fb.OpMul: kernels.OpMul, fb.OpSub: kernels.OpSub, fb.OpDiv: kernels.OpDiv}[code]
	default:
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	a, err := act(fa)
	if err != nil {
		return err
	}
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	id, err := im.emit(graph.OpBinary, &graph.BinaryParams{Op: bop, Act: a}, in[:2], decl)
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) pool(code fb.BuiltinOperator, op *fb.Operator) error {
	in, err := im.inputs(op, 1)
	if err != nil {
		return err
	}
	o, ok := op.Options.(fb.Pool2DOptions)
	if !ok {
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	x := im.g.Tensors[in[0]]
	if len(x.Shape) != 4 {
		return fmt.Errorf("input %v: want NHWC: %w", x.Shape, ErrInvalid)
	}
	kh, kw, sh, sw := int(o.FilterHeight), int(o.FilterWidth), int(o.StrideH), int(o.StrideW)
	if kh < 1 || kw < 1 || sh < 1 || sw < 1 {
		return fmt.Errorf("filter %dx%d stride %d,%d: %w", kh, kw, sh, sw, ErrInvalid)
	}
	begin, end, err := padHW(o.Padding, x.Shape, kh, kw, sh, sw, 1, 1)
	if err != nil {
		return err
	}
	p := &graph.PoolParams{Kind: graph.AvgPool, Kernel: []int{kh, kw}, Strides: []int{sh, sw}, Dilations: []int{1, 1},
		PadBegin: begin, PadEnd: end}
	if code == fb.OpMaxPool2D {
		p.Kind = graph.MaxPool
	}
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	if p.Kind == graph.MaxPool {
		decl.Quant = nil // max pooling keeps the input's parameters
		if x.Quant != nil {
			decl.Quant = x.Quant
		}
	}
	id, err := im.emit(graph.OpPool, p, []int{in[0]}, decl)
	if err != nil {
		return err
	}
	if a, err := act(o.FusedActivation); err != nil {
		return err
	} else if a.Kind != kernels.ActNone {
		t := im.g.Tensors[id]
		if id, err = im.emit(graph.OpUnary, &graph.UnaryParams{Act: a}, []int{id}, graph.Tensor{DType: t.DType, Quant: t.Quant}); err != nil {
			return err
		}
	}
	return im.finish(op.Outputs[0], id)
}

// mean is MEAN over the spatial axes (the global average pool of
// Keras-exported classifiers); other axes run as float ReduceMean.
func (im *importer) mean(op *fb.Operator) error {
	in, err := im.inputs(op, 2)
	if err != nil {
		return err
	}
	x := im.g.Tensors[in[0]]
	ax := im.g.Tensors[in[1]].Const
	if ax == nil {
		return fmt.Errorf("axes must be constant: %w", ErrUnsupported)
	}
	axes, err := ax.AsInt64s()
	if err != nil {
		return err
	}
	spatial := len(x.Shape) == 4 && len(axes) == 2 && (axes[0] == 1 && axes[1] == 2 || axes[0] == 2 && axes[1] == 1)
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	var id int
	if spatial {
		id, err = im.emit(graph.OpGlobalAvgPool, nil, []int{in[0]}, decl)
	} else if x.Quant == nil {
		r := len(x.Shape)
		var as []int
		for _, a := range axes {
			if a < 0 {
				a += int64(r)
			}
			if a < 0 || a >= int64(r) {
				return fmt.Errorf("axis %d for rank %d: %w", a, r, ErrInvalid)
			}
			as = append(as, int(a))
		}
		keep := false
		if o, ok := op.Options.(fb.ReducerOptions); ok {
			keep = o.KeepDims
		}
		id, err = im.emit(graph.OpReduceMean, &graph.ReduceParams{Axes: sortedUnique(as), KeepDims: keep}, []int{in[0]}, decl)
	} else {
		return fmt.Errorf("quantized MEAN over axes %v: %w", axes, ErrUnsupported)
	}
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func sortedUnique(a []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, v := range a {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// softmax runs in float: quantized inputs are dequantized and the result
// quantized again (TFLite's int8 kernel uses lookup tables; the top class
// is what matters at the end of a classifier).
func (im *importer) softmax(op *fb.Operator) error {
	in, err := im.inputs(op, 1)
	if err != nil {
		return err
	}
	if o, ok := op.Options.(fb.SoftmaxOptions); ok && o.Beta != 1 {
		return fmt.Errorf("beta %g: %w", o.Beta, ErrUnsupported)
	}
	x := im.g.Tensors[in[0]]
	xid := in[0]
	if x.Quant != nil {
		if xid, err = im.emit(graph.OpDequantize, nil, []int{xid}, graph.Tensor{DType: tensor.Float32}); err != nil {
			return err
		}
	}
	r := len(x.Shape)
	id, err := im.emit(graph.OpSoftmax, &graph.SoftmaxParams{Axis: r - 1}, []int{xid}, graph.Tensor{})
	if err != nil {
		return err
	}
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	if decl.Quant != nil {
		if id, err = im.emit(graph.OpQuantize, nil, []int{id}, decl); err != nil {
			return err
		}
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) unary(code fb.BuiltinOperator, op *fb.Operator) error {
	in, err := im.inputs(op, 1)
	if err != nil {
		return err
	}
	a := map[fb.BuiltinOperator]kernels.Act{
		fb.OpLogistic:  {Kind: kernels.ActSigmoid},
		fb.OpHardSwish: {Kind: kernels.ActHardSwish},
		fb.OpRelu:      {Kind: kernels.ActRelu},
		fb.OpRelu6:     {Kind: kernels.ActClip, Min: 0, Max: 6},
	}[code]
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	id, err := im.emit(graph.OpUnary, &graph.UnaryParams{Act: a}, []int{in[0]}, decl)
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

// reshape covers RESHAPE and SQUEEZE: the declared output shape is the
// truth (a -1 in new_shape was resolved by the converter).
func (im *importer) reshape(op *fb.Operator) error {
	in, err := im.inputs(op, 1)
	if err != nil {
		return err
	}
	x := im.g.Tensors[in[0]]
	t, err := im.tensorAt(op.Outputs[0])
	if err != nil {
		return err
	}
	shape := dims(t.Shape)
	if tensor.NumElems(shape) != tensor.NumElems(x.Shape) {
		return fmt.Errorf("cannot reshape %v to %v: %w", x.Shape, shape, ErrInvalid)
	}
	id, err := im.emit(graph.OpReshape, nil, []int{in[0]}, graph.Tensor{DType: x.DType, Shape: shape, Quant: x.Quant})
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) pad(op *fb.Operator) error {
	in, err := im.inputs(op, 2)
	if err != nil {
		return err
	}
	x := im.g.Tensors[in[0]]
	pc := im.g.Tensors[in[1]].Const
	if pc == nil {
		return fmt.Errorf("paddings must be constant: %w", ErrUnsupported)
	}
	pads, err := pc.AsInt64s()
	if err != nil || len(pads) != 2*len(x.Shape) {
		return fmt.Errorf("paddings %v for rank %d: %w", pc.Shape, len(x.Shape), ErrInvalid)
	}
	p := &graph.PadParams{Begin: make([]int, len(x.Shape)), End: make([]int, len(x.Shape))}
	for i := range x.Shape {
		p.Begin[i], p.End[i] = int(pads[2*i]), int(pads[2*i+1])
		if p.Begin[i] < 0 || p.End[i] < 0 {
			return fmt.Errorf("negative padding %v: %w", pads, ErrInvalid)
		}
	}
	if x.Quant != nil {
		p.Value = float64(x.Quant.ZeroPoint[0]) // pads with real zero
	}
	id, err := im.emit(graph.OpPad, p, []int{in[0]}, graph.Tensor{DType: x.DType, Quant: x.Quant})
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) concat(op *fb.Operator) error {
	in, err := im.inputs(op, 1)
	if err != nil {
		return err
	}
	o, _ := op.Options.(fb.ConcatenationOptions)
	if o.FusedActivation != fb.ActNone {
		return fmt.Errorf("fused activation on concatenation: %w", ErrUnsupported)
	}
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	r := len(im.g.Tensors[in[0]].Shape)
	axis := int(o.Axis)
	if axis < 0 {
		axis += r
	}
	ids := append([]int(nil), in...)
	for i, id := range ids {
		t := im.g.Tensors[id]
		if decl.Quant != nil && !t.Quant.Equal(decl.Quant) {
			if ids[i], err = im.emit(graph.OpQuantize, nil, []int{id}, graph.Tensor{DType: tensor.Int8, Quant: decl.Quant}); err != nil {
				return err
			}
		}
	}
	id, err := im.emit(graph.OpConcat, &graph.ConcatParams{Axis: axis}, ids, decl)
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) transpose(op *fb.Operator) error {
	in, err := im.inputs(op, 2)
	if err != nil {
		return err
	}
	pc := im.g.Tensors[in[1]].Const
	if pc == nil {
		return fmt.Errorf("perm must be constant: %w", ErrUnsupported)
	}
	perm64, err := pc.AsInt64s()
	if err != nil {
		return err
	}
	perm := make([]int, len(perm64))
	for i, v := range perm64 {
		perm[i] = int(v)
	}
	x := im.g.Tensors[in[0]]
	id, err := im.emit(graph.OpTranspose, &graph.TransposeParams{Perm: perm}, []int{in[0]}, graph.Tensor{DType: x.DType, Quant: x.Quant})
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

func (im *importer) quantize(code fb.BuiltinOperator, op *fb.Operator) error {
	in, err := im.inputs(op, 1)
	if err != nil {
		return err
	}
	decl, err := im.outDecl(op.Outputs[0])
	if err != nil {
		return err
	}
	k := graph.OpQuantize
	if code == fb.OpDequantize {
		k = graph.OpDequantize
		if decl.DType != tensor.Float32 {
			return fmt.Errorf("DEQUANTIZE to %v: %w", decl.DType, ErrUnsupported)
		}
	}
	id, err := im.emit(k, nil, []int{in[0]}, decl)
	if err != nil {
		return err
	}
	return im.finish(op.Outputs[0], id)
}

// padHW is the implicit padding (before and after, along H and W) of a
// kh×kw window over the NHWC shape x under pad.
func padHW(pad fb.Padding, x []int, kh, kw, sh, sw, dh, dw int) (begin, end []int, err error) {
	if pad != fb.PaddingSame && pad != fb.PaddingValid {
		return nil, nil, fmt.Errorf("padding %v: want SAME or VALID: %w", pad, ErrInvalid)
	}
	pt, pb, _, okH := pad.Window(x[1], kh, sh, dh)
	pl, pr, _, okW := pad.Window(x[2], kw, sw, dw)
	if !okH || !okW {
		return nil, nil, fmt.Errorf("%v window %dx%d (strides %d,%d, dilations %d,%d) does not fit input %v: %w",
			pad, kh, kw, sh, sw, dh, dw, x, ErrInvalid)
	}
	return []int{pt, pl}, []int{pb, pr}, nil
}
