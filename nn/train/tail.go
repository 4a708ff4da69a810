package train

import (
	"fmt"
	"math/rand/v2"
	"runtime"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/ops"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TailOptions configure a Tail.
type TailOptions struct {
	// Batch is the largest number of samples one Forward takes (> 0).
	Batch int
	// HeadDropout is the dropout rate applied to the input of HeadNode in
	// training mode (0: none; [0, 1)).
	HeadDropout float32
	// Seed seeds the dropout masks.
	Seed uint64
	// Threads is the number of threads a step uses; 0 means GOMAXPROCS.
	// Results are identical for any value.
	Threads int
	// InputGrad also computes the gradient of the loss with respect to the
	// tail's inputs (InputGrad); off, backward stops at the first
	// parameterised layer.
	InputGrad bool
}

// Validate checks the options.
func (o TailOptions) Validate() error {
	if o.Batch < 1 || !(o.HeadDropout >= 0 && o.HeadDropout < 1) || o.Threads < 0 {
		return fmt.Errorf("%w: tail batch %d (want > 0), head dropout %g (want [0, 1)), threads %d", ErrConfig, o.Batch, o.HeadDropout, o.Threads)
	}
	return nil
}

// Tail is the trainable part of a split graph as a tape: Forward runs its
// nodes on a batch of features keeping every activation, Backward runs the
// backward passes in reverse order, accumulating parameter gradients in
// float32. BatchNorm is frozen (an affine map with the running statistics;
// gradients flow through it, its parameters never change). Fused
// activations run as separate steps so their inputs are kept.
//
// A Tail is for one goroutine at a time. Shapes are inferred again for
// each batch size used (ops.Infer on the tail's nodes); the plan for Batch
// and up to two other sizes are kept.
type Tail struct {
	s      *Split
	o      TailOptions
	params []*Param
	byID   map[int]*Param
	wk     workers
	rng    *rand.Rand
	plans  map[int]*plan
	cur    *plan // plan of the last Forward
	out    int   // output tensor id
	k      int   // output values per sample
}

// NewTail builds the tail of s. Its parameters start as the graph's
// constants (copied): the weights and biases of its Conv and Dense nodes.
func NewTail(s *Split, o TailOptions) (*Tail, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	th := o.Threads
	if th == 0 {
		th = runtime.GOMAXPROCS(0)
	}
	t := &Tail{s: s, o: o, byID: map[int]*Param{}, wk: workers{n: th},
		rng: rand.New(rand.NewPCG(o.Seed, 0x64726f70)), plans: map[int]*plan{}, out: s.g.Outputs[0]}
	g := s.g
	for i := s.start; i < len(g.Nodes); i++ {
		n := &g.Nodes[i]
		if !hasWeights(g, n) {
			continue
		}
		for slot, kind := range []ParamKind{Weight, Bias} {
			if slot+1 >= len(n.Inputs) || n.Inputs[slot+1] < 0 {
				continue
			}
			id := n.Inputs[slot+1]
			if _, ok := t.byID[id]; ok {
				continue // shared constant: one parameter
			}
			c := g.Tensors[id].Const
			if c == nil || c.DType != tensor.Float32 {
				return nil, fmt.Errorf("%w: node %q: %v %q is not a float32 constant", ErrUnsupported, n.Name, kind, g.Tensors[id].Name)
			}
			p := &Param{Name: g.Tensors[id].Name, Node: n.Name, Kind: kind, Head: n.Name == HeadNode,
				Shape: append([]int(nil), g.Tensors[id].Shape...), Value: append([]float32(nil), c.F32...),
				Grad: make([]float32, len(c.F32)), id: id}
			t.byID[id] = p
			t.params = append(t.params, p)
		}
	}
	p, err := t.plan(o.Batch)
	if err != nil {
		return nil, err
	}
	t.k = len(p.vals[t.out]) / o.Batch
	return t, nil
}

// Split returns the split the tail was built from.
func (t *Tail) Split() *Split { return t.s }

// Params returns the trainable parameters in node order.
func (t *Tail) Params() []*Param { return t.params }

// Outputs is the number of output values per sample (the head's classes).
func (t *Tail) Outputs() int { return t.k }

// ArenaBytes is the memory the tail's plans hold (activations, their
// gradients, pre-activation copies and dropout masks), not counting the
// parameters, their gradients and the per-step GEMM packing buffers.
func (t *Tail) ArenaBytes() int {
	n := 0
	for _, p := range t.plans {
		n += p.bytes
	}
	return n
}

// ZeroGrad clears every parameter gradient.
func (t *Tail) ZeroGrad() {
	for _, p := range t.params {
		clear(p.Grad)
	}
}

// Snapshot copies the parameter values (in Params order), e.g. the best
// checkpoint so far.
func (t *Tail) Snapshot() [][]float32 {
	s := make([][]float32, len(t.params))
	for i, p := range t.params {
		s[i] = append([]float32(nil), p.Value...)
	}
	return s
}

// Restore sets the parameter values from a Snapshot.
func (t *Tail) Restore(s [][]float32) error {
	if len(s) != len(t.params) {
		return fmt.Errorf("train: snapshot of %d parameters, tail has %d", len(s), len(t.params))
	}
	for i, p := range t.params {
		if len(s[i]) != len(p.Value) {
			return fmt.Errorf("train: snapshot of %q has %d values, want %d", p.Name, len(s[i]), len(p.Value))
		}
	}
	for i, p := range t.params {
		copy(p.Value, s[i])
	}
	return nil
}

// Forward runs the tail on n samples (1 ≤ n ≤ Batch): features holds n rows
// of Split.FeatureLen values. train selects training mode (dropout on).
// It returns the outputs [n][Outputs()], owned by the tail and valid until
// the next Forward. It panics on a bad n or a short features slice
// (caller bugs).
func (t *Tail) Forward(features []float32, n int, train bool) []float32 {
	if n < 1 || n > t.o.Batch {
		panic(fmt.Sprintf("train: Forward of %d samples, tail batch is %d", n, t.o.Batch))
	}
	fl := t.s.FeatureLen()
	if len(features) < n*fl {
		panic(fmt.Sprintf("train: Forward of %d samples needs %d feature values, got %d", n, n*fl, len(features)))
	}
	p, err := t.plan(n)
	if err != nil {
		panic(err) // the Batch plan built without error; other sizes infer alike
	}
	t.cur = p
	off := 0
	for _, id := range t.s.inputs {
		per := len(p.vals[id]) / n
		for i := 0; i < n; i++ {
			copy(p.vals[id][i*per:(i+1)*per], features[i*fl+off:])
		}
		off += per
	}
	for _, pr := range t.params {
		p.vals[pr.id] = pr.Value
	}
	for _, l := range p.layers {
		l.forward(t, p, train)
	}
	return p.vals[t.out]
}

// Backward runs the backward passes for the last Forward, given the
// gradient of the loss with respect to its outputs (len n·Outputs()), and
// adds the parameter gradients to Param.Grad.
func (t *Tail) Backward(dout []float32) {
	p := t.cur
	if p == nil {
		panic("train: Backward before Forward")
	}
	if len(dout) < len(p.vals[t.out]) {
		panic(fmt.Sprintf("train: Backward with %d output gradients, want %d", len(dout), len(p.vals[t.out])))
	}
	for id, gr := range p.grads {
		if gr != nil && t.byID[id] == nil {
			clear(gr)
		}
	}
	for _, pr := range t.params {
		p.grads[pr.id] = pr.Grad
	}
	copy(p.grads[t.out], dout)
	for i := len(p.layers) - 1; i >= 0; i-- {
		p.layers[i].backward(t, p)
	}
}

// InputGrad returns the gradient with respect to the last Backward's
// inputs, as rows of FeatureLen values (nil unless TailOptions.InputGrad).
func (t *Tail) InputGrad() []float32 {
	p := t.cur
	if !t.o.InputGrad || p == nil {
		return nil
	}
	fl := t.s.FeatureLen()
	dst := make([]float32, p.n*fl)
	off := 0
	for _, id := range t.s.inputs {
		per := len(p.grads[id]) / p.n
		for i := 0; i < p.n; i++ {
			copy(dst[i*fl+off:i*fl+off+per], p.grads[id][i*per:])
		}
		off += per
	}
	return dst
}

// TrainStep zeroes the gradients, runs Forward in training mode on the
// batch, the loss and Backward, and returns the batch's mean loss. The
// caller then steps its optimizer.
func (t *Tail) TrainStep(features []float32, labels []int, l Loss) float64 {
	t.ZeroGrad()
	n := len(labels)
	y := t.Forward(features, n, true)
	p := t.cur
	p.dout = grow(p.dout, len(y))
	loss := l.Eval(y, t.k, labels, p.dout)
	t.Backward(p.dout)
	return loss
}

// TrainEpoch trains on the samples in order (indices into features rows
// and labels), Batch at a time with a shorter last batch, stepping opt
// after each batch, and returns the mean loss over the samples (each
// batch's mean weighted by its size, as Keras and the PyTorch tutorials
// report it).
func (t *Tail) TrainEpoch(features []float32, labels []int, order []int, l Loss, opt Optimizer) float64 {
	fl := t.s.FeatureLen()
	var xb []float32
	var yb []int
	var total float64
	for b0 := 0; b0 < len(order); b0 += t.o.Batch {
		idx := order[b0:min(b0+t.o.Batch, len(order))]
		xb = grow(xb, len(idx)*fl)
		yb = yb[:0]
		for i, s := range idx {
			copy(xb[i*fl:(i+1)*fl], features[s*fl:(s+1)*fl])
			yb = append(yb, labels[s])
		}
		total += t.TrainStep(xb, yb, l) * float64(len(idx))
		opt.Step()
	}
	if len(order) == 0 {
		return 0
	}
	return total / float64(len(order))
}

// Predict runs the tail in inference mode on n samples of features, Batch
// at a time, and returns the outputs [n][Outputs()] in a new slice.
func (t *Tail) Predict(features []float32, n int) []float32 {
	fl := t.s.FeatureLen()
	out := make([]float32, 0, n*t.k)
	for b0 := 0; b0 < n; b0 += t.o.Batch {
		m := min(t.o.Batch, n-b0)
		out = append(out, t.Forward(features[b0*fl:(b0+m)*fl], m, false)...)
	}
	return out
}

// plan is the tail laid out for one batch size: a buffer and, where
// needed, a gradient buffer per tensor (extra slots past the graph's
// tensors hold pre-activation values of fused activations and dropout
// outputs), and the layers in order.
type plan struct {
	n      int
	vals   [][]float32
	grads  [][]float32
	shapes [][]int
	layers []layer
	dout   []float32
	bytes  int // owned buffers
}

func (p *plan) alloc(n int) []float32 {
	p.bytes += 4 * n
	return make([]float32, n)
}

// layer is one tape step.
type layer interface {
	forward(t *Tail, p *plan, train bool)
	backward(t *Tail, p *plan)
}

func (t *Tail) plan(n int) (*plan, error) {
	if p := t.plans[n]; p != nil {
		return p, nil
	}
	p, err := t.build(n)
	if err != nil {
		return nil, err
	}
	// Keep the Batch plan and up to two others (the short last batches of
	// the training and validation sets).
	for k := range t.plans {
		if len(t.plans) < 3 {
			break
		}
		if k != t.o.Batch {
			delete(t.plans, k)
		}
	}
	t.plans[n] = p
	return p, nil
}

// build infers the tail's shapes for batch n and makes its layers.
func (t *Tail) build(n int) (*plan, error) {
	s := t.s
	g := s.g
	sub := &graph.Graph{Tensors: append([]graph.Tensor(nil), g.Tensors...)}
	for _, id := range s.inputs {
		sub.Tensors[id].Shape = append([]int{n}, g.Tensors[id].Shape[1:]...)
	}
	nodes := g.Nodes[s.start:]
	for ni := range nodes {
		nd := &nodes[ni]
		for _, id := range nd.Outputs {
			if id < 0 {
				continue
			}
			o := &sub.Tensors[id]
			if nd.Op == graph.OpReshape {
				if len(o.Shape) == 0 || o.Shape[0] != s.batch {
					return nil, fmt.Errorf("%w: node %q reshapes to %v, which does not keep the batch axis (%d) first", ErrUnsupported, nd.Name, o.Shape, s.batch)
				}
				o.Shape = append([]int{n}, o.Shape[1:]...)
				continue
			}
			o.DType, o.Shape = tensor.Invalid, nil
		}
	}
	for ni := range nodes {
		if err := ops.Infer(sub, &nodes[ni]); err != nil {
			return nil, fmt.Errorf("train: tail at batch %d: %w", n, err)
		}
	}
	p := &plan{n: n}
	// Slots: graph tensors, then extras.
	for i := range sub.Tensors {
		p.shapes = append(p.shapes, sub.Tensors[i].Shape)
	}
	p.vals = make([][]float32, len(sub.Tensors))
	need := make([]bool, len(sub.Tensors))
	for _, id := range s.inputs {
		p.vals[id] = p.alloc(tensor.NumElems(p.shapes[id]))
		need[id] = t.o.InputGrad
	}
	newSlot := func(shape []int, grad bool) int {
		p.shapes = append(p.shapes, shape)
		p.vals = append(p.vals, p.alloc(tensor.NumElems(shape)))
		need = append(need, grad)
		return len(p.vals) - 1
	}
	for ni := range nodes {
		nd := &nodes[ni]
		for _, id := range nd.Inputs {
			if id >= 0 && sub.Tensors[id].Const != nil && p.vals[id] == nil {
				if sub.Tensors[id].DType != tensor.Float32 {
					return nil, fmt.Errorf("%w: node %q (%v) reads non-float constant %q", ErrUnsupported, nd.Name, nd.Op, sub.Tensors[id].Name)
				}
				p.vals[id] = sub.Tensors[id].Const.F32
			}
		}
		for _, id := range nd.Outputs {
			if id < 0 {
				continue
			}
			ot := &sub.Tensors[id]
			if ot.DType != tensor.Float32 {
				if nd.Op == graph.OpIdentity && ot.DType == tensor.Bool {
					continue // dropout mask output of an inference Dropout: never read in a tail we train
				}
				return nil, fmt.Errorf("%w: node %q (%v) produces %v tensor %q", ErrUnsupported, nd.Name, nd.Op, ot.DType, ot.Name)
			}
			p.vals[id] = p.alloc(tensor.NumElems(ot.Shape))
		}
		// A node's output needs a gradient when it has parameters or reads
		// a tensor that needs one.
		grad := hasWeights(g, nd)
		for _, id := range nd.Inputs {
			if id >= 0 && need[id] {
				grad = true
			}
		}
		x := nd.Inputs[0]
		if nd.Name == HeadNode && t.o.HeadDropout > 0 {
			d := &dropoutLayer{rate: t.o.HeadDropout, x: x, y: newSlot(p.shapes[x], need[x])}
			d.mask = p.alloc(len(p.vals[d.y]))
			p.layers = append(p.layers, d)
			x = d.y
		}
		ls, err := t.makeLayers(sub, nd, x, grad, newSlot)
		if err != nil {
			return nil, err
		}
		p.layers = append(p.layers, ls...)
		for _, id := range nd.Outputs {
			if id >= 0 && p.vals[id] != nil {
				need[id] = grad
			}
		}
	}
	if !need[t.out] {
		return nil, fmt.Errorf("%w: the tail output %q depends on no parameter", ErrCut, g.Tensors[t.out].Name)
	}
	p.grads = make([][]float32, len(p.vals))
	for id, nd := range need {
		if nd && t.byID[id] == nil {
			p.grads[id] = p.alloc(len(p.vals[id]))
		}
	}
	return p, nil
}

// makeLayers turns one node (input 0 read from slot x) into tape steps; a
// fused activation becomes a separate step after a pre-activation slot.
func (t *Tail) makeLayers(g *graph.Graph, nd *graph.Node, x int, grad bool, newSlot func([]int, bool) int) ([]layer, error) {
	y := nd.Outputs[0]
	yshape := g.Tensors[y].Shape
	var act kernels.Act
	switch q := nd.Params.(type) {
	case *graph.ConvParams:
		act = q.Act
	case *graph.DenseParams:
		act = q.Act
	case *graph.BinaryParams:
		act = q.Act
	}
	z := y
	if act.Kind != kernels.ActNone {
		z = newSlot(yshape, grad)
	}
	var ls []layer
	switch nd.Op {
	case graph.OpConv:
		geom, ok := ops.ConvGeom2D(g, nd)
		if !ok {
			return nil, fmt.Errorf("%w: node %q: %d-d convolution (1-d and 2-d only)", ErrUnsupported, nd.Name, len(g.Tensors[nd.Inputs[0]].Shape)-2)
		}
		l := &convLayer{g: geom, x: x, y: z, w: t.byID[nd.Inputs[1]]}
		if len(nd.Inputs) > 2 && nd.Inputs[2] >= 0 {
			l.b = t.byID[nd.Inputs[2]]
		}
		ls = append(ls, l)
	case graph.OpDense:
		w := g.Tensors[nd.Inputs[1]]
		l := &denseLayer{k: w.Shape[0], n: w.Shape[1], x: x, y: z, w: t.byID[nd.Inputs[1]]}
		if len(nd.Inputs) > 2 && nd.Inputs[2] >= 0 {
			l.b = t.byID[nd.Inputs[2]]
		}
		ls = append(ls, l)
	case graph.OpBatchNorm:
		c := func(i int) []float32 { return g.Tensors[nd.Inputs[i]].Const.F32 }
		scale, shift := ops.BatchNormAffine(c(1), c(2), c(3), c(4), nd.Params.(*graph.BatchNormParams).Epsilon)
		ls = append(ls, &bnLayer{scale: scale, shift: shift, x: x, y: z})
	case graph.OpUnary:
		act = nd.Params.(*graph.UnaryParams).Act
		if act.Kind > kernels.ActSwish {
			return nil, fmt.Errorf("%w: node %q: activation %v", ErrUnsupported, nd.Name, act)
		}
		return []layer{&actLayer{act: act, x: x, y: y}}, nil
	case graph.OpBinary:
		op := nd.Params.(*graph.BinaryParams).Op
		a, b := x, nd.Inputs[1]
		ls = append(ls, &binaryLayer{op: op, a: a, b: b, y: z,
			as: g.Tensors[nd.Inputs[0]].Shape, bs: g.Tensors[b].Shape, ys: yshape,
			bc: newBcast(yshape, g.Tensors[nd.Inputs[0]].Shape, g.Tensors[b].Shape)})
	case graph.OpGlobalAvgPool:
		xs := g.Tensors[nd.Inputs[0]].Shape
		ls = append(ls, &gapLayer{n: xs[0], hw: tensor.NumElems(xs[1 : len(xs)-1]), c: xs[len(xs)-1], x: x, y: z})
	case graph.OpReduceMean:
		ls = append(ls, &reduceMeanLayer{xs: g.Tensors[nd.Inputs[0]].Shape, axes: nd.Params.(*graph.ReduceParams).Axes, x: x, y: z})
	case graph.OpReshape, graph.OpIdentity:
		ls = append(ls, &copyLayer{x: x, y: z})
	default:
		return nil, fmt.Errorf("%w: node %q: op %v has no backward pass", ErrUnsupported, nd.Name, nd.Op)
	}
	if act.Kind != kernels.ActNone {
		ls = append(ls, &actLayer{act: act, x: z, y: y})
	}
	return ls, nil
}

type convLayer struct {
	g       kernels.ConvGeom
	x, y    int
	w, b    *Param
	scratch [][]float32
	s       convScratch
}

func (l *convLayer) forward(t *Tail, p *plan, _ bool) {
	var bias []float32
	if l.b != nil {
		bias = l.b.Value
	}
	k := kernels.PackConvF32(l.g, l.w.Value, bias, kernels.Act{})
	for len(l.scratch) < t.wk.n {
		l.scratch = append(l.scratch, make([]float32, k.ScratchLen()))
	}
	x, y := p.vals[l.x], p.vals[l.y]
	t.wk.parts(func(part, parts int) { k.RunPart(x, y, l.scratch[part], part, parts) })
}

func (l *convLayer) backward(t *Tail, p *plan) {
	var db []float32
	if l.b != nil {
		db = l.b.Grad
	}
	convBackward(t.wk, l.g, p.vals[l.x], l.w.Value, p.grads[l.y], p.grads[l.x], l.w.Grad, db, &l.s)
}

type denseLayer struct {
	k, n int
	x, y int
	w, b *Param
	s    convScratch
}

func (l *denseLayer) forward(t *Tail, p *plan, _ bool) {
	var bias []float32
	if l.b != nil {
		bias = l.b.Value
	}
	d := kernels.PackDenseF32(l.k, l.n, l.w.Value, bias, kernels.Act{})
	x, y := p.vals[l.x], p.vals[l.y]
	m := len(x) / l.k
	t.wk.parts(func(part, parts int) { d.RunPart(x, m, y, part, parts) })
}

func (l *denseLayer) backward(t *Tail, p *plan) {
	var db []float32
	if l.b != nil {
		db = l.b.Grad
	}
	x := p.vals[l.x]
	denseBackward(t.wk, len(x)/l.k, l.k, l.n, x, l.w.Value, p.grads[l.y], p.grads[l.x], l.w.Grad, db, &l.s)
}

type bnLayer struct {
	scale, shift []float32
	x, y         int
}

func (l *bnLayer) forward(t *Tail, p *plan, _ bool) {
	x, y := p.vals[l.x], p.vals[l.y]
	c := len(l.scale)
	t.wk.ranges(len(x)/c, 16, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			xs, ys := x[r*c:(r+1)*c], y[r*c:(r+1)*c]
			for j, v := range xs {
				ys[j] = v*l.scale[j] + l.shift[j]
			}
		}
	})
}

