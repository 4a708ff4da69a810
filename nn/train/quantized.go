package train

import (
	"fmt"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Quantized reports whether g computes on quantized tensors (an int8
// model: QOperator or folded QDQ ONNX, or a quantized TFLite model): a
// node reads or writes one.
func Quantized(g *graph.Graph) bool {
	for _, n := range g.Nodes {
		for _, ids := range [][]int{n.Inputs, n.Outputs} {
			for _, id := range ids {
				if id >= 0 && g.Tensors[id].Quant != nil {
					return true
				}
			}
		}
	}
	return false
}

// FloatTwin returns the float32 twin of a quantized graph: the same nodes
// (same names, same tensor ids and names, same order), computing in float
// what the quantized ops compute in integers, minus the rounding of the
// activations. A tail cut from the twin (ReplaceHead, SplitAt) trains in
// float32 on the dequantized values of the quantized graph's tensors of
// the same names.
//
//   - Every quantized runtime tensor becomes float32 (no Quant).
//   - Conv and Dense with quantized weights read float constants
//     W = s[c]·(q − zp[c]) and B = b_q·x_s·w_s[c], and clip their output to
//     the range the quantized output can represent, [s·(−128 − zp),
//     s·(127 − zp)]: the fused activation becomes Clip(lo, hi), intersected
//     with a fused ReLU or Clip if there was one. A quantized model folds
//     ReLU6 into that range (zero point at the bottom), so without the clip
//     the twin would compute something else entirely.
//   - Quantized Add/Mul clip likewise; their quantized constant operands are
//     dequantized.
//   - Quantize (float → int8, or a requantize) becomes Clip to the range of
//     its output; Dequantize becomes Identity.
//   - Pooling, Reshape, Transpose, Concat, Gather, Identity, MatMul and
//     activations (Unary) compute the same function in float. Pooling outputs
//     are not clipped (an average of clipped values stays in their range).
//
// Pad of a quantized tensor, quantized graph inputs (raw uint8 pixels) and
// other ops on quantized tensors are refused with an error naming the node.
// g is not modified; an unquantized graph comes back as an equal copy.
func FloatTwin(g *graph.Graph) (*graph.Graph, error) {
	c := cloneGraph(g)
	c.QuantStyle = graph.QuantONNX
	for _, id := range g.Inputs {
		if g.Tensors[id].DType != tensor.Float32 {
			return nil, fmt.Errorf("%w: FloatTwin: graph input %q is %v, want float32", ErrUnsupported, g.Tensors[id].Name, g.Tensors[id].DType)
		}
	}
	isQ := func(id int) bool { return id >= 0 && g.Tensors[id].Quant != nil && g.Tensors[id].Const == nil }
	// Runtime tensors first: every quantized one becomes float32.
	for i := range c.Tensors {
		if isQ(i) {
			c.Tensors[i].DType = tensor.Float32
			c.Tensors[i].Quant = nil
		}
	}
	for ni := range c.Nodes {
		n := &c.Nodes[ni]
		orig := &g.Nodes[ni]
		anyQ := false
		for _, id := range append(append([]int(nil), orig.Inputs...), orig.Outputs...) {
			if id >= 0 && g.Tensors[id].Quant != nil {
				anyQ = true
			}
		}
		if !anyQ {
			continue
		}
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%w: FloatTwin: node %q (%v): %s", ErrUnsupported, n.Name, n.Op, fmt.Sprintf(format, a...))
		}
		y := orig.Outputs[0]
		switch n.Op {
		case graph.OpQuantize:
			lo, hi, err := quantRange(&g.Tensors[y])
			if err != nil {
				return nil, fail("%v", err)
			}
			n.Op, n.Params = graph.OpUnary, &graph.UnaryParams{Act: kernels.Act{Kind: kernels.ActClip, Min: lo, Max: hi}}
		case graph.OpDequantize:
			if !isQ(orig.Inputs[0]) {
				return nil, fail("input %q is not a quantized runtime tensor", g.Tensors[orig.Inputs[0]].Name)
			}
			n.Op, n.Params = graph.OpIdentity, nil
			n.Outputs = n.Outputs[:1]
		case graph.OpConv, graph.OpDense:
			if len(orig.Inputs) < 2 || g.Tensors[orig.Inputs[1]].Const == nil {
				return nil, fail("weights are not constant")
			}
			x, w := &g.Tensors[orig.Inputs[0]], &g.Tensors[orig.Inputs[1]]
			if x.Quant == nil || w.Quant == nil || !x.Quant.PerTensor() {
				return nil, fail("want a per-tensor quantized input and quantized weights")
			}
			wf, err := dequantConst(w)
			if err != nil {
				return nil, fail("weights: %v", err)
			}
			n.Inputs[1] = c.AddConst(w.Name+"#float", wf)
			if len(orig.Inputs) > 2 && orig.Inputs[2] >= 0 {
				b := &g.Tensors[orig.Inputs[2]]
				bf, err := dequantBias(b, x.Quant.Scale[0], w.Quant.Scale)
				if err != nil {
					return nil, fail("bias: %v", err)
				}
				n.Inputs[2] = c.AddConst(b.Name+"#float", bf)
			}
			act, err := clipAct(&g.Tensors[y], actOf(orig))
			if err != nil {
				return nil, fail("%v", err)
			}
			if n.Op == graph.OpConv {
				p := *orig.Params.(*graph.ConvParams)
				p.Act = act
				n.Params = &p
			} else {
				n.Params = &graph.DenseParams{Act: act}
			}
		case graph.OpBinary:
			for j, id := range orig.Inputs {
				t := &g.Tensors[id]
				if t.Const == nil || t.Quant == nil {
					continue
				}
				v, err := dequantConst(t)
				if err != nil {
					return nil, fail("operand %d: %v", j, err)
				}
				n.Inputs[j] = c.AddConst(t.Name+"#float", v)
			}
			p := *orig.Params.(*graph.BinaryParams)
			if g.Tensors[y].Quant != nil {
				act, err := clipAct(&g.Tensors[y], p.Act)
				if err != nil {
					return nil, fail("%v", err)
				}
				p.Act = act
			}
			n.Params = &p
		case graph.OpGlobalAvgPool, graph.OpPool, graph.OpReshape, graph.OpTranspose, graph.OpConcat,
			graph.OpGather, graph.OpIdentity, graph.OpMatMul, graph.OpUnary, graph.OpReduceMean:
			for j, id := range orig.Inputs {
				if id >= 0 && g.Tensors[id].Const != nil && g.Tensors[id].Quant != nil {
					v, err := dequantConst(&g.Tensors[id])
					if err != nil {
						return nil, fail("operand %d: %v", j, err)
					}
					n.Inputs[j] = c.AddConst(g.Tensors[id].Name+"#float", v)
				}
			}
		default:
			return nil, fail("no float twin for this op on quantized tensors")
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("train: FloatTwin: %w", err)
	}
	return c, nil
}

func actOf(n *graph.Node) kernels.Act {
	switch p := n.Params.(type) {
	case *graph.ConvParams:
		return p.Act
	case *graph.DenseParams:
		return p.Act
	case *graph.BinaryParams:
		return p.Act
	}
	return kernels.Act{}
}

// quantRange is the float range a per-tensor quantized int8 tensor can
// represent.
func quantRange(t *graph.Tensor) (lo, hi float32, err error) {
	q := t.Quant
	if q == nil || len(q.Scale) != 1 || len(q.ZeroPoint) != 1 || t.DType != tensor.Int8 {
		return 0, 0, fmt.Errorf("tensor %q is not per-tensor quantized int8", t.Name)
	}
	s, z := q.Scale[0], q.ZeroPoint[0]
	return s * float32(-128-z), s * float32(127-z), nil
}

// clipAct is a fused activation a followed by the clamp to y's range.
func clipAct(y *graph.Tensor, a kernels.Act) (kernels.Act, error) {
	lo, hi, err := quantRange(y)
	if err != nil {
		return a, err
	}
	switch a.Kind {
	case kernels.ActNone:
	case kernels.ActRelu:
		lo = max(lo, 0)
	case kernels.ActClip:
		lo, hi = max(lo, a.Min), min(hi, a.Max)
	default:
		return a, fmt.Errorf("fused %v on a quantized output", a)
	}
	if lo > hi {
		lo = hi
	}
	return kernels.Act{Kind: kernels.ActClip, Min: lo, Max: hi}, nil
}

// dequantConst is s[c]·(q − zp[c]) of a quantized constant, channel c
// along Quant.Axis.
func dequantConst(t *graph.Tensor) (*tensor.Tensor, error) {
	q, v := t.Quant, t.Const
	if len(q.Scale) == 0 || len(q.ZeroPoint) != len(q.Scale) {
		return nil, fmt.Errorf("tensor %q: %d scales, %d zero points", t.Name, len(q.Scale), len(q.ZeroPoint))
	}
	var ints []int32
	switch v.DType {
	case tensor.Int8:
		for _, x := range v.I8 {
			ints = append(ints, int32(x))
		}
	case tensor.Uint8:
		for _, x := range v.U8 {
			ints = append(ints, int32(x))
		}
	case tensor.Int32:
		ints = v.I32
	default:
		return nil, fmt.Errorf("tensor %q is %v", t.Name, v.DType)
	}
	stride, nc := 1, 1
	if len(q.Scale) > 1 {
		if q.Axis < 0 || q.Axis >= len(v.Shape) || v.Shape[q.Axis] != len(q.Scale) {
			return nil, fmt.Errorf("tensor %q %v: %d scales along axis %d", t.Name, v.Shape, len(q.Scale), q.Axis)
		}
		stride, nc = tensor.NumElems(v.Shape[q.Axis+1:]), len(q.Scale)
	}
	out := tensor.New(tensor.Float32, v.Shape...)
	for i, x := range ints {
		ch := (i / stride) % nc
		out.F32[i] = q.Scale[ch] * float32(x-q.ZeroPoint[ch])
	}
	return out, nil
}

// dequantBias converts an int32 bias with implied scale x_s·w_s[c] (zero
// point 0) to float.
func dequantBias(b *graph.Tensor, xs float32, ws []float32) (*tensor.Tensor, error) {
	if b.Const == nil || b.Const.DType != tensor.Int32 {
		if b.Const != nil && b.Const.DType == tensor.Float32 {
			return b.Const, nil
		}
		return nil, fmt.Errorf("tensor %q is not an int32 constant", b.Name)
	}
	n := b.Const.Len()
	if len(ws) != 1 && len(ws) != n {
		return nil, fmt.Errorf("tensor %q has %d values for %d weight scales", b.Name, n, len(ws))
	}
	out := tensor.New(tensor.Float32, b.Const.Shape...)
	for i, v := range b.Const.I32 {
		s := ws[0]
		if len(ws) > 1 {
			s = ws[i]
		}
		out.F32[i] = float32(float64(v) * float64(xs) * float64(s))
	}
	return out, nil
}
