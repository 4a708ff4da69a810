package quant

import (
	"errors"
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels"
)

// Hand-computed cases of TFLite's QuantizeMultiplier.
func TestQuantizeMultiplier(t *testing.T) {
	for _, tc := range []struct {
		real  float64
		mult  int32
		shift int
	}{
		{0, 0, 0},
		{0.5, 1 << 30, 0},
		{1, 1 << 30, 1},
		{0.75, 3 << 29, 0},
		{1e-6, 1125899907, -19},          // 0.524288·2^-19; 0.524288·2^31 = 1125899906.84
		{0.9999999, 2147483433, 0},       // 2^31·(1−1e-7) = 2147483433.25
		{0.99999999999, 1 << 30, 1},      // rounds to 2^31: halved, shift+1
		{math.Exp2(-31), 1 << 30, -30},   // 0.5·2^-30
		{math.Exp2(-32), 1 << 30, -31},   // the smallest kept
		{math.Exp2(-33), 0, 0},           // shift −32: flushed to zero
		{3 * math.Exp2(40), 3 << 29, 42}, // large: shift 42, not saturated (double rounding build)
		{-0.5, -(1 << 30), 0},
		{0.1, 1717986918, -3}, // 0.8·2^-3; 0.8·2^31 = 1717986918.4
	} {
		m, s := QuantizeMultiplier(tc.real)
		if m != tc.mult || s != tc.shift {
			t.Errorf("QuantizeMultiplier(%g) = (%d, %d), want (%d, %d)", tc.real, m, s, tc.mult, tc.shift)
		}
		// The represented value is within half a Q31 step of real.
		if tc.mult != 0 {
			got := float64(m) * math.Exp2(float64(s-31))
			if math.Abs(got-tc.real) > math.Exp2(float64(s-32))*1.0001 {
				t.Errorf("QuantizeMultiplier(%g) represents %g", tc.real, got)
			}
		}
	}
	if _, _, err := QuantizeMultiplierSmallerThanOneExp(1); !errors.Is(err, ErrParams) {
		t.Errorf("QuantizeMultiplierSmallerThanOneExp(1) error %v, want ErrParams", err)
	}
	m, s, err := QuantizeMultiplierSmallerThanOneExp(0.25)
	if err != nil || m != 1<<30 || s != -1 {
		t.Errorf("QuantizeMultiplierSmallerThanOneExp(0.25) = %d, %d, %v", m, s, err)
	}
}

func TestActivationRange(t *testing.T) {
	out := Params{Scale: 6.0 / 255, Zero: -128}
	for _, tc := range []struct {
		act    Activation
		lo, hi int32
	}{
		{ActNone, -128, 127},
		{ActRelu, -128, 127},
		{ActRelu6, -128, 127},
		{ActReluN1To1, -128, -128 + 43}, // 1/(6/255) = 42.5 → 43 (half away from zero)
	} {
		lo, hi, err := ActivationRange(tc.act, out)
		if err != nil || lo != tc.lo || hi != tc.hi {
			t.Errorf("ActivationRange(%d, %+v) = [%d, %d] %v, want [%d, %d]", tc.act, out, lo, hi, err, tc.lo, tc.hi)
		}
	}
	lo, hi, err := ActivationRange(ActRelu6, Params{Scale: 0.05, Zero: -10})
	if err != nil || lo != -10 || hi != 110 {
		t.Errorf("Relu6 at scale 0.05, zero -10 = [%d, %d] %v, want [-10, 110]", lo, hi, err)
	}
	if _, _, err := ActivationRange(9, out); !errors.Is(err, ErrParams) {
		t.Errorf("unknown activation: %v", err)
	}
	if _, _, err := ActivationRange(ActRelu, Params{Scale: 0}); !errors.Is(err, ErrParams) {
		t.Errorf("zero scale: %v", err)
	}
}

