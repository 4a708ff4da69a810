package ptq

import (
	"fmt"
	"math"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

// TargetOpset is the default-domain opset of prepared and quantized models:
// the first with per-axis QuantizeLinear/DequantizeLinear.
const TargetOpset = 13

// Prepare returns a pre-processed copy of a float model, ready for
// calibration and Quantize; m is not modified. The copy computes the same
// function (ONNX Runtime runs both identically up to float rounding):
//
//   - Constant nodes become initializers, and initializers are removed from
//     the graph inputs (they are constants, not overridable inputs);
//   - the default-domain opset is raised to 13 (IR version to 7), converting
//     the ops whose signature changed on the way: Squeeze, Unsqueeze,
//     ReduceSum and Split (attributes become inputs), Softmax, LogSoftmax and
//     Hardmax (axis semantics: wrapped in Flatten/Reshape unless the axis is
//     -1), Clip and Pad before 11, Slice and TopK before 10, the spatial
//     attribute of BatchNormalization before 9. Models older than opset 7,
//     and Upsample, Resize before 11 and Scan before 9, are refused;
//   - BatchNormalization after a Conv is folded into the Conv's weights and
//     bias: with s = gamma/sqrt(var+eps), W'[oc] = W[oc]·s[oc] and
//     B'[oc] = (B[oc] − mean[oc])·s[oc] + beta[oc];
//   - Identity nodes, and Dropout nodes whose mask nobody reads, are removed;
//   - Reshape, Flatten and Transpose of initializers become initializers (a
//     MatMul whose weights are a reshaped constant gets int8 weights);
//   - nodes, initializers and value_info nobody uses are removed, and the
//     nodes are put in topological order.
func Prepare(m *onnxpb.Model) (*onnxpb.Model, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("ptq: model has no graph: %w", ErrModel)
	}
	m, err := cloneModel(m)
	if err != nil {
		return nil, err
	}
	g := m.Graph
	if err := topoSort(g); err != nil {
		return nil, err
	}
	if err := constantsToInitializers(g); err != nil {
		return nil, err
	}
	inits := initMap(g)
	ins := g.Inputs[:0]
	for _, v := range g.Inputs {
		if inits[v.Name] == nil {
			ins = append(ins, v)
		}
	}
	g.Inputs = ins
	if err := upgradeOpset(m); err != nil {
		return nil, err
	}
	removeIdentities(g)
	if err := foldConstants(g); err != nil {
		return nil, err
	}
	if err := foldBatchNorms(g); err != nil {
		return nil, err
	}
	removeDead(g)
	return m, nil
}

// constantsToInitializers turns top-level Constant nodes (value, value_float(s),
// value_int(s)) into initializers.
func constantsToInitializers(g *onnxpb.Graph) error {
	pinned := subgraphRefs(g)
	kept := g.Nodes[:0]
	for _, n := range g.Nodes {
		if n.OpType != "Constant" || !isDefault(n) || len(n.Outputs) != 1 || n.Outputs[0] == "" || pinned[n.Outputs[0]] {
			kept = append(kept, n)
			continue
		}
		var t *onnxpb.Tensor
		name := n.Outputs[0]
		switch {
		case n.HasAttr("value"):
			v, err := n.AttrTensor("value")
			if err != nil {
				return fmt.Errorf("ptq: %w", err)
			}
			c := *v
			c.Name = name
			t = &c
		case n.HasAttr("value_float"):
			v, err := n.AttrFloat("value_float", 0)
			if err != nil {
				return fmt.Errorf("ptq: %w", err)
			}
			t = newFloatTensor(name, nil, []float32{v})
		case n.HasAttr("value_floats"):
			v, err := n.AttrFloats("value_floats", nil)
			if err != nil {
				return fmt.Errorf("ptq: %w", err)
			}
			t = newFloatTensor(name, []int64{int64(len(v))}, v)
		case n.HasAttr("value_int"):
			v, err := n.AttrInt("value_int", 0)
			if err != nil {
				return fmt.Errorf("ptq: %w", err)
			}
			t = newInt64Tensor(name, nil, []int64{v})
		case n.HasAttr("value_ints"):
			v, err := n.AttrInts("value_ints", nil)
			if err != nil {
				return fmt.Errorf("ptq: %w", err)
			}
			t = newInt64Tensor(name, []int64{int64(len(v))}, v)
		default: // sparse or string constants: leave the node
			kept = append(kept, n)
			continue
		}
		g.Initializers = append(g.Initializers, t)
	}
	g.Nodes = kept
	return nil
}

