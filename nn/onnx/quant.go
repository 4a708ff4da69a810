package onnx

import (
	"fmt"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Quantized models.
//
// Inside the runtime every quantized activation is int8 with a per-tensor
// zero point. An ONNX uint8 value q with zero point z is stored as the int8
// value q−128 with zero point z−128 — the same real numbers — and the
// quantization parameters say so (graph.Quant.Shifted) so raw constants that
// meet it (Pad values, Clip bounds) and graph outputs are converted back.
//
// QOperator graphs (QLinearConv, QLinearMatMul, com.microsoft QLinearAdd …)
// map one to one onto quantized IR ops. QDQ graphs (DequantizeLinear → float
// op → QuantizeLinear) are folded at import, as ONNX Runtime does: every
// DequantizeLinear output remembers its quantized source (im.twin); an op
// whose inputs all have one and whose output feeds only QuantizeLinear
// nodes with one set of parameters becomes the quantized op producing the
// QuantizeLinear's output directly. Anything else runs in float between a
// Dequantize and a Quantize, which is what the QDQ graph means.

// quantFrom builds quantization parameters from scale and zero-point
// constants. Zero points of uint8 are moved to int8 space; u8 reports that.
// zp may be nil (uint8 zero, ONNX's default).
func quantFrom(scale, zp *tensor.Tensor, axis int) (*graph.Quant, bool, error) {
	if scale == nil || scale.DType != tensor.Float32 || scale.Len() == 0 {
		return nil, false, fmt.Errorf("scale must be a float32 constant: %w", ErrInvalid)
	}
	q := &graph.Quant{Scale: append([]float32(nil), scale.F32...), Axis: axis}
	u8 := true
	if zp != nil {
		if zp.Len() != scale.Len() {
			return nil, false, fmt.Errorf("%d zero points for %d scales: %w", zp.Len(), scale.Len(), ErrInvalid)
		}
		switch zp.DType {
		case tensor.Uint8:
		case tensor.Int8, tensor.Int32:
			u8 = false
		default:
			return nil, false, fmt.Errorf("zero point type %v: %w", zp.DType, ErrUnsupported)
		}
		v, _ := zp.AsInt64s()
		for _, z := range v {
			q.ZeroPoint = append(q.ZeroPoint, int32(z))
		}
	} else {
		q.ZeroPoint = make([]int32, len(q.Scale))
	}
	for i, s := range q.Scale {
		if !(s > 0) || s > 3.4e38 {
			return nil, false, fmt.Errorf("scale %g is not a positive finite number: %w", s, ErrInvalid)
		}
		if u8 {
			q.ZeroPoint[i] -= 128
		}
	}
	if len(q.Scale) == 1 {
		q.Axis = 0
	}
	q.Shifted = u8
	return q, u8, nil
}

// toInt8Space converts a uint8 constant to int8 (q−128); int8 stays.
func toInt8Space(c *tensor.Tensor) (*tensor.Tensor, error) {
	switch c.DType {
	case tensor.Int8:
		return c, nil
	case tensor.Uint8:
		out := tensor.New(tensor.Int8, c.Shape...)
		for i, v := range c.U8 {
			out.I8[i] = int8(int32(v) - 128)
		}
		return out, nil
	}
	return nil, fmt.Errorf("quantized data is %v, want uint8 or int8: %w", c.DType, ErrUnsupported)
}

// qconst reads inputs i (scale) and i+1 (zero point) as quantization
// parameters along logical axis.
func (im *importer) qconst(n *onnxpb.Node, i, axis int) (*graph.Quant, bool, error) {
	s, err := im.constInput(n, i, "scale")
	if err != nil {
		return nil, false, err
	}
	if s == nil {
		return nil, false, fmt.Errorf("scale input %d missing: %w", i, ErrInvalid)
	}
	if axis < 0 {
		return nil, false, fmt.Errorf("per-axis quantization along axis %d: %w", axis, ErrInvalid)
	}
	z, err := im.constInput(n, i+1, "zero point")
	if err != nil {
		return nil, false, err
	}
	return quantFrom(s, z, axis)
}

// asQuant returns v as an int8 tensor carrying quantization q (int8 space).
// A raw uint8 or int8 value (a graph input or constant) gets q attached; a
// quantized value with other parameters is relabelled (the stored integers
// are what the consuming op interprets with q).
func (im *importer) asQuant(v value, q *graph.Quant, u8 bool) (value, error) {
	t := &im.g.Tensors[v.id]
	switch {
	case t.DType == tensor.Int8 && t.Quant.Equal(q):
		return v, nil
	case t.Const != nil && (t.DType == tensor.Uint8 || t.DType == tensor.Int8):
		c, err := toInt8Space(im.constOf(v))
		if err != nil {
			return value{}, err
		}
		id := im.g.AddConst(t.Name+"#q", c)
		im.g.Tensors[id].Quant = q
		return value{id: id}, nil
	case t.DType == tensor.Uint8 && t.Quant == nil && u8:
		// A uint8 graph input: label it, then shift to int8 space.
		uq := &graph.Quant{Scale: q.Scale, ZeroPoint: addAll(q.ZeroPoint, 128), Axis: q.Axis}
		t.Quant = uq // uint8 space: not shifted
		ids, err := im.emitDeclared(graph.OpQuantize, nil, []int{v.id}, []graph.Tensor{{DType: tensor.Int8, Quant: q}})
		if err != nil {
			return value{}, err
		}
		return value{id: ids[0], perm: v.perm}, nil
	case t.DType == tensor.Int8 && t.Quant == nil && !u8:
		t.Quant = q
		return v, nil
	case t.DType == tensor.Int8 && t.Quant != nil && im.isShifted(v.id) == u8:
		ids, err := im.emitDeclared(graph.OpReshape, nil, []int{v.id}, []graph.Tensor{{DType: tensor.Int8, Shape: t.Shape, Quant: q}})
		if err != nil {
			return value{}, err
		}
		return value{id: ids[0], perm: v.perm}, nil
	}
	return value{}, fmt.Errorf("value %q is %v (quantized %v, uint8 %v), expected %s: %w", t.Name, t.DType, t.Quant != nil, im.isShifted(v.id), map[bool]string{true: "uint8", false: "int8"}[u8], ErrUnsupported)
}

// quantAxis resolves the axis attribute of Quantize/DequantizeLinear: it
// matters only when the scale input has more than one element.
func (im *importer) quantAxis(n *onnxpb.Node, ax int64, rank int) (int, error) {
	s, err := im.constInput(n, 1, "scale")
	if err != nil || s == nil || s.Len() <= 1 {
		return 0, err
	}
	return normAxis(ax, rank)
}

func addAll(v []int32, d int32) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = x + d
	}
	return out
}

