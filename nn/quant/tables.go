package quant

import (
	"math"
)

// Tables for kernels.LUTS8: the exact result of a unary int8 op for each of
// the 256 inputs, indexed by the byte of the int8 value.

// tableFor fills a table from a function of the int8 input value.
func tableFor(f func(x int32) int8) *[256]int8 {
	var t [256]int8
	for v := int32(-128); v < 128; v++ {
		t[uint8(int8(v))] = f(v)
	}
	return &t
}

// expf is a correctly rounded float32 exp (through float64). glibc's expf,
// which TFLite calls, is within 0.502 ulp: a result can differ in its last
// bit in rare cases, which changes a table entry only when the scaled value
// sits that close to a rounding boundary.
func expf(x float32) float32 { return float32(math.Exp(float64(x))) }

// FloatTableTFLite is TFLite's PopulateLookupTable for int8 (the optimized
// kernels of LOGISTIC and TANH): per input v,
//
//	y = clamp(round(f(in.Scale·(v − in.Zero)) · (1/out.Scale)) + out.Zero)
//
// in float32, round half away from zero.
func FloatTableTFLite(in, out Params, f func(float32) float32) (*[256]int8, error) {
	if err := checkAll(in, out); err != nil {
		return nil, err
	}
	inv := 1 / out.Scale
	return tableFor(func(v int32) int8 {
		deq := in.Scale * float32(v-in.Zero)
		r := float32(math.Round(float64(float32(f(deq) * inv))))
		if !(r >= -1e9 && r <= 1e9) { // NaN or huge: TFLite's cast is undefined; saturate
			if r > 0 {
				return 127
			}
			return -128
		}
		return int8(min(max(int32(r)+out.Zero, -128), 127))
	}), nil
}

// LogisticTableTFLite is TFLite's int8 LOGISTIC: FloatTableTFLite of
// 1/(1+expf(−x)). It matches TFLite up to expf's last bit (see expf); the
// fixed-point reference kernel (kReference) computes differently.
func LogisticTableTFLite(in, out Params) (*[256]int8, error) {
	return FloatTableTFLite(in, out, func(x float32) float32 { return 1 / (1 + expf(-x)) })
}

// TanhTableTFLite is TFLite's int8 TANH table (FloatTableTFLite of tanh).
func TanhTableTFLite(in, out Params) (*[256]int8, error) {
	return FloatTableTFLite(in, out, func(x float32) float32 { return float32(math.Tanh(float64(x))) })
}

// HardSwishTableTFLite tabulates TFLite's int8 HARD_SWISH exactly: the
// reference kernel's 16-bit fixed-point arithmetic (reference_ops::HardSwish
// with the parameters of HardSwishPrepare) evaluated for every input.
func HardSwishTableTFLite(in, out Params) (*[256]int8, error) {
	if err := checkAll(in, out); err != nil {
		return nil, err
	}
	hiresIn := (1.0 / 128.0) * in.Scale
	const reluishScale = float32(3.0 / 32768.0)
	om32, oexp := QuantizeMultiplier(float64(hiresIn / out.Scale))
	rm32, rexp := QuantizeMultiplier(float64(hiresIn / reluishScale))
	if oexp > 0 {
		return nil, errorf("HARD_SWISH output multiplier %v needs a left shift", hiresIn/out.Scale)
	}
	om, rm := downScaleInt16(om32), downScaleInt16(rm32)
	return tableFor(func(v int32) int8 {
		inVal := int16(v - in.Zero)
		hires := inVal * (1 << 7)
		preshiftOut := srdhm16(hires, om)
		reluish := hires
		if rexp > 0 {
			reluish = satLeftShift16(reluish, rexp-1)
		}
		reluish = srdhm16(reluish, rm)
		if rexp > 0 {
			reluish = satLeftShift16(reluish, 1)
		}
		if rexp < 0 {
			reluish = rdbpot16(reluish, -rexp)
		}
		reluish = int16((int32(reluish) + 1<<15) >> 1)
		preOut := sdhm16(reluish, preshiftOut)
		o := int32(rdbpot16(preOut, -oexp)) + out.Zero
		return int8(min(max(o, -128), 127))
	}), nil
}

// downScaleInt16 is TFLite's DownScaleInt32ToInt16Multiplier.
func downScaleInt16(m int32) int16 {
	const off = 1 << 15
	if m >= math.MaxInt32-off {
		return math.MaxInt16
	}
	return int16((m + off) >> 16)
}

// srdhm16 is gemmlowp's SaturatingRoundingDoublingHighMul for int16.
func srdhm16(a, b int16) int16 {
	if a == b && a == math.MinInt16 {
		return math.MaxInt16
	}
	ab := int32(a) * int32(b)
	nudge := int32(1 << 14)
	if ab < 0 {
		nudge = 1 - (1 << 14)
	}
	return int16((ab + nudge) / (1 << 15))
}