// removeIdentities drops Identity nodes and Dropout nodes (inference: the
// identity on output 0) whose mask output is unused.
func removeIdentities(g *onnxpb.Graph) {
	for {
		pinned := subgraphRefs(g)
		outs, ins := outputSet(g), inputSet(g)
		inits := initMap(g)
		prod := producerMap(g)
		changed := false
		for i, n := range g.Nodes {
			if !isDefault(n) || len(n.Inputs) < 1 || len(n.Outputs) < 1 {
				continue
			}
			switch n.OpType {
			case "Identity":
			case "Dropout":
				if len(n.Outputs) > 1 && n.Outputs[1] != "" {
					continue
				}
			default:
				continue
			}
			x, y := n.Inputs[0], n.Outputs[0]
			if x == "" || y == "" || pinned[y] {
				continue
			}
			if !outs[y] {
				replaceInputs(g, y, x)
			} else {
				// y names a graph output: the producer of x writes y instead.
				_, produced := prod[x]
				if !produced || outs[x] || ins[x] || inits[x] != nil || pinned[x] {
					continue
				}
				renameValue(g, x, y)
			}
			g.Nodes = append(g.Nodes[:i], g.Nodes[i+1:]...)
			changed = true
			break
		}
		if !changed {
			return
		}
	}
}

// foldBatchNorms folds BatchNormalization nodes into the Conv before them.
func foldBatchNorms(g *onnxpb.Graph) error {
	nm := newNamer(g)
	for {
		inits := initMap(g)
		prod := producerMap(g)
		cons := consumerMap(g)
		outs := outputSet(g)
		pinned := subgraphRefs(g)
		changed := false
		for bi, bn := range g.Nodes {
			if bn.OpType != "BatchNormalization" || !isDefault(bn) || len(bn.Inputs) != 5 {
				continue
			}
			if len(bn.Outputs) > 1 && bn.Outputs[1] != "" {
				continue // training statistics requested
			}
			if tm, _ := bn.AttrInt("training_mode", 0); tm != 0 {
				continue
			}
			y := bn.Inputs[0]
			ci, ok := prod[y]
			if !ok || len(cons[y]) != 1 || outs[y] || pinned[y] {
				continue
			}
			conv := g.Nodes[ci]
			if conv.OpType != "Conv" || !isDefault(conv) || len(conv.Inputs) < 2 || len(conv.Outputs) != 1 {
				continue
			}
			w := inits[conv.Inputs[1]]
			var b *onnxpb.Tensor
			if len(conv.Inputs) > 2 && conv.Inputs[2] != "" {
				if b = inits[conv.Inputs[2]]; b == nil {
					continue
				}
			}
			p := make([]*onnxpb.Tensor, 4)
			for i := range p {
				p[i] = inits[bn.Inputs[i+1]]
			}
			if w == nil || w.DataType != onnxpb.DataTypeFloat || len(w.Dims) < 3 || p[0] == nil || p[1] == nil || p[2] == nil || p[3] == nil {
				continue
			}
			eps, err := bn.AttrFloat("epsilon", 1e-5)
			if err != nil {
				return fmt.Errorf("ptq: %w", err)
			}
			wv, err := floatData(w)
			if err != nil {
				return err
			}
			var pv [4][]float32
			oc := int(w.Dims[0])
			bad := false
			for i := range pv {
				if p[i].DataType != onnxpb.DataTypeFloat {
					bad = true
					break
				}
				if pv[i], err = floatData(p[i]); err != nil {
					return err
				}
				if len(pv[i]) != oc {
					bad = true
				}
			}
			bv := make([]float32, oc)
			if b != nil {
				if b.DataType != onnxpb.DataTypeFloat {
					bad = true
				} else if v, err := floatData(b); err != nil {
					return err
				} else if len(v) != oc {
					bad = true
				} else {
					copy(bv, v)
				}
			}
			if bad || oc == 0 || len(wv)%oc != 0 {
				continue
			}
			gamma, beta, mean, variance := pv[0], pv[1], pv[2], pv[3]
			per := len(wv) / oc
			nw := make([]float32, len(wv))
			nb := make([]float32, oc)
			for c := 0; c < oc; c++ {
				s := float64(gamma[c]) / math.Sqrt(float64(variance[c])+float64(eps))
				for i := c * per; i < (c+1)*per; i++ {
					nw[i] = float32(float64(wv[i]) * s)
				}
				nb[c] = float32((float64(bv[c])-float64(mean[c]))*s + float64(beta[c]))
			}
			wn := nm.name(conv.Inputs[1] + "_bnfold")
			bnn := nm.name(conv.Inputs[1] + "_bnfold_bias")
			g.Initializers = append(g.Initializers,
				newFloatTensor(wn, append([]int64{}, w.Dims...), nw),
				newFloatTensor(bnn, []int64{int64(oc)}, nb))
			conv.Inputs = []string{conv.Inputs[0], wn, bnn}
			conv.Outputs[0] = bn.Outputs[0]
			g.Nodes = append(g.Nodes[:bi], g.Nodes[bi+1:]...)
			changed = true
			break
		}
		if !changed {
			return nil
		}
	}
}

