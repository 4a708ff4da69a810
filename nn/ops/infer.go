package ops

import (
	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Infer checks node n's inputs and sets the dtype and shape of its outputs
// in g (or checks them where an importer declared them already: Reshape,
// Resize and Cast outputs must be declared).
func Infer(g *graph.Graph, n *graph.Node) error {
	switch n.Op {
	case graph.OpConv:
		return inferConv(g, n)
	case graph.OpBatchNorm, graph.OpBatchNormTrain:
		if err := needInputs(g, n, 5, 5); err != nil {
			return err
		}
		x := in(g, n, 0)
		if err := needF32(n, x); err != nil {
			return err
		}
		if len(x.Shape) < 2 {
			return nodeErr(n, "input %q has rank %d, want >= 2: %w", x.Name, len(x.Shape), ErrShape)
		}
		c := x.Shape[len(x.Shape)-1]
		for i := 1; i < 5; i++ {
			p := in(g, n, i)
			if p.DType != tensor.Float32 || tensor.NumElems(p.Shape) != c {
				return nodeErr(n, "parameter %q is %v%v, want float32[%d]: %w", p.Name, p.DType, p.Shape, c, ErrShape)
			}
			if n.Op == graph.OpBatchNorm && p.Const == nil {
				return nodeErr(n, "parameter %q must be constant: %w", p.Name, ErrUnsupported)
			}
		}
		if err := setOut(g, n, 0, tensor.Float32, x.Shape); err != nil {
			return err
		}
		if n.Op == graph.OpBatchNormTrain {
			if err := setOut(g, n, 1, tensor.Float32, []int{c}); err != nil {
				return err
			}
			return setOut(g, n, 2, tensor.Float32, []int{c})
		}
		return nil
	case graph.OpUnary:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		p := n.Params.(*graph.UnaryParams)
		if x.Quant != nil {
			if err := quantIn(n, x); err != nil {
				return err
			}
			return quantOut(g, n, 0, x.Shape)
		}
		if x.DType != tensor.Float32 {
			switch {
			case x.DType == tensor.Bool:
				return nodeErr(n, "activation %v on bool input: %w", p.Act, ErrUnsupported)
			case p.Act.Kind != kernels.ActNone && p.Act.Kind != kernels.ActRelu && p.Act.Kind != kernels.ActClip:
				return nodeErr(n, "activation %v on %v input: %w", p.Act, x.DType, ErrUnsupported)
			}
		}
		return setOut(g, n, 0, x.DType, x.Shape)
	case graph.OpBinary:
		if err := needInputs(g, n, 2, 2); err != nil {
			return err
		}
		a, b := in(g, n, 0), in(g, n, 1)
		if a.DType != b.DType {
			return nodeErr(n, "operands %q and %q are %v and %v: %w", a.Name, b.Name, a.DType, b.DType, ErrShape)
		}
		if a.DType == tensor.Bool {
			return nodeErr(n, "arithmetic on bool: %w", ErrUnsupported)
		}
		ys, err := kernels.BroadcastShape(a.Shape, b.Shape)
		if err != nil {
			return nodeErr(n, "cannot broadcast %v and %v: %w", a.Shape, b.Shape, ErrShape)
		}
		if (a.Quant != nil) != (b.Quant != nil) {
			return nodeErr(n, "one operand is quantized, the other not: %w", ErrUnsupported)
		}
		if a.Quant != nil {
			if err := quantIn(n, a); err != nil {
				return err
			}
			if err := quantIn(n, b); err != nil {
				return err
			}
			if op := n.Params.(*graph.BinaryParams).Op; op != kernels.OpAdd && op != kernels.OpMul {
				return nodeErr(n, "quantized %v: %w", op, ErrUnsupported)
			}
			return quantOut(g, n, 0, ys)
		}
		return setOut(g, n, 0, a.DType, ys)
	case graph.OpDense:
		if err := needInputs(g, n, 2, 3); err != nil {
			return err
		}
		x, w := in(g, n, 0), in(g, n, 1)
		q := x.Quant != nil
		wt, bt := tensor.Float32, tensor.Float32
		if q {
			if err := quantIn(n, x); err != nil {
				return err
			}
			wt, bt = tensor.Int8, tensor.Int32
			if w.Quant == nil {
				return nodeErr(n, "weights %q need quantization parameters: %w", w.Name, ErrUnsupported)
			}
			if !w.Quant.PerTensor() && w.Quant.Axis != 1 {
				return nodeErr(n, "weights %q are quantized along axis %d, want 1 (outputs): %w", w.Name, w.Quant.Axis, ErrUnsupported)
			}
		} else if err := needF32(n, x); err != nil {
			return err
		}
		if len(w.Shape) != 2 || w.DType != wt || len(x.Shape) < 1 || x.Shape[len(x.Shape)-1] != w.Shape[0] {
			return nodeErr(n, "x %v and weights %v%v do not fit: %w", x.Shape, w.DType, w.Shape, ErrShape)
		}
		if q {
			if err := checkQuant(n, w, w.Shape); err != nil {
				return err
			}
		}
		if b := in(g, n, 2); b != nil && (b.DType != bt || tensor.NumElems(b.Shape) != w.Shape[1]) {
			return nodeErr(n, "bias %q is %v%v, want %v[%d]: %w", b.Name, b.DType, b.Shape, bt, w.Shape[1], ErrShape)
		}
		ys := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), w.Shape[1])
		if q {
			return quantOut(g, n, 0, ys)
		}
		return setOut(g, n, 0, tensor.Float32, ys)
	case graph.OpMatMul:
		if err := needInputs(g, n, 2, 2); err != nil {
			return err
		}
		a, b := in(g, n, 0), in(g, n, 1)
		q := a.Quant != nil
		if q {
			if err := quantIn(n, a); err != nil {
				return err
			}
			if b.DType != tensor.Int8 || b.Quant == nil {
				return nodeErr(n, "operand %q is not quantized int8: %w", b.Name, ErrUnsupported)
			}
			if err := checkQuant(n, b, b.Shape); err != nil {
				return err
			}
			if !b.Quant.PerTensor() && b.Quant.Axis != len(b.Shape)-1 {
				return nodeErr(n, "operand %q quantized along axis %d, want the last: %w", b.Name, b.Quant.Axis, ErrUnsupported)
			}
		} else {
			if err := needF32(n, a); err != nil {
				return err
			}
			if err := needF32(n, b); err != nil {
				return err
			}
		}
		mm, err := planMatMul(a.Shape, b.Shape)
		if err != nil {
			return nodeErr(n, "%v: %w", err, ErrShape)
		}
		if q {
			return quantOut(g, n, 0, mm.yshape)
		}
		return setOut(g, n, 0, tensor.Float32, mm.yshape)
	case graph.OpPool:
		return inferPool(g, n)
	case graph.OpGlobalAvgPool:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		if x.Quant != nil {
			if err := quantIn(n, x); err != nil {
				return err
			}
		} else if err := needF32(n, x); err != nil {
			return err
		}
		if len(x.Shape) < 3 {
			return nodeErr(n, "input rank %d, want >= 3: %w", len(x.Shape), ErrShape)
		}
		ys := make([]int, len(x.Shape))
		for i := range ys {
			ys[i] = 1
		}
		ys[0], ys[len(ys)-1] = x.Shape[0], x.Shape[len(x.Shape)-1]
		if x.Quant != nil {
			return quantOut(g, n, 0, ys)
		}
		return setOut(g, n, 0, tensor.Float32, ys)
	case graph.OpSoftmax:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		if err := needF32(n, x); err != nil {
			return err
		}
		p := n.Params.(*graph.SoftmaxParams)
		if p.Axis < 0 || p.Axis >= len(x.Shape) {
			return nodeErr(n, "axis %d out of range for rank %d: %w", p.Axis, len(x.Shape), ErrShape)
		}
		return setOut(g, n, 0, tensor.Float32, x.Shape)
	case graph.OpTranspose:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		p := n.Params.(*graph.TransposeParams)
		if !isPerm(p.Perm, len(x.Shape)) {
			return nodeErr(n, "perm %v is not a permutation of rank %d: %w", p.Perm, len(x.Shape), ErrShape)
		}
		ys := make([]int, len(x.Shape))
		for i, a := range p.Perm {
			ys[i] = x.Shape[a]
		}
		return setOut(g, n, 0, x.DType, ys)
	case graph.OpReshape:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x, o := in(g, n, 0), out(g, n, 0)
		if o.DType != x.DType || tensor.NumElems(o.Shape) != tensor.NumElems(x.Shape) {
			return nodeErr(n, "cannot reshape %v%v to %v%v: %w", x.DType, x.Shape, o.DType, o.Shape, ErrShape)
		}
		return nil
	case graph.OpConcat:
		if len(n.Inputs) < 1 {
			return nodeErr(n, "no inputs")
		}
		p := n.Params.(*graph.ConcatParams)
		first := in(g, n, 0)
		if first == nil {
			return nodeErr(n, "input 0 is missing")
		}
		if p.Axis < 0 || p.Axis >= len(first.Shape) {
			return nodeErr(n, "axis %d out of range for rank %d: %w", p.Axis, len(first.Shape), ErrShape)
		}
		ys := append([]int(nil), first.Shape...)
		ys[p.Axis] = 0
		for i := range n.Inputs {
			t := in(g, n, i)
			if t == nil {
				return nodeErr(n, "input %d is missing", i)
			}
			if t.DType != first.DType || len(t.Shape) != len(first.Shape) {
				return nodeErr(n, "input %q is %v%v, input %q is %v%v: %w", first.Name, first.DType, first.Shape, t.Name, t.DType, t.Shape, ErrShape)
			}
			for a := range t.Shape {
				if a != p.Axis && t.Shape[a] != first.Shape[a] {
					return nodeErr(n, "input %q shape %v differs from %v off axis %d: %w", t.Name, t.Shape, first.Shape, p.Axis, ErrShape)
				}
			}
			ys[p.Axis] += t.Shape[p.Axis]
		}
		return setOut(g, n, 0, first.DType, ys)
	case graph.OpPad:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		p := n.Params.(*graph.PadParams)
		if len(p.Begin) != len(x.Shape) || len(p.End) != len(x.Shape) {
			return nodeErr(n, "pads %v/%v for rank %d: %w", p.Begin, p.End, len(x.Shape), ErrShape)
		}
		ys := make([]int, len(x.Shape))
		for i := range ys {
			ys[i] = x.Shape[i] + p.Begin[i] + p.End[i]
			if ys[i] < 0 {
				return nodeErr(n, "pads %v/%v crop more than shape %v: %w", p.Begin, p.End, x.Shape, ErrShape)
			}
			if p.Mode != kernels.PadConstant && x.Shape[i] == 0 && ys[i] > 0 {
				return nodeErr(n, "cannot %v-pad an empty axis: %w", p.Mode, ErrShape)
			}
		}
		if p.Mode == kernels.PadReflect {
			for i := range ys {
				if p.Begin[i] >= x.Shape[i] && p.Begin[i] > 0 || p.End[i] >= x.Shape[i] && p.End[i] > 0 {
					return nodeErr(n, "reflect pad %v/%v too large for shape %v: %w", p.Begin, p.End, x.Shape, ErrUnsupported)
				}
			}
		}
		return setOut(g, n, 0, x.DType, ys)
	case graph.OpReduceMean:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		if err := needF32(n, x); err != nil {
			return err
		}
		p := n.Params.(*graph.ReduceParams)
		red := make([]bool, len(x.Shape))
		for i, a := range p.Axes {
			if a < 0 || a >= len(x.Shape) || red[a] || i > 0 && a < p.Axes[i-1] {
				return nodeErr(n, "axes %v invalid for rank %d: %w", p.Axes, len(x.Shape), ErrShape)
			}
			red[a] = true
		}
		var ys []int
		for i, d := range x.Shape {
			switch {
			case !red[i]:
				ys = append(ys, d)
			case p.KeepDims:
				ys = append(ys, 1)
			}
		}
		return setOut(g, n, 0, tensor.Float32, ys)
	case graph.OpGather:
		if err := needInputs(g, n, 2, 2); err != nil {
			return err
		}
		x, idx := in(g, n, 0), in(g, n, 1)
		p := n.Params.(*graph.GatherParams)
		if p.Axis < 0 || p.Axis >= len(x.Shape) {
			return nodeErr(n, "axis %d out of range for rank %d: %w", p.Axis, len(x.Shape), ErrShape)
		}
		if idx.DType != tensor.Int64 {
			return nodeErr(n, "indices %q are %v, want int64: %w", idx.Name, idx.DType, ErrUnsupported)
		}
		if idx.Const != nil {
			vals, _ := idx.Const.AsInt64s()
			for _, v := range vals {
				if v < -int64(x.Shape[p.Axis]) || v >= int64(x.Shape[p.Axis]) {
					return nodeErr(n, "index %d out of range for axis of size %d: %w", v, x.Shape[p.Axis], ErrShape)
				}
			}
		}
		ys := append(append(append([]int(nil), x.Shape[:p.Axis]...), idx.Shape...), x.Shape[p.Axis+1:]...)
		return setOut(g, n, 0, x.DType, ys)
	case graph.OpResize:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x, o := in(g, n, 0), out(g, n, 0)
		if err := needF32(n, x); err != nil {
			return err
		}
		if o.DType != tensor.Float32 || len(o.Shape) != len(x.Shape) {
			return nodeErr(n, "output must be declared float32 of rank %d, is %v%v: %w", len(x.Shape), o.DType, o.Shape, ErrShape)
		}
		p := n.Params.(*graph.ResizeParams)
		if len(p.Scales) != len(x.Shape) || p.Roi != nil && len(p.Roi) != 2*len(x.Shape) {
			return nodeErr(n, "scales %v / roi %v do not fit rank %d: %w", p.Scales, p.Roi, len(x.Shape), ErrShape)
		}
		return nil
	case graph.OpCast:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x, o := in(g, n, 0), out(g, n, 0)
		if o.DType == tensor.Invalid {
			return nodeErr(n, "output dtype must be declared")
		}
		return setOut(g, n, 0, o.DType, x.Shape)
	case graph.OpIdentity:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		if err := setOut(g, n, 0, x.DType, x.Shape); err != nil {
			return err
		}
		return setOut(g, n, 1, tensor.Bool, x.Shape)
	case graph.OpQuantize:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x, o := in(g, n, 0), out(g, n, 0)
		if x.DType != tensor.Float32 && !IsQuantized(x) {
			return nodeErr(n, "input %q is %v without quantization parameters: %w", x.Name, x.DType, ErrUnsupported)
		}
		if !IsQuantized(o) {
			return nodeErr(n, "output %q must be declared int8 or uint8 with quantization parameters", o.Name)
		}
		if err := checkQuant(n, o, x.Shape); err != nil {
			return err
		}
		return setOut(g, n, 0, o.DType, x.Shape)
	case graph.OpDequantize:
		if err := needInputs(g, n, 1, 1); err != nil {
			return err
		}
		x := in(g, n, 0)
		if x.Quant == nil || x.DType != tensor.Int8 && x.DType != tensor.Uint8 && x.DType != tensor.Int32 {
			return nodeErr(n, "input %q is %v without quantization parameters: %w", x.Name, x.DType, ErrUnsupported)
		}
		if err := checkQuant(n, x, x.Shape); err != nil {
			return err
		}
		return setOut(g, n, 0, tensor.Float32, x.Shape)
	case graph.OpConvInteger:
		return inferConvInteger(g, n)
	case graph.OpMatMulInteger:
		return inferMatMulInteger(g, n)
	case graph.OpDynamicQuantize:
		return inferDynamicQuantize(g, n)
	}
	return nodeErr(n, "no shape inference for op %v: %w", n.Op, ErrUnsupported)
}

