package toonnx

import (
	"fmt"
	"slices"

	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
)

func (c *converter) convert(code fb.BuiltinOperator, op *fb.Operator) error {
	for _, ti := range slices.Concat(op.Inputs, op.Outputs) {
		if ti < -1 || int(ti) >= len(c.vals) {
			return fmt.Errorf("tensor index %d out of range: %w", ti, ErrInvalid)
		}
	}
	switch code {
	case fb.OpConv2D, fb.OpDepthwiseConv2D:
		return c.conv(code, op)
	case fb.OpAveragePool2D, fb.OpMaxPool2D:
		return c.pool(code, op)
	case fb.OpFullyConnected:
		return c.fullyConnected(op)
	case fb.OpReshape, fb.OpSqueeze:
		return c.reshape(op)
	case fb.OpSoftmax:
		return c.softmax(op)
	case fb.OpAdd, fb.OpSub, fb.OpMul, fb.OpDiv:
		return c.binary(code, op)
	case fb.OpRelu, fb.OpRelu6, fb.OpLogistic, fb.OpHardSwish:
		return c.unary(code, op)
	case fb.OpMean:
		return c.mean(op)
	case fb.OpPad, fb.OpPadV2:
		return c.pad(code, op)
	case fb.OpConcatenation:
		return c.concat(op)
	case fb.OpTranspose:
		return c.transpose(op)
	case fb.OpQuantize, fb.OpDequantize:
		return fmt.Errorf("a quantize/dequantize operator: %w", ErrQuantized)
	}
	return fmt.Errorf("operator %v: %w", code, ErrUnsupported)
}

// window is pad.Window with this package's errors.
func window(pad fb.Padding, in, k, s, d int) (begin, end, out int, err error) {
	if pad != fb.PaddingSame && pad != fb.PaddingValid {
		return 0, 0, 0, fmt.Errorf("padding %v: %w", pad, ErrUnsupported)
	}
	begin, end, out, ok := pad.Window(in, k, s, d)
	if !ok || begin+end > maxElems {
		return 0, 0, 0, fmt.Errorf("window %d (stride %d, dilation %d) does not fit %d: %w", k, s, d, in, ErrInvalid)
	}
	return begin, end, out, nil
}

func (c *converter) checkShape(ti int32, want []int) error {
	if !slices.Equal(c.vals[ti].shape, want) {
		return fmt.Errorf("output %q has shape %v, the operator computes %v: %w", c.sg.Tensors[ti].Name, c.vals[ti].shape, want, ErrInvalid)
	}
	return nil
}

