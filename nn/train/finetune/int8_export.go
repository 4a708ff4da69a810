package finetune

import (
	"fmt"
	"math"
	"os"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
)

// exportInt8 is ExportONNX for a version trained on an int8 base. A
// head-only tail: the base's quantized graph (raised to opset 13 by
// ptq.Prepare, which keeps QOperator nodes as they are) up to the head's
// quantized input features, then the new head in QDQ form:
//
//	DequantizeLinear(Flatten(features)) → Gemm(·, DQ(W int8, per column), DQ(b int32)) → Q → DQ → "logits"
//
// (the int8 tail LoadModel runs; with Int8Report.Tail TailFloat the Gemm
// reads float W and b and its output is not quantized). A longer tail
// (phase 2) goes to exportInt8Tail.
func exportInt8(blob []byte, basePath string) ([]byte, error) {
	h, _, q, t, err := rebuild(blob, basePath)
	if err != nil {
		return nil, err
	}
	if q == nil || h.Int8 == nil {
		return nil, fmt.Errorf("finetune: export: the blob's int8 header and its base %s disagree", basePath)
	}
	if h.CutNode != train.HeadNode || h.LastLayers != 0 {
		if h.Int8.Tail != TailInt8 {
			return nil, fmt.Errorf("%w: a float tail is exported for head-only versions only (this one's tail stayed float: %s)", ErrInt8Export, h.Int8.Why)
		}
		return exportInt8Tail(h, q, t, basePath)
	}
	feat, err := headInput(t.Split().Graph())
	if err != nil {
		return nil, err
	}
	var fq *graph.Tensor
	for i := range q.Tensors {
		if q.Tensors[i].Const == nil && q.Tensors[i].Name == feat {
			fq = &q.Tensors[i]
		}
	}
	if fq == nil || fq.Quant == nil || !fq.Quant.PerTensor() {
		return nil, fmt.Errorf("%w: the head's features %q are not a per-tensor quantized value of the base", ErrInt8Export, feat)
	}
	var w, b []float32
	var wShape []int
	for _, p := range t.Params() {
		switch {
		case p.Node == train.HeadNode && p.Kind == train.Weight:
			w, wShape = p.Value, p.Shape
		case p.Node == train.HeadNode && p.Kind == train.Bias:
			b = p.Value
		}
	}
	if len(wShape) != 2 || wShape[1] != len(h.Classes) {
		return nil, fmt.Errorf("finetune: export: the tail has no head weights [features][%d]", len(h.Classes))
	}
	if b == nil {
		b = make([]float32, wShape[1])
	}

	raw, err := os.ReadFile(basePath)
	if err != nil {
		return nil, err
	}
	om, err := onnxpb.DecodeModel(raw)
	if err != nil {
		return nil, fmt.Errorf("finetune: export: %s: %w", basePath, err)
	}
	if om, err = ptq.Prepare(om); err != nil {
		return nil, fmt.Errorf("finetune: export: %s: %w", basePath, err)
	}
	x := &exporter{m: om, g: om.Graph, inits: map[string]*onnxpb.Tensor{}, producer: map[string]*onnxpb.Node{}}
	x.index()
	if !x.isValue(feat) {
		return nil, fmt.Errorf("%w: the head reads %q, which is no value of %s", ErrInt8Export, feat, basePath)
	}

	// The features' quantization in ONNX terms (uint8 when shifted).
	xs := fq.Quant.Scale[0]
	xzp := qzero(x.fresh("head.x_zero_point"), fq.Quant.ZeroPoint[0], fq.Quant.Shifted)
	xsName := x.fresh("head.x_scale")
	flat, xf := x.fresh(train.HeadFlatten+"_output"), x.fresh("head.x_dequantized")
	outName := x.fresh(train.HeadOutput)
	nodes := []*onnxpb.Node{
		{Name: train.HeadFlatten, OpType: "Flatten", Inputs: []string{feat}, Outputs: []string{flat},
			Attributes: []*onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrTypeInt, I: 1}}},
		{Name: "head/dequantize_x", OpType: "DequantizeLinear", Inputs: []string{flat, xsName, xzp.Name}, Outputs: []string{xf}},
	}
	inits := []*onnxpb.Tensor{floatTensor(xsName, []float32{xs}), xzp}
	k, n := wShape[0], wShape[1]
	if h.Int8.Tail == TailInt8 {
		r, ok := h.Int8.Ranges[train.HeadOutput]
		if !ok {
			return nil, fmt.Errorf("finetune: export: no calibrated range for %q", train.HeadOutput)
		}
		wq, ws := quantWeights(tensor.FromF32(w, k, n), 1)
		bq := make([]int32, n)
		bs := make([]float32, n)
		for i := range bq {
			bs[i] = float32(float64(xs) * float64(ws[i]))
			bq[i] = int32(math.Max(math.MinInt32, math.Min(math.MaxInt32, math.RoundToEven(float64(b[i])/(float64(xs)*float64(ws[i]))))))
		}
		yq := rangeQuant(ptq.Range{Min: r[0], Max: r[1]})
		names := map[string]string{}
		for _, s := range []string{"head.weight_quantized", "head.weight_scale", "head.weight_zero_point", "head.weight",
			"head.bias_quantized", "head.bias_scale", "head.bias_zero_point", "head.bias",
			"head.y", "head.y_scale", "head.y_zero_point", "head.y_quantized"} {
			names[s] = x.fresh(s)
		}
		inits = append(inits,
			&onnxpb.Tensor{Name: names["head.weight_quantized"], Dims: []int64{int64(k), int64(n)}, DataType: onnxpb.DataTypeInt8, RawData: int8Bytes(wq.I8)},
			floatTensor(names["head.weight_scale"], ws, int64(n)),
			&onnxpb.Tensor{Name: names["head.weight_zero_point"], Dims: []int64{int64(n)}, DataType: onnxpb.DataTypeInt8, RawData: make([]byte, n)},
			&onnxpb.Tensor{Name: names["head.bias_quantized"], Dims: []int64{int64(n)}, DataType: onnxpb.DataTypeInt32, Int32Data: bq},
			floatTensor(names["head.bias_scale"], bs, int64(n)),
			&onnxpb.Tensor{Name: names["head.bias_zero_point"], Dims: []int64{int64(n)}, DataType: onnxpb.DataTypeInt32, Int32Data: make([]int32, n)},
			floatTensor(names["head.y_scale"], yq.Scale),
			qzero(names["head.y_zero_point"], yq.ZeroPoint[0], yq.Shifted),
		)
		axis := func(a int64) []*onnxpb.Attribute {
			return []*onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrTypeInt, I: a}}
		}
		nodes = append(nodes,
			&onnxpb.Node{Name: "head/dequantize_w", OpType: "DequantizeLinear", Attributes: axis(1),
				Inputs: []string{names["head.weight_quantized"], names["head.weight_scale"], names["head.weight_zero_point"]}, Outputs: []string{names["head.weight"]}},
			&onnxpb.Node{Name: "head/dequantize_b", OpType: "DequantizeLinear", Attributes: axis(0),
				Inputs: []string{names["head.bias_quantized"], names["head.bias_scale"], names["head.bias_zero_point"]}, Outputs: []string{names["head.bias"]}},
			&onnxpb.Node{Name: train.HeadNode, OpType: "Gemm", Inputs: []string{xf, names["head.weight"], names["head.bias"]}, Outputs: []string{names["head.y"]}},
			&onnxpb.Node{Name: "head/quantize_y", OpType: "QuantizeLinear",
				Inputs: []string{names["head.y"], names["head.y_scale"], names["head.y_zero_point"]}, Outputs: []string{names["head.y_quantized"]}},
			&onnxpb.Node{Name: "head/dequantize_y", OpType: "DequantizeLinear",
				Inputs: []string{names["head.y_quantized"], names["head.y_scale"], names["head.y_zero_point"]}, Outputs: []string{outName}},
		)
	} else {
		wName, bName := x.fresh("head.dense.weight"), x.fresh("head.dense.bias")
		inits = append(inits, floatTensor(wName, w, int64(k), int64(n)), floatTensor(bName, b, int64(n)))
		nodes = append(nodes, &onnxpb.Node{Name: train.HeadNode, OpType: "Gemm", Inputs: []string{xf, wName, bName}, Outputs: []string{outName}})
	}
	x.g.Initializers = append(x.g.Initializers, inits...)
	x.g.Nodes = append(x.g.Nodes, nodes...)
	return finishExport(x, om, h, outName)
}

