package kernels

import (
	"errors"
	"fmt"
	"math"
)

// Int8 inference: conventions shared by the *_s8.go kernels.
//
// Activations are int8 with a per-tensor zero point (uint8 models are
// converted by the importer: q−128, zero point −128, which is exact).
// Weights are int8 with a per-output-channel (or single) zero point.
// Products are accumulated in int32 and turned back into int8 by a Requant,
// in one of two arithmetics chosen per op by the importer:
//
//   - RequantFixedPoint, TensorFlow Lite's (quantization spec and reference
//     kernels): y = MultiplyByQuantizedMultiplier(acc, Mult, Shift) + ZeroPoint,
//     clamped to [Min, Max]. MultiplyByQuantizedMultiplier is
//     SaturatingRoundingDoublingHighMul (round half up on the Q31 product)
//     followed by RoundingDivideByPOT (round half away from zero): the
//     "double rounding" TFLite builds by default.
//   - RequantFloat, ONNX Runtime's (MLAS MlasRequantizeOutput): y =
//     round-half-even(float32(acc) · Scale) + ZeroPoint, clamped to
//     [Min, Max], with float32 arithmetic throughout (Scale is computed by the
//     importer as float32(float32(xScale·wScale)/yScale), as ORT does).

// RequantMode selects the arithmetic of a Requant.
type RequantMode uint8

const (
	// RequantFixedPoint is TFLite's Q31 multiplier and shift.
	RequantFixedPoint RequantMode = iota
	// RequantFloat is ONNX Runtime's float32 scale with round half to even.
	RequantFloat
)

// String names the mode.
func (m RequantMode) String() string {
	switch m {
	case RequantFixedPoint:
		return "fixed"
	case RequantFloat:
		return "float"
	}
	return fmt.Sprintf("RequantMode(%d)", uint8(m))
}

// Requant describes how an int32 accumulator becomes an int8 output, per
// output channel or per tensor.
//
//	RequantFixedPoint: y = clamp(MultiplyByQuantizedMultiplier(acc, Mult[c], Shift[c]) + ZeroPoint, Min, Max)
//	RequantFloat:      y = clamp(roundHalfEven(float32(acc) * Scale[c]) + ZeroPoint, Min, Max)
//
// Mult and Shift (fixed point) or Scale (float) hold one value per output
// channel or a single value for all. Min and Max are the int8 clamp of the
// fused activation; [-128, 127] when there is none (the zero value of Min
// and Max is not "no clamp": set them).
type Requant struct {
	Mode      RequantMode
	Mult      []int32   // Q31 multipliers in [0, 2^31), fixed point
	Shift     []int32   // exponents in [-31, 30]: > 0 shifts left first, < 0 right after
	Scale     []float32 // finite, >= 0, float
	ZeroPoint int32     // output zero point, in [-128, 127]
	Min, Max  int32     // output clamp, -128 <= Min <= Max <= 127
}

