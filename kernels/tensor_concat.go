package kernels

import "fmt"

// Concat joins inputs along axis into y, as ONNX Concat does. Every shape
// must have the same rank (≥ 1) and equal dimensions except along axis; a
// negative axis counts from the end. len(inputs[i]) must equal the element
// count of shapes[i], and len(y) the sum of them. Inputs with a zero-length
// axis contribute nothing.
//
// The reference loop: with outer = Π shape[:axis] and inner = Π shape[axis+1:],
//
//	for o := range outer { for i := range inputs { append inputs[i][o*shapes[i][axis]*inner : …] } }
func Concat[T any](inputs [][]T, shapes [][]int, axis int, y []T) {
	const what = "Concat"
	if len(inputs) != len(shapes) {
		panic(fmt.Sprintf("kernels: %s: %d inputs but %d shapes", what, len(inputs), len(shapes)))
	}
	if len(inputs) == 0 {
		panic("kernels: Concat: no inputs")
	}
	r := len(shapes[0])
	if r == 0 {
		panic("kernels: Concat: rank-0 inputs cannot be concatenated")
	}
	axis = tensorNormAxis(what, axis, r)
	total := 0
	axisSum := 0
	for i, s := range shapes {
		if len(s) != r {
			panic(fmt.Sprintf("kernels: %s: input %d has rank %d, input 0 has rank %d", what, i, len(s), r))
		}
		for a := range s {
			if a != axis && s[a] != shapes[0][a] {
				panic(fmt.Sprintf("kernels: %s: input %d shape %s does not match input 0 shape %s off axis %d",
					what, i, tensorShapeString(s), tensorShapeString(shapes[0]), axis))
			}
		}
		n := tensorNumel(what, s)
		if len(inputs[i]) != n {
			panic(fmt.Sprintf("kernels: %s: len(inputs[%d]) = %d, want %d", what, i, len(inputs[i]), n))
		}
		total += n
		axisSum += s[axis]
	}
	tensorCheckLen(what, "y", len(y), total)
	if total == 0 {
		return
	}
	outer, inner := 1, 1
	for a := 0; a < axis; a++ {
		outer *= shapes[0][a]
	}
	for a := axis + 1; a < r; a++ {
		inner *= shapes[0][a]
	}
	if outer == 1 {
		off := 0
		for _, in := range inputs {
			off += copy(y[off:], in)
		}
		return
	}
	rowOut := axisSum * inner
	off := 0
	for i, in := range inputs {
		blk := shapes[i][axis] * inner
		if blk == 0 {
			continue
		}
		for o := 0; o < outer; o++ {
			copy(y[o*rowOut+off:o*rowOut+off+blk], in[o*blk:(o+1)*blk])
		}
		off += blk
	}
}