func (c *converter) conv(code fb.BuiltinOperator, op *fb.Operator) error {
	if err := inputs(op, 2); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	var pad fb.Padding
	var sh, sw, dh, dw int
	var fa fb.Activation
	switch o := op.Options.(type) {
	case fb.Conv2DOptions:
		pad, sh, sw, dh, dw, fa = o.Padding, int(o.StrideH), int(o.StrideW), int(o.DilationH), int(o.DilationW), o.FusedActivation
	case fb.DepthwiseConv2DOptions:
		pad, sh, sw, dh, dw, fa = o.Padding, int(o.StrideH), int(o.StrideW), int(o.DilationH), int(o.DilationW), o.FusedActivation
	default:
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	if sh < 1 || sw < 1 || dh < 1 || dw < 1 {
		return fmt.Errorf("strides %d,%d dilations %d,%d: %w", sh, sw, dh, dw, ErrInvalid)
	}
	if err := checkAct(fa); err != nil {
		return err
	}
	xs := c.vals[op.Inputs[0]].shape
	w, ws, err := c.floats(op.Inputs[1])
	if err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	if len(xs) != 4 || len(ws) != 4 {
		return fmt.Errorf("input %v and filter %v: want 4-D NHWC: %w", xs, ws, ErrInvalid)
	}
	ch := xs[3]
	var onnxW []float32
	var onnxWS []int
	var groups, oc int
	if code == fb.OpConv2D {
		// [O, KH, KW, I] → [O, I, KH, KW]; I < C means grouped.
		oc = ws[0]
		if ch < 1 || ws[3] < 1 || ch%ws[3] != 0 || oc%(ch/ws[3]) != 0 {
			return fmt.Errorf("filter %v for %d input channels: %w", ws, ch, ErrInvalid)
		}
		groups = ch / ws[3]
		onnxW, onnxWS = permute(w, ws, []int{0, 3, 1, 2})
	} else {
		// [1, KH, KW, C·M] → [C·M, 1, KH, KW], group C.
		oc = ws[3]
		if ws[0] != 1 || ch < 1 || oc%ch != 0 {
			return fmt.Errorf("depthwise filter %v for %d channels: %w", ws, ch, ErrInvalid)
		}
		groups = ch
		onnxW, onnxWS = permute(w, ws, []int{3, 0, 1, 2})
	}
	kh, kw := ws[1], ws[2]
	pt, pb, oh, err := window(pad, xs[1], kh, sh, dh)
	if err != nil {
		return err
	}
	pl, pr, ow, err := window(pad, xs[2], kw, sw, dw)
	if err != nil {
		return err
	}
	if err := c.checkShape(out, []int{xs[0], oh, ow, oc}); err != nil {
		return err
	}
	x, err := c.nchwOf(op.Inputs[0])
	if err != nil {
		return err
	}
	ins := []string{x, c.initF32(c.sg.Tensors[op.Inputs[1]].Name+"/oihw", onnxWS, onnxW)}
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		b, bs, err := c.floats(op.Inputs[2])
		if err != nil {
			return fmt.Errorf("bias: %w", err)
		}
		if len(b) != oc {
			return fmt.Errorf("bias %v for %d output channels: %w", bs, oc, ErrInvalid)
		}
		ins = append(ins, c.initF32(c.sg.Tensors[op.Inputs[2]].Name, []int{oc}, b))
	}
	name := c.outName(out, true)
	pre := c.preAct(fa, name)
	c.node("Conv", ins, []string{pre}, ints("kernel_shape", kh, kw), ints("strides", sh, sw),
		ints("dilations", dh, dw), ints("pads", pt, pl, pb, pr), intAttr("group", groups))
	c.emitAct(fa, pre, name)
	c.setOut(out, name, true)
	return nil
}

