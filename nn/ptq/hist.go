package ptq

import (
	"fmt"
	"math"
)

// Histogram accumulates the values one tensor takes during calibration: the
// exact minimum and maximum, and counts in 2·Bins equal bins covering
// [−R, R). R starts at the first non-zero max|x| and doubles whenever a
// larger value arrives; the bins are then merged in pairs, which is exact
// because the old bin edges are edges of the new bins. Non-finite values are
// counted apart and otherwise ignored.
type Histogram struct {
	Min, Max  float32
	R         float64   // half-width of the binned interval; 0 until a non-zero value
	Counts    []float64 // 2·bins counts; bin i covers [−R + i·R/bins, −R + (i+1)·R/bins)
	Zeros     float64   // zeros seen while R was 0 (moved into the bins once R is set)
	Exact0    float64   // values exactly 0 (also counted in the bins or Zeros)
	NonFinite int64
	N         int64 // finite values seen
	bins      int
}

// NewHistogram makes a histogram with bins bins on each side of zero (even).
func NewHistogram(bins int) *Histogram {
	if bins < 2 || bins%2 != 0 {
		panic("ptq: NewHistogram: bins must be even and >= 2")
	}
	return &Histogram{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1)), Counts: make([]float64, 2*bins), bins: bins}
}

// Add accumulates values.
func (h *Histogram) Add(x []float32) {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	var finite int64
	for _, v := range x {
		if !(v >= -math.MaxFloat32 && v <= math.MaxFloat32) { // NaN, ±Inf
			h.NonFinite++
			continue
		}
		finite++
		if v == 0 {
			h.Exact0++
		}
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if finite == 0 {
		return
	}
	h.Min, h.Max = min(h.Min, lo), max(h.Max, hi)
	h.N += finite
	if absmax := math.Max(-float64(lo), float64(hi)); absmax > 0 {
		h.grow(absmax)
	}
	if h.R == 0 { // every finite value is zero
		h.Zeros += float64(finite)
		return
	}
	last := 2*h.bins - 1
	inv := float64(h.bins) / h.R
	r := h.R
	counts := h.Counts[:last+1]
	for _, v := range x {
		if !(v >= -math.MaxFloat32 && v <= math.MaxFloat32) {
			continue
		}
		i := int((float64(v) + r) * inv)
		if i > last {
			i = last
		} else if i < 0 {
			i = 0
		}
		counts[i]++
	}
}

// grow makes R at least a (doubling, merging bins in pairs).
func (h *Histogram) grow(a float64) {
	if h.R == 0 {
		h.R = a
		h.Counts[h.bins] += h.Zeros
		h.Zeros = 0
		return
	}
	for h.R < a {
		merged := make([]float64, len(h.Counts))
		for i, c := range h.Counts {
			merged[(h.bins+i)/2] += c
		}
		h.Counts = merged
		h.R *= 2
	}
}

// width is the width of one bin.
func (h *Histogram) width() float64 { return h.R / float64(h.bins) }

// edge is the left edge of bin i.
func (h *Histogram) edge(i int) float64 { return -h.R + float64(i)*h.width() }

func (h *Histogram) total() float64 {
	t := h.Zeros
	for _, c := range h.Counts {
		t += c
	}
	return t
}

// Range returns the activation range method m derives from the histogram
// (percentile is used by Percentile only). The result lies within
// [Min, Max]; an empty histogram gives the zero Range.
func (h *Histogram) Range(m Method, percentile float64) (Range, error) {
	if h.N == 0 {
		return Range{}, nil
	}
	full := Range{Min: h.Min, Max: h.Max}
	if h.R == 0 || m == MinMax {
		return full, nil
	}
	var lo, hi float64
	switch m {
	case Percentile:
		lo, hi = h.percentile(percentile)
	case Entropy:
		t := h.entropy()
		lo, hi = -t, t
	case MSE:
		lo, hi = h.mse()
	default:
		return Range{}, fmt.Errorf("ptq: method %v: %w", m, ErrConfig)
	}
	r := Range{Min: float32(math.Max(lo, float64(h.Min))), Max: float32(math.Min(hi, float64(h.Max)))}
	if r.Min > r.Max { // degenerate: keep the observed range
		return full, nil
	}
	return r, nil
}

// percentile cuts (100−p)/2 % of the values off each tail: lo is the left
// edge of the bin where the cumulative count first exceeds the cut, hi the
// right edge of the bin where the count from the right does.
func (h *Histogram) percentile(p float64) (lo, hi float64) {
	cut := h.total() * (100 - p) / 200
	acc := 0.0
	lo = -h.R
	for i, c := range h.Counts {
		acc += c
		if acc > cut {
			lo = h.edge(i)
			break
		}
	}
	acc = 0
	hi = h.R
	for i := len(h.Counts) - 1; i >= 0; i-- {
		acc += h.Counts[i]
		if acc > cut {
			hi = h.edge(i + 1)
			break
		}
	}
	return lo, hi
}

// abs folds the histogram onto |x|: bins counts over [0, R).
func (h *Histogram) abs() []float64 {
	a := make([]float64, h.bins)
	for k := range a {
		a[k] = h.Counts[h.bins+k] + h.Counts[h.bins-1-k]
	}
	return a
}

// entropy is TensorRT's KL-divergence calibration on the |x| histogram:
// for each candidate threshold (a bin edge i ≥ levels) the reference P is
// the first i bins with the tail added to the last one, Q is P merged into
// levels groups and spread back over the non-empty bins of each group; the
// threshold with the smallest KL(P‖Q) wins (searched coarse to fine: about
// 128 evenly spaced candidates, then every bin edge around the best one).
// levels is 128 (one side of an
// int8 range) for signed tensors, 255 for non-negative ones (the whole
// uint8 range on [0, t]). Exact zeros are left out: zero is exact in every
// range, and the spike of a ReLU output would otherwise dominate.
func (h *Histogram) entropy() float64 {
	a := h.abs()
	// Exact zeros (half of a ReLU output) are exact in any range: left in,
	// their spike would dominate the divergence and pull the threshold down.
	a[0] = math.Max(0, a[0]-h.Exact0)
	levels := 128
	if h.Min >= 0 {
		levels = 255
	}
	n := len(a)
	if n <= levels {
		return h.R
	}
	// Drop trailing empty bins: thresholds past the data are all equivalent.
	last := n
	for last > levels && a[last-1] == 0 {
		last--
	}
	tail := make([]float64, n+1) // tail[i] = sum a[i:]
	for i := n - 1; i >= 0; i-- {
		tail[i] = tail[i+1] + a[i]
	}
	p := make([]float64, n)
	q := make([]float64, n)
	kl := func(i int) float64 {
		copy(p, a[:i])
		p[i-1] += tail[i]
		// Q: a's first i bins (without the outliers) merged into levels
		// groups, spread evenly over the bins where p is non-zero.
		for j := 0; j < levels; j++ {
			s := j * i / levels
			e := (j + 1) * i / levels
			sum, nz := 0.0, 0
			for k := s; k < e; k++ {
				sum += a[k]
				if p[k] != 0 {
					nz++
				}
			}
			for k := s; k < e; k++ {
				q[k] = 0
				if p[k] != 0 {
					q[k] = sum / float64(nz)
				}
			}
		}
		return klDiv(p[:i], q[:i])
	}
	// Coarse pass over about 128 candidates, then every candidate around
	// the best one.
	stride := max(1, (last-levels)/128)
	best, bestI := math.Inf(1), last
	for i := levels; i <= last; i += stride {
		if d := kl(i); d < best {
			best, bestI = d, i
		}
	}
	for i := max(levels, bestI-stride+1); i <= min(last, bestI+stride-1); i++ {
		if d := kl(i); d < best {
			best, bestI = d, i
		}
	}
	return float64(bestI) * h.width()
}

// klDiv is KL(p‖q) of two unnormalized histograms; bins where q is 0 and p
// is not get a small probability (as TensorRT's smoothing does).
func klDiv(p, q []float64) float64 {
	var sp, sq float64
	for i := range p {
		sp += p[i]
		sq += q[i]
	}
	if sp == 0 || sq == 0 {
		return math.Inf(1)
	}
	const eps = 1e-10
	kl := 0.0
	for i := range p {
		if p[i] == 0 {
			continue
		}
		pi := p[i] / sp
		qi := q[i] / sq
		if qi == 0 {
			qi = eps
		}
		kl += pi * math.Log(pi/qi)
	}
	return kl
}

// mse scales the observed range [min(Min,0), max(Max,0)] by α ∈ (0, 1] in
// 1/200 steps and keeps the α with the smallest expected squared error of
// uint8 quantization: a value inside the range costs scale²/12 (rounding),
// a value outside its distance to the range squared (clipping); each bin
// counts at its centre.
func (h *Histogram) mse() (lo, hi float64) {
	lo0 := math.Min(float64(h.Min), 0)
	hi0 := math.Max(float64(h.Max), 0)
	w := h.width()
	best := math.Inf(1)
	lo, hi = lo0, hi0
	const steps = 200
	for k := steps; k >= 1; k-- {
		a := float64(k) / steps
		l, u := a*lo0, a*hi0
		s := (u - l) / 255
		round := s * s / 12
		err := 0.0
		for i, c := range h.Counts {
			if c == 0 {
				continue
			}
			x := -h.R + (float64(i)+0.5)*w
			switch {
			case x < l:
				err += c * ((l-x)*(l-x) + round)
			case x > u:
				err += c * ((x-u)*(x-u) + round)
			default:
				err += c * round
			}
		}
		if err < best {
			best, lo, hi = err, l, u
		}
	}
	return lo, hi
}
