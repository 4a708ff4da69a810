package kernels

import (
	"fmt"
	"math"
)

// Int8 elementwise Add and Mul. The result of one element depends only on
// the pair (a, b) and the op's quantization parameters, so an op is prepared
// once as a 256×256 table of its exact result (built from the scalar
// formula of the chosen runtime, see AddFixedS8, AddFloatS8, MulFixedS8,
// MulFloatS8) and run as one table lookup per element, with broadcasting.
// The table costs 64 KiB per op and makes every mode equally fast.

// AddFixedS8 holds the parameters of TFLite's int8 ADD
// (reference_integer_ops::AddFunc; nn/quant computes them as TFLite's
// Prepare does: LeftShift 20, the input multipliers of
// scale/(2·max(aScale, bScale)) and the output one of
// 2·max(aScale, bScale)/(2^20·yScale), all with non-positive shifts).
//
//	a' = MBQM((a − AZero)·2^LeftShift, AMult, AShift)
//	b' = MBQM((b − BZero)·2^LeftShift, BMult, BShift)
//	y  = clamp(MBQM(a' + b', OutMult, OutShift) + OutZero, Min, Max)
//
// MBQM is MultiplyByQuantizedMultiplier.
type AddFixedS8 struct {
	AZero, BZero      int32
	LeftShift         int32
	AMult, AShift     int32
	BMult, BShift     int32
	OutMult, OutShift int32
	OutZero           int32
	Min, Max          int32
}

// Eval computes one element.
func (p *AddFixedS8) Eval(a, b int8) int8 {
	av := (int32(a) - p.AZero) << p.LeftShift
	bv := (int32(b) - p.BZero) << p.LeftShift
	sa := MultiplyByQuantizedMultiplier(av, p.AMult, int(p.AShift))
	sb := MultiplyByQuantizedMultiplier(bv, p.BMult, int(p.BShift))
	v := MultiplyByQuantizedMultiplier(sa+sb, p.OutMult, int(p.OutShift)) + p.OutZero
	return int8(min(max(v, p.Min), p.Max))
}

// MulFixedS8 holds the parameters of TFLite's int8 MUL
// (reference_integer_ops::MulElementwise; OutMult/OutShift from
// aScale·bScale/yScale in double):
//
//	y = clamp(MBQM((a − AZero)·(b − BZero), OutMult, OutShift) + OutZero, Min, Max)
type MulFixedS8 struct {
	AZero, BZero      int32
	OutMult, OutShift int32
	OutZero           int32
	Min, Max          int32
}

// Eval computes one element.
func (p *MulFixedS8) Eval(a, b int8) int8 {
	prod := (int32(a) - p.AZero) * (int32(b) - p.BZero)
	v := MultiplyByQuantizedMultiplier(prod, p.OutMult, int(p.OutShift)) + p.OutZero
	return int8(min(max(v, p.Min), p.Max))
}

// AddFloatS8 holds the parameters of ONNX Runtime's com.microsoft
// QLinearAdd as MLAS computes it on x86-64 (the AVX2 kernel, the one ORT
// 1.30 runs on any AVX2 machine; verified bit for bit against ORT, see
// testdata/ort). With the model's values a_m = a + Offset (Offset is 128
// when the ONNX tensors are uint8, else 0):
//
//	y_m = sat(roundHalfEven(fma(a_m, RA, fma(b_m, RB, Fixed))))   // float32 FMAs
//	RA = aScale/yScale, RB = bScale/yScale                       // float32
//	Fixed = float32(yZero_m) − fma(RA, float32(aZero_m), RB·float32(bZero_m))
//
// and y = y_m − Offset; sat clamps to the model's type. b is the inner
// term: MLAS evaluates it first. When ORT's broadcasting makes A the
// operand that is constant along its innermost span (A of shape [1,C,1,1]
// against B [1,C,H,W] in ONNX layout), MLAS evaluates A first: swap the
// operands (and their scales and zero points) to reproduce it.
type AddFloatS8 struct {
	RA, RB, Fixed float32
	Offset        int32
}

// Eval computes one element.
func (p *AddFloatS8) Eval(a, b int8) int8 {
	av := float32(int32(a) + p.Offset)
	bv := float32(int32(b) + p.Offset)
	r := cvtRoundEven(fmaF32(av, p.RA, fmaF32(bv, p.RB, p.Fixed)))
	return int8(min(max(r, -128+p.Offset), 127+p.Offset) - p.Offset)
}