// physQuant returns q with its axis moved to v's physical layout.
func physQuant(q *graph.Quant, perm []int) *graph.Quant {
	if q == nil || q.PerTensor() || perm == nil {
		return q
	}
	c := *q
	c.Axis = physAxis(perm, q.Axis)
	return &c
}

func (im *importer) quantizeLinear(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	r := len(im.logicalShape(x))
	ax, err := n.AttrInt("axis", 1)
	if err != nil {
		return err
	}
	if bs, _ := n.AttrInt("block_size", 0); bs != 0 {
		return fmt.Errorf("blocked quantization: %w", ErrUnsupported)
	}
	axis, err := im.quantAxis(n, ax, r)
	if err != nil {
		return err
	}
	q, u8, err := im.qconst(n, 1, axis)
	if err != nil {
		return err
	}
	if im.dtype(x) != tensor.Float32 {
		return fmt.Errorf("input is %v, want float32: %w", im.dtype(x), ErrUnsupported)
	}
	pq := physQuant(q, x.perm)
	if tw, ok := im.twin[x.id]; ok && im.g.Tensors[tw.id].Quant.Equal(pq) && im.isShifted(tw.id) == u8 {
		im.set(n, 0, tw) // Q(DQ(q)) with the same parameters is q
		return nil
	}
	ids, err := im.emitDeclared(graph.OpQuantize, nil, []int{x.id}, []graph.Tensor{{DType: tensor.Int8, Quant: pq}})
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: x.perm})
	return nil
}

