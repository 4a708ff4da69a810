package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

// LoadOptions are the nn.LoadOptions to load a model for training with:
// every graph rewrite but BatchNorm folding, so a frozen BatchNorm stays
// its own affine op in the trainable tail (its statistics must not be
// baked into weights that are being trained). Set other fields (input
// shapes) on the result as needed.
func LoadOptions() *nn.LoadOptions {
	return &nn.LoadOptions{Optimize: &opt.Options{FusePad: true, FuseActivations: true}}
}

// Names of the nodes and tensors ReplaceHead adds.
const (
	HeadNode    = "head/dense"   // the new classifier (Dense)
	HeadFlatten = "head/flatten" // Reshape to [N, C] when the features have spatial axes
	HeadOutput  = "logits"       // the new graph output, [N, classes]
)

// HeadConfig describes the new classifier.
type HeadConfig struct {
	// Classes is the number of outputs: the number of classes for
	// SoftmaxCrossEntropy, or 1 for a binary sigmoid.
	Classes int
	// Seed seeds the Glorot-uniform initialisation of the weights (the
	// bias starts at zero, as in Keras).
	Seed uint64
}

// ReplaceHead returns a copy of g whose classifier is replaced by a fresh
// Dense(Classes) layer reading the classifier's input features. The
// classifier is found by walking back from the single graph output over
// Softmax, activations, Reshape/Identity and Add/Mul with a constant (a
// separate bias add, as in MatMul+Add exports) to the first Dense node, or
// 1×1 Conv on a 1×1 feature map. Features with spatial axes of size 1
// ([N,1,1,C]) are flattened first (HeadFlatten). The new output is
// HeadOutput, logits [N, Classes] with no activation. g is not modified.
func ReplaceHead(g *graph.Graph, h HeadConfig) (*graph.Graph, error) {
	if h.Classes < 1 {
		return nil, fmt.Errorf("%w: head with %d classes", ErrConfig, h.Classes)
	}
	if len(g.Outputs) != 1 {
		return nil, fmt.Errorf("%w: the graph has %d outputs, want 1", ErrHead, len(g.Outputs))
	}
	prod := producers(g)
	id := g.Outputs[0]
	feat := -1
	for steps := 0; feat < 0; steps++ {
		ni := prod[id]
		if ni < 0 || steps > 64 {
			return nil, fmt.Errorf("%w: no Dense or 1×1 Conv found before output %q", ErrHead, g.Tensors[g.Outputs[0]].Name)
		}
		n := &g.Nodes[ni]
		switch n.Op {
		case graph.OpDense:
			feat = n.Inputs[0]
		case graph.OpConv:
			x, w := g.Tensors[n.Inputs[0]], g.Tensors[n.Inputs[1]]
			if len(x.Shape) < 3 || tensor.NumElems(x.Shape[1:len(x.Shape)-1]) != 1 || tensor.NumElems(w.Shape[1:len(w.Shape)-1]) != 1 {
				return nil, fmt.Errorf("%w: convolution %q before the output has input %v and weights %v, not a 1×1 classifier", ErrHead, n.Name, x.Shape, w.Shape)
			}
			feat = n.Inputs[0]
		case graph.OpSoftmax, graph.OpUnary, graph.OpReshape, graph.OpIdentity:
			id = n.Inputs[0]
		case graph.OpBinary:
			a, b := n.Inputs[0], n.Inputs[1]
			switch {
			case g.Tensors[b].Const != nil:
				id = a
			case g.Tensors[a].Const != nil:
				id = b
			default:
				return nil, fmt.Errorf("%w: node %q (%v) before the output has two runtime operands", ErrHead, n.Name, n.Op)
			}
		default:
			return nil, fmt.Errorf("%w: node %q (%v) before the output is not part of a classifier", ErrHead, n.Name, n.Op)
		}
	}
	c := cloneGraph(g)
	fs := c.Tensors[feat].Shape
	if len(fs) < 2 || c.Tensors[feat].DType != tensor.Float32 {
		return nil, fmt.Errorf("%w: classifier input %q is %v%v, want float32 [N, ..., C]", ErrHead, c.Tensors[feat].Name, c.Tensors[feat].DType, fs)
	}
	batch, channels := fs[0], fs[len(fs)-1]
	if tensor.NumElems(fs) != batch*channels {
		return nil, fmt.Errorf("%w: classifier input %q has shape %v: spatial axes are not 1", ErrHead, c.Tensors[feat].Name, fs)
	}
	x := feat
	if len(fs) > 2 {
		x = c.AddTensor(graph.Tensor{Name: HeadFlatten + ":0", DType: tensor.Float32, Shape: []int{batch, channels}})
		c.Nodes = append(c.Nodes, graph.Node{Name: HeadFlatten, Op: graph.OpReshape, Inputs: []int{feat}, Outputs: []int{x}})
	}
	rng := rand.New(rand.NewPCG(h.Seed, 0x6865616421)) // "head!"
	w := tensor.New(tensor.Float32, channels, h.Classes)
	GlorotUniform(w.F32, channels, h.Classes, rng)
	wid := c.AddConst(HeadNode+":w", w)
	bid := c.AddConst(HeadNode+":b", tensor.New(tensor.Float32, h.Classes))
	y := c.AddTensor(graph.Tensor{Name: HeadOutput, DType: tensor.Float32, Shape: []int{batch, h.Classes}})
	c.Nodes = append(c.Nodes, graph.Node{Name: HeadNode, Op: graph.OpDense, Params: &graph.DenseParams{},
		Inputs: []int{x, wid, bid}, Outputs: []int{y}})
	c.Outputs = []int{y}
	opt.RemoveDead(c)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("train: ReplaceHead: %w", err)
	}
	return c, nil
}