// qzero is a scalar zero-point initializer: uint8 (zp + 128) when the
// int8-space value holds a uint8 model's (shifted), else int8.
func qzero(name string, zp int32, shifted bool) *onnxpb.Tensor {
	if shifted {
		return &onnxpb.Tensor{Name: name, DataType: onnxpb.DataTypeUint8, RawData: []byte{byte(zp + 128)}}
	}
	return &onnxpb.Tensor{Name: name, DataType: onnxpb.DataTypeInt8, RawData: []byte{byte(int8(zp))}}
}

func int8Bytes(v []int8) []byte {
	out := make([]byte, len(v))
	for i, x := range v {
		out[i] = byte(x)
	}
	return out
}

// tailEmitter writes the int8 tail of an int8-base version (int8Graph's
// nodes from start on) as ONNX nodes after the base's quantized graph:
// QOperator nodes as the base's own (QLinearConv; com.microsoft
// QLinearAdd, QLinearMul, QLinearGlobalAveragePool), the head (Dense) in
// QDQ form. ONNX values are NCHW where the graph is channels-last.
type tailEmitter struct {
	x     *exporter
	c     *graph.Graph
	names map[int]string // graph tensor id → ONNX value name
	inits []*onnxpb.Tensor
	nodes []*onnxpb.Node
}