func (im *importer) dequantizeLinear(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	if bs, _ := n.AttrInt("block_size", 0); bs != 0 {
		return fmt.Errorf("blocked quantization: %w", ErrUnsupported)
	}
	r := len(im.logicalShape(x))
	ax, err := n.AttrInt("axis", 1)
	if err != nil {
		return err
	}
	axis, err := im.quantAxis(n, ax, r)
	if err != nil {
		return err
	}
	t := &im.g.Tensors[x.id]
	var q *graph.Quant
	var u8 bool
	if t.DType == tensor.Int32 {
		s, err := im.constInput(n, 1, "scale")
		if err != nil {
			return err
		}
		z, err := im.constInput(n, 2, "zero point")
		if err != nil {
			return err
		}
		if z == nil {
			z = tensor.New(tensor.Int32, s.Shape...)
		}
		if q, _, err = quantFrom(s, z, axis); err != nil {
			return err
		}
		if t.Const == nil {
			if t.Quant == nil {
				t.Quant = physQuant(q, x.perm)
			}
		} else {
			id := im.g.AddConst(t.Name+"#q", im.constOf(x))
			im.g.Tensors[id].Quant = q
			x = value{id: id}
		}
	} else {
		if q, u8, err = im.qconst(n, 1, axis); err != nil {
			return err
		}
		if t.Const == nil && t.Quant == nil {
			// Raw integer runtime input: attach the parameters.
			if x, err = im.asQuant(value{id: x.id, perm: x.perm}, physQuant(q, x.perm), u8); err != nil {
				return err
			}
		} else if x, err = im.asQuant(x, physQuant(q, x.perm), u8); err != nil {
			return err
		}
	}
	ids, err := im.emitDeclared(graph.OpDequantize, nil, []int{x.id}, []graph.Tensor{{DType: tensor.Float32}})
	if err != nil {
		return err
	}
	im.twin[ids[0]] = x
	im.set(n, 0, value{id: ids[0], perm: x.perm})
	return nil
}

// ---- QOperator ----

func (im *importer) qlinearConv(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	xq, xu8, err := im.qconst(n, 1, 0)
	if err != nil {
		return err
	}
	if x, err = im.asQuant(x, xq, xu8); err != nil {
		return err
	}
	wv, err := im.need(n, 3)
	if err != nil {
		return err
	}
	w := im.constOf(wv)
	if w == nil {
		return &NotConstError{Input: n.Inputs[3], What: "weights"}
	}
	wq, _, err := im.qconst(n, 4, 0)
	if err != nil {
		return err
	}
	if w, err = toInt8Space(w); err != nil {
		return err
	}
	yq, _, err := im.qconst(n, 6, 0)
	if err != nil {
		return err
	}
	bias, err := im.constInput(n, 8, "bias")
	if err != nil {
		return err
	}
	if bias != nil && bias.DType != tensor.Int32 {
		return fmt.Errorf("bias is %v, want int32: %w", bias.DType, ErrInvalid)
	}
	y, err := im.emitConv(n, x, w, wq, bias, yq)
	if err != nil {
		return err
	}
	im.set(n, 0, y)
	return nil
}