func (c *converter) pool(code fb.BuiltinOperator, op *fb.Operator) error {
	if err := inputs(op, 1); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	o, ok := op.Options.(fb.Pool2DOptions)
	if !ok {
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	if err := checkAct(o.FusedActivation); err != nil {
		return err
	}
	xs := c.vals[op.Inputs[0]].shape
	if len(xs) != 4 {
		return fmt.Errorf("input %v: want NHWC: %w", xs, ErrInvalid)
	}
	kh, kw, sh, sw := int(o.FilterHeight), int(o.FilterWidth), int(o.StrideH), int(o.StrideW)
	if kh < 1 || kw < 1 || sh < 1 || sw < 1 {
		return fmt.Errorf("filter %dx%d stride %d,%d: %w", kh, kw, sh, sw, ErrInvalid)
	}
	pt, pb, oh, err := window(o.Padding, xs[1], kh, sh, 1)
	if err != nil {
		return err
	}
	pl, pr, ow, err := window(o.Padding, xs[2], kw, sw, 1)
	if err != nil {
		return err
	}
	if err := c.checkShape(out, []int{xs[0], oh, ow, xs[3]}); err != nil {
		return err
	}
	x, err := c.nchwOf(op.Inputs[0])
	if err != nil {
		return err
	}
	name := c.outName(out, true)
	pre := c.preAct(o.FusedActivation, name)
	switch {
	case code == fb.OpAveragePool2D && kh == xs[1] && kw == xs[2] && pt+pl+pb+pr == 0:
		// A window over the whole image, as Keras classifiers end: the
		// global pool (which the int8 runtimes quantize).
		c.node("GlobalAveragePool", []string{x}, []string{pre})
	case code == fb.OpAveragePool2D: // count_include_pad 0, as TFLite
		c.node("AveragePool", []string{x}, []string{pre}, ints("kernel_shape", kh, kw), ints("strides", sh, sw), ints("pads", pt, pl, pb, pr))
	default:
		c.node("MaxPool", []string{x}, []string{pre}, ints("kernel_shape", kh, kw), ints("strides", sh, sw), ints("pads", pt, pl, pb, pr))
	}
	c.emitAct(o.FusedActivation, pre, name)
	c.setOut(out, name, true)
	return nil
}

func (c *converter) fullyConnected(op *fb.Operator) error {
	if err := inputs(op, 2); err != nil {
		return err
	}
	out, err := c.output(op)
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
	if err := checkAct(o.FusedActivation); err != nil {
		return err
	}
	w, ws, err := c.floats(op.Inputs[1])
	if err != nil {
		return fmt.Errorf("weights: %w", err)
	}
	if len(ws) != 2 || ws[1] < 1 {
		return fmt.Errorf("weights %v: want [N, K]: %w", ws, ErrInvalid)
	}
	n, k := ws[0], ws[1]
	xs := c.vals[op.Inputs[0]].shape
	total := 1
	for _, d := range xs {
		total *= d
	}
	if total%k != 0 {
		return fmt.Errorf("input %v does not fit weights %v: %w", xs, ws, ErrInvalid)
	}
	rows := total / k
	x, err := c.nhwcOf(op.Inputs[0])
	if err != nil {
		return err
	}
	if len(xs) != 2 || xs[1] != k {
		flat := c.unique(x + "/flat")
		c.node("Reshape", []string{x, c.initI64(flat+"/shape", []int64{int64(rows), int64(k)})}, []string{flat})
		x = flat
	}
	ins := []string{x, c.initF32(c.sg.Tensors[op.Inputs[1]].Name, ws, w)}
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		b, bs, err := c.floats(op.Inputs[2])
		if err != nil {
			return fmt.Errorf("bias: %w", err)
		}
		if len(b) != n {
			return fmt.Errorf("bias %v for %d outputs: %w", bs, n, ErrInvalid)
		}
		ins = append(ins, c.initF32(c.sg.Tensors[op.Inputs[2]].Name, []int{n}, b))
	}
	os := c.vals[out].shape
	if tensorLen(os) != rows*n {
		return fmt.Errorf("output %v for %d×%d results: %w", os, rows, n, ErrInvalid)
	}
	name := c.outName(out, false)
	res := name
	if !slices.Equal(os, []int{rows, n}) {
		res = c.unique(name + "/2d")
	}
	pre := c.preAct(o.FusedActivation, res)
	c.node("Gemm", ins, []string{pre}, intAttr("transB", 1))
	c.emitAct(o.FusedActivation, pre, res)
	if res != name {
		c.node("Reshape", []string{res, c.shapeConst(name, os)}, []string{name})
	}
	c.setOut(out, name, false)
	return nil
}

func tensorLen(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func (c *converter) shapeConst(base string, s []int) string {
	v := make([]int64, len(s))
	for i, d := range s {
		v[i] = int64(d)
	}
	return c.initI64(base+"/shape", v)
}

// reshape covers RESHAPE and SQUEEZE: the declared output shape is the
// truth (a −1 in new_shape was resolved by the TFLite converter). The input
// is read in NHWC order, so the elements keep TFLite's order.
func (c *converter) reshape(op *fb.Operator) error {
	if err := inputs(op, 1); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	xs, os := c.vals[op.Inputs[0]].shape, c.vals[out].shape
	if tensorLen(xs) != tensorLen(os) {
		return fmt.Errorf("cannot reshape %v to %v: %w", xs, os, ErrInvalid)
	}
	x, err := c.nhwcOf(op.Inputs[0])
	if err != nil {
		return err
	}
	name := c.outName(out, false)
	c.node("Reshape", []string{x, c.shapeConst(name, os)}, []string{name})
	c.setOut(out, name, false)
	return nil
}

func (c *converter) softmax(op *fb.Operator) error {
	if err := inputs(op, 1); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	beta := float32(1)
	if o, ok := op.Options.(fb.SoftmaxOptions); ok {
		beta = o.Beta
	}
	if err := c.checkShape(out, c.vals[op.Inputs[0]].shape); err != nil {
		return err
	}
	x, err := c.nhwcOf(op.Inputs[0])
	if err != nil {
		return err
	}
	name := c.outName(out, false)
	if beta != 1 {
		scaled := c.unique(name + "/beta")
		c.node("Mul", []string{x, c.scalarF32(beta)}, []string{scaled})
		x = scaled
	}
	c.node("Softmax", []string{x}, []string{name}, intAttr("axis", -1))
	c.setOut(out, name, false)
	return nil
}

// broadcast is the numpy broadcast of two shapes, or false.
func broadcast(a, b []int) ([]int, bool) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if k := i - (r - len(a)); k >= 0 {
			da = a[k]
		}
		if k := i - (r - len(b)); k >= 0 {
			db = b[k]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, false
		}
	}
	return out, true
}

