package ops

import (
	"fmt"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Compile prepares node n of g for execution: it validates what Infer did
// not, and packs constant weights once. Infer must have run on n.
func Compile(g *graph.Graph, n *graph.Node) (Op, error) {
	if quantizedCompute(g, n) {
		return compileQuantized(g, n)
	}
	switch n.Op {
	case graph.OpConv:
		return compileConv(g, n)
	case graph.OpBatchNorm:
		return compileBatchNorm(g, n)
	case graph.OpBatchNormTrain:
		p := n.Params.(*graph.BatchNormParams)
		return &bnTrainOp{eps: p.Epsilon, momentum: p.Momentum}, nil
	case graph.OpUnary:
		return &unaryOp{act: n.Params.(*graph.UnaryParams).Act}, nil
	case graph.OpBinary:
		p := n.Params.(*graph.BinaryParams)
		y := out(g, n, 0).Shape
		return &binaryOp{op: p.Op, act: p.Act, ashape: in(g, n, 0).Shape, bshape: in(g, n, 1).Shape, yshape: y,
			partShapes: make([]int, maxBinaryParts*3*len(y))}, nil
	case graph.OpDense:
		return compileDense(g, n)
	case graph.OpMatMul:
		mm, err := planMatMul(in(g, n, 0).Shape, in(g, n, 1).Shape)
		if err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		return mm, nil
	case graph.OpPool:
		return compilePool(g, n)
	case graph.OpGlobalAvgPool:
		x := in(g, n, 0)
		r := len(x.Shape)
		return &gapOp{n: x.Shape[0], hw: tensor.NumElems(x.Shape[1 : r-1]), c: x.Shape[r-1]}, nil
	case graph.OpSoftmax:
		p := n.Params.(*graph.SoftmaxParams)
		s := in(g, n, 0).Shape
		op := &softmaxOp{outer: tensor.NumElems(s[:p.Axis]), axis: s[p.Axis], inner: tensor.NumElems(s[p.Axis+1:])}
		if p.ToEnd {
			op.axis, op.inner = tensor.NumElems(s[p.Axis:]), 1
		}
		return op, nil
	case graph.OpTranspose:
		return &transposeOp{shape: in(g, n, 0).Shape, perm: n.Params.(*graph.TransposeParams).Perm}, nil
	case graph.OpReshape, graph.OpIdentity:
		return copyOp{}, nil
	case graph.OpConcat:
		op := &concatOp{axis: n.Params.(*graph.ConcatParams).Axis}
		for i := range n.Inputs {
			op.shapes = append(op.shapes, in(g, n, i).Shape)
		}
		return op, nil
	case graph.OpPad:
		p := n.Params.(*graph.PadParams)
		return &padOp{shape: in(g, n, 0).Shape, p: p}, nil
	case graph.OpReduceMean:
		return &reduceMeanOp{shape: in(g, n, 0).Shape, axes: n.Params.(*graph.ReduceParams).Axes}, nil
	case graph.OpGather:
		x, idx := in(g, n, 0), in(g, n, 1)
		return &gatherOp{shape: x.Shape, ishape: idx.Shape, axis: n.Params.(*graph.GatherParams).Axis}, nil
	case graph.OpResize:
		return compileResize(g, n)
	case graph.OpCast:
		return castOp{}, nil
	case graph.OpQuantize:
		return compileQuantize(g, n)
	case graph.OpDequantize:
		return compileDequantize(g, n)
	case graph.OpConvInteger:
		return compileConvInteger(g, n)
	case graph.OpMatMulInteger:
		return compileMatMulInteger(g, n)
	case graph.OpDynamicQuantize:
		return dynamicQuantizeOp{}, nil
	}
	return nil, nodeErr(n, "cannot compile op %v: %w", n.Op, ErrUnsupported)
}

// Eval runs a node whose inputs are all constants and returns its outputs.
// Importers use it to fold constants; it allocates.
func Eval(g *graph.Graph, n *graph.Node) ([]*tensor.Tensor, error) {
	if err := Infer(g, n); err != nil {
		return nil, err
	}
	op, err := Compile(g, n)
	if err != nil {
		return nil, err
	}
	ins := make([]*tensor.Tensor, len(n.Inputs))
	for i, id := range n.Inputs {
		if id < 0 {
			continue
		}
		c := g.Tensors[id].Const
		if c == nil {
			return nil, fmt.Errorf("ops: Eval of node %q: input %q is not constant", n.Name, g.Tensors[id].Name)
		}
		ins[i] = c
	}
	outs := make([]*tensor.Tensor, len(n.Outputs))
	for i, id := range n.Outputs {
		if id < 0 {
			continue
		}
		t := &g.Tensors[id]
		if err := tensor.CheckShape(t.Shape, 1<<28); err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		outs[i] = tensor.New(t.DType, t.Shape...)
	}
	x := &Exec{Scratch: make([]float32, op.ScratchLen())}
	op.Run(x, ins, outs)
	return outs, nil
}

// quantizedCompute reports whether n computes on quantized tensors (as
// opposed to moving them, which the generic ops do for any dtype).
func quantizedCompute(g *graph.Graph, n *graph.Node) bool {
	switch n.Op {
	case graph.OpConv, graph.OpDense, graph.OpBinary, graph.OpUnary, graph.OpGlobalAvgPool, graph.OpMatMul:
	case graph.OpPool:
		if n.Params.(*graph.PoolParams).Kind == graph.MaxPool {
			return false
		}
	default:
		return false
	}
	x := in(g, n, 0)
	return x != nil && x.Quant != nil
}