// qlinearMatMul: y = a·b with a runtime, b constant [K, N].
func (im *importer) qlinearMatMul(n *onnxpb.Node) error {
	a, err := im.need(n, 0)
	if err != nil {
		return err
	}
	aq, au8, err := im.qconst(n, 1, 0)
	if err != nil {
		return err
	}
	bv, err := im.need(n, 3)
	if err != nil {
		return err
	}
	b := im.constOf(bv)
	bRank := len(im.logicalShape(bv))
	bq, bu8, err := im.qconst(n, 4, max(bRank-1, 0))
	if err != nil {
		return err
	}
	yq, _, err := im.qconst(n, 6, 0)
	if err != nil {
		return err
	}
	if a, err = im.asQuant(a, aq, au8); err != nil {
		return err
	}
	if b == nil || len(b.Shape) != 2 {
		// Both operands at run time: a quantized numpy MatMul.
		if !aq.PerTensor() {
			return fmt.Errorf("per-row A quantization: %w", ErrUnsupported)
		}
		if bv, err = im.asQuant(bv, bq, bu8); err != nil {
			return err
		}
		aid, err := im.toPerm(a, nil)
		if err != nil {
			return err
		}
		bid, err := im.toPerm(bv, nil)
		if err != nil {
			return err
		}
		ids, err := im.emitDeclared(graph.OpMatMul, nil, []int{aid, bid}, []graph.Tensor{{DType: tensor.Int8, Quant: yq}})
		if err != nil {
			return err
		}
		im.set(n, 0, value{id: ids[0]})
		return nil
	}
	y, err := im.emitQDense(a, b, bq, nil, yq)
	if err != nil {
		return err
	}
	im.set(n, 0, y)
	return nil
}

// emitQDense emits a quantized fully connected layer x·w (+bias) with w a
// uint8/int8 constant [K, N] quantized per column or per tensor.
func (im *importer) emitQDense(x value, w *tensor.Tensor, wq *graph.Quant, bias *tensor.Tensor, yq *graph.Quant) (value, error) {
	w, err := toInt8Space(w)
	if err != nil {
		return value{}, err
	}
	xid, err := im.toPerm(x, nil)
	if err != nil {
		return value{}, err
	}
	wid := im.g.AddConst(im.newName()+":w", w)
	im.g.Tensors[wid].Quant = wq
	inputs := []int{xid, wid}
	if bias != nil {
		inputs = append(inputs, im.g.AddConst(im.newName()+":b", bias))
	}
	ids, err := im.emitDeclared(graph.OpDense, &graph.DenseParams{}, inputs, []graph.Tensor{{DType: tensor.Int8, Quant: yq}})
	if err != nil {
		return value{}, err
	}
	return value{id: ids[0]}, nil
}

// qlinearBinary: com.microsoft QLinearAdd / QLinearMul
// (A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp).
func (im *importer) qlinearBinary(n *onnxpb.Node, op kernels.BinOp) error {
	var vs []value
	for _, i := range []int{0, 3} {
		v, err := im.need(n, i)
		if err != nil {
			return err
		}
		q, u8, err := im.qconst(n, i+1, 0)
		if err != nil {
			return err
		}
		if v, err = im.asQuant(v, q, u8); err != nil {
			return err
		}
		vs = append(vs, v)
	}
	yq, _, err := im.qconst(n, 6, 0)
	if err != nil {
		return err
	}
	y, err := im.emitQBinary(op, vs[0], vs[1], yq)
	if err != nil {
		return err
	}
	im.set(n, 0, y)
	return nil
}

func (im *importer) emitQBinary(op kernels.BinOp, a, b value, yq *graph.Quant) (value, error) {
	ids, target, err := im.broadcastOperands([]value{a, b})
	if err != nil {
		return value{}, err
	}
	for i, id := range ids {
		// Operands re-laid out as new constants keep their parameters.
		src := []value{a, b}[i]
		if im.g.Tensors[id].Quant == nil {
			im.g.Tensors[id].Quant = im.g.Tensors[src.id].Quant
		}
	}
	out, err := im.emitDeclared(graph.OpBinary, &graph.BinaryParams{Op: op}, ids, []graph.Tensor{{DType: tensor.Int8, Quant: yq}})
	if err != nil {
		return value{}, err
	}
	return value{id: out[0], perm: target}, nil
}

