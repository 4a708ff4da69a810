package kernels

import "fmt"

// Gather takes slices of x along axis at the given indices, as ONNX Gather
// does. The output shape is shape[:axis] ++ ishape ++ shape[axis+1:]; indices
// (shape ishape, len = its element count) are int64 and a negative index
// counts from the end of the axis. axis may be negative. An index out of
// [-shape[axis], shape[axis]) panics; the runtime validates indices first.
//
// The reference loop: with outer = Π shape[:axis], inner = Π shape[axis+1:],
//
//	y[o, j, i] = x[o, idx[j] (+ shape[axis] if negative), i]
func Gather[T any](x []T, shape []int, axis int, indices []int64, ishape []int, y []T) {
	const what = "Gather"
	r := len(shape)
	if r == 0 {
		panic("kernels: Gather: rank-0 data has no axis")
	}
	axis = tensorNormAxis(what, axis, r)
	n := tensorNumel(what, shape)
	tensorCheckLen(what, "x", len(x), n)
	ni := tensorNumel(what, ishape)
	tensorCheckLen(what, "indices", len(indices), ni)
	if r-1+len(ishape) > tensorMaxRank {
		panic(fmt.Sprintf("kernels: %s: output rank %d exceeds %d", what, r-1+len(ishape), tensorMaxRank))
	}
	outer, inner := 1, 1
	for a := 0; a < axis; a++ {
		outer *= shape[a]
	}
	for a := axis + 1; a < r; a++ {
		inner *= shape[a]
	}
	al := shape[axis]
	tensorCheckLen(what, "y", len(y), outer*ni*inner)
	for _, v := range indices {
		if v < -int64(al) || v >= int64(al) {
			panic(fmt.Sprintf("kernels: %s: index %d out of range for axis %d of length %d", what, v, axis, al))
		}
	}
	if outer*ni*inner == 0 {
		return
	}
	if inner == 1 {
		for o := 0; o < outer; o++ {
			src := x[o*al : (o+1)*al]
			dst := y[o*ni : (o+1)*ni]
			for j, v := range indices {
				if v < 0 {
					v += int64(al)
				}
				dst[j] = src[v]
			}
		}
		return
	}
	d := 0
	for o := 0; o < outer; o++ {
		base := o * al * inner
		for _, v := range indices {
			if v < 0 {
				v += int64(al)
			}
			s := base + int(v)*inner
			copy(y[d:d+inner], x[s:s+inner])
			d += inner
		}
	}
}
