package kernels

import (
	"fmt"
	"math"
)

// ReduceMeanF32 averages x (shape shape) over axes, as ONNX ReduceMean does.
// axes must be sorted, unique and in [0, rank); y holds the reduced tensor
// (len = element count of shape with the reduced axes removed — keepdims only
// changes the shape, not the data). An empty axes list reduces nothing (y is a
// copy of x), which is ONNX's noop_with_empty_axes=1 behaviour; the caller
// expands "all axes" itself. Reducing over a zero-length axis gives NaN.
//
// The reference loop:
//
//	y[k] = (Σ_{r} x[k, r]) / count   // k over kept axes, r over reduced axes
//
// Sums are accumulated in float64. After size-1 axes are dropped and adjacent
// axes of the same kind merged, the shapes [R], [K,R] (row means), [R,K] and
// [K,R,K] (column means — the NHWC global average [N,H·W,C]) take direct loops;
// other layouts use a strided walk.
func ReduceMeanF32(x []float32, shape []int, axes []int, y []float32) {
	const what = "ReduceMeanF32"
	n := tensorNumel(what, shape)
	tensorCheckLen(what, "x", len(x), n)
	r := len(shape)
	var red [tensorMaxRank]bool
	for i, a := range axes {
		if a < 0 || a >= r || (i > 0 && a <= axes[i-1]) {
			panic(fmt.Sprintf("kernels: %s: axes %s must be sorted, unique and in [0, %d)", what, tensorShapeString(axes), r))
		}
		red[a] = true
	}
	outN, cnt := 1, 1
	for i, d := range shape {
		if red[i] {
			cnt *= d
		} else {
			outN *= d
		}
	}
	tensorCheckLen(what, "y", len(y), outN)
	if outN == 0 {
		return
	}
	if cnt == 0 {
		for i := range y {
			y[i] = float32(math.NaN())
		}
		return
	}

	// Canonical form: drop size-1 axes, merge runs of the same kind.
	var dims [tensorMaxRank]int
	var kind [tensorMaxRank]bool // true = reduced
	g := 0
	for i, d := range shape {
		if d == 1 {
			continue
		}
		if g > 0 && kind[g-1] == red[i] {
			dims[g-1] *= d
			continue
		}
		dims[g], kind[g] = d, red[i]
		g++
	}
	inv := 1 / float64(cnt)
	switch {
	case cnt == 1:
		copy(y, x)
	case g == 1: // [R]
		y[0] = float32(tensorSumF32(x) * inv)
	case g == 2 && !kind[0]: // [K, R]
		rn := dims[1]
		for k := range y {
			y[k] = float32(tensorSumF32(x[k*rn:(k+1)*rn]) * inv)
		}
	case g == 2: // [R, K]
		tensorColMeanF32(x, dims[0], dims[1], y, inv)
	case g == 3 && !kind[0]: // [K, R, K]
		plane := dims[1] * dims[2]
		for k := 0; k < dims[0]; k++ {
			tensorColMeanF32(x[k*plane:(k+1)*plane], dims[1], dims[2], y[k*dims[2]:(k+1)*dims[2]], inv)
		}
	default:
		tensorReduceMeanWalk(x, dims[:g], kind[:g], y, inv)
	}
}

// tensorSumF32 sums x in float64 with four independent accumulators.
func tensorSumF32(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// tensorColMeanF32 writes the means of the columns of the rows×cols matrix x.
func tensorColMeanF32(x []float32, rows, cols int, y []float32, inv float64) {
	const tile = 64
	var acc [tile]float64
	for j0 := 0; j0 < cols; j0 += tile {
		w := min(tile, cols-j0)
		a := acc[:w]
		clear(a)
		for i := 0; i < rows; i++ {
			row := x[i*cols+j0 : i*cols+j0+w]
			for j, v := range row {
				a[j] += float64(v)
			}
		}
		out := y[j0 : j0+w]
		for j := range out {
			out[j] = float32(a[j] * inv)
		}
	}
}

// tensorReduceMeanWalk is the general case: for each output element, walk the
// reduced axes with strides.
func tensorReduceMeanWalk(x []float32, dims []int, kind []bool, y []float32, inv float64) {
	g := len(dims)
	var st [tensorMaxRank]int
	acc := 1
	for i := g - 1; i >= 0; i-- {
		st[i] = acc
		acc *= dims[i]
	}
	var kd, ks, rd, rs [tensorMaxRank]int
	nk, nr := 0, 0
	for i := 0; i < g; i++ {
		if kind[i] {
			rd[nr], rs[nr] = dims[i], st[i]
			nr++
		} else {
			kd[nk], ks[nk] = dims[i], st[i]
			nk++
		}
	}
	var ki [tensorMaxRank]int
	base := 0
	for o := range y {
		var ri [tensorMaxRank]int
		off := base
		var s float64
		for {
			s += float64(x[off])
			a := nr - 1
			for ; a >= 0; a-- {
				ri[a]++
				off += rs[a]
				if ri[a] < rd[a] {
					break
				}
				off -= ri[a] * rs[a]
				ri[a] = 0
			}
			if a < 0 {
				break
			}
		}
		y[o] = float32(s * inv)
		for a := nk - 1; a >= 0; a-- {
			ki[a]++
			base += ks[a]
			if ki[a] < kd[a] {
				break
			}
			base -= ki[a] * ks[a]
			ki[a] = 0
		}
	}
}