// qlinearUnaryPool handles the com.microsoft ops with the layout
// (X, X_scale, X_zp, Y_scale, Y_zp): QLinearGlobalAveragePool,
// QLinearAveragePool, QLinearSigmoid.
func (im *importer) qlinearUnary(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	xq, xu8, err := im.qconst(n, 1, 0)
	if err != nil {
		return err
	}
	yq, _, err := im.qconst(n, 3, 0)
	if err != nil {
		return err
	}
	if x, err = im.asQuant(x, xq, xu8); err != nil {
		return err
	}
	var y value
	switch n.OpType {
	case "QLinearGlobalAveragePool":
		if cl, _ := n.AttrInt("channels_last", 0); cl != 0 {
			return fmt.Errorf("channels_last=1: %w", ErrUnsupported)
		}
		y, err = im.emitGAP(x, yq)
	case "QLinearAveragePool":
		var pr pooled
		pr, err = im.emitPool(n, x, yq)
		y = pr.value
	case "QLinearSigmoid":
		var ids []int
		ids, err = im.emitDeclared(graph.OpUnary, &graph.UnaryParams{Act: kernels.Act{Kind: kernels.ActSigmoid}}, []int{x.id},
			[]graph.Tensor{{DType: tensor.Int8, Quant: yq}})
		if err == nil {
			y = value{id: ids[0], perm: x.perm}
		}
	default:
		return fmt.Errorf("op %s: %w", opName(n), ErrUnsupported)
	}
	if err != nil {
		return err
	}
	im.set(n, 0, y)
	return nil
}

// ---- QDQ folding ----

// qdqOutput returns the quantization of value name when all its consumers
// are QuantizeLinear nodes with the same constant parameters; those nodes
// are then marked done and will be given the quantized result.
func (im *importer) qdqOutput(name string, perm []int) (*graph.Quant, []*onnxpb.Node) {
	users := im.users[name]
	if len(users) == 0 || im.isGraphOutput[name] {
		return nil, nil
	}
	var q *graph.Quant
	for _, u := range users {
		if u.OpType != "QuantizeLinear" || u.Domain != "" && u.Domain != "ai.onnx" || len(u.Inputs) == 0 || u.Inputs[0] != name {
			return nil, nil
		}
		uq, _, err := im.qconst(u, 1, 0)
		if err != nil || !uq.PerTensor() || q != nil && !q.Equal(uq) {
			return nil, nil
		}
		q = uq
	}
	return physQuant(q, perm), users
}

// finishQDQ gives the QuantizeLinear consumers the quantized result y.
func (im *importer) finishQDQ(qs []*onnxpb.Node, y value) {
	for _, u := range qs {
		im.done[u] = true
		im.set(u, 0, y)
	}
}

// twinOf returns the quantized source of a float value made by
// DequantizeLinear.
func (im *importer) twinOf(v value) (value, bool) {
	t, ok := im.twin[v.id]
	if !ok || fmt.Sprint(t.perm) != fmt.Sprint(v.perm) {
		return value{}, false
	}
	return t, true
}