func (te *tailEmitter) fail(n *graph.Node, format string, a ...any) error {
	return fmt.Errorf("%w: tail node %q (%v): %s", ErrInt8Export, n.Name, n.Op, fmt.Sprintf(format, a...))
}

// qparams adds the scale and zero-point initializers of a per-tensor
// quantized tensor and returns their names.
func (te *tailEmitter) qparams(t *graph.Tensor, base string) (string, string) {
	s, z := te.x.fresh(base+"_scale"), te.x.fresh(base+"_zero_point")
	te.inits = append(te.inits, floatTensor(s, []float32{t.Quant.Scale[0]}), qzero(z, t.Quant.ZeroPoint[0], t.Quant.Shifted))
	return s, z
}

// qvalue returns the ONNX name of quantized runtime tensor id, or of a
// new initializer holding a quantized constant.
func (te *tailEmitter) qvalue(n *graph.Node, id int) (string, error) {
	t := &te.c.Tensors[id]
	if t.Quant == nil || !t.Quant.PerTensor() {
		return "", te.fail(n, "operand %q is not per-tensor quantized", t.Name)
	}
	if t.Const == nil {
		name, ok := te.names[id]
		if !ok {
			return "", te.fail(n, "operand %q has no ONNX value", t.Name)
		}
		return name, nil
	}
	name := te.x.fresh(t.Name)
	dims := make([]int64, len(t.Const.Shape))
	for i, d := range t.Const.Shape {
		dims[i] = int64(d)
	}
	raw := int8Bytes(t.Const.I8)
	dt := onnxpb.DataTypeInt8
	if t.Quant.Shifted {
		dt = onnxpb.DataTypeUint8
		for i := range raw {
			raw[i] += 128
		}
	}
	if len(dims) > 1 {
		return "", te.fail(n, "constant operand %q of rank %d (layout)", t.Name, len(dims))
	}
	te.inits = append(te.inits, &onnxpb.Tensor{Name: name, Dims: dims, DataType: dt, RawData: raw})
	return name, nil
}

