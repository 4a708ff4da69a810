package kernels

import (
	"fmt"
	"math"
)

// SoftmaxS8 is a prepared int8 softmax over the last axis with TFLite's
// default (optimized, x86) int8 semantics (optimized_ops::Softmax with the
// table of PopulateSoftmaxLookupTable): a float32 table of
// exp(−inScale·beta·d) for d = 0…255, per row
//
//	sum = Σ_j table[max − x_j]               // float32, in order
//	y_j = clamp(round(table[max − x_j] · 1/(sum·outScale)) + outZero)   // round half away from zero
//
// TFLite's ARM builds use a uint16 table (SoftmaxInt8LUT) and the
// reference kernel gemmlowp fixed point; both may differ from this by one
// quantum on some elements. exp is computed in float64 and rounded to
// float32, which matches a correctly rounded expf (glibc's expf is within
// 0.502 ulp, so a table entry can differ in its last bit in rare cases).
// It is immutable and safe for concurrent use.
type SoftmaxS8 struct {
	table    [256]float32
	outScale float32
	outZero  int32
}

// NewSoftmaxS8 prepares the table for an input scale, beta (1 for ONNX and
// usual TFLite models) and the output quantization (TFLite: 1/256 and -128).
func NewSoftmaxS8(inScale, beta, outScale float32, outZero int32) *SoftmaxS8 {
	if !(inScale > 0) || !(outScale > 0) || math.IsInf(float64(inScale), 0) || math.IsInf(float64(outScale), 0) ||
		!(beta > 0) || outZero < -128 || outZero > 127 {
		panic(fmt.Sprintf("kernels: NewSoftmaxS8 inScale %v, beta %v, outScale %v, outZero %d", inScale, beta, outScale, outZero))
	}
	s := &SoftmaxS8{outScale: outScale, outZero: outZero}
	scale := -inScale * beta
	for d := range s.table {
		s.table[d] = float32(math.Exp(float64(scale * float32(d))))
	}
	return s
}

// Run computes rows of length n: x and y hold rows·n values.
func (s *SoftmaxS8) Run(rows, n int, x, y []int8) {
	if rows < 0 || n <= 0 || len(x) < rows*n || len(y) < rows*n {
		panic(fmt.Sprintf("kernels: SoftmaxS8 rows=%d n=%d: x len %d, y len %d", rows, n, len(x), len(y)))
	}
	for r := 0; r < rows; r++ {
		xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
		mx := int8(-128)
		for _, v := range xr {
			mx = max(mx, v)
		}
		t := s.table[:]
		var sum float32
		for _, v := range xr {
			sum += t[uint8(mx-v)]
		}
		inv := 1 / float32(sum*s.outScale)
		for j, v := range xr {
			p := float32(t[uint8(mx-v)] * inv)
			q := int32(math.Round(float64(p))) + s.outZero
			yr[j] = int8(min(max(q, -128), 127))
		}
	}
}