// Check reports whether r is usable for n output channels.
func (r *Requant) Check(n int) error {
	var errs []error
	if r.ZeroPoint < -128 || r.ZeroPoint > 127 {
		errs = append(errs, fmt.Errorf("zero point %d outside [-128, 127]", r.ZeroPoint))
	}
	if r.Min < -128 || r.Max > 127 || r.Min > r.Max {
		errs = append(errs, fmt.Errorf("clamp [%d, %d] not within [-128, 127]", r.Min, r.Max))
	}
	perChan := func(what string, l int) {
		if l != 1 && l != n {
			errs = append(errs, fmt.Errorf("%s has %d values, want 1 or %d", what, l, n))
		}
	}
	switch r.Mode {
	case RequantFixedPoint:
		perChan("Mult", len(r.Mult))
		if len(r.Shift) != len(r.Mult) {
			errs = append(errs, fmt.Errorf("Shift has %d values, Mult %d", len(r.Shift), len(r.Mult)))
		}
		for i, m := range r.Mult {
			if m < 0 {
				errs = append(errs, fmt.Errorf("Mult[%d] = %d is negative", i, m))
				break
			}
		}
		for i, s := range r.Shift {
			if s < -31 || s > 30 {
				errs = append(errs, fmt.Errorf("Shift[%d] = %d outside [-31, 30]", i, s))
				break
			}
		}
	case RequantFloat:
		perChan("Scale", len(r.Scale))
		for i, s := range r.Scale {
			if !(s >= 0) || math.IsInf(float64(s), 0) {
				errs = append(errs, fmt.Errorf("Scale[%d] = %v is not finite and >= 0", i, s))
				break
			}
		}
	default:
		errs = append(errs, fmt.Errorf("unknown mode %d", uint8(r.Mode)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("kernels: requant: %w", errors.Join(errs...))
	}
	return nil
}

// requantPlan is a Requant expanded to one entry per output channel, in the
// form the kernels' epilogues read.
type requantPlan struct {
	mode     RequantMode
	fx       []fixedCh // fixed point, per channel
	anyLeft  bool      // fixed point: some channel shifts left
	scale    []float32 // float, per channel
	zp       int32
	min, max int32
	lo, hi   float32 // float: clamp bounds before rounding, Min−zp and Max−zp

	vec *requantS8Impl // vector impl of rows (nil: Go only)
	fv  *fixedVec      // fixed point without left shifts, for vec
}

// fixedCh is one channel's MultiplyByQuantizedMultiplier, precomputed for
// fixedRequant.
type fixedCh struct {
	mult int64 // Q31 multiplier, >= 0
	rnd  int64 // 2^(30+e) for a right shift e > 0, else 0
	neg  int64 // 2^31 for e > 0, else 0
	sh   uint8 // 31 + e
	lsh  uint8 // left shift before the multiply
}

func newFixedCh(mult, shift int32) fixedCh {
	f := fixedCh{mult: int64(mult), lsh: uint8(max(shift, 0))}
	e := max(-shift, 0)
	f.sh = uint8(31 + e)
	if e > 0 {
		f.rnd, f.neg = 1<<(30+e), 1<<31
	}
	return f
}

// fixedRequant is MultiplyByQuantizedMultiplier for a non-negative
// multiplier, with its two roundings folded into one shift:
//
//	SaturatingRoundingDoublingHighMul rounds half toward +∞:
//	    t = floor(u / 2^31), u = x·m + 2^30
//	(its saturating case needs a multiplier of INT32_MIN, which
//	Requant.Check rejects), and RoundingDivideByPOT rounds half away from
//	zero: floor((t + 2^(e−1) − [t < 0]) / 2^e). As floor(floor(a)/n) =
//	floor(a/n) and t < 0 exactly when u < 0, both are
//	    floor((u + 2^(30+e) − [u < 0]·2^31) / 2^(31+e))     (e > 0)
//
// in int64, which nothing overflows (|x·m| < 2^62). The left shift wraps
// like TFLite's x * (1 << left_shift).
func fixedRequant(x int32, f *fixedCh) int32 {
	u := int64(x<<(f.lsh&31))*f.mult + 1<<30
	return int32((u + f.rnd - (u>>63)&f.neg) >> (f.sh & 63))
}

// newRequantPlan checks r for n channels and expands it; it panics with a
// "kernels: ..." message (via what) when r is unusable.
func newRequantPlan(what string, r *Requant, n int) *requantPlan {
	if err := r.Check(n); err != nil {
		panic(what + ": " + err.Error())
	}
	p := &requantPlan{mode: r.Mode, zp: r.ZeroPoint, min: r.Min, max: r.Max,
		lo: float32(r.Min - r.ZeroPoint), hi: float32(r.Max - r.ZeroPoint)}
	switch r.Mode {
	case RequantFixedPoint:
		p.fx = make([]fixedCh, n)
		for c := range p.fx {
			i := min(c, len(r.Mult)-1)
			p.fx[c] = newFixedCh(r.Mult[i], r.Shift[i])
			p.anyLeft = p.anyLeft || p.fx[c].lsh > 0
		}
	case RequantFloat:
		p.scale = make([]float32, n)
		for c := range p.scale {
			p.scale[c] = r.Scale[min(c, len(r.Scale)-1)]
		}
	}
	p.setVec(requantS8Best())
	return p
}

// setVec makes im (nil: none) the vector impl of p.rows.
func (p *requantPlan) setVec(im *requantS8Impl) {
	p.vec = im
	if im != nil && p.mode == RequantFixedPoint && !p.anyLeft && p.fv == nil {
		p.fv = newFixedVec(p.fx)
	}
}

// apply requantizes acc[i] + bias[i] (bias nil: 0) of consecutive output
// channels [c0, c0+len(acc)) into y.
func (p *requantPlan) apply(acc, bias []int32, c0 int, y []int8) {
	y = y[:len(acc)]
	if bias != nil {
		bias = bias[:len(acc)]
		for i := range acc {
			acc[i] += bias[i]
		}
	}
	lo, hi, zp := p.min, p.max, p.zp
	if p.mode == RequantFloat {
		sc := p.scale[c0:][:len(acc)]
		flo, fhi := p.lo, p.hi
		for i, a := range acc {
			y[i] = rqFloat(a, sc[i], flo, fhi, zp)
		}
		return
	}
	fx := p.fx[c0:][:len(acc)]
	if !p.anyLeft {
		for i, a := range acc {
			f := &fx[i]
			y[i] = rqFixedR(a, f.mult, f.rnd, f.neg, f.sh, lo, hi, zp)
		}
		return
	}
	for i, a := range acc {
		v := fixedRequant(a, &fx[i]) + zp
		y[i] = int8(min(max(v, lo), hi))
	}
}

// one requantizes a single accumulator of channel c.
func (p *requantPlan) one(acc int32, c int) int8 {
	if p.mode == RequantFloat {
		return int8(requantFloat(acc, p.scale[c], p.lo, p.hi) + p.zp)
	}
	v := fixedRequant(acc, &p.fx[c]) + p.zp
	return int8(min(max(v, p.min), p.max))
}

// requantFloat is MLAS's requantization without the zero point: the float32
// product, clamped to [lo, hi] (whose bounds are integers, so clamping before
// rounding equals clamping after), rounded half to even.
func requantFloat(acc int32, scale, lo, hi float32) int32 {
	v := float32(float32(acc) * scale)
	v = min(max(v, lo), hi) // v is never NaN: scale is finite
	return int32(roundEvenSmall(v))
}

// roundEvenSmall rounds v (|v| <= 2^22) to an integer, ties to even: adding
// 1.5·2^23 puts the units digit at the last mantissa bit, where the float32
// addition rounds half to even; the subtraction is exact.
func roundEvenSmall(v float32) float32 {
	const magic = 12582912 // 1.5 * 2^23
	return float32(v+magic) - magic
}

// roundEvenBits is roundEvenSmall returning the integer: the sum v+1.5·2^23
// lies in [2^23, 2^24), where the float32 bits grow by one per unit.
func roundEvenBits(v float32) int32 {
	const magic = 12582912 // 1.5 * 2^23
	return int32(math.Float32bits(v+magic)) - 0x4b400000
}

// roundingDivideByPOT is gemmlowp's RoundingDivideByPOT for exponent in
// [0, 31]: x / 2^exponent rounded to nearest, ties away from zero.
func roundingDivideByPOT(x int32, exponent uint8) int32 {
	mask := int32(uint32(1)<<exponent - 1)
	rem := x & mask
	thr := mask>>1 - x>>31 // + 1 when x < 0
	return x>>exponent + int32(uint32(thr-rem)>>31)
}

// SaturatingRoundingDoublingHighMul is gemmlowp's: the high 32 bits of 2·a·b
// rounded half up (nudge 2^30, or 1−2^30 for negative products, then a
// division by 2^31 that truncates toward zero), saturating the one overflow
// case a = b = INT32_MIN to INT32_MAX.
func SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	return int32((ab + nudge) / (1 << 31))
}

// RoundingDivideByPOT is gemmlowp's: x / 2^exponent rounded to nearest with
// ties away from zero, for exponent in [0, 31]. It panics outside that range.
func RoundingDivideByPOT(x int32, exponent int) int32 {
	if exponent < 0 || exponent > 31 {
		panic(fmt.Sprintf("kernels: RoundingDivideByPOT exponent %d outside [0, 31]", exponent))
	}
	return roundingDivideByPOT(x, uint8(exponent))
}

// MultiplyByQuantizedMultiplier is TFLite's (double rounding, the default
// build): SaturatingRoundingDoublingHighMul(x·2^max(shift,0), mult) divided
// by 2^max(−shift,0) with RoundingDivideByPOT. The left shift wraps on
// overflow. shift must be in [-31, 30]; it panics otherwise.
func MultiplyByQuantizedMultiplier(x, mult int32, shift int) int32 {
	if shift < -31 || shift > 30 {
		panic(fmt.Sprintf("kernels: MultiplyByQuantizedMultiplier shift %d outside [-31, 30]", shift))
	}
	left, right := max(shift, 0), max(-shift, 0)
	return roundingDivideByPOT(SaturatingRoundingDoublingHighMul(x<<left, mult), uint8(right))
}

// requant1 is a per-tensor Requant in a value (no allocation).
type requant1 struct {
	mode         RequantMode
	fx           fixedCh
	scale        float32
	zp, min, max int32
	lo, hi       float32
}

func newRequant1(what string, r *Requant) requant1 {
	if err := r.Check(1); err != nil {
		panic(what + ": " + err.Error())
	}
	q := requant1{mode: r.Mode, zp: r.ZeroPoint, min: r.Min, max: r.Max,
		lo: float32(r.Min - r.ZeroPoint), hi: float32(r.Max - r.ZeroPoint)}
	if r.Mode == RequantFloat {
		q.scale = r.Scale[0]
	} else {
		q.fx = newFixedCh(r.Mult[0], r.Shift[0])
	}
	return q
}

// raw is the requantized value before the zero point and the clamp (fixed
// point) or clamped and without the zero point (float).
func (q *requant1) one(acc int32) int8 {
	if q.mode == RequantFloat {
		return int8(requantFloat(acc, q.scale, q.lo, q.hi) + q.zp)
	}
	v := fixedRequant(acc, &q.fx) + q.zp
	return int8(min(max(v, q.min), q.max))
}

// RequantizeS8 rescales int8 values to another int8 quantization:
//
//	y[i] = requant(x[i] − xZero)    // rq per tensor: one Mult/Shift or Scale
//
// This is TFLite's QUANTIZE from int8 to int8 (RequantFixedPoint, with the
// multiplier of xScale/yScale) or a requantization with one float rounding
// (RequantFloat). A DequantizeLinear→QuantizeLinear pair as ONNX Runtime
// runs it rounds twice: build a table for LUTS8 instead (nn/quant). y may
// be x.
func RequantizeS8(x []int8, xZero int32, y []int8, rq Requant) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: RequantizeS8 y len %d < x len %d", len(y), len(x)))
	}
	if xZero < -128 || xZero > 127 {
		panic(fmt.Sprintf("kernels: RequantizeS8 input zero point %d outside [-128, 127]", xZero))
	}
	q := newRequant1("kernels: RequantizeS8", &rq)
	for i, v := range x {
		y[i] = q.one(int32(v) - xZero)
	}
}