// IsQuantized reports whether t is an int8 or uint8 tensor with
// quantization parameters.
func IsQuantized(t *graph.Tensor) bool {
	return t != nil && t.Quant != nil && (t.DType == tensor.Int8 || t.DType == tensor.Uint8)
}

// checkQuant validates t's quantization parameters against shape.
func checkQuant(n *graph.Node, t *graph.Tensor, shape []int) error {
	q := t.Quant
	if len(q.Scale) == 0 || len(q.Scale) != len(q.ZeroPoint) {
		return nodeErr(n, "tensor %q: %d scales and %d zero points: %w", t.Name, len(q.Scale), len(q.ZeroPoint), ErrShape)
	}
	if len(q.Scale) > 1 && (q.Axis < 0 || q.Axis >= len(shape) || shape[q.Axis] != len(q.Scale)) {
		return nodeErr(n, "tensor %q: %d per-channel scales along axis %d of %v: %w", t.Name, len(q.Scale), q.Axis, shape, ErrShape)
	}
	lo, hi := int32(-128), int32(127)
	switch t.DType {
	case tensor.Uint8:
		lo, hi = 0, 255
	case tensor.Int32:
		lo, hi = -1<<31, 1<<31-1
	}
	for i, s := range q.Scale {
		if !(s > 0) || s > 3.4e38 {
			return nodeErr(n, "tensor %q: scale %g is not a positive finite number: %w", t.Name, s, ErrShape)
		}
		if z := q.ZeroPoint[i]; z < lo || z > hi {
			return nodeErr(n, "tensor %q: zero point %d out of range for %v: %w", t.Name, z, t.DType, ErrShape)
		}
	}
	return nil
}