// MulFloatS8 holds the parameters of ONNX Runtime's com.microsoft
// QLinearMul as MLAS computes it on x86-64 (SSE2 kernel, no FMA):
//
//	y_m = sat(roundHalfEven(float32(prod)·Ratio + YZero))   // float32 mul, then add
//	prod = (a − AZero)·(b − BZero)                          // int32, int8-domain zero points
//	Ratio = aScale·bScale/yScale                            // float32, left to right
//
// YZero is the output zero point in the model's domain (as float32) and
// y = y_m − Offset, Offset 128 for uint8 models.
type MulFloatS8 struct {
	AZero, BZero int32
	Ratio, YZero float32
	Offset       int32
}

// Eval computes one element.
func (p *MulFloatS8) Eval(a, b int8) int8 {
	prod := (int32(a) - p.AZero) * (int32(b) - p.BZero)
	v := float32(float32(prod)*p.Ratio) + p.YZero
	r := cvtRoundEven(v)
	return int8(min(max(r, -128+p.Offset), 127+p.Offset) - p.Offset)
}

// cvtRoundEven is x86's CVTPS2DQ: round half to even, with NaN and values
// outside the int32 range giving INT32_MIN (which the packing then
// saturates to the type's minimum, as MLAS does).
func cvtRoundEven(v float32) int32 {
	if !(v > -2147483648.0 && v < 2147483648.0) {
		return math.MinInt32
	}
	if v > -4194304 && v < 4194304 {
		return int32(roundEvenSmall(v))
	}
	return int32(math.RoundToEven(float64(v)))
}

