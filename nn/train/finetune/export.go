package finetune

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
)

// ONNX metadata keys ExportONNX writes (Model.metadata_props).
const (
	MetaClasses    = "ocellus.classes"    // JSON array of the class names, in output order
	MetaPreprocess = "ocellus.preprocess" // the blob's preprocessing (preprocess.Spec text form)
	MetaBase       = "ocellus.base_model" // base model file name and SHA-256
)

// ExportONNX writes a BlobFormat model version as a standalone ONNX model:
// the base model's own graph (basePath must be the file it was trained
// from: the SHA-256 is checked), with
//
//   - the trained weights of every Conv and Gemm/MatMul node of the tail
//     written as new initializers (named "<node>.trained_w" / "_b") that
//     the node reads instead of the base's; each is first checked to be,
//     before training, exactly the base's tensor, so a weight that a graph
//     rewrite changed on import is refused rather than exported wrongly;
//   - the old classifier (and whatever followed it: Softmax, bias, clips)
//     removed, and the new head appended to the classifier's input
//     features: Flatten(axis 1) → Gemm(W [features][classes], bias), whose
//     output "logits" ([batch, classes], class logits, no softmax; "logits_N"
//     should a kept value already be named so) is the single graph output;
//   - BatchNormalization nodes, the input (name, NCHW shape), the opset and
//     everything before the tail exactly as in the base; nodes and
//     initializers only the old classifier used are dropped;
//   - metadata_props MetaClasses, MetaPreprocess and MetaBase.
//
// Errors name the node or tensor that cannot be mapped.
//
// A version trained on an int8 base (BlobHeader.Int8) is written
// differently: the base's quantized graph (raised to opset 13 by
// ptq.Prepare; QOperator nodes kept) up to the tail's quantized inputs,
// then the int8 tail LoadModel runs — QLinearConv, com.microsoft
// QLinearAdd/QLinearMul/QLinearGlobalAveragePool, Flatten, the head as
// DequantizeLinear → Gemm (int8 per-column weights and int32 bias through
// DequantizeLinear) → QuantizeLinear, then DequantizeLinear → "logits". A
// head-only version whose tail stayed float gets a float Gemm; other
// tails it cannot write fail with ErrInt8Export. Measured
// (TestInt8Hymenoptera, TestInt8QDQTiny with OCELLUS_ORTRUN set, and a
// phase-2 MobileNetV2 version): ONNX Runtime 1.30 gives LoadModel's logits
// exactly.
func ExportONNX(blob []byte, basePath string) ([]byte, error) {
	h, vals, err := DecodeBlob(blob)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(basePath)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != h.BaseSHA256 {
		return nil, fmt.Errorf("finetune: export: %s is not the model %s the blob was trained from (SHA-256 differs)", basePath, h.BaseModel)
	}
	if h.Int8 != nil {
		return exportInt8(blob, basePath)
	}
	// The tail as training saw it (as LoadModel rebuilds it).
	m, err := nn.Load(basePath, train.LoadOptions())
	if err != nil {
		return nil, err
	}
	g, err := train.ReplaceHead(m.Graph(), train.HeadConfig{Classes: len(h.Classes), Seed: h.HeadSeed})
	if err != nil {
		return nil, err
	}
	cut := train.Cut{Node: h.CutNode}
	if h.LastLayers > 0 {
		cut = train.Cut{LastLayers: h.LastLayers}
	}
	s, err := train.SplitAt(g, cut)
	if err != nil {
		return nil, err
	}
	tail, err := train.NewTail(s, train.TailOptions{Batch: 1})
	if err != nil {
		return nil, err
	}
	params := tail.Params()
	if len(params) != len(h.Tensors) {
		return nil, fmt.Errorf("finetune: export: blob has %d tensors, the tail %d", len(h.Tensors), len(params))
	}
	for i, p := range params {
		if p.Name != h.Tensors[i].Name || len(p.Value) != len(vals[i]) {
			return nil, fmt.Errorf("finetune: export: blob tensor %d is %q (%d values), the tail's %q (%d)", i, h.Tensors[i].Name, len(vals[i]), p.Name, len(p.Value))
		}
	}

	om, err := onnxpb.DecodeModel(raw)
	if err != nil {
		return nil, fmt.Errorf("finetune: export: %s: %w", basePath, err)
	}
	if om.Graph == nil {
		return nil, fmt.Errorf("finetune: export: %s has no graph", basePath)
	}
	x := &exporter{m: om, g: om.Graph, inits: map[string]*onnxpb.Tensor{}, producer: map[string]*onnxpb.Node{}}
	x.index()

	// Trained tail weights; the untrained values are the base's.
	init := tail.Snapshot()
	var head [2][]float32
	var headShape []int
	for i, p := range params {
		if p.Head {
			if p.Kind == train.Weight {
				head[0], headShape = vals[i], p.Shape
			} else {
				head[1] = vals[i]
			}
			continue
		}
		if err := x.replaceWeight(p, init[i], vals[i]); err != nil {
			return nil, err
		}
	}
	if head[0] == nil || len(headShape) != 2 || headShape[1] != len(h.Classes) {
		return nil, fmt.Errorf("finetune: export: the tail has no head weights [features][%d]", len(h.Classes))
	}

	// The head's input features, as an ONNX value.
	feat, err := headInput(s.Graph())
	if err != nil {
		return nil, err
	}
	if !x.isValue(feat) {
		return nil, fmt.Errorf("finetune: export: the head reads %q, which is no value of %s", feat, basePath)
	}
	outName := x.fresh(train.HeadOutput)
	flat := x.fresh(train.HeadFlatten + "_output")
	wName, bName := x.fresh("head.dense.weight"), x.fresh("head.dense.bias")
	bias := head[1]
	if bias == nil {
		bias = make([]float32, len(h.Classes))
	}
	x.g.Initializers = append(x.g.Initializers,
		floatTensor(wName, head[0], int64(headShape[0]), int64(headShape[1])),
		floatTensor(bName, bias, int64(len(bias))))
	x.g.Nodes = append(x.g.Nodes,
		&onnxpb.Node{Name: train.HeadFlatten, OpType: "Flatten", Inputs: []string{feat}, Outputs: []string{flat},
			Attributes: []*onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrTypeInt, I: 1}}},
		&onnxpb.Node{Name: train.HeadNode, OpType: "Gemm", Inputs: []string{flat, wName, bName}, Outputs: []string{outName}})
	return finishExport(x, om, h, outName)
}