// nchwOK reports whether the operands can all be read channels-first: the
// result is rank 4, every computed operand is rank 4 and already held
// channels-first, and constants have rank at most 4.
func (c *converter) nchwOK(ins []int32, outRank int) bool {
	if outRank != 4 {
		return false
	}
	computed := false
	for _, ti := range ins {
		v := c.vals[ti]
		if v.konst {
			if len(v.shape) > 4 {
				return false
			}
			continue
		}
		computed = true
		if len(v.shape) != 4 || v.nchw == "" {
			return false
		}
	}
	return computed
}

// operands returns the ONNX values of ins in the chosen layout.
func (c *converter) operands(ins []int32, nchw bool) ([]string, error) {
	names := make([]string, len(ins))
	for i, ti := range ins {
		var err error
		if nchw {
			names[i], err = c.nchwOf(ti)
		} else {
			names[i], err = c.nhwcOf(ti)
		}
		if err != nil {
			return nil, err
		}
	}
	return names, nil
}

func (c *converter) binary(code fb.BuiltinOperator, op *fb.Operator) error {
	if err := inputs(op, 2); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	var fa fb.Activation
	switch o := op.Options.(type) {
	case fb.AddOptions:
		fa = o.FusedActivation
	case fb.SubOptions:
		fa = o.FusedActivation
	case fb.MulOptions:
		fa = o.FusedActivation
	case fb.DivOptions:
		fa = o.FusedActivation
	case nil:
	default:
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	if err := checkAct(fa); err != nil {
		return err
	}
	ins := op.Inputs[:2]
	for _, ti := range ins {
		if t := &c.sg.Tensors[ti]; t.Type != fb.TypeFloat32 {
			return fmt.Errorf("operand %q is %s: %w", t.Name, t.Type, ErrUnsupported)
		}
	}
	bs, ok := broadcast(c.vals[ins[0]].shape, c.vals[ins[1]].shape)
	if !ok {
		return fmt.Errorf("shapes %v and %v do not broadcast: %w", c.vals[ins[0]].shape, c.vals[ins[1]].shape, ErrInvalid)
	}
	if err := c.checkShape(out, bs); err != nil {
		return err
	}
	nchw := c.nchwOK(ins, len(bs))
	names, err := c.operands(ins, nchw)
	if err != nil {
		return err
	}
	kind := map[fb.BuiltinOperator]string{fb.OpAdd: "Add", fb.OpSub: "Sub", fb.OpMul: "Mul", fb.OpDiv: "Div"}[code]
	name := c.outName(out, nchw)
	pre := c.preAct(fa, name)
	c.node(kind, names, []string{pre})
	c.emitAct(fa, pre, name)
	c.setOut(out, name, nchw)
	return nil
}

func (c *converter) unary(code fb.BuiltinOperator, op *fb.Operator) error {
	if err := inputs(op, 1); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	in := op.Inputs[0]
	if err := c.checkShape(out, c.vals[in].shape); err != nil {
		return err
	}
	nchw := c.vals[in].nchw != ""
	xs, err := c.operands([]int32{in}, nchw)
	if err != nil {
		return err
	}
	x := xs[0]
	name := c.outName(out, nchw)
	switch code {
	case fb.OpRelu:
		c.emitAct(fb.ActRelu, x, name)
	case fb.OpRelu6:
		c.emitAct(fb.ActRelu6, x, name)
	case fb.OpLogistic:
		c.node("Sigmoid", []string{x}, []string{name})
	case fb.OpHardSwish:
		// x·HardSigmoid(x) with alpha 1/6, beta 1/2 = x·relu6(x+3)/6
		// (HardSwish itself is opset 14).
		hs := c.unique(name + "/hardsigmoid")
		c.node("HardSigmoid", []string{x}, []string{hs}, floatAttr("alpha", 1.0/6), floatAttr("beta", 0.5))
		c.node("Mul", []string{x, hs}, []string{name})
	}
	c.setOut(out, name, nchw)
	return nil
}

// mean is MEAN: over the spatial axes of a rank-4 tensor it becomes
// GlobalAveragePool (quantizable), otherwise ReduceMean in NHWC order.
func (c *converter) mean(op *fb.Operator) error {
	if err := inputs(op, 2); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	keep := false
	if o, ok := op.Options.(fb.ReducerOptions); ok {
		keep = o.KeepDims
	}
	in := op.Inputs[0]
	xs := c.vals[in].shape
	ax, err := c.intConst(op.Inputs[1])
	if err != nil {
		return fmt.Errorf("axes: %w", err)
	}
	r := len(xs)
	var axes []int
	for _, a := range ax {
		if a < 0 {
			a += int64(r)
		}
		if a < 0 || a >= int64(r) {
			return fmt.Errorf("axis %d for rank %d: %w", a, r, ErrInvalid)
		}
		if !slices.Contains(axes, int(a)) {
			axes = append(axes, int(a))
		}
	}
	slices.Sort(axes)
	var want []int
	for i, d := range xs {
		switch {
		case !slices.Contains(axes, i):
			want = append(want, d)
		case keep:
			want = append(want, 1)
		}
	}
	if err := c.checkShape(out, want); err != nil {
		return err
	}
	if r == 4 && slices.Equal(axes, []int{1, 2}) {
		x, err := c.nchwOf(in)
		if err != nil {
			return err
		}
		if keep {
			name := c.outName(out, true)
			c.node("GlobalAveragePool", []string{x}, []string{name})
			c.setOut(out, name, true)
			return nil
		}
		name := c.outName(out, false)
		pooled := c.unique(name + "/pooled")
		c.node("GlobalAveragePool", []string{x}, []string{pooled})
		c.node("Reshape", []string{pooled, c.shapeConst(name, want)}, []string{name})
		c.setOut(out, name, false)
		return nil
	}
	x, err := c.nhwcOf(in)
	if err != nil {
		return err
	}
	name := c.outName(out, false)
	k := 0
	if keep {
		k = 1
	}
	c.node("ReduceMean", []string{x}, []string{name}, ints("axes", axes...), intAttr("keepdims", k))
	c.setOut(out, name, false)
	return nil
}

func (c *converter) pad(code fb.BuiltinOperator, op *fb.Operator) error {
	if err := inputs(op, 2); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	in := op.Inputs[0]
	xs := c.vals[in].shape
	r := len(xs)
	p, err := c.intConst(op.Inputs[1])
	if err != nil {
		return fmt.Errorf("paddings: %w", err)
	}
	if len(p) != 2*r {
		return fmt.Errorf("%d paddings for rank %d: %w", len(p), r, ErrInvalid)
	}
	want := make([]int, r)
	for i := range r {
		if p[2*i] < 0 || p[2*i+1] < 0 || p[2*i]+p[2*i+1] > maxElems {
			return fmt.Errorf("paddings %v: %w", p, ErrUnsupported)
		}
		want[i] = xs[i] + int(p[2*i]+p[2*i+1])
	}
	if err := c.checkShape(out, want); err != nil {
		return err
	}
	value := ""
	if code == fb.OpPadV2 && len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		v, _, err := c.floats(op.Inputs[2])
		if err != nil {
			return fmt.Errorf("constant value: %w", err)
		}
		if len(v) != 1 {
			return fmt.Errorf("constant value has %d elements: %w", len(v), ErrInvalid)
		}
		value = c.scalarF32(v[0])
	}
	nchw := r == 4 && c.vals[in].nchw != ""
	xn, err := c.operands([]int32{in}, nchw)
	if err != nil {
		return err
	}
	pads := make([]int64, 2*r)
	for i := range r {
		a := i // the TFLite axis at ONNX position i
		if nchw {
			a = toNCHW[i]
		}
		pads[i], pads[r+i] = p[2*a], p[2*a+1]
	}
	name := c.outName(out, nchw)
	ins := []string{xn[0], c.initI64(name+"/pads", pads)}
	if value != "" {
		ins = append(ins, value)
	}
	c.node("Pad", ins, []string{name})
	c.setOut(out, name, nchw)
	return nil
}

