package kernels

import (
	"fmt"
	"strconv"
	"strings"
)

// Number is the set of element types the numeric tensor kernels accept.
type Number interface {
	~float32 | ~float64 | ~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~int64 | ~uint32 | ~uint64
}

// tensorMaxRank is the largest rank the data-movement kernels support. Fixed-size
// arrays of this length let the kernels walk any shape without allocating.
const tensorMaxRank = 8

// tensorNumel returns the element count of shape, panicking on a bad shape.
// The empty shape (rank 0, a scalar) has one element.
func tensorNumel(what string, shape []int) int {
	if len(shape) > tensorMaxRank {
		panic(fmt.Sprintf("kernels: %s: rank %d exceeds %d", what, len(shape), tensorMaxRank))
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("kernels: %s: negative dimension in shape %s", what, tensorShapeString(shape)))
		}
		n *= d
	}
	return n
}

// tensorCheckLen panics unless len(buf) == n.
func tensorCheckLen(what, name string, got, want int) {
	if got != want {
		panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want %d", what, name, got, want))
	}
}

// tensorShapeString formats a shape as [a b c] without allocating on the
// success path of any kernel (it is only called when building a panic message).
func tensorShapeString(shape []int) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strconv.Itoa(d))
	}
	sb.WriteByte(']')
	return sb.String()
}

// tensorNormAxis maps a possibly negative axis into [0, rank) or panics.
func tensorNormAxis(what string, axis, rank int) int {
	if axis < -rank || axis >= rank {
		panic(fmt.Sprintf("kernels: %s: axis %d out of range for rank %d", what, axis, rank))
	}
	if axis < 0 {
		axis += rank
	}
	return axis
}

// BroadcastShape returns the numpy-style broadcast of shapes a and b: shapes
// are aligned on their last axis, and each pair of dimensions must be equal or
// contain a 1 (a 1 stretches to the other; 1 against 0 gives 0). It is the one
// function of this family that returns an error, because it is used at model
// load time to validate user graphs.
func BroadcastShape(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	if r > tensorMaxRank {
		return nil, fmt.Errorf("kernels: broadcast of %s and %s: rank %d exceeds %d",
			tensorShapeString(a), tensorShapeString(b), r, tensorMaxRank)
	}
	y := make([]int, r)
	for i := 1; i <= r; i++ {
		da, db := 1, 1
		if i <= len(a) {
			da = a[len(a)-i]
		}
		if i <= len(b) {
			db = b[len(b)-i]
		}
		if da < 0 || db < 0 {
			return nil, fmt.Errorf("kernels: broadcast of %s and %s: negative dimension",
				tensorShapeString(a), tensorShapeString(b))
		}
		switch {
		case da == db:
			y[r-i] = da
		case da == 1:
			y[r-i] = db
		case db == 1:
			y[r-i] = da
		default:
			return nil, fmt.Errorf("kernels: shapes %s and %s are not broadcastable (axis %d from the end: %d vs %d)",
				tensorShapeString(a), tensorShapeString(b), i, da, db)
		}
	}
	return y, nil
}
