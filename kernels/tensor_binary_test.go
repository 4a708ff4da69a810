package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// tsRandBroadcastPair draws a broadcast shape and two operand shapes that
// broadcast to it (size-1 axes and dropped leading axes).
func tsRandBroadcastPair(rng *rand.Rand) (ashape, bshape, yshape []int) {
	rank := rng.IntN(6)
	yshape = tsRandShape(rng, rank, 2, 5)
	derive := func() []int {
		drop := 0
		if rank > 0 && rng.IntN(3) == 0 {
			drop = rng.IntN(rank + 1)
		}
		s := append([]int(nil), yshape[drop:]...)
		for i := range s {
			if rng.IntN(3) == 0 {
				s[i] = 1
			}
		}
		return s
	}
	ashape, bshape = derive(), derive()
	// The broadcast of the two may be smaller than yshape; recompute it.
	y, err := BroadcastShape(ashape, bshape)
	if err != nil {
		panic(err)
	}
	return ashape, bshape, y
}

func TestBroadcastShape(t *testing.T) {
	cases := []struct {
		a, b, want []int
		ok         bool
	}{
		{[]int{2, 3}, []int{3}, []int{2, 3}, true},
		{[]int{1, 14, 14, 576}, []int{1, 1, 1, 576}, []int{1, 14, 14, 576}, true},
		{[]int{}, []int{4, 1}, []int{4, 1}, true},
		{[]int{5, 1, 3}, []int{4, 1}, []int{5, 4, 3}, true},
		{[]int{0, 3}, []int{1, 3}, []int{0, 3}, true},
		{[]int{2, 3}, []int{2}, nil, false},
		{[]int{0}, []int{2}, nil, false},
	}
	for _, c := range cases {
		got, err := BroadcastShape(c.a, c.b)
		if (err == nil) != c.ok {
			t.Fatalf("BroadcastShape(%v, %v) error %v, want ok=%v", c.a, c.b, err, c.ok)
		}
		if c.ok {
			tsEqual(t, "BroadcastShape", got, c.want)
		}
	}
}

func TestBinaryF32Random(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 600; iter++ {
		ashape, bshape, yshape := tsRandBroadcastPair(rng)
		op := BinOp(rng.IntN(4))
		a := tsRandF32(rng, tsNumel(ashape))
		b := tsRandF32(rng, tsNumel(bshape))
		y, check := tsGuarded(t, tsNumel(yshape), float32(-999))
		BinaryF32(op, a, ashape, b, bshape, y, yshape)
		check()
		want, wshape := ref.BinaryF32(int(op), a, ashape, b, bshape)
		tsEqual(t, "shape", yshape, wshape)
		tsEqual(t, op.String(), y, want) // same float32 operations: bit-exact
	}
}

func TestBinaryF32Layouts(t *testing.T) {
	rng := tsRNG(t)
	cases := [][3][]int{
		{{1, 14, 14, 576}, {1, 1, 1, 576}, {1, 14, 14, 576}}, // squeeze-excite multiply
		{{2, 5, 3, 13}, {2, 1, 1, 13}, {2, 5, 3, 13}},        // batched SE
		{{2, 13, 5, 3}, {1, 13, 1, 1}, {2, 13, 5, 3}},        // per-channel NCHW
		{{4, 7}, {}, {4, 7}},                                 // b scalar
		{{}, {4, 7}, {4, 7}},                                 // a scalar
		{{1}, {1}, {1}},
		{{}, {}, {}},
		{{3, 1}, {1, 4}, {3, 4}}, // outer product
		{{0, 4}, {1, 4}, {0, 4}},
	}
	for _, c := range cases {
		for op := OpAdd; op <= OpDiv; op++ {
			a, b := tsRandF32(rng, tsNumel(c[0])), tsRandF32(rng, tsNumel(c[1]))
			y := make([]float32, tsNumel(c[2]))
			BinaryF32(op, a, c[0], b, c[1], y, c[2])
			want, _ := ref.BinaryF32(int(op), a, c[0], b, c[1])
			tsEqual(t, op.String(), y, want)
		}
	}
}

func TestBinaryF32InPlace(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 200; iter++ {
		ashape, bshape, yshape := tsRandBroadcastPair(rng)
		if !slices.Equal(ashape, yshape) {
			ashape = yshape
		}
		op := BinOp(rng.IntN(4))
		a := tsRandF32(rng, tsNumel(ashape))
		b := tsRandF32(rng, tsNumel(bshape))
		want, _ := ref.BinaryF32(int(op), a, ashape, b, bshape)
		BinaryF32(op, a, ashape, b, bshape, a, yshape) // y aliases a
		tsEqual(t, "in place", a, want)
	}
}