func (te *tailEmitter) emit(n *graph.Node) error {
	c := te.c
	y := n.Outputs[0]
	yt := &c.Tensors[y]
	out := func() string {
		name := te.x.fresh(yt.Name)
		te.names[y] = name
		return name
	}
	attrInts := func(name string, v ...int) *onnxpb.Attribute {
		a := &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInts}
		for _, x := range v {
			a.Ints = append(a.Ints, int64(x))
		}
		return a
	}
	switch n.Op {
	case graph.OpConv:
		p := n.Params.(*graph.ConvParams)
		xt, wt := &c.Tensors[n.Inputs[0]], &c.Tensors[n.Inputs[1]]
		if len(xt.Shape) != 4 || p.Act.Kind != kernels.ActNone || wt.Quant == nil || yt.Quant == nil {
			return te.fail(n, "want a 2-D int8 convolution without a fused activation")
		}
		xv, err := te.qvalue(n, n.Inputs[0])
		if err != nil {
			return err
		}
		xs, xz := te.qparams(xt, xv)
		// IR OHWI [OC][kh][kw][C/G] → ONNX OIHW.
		oc, kh, kw, ci := wt.Shape[0], wt.Shape[1], wt.Shape[2], wt.Shape[3]
		w := make([]byte, len(wt.Const.I8))
		for o := 0; o < oc; o++ {
			for i := 0; i < kh; i++ {
				for j := 0; j < kw; j++ {
					for k := 0; k < ci; k++ {
						w[((o*ci+k)*kh+i)*kw+j] = byte(wt.Const.I8[((o*kh+i)*kw+j)*ci+k])
					}
				}
			}
		}
		wn, wsn, wzn := te.x.fresh(n.Name+".weight_quantized"), te.x.fresh(n.Name+".weight_scale"), te.x.fresh(n.Name+".weight_zero_point")
		te.inits = append(te.inits,
			&onnxpb.Tensor{Name: wn, Dims: []int64{int64(oc), int64(ci), int64(kh), int64(kw)}, DataType: onnxpb.DataTypeInt8, RawData: w},
			floatTensor(wsn, wt.Quant.Scale, int64(len(wt.Quant.Scale))),
			&onnxpb.Tensor{Name: wzn, Dims: []int64{int64(oc)}, DataType: onnxpb.DataTypeInt8, RawData: make([]byte, oc)})
		yv := out()
		ys, yz := te.qparams(yt, yv)
		ins := []string{xv, xs, xz, wn, wsn, wzn, ys, yz}
		if len(n.Inputs) > 2 && n.Inputs[2] >= 0 {
			bn := te.x.fresh(n.Name + ".bias_quantized")
			te.inits = append(te.inits, &onnxpb.Tensor{Name: bn, Dims: []int64{int64(oc)}, DataType: onnxpb.DataTypeInt32,
				Int32Data: append([]int32(nil), c.Tensors[n.Inputs[2]].Const.I32...)})
			ins = append(ins, bn)
		}
		pads := append(append([]int(nil), p.PadBegin...), p.PadEnd...)
		te.nodes = append(te.nodes, &onnxpb.Node{Name: n.Name, OpType: "QLinearConv", Inputs: ins, Outputs: []string{yv},
			Attributes: []*onnxpb.Attribute{attrInts("kernel_shape", kh, kw), attrInts("strides", p.Strides...),
				attrInts("pads", pads...), attrInts("dilations", p.Dilations...), {Name: "group", Type: onnxpb.AttrTypeInt, I: int64(p.Groups)}}})
	case graph.OpBinary:
		p := n.Params.(*graph.BinaryParams)
		op := map[kernels.BinOp]string{kernels.OpAdd: "QLinearAdd", kernels.OpMul: "QLinearMul"}[p.Op]
		if op == "" || p.Act.Kind != kernels.ActNone || yt.Quant == nil {
			return te.fail(n, "only int8 Add and Mul without a fused activation")
		}
		var ins []string
		for _, id := range n.Inputs {
			v, err := te.qvalue(n, id)
			if err != nil {
				return err
			}
			s, z := te.qparams(&c.Tensors[id], v)
			ins = append(ins, v, s, z)
		}
		yv := out()
		ys, yz := te.qparams(yt, yv)
		te.nodes = append(te.nodes, &onnxpb.Node{Name: n.Name, OpType: op, Domain: "com.microsoft", Inputs: append(ins, ys, yz), Outputs: []string{yv}})
	case graph.OpGlobalAvgPool:
		xv, err := te.qvalue(n, n.Inputs[0])
		if err != nil {
			return err
		}
		xs, xz := te.qparams(&c.Tensors[n.Inputs[0]], xv)
		yv := out()
		ys, yz := te.qparams(yt, yv)
		te.nodes = append(te.nodes, &onnxpb.Node{Name: n.Name, OpType: "QLinearGlobalAveragePool", Domain: "com.microsoft",
			Inputs: []string{xv, xs, xz, ys, yz}, Outputs: []string{yv},
			Attributes: []*onnxpb.Attribute{{Name: "channels_last", Type: onnxpb.AttrTypeInt, I: 0}}})
	case graph.OpReshape, graph.OpIdentity:
		xt := &c.Tensors[n.Inputs[0]]
		xv, ok := te.names[n.Inputs[0]]
		if !ok {
			return te.fail(n, "input %q has no ONNX value", xt.Name)
		}
		vec := func(s []int) bool {
			big := 0
			for _, d := range s[1:] {
				if d != 1 {
					big++
				}
			}
			return len(s) >= 2 && big <= 1
		}
		switch {
		case n.Op == graph.OpIdentity, len(yt.Shape) > 2 && vec(xt.Shape) && vec(yt.Shape):
			te.names[y] = xv // a [N, C, 1, 1] vector stays as it is
		case len(yt.Shape) == 2 && vec(xt.Shape):
			yv := out()
			te.nodes = append(te.nodes, &onnxpb.Node{Name: n.Name, OpType: "Flatten", Inputs: []string{xv}, Outputs: []string{yv},
				Attributes: []*onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrTypeInt, I: 1}}})
		default:
			return te.fail(n, "reshape %v → %v moves channels (layout)", xt.Shape, yt.Shape)
		}
	case graph.OpDense:
		xt, wt := &c.Tensors[n.Inputs[0]], &c.Tensors[n.Inputs[1]]
		if len(xt.Shape) != 2 || wt.Quant == nil || yt.Quant == nil {
			return te.fail(n, "want an int8 [N, K] × [K, N] layer")
		}
		xv, err := te.qvalue(n, n.Inputs[0])
		if err != nil {
			return err
		}
		xs, xz := te.qparams(xt, xv)
		k, m := wt.Shape[0], wt.Shape[1]
		nm := func(s string) string { return te.x.fresh(n.Name + "." + s) }
		xf, wq, ws, wz, wf := nm("x"), nm("weight_quantized"), nm("weight_scale"), nm("weight_zero_point"), nm("weight")
		ax := func(a int64) []*onnxpb.Attribute {
			return []*onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrTypeInt, I: a}}
		}
		te.inits = append(te.inits,
			&onnxpb.Tensor{Name: wq, Dims: []int64{int64(k), int64(m)}, DataType: onnxpb.DataTypeInt8, RawData: int8Bytes(wt.Const.I8)},
			floatTensor(ws, wt.Quant.Scale, int64(m)),
			&onnxpb.Tensor{Name: wz, Dims: []int64{int64(m)}, DataType: onnxpb.DataTypeInt8, RawData: make([]byte, m)})
		te.nodes = append(te.nodes,
			&onnxpb.Node{Name: n.Name + "/dequantize_x", OpType: "DequantizeLinear", Inputs: []string{xv, xs, xz}, Outputs: []string{xf}},
			&onnxpb.Node{Name: n.Name + "/dequantize_w", OpType: "DequantizeLinear", Attributes: ax(1), Inputs: []string{wq, ws, wz}, Outputs: []string{wf}})
		gin := []string{xf, wf}
		if len(n.Inputs) > 2 && n.Inputs[2] >= 0 {
			bq, bs, bz, bf := nm("bias_quantized"), nm("bias_scale"), nm("bias_zero_point"), nm("bias")
			sc := make([]float32, m)
			for i := range sc {
				sc[i] = float32(float64(xt.Quant.Scale[0]) * float64(wt.Quant.Scale[i]))
			}
			te.inits = append(te.inits,
				&onnxpb.Tensor{Name: bq, Dims: []int64{int64(m)}, DataType: onnxpb.DataTypeInt32, Int32Data: append([]int32(nil), c.Tensors[n.Inputs[2]].Const.I32...)},
				floatTensor(bs, sc, int64(m)),
				&onnxpb.Tensor{Name: bz, Dims: []int64{int64(m)}, DataType: onnxpb.DataTypeInt32, Int32Data: make([]int32, m)})
			te.nodes = append(te.nodes, &onnxpb.Node{Name: n.Name + "/dequantize_b", OpType: "DequantizeLinear", Attributes: ax(0), Inputs: []string{bq, bs, bz}, Outputs: []string{bf}})
			gin = append(gin, bf)
		}
		yf := nm("y")
		yv := out()
		ys, yz := te.qparams(yt, yv)
		te.nodes = append(te.nodes,
			&onnxpb.Node{Name: n.Name, OpType: "Gemm", Inputs: gin, Outputs: []string{yf}},
			&onnxpb.Node{Name: n.Name + "/quantize_y", OpType: "QuantizeLinear", Inputs: []string{yf, ys, yz}, Outputs: []string{yv}})
	case graph.OpUnary:
		a := n.Params.(*graph.UnaryParams).Act
		xt := &c.Tensors[n.Inputs[0]]
		if yt.Quant == nil || (a.Kind != kernels.ActClip && a.Kind != kernels.ActRelu) {
			return te.fail(n, "only an int8 Clip or Relu (a lookup table here) has an ONNX form")
		}
		xv, err := te.qvalue(n, n.Inputs[0])
		if err != nil {
			return err
		}
		xs, xz := te.qparams(xt, xv)
		xf, af := te.x.fresh(n.Name+".x"), te.x.fresh(n.Name+".y")
		act := &onnxpb.Node{Name: n.Name, OpType: "Relu", Inputs: []string{xf}, Outputs: []string{af}}
		if a.Kind == kernels.ActClip {
			lo, hi := te.x.fresh(n.Name+".min"), te.x.fresh(n.Name+".max")
			te.inits = append(te.inits, floatTensor(lo, []float32{a.Min}), floatTensor(hi, []float32{a.Max}))
			act.OpType, act.Inputs = "Clip", []string{xf, lo, hi}
		}
		yv := out()
		ys, yz := te.qparams(yt, yv)
		te.nodes = append(te.nodes,
			&onnxpb.Node{Name: n.Name + "/dequantize", OpType: "DequantizeLinear", Inputs: []string{xv, xs, xz}, Outputs: []string{xf}},
			act,
			&onnxpb.Node{Name: n.Name + "/quantize", OpType: "QuantizeLinear", Inputs: []string{af, ys, yz}, Outputs: []string{yv}})
	case graph.OpQuantize:
		xv, ok := te.names[n.Inputs[0]]
		if !ok || c.Tensors[n.Inputs[0]].DType != tensor.Float32 || yt.Quant == nil {
			return te.fail(n, "want a float input with an ONNX value")
		}
		yv := out()
		ys, yz := te.qparams(yt, yv)
		te.nodes = append(te.nodes, &onnxpb.Node{Name: n.Name, OpType: "QuantizeLinear", Inputs: []string{xv, ys, yz}, Outputs: []string{yv}})
	case graph.OpDequantize:
		xt := &c.Tensors[n.Inputs[0]]
		xv, err := te.qvalue(n, n.Inputs[0])
		if err != nil {
			return err
		}
		xs, xz := te.qparams(xt, xv)
		yv := out()
		te.nodes = append(te.nodes, &onnxpb.Node{Name: n.Name, OpType: "DequantizeLinear", Inputs: []string{xv, xs, xz}, Outputs: []string{yv}})
	default:
		return te.fail(n, "no ONNX form here")
	}
	return nil
}