// quantOut checks that output i of a quantized op is declared int8 with
// per-tensor quantization parameters.
func quantOut(g *graph.Graph, n *graph.Node, i int, shape []int) error {
	o := out(g, n, i)
	if o == nil {
		return nil
	}
	if o.Quant == nil || !o.Quant.PerTensor() {
		return nodeErr(n, "quantized output %q needs per-tensor quantization parameters", o.Name)
	}
	if o.DType == tensor.Invalid {
		o.DType = tensor.Int8
	}
	if o.DType != tensor.Int8 {
		return nodeErr(n, "quantized output %q is %v, want int8: %w", o.Name, o.DType, ErrUnsupported)
	}
	if err := checkQuant(n, o, shape); err != nil {
		return err
	}
	return setOut(g, n, i, tensor.Int8, shape)
}

// quantIn checks a quantized activation input: int8, per tensor.
func quantIn(n *graph.Node, t *graph.Tensor) error {
	if t.DType != tensor.Int8 || t.Quant == nil || !t.Quant.PerTensor() {
		return nodeErr(n, "quantized input %q is %v (quant %v), want int8 with per-tensor parameters: %w", t.Name, t.DType, t.Quant != nil, ErrUnsupported)
	}
	return checkQuant(n, t, t.Shape)
}

func isPerm(p []int, rank int) bool {
	if len(p) != rank {
		return false
	}
	seen := make([]bool, rank)
	for _, a := range p {
		if a < 0 || a >= rank || seen[a] {
			return false
		}
		seen[a] = true
	}
	return true
}

