package finetune

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
)

// exportInt8 is ExportONNX for a version trained on an int8 base, with a
// head-only tail: the base's quantized graph (raised to opset 13 by
// ptq.Prepare, which keeps QOperator nodes as they are) up to the head's
// quantized input features, then the new head in QDQ form:
//
//	DequantizeLinear(Flatten(features)) → Gemm(·, DQ(W int8, per column), DQ(b int32)) → Q → DQ → "logits"
//
// (the int8 tail LoadModel runs; with Int8Report.Tail TailFloat the Gemm
// reads float W and b and its output is not quantized).
func exportInt8(blob []byte, basePath string) ([]byte, error) {
	h, _, q, t, err := rebuild(blob, basePath)
	if err != nil {
		return nil, err
	}
	if q == nil || h.Int8 == nil {
		return nil, fmt.Errorf("finetune: export: the blob's int8 header and its base %s disagree", basePath)
	}
	if h.CutNode != train.HeadNode || h.LastLayers != 0 {
		tail := fmt.Sprintf("the last %d layers", h.LastLayers)
		if h.CutNode != "" {
			tail = fmt.Sprintf("from node %q", h.CutNode)
		}
		return nil, fmt.Errorf("%w: only head-only versions are exported; this one's trained tail is %s (train with --epochs 0 for a head-only version)", ErrInt8Export, tail)
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
	x.prune(outName)
	if outName != train.HeadOutput && !x.nameUsed(train.HeadOutput) {
		x.g.Nodes[len(x.g.Nodes)-1].Outputs[0] = train.HeadOutput
		outName = train.HeadOutput
	}
	batch := &onnxpb.Dim{Value: 1, HasValue: true}
	if in := x.g.Inputs; len(in) > 0 && in[0].Type.IsTensor() && in[0].Type.Tensor.Shape != nil && len(in[0].Type.Tensor.Shape.Dims) > 0 {
		d := *in[0].Type.Tensor.Shape.Dims[0]
		batch = &d
	}
	x.g.Outputs = []*onnxpb.ValueInfo{{Name: outName, Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor,
		Tensor: &onnxpb.TensorType{ElemType: onnxpb.DataTypeFloat, Shape: &onnxpb.Shape{Dims: []*onnxpb.Dim{batch, {Value: int64(len(h.Classes)), HasValue: true}}}}}}}
	classes, err := json.Marshal(h.Classes)
	if err != nil {
		return nil, err
	}
	var meta []*onnxpb.StringStringEntry
	for _, e := range om.MetadataProps {
		if !strings.HasPrefix(e.Key, "ocellus.") {
			meta = append(meta, e)
		}
	}
	om.MetadataProps = append(meta,
		&onnxpb.StringStringEntry{Key: MetaClasses, Value: string(classes)},
		&onnxpb.StringStringEntry{Key: MetaPreprocess, Value: h.Preprocess},
		&onnxpb.StringStringEntry{Key: MetaBase, Value: h.BaseModel + " sha256:" + h.BaseSHA256})
	out := om.Marshal()
	if _, err := onnx.Import(out, nil); err != nil {
		return nil, fmt.Errorf("finetune: export: the exported model does not import: %w", err)
	}
	return out, nil
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