func (c *converter) concat(op *fb.Operator) error {
	if err := inputs(op, 1); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	o, ok := op.Options.(fb.ConcatenationOptions)
	if !ok {
		return fmt.Errorf("options %T: %w", op.Options, ErrInvalid)
	}
	if err := checkAct(o.FusedActivation); err != nil {
		return err
	}
	ins := op.Inputs
	r := len(c.vals[ins[0]].shape)
	axis := int(o.Axis)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return fmt.Errorf("axis %d for rank %d: %w", o.Axis, r, ErrInvalid)
	}
	want := slices.Clone(c.vals[ins[0]].shape)
	want[axis] = 0
	for _, ti := range ins {
		if ti < 0 || int(ti) >= len(c.vals) {
			return fmt.Errorf("input index %d: %w", ti, ErrInvalid)
		}
		s := c.vals[ti].shape
		if len(s) != r || c.sg.Tensors[ti].Type != fb.TypeFloat32 {
			return fmt.Errorf("inputs %v and %v (%s) do not concatenate: %w", c.vals[ins[0]].shape, s, c.sg.Tensors[ti].Type, ErrInvalid)
		}
		for i := range r {
			if i != axis && s[i] != want[i] {
				return fmt.Errorf("inputs %v and %v do not concatenate on axis %d: %w", c.vals[ins[0]].shape, s, axis, ErrInvalid)
			}
		}
		want[axis] += s[axis]
	}
	if err := c.checkShape(out, want); err != nil {
		return err
	}
	nchw := c.nchwOK(ins, r)
	for _, ti := range ins {
		if c.vals[ti].konst && len(c.vals[ti].shape) != 4 {
			nchw = false
		}
	}
	names, err := c.operands(ins, nchw)
	if err != nil {
		return err
	}
	if nchw {
		axis = nchwPos[axis]
	}
	name := c.outName(out, nchw)
	pre := c.preAct(o.FusedActivation, name)
	c.node("Concat", names, []string{pre}, intAttr("axis", axis))
	c.emitAct(o.FusedActivation, pre, name)
	c.setOut(out, name, nchw)
	return nil
}

func (c *converter) transpose(op *fb.Operator) error {
	if err := inputs(op, 2); err != nil {
		return err
	}
	out, err := c.output(op)
	if err != nil {
		return err
	}
	xs := c.vals[op.Inputs[0]].shape
	p, err := c.intConst(op.Inputs[1])
	if err != nil {
		return fmt.Errorf("perm: %w", err)
	}
	perm := make([]int, len(p))
	seen := make([]bool, len(p))
	for i, a := range p {
		if len(p) != len(xs) || a < 0 || a >= int64(len(xs)) || seen[a] {
			return fmt.Errorf("perm %v for rank %d: %w", p, len(xs), ErrInvalid)
		}
		seen[a] = true
		perm[i] = int(a)
	}
	want := make([]int, len(xs))
	for i, a := range perm {
		want[i] = xs[a]
	}
	if err := c.checkShape(out, want); err != nil {
		return err
	}
	x, err := c.nhwcOf(op.Inputs[0])
	if err != nil {
		return err
	}
	name := c.outName(out, false)
	c.node("Transpose", []string{x}, []string{name}, ints("perm", perm...))
	c.setOut(out, name, false)
	return nil
}
