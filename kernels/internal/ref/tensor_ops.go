package ref

import "math"

// This file holds scalar references for the data-movement kernels of package
// kernels (Transpose, Binary*, Softmax, ReduceMean, Concat, Pad, Gather).
// They index every element through its multi-index, allocate freely and
// favour obviousness over speed.

// tensorSize is the element count of shape (1 for rank 0).
func tensorSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// tensorUnravel writes the multi-index of flat index i in shape into idx.
func tensorUnravel(i int, shape, idx []int) {
	for a := len(shape) - 1; a >= 0; a-- {
		idx[a] = i % shape[a]
		i /= shape[a]
	}
}

// tensorRavel is the flat index of multi-index idx in shape.
func tensorRavel(idx, shape []int) int {
	f := 0
	for a := range shape {
		f = f*shape[a] + idx[a]
	}
	return f
}

// Transpose returns x (shape shape) with axes permuted: out axis i is input axis perm[i].
func Transpose[T any](x []T, shape, perm []int) []T {
	r := len(shape)
	oshape := make([]int, r)
	for i, p := range perm {
		oshape[i] = shape[p]
	}
	y := make([]T, len(x))
	oi := make([]int, r)
	ii := make([]int, r)
	for o := range y {
		tensorUnravel(o, oshape, oi)
		for i, p := range perm {
			ii[p] = oi[i]
		}
		y[o] = x[tensorRavel(ii, shape)]
	}
	return y
}

// Binary op codes, matching kernels.OpAdd … kernels.OpDiv.
const (
	BinAdd = iota
	BinSub
	BinMul
	BinDiv
)

// BroadcastShapes returns the numpy broadcast of a and b, or ok=false.
func BroadcastShapes(a, b []int) (y []int, ok bool) {
	r := max(len(a), len(b))
	y = make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if k := i - (r - len(a)); k >= 0 {
			da = a[k]
		}
		if k := i - (r - len(b)); k >= 0 {
			db = b[k]
		}
		switch {
		case da == db, db == 1:
			y[i] = da
		case da == 1:
			y[i] = db
		default:
			return nil, false
		}
	}
	return y, true
}

// tensorBroadcastIndex maps an output multi-index to the flat index of an operand
// of shape s (right-aligned, size-1 axes read index 0).
func tensorBroadcastIndex(oi []int, s []int) int {
	off := len(oi) - len(s)
	f := 0
	for a, d := range s {
		i := oi[off+a]
		if d == 1 {
			i = 0
		}
		f = f*d + i
	}
	return f
}

// BinaryF32 is y = a op b with numpy broadcasting, in float32 arithmetic.
func BinaryF32(op int, a []float32, ashape []int, b []float32, bshape []int) ([]float32, []int) {
	return tensorBinary(a, ashape, b, bshape, func(x, y float32) float32 {
		switch op {
		case BinAdd:
			return x + y
		case BinSub:
			return x - y
		case BinMul:
			return x * y
		}
		return x / y
	})
}

// BinaryInt is y = a op b on integers: wrap-around, Div truncating toward zero,
// and x/0 defined as 0.
func BinaryInt[T int8 | uint8 | int16 | uint16 | int32 | int64 | uint32 | uint64](op int, a []T, ashape []int, b []T, bshape []int) ([]T, []int) {
	return tensorBinary(a, ashape, b, bshape, func(x, y T) T {
		switch op {
		case BinAdd:
			return x + y
		case BinSub:
			return x - y
		case BinMul:
			return x * y
		}
		if y == 0 {
			return 0
		}
		return x / y
	})
}

func tensorBinary[T any](a []T, ashape []int, b []T, bshape []int, f func(T, T) T) ([]T, []int) {
	yshape, ok := BroadcastShapes(ashape, bshape)
	if !ok {
		panic("ref: shapes not broadcastable")
	}
	y := make([]T, tensorSize(yshape))
	oi := make([]int, len(yshape))
	for o := range y {
		tensorUnravel(o, yshape, oi)
		y[o] = f(a[tensorBroadcastIndex(oi, ashape)], b[tensorBroadcastIndex(oi, bshape)])
	}
	return y, yshape
}

// Softmax is softmax over the middle axis of [outer, axisLen, inner] in float64.
func Softmax(x []float32, outer, axisLen, inner int) []float32 {
	y := make([]float32, len(x))
	at := func(o, k, i int) int { return (o*axisLen+k)*inner + i }
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			m := math.Inf(-1)
			for k := 0; k < axisLen; k++ {
				m = math.Max(m, float64(x[at(o, k, i)]))
			}
			var s float64
			for k := 0; k < axisLen; k++ {
				s += math.Exp(float64(x[at(o, k, i)]) - m)
			}
			for k := 0; k < axisLen; k++ {
				y[at(o, k, i)] = float32(math.Exp(float64(x[at(o, k, i)])-m) / s)
			}
		}
	}
	return y
}

