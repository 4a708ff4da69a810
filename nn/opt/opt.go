// Package opt holds graph rewrites: pure functions from a graph to an
// equivalent graph that runs faster. Each is tested by running the graph
// before and after.
package opt

import (
	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/ops"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Options choose the rewrites. The zero value applies none; Default applies all.
type Options struct {
	FoldBatchNorm   bool // frozen BatchNorm after a convolution → scaled weights and bias
	FusePad         bool // zero Pad of spatial axes before a convolution → conv padding
	FuseActivations bool // x·sigmoid(x), x·hardsigmoid(x), activations → fused into their producer
}

// Default is every rewrite.
func Default() Options { return Options{FoldBatchNorm: true, FusePad: true, FuseActivations: true} }

// Apply returns an optimized copy of g; g is not modified.
func Apply(g *graph.Graph, o Options) *graph.Graph {
	g = clone(g)
	if o.FoldBatchNorm {
		foldBatchNorm(g)
	}
	if o.FusePad {
		fusePad(g)
	}
	if o.FuseActivations {
		fuseSwish(g)
		fuseActivations(g)
	}
	RemoveDead(g)
	return g
}

func clone(g *graph.Graph) *graph.Graph {
	c := &graph.Graph{
		Tensors: append([]graph.Tensor(nil), g.Tensors...),
		Inputs:  append([]int(nil), g.Inputs...),
		Outputs: append([]int(nil), g.Outputs...),

		QuantStyle: g.QuantStyle,
	}
	for _, n := range g.Nodes {
		n.Inputs = append([]int(nil), n.Inputs...)
		n.Outputs = append([]int(nil), n.Outputs...)
		c.Nodes = append(c.Nodes, n)
	}
	return c
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

// soleUse reports whether tensor id is read by exactly one node and is not
// a graph output, so its producer may be merged into that node.
func soleUse(g *graph.Graph, cons [][]int, id int) bool {
	return len(cons[id]) == 1 && !g.IsOutput(id)
}

// foldBatchNorm rewrites conv → BN as one conv:
// w'[oc] = w[oc]·s[oc], b'[oc] = b[oc]·s[oc] + t[oc] with
// s = gamma/sqrt(var+eps), t = beta − mean·s (ncnn's formula).
func foldBatchNorm(g *graph.Graph) {
	prod, cons := producers(g), g.Consumers()
	for bi := range g.Nodes {
		bn := &g.Nodes[bi]
		if bn.Op != graph.OpBatchNorm {
			continue
		}
		x := bn.Inputs[0]
		ci := prod[x]
		if ci < 0 || !soleUse(g, cons, x) {
			continue
		}
		conv := &g.Nodes[ci]
		if conv.Op != graph.OpConv || conv.Params.(*graph.ConvParams).Act.Kind != kernels.ActNone {
			continue
		}
		c := func(i int) []float32 { return g.Tensors[bn.Inputs[i]].Const.F32 }
		s, t := ops.BatchNormAffine(c(1), c(2), c(3), c(4), bn.Params.(*graph.BatchNormParams).Epsilon)
		w := g.Tensors[conv.Inputs[1]].Const
		nw := w.Clone()
		per := nw.Len() / len(s)
		for oc := range s {
			row := nw.F32[oc*per : (oc+1)*per]
			for i := range row {
				row[i] *= s[oc]
			}
		}
		nb := tensor.New(tensor.Float32, len(s))
		if len(conv.Inputs) > 2 && conv.Inputs[2] >= 0 {
			copy(nb.F32, g.Tensors[conv.Inputs[2]].Const.F32)
		}
		for oc := range s {
			nb.F32[oc] = nb.F32[oc]*s[oc] + t[oc]
		}
		wid := g.AddConst(g.Tensors[conv.Inputs[1]].Name+"#bn", nw)
		bid := g.AddConst(conv.Name+"#bias", nb)
		conv.Inputs = []int{conv.Inputs[0], wid, bid}
		conv.Outputs[0] = bn.Outputs[0]
		kill(bn)
	}
}

// fusePad merges a constant-zero Pad of only the spatial axes into the
// convolution reading it.
func fusePad(g *graph.Graph) {
	prod, cons := producers(g), g.Consumers()
	for ci := range g.Nodes {
		conv := &g.Nodes[ci]
		if conv.Op != graph.OpConv {
			continue
		}
		x := conv.Inputs[0]
		pi := prod[x]
		if pi < 0 || !soleUse(g, cons, x) {
			continue
		}
		pad := &g.Nodes[pi]
		if pad.Op != graph.OpPad {
			continue
		}
		pp := pad.Params.(*graph.PadParams)
		r := len(pp.Begin)
		if pp.Mode != kernels.PadConstant || pp.Value != 0 || pp.Begin[0] != 0 || pp.End[0] != 0 || pp.Begin[r-1] != 0 || pp.End[r-1] != 0 {
			continue
		}
		ok := true
		for i := 1; i < r-1; i++ {
			if pp.Begin[i] < 0 || pp.End[i] < 0 {
				ok = false
			}
		}
		if !ok {
			continue
		}
		cp := *conv.Params.(*graph.ConvParams)
		cp.PadBegin = append([]int(nil), cp.PadBegin...)
		cp.PadEnd = append([]int(nil), cp.PadEnd...)
		for i := 1; i < r-1; i++ {
			cp.PadBegin[i-1] += pp.Begin[i]
			cp.PadEnd[i-1] += pp.End[i]
		}
		conv.Params = &cp
		conv.Inputs[0] = pad.Inputs[0]
		kill(pad)
	}
}

// fuseSwish rewrites x·sigmoid(x) as swish(x) and x·hardsigmoid(x) (alpha
// 1/6, beta 1/2) as hardswish(x).
func fuseSwish(g *graph.Graph) {
	prod, cons := producers(g), g.Consumers()
	for mi := range g.Nodes {
		mul := &g.Nodes[mi]
		if mul.Op != graph.OpBinary || len(mul.Inputs) == 0 {
			continue
		}
		bp := mul.Params.(*graph.BinaryParams)
		if bp.Op != kernels.OpMul || bp.Act.Kind != kernels.ActNone || g.Tensors[mul.Inputs[0]].DType != tensor.Float32 {
			continue
		}
		for side := 0; side < 2; side++ {
			x, s := mul.Inputs[side], mul.Inputs[1-side]
			si := prod[s]
			if si < 0 || !soleUse(g, cons, s) {
				continue
			}
			sn := &g.Nodes[si]
			if sn.Op != graph.OpUnary || sn.Inputs[0] != x {
				continue
			}
			a := sn.Params.(*graph.UnaryParams).Act
			var kind kernels.ActKind
			switch {
			case a.Kind == kernels.ActSigmoid:
				kind = kernels.ActSwish
			case a.Kind == kernels.ActHardSigmoid && abs(a.Alpha-1.0/6) < 1e-6 && a.Beta == 0.5:
				kind = kernels.ActHardSwish
			default:
				continue
			}
			mul.Op = graph.OpUnary
			mul.Params = &graph.UnaryParams{Act: kernels.Act{Kind: kind}}
			mul.Inputs = []int{x}
			kill(sn)
			break
		}
	}
}

// kill disconnects a node merged into another; RemoveDead drops it.
func kill(n *graph.Node) {
	n.Inputs, n.Outputs = nil, []int{-1}
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// fuseActivations merges an activation into the conv, dense or float
// binary op producing its input.
func fuseActivations(g *graph.Graph) {
	prod, cons := producers(g), g.Consumers()
	for ai := range g.Nodes {
		an := &g.Nodes[ai]
		if an.Op != graph.OpUnary || len(an.Inputs) == 0 {
			continue
		}
		act := an.Params.(*graph.UnaryParams).Act
		x := an.Inputs[0]
		pi := prod[x]
		if pi < 0 || !soleUse(g, cons, x) || g.Tensors[x].DType != tensor.Float32 {
			continue
		}
		pn := &g.Nodes[pi]
		var slot *kernels.Act
		switch pn.Op {
		case graph.OpConv:
			cp := *pn.Params.(*graph.ConvParams)
			pn.Params = &cp
			slot = &cp.Act
		case graph.OpDense:
			dp := *pn.Params.(*graph.DenseParams)
			pn.Params = &dp
			slot = &dp.Act
		case graph.OpBinary:
			bp := *pn.Params.(*graph.BinaryParams)
			pn.Params = &bp
			slot = &bp.Act
		default:
			continue
		}
		if slot.Kind != kernels.ActNone {
			continue
		}
		*slot = act
		y := an.Outputs[0]
		pn.Outputs[0] = y
		prod[y] = pi
		kill(an)
	}
}

// Read reports, by tensor id, whether a node reads the tensor or it is a
// graph output.
func Read(g *graph.Graph) []bool {
	used := make([]bool, len(g.Tensors))
	for _, id := range g.Outputs {
		used[id] = true
	}
	for _, n := range g.Nodes {
		for _, id := range n.Inputs {
			if id >= 0 {
				used[id] = true
			}
		}
	}
	return used
}

// RemoveDead drops, in place, the nodes none of whose outputs is read or is
// a graph output.
func RemoveDead(g *graph.Graph) {
	for {
		used := Read(g)
		kept := g.Nodes[:0]
		for _, n := range g.Nodes {
			for _, id := range n.Outputs {
				if id >= 0 && used[id] {
					kept = append(kept, n)
					break
				}
			}
		}
		if len(kept) == len(g.Nodes) {
			return
		}
		g.Nodes = kept
	}
}