// sdhm16 is TFLite's SaturatingDoublingHighMul (truncating, like SQDMULH).
func sdhm16(a, b int16) int16 {
	if a == b && a == math.MinInt16 {
		return math.MaxInt16
	}
	return int16((int32(a) * int32(b)) / (1 << 15))
}

// rdbpot16 is gemmlowp's RoundingDivideByPOT for int16.
func rdbpot16(x int16, exp int) int16 {
	mask := int32(1)<<exp - 1
	rem := int32(x) & mask
	thr := mask >> 1
	if x < 0 {
		thr++
	}
	r := int32(x) >> exp
	if rem > thr {
		r++
	}
	return int16(r)
}

// satLeftShift16 is TFLite's SaturatingLeftShift for int16.
func satLeftShift16(v int16, amount int) int16 {
	r := int64(v) * (1 << amount)
	return int16(min(max(r, math.MinInt16), math.MaxInt16))
}

// MLAS's logistic constants (logistic.cpp, float32 literals).
var mlasLogistic = struct {
	lo, hi                         float32
	a9, a7, a5, a3, a1             float32
	b10, b8, b6, b4, b2, b0, onehf float32
}{
	-18, 18,
	4.37031012579801e-11, 1.15627324459942e-07, 6.08574864600143e-05, 8.51377133304701e-03, 2.48287947061529e-01,
	6.10247389755681e-13, 5.76102136993427e-09, 6.29106785017040e-06, 1.70198817374094e-03, 1.16817656904453e-01,
	9.93151921023180e-01, 0.5,
}

// mlasLogisticFMA is MlasLogisticKernelFma3 for one value: the rational
// approximation with FMAs in the kernel's order, clamped below at 0.
func mlasLogisticFMA(x float32) float32 {
	c := &mlasLogistic
	x = min(max(x, c.lo), c.hi)
	x2 := x * x
	p := fma32(x2, c.a9, c.a7)
	p = fma32(x2, p, c.a5)
	p = fma32(x2, p, c.a3)
	p = fma32(x2, p, c.a1)
	q := fma32(x2, c.b10, c.b8)
	q = fma32(x2, q, c.b6)
	q = fma32(x2, q, c.b4)
	q = fma32(x2, q, c.b2)
	q = fma32(x2, q, c.b0)
	p = x * p
	r := p/q + c.onehf
	return max(r, 0)
}

// quantizeORT is MLAS's MlasQuantizeLinear of one value to int8: v/scale
// in float32, clamped to the zero-point-adjusted range (NaN to the low
// end), rounded half to even, plus the zero point.
func quantizeORT(v float32, out Params) int8 {
	lo, hi := float32(-128-out.Zero), float32(127-out.Zero)
	q := v / out.Scale
	if !(q >= lo) {
		q = lo
	}
	q = min(q, hi)
	return int8(int32(math.RoundToEven(float64(q))) + out.Zero)
}

// SigmoidTableORT is ONNX Runtime's com.microsoft QLinearSigmoid table
// (QlinearBuildLookupTable): per input v, x = in.Scale·(v − in.Zero) in
// float32, MLAS's logistic as the x86 FMA3 kernel computes it, then
// MlasQuantizeLinear. The table is the same for int8 and uint8 models
// after conversion.
func SigmoidTableORT(in, out Params) (*[256]int8, error) {
	if err := checkAll(in, out); err != nil {
		return nil, err
	}
	return tableFor(func(v int32) int8 {
		return quantizeORT(mlasLogisticFMA(in.Scale*float32(v-in.Zero)), out)
	}), nil
}

// RequantizeTableORT is a DequantizeLinear → QuantizeLinear pair as ONNX
// Runtime runs it: float32(v − in.Zero)·in.Scale, then MlasQuantizeLinear
// to out (two roundings).
func RequantizeTableORT(in, out Params) (*[256]int8, error) {
	if err := checkAll(in, out); err != nil {
		return nil, err
	}
	return tableFor(func(v int32) int8 {
		return quantizeORT(float32(v-in.Zero)*in.Scale, out)
	}), nil
}

// FloatTableORT applies a float32 function between a DequantizeLinear and
// a QuantizeLinear as ONNX Runtime would: float32(v − in.Zero)·in.Scale,
// f, then MlasQuantizeLinear. Exact when f is computed as ORT computes it.
func FloatTableORT(in, out Params, f func(float32) float32) (*[256]int8, error) {
	if err := checkAll(in, out); err != nil {
		return nil, err
	}
	return tableFor(func(v int32) int8 {
		return quantizeORT(f(float32(v-in.Zero)*in.Scale), out)
	}), nil
}
