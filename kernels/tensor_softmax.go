package kernels

import (
	"fmt"
	"math"
)

// SoftmaxF32 computes softmax along the middle axis of x viewed as
// [outer, axisLen, inner], as ONNX Softmax-13 does for a tensor reshaped around
// its axis:
//
//	y[o,k,i] = exp(x[o,k,i] - m[o,i]) / Σ_k' exp(x[o,k',i] - m[o,i]),  m[o,i] = max_k x[o,k,i]
//
// Subtracting the maximum keeps it finite for any finite input. The sum is
// accumulated in float64; exp is a float32 polynomial accurate to about 2 ulp.
// len(x) and len(y) must be outer·axisLen·inner; y may be the same slice as x
// (in place), otherwise they must not overlap. NaN inputs propagate to the
// whole slice along the axis; a slice of all -Inf gives NaN, as in numpy.
func SoftmaxF32(x, y []float32, outer, axisLen, inner int) {
	if outer < 0 || axisLen < 0 || inner < 0 {
		panic(fmt.Sprintf("kernels: SoftmaxF32: negative size outer=%d axisLen=%d inner=%d", outer, axisLen, inner))
	}
	n := outer * axisLen * inner
	tensorCheckLen("SoftmaxF32", "x", len(x), n)
	tensorCheckLen("SoftmaxF32", "y", len(y), n)
	if n == 0 {
		return
	}
	if inner == 1 {
		for o := 0; o < outer; o++ {
			tensorSoftmaxRow(x[o*axisLen:(o+1)*axisLen], y[o*axisLen:(o+1)*axisLen])
		}
		return
	}
	// inner > 1: work on column chunks so every pass reads contiguous memory.
	const chunk = 64
	var mx [chunk]float32
	var sum [chunk]float64
	var inv [chunk]float32
	plane := axisLen * inner
	for o := 0; o < outer; o++ {
		xo := x[o*plane : (o+1)*plane]
		yo := y[o*plane : (o+1)*plane]
		for j0 := 0; j0 < inner; j0 += chunk {
			w := min(chunk, inner-j0)
			m := mx[:w]
			copy(m, xo[j0:j0+w])
			for k := 1; k < axisLen; k++ {
				row := xo[k*inner+j0 : k*inner+j0+w]
				for j, v := range row {
					if v > m[j] || v != v {
						m[j] = v
					}
				}
			}
			s := sum[:w]
			clear(s)
			for k := 0; k < axisLen; k++ {
				xr := xo[k*inner+j0 : k*inner+j0+w]
				yr := yo[k*inner+j0 : k*inner+j0+w]
				for j, v := range xr {
					e := tensorExpF32(v - m[j])
					yr[j] = e
					s[j] += float64(e)
				}
			}
			iv := inv[:w]
			for j := range iv {
				iv[j] = float32(1 / s[j])
			}
			for k := 0; k < axisLen; k++ {
				yr := yo[k*inner+j0 : k*inner+j0+w]
				for j := range yr {
					yr[j] *= iv[j]
				}
			}
		}
	}
}

func tensorSoftmaxRow(x, y []float32) {
	y = y[:len(x)]
	m := x[0]
	for _, v := range x[1:] {
		if v > m || v != v {
			m = v
		}
	}
	var s float64
	for i, v := range x {
		e := tensorExpF32(v - m)
		y[i] = e
		s += float64(e)
	}
	inv := float32(1 / s)
	for i := range y {
		y[i] *= inv
	}
}

// tensorExpF32 is exp for float32: Cody–Waite range reduction x = n·ln2 + r,
// |r| ≤ ln2/2, then the Cephes expf polynomial, scaled by 2^n. Results that
// would be subnormal flush to 0; NaN propagates, ±Inf give +Inf and 0.
func tensorExpF32(x float32) float32 {
	const (
		hi     = 88.72283905206835
		lo     = -87.33654475055310 // below this 2^n would be subnormal
		log2e  = 1.44269504088896341
		ln2Hi  = 0.693359375
		ln2Lo  = -2.12194440e-4
		p0     = 1.9875691500e-4
		p1     = 1.3981999507e-3
		p2     = 8.3334519073e-3
		p3     = 4.1665795894e-2
		p4     = 1.6666665459e-1
		p5     = 5.0000001201e-1
		expOne = 127
	)
	if !(x >= lo) { // also catches NaN
		if x != x {
			return x
		}
		return 0
	}
	if x > hi {
		return float32(math.Inf(1))
	}
	t := x*log2e + 0.5
	n := int32(t) // truncates toward zero; fix up to floor below
	if float32(n) > t {
		n--
	}
	fn := float32(n)
	r := x - fn*ln2Hi - fn*ln2Lo
	p := ((((p0*r+p1)*r+p2)*r+p3)*r+p4)*r + p5
	p = p*r*r + r + 1
	if n > 127 { // x just below hi can round up to n = 128
		return p * 2 * math.Float32frombits(uint32(n-1+expOne)<<23)
	}
	return p * math.Float32frombits(uint32(n+expOne)<<23)
}
