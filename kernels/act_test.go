package kernels

import (
	"math"
	"testing"
)

// TestActEval compares every kind against the float64 reference on a grid
// that covers the kinks (0, ±3, clip bounds) and saturation (±100).
// Tolerance: 4e-7·max(1, |x|) absolute, i.e. a few float32 ulps.
func TestActEval(t *testing.T) {
	var xs []float32
	for v := -12.0; v <= 12; v += 0.0625 {
		xs = append(xs, float32(v))
	}
	xs = append(xs, -100, -88, -87.5, 87.5, 88, 100, 1e-8, -1e-8, 0.1, -0.1)
	for _, a := range ckActs {
		ra := ckRefAct(a)
		for _, x := range xs {
			got := float64(a.Eval(x))
			want := ra.Eval(float64(x))
			if d := math.Abs(got - want); d > 4e-7*math.Max(1, math.Abs(float64(x))) {
				t.Errorf("%v.Eval(%v) = %v, want %v (diff %g)", a, x, got, want, d)
			}
		}
	}
}

func TestApplyActMatchesEval(t *testing.T) {
	r := ckRNG(t)
	for _, a := range ckActs {
		for _, n := range []int{0, 1, 3, 13, 24, 100} {
			x := ckRand(r, n)
			for i := range x {
				x[i] *= 8
			}
			want := make([]float32, n)
			for i, v := range x {
				want[i] = a.Eval(v)
			}
			ApplyAct(a, x)
			ckBitsEqual(t, a.String(), x, want)
		}
	}
}

func TestActString(t *testing.T) {
	for a, want := range map[Act]string{
		{}:                              "none",
		{Kind: ActRelu}:                 "relu",
		{Kind: ActClip, Min: 0, Max: 6}: "clip(0,6)",
		{Kind: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}: "hardsigmoid(0.2,0.5)",
		{Kind: ActHardSwish}:                          "hardswish",
		{Kind: ActSwish}:                              "swish",
		{Kind: ActSigmoid}:                            "sigmoid",
	} {
		if got := a.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", a, got, want)
		}
	}
}

func TestExpF32(t *testing.T) {
	for v := -87.0; v <= 88; v += 0.01 {
		got := float64(expF32(float32(v)))
		want := math.Exp(float64(float32(v)))
		if math.Abs(got-want) > 3e-7*want {
			t.Fatalf("expF32(%v) = %v, want %v", v, got, want)
		}
	}
}
