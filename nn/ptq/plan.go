package ptq

import (
	"sort"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

// opClass says how the quantizer treats an op.
type opClass uint8

const (
	classFloat   opClass = iota // stays float
	classCompute                // quantized inputs, its own output range
	classPass                   // data movement: output shares the input's scale and zero point
)

func classOf(n *onnxpb.Node) opClass {
	if !isDefault(n) {
		return classFloat
	}
	switch n.OpType {
	case "Conv", "MatMul", "Gemm", "Add", "Mul", "GlobalAveragePool", "AveragePool", "Concat":
		return classCompute
	case "MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Resize",
		"Slice", "Split", "Gather", "DepthToSpace", "SpaceToDepth", "Pad":
		return classPass
	}
	return classFloat
}

// aliasOp reports ops whose output holds the same values as their first input
// (reordered, a subset, or the identity): the ocellus importer may give such
// an output no tensor of its own, so its calibration range is the input's.
func aliasOp(op string) bool {
	switch op {
	case "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Dropout",
		"MaxPool", "Slice", "Split", "Gather", "DepthToSpace", "SpaceToDepth":
		return true
	}
	return false
}

// weightRole says what a constant input of a quantized node becomes.
type weightRole uint8

const (
	roleNone   weightRole = iota
	roleWeight            // int8 symmetric, per channel along axis
	roleBias              // int32, scale = x_scale · w_scale
	roleConst             // uint8 asymmetric per tensor (a constant operand of Add, Mul, Concat)
)

type inputRole struct {
	role weightRole
	axis int // roleWeight: output-channel axis
}

// plan is what the quantizer will do to a prepared graph: which nodes are
// quantized, which activations get a QuantizeLinear/DequantizeLinear pair and
// where their scale and zero point come from.
type plan struct {
	folds     map[int]int         // activation node → its producer (the activation is dropped)
	quantized map[int]bool        // node index → quantized
	roles     map[int][]inputRole // quantized node → role of each input
	// tensors maps each activation that gets a Q/DQ pair to the tensor whose
	// range sets its parameters: itself, or (through pass-through ops) the
	// input of the chain.
	tensors map[string]string
	// reasons maps nodes of quantizable op types that stay float to why.
	reasons map[int]string
}

// calibrated lists the tensors whose ranges calibration must provide, sorted.
func (p *plan) calibrated() []string {
	set := map[string]bool{}
	for _, src := range p.tensors {
		set[src] = true
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// typeInfo infers element types and constness of every value of g.
type typeInfo struct {
	elem  map[string]onnxpb.DataType
	konst map[string]bool // initializers and values computed only from them
}

func inferTypes(g *onnxpb.Graph) *typeInfo {
	ti := &typeInfo{elem: map[string]onnxpb.DataType{}, konst: map[string]bool{}}
	for _, t := range g.Initializers {
		ti.elem[t.Name] = t.DataType
		ti.konst[t.Name] = true
	}
	for _, v := range append(append([]*onnxpb.ValueInfo{}, g.Inputs...), g.ValueInfo...) {
		if v.Type.IsTensor() && v.Type.Tensor.ElemType != onnxpb.DataTypeUndefined {
			if _, ok := ti.elem[v.Name]; !ok {
				ti.elem[v.Name] = v.Type.Tensor.ElemType
			}
		}
	}
	for _, n := range g.Nodes {
		allConst := len(n.Inputs) > 0
		first := onnxpb.DataTypeUndefined
		for _, in := range n.Inputs {
			if in == "" {
				continue
			}
			if !ti.konst[in] {
				allConst = false
			}
			if first == onnxpb.DataTypeUndefined {
				first = ti.elem[in]
			}
		}
		for i, o := range n.Outputs {
			if o == "" {
				continue
			}
			if allConst && isDefault(n) {
				ti.konst[o] = true
			}
			if _, ok := ti.elem[o]; ok {
				continue // declared in value_info
			}
			ti.elem[o] = outType(n, i, first, ti)
		}
	}
	return ti
}

// outType infers the element type of output i of n; first is the type of
// its first input.
func outType(n *onnxpb.Node, i int, first onnxpb.DataType, ti *typeInfo) onnxpb.DataType {
	if !isDefault(n) {
		return onnxpb.DataTypeUndefined
	}
	switch n.OpType {
	case "Shape", "Size", "NonZero", "ArgMax", "ArgMin":
		return onnxpb.DataTypeInt64
	case "Cast":
		to, _ := n.AttrInt("to", 0)
		return onnxpb.DataType(to)
	case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf":
		return onnxpb.DataTypeBool
	case "ConstantOfShape":
		if t, err := n.AttrTensor("value"); err == nil && t != nil {
			return t.DataType
		}
		return onnxpb.DataTypeFloat
	case "Constant":
		if t, err := n.AttrTensor("value"); err == nil && t != nil {
			return t.DataType
		}
		return onnxpb.DataTypeUndefined
	case "TopK", "MaxPool":
		if i == 1 {
			return onnxpb.DataTypeInt64
		}
	case "DequantizeLinear":
		return onnxpb.DataTypeFloat
	case "QuantizeLinear":
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			return ti.elem[n.Inputs[2]]
		}
		return onnxpb.DataTypeUint8
	case "Where":
		if len(n.Inputs) > 1 {
			return ti.elem[n.Inputs[1]]
		}
	}
	return first
}

// isActivation reports whether value s is a float tensor computed at run time.
func (ti *typeInfo) isActivation(s string) bool {
	return s != "" && ti.elem[s] == onnxpb.DataTypeFloat && !ti.konst[s]
}

// makePlan decides how to quantize a prepared graph. The first floatFirst
// and the last floatLast nodes (in graph order) of quantizable compute op
// types stay float (Config.FloatFirst, Config.FloatLast).
func makePlan(g *onnxpb.Graph, floatFirst, floatLast int) *plan {
	ti := inferTypes(g)
	inits := initMap(g)
	prod := producerMap(g)
	cons := consumerMap(g)
	outs := outputSet(g)
	ins := inputSet(g)
	pinned := subgraphRefs(g)
	p := &plan{folds: map[int]int{}, quantized: map[int]bool{}, roles: map[int][]inputRole{},
		tensors: map[string]string{}, reasons: map[int]string{}}

	// 1. Which compute nodes can be quantized, with the role of each input.
	for i, n := range g.Nodes {
		if classOf(n) != classCompute {
			continue
		}
		roles, why := computeRoles(n, ti, inits)
		if why != "" {
			for _, in := range n.Inputs {
				if ti.isActivation(in) { // a float op left float (not shape arithmetic)
					p.reasons[i] = why
					break
				}
			}
			continue
		}
		if len(n.Outputs) != 1 || !ti.isActivation(n.Outputs[0]) {
			p.reasons[i] = "output is not a float activation"
			continue
		}
		p.quantized[i] = true
		p.roles[i] = roles
	}
	keepFloat(g, p, floatFirst, floatLast)
	// 2. Relu / Clip(lo <= 0 <= hi) right after a quantized node: the
	// quantized output range does the clamping (ONNX Runtime's quantizer
	// drops them the same way).
	for i, n := range g.Nodes {
		if !isDefault(n) || (n.OpType != "Relu" && n.OpType != "Clip") || len(n.Inputs) < 1 || len(n.Outputs) != 1 {
			continue
		}
		x, y := n.Inputs[0], n.Outputs[0]
		pi, ok := prod[x]
		if !ok || !p.quantized[pi] || len(cons[x]) != 1 || outs[x] || pinned[x] || pinned[y] || ins[y] {
			continue
		}
		if n.OpType == "Clip" {
			lo, hi, ok := clipBounds(n, inits)
			if !ok || lo > 0 || hi < 0 {
				continue
			}
		}
		p.folds[i] = pi
	}
	// effOut maps a folded producer's output to the activation's output.
	effOut := map[string]string{}
	for ai, pi := range p.folds {
		effOut[g.Nodes[pi].Outputs[0]] = g.Nodes[ai].Outputs[0]
	}
	// 3. Activations of quantized compute nodes: their own ranges.
	for i, n := range g.Nodes {
		if !p.quantized[i] {
			continue
		}
		for j, in := range n.Inputs {
			if p.roles[i][j].role == roleNone && ti.isActivation(in) {
				p.tensors[in] = in
			}
		}
		o := n.Outputs[0]
		if e, ok := effOut[o]; ok {
			o = e
		}
		p.tensors[o] = o
	}
	// 4. Pass-through nodes whose data input is quantized: their outputs share
	// its parameters (in topological order, so chains propagate).
	for i, n := range g.Nodes {
		if classOf(n) != classPass || len(n.Inputs) < 1 {
			continue
		}
		x := n.Inputs[0]
		src, ok := p.tensors[x]
		if !ok {
			continue
		}
		if n.OpType == "Pad" && !zeroPad(n, inits) {
			p.reasons[i] = "Pad with a non-zero constant"
			continue
		}
		outsOK := true
		for j, o := range n.Outputs {
			if o != "" && !ti.isActivation(o) && !(n.OpType == "MaxPool" && j == 1) {
				outsOK = false
			}
		}
		if !outsOK {
			continue
		}
		p.quantized[i] = true
		for j, o := range n.Outputs {
			if o != "" && !(n.OpType == "MaxPool" && j == 1) {
				p.tensors[o] = src
			}
		}
	}
	// A value that is both a graph input and output cannot be renamed.
	for t := range p.tensors {
		if ins[t] && outs[t] {
			delete(p.tensors, t)
		}
	}
	return p
}

// zeroPad reports whether a Pad node pads with zeros (or copies values: edge, reflect).
func zeroPad(n *onnxpb.Node, inits map[string]*onnxpb.Tensor) bool {
	mode, _ := n.AttrString("mode", "constant")
	if mode != "constant" || len(n.Inputs) < 3 || n.Inputs[2] == "" {
		return true
	}
	t := inits[n.Inputs[2]]
	if t == nil || t.DataType != onnxpb.DataTypeFloat {
		return false
	}
	v, err := t.Float32s()
	return err == nil && len(v) == 1 && v[0] == 0
}

// computeRoles checks that a compute node can be quantized and gives the
// role of each of its inputs; why says what prevents it.
func computeRoles(n *onnxpb.Node, ti *typeInfo, inits map[string]*onnxpb.Tensor) ([]inputRole, string) {
	roles := make([]inputRole, len(n.Inputs))
	floatInit := func(s string) *onnxpb.Tensor {
		if t := inits[s]; t != nil && t.DataType == onnxpb.DataTypeFloat {
			return t
		}
		return nil
	}
	switch n.OpType {
	case "Conv":
		if len(n.Inputs) < 2 || !ti.isActivation(n.Inputs[0]) {
			return nil, "input is not a float activation"
		}
		w := floatInit(n.Inputs[1])
		if w == nil || len(w.Dims) < 3 || w.Dims[0] < 1 {
			return nil, "weights are not a float initializer"
		}
		roles[1] = inputRole{role: roleWeight, axis: 0}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			b := floatInit(n.Inputs[2])
			if b == nil || len(b.Dims) != 1 || b.Dims[0] != w.Dims[0] {
				return nil, "bias is not a float initializer of one value per output channel"
			}
			roles[2] = inputRole{role: roleBias, axis: 0}
		}
	case "MatMul":
		if len(n.Inputs) != 2 || !ti.isActivation(n.Inputs[0]) {
			return nil, "input A is not a float activation"
		}
		if w := floatInit(n.Inputs[1]); w != nil {
			if len(w.Dims) != 2 {
				return nil, "constant B is not 2-D"
			}
			roles[1] = inputRole{role: roleWeight, axis: 1}
		} else if !ti.isActivation(n.Inputs[1]) {
			return nil, "input B is neither an initializer nor a float activation"
		}
	case "Gemm":
		if len(n.Inputs) < 2 || !ti.isActivation(n.Inputs[0]) {
			return nil, "input A is not a float activation"
		}
		w := floatInit(n.Inputs[1])
		if w == nil || len(w.Dims) != 2 {
			return nil, "B is not a 2-D float initializer"
		}
		transB, _ := n.AttrInt("transB", 0)
		axis := 1
		if transB != 0 {
			axis = 0
		}
		roles[1] = inputRole{role: roleWeight, axis: axis}
		if len(n.Inputs) > 2 && n.Inputs[2] != "" {
			alpha, _ := n.AttrFloat("alpha", 1)
			beta, _ := n.AttrFloat("beta", 1)
			c := floatInit(n.Inputs[2])
			switch {
			case c == nil:
				return nil, "C is not a float initializer"
			case alpha == 1 && beta == 1 && len(c.Dims) == 1 && c.Dims[0] == w.Dims[axis]:
				roles[2] = inputRole{role: roleBias, axis: 0}
			default:
				// Kept float: a bias quantized with x_scale·w_scale must be added
				// to the accumulator unscaled and one value per output.
			}
		}
	case "Add", "Mul", "Concat":
		if len(n.Inputs) < 1 || (n.OpType != "Concat" && len(n.Inputs) != 2) {
			return nil, "unexpected inputs"
		}
		act := 0
		for j, in := range n.Inputs {
			switch {
			case ti.isActivation(in):
				act++
			case floatInit(in) != nil:
				roles[j] = inputRole{role: roleConst}
			default:
				return nil, "an input is neither a float activation nor a float initializer"
			}
		}
		if act == 0 {
			return nil, "all inputs are constant"
		}
	case "GlobalAveragePool", "AveragePool":
		if len(n.Inputs) != 1 || !ti.isActivation(n.Inputs[0]) {
			return nil, "input is not a float activation"
		}
	default:
		return nil, "not quantizable"
	}
	return roles, ""
}

// keepFloat takes the first first and the last last quantizable compute
// nodes (in graph order) out of the plan, so they run in float between a
// DequantizeLinear of their input and their float output.
func keepFloat(g *onnxpb.Graph, p *plan, first, last int) {
	var idx []int
	for i := range g.Nodes {
		if p.quantized[i] {
			idx = append(idx, i)
		}
	}
	for k, i := range idx {
		switch {
		case k < first:
			p.reasons[i] = "kept float (first quantizable nodes)"
		case k >= len(idx)-last:
			p.reasons[i] = "kept float (last quantizable nodes)"
		default:
			continue
		}
		delete(p.quantized, i)
		delete(p.roles, i)
	}
}

// keepFloatActs takes the activations in acts out of the plan (mixed
// precision): they get no Q/DQ pair, nor do the pass-through values sharing
// their parameters, and a Relu/Clip folded into their producer stays a node.
// Their producer then writes a float value and their readers read it.
func (p *plan) keepFloatActs(g *onnxpb.Graph, acts map[string]bool) {
	if len(acts) == 0 {
		return
	}
	for t, src := range p.tensors {
		if acts[src] {
			delete(p.tensors, t)
		}
	}
	for ai := range p.folds {
		if acts[g.Nodes[ai].Outputs[0]] {
			delete(p.folds, ai)
		}
	}
}
