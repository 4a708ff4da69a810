package ptq

import (
	"fmt"
	"math"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

// upgradeOpset raises the default-domain opset to TargetOpset, rewriting the
// ops whose inputs or semantics changed between the model's opset and 13.
func upgradeOpset(m *onnxpb.Model) error {
	v := m.Opset("")
	if v == 0 {
		v = 1
	}
	if m.IRVersion < 7 {
		m.IRVersion = 7
	}
	if v >= TargetOpset {
		return nil
	}
	if v < 7 {
		return fmt.Errorf("ptq: opset %d is older than 7 (convert the model with onnx.version_converter first): %w", v, ErrModel)
	}
	nm := newNamer(m.Graph)
	if err := upgradeGraph(m.Graph, v, nm); err != nil {
		return err
	}
	found := false
	for _, o := range m.OpsetImports {
		if o.Domain == "" || o.Domain == "ai.onnx" {
			o.Version = TargetOpset
			found = true
		}
	}
	if !found {
		m.OpsetImports = append(m.OpsetImports, &onnxpb.OperatorSetID{Version: TargetOpset})
	}
	return nil
}

func upgradeGraph(g *onnxpb.Graph, v int64, nm *namer) error {
	var out []*onnxpb.Node
	for _, n := range g.Nodes {
		for _, a := range n.Attributes {
			if a.G != nil {
				if err := upgradeGraph(a.G, v, nm); err != nil {
					return err
				}
			}
			for _, sg := range a.Graphs {
				if err := upgradeGraph(sg, v, nm); err != nil {
					return err
				}
			}
		}
		if !isDefault(n) {
			out = append(out, n)
			continue
		}
		extra, err := upgradeNode(g, n, v, nm)
		if err != nil {
			name := n.Name
			if name == "" && len(n.Outputs) > 0 {
				name = n.Outputs[0]
			}
			return fmt.Errorf("ptq: upgrading node %q (%s) from opset %d to %d: %w", name, n.OpType, v, TargetOpset, err)
		}
		if extra != nil {
			out = append(out, extra...)
		} else {
			out = append(out, n)
		}
	}
	g.Nodes = out
	return nil
}

// attrToInput moves the INTS attribute attr of n to a new int64 initializer
// passed as input idx (inputs before it padded with ""). Absent: nothing.
func attrToInput(g *onnxpb.Graph, n *onnxpb.Node, attr string, idx int, nm *namer) error {
	if !n.HasAttr(attr) {
		return nil
	}
	v, err := n.AttrInts(attr, nil)
	if err != nil {
		return err
	}
	name := nm.name(nodeBase(n) + "_" + attr)
	g.Initializers = append(g.Initializers, newInt64Tensor(name, []int64{int64(len(v))}, append([]int64{}, v...)))
	setInput(n, idx, name)
	dropAttr(n, attr)
	return nil
}

func setInput(n *onnxpb.Node, idx int, name string) {
	for len(n.Inputs) <= idx {
		n.Inputs = append(n.Inputs, "")
	}
	n.Inputs[idx] = name
}

func nodeBase(n *onnxpb.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if len(n.Outputs) > 0 && n.Outputs[0] != "" {
		return n.Outputs[0]
	}
	return n.OpType
}

// upgradeNode converts one default-domain node from opset v. It returns the
// nodes that replace n, or nil to keep n (possibly modified in place).
func upgradeNode(g *onnxpb.Graph, n *onnxpb.Node, v int64, nm *namer) ([]*onnxpb.Node, error) {
	switch n.OpType {
	case "Squeeze", "Unsqueeze", "ReduceSum":
		return nil, attrToInput(g, n, "axes", 1, nm)
	case "Split":
		return nil, attrToInput(g, n, "split", 1, nm)
	case "Softmax", "LogSoftmax", "Hardmax":
		return upgradeSoftmax(g, n, nm)
	case "Clip":
		if v >= 11 {
			return nil, nil
		}
		for i, k := range []string{"min", "max"} {
			if !n.HasAttr(k) {
				continue
			}
			f, err := n.AttrFloat(k, 0)
			if err != nil {
				return nil, err
			}
			name := nm.name(nodeBase(n) + "_" + k)
			g.Initializers = append(g.Initializers, newFloatTensor(name, nil, []float32{f}))
			setInput(n, i+1, name)
			dropAttr(n, k)
		}
		return nil, nil
	case "Pad":
		if v >= 11 {
			return nil, nil
		}
		if err := attrToInput(g, n, "pads", 1, nm); err != nil {
			return nil, err
		}
		if n.HasAttr("value") {
			f, err := n.AttrFloat("value", 0)
			if err != nil {
				return nil, err
			}
			name := nm.name(nodeBase(n) + "_value")
			g.Initializers = append(g.Initializers, newFloatTensor(name, nil, []float32{f}))
			setInput(n, 2, name)
			dropAttr(n, "value")
		}
		return nil, nil
	case "Slice":
		if v >= 10 {
			return nil, nil
		}
		if !n.HasAttr("axes") {
			// Inputs are positional: give the default axes only if needed later (none).
			if err := attrToInput(g, n, "starts", 1, nm); err != nil {
				return nil, err
			}
			return nil, attrToInput(g, n, "ends", 2, nm)
		}
		for i, k := range []string{"starts", "ends", "axes"} {
			if err := attrToInput(g, n, k, i+1, nm); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case "TopK":
		if v >= 10 {
			return nil, nil
		}
		k, err := n.AttrInt("k", 0)
		if err != nil {
			return nil, err
		}
		name := nm.name(nodeBase(n) + "_k")
		g.Initializers = append(g.Initializers, newInt64Tensor(name, []int64{1}, []int64{k}))
		setInput(n, 1, name)
		dropAttr(n, "k")
		return nil, nil
	case "BatchNormalization":
		if v >= 9 {
			return nil, nil
		}
		if s, err := n.AttrInt("spatial", 1); err != nil {
			return nil, err
		} else if s != 1 {
			return nil, fmt.Errorf("spatial=%d has no opset-9 equivalent: %w", s, ErrModel)
		}
		dropAttr(n, "spatial")
		return nil, nil
	case "Dropout":
		if v < 12 {
			dropAttr(n, "ratio") // inference: the ratio does not matter
		}
		return nil, nil
	case "Upsample":
		return nil, fmt.Errorf("Upsample is deprecated; convert it to Resize first: %w", ErrModel)
	case "Resize":
		if v < 11 {
			return nil, fmt.Errorf("Resize-10 has no direct opset-13 equivalent here: %w", ErrModel)
		}
	case "Scan":
		if v < 9 {
			return nil, fmt.Errorf("Scan-8 has batch semantics opset 13 dropped: %w", ErrModel)
		}
	}
	return nil, nil
}

// upgradeSoftmax converts Softmax/LogSoftmax/Hardmax before opset 13 (which
// flattened the input to 2-D at axis, default 1) to opset 13 (one axis).
// axis = -1 means the same in both; otherwise the node is wrapped:
// Flatten(axis) → op(axis=-1) → Reshape(Shape(x)).
func upgradeSoftmax(g *onnxpb.Graph, n *onnxpb.Node, nm *namer) ([]*onnxpb.Node, error) {
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	if axis == -1 {
		setAttr(n, intAttr("axis", -1))
		return nil, nil
	}
	if len(n.Inputs) < 1 || len(n.Outputs) < 1 {
		return nil, fmt.Errorf("missing input or output: %w", ErrModel)
	}
	base := nodeBase(n)
	x, y := n.Inputs[0], n.Outputs[0]
	flat := nm.name(base + "_flat")
	sm := nm.name(base + "_2d")
	shape := nm.name(base + "_shape")
	nodes := []*onnxpb.Node{
		{OpType: "Flatten", Name: nm.name(base + "_Flatten"), Inputs: []string{x}, Outputs: []string{flat},
			Attributes: []*onnxpb.Attribute{intAttr("axis", axis)}},
		{OpType: n.OpType, Name: n.Name, Inputs: []string{flat}, Outputs: []string{sm},
			Attributes: []*onnxpb.Attribute{intAttr("axis", -1)}},
		{OpType: "Shape", Name: nm.name(base + "_Shape"), Inputs: []string{x}, Outputs: []string{shape}},
		{OpType: "Reshape", Name: nm.name(base + "_Reshape"), Inputs: []string{sm, shape}, Outputs: []string{y}},
	}
	return nodes, nil
}

// clipBounds returns the constant bounds of a Clip node (opset >= 11 form),
// ±Inf where absent; ok is false if a bound is not a constant scalar.
func clipBounds(n *onnxpb.Node, inits map[string]*onnxpb.Tensor) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(-1), math.Inf(1)
	for i, dst := range []*float64{&lo, &hi} {
		if len(n.Inputs) <= i+1 || n.Inputs[i+1] == "" {
			continue
		}
		t := inits[n.Inputs[i+1]]
		if t == nil || t.DataType != onnxpb.DataTypeFloat {
			return 0, 0, false
		}
		v, err := t.Float32s()
		if err != nil || len(v) != 1 {
			return 0, 0, false
		}
		*dst = float64(v[0])
	}
	return lo, hi, true
}