// convOut is the output length of a convolution or floor-mode pooling axis.
func convOut(in, k, s, d, pb, pe int) int {
	return (in+pb+pe-d*(k-1)-1)/s + 1
}

// poolOut is the output length of a pooling axis; in ceil mode a window that
// would start in the end padding is dropped.
func poolOut(in, k, s, d, pb, pe int, ceil bool) int {
	span := in + pb + pe - d*(k-1) - 1
	if !ceil {
		return span/s + 1
	}
	o := (span+s-1)/s + 1
	if (o-1)*s >= in+pb {
		o--
	}
	return o
}

func checkSpatial(n *graph.Node, rank int, kernel, strides, dil, pb, pe []int) error {
	k := rank - 2
	if k < 1 || len(strides) != k || len(dil) != k || len(pb) != k || len(pe) != k || kernel != nil && len(kernel) != k {
		return nodeErr(n, "spatial attributes (kernel %v strides %v dilations %v pads %v/%v) do not fit rank %d: %w", kernel, strides, dil, pb, pe, rank, ErrShape)
	}
	for i := 0; i < k; i++ {
		if strides[i] < 1 || dil[i] < 1 || pb[i] < 0 || pe[i] < 0 || kernel != nil && kernel[i] < 1 {
			return nodeErr(n, "invalid spatial attributes (kernel %v strides %v dilations %v pads %v/%v): %w", kernel, strides, dil, pb, pe, ErrShape)
		}
	}
	return nil
}

