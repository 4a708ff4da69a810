package ref

import "math"

// Activation kinds, in the order of kernels.ActKind.
const (
	ActNone = iota
	ActRelu
	ActClip
	ActSigmoid
	ActHardSigmoid
	ActHardSwish
	ActSwish
)

// Act is an activation and its parameters (see kernels.Act).
type Act struct {
	Kind                  int
	Min, Max, Alpha, Beta float64
}

// Eval evaluates the activation in float64 from its textbook definition.
func (a Act) Eval(x float64) float64 {
	switch a.Kind {
	case ActNone:
		return x
	case ActRelu:
		return math.Max(x, 0)
	case ActClip:
		return math.Min(math.Max(x, a.Min), a.Max)
	case ActSigmoid:
		return 1 / (1 + math.Exp(-x))
	case ActHardSigmoid:
		return math.Max(0, math.Min(1, a.Alpha*x+a.Beta))
	case ActHardSwish:
		return x * math.Max(0, math.Min(1, x/6+0.5))
	case ActSwish:
		return x / (1 + math.Exp(-x))
	}
	panic("ref: unknown activation kind")
}

// ApplyAct applies a to every element of x in place.
func ApplyAct(a Act, x []float32) {
	for i, v := range x {
		x[i] = float32(a.Eval(float64(v)))
	}
}