func TestBinaryF32DivByZero(t *testing.T) {
	y := make([]float32, 3)
	BinaryF32(OpDiv, []float32{1, -1, 0}, []int{3}, []float32{0}, []int{}, y, []int{3})
	if !math.IsInf(float64(y[0]), 1) || !math.IsInf(float64(y[1]), -1) || !math.IsNaN(float64(y[2])) {
		t.Fatalf("IEEE division by zero: got %v", y)
	}
}

func tsBinaryIntRandom[T int8 | uint8 | int16 | uint16 | int32 | int64 | uint32 | uint64](t *testing.T, rng *rand.Rand, name string) {
	for iter := 0; iter < 150; iter++ {
		ashape, bshape, yshape := tsRandBroadcastPair(rng)
		op := BinOp(rng.IntN(4))
		gen := func(n int) []T {
			v := make([]T, n)
			for i := range v {
				switch rng.IntN(6) {
				case 0:
					v[i] = 0 // division by zero
				case 1:
					v[i] = T(0) - 1 // -1 for signed, max for unsigned
				default:
					v[i] = T(rng.Uint64())
				}
			}
			return v
		}
		a, b := gen(tsNumel(ashape)), gen(tsNumel(bshape))
		y, check := tsGuarded(t, tsNumel(yshape), T(7))
		BinaryInt(op, a, ashape, b, bshape, y, yshape)
		check()
		want, _ := ref.BinaryInt(int(op), a, ashape, b, bshape)
		tsEqual(t, name+" "+op.String(), y, want)
	}
}

func TestBinaryIntRandom(t *testing.T) {
	rng := tsRNG(t)
	tsBinaryIntRandom[int8](t, rng, "int8")
	tsBinaryIntRandom[uint8](t, rng, "uint8")
	tsBinaryIntRandom[int16](t, rng, "int16")
	tsBinaryIntRandom[uint16](t, rng, "uint16")
	tsBinaryIntRandom[int32](t, rng, "int32")
	tsBinaryIntRandom[int64](t, rng, "int64")
	tsBinaryIntRandom[uint32](t, rng, "uint32")
	tsBinaryIntRandom[uint64](t, rng, "uint64")
}

func TestBinaryIntSemantics(t *testing.T) {
	a := []int8{7, -7, 7, -7, -128, 127, 5, -128}
	b := []int8{2, 2, -2, -2, -1, 1, 0, 0}
	y := make([]int8, len(a))
	BinaryInt(OpDiv, a, []int{8}, b, []int{8}, y, []int{8})
	tsEqual(t, "int8 Div truncates, x/0 = 0", y, []int8{3, -3, -3, 3, -128, 127, 0, 0})
	BinaryInt(OpAdd, a, []int{8}, b, []int{8}, y, []int{8})
	tsEqual(t, "int8 Add wraps", y, []int8{9, -5, 5, -9, 127, -128, 5, -128})
	u := []uint8{0, 200}
	BinaryInt(OpSub, u, []int{2}, []uint8{1}, []int{1}, u, []int{2})
	tsEqual(t, "uint8 Sub wraps", u, []uint8{255, 199})
	z := []int32{5, 6}
	BinaryInt(OpDiv, z, []int{2}, []int32{0}, []int{}, z, []int{2})
	tsEqual(t, "int32 x/0 scalar", z, []int32{0, 0})
}

func TestBinaryPanics(t *testing.T) {
	a := make([]float32, 6)
	tsMustPanic(t, "wrong yshape", func() { BinaryF32(OpAdd, a, []int{2, 3}, a[:3], []int{3}, a, []int{3, 2}) })
	tsMustPanic(t, "not broadcastable", func() { BinaryF32(OpAdd, a, []int{2, 3}, a[:2], []int{2}, a, []int{2, 3}) })
	tsMustPanic(t, "yshape of 1s", func() { BinaryF32(OpAdd, a[:1], []int{1}, a[:1], []int{1}, a[:2], []int{2}) })
	tsMustPanic(t, "len", func() { BinaryF32(OpAdd, a[:5], []int{2, 3}, a[:3], []int{3}, a, []int{2, 3}) })
	tsMustPanic(t, "op", func() { BinaryF32(BinOp(9), a, []int{6}, a, []int{6}, a, []int{6}) })
}