// QuantizeS8 converts float32 values to int8 with scale and zero point:
//
//	RequantFloat (ONNX QuantizeLinear as MLAS computes it):
//	    y = clamp(roundHalfEven(x / scale) + zero, -128, 127)
//	RequantFixedPoint (TFLite QUANTIZE, reference kernel):
//	    y = clamp(roundHalfAwayFromZero(x / scale) + zero, -128, 127)
//
// The division is in float32. NaN becomes -128 (as MLAS's MAXPS clamp
// makes it); ±Inf and values beyond the int8 range saturate.
func QuantizeS8(mode RequantMode, x []float32, scale float32, zero int32, y []int8) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: QuantizeS8 y len %d < x len %d", len(y), len(x)))
	}
	if zero < -128 || zero > 127 || !(scale > 0) || math.IsInf(float64(scale), 0) {
		panic(fmt.Sprintf("kernels: QuantizeS8 scale %v, zero point %d: want a finite scale > 0, zero in [-128, 127]", scale, zero))
	}
	lo, hi := float32(-128-zero), float32(127-zero)
	switch mode {
	case RequantFloat:
		if n8 := len(x) &^ 7; n8 > 0 && requantS8HaveAVX2() {
			quantizeS8Float_avx2(&x[0], n8, scale, lo, hi, zero, &y[0])
			x, y = x[n8:], y[n8:]
		}
		for i, v := range x {
			q := v / scale
			if !(q >= lo) { // also NaN
				q = lo
			}
			q = min(q, hi)
			y[i] = int8(int32(roundEvenSmall(q)) + zero)
		}
	case RequantFixedPoint:
		for i, v := range x {
			q := v / scale
			if !(q >= lo) {
				q = lo
			}
			q = min(q, hi)
			y[i] = int8(int32(math.Round(float64(q))) + zero)
		}
	default:
		panic(fmt.Sprintf("kernels: QuantizeS8 unknown mode %d", uint8(mode)))
	}
}

// DequantizeS8 converts int8 values to float32, the same in both runtimes:
//
//	y[i] = float32(x[i] − zero) · scale
func DequantizeS8(x []int8, scale float32, zero int32, y []float32) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: DequantizeS8 y len %d < x len %d", len(y), len(x)))
	}
	for i, v := range x {
		y[i] = float32(int32(v)-zero) * scale
	}
}

// LUTS8 maps every element through a 256-entry table indexed by the byte
// of the int8 value: y[i] = table[uint8(x[i])]. Unary int8 ops whose result
// depends on the input value only (LOGISTIC, HARD_SWISH, QLinearSigmoid,
// requantizations) are computed this way, with tables built at prepare time
// (see package nn/quant). y may be x.
func LUTS8(table *[256]int8, x, y []int8) {
	if len(y) < len(x) {
		panic(fmt.Sprintf("kernels: LUTS8 y len %d < x len %d", len(y), len(x)))
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] = table[uint8(v)]
	}
}
