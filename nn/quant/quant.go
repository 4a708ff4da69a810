// Package quant holds the quantization parameter maths of ocellus: it turns
// the scales and zero points of a quantized model into the integer
// parameters the int8 kernels of package kernels run with, exactly as the
// runtime that defines the model's semantics computes them at prepare time.
//
// Two runtimes are followed, chosen per op by the importer:
//
//   - TensorFlow Lite (…TFLite functions): the quantization specification
//     and the reference kernels' Prepare code — QuantizeMultiplier,
//     fixed-point multipliers and shifts, CalculateActivationRangeQuantized,
//     the ADD/MUL parameters, the LOGISTIC and HARD_SWISH tables.
//   - ONNX Runtime 1.30 on x86-64 (…ORT functions): MLAS's float32 scales
//     (QLinearConv, QLinearMatMul, QLinearGlobalAveragePool), the
//     QLinearAdd/QLinearMul constants, the QLinearSigmoid table (MLAS's
//     logistic approximation with its FMA order) and DequantizeLinear →
//     QuantizeLinear round trips.
//
// Zero points are in the int8 domain throughout: a uint8 model is
// converted by the importer (q−128, zero point −128). The few ORT formulas
// whose float rounding depends on the original uint8 values take the
// domain offset (128 for uint8 models, else 0).
package quant

import (
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/ocellus/ocellus/kernels"
)

// ErrParams reports quantization parameters a runtime would reject
// (non-positive or non-finite scales, zero points outside int8, multipliers
// outside the range a fixed-point kernel supports).
var ErrParams = errors.New("quant: invalid quantization parameters")

// Params is the affine quantization of a tensor: real = Scale·(q − Zero),
// with q and Zero in the int8 domain.
type Params struct {
	Scale float32
	Zero  int32
}

// Check reports whether p is usable: a finite positive scale and a zero
// point in [-128, 127].
func (p Params) Check() error {
	if !(p.Scale > 0) || math.IsInf(float64(p.Scale), 0) {
		return fmt.Errorf("%w: scale %v is not finite and positive", ErrParams, p.Scale)
	}
	if p.Zero < -128 || p.Zero > 127 {
		return fmt.Errorf("%w: zero point %d outside [-128, 127]", ErrParams, p.Zero)
	}
	return nil
}

func checkAll(ps ...Params) error {
	for _, p := range ps {
		if err := p.Check(); err != nil {
			return err
		}
	}
	return nil
}

// QuantizeMultiplier is TFLite's: real = mult·2^(shift−31) with mult a Q31
// value in [2^30, 2^31) (frexp, then rounding half away from zero; a
// rounded 2^31 becomes 2^30 with shift+1). Zero gives (0, 0); multipliers
// below about 2^-31 flush to (0, 0) (shift < -31). This is the default
// double-rounding build: shifts above 30 are not saturated here, and
// Requant-building functions reject them.
func QuantizeMultiplier(real float64) (mult int32, shift int) {
	if real == 0 {
		return 0, 0
	}
	q, e := math.Frexp(real)
	qf := int64(math.Round(q * (1 << 31)))
	if qf == 1<<31 {
		qf /= 2
		e++
	}
	if e < -31 {
		return 0, 0
	}
	return int32(qf), e
}

// QuantizeMultiplierSmallerThanOneExp is TFLite's variant for multipliers in
// (0, 1): the shift is <= 0.
func QuantizeMultiplierSmallerThanOneExp(real float64) (mult int32, shift int, err error) {
	if !(real > 0 && real < 1) {
		return 0, 0, fmt.Errorf("%w: multiplier %v not in (0, 1)", ErrParams, real)
	}
	m, s := QuantizeMultiplier(real)
	return m, s, nil
}

// Activation is a fused activation of a TFLite op.
type Activation uint8

// The fused activations of TFLite.
const (
	ActNone Activation = iota
	ActRelu
	ActReluN1To1
	ActRelu6
)