// Cut says where a graph divides into a frozen backbone and a trainable
// tail (the nodes from the cut on, in topological order). Set exactly one
// field.
type Cut struct {
	// Node: the tail starts at this node (e.g. HeadNode for head-only
	// training, or the first convolution of the last block).
	Node string
	// Tensor: the tail starts right after the node producing this tensor
	// (a graph input: the whole graph is the tail).
	Tensor string
	// LastLayers: the tail holds the last N parameterised layers — Conv
	// and Dense nodes, counted back from the output, the head included —
	// and everything after the first of them (Keras' model.layers[-N:],
	// counting only layers with weights).
	LastLayers int
}

// Split is a graph divided at a cut. It holds its own copy of the graph.
type Split struct {
	g      *graph.Graph
	start  int   // index of the first tail node
	inputs []int // boundary tensors the tail reads from the backbone, in order of first use
	batch  int   // batch size of the graph (the boundary tensors' axis 0)
}

// SplitAt divides g at the cut. g must have one output, produced by the
// tail, and be float32 from the cut on.
func SplitAt(g *graph.Graph, c Cut) (*Split, error) {
	set := 0
	if c.Node != "" {
		set++
	}
	if c.Tensor != "" {
		set++
	}
	if c.LastLayers != 0 {
		set++
	}
	if set != 1 {
		return nil, fmt.Errorf("%w: set exactly one of Node, Tensor, LastLayers (got %+v)", ErrCut, c)
	}
	if len(g.Outputs) != 1 {
		return nil, fmt.Errorf("%w: the graph has %d outputs, want 1", ErrCut, len(g.Outputs))
	}
	start := -1
	switch {
	case c.Node != "":
		for i := range g.Nodes {
			if g.Nodes[i].Name == c.Node {
				start = i
				break
			}
		}
		if start < 0 {
			return nil, fmt.Errorf("%w: no node named %q", ErrCut, c.Node)
		}
	case c.Tensor != "":
		id := -1
		for i := range g.Tensors {
			if g.Tensors[i].Name == c.Tensor && g.Tensors[i].Const == nil {
				id = i
				break
			}
		}
		if id < 0 {
			return nil, fmt.Errorf("%w: no runtime tensor named %q", ErrCut, c.Tensor)
		}
		start = producers(g)[id] + 1 // a graph input gives 0
	default:
		if c.LastLayers < 0 {
			return nil, fmt.Errorf("%w: LastLayers = %d", ErrCut, c.LastLayers)
		}
		count := 0
		for i := len(g.Nodes) - 1; i >= 0 && start < 0; i-- {
			if hasWeights(g, &g.Nodes[i]) {
				count++
				if count == c.LastLayers {
					start = i
				}
			}
		}
		if start < 0 {
			return nil, fmt.Errorf("%w: the graph has %d Conv/Dense layers, fewer than LastLayers = %d", ErrCut, count, c.LastLayers)
		}
	}
	s := &Split{g: cloneGraph(g), start: start}
	g = s.g
	if start >= len(g.Nodes) || producers(g)[g.Outputs[0]] < start {
		return nil, fmt.Errorf("%w: the tail from node %d does not produce the output %q", ErrCut, start, g.Tensors[g.Outputs[0]].Name)
	}
	prod := producers(g)
	seen := map[int]bool{}
	for _, n := range g.Nodes[start:] {
		for _, id := range n.Inputs {
			if id < 0 || g.Tensors[id].Const != nil || seen[id] || prod[id] >= start {
				continue
			}
			seen[id] = true
			t := &g.Tensors[id]
			if t.DType != tensor.Float32 || len(t.Shape) < 1 || t.Shape[0] < 1 {
				return nil, fmt.Errorf("%w: tail input %q is %v%v, want float32 [N, ...]", ErrCut, t.Name, t.DType, t.Shape)
			}
			if len(s.inputs) == 0 {
				s.batch = t.Shape[0]
			} else if t.Shape[0] != s.batch {
				return nil, fmt.Errorf("%w: tail inputs %q and %q have batch sizes %d and %d", ErrCut, g.Tensors[s.inputs[0]].Name, t.Name, s.batch, t.Shape[0])
			}
			s.inputs = append(s.inputs, id)
		}
	}
	if len(s.inputs) == 0 {
		return nil, fmt.Errorf("%w: the tail from node %q reads no runtime tensor", ErrCut, g.Nodes[start].Name)
	}
	return s, nil
}

