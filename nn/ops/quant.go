package ops

import (
	"math"
	"unsafe"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// quantizeOp converts float32 to a quantized integer tensor, or one
// quantized tensor to another (requantization: uint8 ↔ int8 shifts, new
// scales). ONNX style rounds half to even; TFLite style half away from zero.
type quantizeOp struct {
	fromFloat bool
	inScale   []float32
	inZero    []int32
	scale     []float32
	zero      []int32
	inner     int // elements per channel step for per-axis parameters
	channels  int
	lo, hi    int32
	halfEven  bool
	// table, for an 8-bit input and output quantized per tensor, holds the
	// result byte for every input byte (built with the general loop's
	// formula, so the same bits, at a table look-up per element).
	table *[256]int8
}

func compileQuantize(g *graph.Graph, n *graph.Node) (Op, error) {
	x, y := in(g, n, 0), out(g, n, 0)
	op := &quantizeOp{fromFloat: x.DType == tensor.Float32, scale: y.Quant.Scale, zero: y.Quant.ZeroPoint,
		halfEven: g.QuantStyle == graph.QuantONNX}
	op.lo, op.hi = -128, 127
	if y.DType == tensor.Uint8 {
		op.lo, op.hi = 0, 255
	}
	op.channels, op.inner = 1, 1
	if !y.Quant.PerTensor() {
		op.channels = len(y.Quant.Scale)
		op.inner = tensor.NumElems(y.Shape[y.Quant.Axis+1:])
	}
	if !op.fromFloat {
		if !x.Quant.PerTensor() && !x.Quant.Equal(&graph.Quant{Scale: x.Quant.Scale, ZeroPoint: x.Quant.ZeroPoint, Axis: y.Quant.Axis}) {
			return nil, nodeErr(n, "requantization between different per-channel axes: %w", ErrUnsupported)
		}
		op.inScale, op.inZero = x.Quant.Scale, x.Quant.ZeroPoint
		if y.DType == tensor.Int8 || y.DType == tensor.Uint8 {
			op.buildTable(x.DType)
		}
	}
	return op, nil
}

// buildTable sets o.table when the input (of dtype in) and the output are
// 8-bit and quantized per tensor. The output dtype must be 8-bit.
func (o *quantizeOp) buildTable(in tensor.DType) {
	if o.fromFloat || o.channels != 1 || len(o.inScale) != 1 || (in != tensor.Int8 && in != tensor.Uint8) {
		return
	}
	var t [256]int8
	for b := 0; b < 256; b++ {
		q := int32(b)
		if in == tensor.Int8 {
			q = int32(int8(uint8(b)))
		}
		t[b] = int8(o.fromInt(q, 0))
	}
	o.table = &t
}

func (o *quantizeOp) ScratchLen() int { return 0 }

func (o *quantizeOp) Run(x *Exec, in, out []*tensor.Tensor) {
	o.run(in[0], out[0], 0, in[0].Len())
}

// RunPart converts a range of the elements (each converted alone, so any
// split gives the same bits); small tensors run whole in part 0.
func (o *quantizeOp) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	n := in[0].Len()
	if n < o.minPart(out[0].DType) {
		if part == 0 {
			o.run(in[0], out[0], 0, n)
		}
		return
	}
	lo, hi := elemRange(n, part, parts)
	o.run(in[0], out[0], lo, hi)
}

// minPart is the smallest tensor worth splitting: the table and the
// per-tensor float paths are cheap per element, the general loop is not.
func (o *quantizeOp) minPart(out tensor.DType) int {
	if o.table != nil || (o.fromFloat && o.channels == 1 && o.halfEven && (out == tensor.Int8 || out == tensor.Uint8)) {
		return minPartCheap
	}
	return minPartElems
}

// run converts elements [lo, hi) of src into dst.
func (o *quantizeOp) run(src, dst *tensor.Tensor, lo, hi int) {
	if lo >= hi {
		return
	}
	if o.table != nil {
		kernels.LUTS8(o.table, bytesS8(src)[lo:hi], bytesS8(dst)[lo:hi])
		return
	}
	if o.fromFloat && o.channels == 1 && o.halfEven {
		switch dst.DType {
		case tensor.Int8:
			kernels.QuantizeS8(kernels.RequantFloat, src.F32[lo:hi], o.scale[0], o.zero[0], dst.I8[lo:hi])
			return
		case tensor.Uint8:
			quantizeHalfEven(src.F32[lo:hi], o.scale[0], o.zero[0], o.lo, o.hi, dst.U8[lo:hi])
			return
		}
	}
	for i := lo; i < hi; i++ {
		c := 0
		if o.channels > 1 {
			c = i / o.inner % o.channels
		}
		var q int32
		if o.fromFloat {
			q = o.fromF32(src.F32[i], c)
		} else {
			q = o.fromInt(readInt(src, i), c)
		}
		writeInt(dst, i, q)
	}
}

