package ptq

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

// Helpers over an onnxpb.Graph: indexes, names, tensor construction. The
// graph is rewritten in place by the passes; indexes are rebuilt after each
// structural change (graphs are small: a few hundred nodes).

// isDefault reports whether a node is in the default ONNX domain.
func isDefault(n *onnxpb.Node) bool { return n.Domain == "" || n.Domain == "ai.onnx" }

// initMap indexes the graph's initializers by name.
func initMap(g *onnxpb.Graph) map[string]*onnxpb.Tensor {
	m := make(map[string]*onnxpb.Tensor, len(g.Initializers))
	for _, t := range g.Initializers {
		m[t.Name] = t
	}
	return m
}

// producerMap maps a value name to the index of the node producing it.
func producerMap(g *onnxpb.Graph) map[string]int {
	m := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != "" {
				m[o] = i
			}
		}
	}
	return m
}

// consumerMap maps a value name to the indexes of the nodes reading it (a
// node reading it twice is listed twice).
func consumerMap(g *onnxpb.Graph) map[string][]int {
	m := map[string][]int{}
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" {
				m[in] = append(m[in], i)
			}
		}
	}
	return m
}

func outputSet(g *onnxpb.Graph) map[string]bool {
	m := map[string]bool{}
	for _, o := range g.Outputs {
		m[o.Name] = true
	}
	return m
}

func inputSet(g *onnxpb.Graph) map[string]bool {
	m := map[string]bool{}
	for _, o := range g.Inputs {
		m[o.Name] = true
	}
	return m
}

// subgraphRefs collects every name that nodes inside subgraphs (If, Loop,
// Scan bodies) read. Such names may refer to values of the outer graph, so
// the passes neither rename nor remove them.
func subgraphRefs(g *onnxpb.Graph) map[string]bool {
	refs := map[string]bool{}
	var walk func(g *onnxpb.Graph)
	walk = func(g *onnxpb.Graph) {
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				refs[in] = true
			}
			for _, a := range n.Attributes {
				if a.G != nil {
					walk(a.G)
				}
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
		for _, o := range g.Outputs {
			refs[o.Name] = true
		}
	}
	for _, n := range g.Nodes {
		for _, a := range n.Attributes {
			if a.G != nil {
				walk(a.G)
			}
			for _, sg := range a.Graphs {
				walk(sg)
			}
		}
	}
	return refs
}

// namer hands out names that are not yet used in a graph.
type namer struct{ used map[string]bool }

func newNamer(g *onnxpb.Graph) *namer {
	u := map[string]bool{}
	add := func(s string) {
		if s != "" {
			u[s] = true
		}
	}
	var walk func(g *onnxpb.Graph)
	walk = func(g *onnxpb.Graph) {
		for _, t := range g.Initializers {
			add(t.Name)
		}
		for _, v := range g.Inputs {
			add(v.Name)
		}
		for _, v := range g.Outputs {
			add(v.Name)
		}
		for _, v := range g.ValueInfo {
			add(v.Name)
		}
		for _, n := range g.Nodes {
			add(n.Name)
			for _, s := range n.Inputs {
				add(s)
			}
			for _, s := range n.Outputs {
				add(s)
			}
			for _, a := range n.Attributes {
				if a.G != nil {
					walk(a.G)
				}
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
	}
	walk(g)
	return &namer{used: u}
}

// name returns base, or base_1, base_2, ... if base is taken, and marks it used.
func (nm *namer) name(base string) string {
	s := base
	for i := 1; nm.used[s]; i++ {
		s = base + "_" + strconv.Itoa(i)
	}
	nm.used[s] = true
	return s
}

// floatData returns the elements of a FLOAT initializer.
func floatData(t *onnxpb.Tensor) ([]float32, error) {
	v, err := t.Float32s()
	if err != nil {
		return nil, fmt.Errorf("initializer %q: %w", t.Name, err)
	}
	return v, nil
}

func newFloatTensor(name string, dims []int64, v []float32) *onnxpb.Tensor {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, RawData: raw}
}

func newInt8Tensor(name string, dims []int64, v []int8) *onnxpb.Tensor {
	raw := make([]byte, len(v))
	for i, x := range v {
		raw[i] = byte(x)
	}
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeInt8, RawData: raw}
}

func newUint8Tensor(name string, dims []int64, v []uint8) *onnxpb.Tensor {
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeUint8, RawData: append([]byte{}, v...)}
}

func newInt32Tensor(name string, dims []int64, v []int32) *onnxpb.Tensor {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(x))
	}
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeInt32, RawData: raw}
}