// qdqConv folds DQ(x), DQ(w), DQ(b) → Conv → Q into a quantized conv.
func (im *importer) qdqConv(n *onnxpb.Node, x, wv value) (bool, error) {
	xt, ok := im.twinOf(x)
	if !ok {
		return false, nil
	}
	wt, ok := im.twin[wv.id]
	if !ok || im.g.Tensors[wt.id].Const == nil || im.g.Tensors[wt.id].DType != tensor.Int8 {
		return false, nil
	}
	wq := im.g.Tensors[wt.id].Quant
	if !wq.PerTensor() && wq.Axis != 0 {
		return false, nil
	}
	var bias *tensor.Tensor
	if b, ok, err := im.in(n, 2); err != nil {
		return false, err
	} else if ok {
		bt, ok := im.twin[b.id]
		if !ok || im.g.Tensors[bt.id].Const == nil || im.g.Tensors[bt.id].DType != tensor.Int32 {
			return false, nil
		}
		bias = im.g.Tensors[bt.id].Const
	}
	yq, qs := im.qdqOutput(n.Outputs[0], channelsLast(len(im.logicalShape(x))))
	if yq == nil {
		return false, nil
	}
	y, err := im.emitConv(n, xt, im.constOf(wt), wq, bias, yq)
	if err != nil {
		return false, err
	}
	im.finishQDQ(qs, y)
	return true, nil
}

