package ops

import (
	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/tensor"
)

type unaryOp struct{ act kernels.Act }

func (o *unaryOp) ScratchLen() int { return 0 }
func (o *unaryOp) Run(x *Exec, in, out []*tensor.Tensor) {
	src, dst := in[0], out[0]
	switch src.DType {
	case tensor.Float32:
		copy(dst.F32, src.F32)
		kernels.ApplyAct(o.act, dst.F32)
	case tensor.Uint8:
		clampInts(o.act, src.U8, dst.U8)
	case tensor.Int8:
		clampInts(o.act, src.I8, dst.I8)
	case tensor.Int32:
		clampInts(o.act, src.I32, dst.I32)
	case tensor.Int64:
		clampInts(o.act, src.I64, dst.I64)
	}
}

// clampInts applies an identity, ReLU or clip activation to integers.
func clampInts[T int8 | uint8 | int32 | int64](a kernels.Act, src, dst []T) {
	lo, hi := float64(-1<<63), float64(1<<63)
	switch a.Kind {
	case kernels.ActRelu:
		lo = 0
	case kernels.ActClip:
		lo, hi = float64(a.Min), float64(a.Max)
	}
	for i, v := range src {
		f := float64(v)
		switch {
		case f < lo:
			v = T(lo)
		case f > hi:
			v = T(hi)
		}
		if lo > hi { // ONNX: min > max gives max everywhere
			v = T(hi)
		}
		dst[i] = v
	}
}

type binaryOp struct {
	op                     kernels.BinOp
	act                    kernels.Act
	ashape, bshape, yshape []int
}

func (o *binaryOp) ScratchLen() int { return 0 }
func (o *binaryOp) Run(x *Exec, in, out []*tensor.Tensor) {
	a, b, y := in[0], in[1], out[0]
	switch a.DType {
	case tensor.Float32:
		kernels.BinaryF32(o.op, a.F32, o.ashape, b.F32, o.bshape, y.F32, o.yshape)
		if o.act.Kind != kernels.ActNone {
			kernels.ApplyAct(o.act, y.F32)
		}
	case tensor.Uint8:
		kernels.BinaryInt(o.op, a.U8, o.ashape, b.U8, o.bshape, y.U8, o.yshape)
	case tensor.Int8:
		kernels.BinaryInt(o.op, a.I8, o.ashape, b.I8, o.bshape, y.I8, o.yshape)
	case tensor.Int32:
		kernels.BinaryInt(o.op, a.I32, o.ashape, b.I32, o.bshape, y.I32, o.yshape)
	case tensor.Int64:
		kernels.BinaryInt(o.op, a.I64, o.ashape, b.I64, o.bshape, y.I64, o.yshape)
	}
}
