package ptq

import (
	"math"
	"math/rand"
	"testing"
)

// TestHistogramGrowthIsExact: adding values in ever larger batches (R
// doubling several times) gives the same counts as binning them all at the
// final R directly.
func TestHistogramGrowthIsExact(t *testing.T) {
	seed := int64(7)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	h := NewHistogram(64)
	var all []float32
	for _, s := range []float32{0.1, 0.3, 1, 5, 40} {
		x := make([]float32, 500)
		for i := range x {
			x[i] = s * float32(rng.NormFloat64())
		}
		all = append(all, x...)
		h.Add(x)
	}
	ref := NewHistogram(64)
	ref.grow(h.R) // start directly at the final R
	ref.Add(all)
	if ref.R != h.R {
		t.Fatalf("R %g vs %g", ref.R, h.R)
	}
	for i := range h.Counts {
		if h.Counts[i] != ref.Counts[i] {
			t.Fatalf("bin %d: %g after merging, %g binned directly", i, h.Counts[i], ref.Counts[i])
		}
	}
	if h.N != int64(len(all)) || h.total() != float64(len(all)) {
		t.Errorf("N %d total %g, want %d", h.N, h.total(), len(all))
	}
}

func TestHistogramZerosAndNonFinite(t *testing.T) {
	h := NewHistogram(16)
	h.Add([]float32{0, 0, 0})
	h.Add([]float32{float32(math.NaN()), float32(math.Inf(1)), 2, -1})
	if h.N != 5 || h.NonFinite != 2 || h.Min != -1 || h.Max != 2 || h.total() != 5 {
		t.Errorf("N %d nonfinite %d min %g max %g total %g", h.N, h.NonFinite, h.Min, h.Max, h.total())
	}
	if c := h.Counts[16]; c != 3 {
		t.Errorf("zeros bin holds %g, want 3", c)
	}
	r, _ := h.Range(MinMax, 0)
	if r != (Range{-1, 2}) {
		t.Errorf("minmax %v", r)
	}
	empty := NewHistogram(16)
	if r, _ := empty.Range(Entropy, 0); r != (Range{}) {
		t.Errorf("empty histogram: %v", r)
	}
}

// TestRobustMethods: a Gaussian N(0,1) with a few outliers at ±40. MinMax
// keeps the outliers; the robust methods clip near the body of the
// distribution, and the percentile follows the normal quantile.
func TestRobustMethods(t *testing.T) {
	seed := int64(11)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	h := NewHistogram(2048)
	const n = 200000
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	x[0], x[1], x[2] = 40, -40, 38
	h.Add(x)
	mm, _ := h.Range(MinMax, 0)
	if mm.Min != -40 || mm.Max != 40 {
		t.Fatalf("minmax %v", mm)
	}
	// 99.9 % kept: 0.05 % per tail; the N(0,1) quantile is 3.29.
	p, _ := h.Range(Percentile, 99.9)
	if math.Abs(float64(p.Max)-3.29) > 0.1 || math.Abs(float64(p.Min)+3.29) > 0.1 {
		t.Errorf("percentile 99.9: %v, want about ±3.29", p)
	}
	p99, _ := h.Range(Percentile, 99)
	if math.Abs(float64(p99.Max)-2.576) > 0.05 {
		t.Errorf("percentile 99: %v, want about ±2.58", p99)
	}
	e, _ := h.Range(Entropy, 0)
	if !(e.Max > 2 && e.Max < 10) || e.Min != -e.Max {
		t.Errorf("entropy %v: want a symmetric threshold in (2, 10)", e)
	}
	// MSE weighs the three outliers' squared clipping error against the
	// rounding error of 200000 values: it clips, but less than the others.
	m, _ := h.Range(MSE, 0)
	if !(m.Max > e.Max && m.Max < 40 && m.Min < -e.Max && m.Min > -40) {
		t.Errorf("mse %v: want a range inside minmax, wider than entropy", m)
	}
	for _, r := range []Range{mm, p, p99, e} {
		if mseErr(h, m) > mseErr(h, r) {
			t.Errorf("mse range %v has a larger modelled error than %v", m, r)
		}
	}
	t.Logf("minmax %v, percentile 99.9 %v, entropy %v, mse %v", mm, p, e, m)
}

// TestRobustMethodsNonNegative: a post-ReLU distribution (half zeros, an
// exponential tail): every method keeps min at 0.
func TestRobustMethodsNonNegative(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	h := NewHistogram(1024)
	x := make([]float32, 200000)
	for i := range x {
		if i%2 == 1 {
			x[i] = float32(rng.ExpFloat64())
		}
	}
	x[1] = 60
	h.Add(x)
	for _, m := range Methods() {
		r, err := h.Range(m, 99.99)
		if err != nil {
			t.Fatal(err)
		}
		if r.Min != 0 || !(r.Max > 3) || r.Max > 60 {
			t.Errorf("%v: %v, want [0, t] with 3 < t <= 60", m, r)
		}
		if m != MinMax && r.Max >= 60 {
			t.Errorf("%v kept the outlier: %v", m, r)
		}
	}
}

// mseErr is the MSE method's objective for range r.
func mseErr(h *Histogram, r Range) float64 {
	l, u := math.Min(float64(r.Min), 0), math.Max(float64(r.Max), 0)
	s := (u - l) / 255
	e := 0.0
	for i, c := range h.Counts {
		x := -h.R + (float64(i)+0.5)*h.width()
		d := 0.0
		if x < l {
			d = l - x
		} else if x > u {
			d = x - u
		}
		e += c * (d*d + s*s/12)
	}
	return e
}
