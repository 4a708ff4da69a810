package ptq

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

// Report summarizes what Quantize did.
type Report struct {
	// Quantized counts quantized nodes by op type; Float counts nodes of
	// quantizable op types that stayed float, with the reason in FloatWhy
	// ("node (op): reason").
	Quantized map[string]int
	Float     map[string]int
	FloatWhy  []string
	// Folded counts Relu/Clip nodes dropped into their producer's output range.
	Folded int
	// Activations is the number of QuantizeLinear/DequantizeLinear pairs;
	// Weights the number of int8 weight tensors.
	Activations, Weights int
	// ClampedBias counts bias values that did not fit in int32.
	ClampedBias int
	// BiasCorrected is the number of nodes whose bias the last of
	// BiasPasses bias-correction passes adjusted (Calibrator.Quantize).
	BiasCorrected, BiasPasses int
	// FloatActivations is the number of activations kept float (mixed
	// precision); Sensitivity lists every activation's measured
	// sensitivity, most sensitive first (Calibrator.Quantize with
	// Config.FloatActivations > 0; the first FloatActivations are float).
	FloatActivations int
	Sensitivity      []Sensitivity
	// RangeSearched is the number of activations whose range the range
	// search (Config.RangeSearch) took from another method than Config.Method.
	RangeSearched int
}

// String prints the report on a few lines.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "quantized nodes: %s\n", joinCounts(r.Quantized))
	if len(r.Float) > 0 {
		fmt.Fprintf(&b, "float nodes of quantizable types: %s\n", joinCounts(r.Float))
	}
	fmt.Fprintf(&b, "activation Q/DQ pairs: %d, int8 weight tensors: %d, folded Relu/Clip: %d", r.Activations, r.Weights, r.Folded)
	if r.ClampedBias > 0 {
		fmt.Fprintf(&b, ", bias values clamped to int32: %d", r.ClampedBias)
	}
	if r.FloatActivations > 0 {
		fmt.Fprintf(&b, "\nactivations kept float (most sensitive): %d:", r.FloatActivations)
		for _, s := range r.Sensitivity[:r.FloatActivations] {
			fmt.Fprintf(&b, " %s (%.2g)", s.Tensor, s.Error)
		}
	}
	if r.RangeSearched > 0 {
		fmt.Fprintf(&b, "\nrange search: %d activations took another method's range", r.RangeSearched)
	}
	if r.BiasPasses > 0 {
		fmt.Fprintf(&b, "\nbias correction: %d nodes, %d passes", r.BiasCorrected, r.BiasPasses)
	}
	return b.String()
}