// ActivationRange is TFLite's CalculateActivationRangeQuantized for an int8
// output: the clamp [min, max] of the fused activation, each bound
// zero + round(bound/scale) (round half away from zero, float32 division)
// intersected with [-128, 127].
func ActivationRange(act Activation, out Params) (lo, hi int32, err error) {
	if err := out.Check(); err != nil {
		return 0, 0, err
	}
	q := func(v float32) int32 {
		return out.Zero + int32(math.Round(float64(v/out.Scale)))
	}
	lo, hi = -128, 127
	switch act {
	case ActNone:
	case ActRelu:
		lo = max(lo, q(0))
	case ActRelu6:
		lo, hi = max(lo, q(0)), min(hi, q(6))
	case ActReluN1To1:
		lo, hi = max(lo, q(-1)), min(hi, q(1))
	default:
		return 0, 0, fmt.Errorf("%w: unknown activation %d", ErrParams, act)
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("%w: activation %d range [%d, %d] is empty for %+v", ErrParams, act, lo, hi, out)
	}
	return lo, hi, nil
}

// fixedRequant builds a fixed-point Requant from real multipliers.
func fixedRequant(reals []float64, out Params, lo, hi int32) (kernels.Requant, error) {
	rq := kernels.Requant{Mode: kernels.RequantFixedPoint, ZeroPoint: out.Zero, Min: lo, Max: hi}
	for _, r := range reals {
		if !(r >= 0) || math.IsInf(r, 0) {
			return kernels.Requant{}, fmt.Errorf("%w: multiplier %v", ErrParams, r)
		}
		m, s := QuantizeMultiplier(r)
		if s > 30 {
			return kernels.Requant{}, fmt.Errorf("%w: multiplier %v needs a left shift of %d (> 30)", ErrParams, r, s)
		}
		rq.Mult = append(rq.Mult, m)
		rq.Shift = append(rq.Shift, int32(s))
	}
	if err := rq.Check(len(reals)); err != nil {
		return kernels.Requant{}, fmt.Errorf("%w: %v", ErrParams, err)
	}
	return rq, nil
}

func checkClamp(lo, hi int32) error {
	if lo < -128 || hi > 127 || lo > hi {
		return fmt.Errorf("%w: clamp [%d, %d] not within [-128, 127]", ErrParams, lo, hi)
	}
	return nil
}

// ConvRequantTFLite is the requantization of an int8 CONV_2D,
// DEPTHWISE_CONV_2D or per-channel FULLY_CONNECTED
// (PopulateConvolutionQuantizationParams): per output channel the
// multiplier of double(xScale)·double(wScale[c])/double(yScale); wScales
// holds one value per channel or one for all. lo, hi is the activation
// clamp (ActivationRange).
func ConvRequantTFLite(xScale float32, wScales []float32, out Params, lo, hi int32) (kernels.Requant, error) {
	if err := checkAll(Params{Scale: xScale}, out); err != nil {
		return kernels.Requant{}, err
	}
	if err := checkClamp(lo, hi); err != nil {
		return kernels.Requant{}, err
	}
	if len(wScales) == 0 {
		return kernels.Requant{}, fmt.Errorf("%w: no weight scales", ErrParams)
	}
	reals := make([]float64, len(wScales))
	for i, ws := range wScales {
		if err := (Params{Scale: ws}).Check(); err != nil {
			return kernels.Requant{}, fmt.Errorf("weight scale %d: %w", i, err)
		}
		reals[i] = float64(xScale) * float64(ws) / float64(out.Scale)
	}
	return fixedRequant(reals, out, lo, hi)
}

// PerTensorRequantTFLite is the per-tensor requantization TFLite computes
// with GetQuantizedConvolutionMultipler: the multiplier of
// double(float32(xScale·wScale))/double(yScale) — the product in float32.
// TFLite uses it for per-tensor FULLY_CONNECTED and for uint8 (legacy)
// CONV_2D and DEPTHWISE_CONV_2D.
func PerTensorRequantTFLite(xScale, wScale float32, out Params, lo, hi int32) (kernels.Requant, error) {
	if err := checkAll(Params{Scale: xScale}, Params{Scale: wScale}, out); err != nil {
		return kernels.Requant{}, err
	}
	if err := checkClamp(lo, hi); err != nil {
		return kernels.Requant{}, err
	}
	return fixedRequant([]float64{float64(xScale*wScale) / float64(out.Scale)}, out, lo, hi)
}