func hasWeights(g *graph.Graph, n *graph.Node) bool {
	return (n.Op == graph.OpConv || n.Op == graph.OpDense) && len(n.Inputs) > 1 &&
		g.Tensors[n.Inputs[1]].Const != nil && g.Tensors[n.Inputs[1]].DType == tensor.Float32
}

// Graph returns the split's graph (the whole model). Do not modify it.
func (s *Split) Graph() *graph.Graph { return s.g }

// TailNodes returns the names of the tail's nodes in order.
func (s *Split) TailNodes() []string {
	var names []string
	for _, n := range s.g.Nodes[s.start:] {
		names = append(names, n.Name)
	}
	return names
}

// Inputs returns the names of the tensors the tail reads from the backbone
// (usually one), in the order their per-sample values are concatenated in
// a feature vector.
func (s *Split) Inputs() []string {
	var names []string
	for _, id := range s.inputs {
		names = append(names, s.g.Tensors[id].Name)
	}
	return names
}

// InputShapes returns the per-sample shapes (channels last, without the
// batch axis) of the tensors Inputs names.
func (s *Split) InputShapes() [][]int {
	var shapes [][]int
	for _, id := range s.inputs {
		shapes = append(shapes, append([]int(nil), s.g.Tensors[id].Shape[1:]...))
	}
	return shapes
}

// FeatureLen is the number of float32s of one sample's features: the
// tail's inputs concatenated.
func (s *Split) FeatureLen() int {
	n := 0
	for _, sh := range s.InputShapes() {
		n += tensor.NumElems(sh)
	}
	return n
}

// Batch is the batch size the graph was loaded with (the backbone runs at
// it).
func (s *Split) Batch() int { return s.batch }

// Backbone returns the frozen part as a graph: the nodes before the cut
// that the tail's inputs depend on, with the original graph inputs and the
// tail's inputs as outputs. Its BatchNorm nodes may be folded (opt) for
// speed; they never train.
func (s *Split) Backbone() *graph.Graph {
	b := cloneGraph(s.g)
	b.Nodes = b.Nodes[:s.start]
	b.Outputs = append([]int(nil), s.inputs...)
	opt.RemoveDead(b)
	return b
}