// headInput returns the name of the tensor the new head's features come
// from (before HeadFlatten, if ReplaceHead added one).
func headInput(g *graph.Graph) (string, error) {
	for _, n := range g.Nodes {
		if n.Name != train.HeadNode {
			continue
		}
		id := n.Inputs[0]
		for _, f := range g.Nodes {
			if f.Name == train.HeadFlatten && len(f.Outputs) > 0 && f.Outputs[0] == id {
				id = f.Inputs[0]
			}
		}
		return g.Tensors[id].Name, nil
	}
	return "", fmt.Errorf("finetune: export: no %s node in the trained graph", train.HeadNode)
}

// exporter edits a decoded ONNX graph.
type exporter struct {
	m        *onnxpb.Model
	g        *onnxpb.Graph
	inits    map[string]*onnxpb.Tensor
	producer map[string]*onnxpb.Node
	live     map[*onnxpb.Node]bool // nodes the head's features need
}

func (x *exporter) index() {
	for _, t := range x.g.Initializers {
		x.inits[t.Name] = t
	}
	for _, n := range x.g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				x.producer[o] = n
			}
		}
	}
}

func (x *exporter) isValue(name string) bool {
	if x.producer[name] != nil {
		return true
	}
	for _, in := range x.g.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// node finds the ONNX node an IR node was imported from: the importer
// names IR nodes "<ONNX node name, or its first output>#<seq>".
func (x *exporter) node(irName string) (*onnxpb.Node, error) {
	base := irName
	if i := strings.LastIndexByte(base, '#'); i >= 0 {
		if _, err := strconv.Atoi(base[i+1:]); err == nil {
			base = base[:i]
		}
	}
	var found *onnxpb.Node
	for _, n := range x.g.Nodes {
		if n.Name == base || (n.Name == "" && len(n.Outputs) > 0 && n.Outputs[0] == base) {
			if found != nil {
				return nil, fmt.Errorf("finetune: export: two ONNX nodes match trained node %q", irName)
			}
			found = n
		}
	}
	if found == nil {
		return nil, fmt.Errorf("finetune: export: no ONNX node for trained node %q", irName)
	}
	return found, nil
}

// constant returns the value of an ONNX node input that is an initializer
// or a Constant node's output.
func (x *exporter) constant(name string) (*onnxpb.Tensor, error) {
	if t := x.inits[name]; t != nil {
		return t, nil
	}
	if p := x.producer[name]; p != nil && p.OpType == "Constant" {
		for _, a := range p.Attributes {
			if a.Name == "value" && a.T != nil {
				return a.T, nil
			}
		}
	}
	return nil, fmt.Errorf("finetune: export: %q is neither an initializer nor a Constant", name)
}

// replaceWeight points the ONNX node of a trained parameter at a new
// initializer holding v (in ONNX layout), after checking that the
// parameter's untrained value init is the node's current tensor.
func (x *exporter) replaceWeight(p *train.Param, init, v []float32) error {
	n, err := x.node(p.Node)
	if err != nil {
		return err
	}
	slot := 1
	if p.Kind == train.Bias {
		slot = 2
	}
	// toONNX: IR layout → the ONNX tensor's layout and dims.
	var perm []int
	var dims []int64
	switch n.OpType {
	case "Conv":
		// IR OHWI [OC][k...][C/G] → OIHW [OC][C/G][k...].
		if p.Kind == train.Weight {
			r := len(p.Shape)
			perm = append([]int{0, r - 1}, seq(1, r-1)...)
		}
	case "Gemm":
		tb, err := n.AttrInt("transB", 0)
		if err != nil {
			return fmt.Errorf("finetune: export: node %q: %w", n.Name, err)
		}
		if ta, _ := n.AttrInt("transA", 0); ta != 0 {
			return fmt.Errorf("finetune: export: Gemm node %q has transA: not supported", n.Name)
		}
		if p.Kind == train.Weight && tb != 0 {
			perm = []int{1, 0} // IR [in][out] → [out][in]
		}
	case "MatMul":
		if p.Kind == train.Bias {
			return fmt.Errorf("finetune: export: MatMul node %q has a trained bias the ONNX node cannot hold", n.Name)
		}
	default:
		return fmt.Errorf("finetune: export: trained node %q is an ONNX %s, want Conv, Gemm or MatMul", n.Name, n.OpType)
	}
	vo, shape := permute(v, p.Shape, perm)
	for _, d := range shape {
		dims = append(dims, int64(d))
	}
	label := fmt.Sprintf("%s node %q input %d", n.OpType, nodeLabel(n), slot)
	if slot < len(n.Inputs) && n.Inputs[slot] != "" {
		old, err := x.constant(n.Inputs[slot])
		if err != nil {
			return fmt.Errorf("%w (%s)", err, label)
		}
		ot, err := onnx.TensorFromProto(old)
		if err != nil {
			return fmt.Errorf("finetune: export: %s: %w", label, err)
		}
		if ot.DType != tensor.Float32 || tensor.NumElems(ot.Shape) != len(vo) {
			return fmt.Errorf("finetune: export: %s is %v %v, the trained tensor %q has %d values", label, ot.DType, ot.Shape, p.Name, len(vo))
		}
		// The untrained parameter must be the ONNX tensor itself.
		iv, _ := permute(init, p.Shape, perm)
		for i, w := range iv {
			if math.Float32bits(w) != math.Float32bits(ot.F32[i]) {
				return fmt.Errorf("finetune: export: %s differs from the weights training started from (%q at %d: %g vs %g): the importer changed it", label, p.Name, i, ot.F32[i], w)
			}
		}
		dims = old.Dims
	} else if p.Kind == train.Weight {
		return fmt.Errorf("finetune: export: %s is missing", label)
	}
	name := x.fresh(nodeLabel(n) + map[train.ParamKind]string{train.Weight: ".trained_w", train.Bias: ".trained_b"}[p.Kind])
	x.g.Initializers = append(x.g.Initializers, floatTensor(name, vo, dims...))
	x.inits[name] = x.g.Initializers[len(x.g.Initializers)-1]
	for len(n.Inputs) <= slot {
		n.Inputs = append(n.Inputs, "")
	}
	n.Inputs[slot] = name
	return nil
}

func nodeLabel(n *onnxpb.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if len(n.Outputs) > 0 {
		return n.Outputs[0]
	}
	return n.OpType
}

// nameUsed reports whether s names an initializer, a node output or a
// graph input (of the graph as it is now).
func (x *exporter) nameUsed(s string) bool {
	for _, t := range x.g.Initializers {
		if t.Name == s {
			return true
		}
	}
	for _, n := range x.g.Nodes {
		for _, o := range n.Outputs {
			if o == s {
				return true
			}
		}
	}
	for _, in := range x.g.Inputs {
		if in.Name == s {
			return true
		}
	}
	return false
}

// fresh returns name, or name_N, so that it is no tensor or value name of
// the graph yet.
func (x *exporter) fresh(name string) string {
	used := func(s string) bool {
		return x.inits[s] != nil || x.producer[s] != nil || x.nameUsed(s)
	}
	out := name
	for i := 1; used(out); i++ {
		out = fmt.Sprintf("%s_%d", name, i)
	}
	// Reserve it.
	x.producer[out] = &onnxpb.Node{}
	return out
}

// liveFrom marks the nodes the given values depend on.
func (x *exporter) liveFrom(values []string) {
	x.live = map[*onnxpb.Node]bool{}
	stack := append([]string(nil), values...)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := x.producer[v]
		if n == nil || x.live[n] {
			continue
		}
		x.live[n] = true
		stack = append(stack, n.Inputs...)
		stack = append(stack, subgraphInputs(n)...)
	}
}