// RequantizeTFLite is TFLite's QUANTIZE from int8 to int8 (and from uint8
// to int8 and back after conversion): the multiplier of
// double(in.Scale)/double(out.Scale), the output clamped to int8. Run it
// with kernels.RequantizeS8(x, in.Zero, y, rq).
func RequantizeTFLite(in, out Params) (kernels.Requant, error) {
	if err := checkAll(in, out); err != nil {
		return kernels.Requant{}, err
	}
	return fixedRequant([]float64{float64(in.Scale) / float64(out.Scale)}, out, -128, 127)
}

// MeanRequantTFLite is the requantization of TFLite's int8 MEAN over H and
// W (reference_integer_ops::Mean): the multiplier of
// double(in.Scale)/double(out.Scale); kernels.GlobalAvgPoolS8 divides by
// HW after it. TFLite's optimized kernel computes the mean differently
// (multiplier in.Scale/(HW·out.Scale) and a truncated zero-point bias);
// results can differ by one quantum.
func MeanRequantTFLite(in, out Params) (kernels.Requant, error) {
	if err := checkAll(in, out); err != nil {
		return kernels.Requant{}, err
	}
	return fixedRequant([]float64{float64(in.Scale) / float64(out.Scale)}, out, -128, 127)
}

// RequantORT is the requantization of ONNX Runtime's QLinearConv and
// QLinearMatMul: Scale[c] = float32(float32(xScale·wScale[c]) / yScale),
// computed in float32 as ORT does (ComputeOutputScale), the output clamped
// to the int8 range.
func RequantORT(xScale float32, wScales []float32, out Params) (kernels.Requant, error) {
	if err := checkAll(Params{Scale: xScale}, out); err != nil {
		return kernels.Requant{}, err
	}
	if len(wScales) == 0 {
		return kernels.Requant{}, fmt.Errorf("%w: no weight scales", ErrParams)
	}
	rq := kernels.Requant{Mode: kernels.RequantFloat, ZeroPoint: out.Zero, Min: -128, Max: 127}
	for i, ws := range wScales {
		if err := (Params{Scale: ws}).Check(); err != nil {
			return kernels.Requant{}, fmt.Errorf("weight scale %d: %w", i, err)
		}
		rq.Scale = append(rq.Scale, float32(xScale*ws)/out.Scale)
	}
	return rq, nil
}

// GlobalAvgPoolRequantORT is the requantization of ONNX Runtime's
// com.microsoft QLinearGlobalAveragePool over hw positions (MLAS
// CheckQLinearGlobalAveragePoolScaleAndSize): the float32 scale
// in.Scale / (out.Scale·float32(hw)). MLAS rejects hw >= 2^24 and scales
// outside [2^-32, 256); so does this.
func GlobalAvgPoolRequantORT(in, out Params, hw int) (kernels.Requant, error) {
	if err := checkAll(in, out); err != nil {
		return kernels.Requant{}, err
	}
	s := in.Scale / (out.Scale * float32(hw))
	if hw <= 0 || hw >= 1<<24 || s < 0x1p-32 || s >= 256 {
		return kernels.Requant{}, fmt.Errorf("%w: QLinearGlobalAveragePool scale %v over %d positions out of MLAS's range", ErrParams, s, hw)
	}
	return kernels.Requant{Mode: kernels.RequantFloat, Scale: []float32{s}, ZeroPoint: out.Zero, Min: -128, Max: 127}, nil
}