// qdqGeneric folds DQ → op → Q for Add, Mul, MatMul/Gemm with a constant
// DQ'd B, GlobalAveragePool and AveragePool. It reports whether it did.
func (im *importer) qdqGeneric(n *onnxpb.Node) (bool, error) {
	var vs []value
	for i := range n.Inputs {
		v, ok, err := im.in(n, i)
		if err != nil || !ok {
			return false, err
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 || len(n.Outputs) != 1 {
		return false, nil
	}
	var ts []value
	for _, v := range vs {
		t, ok := im.twinOf(v)
		if !ok {
			t, ok = im.twin[v.id]
			if !ok || im.g.Tensors[t.id].Const == nil {
				return false, nil
			}
		}
		ts = append(ts, t)
	}
	switch n.OpType {
	case "Add", "Mul":
		yq, qs := im.qdqOutput(n.Outputs[0], im.binaryPerm(vs))
		if yq == nil {
			return false, nil
		}
		op := kernels.OpAdd
		if n.OpType == "Mul" {
			op = kernels.OpMul
		}
		y, err := im.emitQBinary(op, ts[0], ts[1], yq)
		if err != nil {
			return false, err
		}
		im.finishQDQ(qs, y)
		return true, nil
	case "GlobalAveragePool", "AveragePool":
		r := len(im.logicalShape(vs[0]))
		yq, qs := im.qdqOutput(n.Outputs[0], channelsLast(r))
		if yq == nil {
			return false, nil
		}
		var y value
		var err error
		if n.OpType == "GlobalAveragePool" {
			y, err = im.emitGAP(ts[0], yq)
		} else {
			var pr pooled
			pr, err = im.emitPool(n, ts[0], yq)
			y = pr.value
		}
		if err != nil {
			return false, err
		}
		im.finishQDQ(qs, y)
		return true, nil
	case "MatMul", "Gemm":
		if len(ts) < 2 || im.g.Tensors[ts[1].id].Const == nil || len(im.logicalShape(vs[0])) < 1 {
			return false, nil
		}
		w := im.constOf(ts[1])
		wq := im.g.Tensors[ts[1].id].Quant
		if n.OpType == "Gemm" {
			if ta, _ := n.AttrInt("transA", 0); ta != 0 {
				return false, nil
			}
			if al, _ := n.AttrFloat("alpha", 1); al != 1 {
				return false, nil
			}
			if be, _ := n.AttrFloat("beta", 1); be != 1 {
				return false, nil
			}
			if tb, _ := n.AttrInt("transB", 0); tb != 0 {
				w = transposeConst(w, []int{1, 0})
				if !wq.PerTensor() {
					c := *wq
					c.Axis = 1 - c.Axis
					wq = &c
				}
			}
		}
		if len(w.Shape) != 2 || !wq.PerTensor() && wq.Axis != 1 {
			return false, nil
		}
		var bias *tensor.Tensor
		if len(ts) > 2 {
			bt := im.g.Tensors[ts[2].id]
			if bt.DType != tensor.Int32 || bt.Const == nil || bt.Const.Len() != w.Shape[1] {
				return false, nil
			}
			bias = bt.Const
		}
		yq, qs := im.qdqOutput(n.Outputs[0], nil)
		if yq == nil {
			return false, nil
		}
		y, err := im.emitQDense(ts[0], w, wq, bias, yq)
		if err != nil {
			return false, err
		}
		im.finishQDQ(qs, y)
		return true, nil
	}
	return false, nil
}

// binaryPerm is the layout broadcastOperands will choose for vs.
func (im *importer) binaryPerm(vs []value) []int {
	rank := 0
	for _, v := range vs {
		rank = max(rank, len(im.logicalShape(v)))
	}
	for _, v := range vs {
		if !im.isConst(v) && len(im.logicalShape(v)) == rank && v.perm != nil {
			return v.perm
		}
	}
	return nil
}

func (im *importer) emitGAP(x value, yq *graph.Quant) (value, error) {
	r := len(im.logicalShape(x))
	if r < 3 {
		return value{}, fmt.Errorf("input rank %d, want >= 3: %w", r, ErrInvalid)
	}
	xid, err := im.toPerm(x, channelsLast(r))
	if err != nil {
		return value{}, err
	}
	out := graph.Tensor{}
	if yq != nil {
		out = graph.Tensor{DType: tensor.Int8, Quant: yq}
	}
	ids, err := im.emitDeclared(graph.OpGlobalAvgPool, nil, []int{xid}, []graph.Tensor{out})
	if err != nil {
		return value{}, err
	}
	return value{id: ids[0], perm: channelsLast(r)}, nil
}

// quantPassthrough lists ops that move quantized integers without changing
// their meaning: their output keeps the input's parameters.
var quantPassthrough = map[graph.OpKind]bool{
	graph.OpReshape: true, graph.OpTranspose: true, graph.OpConcat: true, graph.OpPad: true,
	graph.OpGather: true, graph.OpIdentity: true, graph.OpPool: true,
}

// ---- integer ops (dynamic quantization) ----

// uint8Domain reports whether v holds ONNX uint8 values: a uint8 tensor or
// an int8 one holding uint8 values shifted by −128.
func (im *importer) uint8Domain(v value) bool {
	return im.dtype(v) == tensor.Uint8 || im.dtype(v) == tensor.Int8 && im.isShifted(v.id)
}

func onnxIntType(u8 bool) string {
	if u8 {
		return "uint8"
	}
	return "int8"
}

// integerOperand checks input i of an integer op (uint8 or int8) and its
// zero point, input zi (optional, same ONNX type). It returns the zero
// point's value (id −1 when absent).
func (im *importer) integerOperand(n *onnxpb.Node, i, zi int) (value, value, error) {
	v, err := im.need(n, i)
	if err != nil {
		return v, v, err
	}
	if dt := im.dtype(v); dt != tensor.Uint8 && dt != tensor.Int8 {
		return v, v, fmt.Errorf("input %q is %v, want uint8 or int8: %w", n.Inputs[i], dt, ErrUnsupported)
	}
	z, ok, err := im.in(n, zi)
	if err != nil || !ok {
		return v, value{id: -1}, err
	}
	if dt := im.dtype(z); dt != tensor.Uint8 && dt != tensor.Int8 || im.uint8Domain(z) != im.uint8Domain(v) {
		return v, z, fmt.Errorf("zero point %q is %s, input %q is %s: want the same type: %w",
			n.Inputs[zi], onnxIntType(im.uint8Domain(z)), n.Inputs[i], onnxIntType(im.uint8Domain(v)), ErrInvalid)
	}
	return v, z, nil
}

// convInteger: ConvInteger(x, w, x_zero_point?, w_zero_point?) → int32,
// channels last like Conv. w and its zero point must be constants; x's
// zero point (one value) may be computed at run time
// (DynamicQuantizeLinear).
func (im *importer) convInteger(n *onnxpb.Node) error {
	x, xz, err := im.integerOperand(n, 0, 2)
	if err != nil {
		return err
	}
	wv, wz, err := im.integerOperand(n, 1, 3)
	if err != nil {
		return err
	}
	w := im.constOf(wv)
	if w == nil {
		return &NotConstError{Input: n.Inputs[1], What: "weights"}
	}
	p, err := convParams(n, im.logicalShape(x), w.Shape)
	if err != nil {
		return err
	}
	r := len(w.Shape)
	if xz.id >= 0 {
		if s := im.logicalShape(xz); tensor.NumElems(s) != 1 {
			return fmt.Errorf("x_zero_point %q has shape %v, want a scalar (per-tensor): %w", n.Inputs[2], s, ErrInvalid)
		}
	}
	inputs := []int{0, im.g.AddConst(im.newName()+":w", transposeConst(w, channelsLast(r))), -1, -1}
	if xz.id >= 0 {
		if inputs[2], err = im.toPerm(xz, nil); err != nil {
			return err
		}
	}
	if wz.id >= 0 {
		c := im.constOf(wz)
		if c == nil {
			return &NotConstError{Input: n.Inputs[3], What: "w_zero_point"}
		}
		if k := c.Len(); len(c.Shape) > 1 || k != 1 && k != w.Shape[0] {
			return fmt.Errorf("w_zero_point %q has shape %v, want a scalar or [%d] (output channels) for weights %v: %w", n.Inputs[3], c.Shape, w.Shape[0], w.Shape, ErrInvalid)
		}
		inputs[3] = wz.id
	}
	if inputs[0], err = im.toPerm(x, channelsLast(r)); err != nil {
		return err
	}
	for inputs[len(inputs)-1] < 0 {
		inputs = inputs[:len(inputs)-1]
	}
	ids, err := im.emitDeclared(graph.OpConvInteger, p, inputs, []graph.Tensor{{DType: tensor.Int32}})
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: channelsLast(r)})
	return nil
}

