package ptq

import "math"

// Range is the float interval an activation is quantized over.
type Range struct {
	Min, Max float32
}

// qparams are a tensor's uint8 asymmetric quantization: real = scale·(q − zp).
type qparams struct {
	scale float32
	zp    uint8
}

// smallestScale is float32's smallest normal number: a smaller scale (an
// all-zero tensor) becomes 1, as ONNX Runtime's quantizer does.
const smallestScale = 0x1p-126

// actParams gives uint8 asymmetric parameters for r, widened to contain 0 so
// that zero (padding, ReLU) is exact (TFLite's spec):
// scale = (max−min)/255, zp = round(−min/scale) clamped to [0, 255].
func actParams(r Range) qparams {
	lo := math.Min(float64(r.Min), 0)
	hi := math.Max(float64(r.Max), 0)
	scale := float32((hi - lo) / 255)
	if !(scale >= smallestScale) || math.IsInf(float64(scale), 0) {
		return qparams{scale: 1}
	}
	zp := math.RoundToEven(-lo / float64(scale))
	return qparams{scale: scale, zp: uint8(math.Max(0, math.Min(255, zp)))}
}

// channelGeom returns, for a tensor of dims quantized along axis, the number
// of channels, the product of the dims before axis and after it.
func channelGeom(dims []int64, axis int) (ch, outer, inner int) {
	ch, outer, inner = int(dims[axis]), 1, 1
	for i, d := range dims {
		switch {
		case i < axis:
			outer *= int(d)
		case i > axis:
			inner *= int(d)
		}
	}
	return
}

// quantizeWeights quantizes w (shape dims) to int8 symmetric with zero point
// 0 and values in [−127, 127] (TFLite's spec): one scale per index of axis
// when perChannel, else one for the tensor. scale = max|w|/127 (1 for an
// all-zero channel), q = round_half_even(w/scale) (QuantizeLinear's rounding).
//
// minScale, if not nil, holds a lower bound per channel (one value per index
// of axis): a bias quantized with x_scale·w_scale must fit in int32, so a
// channel whose weights are tiny next to its bias gets a larger scale.
func quantizeWeights(w []float32, dims []int64, axis int, perChannel bool, minScale []float32) ([]int8, []float32) {
	ch, outer, inner := channelGeom(dims, axis)
	if !perChannel {
		ch, outer, inner = 1, 1, len(w)
	}
	absmax := make([]float64, ch)
	for o := 0; o < outer; o++ {
		for c := 0; c < ch; c++ {
			for _, v := range w[(o*ch+c)*inner : (o*ch+c+1)*inner] {
				absmax[c] = math.Max(absmax[c], math.Abs(float64(v)))
			}
		}
	}
	scales := make([]float32, ch)
	for c, a := range absmax {
		scales[c] = float32(a / 127)
		if !(scales[c] >= smallestScale) {
			scales[c] = 1
		}
	}
	for i, m := range minScale {
		c := i
		if !perChannel {
			c = 0
		}
		if m > scales[c] {
			scales[c] = m
		}
	}
	q := make([]int8, len(w))
	for o := 0; o < outer; o++ {
		for c := 0; c < ch; c++ {
			s := float64(scales[c])
			base := (o*ch + c) * inner
			for i, v := range w[base : base+inner] {
				q[base+i] = int8(math.Max(-127, math.Min(127, math.RoundToEven(float64(v)/s))))
			}
		}
	}
	return q, scales
}

// quantizeBias quantizes a bias to int32 with scale xScale·wScale[c] (one
// wScale, or one per element), zero point 0. clamped counts values that did
// not fit in int32.
func quantizeBias(b []float32, xScale float32, wScales []float32) (q []int32, scales []float32, clamped int) {
	scales = make([]float32, len(wScales))
	for i, ws := range wScales {
		scales[i] = xScale * ws
	}
	q = make([]int32, len(b))
	for i, v := range b {
		s := scales[0]
		if len(scales) > 1 {
			s = scales[i]
		}
		r := math.RoundToEven(float64(v) / float64(s))
		if r > math.MaxInt32 || r < math.MinInt32 {
			clamped++
			r = math.Max(math.MinInt32, math.Min(math.MaxInt32, r))
		}
		q[i] = int32(r)
	}
	return q, scales, clamped
}

// quantizeConst quantizes a constant operand of Add, Mul or Concat to uint8
// with its own min/max range.
func quantizeConst(v []float32) ([]uint8, qparams) {
	r := Range{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1))}
	for _, x := range v {
		r.Min, r.Max = min(r.Min, x), max(r.Max, x)
	}
	if len(v) == 0 {
		r = Range{}
	}
	p := actParams(r)
	q := make([]uint8, len(v))
	for i, x := range v {
		q[i] = p.quantize(x)
	}
	return q, p
}

// quantize is QuantizeLinear to uint8: saturate(round_half_even(x/scale) + zp).
func (p qparams) quantize(x float32) uint8 {
	r := math.RoundToEven(float64(x)/float64(p.scale)) + float64(p.zp)
	return uint8(math.Max(0, math.Min(255, r)))
}