// fromInt is the conversion of the quantized value q in channel c.
func (o *quantizeOp) fromInt(q int32, c int) int32 {
	ci := min(c, len(o.inScale)-1)
	return o.fromF32(float32(q-o.inZero[ci])*o.inScale[ci], c)
}

// fromF32 is the conversion of the real value v in channel c.
func (o *quantizeOp) fromF32(v float32, c int) int32 {
	q := roundQ(v/o.scale[c], o.halfEven) + float64(o.zero[c])
	if o.halfEven && v/o.scale[c] != v/o.scale[c] {
		q = float64(o.lo) // NaN: MLAS's clamp gives the low bound
	}
	q = math.Max(float64(o.lo), math.Min(float64(o.hi), q))
	return int32(q)
}

// bytesS8 views an 8-bit tensor's data as int8 (the bytes of a uint8
// tensor reinterpreted, for byte tables).
func bytesS8(t *tensor.Tensor) []int8 {
	if t.DType == tensor.Uint8 {
		return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(t.U8))), len(t.U8))
	}
	return t.I8
}

// quantizeHalfEven is the per-tensor ONNX case of quantizeOp.Run with the
// same results (kernels.QuantizeS8's for int8): the float32 quotient
// clamped to [lo−zero, hi−zero] (integer bounds, so clamping before
// rounding equals clamping after) and rounded half to even by the 1.5·2^23
// addition (exact for |q| <= 2^22, which the clamp ensures); NaN gives lo,
// as MLAS's clamp does.
func quantizeHalfEven[T int8 | uint8](x []float32, scale float32, zero, lo, hi int32, y []T) {
	const magic = 12582912 // 1.5 * 2^23
	flo, fhi := float32(lo-zero), float32(hi-zero)
	y = y[:len(x)]
	for i, v := range x {
		q := v / scale
		if !(q >= flo) { // also NaN
			q = flo
		}
		q = min(q, fhi)
		y[i] = T(int32(float32(q+magic)-magic) + zero)
	}
}

// roundQ rounds a quantization quotient: half to even (ONNX, numpy) or
// half away from zero (TFLite). NaN becomes 0.
func roundQ(v float32, halfEven bool) float64 {
	f := float64(v)
	if math.IsNaN(f) {
		return 0
	}
	if halfEven {
		return math.RoundToEven(f)
	}
	return math.Round(f)
}

func readInt(t *tensor.Tensor, i int) int32 {
	switch t.DType {
	case tensor.Int8:
		return int32(t.I8[i])
	case tensor.Uint8:
		return int32(t.U8[i])
	case tensor.Int32:
		return t.I32[i]
	}
	return 0
}

func writeInt(t *tensor.Tensor, i int, v int32) {
	switch t.DType {
	case tensor.Int8:
		t.I8[i] = int8(v)
	case tensor.Uint8:
		t.U8[i] = uint8(v)
	case tensor.Int32:
		t.I32[i] = v
	}
}

// dequantizeOp: real = scale·(q − zero point), per tensor or per channel.
type dequantizeOp struct {
	scale           []float32
	zero            []int32
	inner, channels int
}

func compileDequantize(g *graph.Graph, n *graph.Node) (Op, error) {
	x := in(g, n, 0)
	op := &dequantizeOp{scale: x.Quant.Scale, zero: x.Quant.ZeroPoint, inner: 1, channels: 1}
	if !x.Quant.PerTensor() {
		op.channels = len(x.Quant.Scale)
		op.inner = tensor.NumElems(x.Shape[x.Quant.Axis+1:])
	}
	return op, nil
}

func (o *dequantizeOp) ScratchLen() int { return 0 }

func (o *dequantizeOp) Run(x *Exec, in, out []*tensor.Tensor) {
	o.run(in[0], out[0].F32, 0, len(out[0].F32))
}

// RunPart converts a range of the elements; small tensors run whole in
// part 0.
func (o *dequantizeOp) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	n := len(out[0].F32)
	if n < minPartElems || (n < minPartCheap && o.channels == 1 && in[0].DType == tensor.Int8) {
		if part == 0 {
			o.run(in[0], out[0].F32, 0, n)
		}
		return
	}
	lo, hi := elemRange(n, part, parts)
	o.run(in[0], out[0].F32, lo, hi)
}

// run converts elements [lo, hi) of src into dst.
func (o *dequantizeOp) run(src *tensor.Tensor, dst []float32, lo, hi int) {
	if o.channels == 1 && src.DType == tensor.Int8 {
		s, z := o.scale[0], o.zero[0]
		for i, v := range src.I8[lo:hi] {
			dst[lo+i] = float32(int32(v)-z) * s
		}
		return
	}
	for i := lo; i < hi; i++ {
		c := 0
		if o.channels > 1 {
			c = i / o.inner % o.channels
		}
		dst[i] = float32(readInt(src, i)-o.zero[c]) * o.scale[c]
	}
}