func TestRequantBuilders(t *testing.T) {
	x, y := Params{Scale: 0.02, Zero: 3}, Params{Scale: 0.05, Zero: -7}
	rq, err := ConvRequantTFLite(x.Scale, []float32{0.001, 0.003}, y, -128, 127)
	if err != nil {
		t.Fatal(err)
	}
	for i, ws := range []float32{0.001, 0.003} {
		m, s := QuantizeMultiplier(float64(x.Scale) * float64(ws) / float64(y.Scale))
		if rq.Mult[i] != m || rq.Shift[i] != int32(s) {
			t.Errorf("ConvRequantTFLite channel %d = (%d, %d), want (%d, %d)", i, rq.Mult[i], rq.Shift[i], m, s)
		}
	}
	if rq.Mode != kernels.RequantFixedPoint || rq.ZeroPoint != -7 || rq.Min != -128 || rq.Max != 127 {
		t.Errorf("ConvRequantTFLite = %+v", rq)
	}
	pt, err := PerTensorRequantTFLite(x.Scale, 0.003, y, -7, 127)
	if err != nil {
		t.Fatal(err)
	}
	if m, s := QuantizeMultiplier(float64(x.Scale*0.003) / float64(y.Scale)); pt.Mult[0] != m || pt.Shift[0] != int32(s) || pt.Min != -7 {
		t.Errorf("PerTensorRequantTFLite = %+v", pt)
	}
	ort, err := RequantORT(x.Scale, []float32{0.001, 0.003}, y)
	if err != nil {
		t.Fatal(err)
	}
	if ort.Mode != kernels.RequantFloat || ort.Scale[1] != float32(x.Scale*0.003)/y.Scale {
		t.Errorf("RequantORT = %+v", ort)
	}
	g, err := GlobalAvgPoolRequantORT(x, y, 49)
	if err != nil || g.Scale[0] != x.Scale/(y.Scale*49) {
		t.Errorf("GlobalAvgPoolRequantORT = %+v, %v", g, err)
	}
	if _, err := GlobalAvgPoolRequantORT(x, y, 1<<24); !errors.Is(err, ErrParams) {
		t.Errorf("GlobalAvgPoolRequantORT over 2^24 positions: %v", err)
	}
	for name, err := range map[string]error{
		"conv no scales":  second(ConvRequantTFLite(0.1, nil, y, -128, 127)),
		"conv bad clamp":  second(ConvRequantTFLite(0.1, []float32{1}, y, 5, 4)),
		"conv bad wscale": second(ConvRequantTFLite(0.1, []float32{-1}, y, -128, 127)),
		"conv huge":       second(ConvRequantTFLite(1e30, []float32{1e10}, y, -128, 127)),
		"ort bad x":       second(RequantORT(float32(math.NaN()), []float32{1}, y)),
		"ort bad zero":    second(RequantORT(1, []float32{1}, Params{Scale: 1, Zero: 128})),
		"requantize":      second(RequantizeTFLite(Params{Scale: -1}, y)),
		"mean":            second(MeanRequantTFLite(x, Params{})),
	} {
		if !errors.Is(err, ErrParams) {
			t.Errorf("%s: error %v, want ErrParams", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestAddMulParams(t *testing.T) {
	a, b, y := Params{Scale: 0.02, Zero: 1}, Params{Scale: 0.04, Zero: -2}, Params{Scale: 0.05, Zero: 3}
	p, err := AddTFLite(a, b, y, -128, 127)
	if err != nil {
		t.Fatal(err)
	}
	// a/(2·0.04) = 0.25, b/(2·0.04) = 0.5, 0.08/(2^20·0.05)
	if p.AMult != 1<<30 || p.AShift != -1 || p.BMult != 1<<30 || p.BShift != 0 || p.LeftShift != 20 {
		t.Errorf("AddTFLite input multipliers = %+v", p)
	}
	if m, s := QuantizeMultiplier(2 * float64(b.Scale) / float64(float32(1<<20)*y.Scale)); p.OutMult != m || p.OutShift != int32(s) {
		t.Errorf("AddTFLite output multiplier = (%d, %d), want (%d, %d)", p.OutMult, p.OutShift, m, s)
	}
	// Adding 1.0 (q = 1 + 50) and 2.0 (q = -2 + 50) gives 3.0 = 3 + 60.
	if got := p.Eval(51, 48); got != 63 {
		t.Errorf("AddTFLite 1.0 + 2.0 = q %d, want 63", got)
	}
	m, err := MulTFLite(a, b, y, -128, 127)
	if err != nil {
		t.Fatal(err)
	}
	// 1.0 · 2.0 = 2.0 = 3 + 40
	if got := m.Eval(51, 48); got != 43 {
		t.Errorf("MulTFLite 1.0 · 2.0 = q %d, want 43", got)
	}
	pa, err := AddORT(a, b, y, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := pa.Eval(51, 48); got != 63 {
		t.Errorf("AddORT 1.0 + 2.0 = q %d, want 63", got)
	}
	pm, err := MulORT(a, b, y, 128)
	if err != nil {
		t.Fatal(err)
	}
	if got := pm.Eval(51, 48); got != 43 {
		t.Errorf("MulORT 1.0 · 2.0 = q %d, want 43", got)
	}
	if _, err := AddTFLite(a, b, Params{Scale: 1e-12}, -128, 127); !errors.Is(err, ErrParams) {
		t.Errorf("AddTFLite with an output multiplier >= 1: %v", err)
	}
	if _, err := AddORT(a, b, y, 5); !errors.Is(err, ErrParams) {
		t.Errorf("AddORT offset 5: %v", err)
	}
}

// TestTablesAgainstFloat checks the tables against the float functions they
// quantize: within one quantum (TFLite's hard-swish is a 16-bit
// fixed-point approximation, MLAS's logistic a rational one).
func TestTablesAgainstFloat(t *testing.T) {
	in, out := Params{Scale: 0.1, Zero: -10}, Params{Scale: 1.0 / 256, Zero: -128}
	hsOut := Params{Scale: 0.08, Zero: -90}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	hs := func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) }
	for name, tc := range map[string]struct {
		tab func(in, out Params) (*[256]int8, error)
		f   func(float64) float64
		out Params
	}{
		"LogisticTableTFLite":  {LogisticTableTFLite, sig, out},
		"SigmoidTableORT":      {SigmoidTableORT, sig, out},
		"HardSwishTableTFLite": {HardSwishTableTFLite, hs, hsOut},
		"TanhTableTFLite":      {TanhTableTFLite, math.Tanh, Params{Scale: 1.0 / 128}},
	} {
		tab, err := tc.tab(in, tc.out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for v := -128; v < 128; v++ {
			x := float64(in.Scale) * float64(v-int(in.Zero))
			want := math.Round(tc.f(x)/float64(tc.out.Scale)) + float64(tc.out.Zero)
			want = math.Max(-128, math.Min(127, want))
			if got := float64(tab[uint8(int8(v))]); math.Abs(got-want) > 1 {
				t.Errorf("%s(%d) = %v, want %v ± 1", name, v, got, want)
			}
		}
	}
	// The identity round trip of a DQ → Q pair with equal parameters.
	tab, err := RequantizeTableORT(in, in)
	if err != nil {
		t.Fatal(err)
	}
	for v := -128; v < 128; v++ {
		if tab[uint8(int8(v))] != int8(v) {
			t.Fatalf("RequantizeTableORT identity maps %d to %d", v, tab[uint8(int8(v))])
		}
	}
	if _, err := SigmoidTableORT(Params{}, out); !errors.Is(err, ErrParams) {
		t.Errorf("SigmoidTableORT with a zero scale: %v", err)
	}
}