// AddTFLite computes the parameters of TFLite's int8 ADD (add.cc Prepare):
// left shift 20, input multipliers of scale/(2·max(aScale, bScale)) and
// the output multiplier of 2·max(aScale, bScale)/(2^20·yScale), all
// QuantizeMultiplierSmallerThanOneExp; lo, hi the activation clamp.
func AddTFLite(a, b, out Params, lo, hi int32) (kernels.AddFixedS8, error) {
	if err := checkAll(a, b, out); err != nil {
		return kernels.AddFixedS8{}, err
	}
	if err := checkClamp(lo, hi); err != nil {
		return kernels.AddFixedS8{}, err
	}
	const leftShift = 20
	twice := 2 * float64(max(a.Scale, b.Scale))
	am, as, err1 := QuantizeMultiplierSmallerThanOneExp(float64(a.Scale) / twice)
	bm, bs, err2 := QuantizeMultiplierSmallerThanOneExp(float64(b.Scale) / twice)
	om, os, err3 := QuantizeMultiplierSmallerThanOneExp(twice / float64(float32(1<<leftShift)*out.Scale))
	if err := errors.Join(err1, err2, err3); err != nil {
		return kernels.AddFixedS8{}, fmt.Errorf("ADD %+v + %+v → %+v: %w", a, b, out, err)
	}
	return kernels.AddFixedS8{AZero: a.Zero, BZero: b.Zero, LeftShift: leftShift,
		AMult: am, AShift: int32(as), BMult: bm, BShift: int32(bs), OutMult: om, OutShift: int32(os),
		OutZero: out.Zero, Min: lo, Max: hi}, nil
}

// MulTFLite computes the parameters of TFLite's int8 MUL (mul.cc Prepare):
// the multiplier of double(aScale)·double(bScale)/double(yScale).
func MulTFLite(a, b, out Params, lo, hi int32) (kernels.MulFixedS8, error) {
	if err := checkAll(a, b, out); err != nil {
		return kernels.MulFixedS8{}, err
	}
	if err := checkClamp(lo, hi); err != nil {
		return kernels.MulFixedS8{}, err
	}
	m, s := QuantizeMultiplier(float64(a.Scale) * float64(b.Scale) / float64(out.Scale))
	if s > 30 {
		return kernels.MulFixedS8{}, fmt.Errorf("%w: MUL multiplier shift %d > 30", ErrParams, s)
	}
	return kernels.MulFixedS8{AZero: a.Zero, BZero: b.Zero, OutMult: m, OutShift: int32(s),
		OutZero: out.Zero, Min: lo, Max: hi}, nil
}

// AddORT computes the constants of ONNX Runtime's com.microsoft QLinearAdd
// as MLAS's x86 kernel does: RA = aScale/yScale, RB = bScale/yScale and
// Fixed = float32(yZero) − fma(RA, aZero, RB·bZero), zero points in the
// model's domain (offset 128 for uint8 models, else 0; GCC contracts that
// expression into one FMA in ORT's build, which the ORT fixtures confirm).
// See kernels.AddFloatS8 for the operand order.
func AddORT(a, b, out Params, offset int32) (kernels.AddFloatS8, error) {
	if err := checkAll(a, b, out); err != nil {
		return kernels.AddFloatS8{}, err
	}
	if offset != 0 && offset != 128 {
		return kernels.AddFloatS8{}, fmt.Errorf("%w: domain offset %d, want 0 or 128", ErrParams, offset)
	}
	ra, rb := a.Scale/out.Scale, b.Scale/out.Scale
	za, zb := float32(a.Zero+offset), float32(b.Zero+offset)
	fixed := float32(out.Zero+offset) - fma32(ra, za, float32(rb*zb))
	return kernels.AddFloatS8{RA: ra, RB: rb, Fixed: fixed, Offset: offset}, nil
}

// MulORT computes the constants of ONNX Runtime's com.microsoft
// QLinearMul as MLAS's x86 kernel does: Ratio = aScale·bScale/yScale in
// float32, left to right; YZero the output zero point in the model's domain.
func MulORT(a, b, out Params, offset int32) (kernels.MulFloatS8, error) {
	if err := checkAll(a, b, out); err != nil {
		return kernels.MulFloatS8{}, err
	}
	if offset != 0 && offset != 128 {
		return kernels.MulFloatS8{}, fmt.Errorf("%w: domain offset %d, want 0 or 128", ErrParams, offset)
	}
	ratio := float32(a.Scale*b.Scale) / out.Scale
	return kernels.MulFloatS8{AZero: a.Zero, BZero: b.Zero, Ratio: ratio, YZero: float32(out.Zero + offset), Offset: offset}, nil
}

// fma32 is the float32 fused multiply-add a·b+c with one rounding, exact
// through math/big (prepare time only).
func fma32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(300).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(300).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(300).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrParams}, args...)...)
}
