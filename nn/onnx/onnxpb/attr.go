package onnxpb

import "fmt"

// Attr returns the attribute called name, or nil.
func (n *Node) Attr(name string) *Attribute {
	for _, a := range n.Attributes {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// HasAttr reports whether the node has an attribute called name.
func (n *Node) HasAttr(name string) bool { return n.Attr(name) != nil }

// Kind returns a.Type, or for attributes written before the type field
// existed (IR version 1) the type guessed from the value field that is set.
func (a *Attribute) Kind() AttrType {
	if a.Type != AttrTypeUndefined {
		return a.Type
	}
	switch {
	case a.T != nil:
		return AttrTypeTensor
	case a.G != nil:
		return AttrTypeGraph
	case len(a.Floats) > 0:
		return AttrTypeFloats
	case len(a.Ints) > 0:
		return AttrTypeInts
	case len(a.Strings) > 0:
		return AttrTypeStrings
	case len(a.Tensors) > 0:
		return AttrTypeTensors
	case len(a.Graphs) > 0:
		return AttrTypeGraphs
	case a.S != nil:
		return AttrTypeString
	case a.F != 0:
		return AttrTypeFloat
	case a.I != 0:
		return AttrTypeInt
	}
	return AttrTypeUndefined
}

// typed returns the attribute called name if it holds type want, nil if it
// is absent, and an error wrapping ErrType otherwise. An attribute whose
// kind cannot be told (old model, zero value) is taken as want.
func (n *Node) typed(name string, want AttrType) (*Attribute, error) {
	a := n.Attr(name)
	if a == nil {
		return nil, nil
	}
	if a.RefAttrName != "" {
		return nil, fmt.Errorf("onnxpb: node %q (%s): attribute %q refers to function attribute %q: %w",
			n.Name, n.OpType, name, a.RefAttrName, ErrType)
	}
	if k := a.Kind(); k != want && k != AttrTypeUndefined {
		return nil, fmt.Errorf("onnxpb: node %q (%s): attribute %q is %v, want %v: %w",
			n.Name, n.OpType, name, k, want, ErrType)
	}
	return a, nil
}

// AttrInt returns the INT attribute name, or def if it is absent.
func (n *Node) AttrInt(name string, def int64) (int64, error) {
	a, err := n.typed(name, AttrTypeInt)
	if a == nil || err != nil {
		return def, err
	}
	return a.I, nil
}

// AttrFloat returns the FLOAT attribute name, or def if it is absent.
func (n *Node) AttrFloat(name string, def float32) (float32, error) {
	a, err := n.typed(name, AttrTypeFloat)
	if a == nil || err != nil {
		return def, err
	}
	return a.F, nil
}

// AttrString returns the STRING attribute name, or def if it is absent.
func (n *Node) AttrString(name string, def string) (string, error) {
	a, err := n.typed(name, AttrTypeString)
	if a == nil || err != nil {
		return def, err
	}
	return string(a.S), nil
}

// AttrInts returns the INTS attribute name (never nil when present), or def
// if it is absent. The slice is the attribute's own.
func (n *Node) AttrInts(name string, def []int64) ([]int64, error) {
	a, err := n.typed(name, AttrTypeInts)
	if a == nil || err != nil {
		return def, err
	}
	if a.Ints == nil {
		return []int64{}, nil
	}
	return a.Ints, nil
}

// AttrFloats returns the FLOATS attribute name (never nil when present), or
// def if it is absent. The slice is the attribute's own.
func (n *Node) AttrFloats(name string, def []float32) ([]float32, error) {
	a, err := n.typed(name, AttrTypeFloats)
	if a == nil || err != nil {
		return def, err
	}
	if a.Floats == nil {
		return []float32{}, nil
	}
	return a.Floats, nil
}

// AttrStrings returns the STRINGS attribute name, or nil if it is absent.
func (n *Node) AttrStrings(name string) ([]string, error) {
	a, err := n.typed(name, AttrTypeStrings)
	if a == nil || err != nil {
		return nil, err
	}
	out := make([]string, len(a.Strings))
	for i, s := range a.Strings {
		out[i] = string(s)
	}
	return out, nil
}

// AttrTensor returns the TENSOR attribute name, or nil if it is absent.
func (n *Node) AttrTensor(name string) (*Tensor, error) {
	a, err := n.typed(name, AttrTypeTensor)
	if a == nil || err != nil {
		return nil, err
	}
	if a.T == nil {
		return nil, fmt.Errorf("onnxpb: node %q (%s): attribute %q has no tensor: %w", n.Name, n.OpType, name, ErrType)
	}
	return a.T, nil
}

// AttrGraph returns the GRAPH attribute name, or nil if it is absent.
func (n *Node) AttrGraph(name string) (*Graph, error) {
	a, err := n.typed(name, AttrTypeGraph)
	if a == nil || err != nil {
		return nil, err
	}
	if a.G == nil {
		return nil, fmt.Errorf("onnxpb: node %q (%s): attribute %q has no graph: %w", n.Name, n.OpType, name, ErrType)
	}
	return a.G, nil
}
