package ops

import (
	"math"

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
	}
	return op, nil
}

func (o *quantizeOp) ScratchLen() int { return 0 }

func (o *quantizeOp) Run(x *Exec, in, out []*tensor.Tensor) {
	if o.fromFloat && o.channels == 1 && o.halfEven {
		switch out[0].DType {
		case tensor.Int8:
			kernels.QuantizeS8(kernels.RequantFloat, in[0].F32, o.scale[0], o.zero[0], out[0].I8)
			return
		case tensor.Uint8:
			quantizeHalfEven(in[0].F32, o.scale[0], o.zero[0], o.lo, o.hi, out[0].U8)
			return
		}
	}
	n := in[0].Len()
	for i := 0; i < n; i++ {
		c := 0
		if o.channels > 1 {
			c = i / o.inner % o.channels
		}
		var v float32
		if o.fromFloat {
			v = in[0].F32[i]
		} else {
			ci := min(c, len(o.inScale)-1)
			v = float32(readInt(in[0], i)-o.inZero[ci]) * o.inScale[ci]
		}
		q := roundQ(v/o.scale[c], o.halfEven) + float64(o.zero[c])
		if o.halfEven && v/o.scale[c] != v/o.scale[c] {
			q = float64(o.lo) // NaN: MLAS's clamp gives the low bound
		}
		q = math.Max(float64(o.lo), math.Min(float64(o.hi), q))
		writeInt(out[0], i, int32(q))
	}
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
	src, dst := in[0], out[0].F32
	if o.channels == 1 && src.DType == tensor.Int8 {
		s, z := o.scale[0], o.zero[0]
		for i, v := range src.I8 {
			dst[i] = float32(int32(v)-z) * s
		}
		return
	}
	for i := range dst {
		c := 0
		if o.channels > 1 {
			c = i / o.inner % o.channels
		}
		dst[i] = float32(readInt(src, i)-o.zero[c]) * o.scale[c]
	}
}