func newInt64Tensor(name string, dims []int64, v []int64) *onnxpb.Tensor {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeInt64, RawData: raw}
}

func intAttr(name string, v int64) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInt, I: v}
}

func intsAttr(name string, v []int64) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInts, Ints: v}
}

// dropAttr removes the attribute name from n.
func dropAttr(n *onnxpb.Node, name string) {
	out := n.Attributes[:0]
	for _, a := range n.Attributes {
		if a.Name != name {
			out = append(out, a)
		}
	}
	n.Attributes = out
}

// setAttr replaces or adds an attribute.
func setAttr(n *onnxpb.Node, a *onnxpb.Attribute) {
	dropAttr(n, a.Name)
	n.Attributes = append(n.Attributes, a)
}

// cloneModel deep-copies a model through its encoding (lossless, see onnxpb).
func cloneModel(m *onnxpb.Model) (*onnxpb.Model, error) {
	c, err := onnxpb.DecodeModel(m.Marshal())
	if err != nil {
		return nil, fmt.Errorf("ptq: copying model: %w", err)
	}
	return c, nil
}

// topoSort orders g's nodes so that every node comes after the producers of
// its inputs, keeping the original order where it is already valid. Values
// read but produced by no node (graph inputs, initializers, outer-scope
// names) count as available.
func topoSort(g *onnxpb.Graph) error {
	prod := producerMap(g)
	cons := consumerMap(g)
	pending := make([]int, len(g.Nodes))
	for i, n := range g.Nodes {
		seen := map[string]bool{}
		for _, in := range n.Inputs {
			if _, ok := prod[in]; ok && in != "" && !seen[in] {
				seen[in] = true
				pending[i]++
			}
		}
	}
	// Ready nodes in original index order: a simple scan is fine at this size.
	done := make([]bool, len(g.Nodes))
	order := make([]*onnxpb.Node, 0, len(g.Nodes))
	for len(order) < len(g.Nodes) {
		progress := false
		for i, n := range g.Nodes {
			if done[i] || pending[i] > 0 {
				continue
			}
			done[i] = true
			progress = true
			order = append(order, n)
			for _, o := range n.Outputs {
				if o == "" {
					continue
				}
				seen := map[int]bool{}
				for _, c := range cons[o] {
					if !seen[c] {
						seen[c] = true
						pending[c]--
					}
				}
			}
			break
		}
		if !progress {
			return fmt.Errorf("ptq: the graph has a cycle: %w", ErrModel)
		}
	}
	g.Nodes = order
	return nil
}

// removeDead drops nodes whose outputs nobody reads (iterating until none),
// initializers nobody reads and value_info of values that no longer exist.
func removeDead(g *onnxpb.Graph) {
	pinned := subgraphRefs(g)
	outs := outputSet(g)
	for {
		used := map[string]bool{}
		for _, n := range g.Nodes {
			for _, in := range n.Inputs {
				used[in] = true
			}
		}
		kept := g.Nodes[:0]
		removed := false
		for _, n := range g.Nodes {
			live := false
			for _, o := range n.Outputs {
				if o != "" && (used[o] || outs[o] || pinned[o]) {
					live = true
				}
			}
			if live {
				kept = append(kept, n)
			} else {
				removed = true
			}
		}
		g.Nodes = kept
		if !removed {
			break
		}
	}
	used := map[string]bool{}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			used[in] = true
		}
		for _, o := range n.Outputs {
			used[o] = true
		}
	}
	for _, v := range g.Inputs {
		used[v.Name] = true
	}
	for k := range outs {
		used[k] = true
	}
	for k := range pinned {
		used[k] = true
	}
	inits := g.Initializers[:0]
	for _, t := range g.Initializers {
		if used[t.Name] {
			inits = append(inits, t)
		}
	}
	g.Initializers = inits
	vis := g.ValueInfo[:0]
	for _, v := range g.ValueInfo {
		if used[v.Name] {
			vis = append(vis, v)
		}
	}
	g.ValueInfo = vis
}

// renameValue replaces every reference to value old in the top-level graph
// (node inputs and outputs) by new.
func renameValue(g *onnxpb.Graph, old, new string) {
	for _, n := range g.Nodes {
		for i, s := range n.Inputs {
			if s == old {
				n.Inputs[i] = new
			}
		}
		for i, s := range n.Outputs {
			if s == old {
				n.Outputs[i] = new
			}
		}
	}
}

// replaceInputs makes every node read new instead of old.
func replaceInputs(g *onnxpb.Graph, old, new string) {
	for _, n := range g.Nodes {
		for i, s := range n.Inputs {
			if s == old {
				n.Inputs[i] = new
			}
		}
	}
}
