package nn

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/ops"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite"
)

// ErrInput is wrapped when Run is given inputs of the wrong number, dtype or shape.
var ErrInput = errors.New("bad input")

// IOSpec describes a model input or output.
type IOSpec struct {
	Name  string
	DType tensor.DType
	// Shape is the shape in the model's own layout (e.g. NCHW).
	Shape []int
	// Perm is the internal layout: internal axis i is Shape's axis Perm[i].
	// Nil when the internal layout equals Shape's.
	Perm []int
	// Quant is set for quantized (uint8/int8) inputs and outputs:
	// real = Scale·(q − ZeroPoint).
	Quant *graph.Quant
	id    int
}

// PhysShape is the shape of the internal tensor (Shape permuted by Perm).
func (s IOSpec) PhysShape() []int {
	if s.Perm == nil {
		return append([]int(nil), s.Shape...)
	}
	p := make([]int, len(s.Perm))
	for i, a := range s.Perm {
		p[i] = s.Shape[a]
	}
	return p
}

// LoadOptions adjust loading. Nil means defaults.
type LoadOptions struct {
	// InputShapes overrides the shapes of named inputs (e.g. batch size);
	// symbolic dimensions default to 1.
	InputShapes map[string][]int
	// Optimize selects graph rewrites; nil means opt.Default().
	Optimize *opt.Options
	// Lean drops, once the model is compiled, the graph's copies of the
	// constants the kernels packed (convolution, dense and batch-norm
	// weights and biases), so the model holds its weights once instead of
	// twice. Graph() then lacks their data (names, types and shapes stay),
	// so a lean model is for inference only: it cannot be fine-tuned or
	// exported. Stats still counts them.
	Lean bool
}

// Info summarizes a loaded model for people.
type Info struct {
	Format   string
	Producer string
	Opset    int64
	// SourceOps counts the ops of the source file by type.
	SourceOps map[string]int
}

// Model is a loaded, compiled model. It is immutable and safe for
// concurrent use; run it through sessions.
type Model struct {
	Info    Info
	graph   *graph.Graph
	ops     []ops.Op
	inputs  []IOSpec
	outputs []IOSpec
	plan    plan
	scratch int
	// released marks the constants dropped by LoadOptions.Lean.
	released []bool
}

// Load reads a model file. The format is chosen by extension (.onnx).
func Load(path string, o *LoadOptions) (*Model, error) {
	if o == nil {
		o = &LoadOptions{}
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".onnx":
		m, err := onnx.ImportFile(path, &onnx.Options{InputShapes: o.InputShapes})
		if err != nil {
			return nil, err
		}
		mod, err := FromONNX(m, o.Optimize)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if o.Lean {
			mod.releasePacked()
		}
		return mod, nil
	case ".tflite":
		m, err := tflite.ImportFile(path)
		if err != nil {
			return nil, err
		}
		mod, err := FromTFLite(m, o.Optimize)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if o.Lean {
			mod.releasePacked()
		}
		return mod, nil
	}
	return nil, fmt.Errorf("%s: unknown model format %q (want .onnx or .tflite)", path, filepath.Ext(path))
}

// FromTFLite compiles an imported TFLite model, applying the rewrites in o
// (nil: all of them).
func FromTFLite(m *tflite.Model, o *opt.Options) (*Model, error) {
	var ins, outs []IOSpec
	for _, io := range m.Inputs {
		ins = append(ins, IOSpec{Name: io.Name, DType: io.DType, Shape: io.Shape, Quant: io.Quant})
	}
	for _, io := range m.Outputs {
		outs = append(outs, IOSpec{Name: io.Name, DType: io.DType, Shape: io.Shape, Quant: io.Quant})
	}
	oo := opt.Default()
	if o != nil {
		oo = *o
	}
	info := Info{Format: "tflite", Producer: m.Description, SourceOps: m.OpCounts}
	mod, err := Compile(optimized(m.Graph, oo), ins, outs)
	if err != nil {
		return nil, err
	}
	mod.Info = info
	return mod, nil
}

// FromONNX compiles an imported ONNX model, applying the rewrites in o (nil:
// all of them).
func FromONNX(m *onnx.Model, o *opt.Options) (*Model, error) {
	var ins, outs []IOSpec
	for _, io := range m.Inputs {
		ins = append(ins, IOSpec{Name: io.Name, DType: io.DType, Shape: io.Shape, Perm: io.Perm, Quant: m.Graph.Tensors[io.ID].Quant, id: io.ID})
	}
	for _, io := range m.Outputs {
		outs = append(outs, IOSpec{Name: io.Name, DType: io.DType, Shape: io.Shape, Perm: io.Perm, Quant: m.Graph.Tensors[io.ID].Quant, id: io.ID})
	}
	oo := opt.Default()
	if o != nil {
		oo = *o
	}
	info := Info{Format: "onnx", Producer: m.Producer, Opset: m.Opset, SourceOps: m.OpCounts}
	mod, err := Compile(optimized(m.Graph, oo), ins, outs)
	if err != nil {
		return nil, err
	}
	mod.Info = info
	return mod, nil
}

// optimized is opt.Apply followed by compact: the tensors the import and
// the rewrites left unused go (initializers replaced by their channels-last
// copy, weights before batch-norm folding), or the model would hold those
// weights twice. The imported graph is not modified (opt.Apply returns a
// copy). FromONNX and FromTFLite read their argument only before this call,
// so once the caller drops its imported model the replaced weights can be
// collected while the kernels pack theirs.
func optimized(g *graph.Graph, o opt.Options) *graph.Graph {
	g = opt.Apply(g, o)
	compact(g)
	return g
}