// fmaF32 is the float32 fused multiply-add x·y+z with one rounding. x·y is
// exact in float64; the float64 sum is corrected to round-to-odd with its
// exact error (TwoSum), after which rounding to float32 is correct.
func fmaF32(x, y, z float32) float32 {
	p := float64(float64(x) * float64(y))
	zz := float64(z)
	s := p + zz
	bb := s - p
	e := (p - (s - bb)) + (zz - bb)
	if e != 0 {
		bits := math.Float64bits(s)
		if bits&1 == 0 {
			if (e > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}

// BinaryS8 is a prepared int8 elementwise binary op: the table of its
// result for every pair of inputs. It is immutable and safe for concurrent
// use.
type BinaryS8 struct {
	tab [65536]int8 // tab[uint8(a)<<8 | uint8(b)]
}

// NewBinaryS8 tabulates f, e.g. NewBinaryS8((&AddFixedS8{...}).Eval).
func NewBinaryS8(f func(a, b int8) int8) *BinaryS8 {
	t := &BinaryS8{}
	for a := -128; a < 128; a++ {
		row := t.tab[int(uint8(int8(a)))*256:][:256]
		for b := -128; b < 128; b++ {
			row[uint8(int8(b))] = f(int8(a), int8(b))
		}
	}
	return t
}

// At returns the op's result for one pair.
func (t *BinaryS8) At(a, b int8) int8 { return t.tab[int(uint8(a))<<8|int(uint8(b))] }

// Run computes y = a op b with numpy broadcasting (shapes right-aligned,
// yshape the broadcast of ashape and bshape, as BinaryF32); it is
// RunPart(…, 0, 1). The NHWC per-channel case [N,H,W,C]·[N,1,1,C] (squeeze-
// excite) and the scalar case are single loops over contiguous rows. y may
// be a or b when that operand has the output's shape.
func (t *BinaryS8) Run(a []int8, ashape []int, b []int8, bshape []int, y []int8, yshape []int) {
	t.RunPart(a, ashape, b, bshape, y, yshape, 0, 1)
}

// RunPart computes share part of parts of the output (a range of its
// innermost rows); parts may run concurrently.
func (t *BinaryS8) RunPart(a []int8, ashape []int, b []int8, bshape []int, y []int8, yshape []int, part, parts int) {
	if parts <= 0 || part < 0 || part >= parts {
		panic(fmt.Sprintf("kernels: BinaryS8.RunPart part %d of %d", part, parts))
	}
	pl := planBroadcast("BinaryS8", len(a), ashape, len(b), bshape, len(y), yshape)
	if pl.n == 0 {
		return
	}
	r0, r1 := partRange(pl.outer, part, parts)
	inner := pl.inner
	var it bcastIter
	it.seek(&pl, r0)
	for row := r0; row < r1; row++ {
		yo := y[row*inner : (row+1)*inner]
		switch pl.kind {
		case tensorBinVV:
			t.rowVV(a[it.offA:it.offA+inner], b[it.offB:it.offB+inner], yo)
		case tensorBinSV:
			t.rowSV(a[it.offA], b[it.offB:it.offB+inner], yo)
		default:
			t.rowVS(a[it.offA:it.offA+inner], b[it.offB], yo)
		}
		it.next(&pl)
	}
}

func (t *BinaryS8) rowVV(a, b, y []int8) {
	b = b[:len(a)]
	y = y[:len(a)]
	tab := &t.tab
	for i, av := range a {
		y[i] = tab[uint16(uint8(av))<<8|uint16(uint8(b[i]))]
	}
}

func (t *BinaryS8) rowSV(a int8, b, y []int8) {
	row := (*[256]int8)(t.tab[int(uint8(a))<<8:])
	y = y[:len(b)]
	for i, bv := range b {
		y[i] = row[uint8(bv)]
	}
}

func (t *BinaryS8) rowVS(a []int8, b int8, y []int8) {
	tab := &t.tab
	bi := uint16(uint8(b))
	y = y[:len(a)]
	for i, av := range a {
		y[i] = tab[uint16(uint8(av))<<8|bi]
	}
}

// bcastPlan is a broadcast of two operands reduced to rows of a contiguous
// inner loop: axes of size 1 dropped, axes that broadcast the same way
// merged (see BinaryF32).
type bcastPlan struct {
	g            int // merged axes, outermost first
	dims, as, bs [tensorMaxRank]int
	inner, outer int
	kind         int
	n            int
}

func planBroadcast(what string, la int, ashape []int, lb int, bshape []int, ly int, yshape []int) bcastPlan {
	tensorCheckLen(what, "a", la, tensorNumel(what, ashape))
	tensorCheckLen(what, "b", lb, tensorNumel(what, bshape))
	n := tensorNumel(what, yshape)
	tensorCheckLen(what, "y", ly, n)
	r := len(yshape)
	bad := func() {
		panic(fmt.Sprintf("kernels: %s: yshape %s is not the broadcast of %s and %s", what,
			tensorShapeString(yshape), tensorShapeString(ashape), tensorShapeString(bshape)))
	}
	if r != max(len(ashape), len(bshape)) {
		bad()
	}
	pl := bcastPlan{n: n}
	if n == 0 {
		return pl
	}
	var rdims, ras, rbs [tensorMaxRank]int
	g, sa, sb := 0, 1, 1
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
			bad()
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
		if g > 0 && ras[g-1]*rdims[g-1] == stA && rbs[g-1]*rdims[g-1] == stB {
			rdims[g-1] *= yd
			continue
		}
		rdims[g], ras[g], rbs[g] = yd, stA, stB
		g++
	}
	if g == 0 {
		rdims[0], ras[0], rbs[0] = 1, 1, 1
		g = 1
	}
	for i := 0; i < g; i++ {
		pl.dims[i], pl.as[i], pl.bs[i] = rdims[g-1-i], ras[g-1-i], rbs[g-1-i]
	}
	pl.g = g
	pl.inner = pl.dims[g-1]
	pl.outer = n / pl.inner
	pl.kind = tensorBinVV
	switch {
	case pl.as[g-1] == 0:
		pl.kind = tensorBinSV
	case pl.bs[g-1] == 0:
		pl.kind = tensorBinVS
	}
	return pl
}

// bcastIter walks the outer rows of a bcastPlan.
type bcastIter struct {
	idx        [tensorMaxRank]int
	offA, offB int
}

// seek positions the iterator at outer row r.
func (it *bcastIter) seek(pl *bcastPlan, r int) {
	*it = bcastIter{}
	for ax := pl.g - 2; ax >= 0; ax-- {
		i := r % pl.dims[ax]
		r /= pl.dims[ax]
		it.idx[ax] = i
		it.offA += i * pl.as[ax]
		it.offB += i * pl.bs[ax]
	}
}

func (it *bcastIter) next(pl *bcastPlan) {
	for ax := pl.g - 2; ax >= 0; ax-- {
		it.idx[ax]++
		it.offA += pl.as[ax]
		it.offB += pl.bs[ax]
		if it.idx[ax] < pl.dims[ax] {
			return
		}
		it.offA -= it.idx[ax] * pl.as[ax]
		it.offB -= it.idx[ax] * pl.bs[ax]
		it.idx[ax] = 0
	}
}