// subgraphInputs lists the outer values a node's subgraphs (If, Loop)
// may read: every input name of their nodes.
func subgraphInputs(n *onnxpb.Node) []string {
	var out []string
	var walk func(g *onnxpb.Graph)
	walk = func(g *onnxpb.Graph) {
		if g == nil {
			return
		}
		for _, sn := range g.Nodes {
			out = append(out, sn.Inputs...)
			for _, a := range sn.Attributes {
				walk(a.G)
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
	}
	for _, a := range n.Attributes {
		walk(a.G)
		for _, sg := range a.Graphs {
			walk(sg)
		}
	}
	return out
}

// prune keeps the nodes out depends on, the initializers and inputs they
// read and the value_info of the values they produce.
func (x *exporter) prune(out string) {
	x.producer = map[string]*onnxpb.Node{}
	for _, n := range x.g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				x.producer[o] = n
			}
		}
	}
	x.liveFrom([]string{out})
	read := map[string]bool{}
	produced := map[string]bool{}
	var nodes []*onnxpb.Node
	for _, n := range x.g.Nodes {
		if !x.live[n] {
			continue
		}
		nodes = append(nodes, n)
		for _, i := range n.Inputs {
			read[i] = true
		}
		for _, i := range subgraphInputs(n) {
			read[i] = true
		}
		for _, o := range n.Outputs {
			produced[o] = true
		}
	}
	x.g.Nodes = nodes
	var inits []*onnxpb.Tensor
	for _, t := range x.g.Initializers {
		if read[t.Name] {
			inits = append(inits, t)
		}
	}
	x.g.Initializers = inits
	var ins []*onnxpb.ValueInfo
	for i, in := range x.g.Inputs {
		// The first input (the image) always stays; initializers listed as
		// inputs (old exporters) stay while read.
		if i == 0 || read[in.Name] || x.inits[in.Name] == nil {
			ins = append(ins, in)
		}
	}
	x.g.Inputs = ins
	var vi []*onnxpb.ValueInfo
	for _, v := range x.g.ValueInfo {
		if produced[v.Name] && v.Name != out {
			vi = append(vi, v)
		}
	}
	x.g.ValueInfo = vi
}