func (l *bnLayer) backward(t *Tail, p *plan) {
	if dx := p.grads[l.x]; dx != nil {
		bnBackward(t.wk, l.scale, p.grads[l.y], dx)
	}
}

type actLayer struct {
	act  kernels.Act
	x, y int
}

func (l *actLayer) forward(t *Tail, p *plan, _ bool) {
	x, y := p.vals[l.x], p.vals[l.y]
	t.wk.ranges(len(x), 1024, func(lo, hi int) {
		copy(y[lo:hi], x[lo:hi])
		kernels.ApplyAct(l.act, y[lo:hi])
	})
}

func (l *actLayer) backward(t *Tail, p *plan) {
	if dx := p.grads[l.x]; dx != nil {
		actBackward(t.wk, l.act, p.vals[l.x], p.vals[l.y], p.grads[l.y], dx)
	}
}

type binaryLayer struct {
	op         kernels.BinOp
	a, b, y    int
	as, bs, ys []int
	bc         bcast
}

func (l *binaryLayer) forward(t *Tail, p *plan, _ bool) {
	kernels.BinaryF32(l.op, p.vals[l.a], l.as, p.vals[l.b], l.bs, p.vals[l.y], l.ys)
}

func (l *binaryLayer) backward(t *Tail, p *plan) {
	da, db := p.grads[l.a], p.grads[l.b]
	if da == nil && db == nil {
		return
	}
	binaryBackward(l.op, l.bc, p.vals[l.a], p.vals[l.b], p.grads[l.y], da, db)
}

