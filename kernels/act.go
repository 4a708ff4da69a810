package kernels

import (
	"math"
	"strconv"
)

// ActKind selects the activation fused into a kernel's output write.
type ActKind uint8

const (
	ActNone        ActKind = iota // x
	ActRelu                       // max(x, 0)
	ActClip                       // min(max(x, Min), Max) (Relu6 is Clip{0, 6})
	ActSigmoid                    // 1 / (1 + exp(-x))
	ActHardSigmoid                // max(0, min(1, Alpha*x + Beta))
	ActHardSwish                  // x * max(0, min(1, x/6 + 0.5))
	ActSwish                      // x * sigmoid(x)
)

// Act is an activation with its parameters. The zero value is ActNone.
// Min and Max are used by ActClip, Alpha and Beta by ActHardSigmoid.
type Act struct {
	Kind        ActKind
	Min, Max    float32
	Alpha, Beta float32
}

// Eval applies the activation to one value. It is bit-identical to ApplyAct.
func (a Act) Eval(x float32) float32 {
	switch a.Kind {
	case ActNone:
		return x
	case ActRelu:
		return max(x, 0)
	case ActClip:
		return min(max(x, a.Min), a.Max)
	case ActSigmoid:
		return sigmoidF32(x)
	case ActHardSigmoid:
		return hardSigmoidF32(x, a.Alpha, a.Beta)
	case ActHardSwish:
		return x * hardSigmoidF32(x, 1.0/6, 0.5)
	case ActSwish:
		return x * sigmoidF32(x)
	}
	panic("kernels: unknown activation kind " + strconv.Itoa(int(a.Kind)))
}

// ApplyAct applies a to every element of x in place. Each kind has its own
// loop, and the clamps use the min/max builtins (MINSS/MAXSS, no branches:
// a data-dependent branch mispredicts on half of the values of a typical
// activation and cost a third of a 1×1 convolution's time).
func ApplyAct(a Act, x []float32) {
	switch a.Kind {
	case ActNone:
	case ActRelu:
		for i, v := range x {
			x[i] = max(v, 0)
		}
	case ActClip:
		lo, hi := a.Min, a.Max
		for i, v := range x {
			x[i] = min(max(v, lo), hi)
		}
	case ActSigmoid:
		for i, v := range x {
			x[i] = sigmoidF32(v)
		}
	case ActHardSigmoid:
		al, be := a.Alpha, a.Beta
		for i, v := range x {
			x[i] = hardSigmoidF32(v, al, be)
		}
	case ActHardSwish:
		for i, v := range x {
			x[i] = v * hardSigmoidF32(v, 1.0/6, 0.5)
		}
	case ActSwish:
		for i, v := range x {
			x[i] = v * sigmoidF32(v)
		}
	default:
		panic("kernels: unknown activation kind " + strconv.Itoa(int(a.Kind)))
	}
}

// String formats the activation for logs and benchmark names, e.g. "relu",
// "clip(0,6)", "hardsigmoid(0.2,0.5)".
func (a Act) String() string {
	f := func(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }
	switch a.Kind {
	case ActNone:
		return "none"
	case ActRelu:
		return "relu"
	case ActClip:
		return "clip(" + f(a.Min) + "," + f(a.Max) + ")"
	case ActSigmoid:
		return "sigmoid"
	case ActHardSigmoid:
		return "hardsigmoid(" + f(a.Alpha) + "," + f(a.Beta) + ")"
	case ActHardSwish:
		return "hardswish"
	case ActSwish:
		return "swish"
	}
	return "act(" + strconv.Itoa(int(a.Kind)) + ")"
}

// mustCheckAct panics with a "kernels: ..." message on an unknown kind, so a
// bad activation is caught when weights are packed rather than mid-run.
func mustCheckAct(a Act) {
	if a.Kind > ActSwish {
		panic("kernels: unknown activation kind " + strconv.Itoa(int(a.Kind)))
	}
}

func hardSigmoidF32(x, alpha, beta float32) float32 {
	return min(max(alpha*x+beta, 0), 1)
}

func sigmoidF32(x float32) float32 {
	return 1 / (1 + expF32(-x))
}

// expF32 is a float32 exp accurate to about 2 ulp (Cephes expf): x = n·ln2 + r
// with |r| ≤ ln2/2, a degree-6 polynomial for exp(r), then scaling by 2^n
// through the exponent bits. Inputs are clamped to [-87.3, 88.7] so the result
// stays a normal finite float32.
func expF32(x float32) float32 {
	const (
		hi    = 88.72283
		lo    = -87.33654
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	if x != x { // NaN
		return x
	}
	x = min(max(x, lo), hi)
	fx := x*log2e + 0.5
	n := float32(int32(fx))
	if n > fx { // floor for negative values
		n--
	}
	r := x - n*c1 - n*c2
	z := r * r
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*z + r + 1
	e := int32(n) + 127
	if e <= 0 { // only reachable for x near lo: scale in two steps
		return p * math.Float32frombits(uint32(e+64)<<23) * 5.421010862427522e-20 // 2^-64
	}
	return p * math.Float32frombits(uint32(e)<<23)
}