func inferConv(g *graph.Graph, n *graph.Node) error {
	if err := needInputs(g, n, 2, 3); err != nil {
		return err
	}
	x, w := in(g, n, 0), in(g, n, 1)
	q := x.Quant != nil
	if q {
		if err := quantIn(n, x); err != nil {
			return err
		}
		if w.Const == nil || w.DType != tensor.Int8 || w.Quant == nil {
			return nodeErr(n, "weights %q must be an int8 constant with quantization parameters: %w", w.Name, ErrUnsupported)
		}
		if err := checkQuant(n, w, w.Shape); err != nil {
			return err
		}
		if !w.Quant.PerTensor() && w.Quant.Axis != 0 {
			return nodeErr(n, "weights %q are quantized along axis %d, want 0 (output channels): %w", w.Name, w.Quant.Axis, ErrUnsupported)
		}
	} else {
		if err := needF32(n, x); err != nil {
			return err
		}
		if w.Const == nil || w.DType != tensor.Float32 {
			return nodeErr(n, "weights %q must be a float32 constant: %w", w.Name, ErrUnsupported)
		}
	}
	p := n.Params.(*graph.ConvParams)
	r := len(x.Shape)
	if len(w.Shape) != r {
		return nodeErr(n, "weights %v and input %v differ in rank: %w", w.Shape, x.Shape, ErrShape)
	}
	kernel := w.Shape[1 : r-1]
	if err := checkSpatial(n, r, kernel, p.Strides, p.Dilations, p.PadBegin, p.PadEnd); err != nil {
		return err
	}
	c, oc := x.Shape[r-1], w.Shape[0]
	if p.Groups < 1 || c%p.Groups != 0 || oc%p.Groups != 0 || w.Shape[r-1] != c/p.Groups {
		return nodeErr(n, "input channels %d, weights %v and group %d do not fit: %w", c, w.Shape, p.Groups, ErrShape)
	}
	bt := tensor.Float32
	if q {
		bt = tensor.Int32
	}
	if b := in(g, n, 2); b != nil && (b.Const == nil || b.DType != bt || tensor.NumElems(b.Shape) != oc) {
		return nodeErr(n, "bias %q must be a %v constant of %d values: %w", b.Name, bt, oc, ErrShape)
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
	if q {
		return quantOut(g, n, 0, ys)
	}
	return setOut(g, n, 0, tensor.Float32, ys)
}

func inferPool(g *graph.Graph, n *graph.Node) error {
	if err := needInputs(g, n, 1, 1); err != nil {
		return err
	}
	x := in(g, n, 0)
	p := n.Params.(*graph.PoolParams)
	if x.DType != tensor.Float32 && !(p.Kind == graph.MaxPool && (x.DType == tensor.Uint8 || x.DType == tensor.Int8)) && x.Quant == nil {
		return nodeErr(n, "input %q is %v: %w", x.Name, x.DType, ErrUnsupported)
	}
	r := len(x.Shape)
	if err := checkSpatial(n, r, p.Kernel, p.Strides, p.Dilations, p.PadBegin, p.PadEnd); err != nil {
		return err
	}
	ys := []int{x.Shape[0]}
	for i, k := range p.Kernel {
		o := poolOut(x.Shape[1+i], k, p.Strides[i], p.Dilations[i], p.PadBegin[i], p.PadEnd[i], p.CeilMode)
		if o < 1 {
			return nodeErr(n, "input %v too small for kernel %v: %w", x.Shape, p.Kernel, ErrShape)
		}
		ys = append(ys, o)
	}
	ys = append(ys, x.Shape[r-1])
	if x.Quant != nil && p.Kind == graph.AvgPool {
		if err := quantIn(n, x); err != nil {
			return err
		}
		if err := quantOut(g, n, 0, ys); err != nil {
			return err
		}
	} else if err := setOut(g, n, 0, x.DType, ys); err != nil {
		return err
	}
	if out(g, n, 1) != nil && p.Kind != graph.MaxPool {
		return nodeErr(n, "only max pooling has indices: %w", ErrUnsupported)
	}
	return setOut(g, n, 1, tensor.Int64, ys)
}
