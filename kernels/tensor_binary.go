package kernels

import "fmt"

// BinOp selects the arithmetic of BinaryF32 and BinaryInt.
type BinOp uint8

// The binary operations, each y = a op b.
const (
	OpAdd BinOp = iota
	OpSub
	OpMul
	OpDiv
)

// String returns the ONNX operator name.
func (op BinOp) String() string {
	switch op {
	case OpAdd:
		return "Add"
	case OpSub:
		return "Sub"
	case OpMul:
		return "Mul"
	case OpDiv:
		return "Div"
	}
	return fmt.Sprintf("BinOp(%d)", uint8(op))
}

// BinaryF32 computes y = a op b elementwise with numpy broadcasting, as ONNX
// Add, Sub, Mul and Div do on float32. yshape must be BroadcastShape(ashape,
// bshape); len(a), len(b) and len(y) must equal their shapes' element counts.
//
// The reference loop, for every output multi-index o (shapes right-aligned):
//
//	y[o] = a[o mod ashape] op b[o mod bshape]   // a size-1 axis always reads index 0
//
// y may be the same slice as a when ashape equals yshape (in-place update), and
// likewise for b; otherwise y must not overlap a or b. Division follows IEEE
// 754 (x/0 is ±Inf or NaN).
//
// The kernel collapses size-1 axes and merges axes that broadcast the same way,
// so every case becomes rows of a contiguous inner loop: equal shapes are one
// vector–vector row, a scalar operand is one vector–scalar row, the NHWC
// squeeze-excite multiply [N,H,W,C]×[N,1,1,C] is N·H·W vector–vector rows of C
// against the same b row, and per-channel NCHW [N,C,H,W]+[1,C,1,1] is
// vector–scalar rows of H·W. The outer rows are walked with strides.
func BinaryF32(op BinOp, a []float32, ashape []int, b []float32, bshape []int, y []float32, yshape []int) {
	tensorBinaryRun("BinaryF32", op, a, ashape, b, bshape, y, yshape, false)
}

// BinaryInt is BinaryF32 for integer tensors. Add, Sub and Mul wrap around
// modulo 2^bits (two's complement for signed types), as ONNX integer
// arithmetic does in practice. Div truncates toward zero (ONNX integer Div);
// the most negative value divided by -1 wraps to itself. Division by zero does
// not panic: that element of y is defined to be 0.
func BinaryInt[T int8 | uint8 | int16 | uint16 | int32 | int64 | uint32 | uint64](op BinOp, a []T, ashape []int, b []T, bshape []int, y []T, yshape []int) {
	tensorBinaryRun("BinaryInt", op, a, ashape, b, bshape, y, yshape, true)
}

// Kinds of the innermost row after axis merging.
const (
	tensorBinVV = iota // both operands vary along the row
	tensorBinSV        // a is constant along the row (scalar), b varies
	tensorBinVS        // a varies, b is constant along the row
)