func joinCounts(m map[string]int) string {
	var s []string
	for k, v := range m {
		s = append(s, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(s)
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// MetadataKey is the model metadata entry Quantize writes (how the model was quantized).
const MetadataKey = "ocellus.ptq"

// Quantize returns a QDQ copy of a prepared float model (see Prepare) with
// activation ranges from calibration (Calibrator.Ranges); m is not modified.
//
// The result is a standard ONNX QDQ model, the format ONNX Runtime's
// quantizer writes and runs:
//
//   - weights of Conv, MatMul and Gemm: int8 initializers, symmetric
//     (zero point 0, values in [−127, 127]), one scale per output channel
//     (cfg.PerChannel), read through DequantizeLinear (axis = the output
//     channel axis);
//   - biases of Conv and Gemm: int32 initializers with scale
//     x_scale·w_scale[oc] and zero point 0, read through DequantizeLinear;
//   - activations: uint8 asymmetric per tensor, one QuantizeLinear →
//     DequantizeLinear pair on each input and output of a quantized node (a
//     graph input right after the input, a graph output before it, so the
//     model keeps float inputs and outputs); every consumer reads the
//     dequantized value;
//   - Relu and Clip(lo ≤ 0 ≤ hi) after a quantized node are dropped: the
//     node's output range (calibrated after the activation) clamps instead;
//   - pass-through ops (MaxPool, Reshape, Flatten, Transpose, Squeeze,
//     Unsqueeze, Resize, Slice, Split, Gather, Pad, DepthToSpace,
//     SpaceToDepth) whose input is quantized get the input's scale and zero
//     point on their outputs;
//   - constant operands of Add, Mul and Concat: uint8 initializers with their
//     own min/max range.
//
// Quantized: Conv, MatMul, Gemm, Add, Mul, GlobalAveragePool, AveragePool,
// Concat and the pass-through ops. Everything else (Softmax, Sigmoid,
// HardSigmoid, HardSwish, ConvTranspose, ...) stays float between
// DequantizeLinear and QuantizeLinear.
//
// The refinements of cfg that rerun calibration samples (RangeSearch,
// FloatActivations, BiasCorrection) are Calibrator.Quantize's; Quantize
// ignores them.
func Quantize(m *onnxpb.Model, ranges map[string]Range, cfg Config) (*onnxpb.Model, *Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	qm, q, err := quantize(m, ranges, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	return qm, q.rep, nil
}

// quantize is Quantize without the config check; the quantizer it returns
// maps the nodes of m (by index) to their rewritten copies (q.nodes), and
// tensors in floatActs keep no Q/DQ pair (mixed precision).
func quantize(m *onnxpb.Model, ranges map[string]Range, cfg Config, floatActs map[string]bool) (*onnxpb.Model, *quantizer, error) {
	if m == nil || m.Graph == nil {
		return nil, nil, fmt.Errorf("ptq: model has no graph: %w", ErrModel)
	}
	if m.Opset("") < TargetOpset {
		return nil, nil, fmt.Errorf("ptq: model opset %d < %d: run Prepare first: %w", m.Opset(""), TargetOpset, ErrModel)
	}
	m, err := cloneModel(m)
	if err != nil {
		return nil, nil, err
	}
	q := &quantizer{g: m.Graph, cfg: cfg, inits: initMap(m.Graph), nm: newNamer(m.Graph),
		rep: &Report{Quantized: map[string]int{}, Float: map[string]int{}},
		dq:  map[string]string{}, params: map[string]qparams{}, weights: map[string]*weightDQ{}}
	q.plan = makePlan(q.g, cfg.FloatFirst, cfg.FloatLast)
	q.plan.keepFloatActs(q.g, floatActs)
	q.nodes = append([]*onnxpb.Node{}, q.g.Nodes...)
	if err := q.resolveParams(ranges); err != nil {
		return nil, nil, err
	}
	if err := q.rewrite(); err != nil {
		return nil, nil, err
	}
	removeDead(q.g)
	desc := fmt.Sprintf("method=%v per_channel=%v", cfg.Method, cfg.PerChannel)
	if cfg.FloatFirst > 0 || cfg.FloatLast > 0 {
		desc += fmt.Sprintf(" float_first=%d float_last=%d", cfg.FloatFirst, cfg.FloatLast)
	}
	if cfg.Method == Percentile {
		desc += fmt.Sprintf(" percentile=%g", cfg.Percentile)
	}
	props := m.MetadataProps[:0]
	for _, p := range m.MetadataProps {
		if p.Key != MetadataKey {
			props = append(props, p)
		}
	}
	m.MetadataProps = append(props, &onnxpb.StringStringEntry{Key: MetadataKey, Value: desc})
	return m, q, nil
}

type quantizer struct {
	g       *onnxpb.Graph
	cfg     Config
	plan    *plan
	inits   map[string]*onnxpb.Tensor
	nm      *namer
	rep     *Report
	dq      map[string]string    // quantized activation → its DequantizeLinear output
	params  map[string]qparams   // quantized activation → its parameters
	weights map[string]*weightDQ // cache key → dequantized constant
	head    []*onnxpb.Node       // DequantizeLinear of constants, graph-input Q/DQ
	nodes   []*onnxpb.Node       // the nodes of the source graph by index (rewritten in place)
}

type weightDQ struct {
	out    string    // DequantizeLinear output
	scales []float32 // weight scales (roleWeight)
}

// resolveParams computes the parameters of every quantized activation.
func (q *quantizer) resolveParams(ranges map[string]Range) error {
	names := make([]string, 0, len(q.plan.tensors))
	for t := range q.plan.tensors {
		names = append(names, t)
	}
	sort.Strings(names)
	prod := producerMap(q.g)
	for _, t := range names {
		src := q.plan.tensors[t]
		r, ok := ranges[src]
		for s := src; !ok; {
			pi, has := prod[s]
			if !has || !aliasOp(q.g.Nodes[pi].OpType) || len(q.g.Nodes[pi].Inputs) == 0 {
				return fmt.Errorf("ptq: tensor %q: %w", src, ErrNoRange)
			}
			s = q.g.Nodes[pi].Inputs[0]
			r, ok = ranges[s]
		}
		q.params[t] = actParams(r)
	}
	return nil
}

// rewrite rebuilds the node list with the Q/DQ nodes.
func (q *quantizer) rewrite() error {
	g := q.g
	p := q.plan
	outs := outputSet(g)
	folded := map[int]bool{}
	for ai, pi := range p.folds {
		g.Nodes[pi].Outputs[0] = g.Nodes[ai].Outputs[0]
		folded[ai] = true
		q.rep.Folded++
	}
	// Graph inputs first.
	for _, in := range g.Inputs {
		if _, ok := p.tensors[in.Name]; ok {
			q.head = append(q.head, q.qdq(in.Name, nil, outs)...)
		}
	}
	var body []*onnxpb.Node
	for i, n := range g.Nodes {
		if folded[i] {
			continue
		}
		if p.quantized[i] {
			q.rep.Quantized[n.OpType]++
			orig := append([]string{}, n.Inputs...)
			for j, r := range p.roles[i] {
				if r.role == roleNone {
					continue
				}
				out, err := q.constDQ(n, orig, p.roles[i], j)
				if err != nil {
					return err
				}
				n.Inputs[j] = out
			}
		} else if why, ok := p.reasons[i]; ok {
			q.rep.Float[n.OpType]++
			q.rep.FloatWhy = append(q.rep.FloatWhy, fmt.Sprintf("%s (%s): %s", nodeBase(n), n.OpType, why))
		}
		for j, in := range n.Inputs {
			if d, ok := q.dq[in]; ok {
				n.Inputs[j] = d
			}
		}
		body = append(body, n)
		for _, o := range n.Outputs {
			if _, ok := p.tensors[o]; ok && o != "" {
				body = append(body, q.qdq(o, n, outs)...)
			}
		}
	}
	g.Nodes = append(q.head, body...)
	return nil
}

// qdq makes the QuantizeLinear → DequantizeLinear pair of activation t,
// produced by node prod (nil for a graph input).
func (q *quantizer) qdq(t string, prod *onnxpb.Node, outs map[string]bool) []*onnxpb.Node {
	pr := q.params[t]
	scale := q.nm.name(t + "_scale")
	zp := q.nm.name(t + "_zero_point")
	q.g.Initializers = append(q.g.Initializers,
		newFloatTensor(scale, nil, []float32{pr.scale}),
		newUint8Tensor(zp, nil, []uint8{pr.zp}))
	src, dqOut := t, ""
	if outs[t] && prod != nil {
		// Keep the graph output's name on the dequantized value.
		src = q.nm.name(t + "_float")
		for i, o := range prod.Outputs {
			if o == t {
				prod.Outputs[i] = src
			}
		}
		dqOut = t
	} else {
		dqOut = q.nm.name(t + "_dequantized")
	}
	qOut := q.nm.name(t + "_quantized")
	q.dq[t] = dqOut
	q.rep.Activations++
	return []*onnxpb.Node{
		{OpType: "QuantizeLinear", Name: q.nm.name(t + "_QuantizeLinear"), Inputs: []string{src, scale, zp}, Outputs: []string{qOut}},
		{OpType: "DequantizeLinear", Name: q.nm.name(t + "_DequantizeLinear"), Inputs: []string{qOut, scale, zp}, Outputs: []string{dqOut}},
	}
}

// constDQ quantizes input j of node n (a weight, bias or constant operand)
// and returns the name of its DequantizeLinear output; orig are n's inputs
// before the rewrite, roles their roles.
func (q *quantizer) constDQ(n *onnxpb.Node, orig []string, roles []inputRole, j int) (string, error) {
	name, r := orig[j], roles[j]
	t := q.inits[name]
	v, err := floatData(t)
	if err != nil {
		return "", err
	}
	switch r.role {
	case roleWeight:
		key := fmt.Sprintf("w:%s:%d", name, r.axis)
		minScale, err := q.biasBound(orig, roles)
		if err != nil {
			return "", err
		}
		if minScale != nil {
			key += ":" + nodeBase(n) // scales adjusted for this node's bias
		}
		if w := q.weights[key]; w != nil {
			return w.out, nil
		}
		qv, scales := quantizeWeights(v, t.Dims, r.axis, q.cfg.PerChannel, minScale)
		out := q.emitDQ(name, t.Dims, scales, r.axis, func(qn string) *onnxpb.Tensor {
			return newInt8Tensor(qn, append([]int64{}, t.Dims...), qv)
		}, func(zn string, dims []int64) *onnxpb.Tensor {
			return newInt8Tensor(zn, dims, make([]int8, len(scales)))
		})
		q.weights[key] = &weightDQ{out: out, scales: scales}
		q.rep.Weights++
		return out, nil
	case roleBias:
		if _, ok := q.params[orig[0]]; !ok {
			return name, nil // a float input (mixed precision): the bias stays float
		}
		// The weight (input 1) was quantized first: roles are in input order.
		key := fmt.Sprintf("w:%s:%d", orig[1], roles[1].axis)
		if w := q.weights[key+":"+nodeBase(n)]; w != nil {
			key += ":" + nodeBase(n)
		}
		w := q.weights[key]
		if w == nil {
			return "", fmt.Errorf("ptq: node %q: bias before its weights (internal error)", nodeBase(n))
		}
		xs := q.params[orig[0]].scale
		qv, scales, clamped := quantizeBias(v, xs, w.scales)
		q.rep.ClampedBias += clamped
		return q.emitDQ(name, t.Dims, scales, 0, func(qn string) *onnxpb.Tensor {
			return newInt32Tensor(qn, append([]int64{}, t.Dims...), qv)
		}, func(zn string, dims []int64) *onnxpb.Tensor {
			return newInt32Tensor(zn, dims, make([]int32, len(scales)))
		}), nil
	case roleConst:
		key := "c:" + name
		if w := q.weights[key]; w != nil {
			return w.out, nil
		}
		qv, pr := quantizeConst(v)
		out := q.emitDQ(name, t.Dims, []float32{pr.scale}, 0, func(qn string) *onnxpb.Tensor {
			return newUint8Tensor(qn, append([]int64{}, t.Dims...), qv)
		}, func(zn string, dims []int64) *onnxpb.Tensor {
			return newUint8Tensor(zn, dims, []uint8{pr.zp})
		})
		q.weights[key] = &weightDQ{out: out}
		return out, nil
	}
	return name, nil
}

// emitDQ adds the quantized initializer, its scale and zero point, and a
// DequantizeLinear node (per axis when there is more than one scale).
func (q *quantizer) emitDQ(name string, dims []int64, scales []float32, axis int,
	data func(string) *onnxpb.Tensor, zero func(string, []int64) *onnxpb.Tensor) string {
	qn := q.nm.name(name + "_quantized")
	sn := q.nm.name(name + "_scale")
	zn := q.nm.name(name + "_zero_point")
	var sdims []int64
	if len(scales) > 1 {
		sdims = []int64{int64(len(scales))}
	}
	q.g.Initializers = append(q.g.Initializers, data(qn), newFloatTensor(sn, sdims, scales), zero(zn, sdims))
	out := q.nm.name(name + "_dequantized")
	node := &onnxpb.Node{OpType: "DequantizeLinear", Name: q.nm.name(name + "_DequantizeLinear"),
		Inputs: []string{qn, sn, zn}, Outputs: []string{out}}
	if len(scales) > 1 {
		node.Attributes = []*onnxpb.Attribute{intAttr("axis", int64(axis))}
	}
	q.head = append(q.head, node)
	return out
}

// biasBound returns, for a node with an int32 bias, the smallest weight
// scale per output channel that keeps |bias/(x_scale·w_scale)| within int32
// — nil when every channel's own scale already does (the usual case).
func (q *quantizer) biasBound(orig []string, roles []inputRole) ([]float32, error) {
	if len(roles) < 3 || roles[2].role != roleBias {
		return nil, nil
	}
	if _, ok := q.params[orig[0]]; !ok {
		return nil, nil // a float input: the bias stays float
	}
	b, err := floatData(q.inits[orig[2]])
	if err != nil {
		return nil, err
	}
	t := q.inits[orig[1]]
	w, err := floatData(t)
	if err != nil {
		return nil, err
	}
	xs := float64(q.params[orig[0]].scale)
	_, wscales := quantizeWeights(w, t.Dims, roles[1].axis, q.cfg.PerChannel, nil)
	bound := make([]float32, len(b))
	need := false
	for c, v := range b {
		// 2^31 − 256 leaves room for float32 rounding of the scale.
		m := float32(math.Abs(float64(v)) / (xs * (math.MaxInt32 - 256)))
		ws := wscales[0]
		if len(wscales) > 1 {
			ws = wscales[c]
		}
		if m > ws {
			bound[c] = m
			need = true
		}
	}
	if !need {
		return nil, nil
	}
	return bound, nil
}