type gapLayer struct {
	n, hw, c int
	x, y     int
}

func (l *gapLayer) forward(t *Tail, p *plan, _ bool) {
	kernels.GlobalAvgPoolF32(l.n, l.hw, l.c, p.vals[l.x], p.vals[l.y])
}

func (l *gapLayer) backward(t *Tail, p *plan) {
	if dx := p.grads[l.x]; dx != nil {
		gapBackward(t.wk, l.n, l.hw, l.c, p.grads[l.y], dx)
	}
}

type reduceMeanLayer struct {
	xs, axes []int
	x, y     int
}

func (l *reduceMeanLayer) forward(t *Tail, p *plan, _ bool) {
	kernels.ReduceMeanF32(p.vals[l.x], l.xs, l.axes, p.vals[l.y])
}

func (l *reduceMeanLayer) backward(t *Tail, p *plan) {
	if dx := p.grads[l.x]; dx != nil {
		reduceMeanBackward(l.xs, l.axes, p.grads[l.y], dx)
	}
}

type copyLayer struct{ x, y int }

func (l *copyLayer) forward(t *Tail, p *plan, _ bool) { copy(p.vals[l.y], p.vals[l.x]) }

func (l *copyLayer) backward(t *Tail, p *plan) {
	if dx := p.grads[l.x]; dx != nil {
		addTo(dx, p.grads[l.y])
	}
}

type dropoutLayer struct {
	rate float32
	x, y int
	mask []float32
	// reuse keeps the last mask (finite-difference tests).
	reuse bool
}

func (l *dropoutLayer) forward(t *Tail, p *plan, train bool) {
	x, y := p.vals[l.x], p.vals[l.y]
	switch {
	case !train:
		for i := range l.mask {
			l.mask[i] = 1
		}
		copy(y, x)
	case l.reuse:
		for i, v := range x {
			y[i] = v * l.mask[i]
		}
	default:
		dropoutForward(l.rate, t.rng.Float64, x, y, l.mask)
	}
}

func (l *dropoutLayer) backward(t *Tail, p *plan) {
	if dx := p.grads[l.x]; dx != nil {
		dropoutBackward(l.mask, p.grads[l.y], dx)
	}
}