// foldConstants replaces Reshape, Flatten and (float) Transpose nodes whose
// data input is an initializer, and whose shape input if any is one too, by
// an initializer holding the result.
func foldConstants(g *onnxpb.Graph) error {
	pinned := subgraphRefs(g)
	outs := outputSet(g)
	inits := initMap(g)
	kept := g.Nodes[:0]
	for _, n := range g.Nodes {
		t, err := foldConstNode(n, inits)
		if err != nil {
			return err
		}
		if t == nil || outs[n.Outputs[0]] || pinned[n.Outputs[0]] {
			kept = append(kept, n)
			continue
		}
		g.Initializers = append(g.Initializers, t)
		inits[t.Name] = t
	}
	g.Nodes = kept
	return nil
}

// foldConstNode returns the initializer node n computes, or nil if n is not
// a foldable Reshape, Flatten or Transpose of constants.
func foldConstNode(n *onnxpb.Node, inits map[string]*onnxpb.Tensor) (*onnxpb.Tensor, error) {
	if !isDefault(n) || len(n.Inputs) < 1 || len(n.Outputs) != 1 || n.Outputs[0] == "" {
		return nil, nil
	}
	x := inits[n.Inputs[0]]
	if x == nil || x.DataLocation != onnxpb.DataLocationDefault {
		return nil, nil
	}
	size, err := x.NumElements()
	if err != nil {
		return nil, fmt.Errorf("ptq: %w", err)
	}
	var dims []int64
	switch n.OpType {
	case "Reshape":
		if len(n.Inputs) != 2 || inits[n.Inputs[1]] == nil {
			return nil, nil
		}
		spec, err := inits[n.Inputs[1]].Int64s()
		if err != nil {
			return nil, nil
		}
		allowZero, _ := n.AttrInt("allowzero", 0)
		dims = make([]int64, len(spec))
		known, infer := int64(1), -1
		for i, d := range spec {
			switch {
			case d == 0 && allowZero == 0 && i < len(x.Dims):
				dims[i] = x.Dims[i]
			case d == -1 && infer < 0:
				infer = i
				continue
			case d < 0:
				return nil, nil
			default:
				dims[i] = d
			}
			known *= dims[i]
		}
		if infer >= 0 {
			if known == 0 || int64(size)%known != 0 {
				return nil, nil
			}
			dims[infer] = int64(size) / known
		}
	case "Flatten":
		axis, _ := n.AttrInt("axis", 1)
		if axis < 0 {
			axis += int64(len(x.Dims))
		}
		if axis < 0 || axis > int64(len(x.Dims)) {
			return nil, nil
		}
		a := int64(1)
		for _, d := range x.Dims[:axis] {
			a *= d
		}
		if a == 0 {
			return nil, nil
		}
		dims = []int64{a, int64(size) / a}
	case "Transpose":
		if x.DataType != onnxpb.DataTypeFloat {
			return nil, nil
		}
		return transposeInit(n, x)
	default:
		return nil, nil
	}
	prod := int64(1)
	for _, d := range dims {
		prod *= d
	}
	if prod != int64(size) {
		return nil, nil
	}
	c := *x
	c.Name, c.Dims = n.Outputs[0], dims
	return &c, nil
}

// transposeInit evaluates Transpose (attribute perm, default reversed axes)
// of a float initializer.
func transposeInit(n *onnxpb.Node, x *onnxpb.Tensor) (*onnxpb.Tensor, error) {
	r := len(x.Dims)
	rev := make([]int64, r)
	for i := range rev {
		rev[i] = int64(r - 1 - i)
	}
	perm, err := n.AttrInts("perm", rev)
	if err != nil || len(perm) != r {
		return nil, nil
	}
	seen := make([]bool, r)
	for _, p := range perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return nil, nil
		}
		seen[p] = true
	}
	v, err := floatData(x)
	if err != nil {
		return nil, err
	}
	dims := make([]int64, r)
	for i, p := range perm {
		dims[i] = x.Dims[p]
	}
	// Strides of the input, then walk the output in order.
	stride := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		stride[i] = s
		s *= int(x.Dims[i])
	}
	out := make([]float32, len(v))
	idx := make([]int, r)
	for o := range out {
		src := 0
		for i, p := range perm {
			src += idx[i] * stride[p]
		}
		out[o] = v[src]
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < int(dims[i]) {
				break
			}
			idx[i] = 0
		}
	}
	return newFloatTensor(n.Outputs[0], dims, out), nil
}
