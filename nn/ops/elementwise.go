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
	// partShapes holds each part's operand shapes for RunPart (3 shapes of
	// maxBinaryParts ranks per part), allocated at compile time: shapes
	// passed to the kernel escape, so stack arrays would allocate per call.
	partShapes []int
}

// maxBinaryParts is how many threads a binary op splits over at most; with
// more, part 0 runs it whole.
const maxBinaryParts = 16

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

// minPartElems is the smallest op worth splitting over threads, in
// elements read (for a pooling, output elements times window taps; for an
// int8 dense layer, weights): below it the pool's handoff costs more than
// half the work saves. It is sized for ops near 1 ns per element on one
// thread of the 2-core development machine (global average pooling with
// float64 sums: 0.37 ms for 112·112·32 values in the EfficientNet-B0
// profile; the general quantization loop is ~10 ns), so 2^14 elements are
// ≥ 16 µs of work. minPartCheap is for ops near 0.2–0.5 ns per element
// (byte tables, vectorized float → int8 quantization, int8 dequantization):
// four times as many elements for the same work. BenchmarkPartSplit measures
// both sides (op=nop is the bare handoff); re-measure on a quiet machine
// before moving them.
const (
	minPartElems = 1 << 14
	minPartCheap = 4 * minPartElems
)

// elemRange is part's share [lo, hi) of n elements, in multiples of 16 (whole
// vectors for the kernels).
func elemRange(n, part, parts int) (lo, hi int) {
	return splitRange(n, 16, part, parts)
}

// splitRange is part's share [lo, hi) of n items cut at multiples of unit:
// the shares cover [0, n) in order, some empty when parts exceed the
// blocks.
func splitRange(n, unit, part, parts int) (lo, hi int) {
	blocks := (n + unit - 1) / unit
	lo = min(blocks*part/parts*unit, n)
	hi = min(blocks*(part+1)/parts*unit, n)
	return lo, hi
}

// RunPart runs a share of a float32 activation (elementwise, so any split is
// bit-identical); other types and small tensors run whole in part 0.
func (o *unaryOp) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	src, dst := in[0], out[0]
	if src.DType != tensor.Float32 || len(src.F32) < minPartElems {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	lo, hi := elemRange(len(src.F32), part, parts)
	copy(dst.F32[lo:hi], src.F32[lo:hi])
	kernels.ApplyAct(o.act, dst.F32[lo:hi])
}

// RunPart runs a share of a float32 binary op: a range of the first output
// axis longer than 1 (the earlier ones are 1), each operand's rows taken
// from that range or, where it broadcasts along the axis, whole. Other
// types, small outputs and operands of lower rank run whole in part 0.
func (o *binaryOp) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	a, b, y := in[0], in[1], out[0]
	r := len(o.yshape)
	if a.DType != tensor.Float32 || len(y.F32) < minPartElems || len(o.ashape) != r || len(o.bshape) != r {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	ax := 0
	for ax < r-1 && o.yshape[ax] == 1 {
		ax++
	}
	rows := o.yshape[ax]
	lo, hi := rows*part/parts, rows*(part+1)/parts
	if lo == hi {
		return
	}
	if parts > maxBinaryParts {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	buf := o.partShapes[part*3*r : (part+1)*3*r]
	as, bs, ys := buf[:r], buf[r:2*r], buf[2*r:]
	copy(as, o.ashape)
	copy(bs, o.bshape)
	copy(ys, o.yshape)
	ys[ax] = hi - lo
	ystride := len(y.F32) / rows
	av, bv := a.F32, b.F32
	if o.ashape[ax] == rows && rows > 1 {
		s := len(av) / rows
		av, as[ax] = av[lo*s:hi*s], hi-lo
	}
	if o.bshape[ax] == rows && rows > 1 {
		s := len(bv) / rows
		bv, bs[ax] = bv[lo*s:hi*s], hi-lo
	}
	yv := y.F32[lo*ystride : hi*ystride]
	kernels.BinaryF32(o.op, av, as, bv, bs, yv, ys)
	if o.act.Kind != kernels.ActNone {
		kernels.ApplyAct(o.act, yv)
	}
}
