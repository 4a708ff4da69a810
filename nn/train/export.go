package train

import (
	"fmt"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Export returns the whole model with the tail's current parameter values:
// a copy of the split's graph in which every tail node reads new constants
// holding the trained weights and biases (backbone nodes keep the original
// ones, also where they shared a constant with the tail). BatchNorm nodes
// stay as they are, so nn.Compile with opt.Default() folds them for
// inference; the head's dropout is a training-only step and does not
// appear. The result has the shapes (batch size) the graph was loaded with.
func (t *Tail) Export() *graph.Graph {
	c := cloneGraph(t.s.g)
	backbone := map[int]bool{}
	for _, n := range c.Nodes[:t.s.start] {
		for _, id := range n.Inputs {
			backbone[id] = true
		}
	}
	remap := map[int]int{}
	for _, p := range t.params {
		v := tensor.FromF32(append([]float32(nil), p.Value...), p.Shape...)
		if !backbone[p.id] {
			c.Tensors[p.id].Const = v // tensors are copies: the split's graph keeps its constant
			continue
		}
		remap[p.id] = c.AddConst(p.Name, v)
	}
	for i := t.s.start; i < len(c.Nodes); i++ {
		n := &c.Nodes[i]
		for j, id := range n.Inputs {
			if nid, ok := remap[id]; ok {
				n.Inputs[j] = nid
			}
		}
	}
	return c
}

// CompileInference compiles a graph from Export (or ReplaceHead) for
// inference with every rewrite (BatchNorm folded into the convolutions).
// ins describes the graph inputs, as the loaded model's Inputs() does; the
// single output is described from the graph ([batch, classes] logits for a
// new head).
func CompileInference(g *graph.Graph, ins []nn.IOSpec) (*nn.Model, error) {
	if len(g.Outputs) != 1 {
		return nil, fmt.Errorf("train: CompileInference of a graph with %d outputs, want 1", len(g.Outputs))
	}
	out := g.Tensors[g.Outputs[0]]
	return nn.Compile(opt.Apply(g, opt.Default()), append([]nn.IOSpec(nil), ins...),
		[]nn.IOSpec{{Name: out.Name, DType: out.DType, Shape: append([]int(nil), out.Shape...)}})
}