func floatTensor(name string, v []float32, dims ...int64) *onnxpb.Tensor {
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, FloatData: append([]float32(nil), v...)}
}

func seq(lo, hi int) []int {
	var out []int
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// permute returns v (shape) with its axes permuted (out axis i = in axis
// perm[i]), and the new shape; nil perm returns v as it is.
func permute(v []float32, shape, perm []int) ([]float32, []int) {
	if perm == nil {
		return v, shape
	}
	r := len(shape)
	ns := make([]int, r)
	for i, a := range perm {
		ns[i] = shape[a]
	}
	strides := make([]int, r)
	st := 1
	for i := r - 1; i >= 0; i-- {
		strides[i] = st
		st *= shape[i]
	}
	out := make([]float32, len(v))
	idx := make([]int, r)
	for o := range out {
		src := 0
		for i := range idx {
			src += idx[i] * strides[perm[i]]
		}
		out[o] = v[src]
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < ns[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, ns
}

// finishExport prunes the exported graph to what outName needs, names it
// "logits" if that name is free (the old output's, now that its node is
// gone), declares it as the single output, writes the metadata and checks
// that our importer takes the result.
func finishExport(x *exporter, om *onnxpb.Model, h BlobHeader, outName string) ([]byte, error) {
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
	if om.ProducerName == "" {
		om.ProducerName = "ocellus"
	}
	out := om.Marshal()
	if _, err := onnx.Import(out, nil); err != nil {
		return nil, fmt.Errorf("finetune: export: the exported model does not import: %w", err)
	}
	return out, nil
}