// exportInt8Tail is exportInt8 for a tail longer than the head (phase 2):
// the base's quantized graph up to the tail's inputs, then the int8 tail
// LoadModel runs, node by node (tailEmitter).
func exportInt8Tail(h BlobHeader, q *graph.Graph, t *train.Tail, basePath string) ([]byte, error) {
	c, err := int8Graph(q, t, rangesOf(h.Int8.Ranges))
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(basePath)
	if err != nil {
		return nil, err
	}
	om, err := onnxpb.DecodeModel(raw)
	if err != nil {
		return nil, fmt.Errorf("finetune: export: %s: %w", basePath, err)
	}
	if om, err = ptq.Prepare(om); err != nil {
		return nil, fmt.Errorf("finetune: export: %s: %w", basePath, err)
	}
	x := &exporter{m: om, g: om.Graph, inits: map[string]*onnxpb.Tensor{}, producer: map[string]*onnxpb.Node{}}
	x.index()
	te := &tailEmitter{x: x, c: c, names: map[int]string{}}
	_, cut, err := int8Backbone(q, t.Split().Inputs())
	if err != nil {
		return nil, err
	}
	for _, id := range cut {
		name := q.Tensors[id].Name
		if !x.isValue(name) {
			return nil, fmt.Errorf("%w: the tail reads %q, which is no value of %s", ErrInt8Export, name, basePath)
		}
		te.names[id] = name
	}
	for i := len(q.Nodes); i < len(c.Nodes); i++ {
		if err := te.emit(&c.Nodes[i]); err != nil {
			return nil, err
		}
	}
	outName, ok := te.names[c.Outputs[0]]
	if !ok {
		return nil, fmt.Errorf("finetune: export: the tail's output has no ONNX value")
	}
	hasMS := false
	for _, o := range om.OpsetImports {
		hasMS = hasMS || o.Domain == "com.microsoft"
	}
	if !hasMS {
		om.OpsetImports = append(om.OpsetImports, &onnxpb.OperatorSetID{Domain: "com.microsoft", Version: 1})
	}
	x.g.Initializers = append(x.g.Initializers, te.inits...)
	x.g.Nodes = append(x.g.Nodes, te.nodes...)
	return finishExport(x, om, h, outName)
}