// ReduceMean averages x over axes (float64 sums); the result has the kept axes.
func ReduceMean(x []float32, shape []int, axes []int) []float32 {
	red := make([]bool, len(shape))
	for _, a := range axes {
		red[a] = true
	}
	var kshape []int
	cnt := 1
	for a, d := range shape {
		if red[a] {
			cnt *= d
		} else {
			kshape = append(kshape, d)
		}
	}
	sum := make([]float64, tensorSize(kshape))
	idx := make([]int, len(shape))
	kidx := make([]int, len(kshape))
	for i, v := range x {
		tensorUnravel(i, shape, idx)
		k := 0
		for a := range shape {
			if !red[a] {
				kidx[k] = idx[a]
				k++
			}
		}
		sum[tensorRavel(kidx, kshape)] += float64(v)
	}
	y := make([]float32, len(sum))
	for i, s := range sum {
		y[i] = float32(s / float64(cnt))
	}
	return y
}

// Concat joins inputs along axis.
func Concat[T any](inputs [][]T, shapes [][]int, axis int) ([]T, []int) {
	r := len(shapes[0])
	if axis < 0 {
		axis += r
	}
	yshape := append([]int(nil), shapes[0]...)
	yshape[axis] = 0
	for _, s := range shapes {
		yshape[axis] += s[axis]
	}
	y := make([]T, tensorSize(yshape))
	oi := make([]int, r)
	for o := range y {
		tensorUnravel(o, yshape, oi)
		c := oi[axis]
		for i, s := range shapes {
			if c < s[axis] {
				ii := append([]int(nil), oi...)
				ii[axis] = c
				y[o] = inputs[i][tensorRavel(ii, s)]
				break
			}
			c -= s[axis]
		}
	}
	return y, yshape
}

// Pad modes, matching kernels.PadConstant … kernels.PadWrap.
const (
	PadConstant = iota
	PadReflect
	PadEdge
	PadWrap
)

// Pad crops by the negative pads, then pads by the positive ones, as the ONNX
// Pad-19 reference does with numpy slicing and numpy.pad.
func Pad[T any](x []T, shape, begin, end []int, mode int, value T) ([]T, []int) {
	r := len(shape)
	// Crop.
	lo := make([]int, r)
	cshape := make([]int, r)
	for a := 0; a < r; a++ {
		lo[a] = max(-begin[a], 0)
		cshape[a] = max(shape[a]-lo[a]-max(-end[a], 0), 0)
	}
	crop := make([]T, tensorSize(cshape))
	ci := make([]int, r)
	for i := range crop {
		tensorUnravel(i, cshape, ci)
		xi := make([]int, r)
		for a := range ci {
			xi[a] = ci[a] + lo[a]
		}
		crop[i] = x[tensorRavel(xi, shape)]
	}
	// Pad.
	yshape := make([]int, r)
	for a := range yshape {
		yshape[a] = shape[a] + begin[a] + end[a]
	}
	y := make([]T, tensorSize(yshape))
	oi := make([]int, r)
	for o := range y {
		tensorUnravel(o, yshape, oi)
		inside := true
		for a := 0; a < r; a++ {
			c := oi[a] - max(begin[a], 0)
			n := cshape[a]
			if c < 0 || c >= n {
				switch mode {
				case PadConstant:
					inside = false
				case PadEdge:
					c = min(max(c, 0), n-1)
				case PadWrap:
					for c < 0 {
						c += n
					}
					for c >= n {
						c -= n
					}
				case PadReflect:
					if n == 1 {
						c = 0
					}
					for c < 0 || c >= n { // bounce off the ends
						if c < 0 {
							c = -c
						}
						if c >= n {
							c = 2*(n-1) - c
						}
					}
				}
			}
			ci[a] = c
		}
		if inside {
			y[o] = crop[tensorRavel(ci, cshape)]
		} else {
			y[o] = value
		}
	}
	return y, yshape
}

// Gather takes slices of x along axis at indices (negative from the end).
func Gather[T any](x []T, shape []int, axis int, indices []int64, ishape []int) ([]T, []int) {
	r := len(shape)
	if axis < 0 {
		axis += r
	}
	yshape := append(append(append([]int(nil), shape[:axis]...), ishape...), shape[axis+1:]...)
	y := make([]T, tensorSize(yshape))
	oi := make([]int, len(yshape))
	xi := make([]int, r)
	for o := range y {
		tensorUnravel(o, yshape, oi)
		copy(xi[:axis], oi[:axis])
		j := tensorRavel(oi[axis:axis+len(ishape)], ishape)
		v := indices[j]
		if v < 0 {
			v += int64(shape[axis])
		}
		xi[axis] = int(v)
		copy(xi[axis+1:], oi[axis+len(ishape):])
		y[o] = x[tensorRavel(xi, shape)]
	}
	return y, yshape
}