// BackboneModel compiles the backbone for inference with every rewrite
// (BatchNorm folded). ins describes the graph inputs (the loaded model's
// Inputs()); its outputs are the tail's inputs in internal (channels-last)
// layout, one per Inputs() entry, each [Batch(), InputShapes()[i]...].
func (s *Split) BackboneModel(ins []nn.IOSpec) (*nn.Model, error) {
	b := opt.Apply(s.Backbone(), opt.Default())
	var outs []nn.IOSpec
	for _, id := range s.inputs {
		t := s.g.Tensors[id]
		outs = append(outs, nn.IOSpec{Name: t.Name, DType: t.DType, Shape: append([]int(nil), t.Shape...)})
	}
	in := append([]nn.IOSpec(nil), ins...)
	return nn.Compile(b, in, outs)
}

// Features copies one backbone run's outputs (BackboneModel's, in order)
// into dst as per-sample feature vectors: dst holds Batch() rows of
// FeatureLen() values.
func (s *Split) Features(outs []*tensor.Tensor, dst []float32) error {
	if len(outs) != len(s.inputs) {
		return fmt.Errorf("train: %d backbone outputs, the tail reads %d", len(outs), len(s.inputs))
	}
	fl := s.FeatureLen()
	if len(dst) < s.batch*fl {
		return fmt.Errorf("train: feature buffer of %d values, want %d", len(dst), s.batch*fl)
	}
	off := 0
	for i, o := range outs {
		per := tensor.NumElems(s.g.Tensors[s.inputs[i]].Shape[1:])
		if o == nil || o.DType != tensor.Float32 || len(o.F32) != s.batch*per {
			return fmt.Errorf("train: backbone output %d is %v, want float32 with %d values", i, o, s.batch*per)
		}
		for n := 0; n < s.batch; n++ {
			copy(dst[n*fl+off:n*fl+off+per], o.F32[n*per:(n+1)*per])
		}
		off += per
	}
	return nil
}

// BackboneKey is a digest of the backbone (its nodes, their params, every
// constant they read and the cut tensors): cached features stay valid
// exactly as long as the key is the same.
func (s *Split) BackboneKey() string {
	b := s.Backbone()
	h := sha256.New()
	wi := func(v int) { _ = binary.Write(h, binary.LittleEndian, int64(v)) }
	for _, n := range b.Nodes {
		fmt.Fprintf(h, "%s|%v|%+v|", n.Name, n.Op, paramString(n.Params))
		for _, id := range n.Inputs {
			wi(id)
			if id >= 0 {
				t := &b.Tensors[id]
				fmt.Fprintf(h, "%v%v", t.DType, t.Shape)
				if t.Const != nil {
					h.Write(t.Const.Bytes())
				}
			}
		}
		for _, id := range n.Outputs {
			wi(id)
		}
	}
	for _, id := range s.inputs {
		fmt.Fprintf(h, "out %s%v|", b.Tensors[id].Name, b.Tensors[id].Shape)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// paramString formats params by value (pointers would print addresses).
func paramString(p graph.Params) string {
	if p == nil {
		return "-"
	}
	switch q := p.(type) {
	case *graph.ConvParams:
		return fmt.Sprintf("%+v", *q)
	case *graph.BatchNormParams:
		return fmt.Sprintf("%v", math.Float32bits(q.Epsilon))
	default:
		return fmt.Sprintf("%+v", q)
	}
}

// producers maps tensor id → index of the node producing it (-1: none).
func producers(g *graph.Graph) []int {
	p := make([]int, len(g.Tensors))
	for i := range p {
		p[i] = -1
	}
	for ni, n := range g.Nodes {
		for _, id := range n.Outputs {
			if id >= 0 {
				p[id] = ni
			}
		}
	}
	return p
}

// cloneGraph copies g deeply enough that nodes, id lists and shapes may be
// changed; constants are shared (they are never modified in place).
func cloneGraph(g *graph.Graph) *graph.Graph {
	c := &graph.Graph{
		Tensors:    append([]graph.Tensor(nil), g.Tensors...),
		Inputs:     append([]int(nil), g.Inputs...),
		Outputs:    append([]int(nil), g.Outputs...),
		QuantStyle: g.QuantStyle,
	}
	for i := range c.Tensors {
		c.Tensors[i].Shape = append([]int(nil), c.Tensors[i].Shape...)
	}
	for _, n := range g.Nodes {
		n.Inputs = append([]int(nil), n.Inputs...)
		n.Outputs = append([]int(nil), n.Outputs...)
		c.Nodes = append(c.Nodes, n)
	}
	return c
}