// compact removes, in place, the tensors that no node reads or writes and
// that are not graph inputs or outputs, renumbering the rest in their
// order.
func compact(g *graph.Graph) {
	id := make([]int, len(g.Tensors)) // old id → new id + 1; 0: unused
	mark := func(ids []int) {
		for _, t := range ids {
			if t >= 0 {
				id[t] = 1
			}
		}
	}
	mark(g.Inputs)
	mark(g.Outputs)
	for _, n := range g.Nodes {
		mark(n.Inputs)
		mark(n.Outputs)
	}
	kept := g.Tensors[:0]
	for old := range g.Tensors {
		if id[old] != 0 {
			kept = append(kept, g.Tensors[old])
			id[old] = len(kept)
		}
	}
	clear(g.Tensors[len(kept):]) // drop the references to removed constants
	g.Tensors = kept
	// New slices: a rewrite may have left two nodes sharing one.
	renumber := func(ids []int) []int {
		r := make([]int, len(ids))
		for i, t := range ids {
			r[i] = t
			if t >= 0 {
				r[i] = id[t] - 1
			}
		}
		return r
	}
	g.Inputs = renumber(g.Inputs)
	g.Outputs = renumber(g.Outputs)
	for ni := range g.Nodes {
		n := &g.Nodes[ni]
		n.Inputs, n.Outputs = renumber(n.Inputs), renumber(n.Outputs)
	}
}

// Compile prepares graph g (already optimized) for execution. ins and outs
// describe its inputs and outputs in the same order as g.Inputs/g.Outputs.
func Compile(g *graph.Graph, ins, outs []IOSpec) (*Model, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if len(ins) != len(g.Inputs) || len(outs) != len(g.Outputs) {
		return nil, fmt.Errorf("nn: %d/%d input/output specs for a graph with %d/%d", len(ins), len(outs), len(g.Inputs), len(g.Outputs))
	}
	for i := range ins {
		ins[i].id = g.Inputs[i]
	}
	for i := range outs {
		outs[i].id = g.Outputs[i]
	}
	m := &Model{graph: g, inputs: ins, outputs: outs}
	for ni := range g.Nodes {
		n := &g.Nodes[ni]
		op, err := ops.Compile(g, n)
		if err != nil {
			return nil, err
		}
		m.ops = append(m.ops, op)
		m.scratch = max(m.scratch, op.ScratchLen())
	}
	m.plan = planMemory(g)
	return m, nil
}

// releasePacked drops the data of every constant that only packing ops
// read (ops.Packer), keeping the tensor's name, type and shape; a graph
// output keeps its data. Load calls it before the model is shared.
func (m *Model) releasePacked() {
	g := m.graph
	packedOnly := make([]bool, len(g.Tensors))
	for id := range g.Tensors {
		packedOnly[id] = g.Tensors[id].Const != nil
	}
	for _, id := range g.Outputs {
		packedOnly[id] = false
	}
	for ni, n := range g.Nodes {
		var packed []int
		if p, ok := m.ops[ni].(ops.Packer); ok {
			packed = p.PackedInputs()
		}
		for i, id := range n.Inputs {
			if id >= 0 && !slices.Contains(packed, i) {
				packedOnly[id] = false
			}
		}
	}
	m.released = packedOnly
	for id, drop := range packedOnly {
		if drop {
			g.Tensors[id].Const = nil
		}
	}
}

// Inputs describes the model inputs.
func (m *Model) Inputs() []IOSpec { return m.inputs }

// Outputs describes the model outputs.
func (m *Model) Outputs() []IOSpec { return m.outputs }

// Graph returns the compiled graph. Callers must not modify it.
func (m *Model) Graph() *graph.Graph { return m.graph }

// ArenaBytes is the size of the activation arena of one session.
func (m *Model) ArenaBytes() int { return m.plan.size }

// Stats counts the compiled graph: nodes per op, parameters (constant
// elements) and multiply-accumulates per inference.
type Stats struct {
	Nodes  map[string]int
	Params int64
	MACs   int64
}

// Stats computes Stats.
func (m *Model) Stats() Stats {
	g := m.graph
	s := Stats{Nodes: map[string]int{}}
	seen := map[int]bool{}
	for ni := range g.Nodes {
		n := &g.Nodes[ni]
		name := n.Op.String()
		if n.Op == graph.OpConv {
			if geom, ok := ops.ConvGeom2D(g, n); ok {
				if geom.Groups == geom.C && geom.Groups > 1 {
					name = "Conv(depthwise)"
				}
				s.MACs += geom.MACs()
			} else {
				w := g.Tensors[n.Inputs[1]]
				s.MACs += int64(tensor.NumElems(g.Tensors[n.Outputs[0]].Shape)) * int64(tensor.NumElems(w.Shape[1:]))
			}
		}
		if n.Op == graph.OpDense {
			w := g.Tensors[n.Inputs[1]].Shape
			s.MACs += int64(tensor.NumElems(g.Tensors[n.Outputs[0]].Shape)) * int64(w[0])
		}
		s.Nodes[name]++
		for _, id := range n.Inputs {
			if id >= 0 && (g.Tensors[id].Const != nil || m.released != nil && m.released[id]) && !seen[id] {
				seen[id] = true
				s.Params += int64(tensor.NumElems(g.Tensors[id].Shape))
			}
		}
	}
	return s
}

// SortedCounts returns "name count" pairs sorted by name, for printing.
func SortedCounts(c map[string]int) []string {
	var out []string
	for k, v := range c {
		out = append(out, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(out)
	return out
}