func tensorBinaryRun[T Number](what string, op BinOp, a []T, ashape []int, b []T, bshape []int, y []T, yshape []int, intDiv bool) {
	if op > OpDiv {
		panic(fmt.Sprintf("kernels: %s: unknown op %d", what, uint8(op)))
	}
	tensorCheckLen(what, "a", len(a), tensorNumel(what, ashape))
	tensorCheckLen(what, "b", len(b), tensorNumel(what, bshape))
	n := tensorNumel(what, yshape)
	tensorCheckLen(what, "y", len(y), n)
	r := len(yshape)
	if r != max(len(ashape), len(bshape)) {
		panic(fmt.Sprintf("kernels: %s: yshape %s is not the broadcast of %s and %s", what,
			tensorShapeString(yshape), tensorShapeString(ashape), tensorShapeString(bshape)))
	}
	if n == 0 {
		return
	}

	// Per output axis: dim and the element strides of a and b (0 = broadcast).
	var dims, as, bs [tensorMaxRank]int
	g := 0
	sa, sb := 1, 1 // running strides from the innermost axis outward
	var rdims, ras, rbs [tensorMaxRank]int
	for i := 1; i <= r; i++ {
		yd := yshape[r-i]
		da, db := 1, 1
		if i <= len(ashape) {
			da = ashape[len(ashape)-i]
		}
		if i <= len(bshape) {
			db = bshape[len(bshape)-i]
		}
		if (da != yd && da != 1) || (db != yd && db != 1) || (da == 1 && db == 1 && yd != 1) {
			panic(fmt.Sprintf("kernels: %s: yshape %s is not the broadcast of %s and %s", what,
				tensorShapeString(yshape), tensorShapeString(ashape), tensorShapeString(bshape)))
		}
		if yd == 1 {
			continue
		}
		stA, stB := 0, 0
		if da != 1 {
			stA = sa
		}
		if db != 1 {
			stB = sb
		}
		sa *= da
		sb *= db
		// Merge with the previous (inner) axis when both operands continue it.
		if g > 0 && ras[g-1]*rdims[g-1] == stA && rbs[g-1]*rdims[g-1] == stB {
			rdims[g-1] *= yd
			continue
		}
		rdims[g], ras[g], rbs[g] = yd, stA, stB
		g++
	}
	if g == 0 { // every axis has size 1
		rdims[0], ras[0], rbs[0] = 1, 1, 1
		g = 1
	}
	// rdims is innermost-first; flip to outermost-first.
	for i := 0; i < g; i++ {
		dims[i], as[i], bs[i] = rdims[g-1-i], ras[g-1-i], rbs[g-1-i]
	}

	inner := dims[g-1]
	kind := tensorBinVV
	switch {
	case as[g-1] == 0:
		kind = tensorBinSV
	case bs[g-1] == 0:
		kind = tensorBinVS
	}
	outer := n / inner
	var idx [tensorMaxRank]int
	offA, offB := 0, 0
	for row := 0; row < outer; row++ {
		yo := y[row*inner : (row+1)*inner]
		switch kind {
		case tensorBinVV:
			tensorBinRowVV(op, a[offA:offA+inner], b[offB:offB+inner], yo, intDiv)
		case tensorBinSV:
			tensorBinRowSV(op, a[offA], b[offB:offB+inner], yo, intDiv)
		default:
			tensorBinRowVS(op, a[offA:offA+inner], b[offB], yo, intDiv)
		}
		for ax := g - 2; ax >= 0; ax-- {
			idx[ax]++
			offA += as[ax]
			offB += bs[ax]
			if idx[ax] < dims[ax] {
				break
			}
			offA -= idx[ax] * as[ax]
			offB -= idx[ax] * bs[ax]
			idx[ax] = 0
		}
	}
}

func tensorBinRowVV[T Number](op BinOp, a, b, y []T, intDiv bool) {
	b = b[:len(a)]
	y = y[:len(a)]
	switch op {
	case OpAdd:
		for i := range y {
			y[i] = a[i] + b[i]
		}
	case OpSub:
		for i := range y {
			y[i] = a[i] - b[i]
		}
	case OpMul:
		for i := range y {
			y[i] = a[i] * b[i]
		}
	case OpDiv:
		if intDiv {
			for i := range y {
				if d := b[i]; d != 0 {
					y[i] = a[i] / d
				} else {
					y[i] = 0
				}
			}
			return
		}
		for i := range y {
			y[i] = a[i] / b[i]
		}
	}
}

func tensorBinRowSV[T Number](op BinOp, s T, b, y []T, intDiv bool) {
	y = y[:len(b)]
	switch op {
	case OpAdd:
		for i := range y {
			y[i] = s + b[i]
		}
	case OpSub:
		for i := range y {
			y[i] = s - b[i]
		}
	case OpMul:
		for i := range y {
			y[i] = s * b[i]
		}
	case OpDiv:
		if intDiv {
			for i := range y {
				if d := b[i]; d != 0 {
					y[i] = s / d
				} else {
					y[i] = 0
				}
			}
			return
		}
		for i := range y {
			y[i] = s / b[i]
		}
	}
}

func tensorBinRowVS[T Number](op BinOp, a []T, s T, y []T, intDiv bool) {
	y = y[:len(a)]
	switch op {
	case OpAdd:
		for i := range y {
			y[i] = a[i] + s
		}
	case OpSub:
		for i := range y {
			y[i] = a[i] - s
		}
	case OpMul:
		for i := range y {
			y[i] = a[i] * s
		}
	case OpDiv:
		if intDiv {
			if s == 0 {
				clear(y)
				return
			}
			for i := range y {
				y[i] = a[i] / s
			}
			return
		}
		for i := range y {
			y[i] = a[i] / s
		}
	}
}