// matMulInteger: MatMulInteger(A, B, a_zero_point?, b_zero_point?) → int32,
// numpy matmul; every input may be computed at run time. Zero points are
// per tensor, per row of A / column of B ([M], [N]) or the N-D
// [..., M, 1] / [..., 1, N] forms (checked by ops.Infer).
func (im *importer) matMulInteger(n *onnxpb.Node) error {
	a, az, err := im.integerOperand(n, 0, 2)
	if err != nil {
		return err
	}
	b, bz, err := im.integerOperand(n, 1, 3)
	if err != nil {
		return err
	}
	var inputs []int
	for _, v := range []value{a, b, az, bz} {
		id := -1
		if v.id >= 0 {
			if id, err = im.toPerm(v, nil); err != nil {
				return err
			}
		}
		inputs = append(inputs, id)
	}
	for inputs[len(inputs)-1] < 0 {
		inputs = inputs[:len(inputs)-1]
	}
	ids, err := im.emitDeclared(graph.OpMatMulInteger, nil, inputs, []graph.Tensor{{DType: tensor.Int32}})
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0]})
	return nil
}

// dynamicQuantizeLinear: DynamicQuantizeLinear(x) → y (uint8), y_scale,
// y_zero_point (scalars), all at run time.
func (im *importer) dynamicQuantizeLinear(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	if dt := im.dtype(x); dt != tensor.Float32 {
		return fmt.Errorf("input is %v, want float32: %w", dt, ErrUnsupported)
	}
	ids, err := im.emitDeclared(graph.OpDynamicQuantize, nil, []int{x.id},
		[]graph.Tensor{{DType: tensor.Uint8}, {DType: tensor.Float32}, {DType: tensor.Uint8}})
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: x.perm})
	im.set(n, 1, value{id: ids[1]})
	im.set(n, 2, value{id: ids[2]})
	return nil
}
