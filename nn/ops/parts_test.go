package ops

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/tensor"
)

// partsRNG is the tests' random source; the seed is printed so a failure
// can be replayed.
func partsRNG(t *testing.T) *rand.Rand {
	seed := uint64(20261130)
	t.Logf("seed %d", seed)
	return rand.New(rand.NewPCG(seed, 7))
}

// randTensor fills a tensor of dtype dt with random values: floats in
// [-3, 3) with some exact zeros and ties, integers over their whole range.
func randTensor(r *rand.Rand, dt tensor.DType, shape ...int) *tensor.Tensor {
	x := tensor.New(dt, shape...)
	for i := range x.F32 {
		x.F32[i] = r.Float32()*6 - 3
		if r.IntN(16) == 0 {
			x.F32[i] = float32(r.IntN(9)-4) * 0.5
		}
	}
	b := x.Bytes()
	if dt != tensor.Float32 {
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
	}
	return x
}

// newOuts makes the outputs like want, every byte set to a sentinel.
func newOuts(want []*tensor.Tensor) []*tensor.Tensor {
	outs := make([]*tensor.Tensor, len(want))
	for i, w := range want {
		outs[i] = tensor.New(w.DType, w.Shape...)
		b := outs[i].Bytes()
		for j := range b {
			b[j] = 0xA5
		}
	}
	return outs
}

// checkParts runs op whole, then as 1–5 parts and as more parts than there
// are rows, channels or vector blocks of work, and requires every split to
// give the whole run's bytes. With split = share, it also requires part 1
// of 2 alone to write some of the output but not all of it (the op really
// splits at this size); with none, that part must write nothing (the op
// runs whole in part 0); with anyShare it is not checked.
func checkParts(t *testing.T, name string, op PartOp, in []*tensor.Tensor, outShapes []*tensor.Tensor, split shareKind) {
	t.Helper()
	want := newOuts(outShapes)
	op.Run(&Exec{Scratch: make([]float32, op.ScratchLen())}, in, want)
	many := 0
	for _, o := range want {
		many = max(many, o.Len()/16+3)
	}
	for _, parts := range []int{1, 2, 3, 4, 5, many} {
		got := newOuts(outShapes)
		scratch := make([]float32, op.ScratchLen())
		for p := 0; p < parts; p++ {
			op.RunPart(in, got, scratch, p, parts)
		}
		for i := range got {
			if !bytes.Equal(got[i].Bytes(), want[i].Bytes()) {
				t.Fatalf("%s: output %d of %d parts differs from a whole run", name, i, parts)
			}
		}
	}
	half := newOuts(outShapes)
	op.RunPart(in, half, make([]float32, op.ScratchLen()), 1, 2)
	b := half[0].Bytes()
	sentinel := bytes.Count(b, []byte{0xA5})
	wrote := sentinel < len(b)
	if split == share && (!wrote || sentinel == 0) {
		t.Fatalf("%s: part 1 of 2 wrote %d of %d bytes, want a share", name, len(b)-sentinel, len(b))
	}
	if split == none && wrote {
		t.Fatalf("%s: part 1 of 2 wrote %d bytes of an op below the split size", name, len(b)-sentinel)
	}
	w := NewWorkers(3, op.ScratchLen())
	defer w.Close()
	got := newOuts(outShapes)
	w.Run(nil, op, in, got)
	for i := range got {
		if !bytes.Equal(got[i].Bytes(), want[i].Bytes()) {
			t.Fatalf("%s: output %d of the pool's run differs from a whole run", name, i)
		}
	}
}

// shareKind is what checkParts expects part 1 of 2 to write.
type shareKind int

const (
	none     shareKind = iota // nothing: the op runs whole in part 0
	share                     // some of the output, not all
	anyShare                  // not checked (work that does not divide)
)

// want is share when the op splits at this size and the work divides in
// two, none when it does not split, else anyShare.
func want(splits, divides bool) shareKind {
	switch {
	case !splits:
		return none
	case divides:
		return share
	}
	return anyShare
}

func TestGlobalAvgPoolPartsMatchRun(t *testing.T) {
	r := partsRNG(t)
	for _, s := range [][3]int{{1, 112 * 112, 32}, {1, 49, 1152}, {1, 7 * 7, 13}, {2, 333, 29}, {1, 20000, 1}, {1, 64, 300}} {
		n, hw, c := s[0], s[1], s[2]
		split := n*hw*c >= minPartElems
		x := randTensor(r, tensor.Float32, n, hw, c)
		checkParts(t, fmt.Sprint("gap ", s), &gapOp{n: n, hw: hw, c: c}, []*tensor.Tensor{x},
			[]*tensor.Tensor{tensor.New(tensor.Float32, n, c)}, want(split, c > 8))
		xq := randTensor(r, tensor.Int8, n, hw, c)
		for _, rq := range []kernels.Requant{
			{Mode: kernels.RequantFloat, Scale: []float32{0.9 / float32(hw)}, ZeroPoint: -3, Min: -128, Max: 127},
			{Mode: kernels.RequantFixedPoint, Mult: []int32{1 << 30}, Shift: []int32{0}, ZeroPoint: 5, Min: -128, Max: 127},
		} {
			op := &gapS8Op{n: n, hw: hw, c: c, zero: 7, rq: rq}
			checkParts(t, fmt.Sprint("gap int8 ", s, " ", rq.Mode), op, []*tensor.Tensor{xq},
				[]*tensor.Tensor{tensor.New(tensor.Int8, n, c)}, want(split, c > 16))
		}
	}
}

func TestPoolPartsMatchRun(t *testing.T) {
	r := partsRNG(t)
	mk := func(n, h, w, c, k, s, pad int) kernels.PoolGeom {
		return kernels.PoolGeom{N: n, H: h, W: w, C: c, KH: k, KW: k, SH: s, SW: s, DH: 1, DW: 1,
			PadT: pad, PadL: pad, PadB: pad, PadR: pad,
			OH: (h+2*pad-k)/s + 1, OW: (w+2*pad-k)/s + 1}
	}
	for _, g := range []kernels.PoolGeom{
		mk(1, 57, 43, 17, 3, 2, 1), mk(2, 30, 31, 24, 2, 2, 0), mk(1, 7, 7, 1280, 7, 1, 0),
		mk(1, 9, 9, 5, 3, 1, 1), mk(3, 28, 28, 13, 5, 1, 2),
	} {
		split := poolWorth(g)
		x := randTensor(r, tensor.Float32, g.N, g.H, g.W, g.C)
		y := tensor.New(tensor.Float32, g.N, g.OH, g.OW, g.C)
		for _, max := range []bool{true, false} {
			for _, incl := range []bool{false, true} {
				op := &pool2DOp{g: g, max: max, inclPad: incl, split: split}
				checkParts(t, fmt.Sprintf("pool max=%v inclPad=%v %+v", max, incl, g), op, []*tensor.Tensor{x},
					[]*tensor.Tensor{y}, want(split, g.N*g.OH > 1))
			}
		}
		xq := randTensor(r, tensor.Int8, g.N, g.H, g.W, g.C)
		for _, off := range []int32{0, 128} {
			op := &avgPoolS8Op{g: g, offset: off, lo: -128, hi: 127, split: split}
			checkParts(t, fmt.Sprintf("avg pool int8 offset %d %+v", off, g), op, []*tensor.Tensor{xq},
				[]*tensor.Tensor{tensor.New(tensor.Int8, g.N, g.OH, g.OW, g.C)}, want(split, g.N*g.OH > 1))
		}
	}
}

func TestQuantizePartsMatchRun(t *testing.T) {
	r := partsRNG(t)
	for _, n := range []int{224 * 224 * 3, 16385, 1001, 20011, 65537} {
		split, cheapSplit := n >= minPartElems, n >= minPartCheap
		xf := randTensor(r, tensor.Float32, 1, n)
		xf.F32[0], xf.F32[1] = float32(math.NaN()), float32(math.Inf(-1))
		for _, outDT := range []tensor.DType{tensor.Int8, tensor.Uint8} {
			lo, hi := int32(-128), int32(127)
			if outDT == tensor.Uint8 {
				lo, hi = 0, 255
			}
			for _, halfEven := range []bool{true, false} {
				op := &quantizeOp{fromFloat: true, scale: []float32{0.0173}, zero: []int32{lo + 100}, channels: 1, inner: 1,
					lo: lo, hi: hi, halfEven: halfEven}
				s := split
				if halfEven { // the per-tensor paths
					s = cheapSplit
				}
				checkParts(t, fmt.Sprintf("quantize f32→%v halfEven=%v n=%d", outDT, halfEven, n), op,
					[]*tensor.Tensor{xf}, []*tensor.Tensor{tensor.New(outDT, 1, n)}, want(s, true))
			}
			// Per channel along the last axis (3 channels) and the first.
			op := &quantizeOp{fromFloat: true, scale: []float32{0.01, 0.02, 0.05}, zero: []int32{lo, lo + 3, lo + 9}, channels: 3, inner: 1,
				lo: lo, hi: hi, halfEven: true}
			xc := randTensor(r, tensor.Float32, n/3, 3)
			checkParts(t, fmt.Sprintf("quantize f32→%v per channel n=%d", outDT, n), op,
				[]*tensor.Tensor{xc}, []*tensor.Tensor{tensor.New(outDT, n/3, 3)}, want(n/3*3 >= minPartElems, true))
			for _, inDT := range []tensor.DType{tensor.Int8, tensor.Uint8} {
				xq := randTensor(r, inDT, 1, n)
				op := &quantizeOp{inScale: []float32{0.02}, inZero: []int32{128 + lo}, scale: []float32{0.03}, zero: []int32{lo + 11},
					channels: 1, inner: 1, lo: lo, hi: hi}
				if inDT == tensor.Int8 {
					op.inZero[0] = -5
				}
				op.buildTable(inDT)
				if op.table == nil {
					t.Fatalf("requantize %v→%v: no table", inDT, outDT)
				}
				checkParts(t, fmt.Sprintf("requantize %v→%v n=%d", inDT, outDT, n), op,
					[]*tensor.Tensor{xq}, []*tensor.Tensor{tensor.New(outDT, 1, n)}, want(cheapSplit, true))
				op.table = nil // the general loop
				checkParts(t, fmt.Sprintf("requantize %v→%v without a table n=%d", inDT, outDT, n), op,
					[]*tensor.Tensor{xq}, []*tensor.Tensor{tensor.New(outDT, 1, n)}, want(split, true))
			}
		}
	}
	for _, c := range []struct {
		dt    tensor.DType
		n     int
		scale []float32
		zero  []int32
		inner int
		split shareKind
	}{
		{tensor.Int8, 70001, []float32{0.05}, []int32{3}, 1, share},
		{tensor.Int8, 30000, []float32{0.05}, []int32{3}, 1, none},
		{tensor.Uint8, 30000, []float32{0.05}, []int32{3}, 1, share},
		{tensor.Int8, 30000, []float32{0.05, 0.1, 0.01}, []int32{3, -7, 0}, 10000, share},
	} {
		xq := randTensor(r, c.dt, 1, c.n)
		op := &dequantizeOp{scale: c.scale, zero: c.zero, channels: len(c.scale), inner: c.inner}
		checkParts(t, fmt.Sprintf("dequantize %v n=%d, %d channels", c.dt, c.n, len(c.scale)), op, []*tensor.Tensor{xq},
			[]*tensor.Tensor{tensor.New(tensor.Float32, 1, c.n)}, c.split)
	}
	small := &dequantizeOp{scale: []float32{0.05}, zero: []int32{3}, channels: 1, inner: 1}
	xs := randTensor(r, tensor.Int8, 1, 1001)
	checkParts(t, "dequantize small", small, []*tensor.Tensor{xs}, []*tensor.Tensor{tensor.New(tensor.Float32, 1, 1001)}, none)
}

// TestQuantizeTable compares the 8-bit requantization table with the
// general per-element loop for every input byte, both 8-bit dtypes in and
// out, both roundings and scales that make exact ties.
func TestQuantizeTable(t *testing.T) {
	x := map[tensor.DType]*tensor.Tensor{tensor.Int8: tensor.New(tensor.Int8, 256), tensor.Uint8: tensor.New(tensor.Uint8, 256)}
	for i := 0; i < 256; i++ {
		x[tensor.Int8].I8[i] = int8(i - 128)
		x[tensor.Uint8].U8[i] = uint8(i)
	}
	for _, inDT := range []tensor.DType{tensor.Int8, tensor.Uint8} {
		for _, outDT := range []tensor.DType{tensor.Int8, tensor.Uint8} {
			lo, hi := int32(-128), int32(127)
			if outDT == tensor.Uint8 {
				lo, hi = 0, 255
			}
			for _, s := range [][2]float32{{0.02, 0.02}, {0.02, 0.04}, {0.1, 0.0173}, {1, 2}, {0.5, 0.25}} {
				for _, halfEven := range []bool{true, false} {
					for _, z := range [][2]int32{{0, 0}, {128, 0}, {-128, 1}, {7, -9}} {
						zero := min(max(lo+128+z[1], lo), hi)
						op := &quantizeOp{inScale: []float32{s[0]}, inZero: []int32{z[0]}, scale: []float32{s[1]}, zero: []int32{zero},
							channels: 1, inner: 1, lo: lo, hi: hi, halfEven: halfEven}
						op.buildTable(inDT)
						fast := tensor.New(outDT, 256)
						op.Run(nil, []*tensor.Tensor{x[inDT]}, []*tensor.Tensor{fast})
						op.table = nil
						slow := tensor.New(outDT, 256)
						op.Run(nil, []*tensor.Tensor{x[inDT]}, []*tensor.Tensor{slow})
						if !bytes.Equal(fast.Bytes(), slow.Bytes()) {
							t.Fatalf("%v→%v scales %v zeros %d→%d halfEven=%v: table %v, loop %v", inDT, outDT, s, z[0], zero, halfEven,
								fast.Bytes(), slow.Bytes())
						}
					}
				}
			}
		}
	}
	// Float inputs and per-channel parameters get no table.
	op := &quantizeOp{fromFloat: true, scale: []float32{1}, zero: []int32{0}, channels: 1, inner: 1, lo: -128, hi: 127}
	op.buildTable(tensor.Float32)
	pc := &quantizeOp{inScale: []float32{1}, inZero: []int32{0}, scale: []float32{1, 2}, zero: []int32{0, 0}, channels: 2, inner: 1, lo: -128, hi: 127}
	pc.buildTable(tensor.Int8)
	if op.table != nil || pc.table != nil {
		t.Fatal("a table for a float input or per-channel output")
	}
}

func TestLUTAndDenseS8PartsMatchRun(t *testing.T) {
	r := partsRNG(t)
	var table [256]int8
	for i := range table {
		table[i] = int8(r.UintN(256))
	}
	for _, n := range []int{112 * 112 * 16, 65537, 16400, 999} {
		x := randTensor(r, tensor.Int8, n)
		checkParts(t, fmt.Sprint("lut n=", n), &lutS8Op{table: &table}, []*tensor.Tensor{x},
			[]*tensor.Tensor{tensor.New(tensor.Int8, n)}, want(n >= minPartCheap, true))
	}
	for _, s := range [][3]int{{1, 1280, 1000}, {7, 300, 77}, {1, 64, 10}, {3, 200, 90}} {
		m, k, nn := s[0], s[1], s[2]
		w := randTensor(r, tensor.Int8, k, nn).I8
		bias := make([]int32, nn)
		for i := range bias {
			bias[i] = r.Int32N(2000) - 1000
		}
		rq := kernels.Requant{Mode: kernels.RequantFloat, Scale: []float32{0.003}, ZeroPoint: -2, Min: -128, Max: 127}
		op := &denseS8Op{k: kernels.PackDenseS8(k, nn, w, false, []int32{1}, bias, -4, rq), kdim: k, split: k*nn >= minPartElems}
		x := randTensor(r, tensor.Int8, m, k)
		checkParts(t, fmt.Sprint("dense int8 ", s), op, []*tensor.Tensor{x}, []*tensor.Tensor{tensor.New(tensor.Int8, m, nn)}, want(op.split, true))
	}
}

func TestMatMulS8PartsMatchRun(t *testing.T) {
	r := partsRNG(t)
	for _, c := range []struct{ a, b []int }{
		{[]int{3, 37, 64}, []int{64, 29}},         // batch over A, B shared
		{[]int{2, 1, 5, 80}, []int{1, 3, 80, 70}}, // both batches broadcast
		{[]int{1, 200}, []int{200, 100}},          // one row
		{[]int{4, 9}, []int{9, 5}},                // small: whole in part 0
	} {
		plan, err := planMatMul(c.a, c.b)
		if err != nil {
			t.Fatal(err)
		}
		rq := kernels.Requant{Mode: kernels.RequantFloat, Scale: []float32{0.004}, ZeroPoint: 3, Min: -128, Max: 127}
		op := &matMulS8Op{plan: plan, k: kernels.NewMatMulS8(plan.n, -7, []int32{2}, rq)}
		a, b := randTensor(r, tensor.Int8, c.a...), randTensor(r, tensor.Int8, c.b...)
		rows := plan.batchLen * plan.m
		checkParts(t, fmt.Sprint("matmul int8 ", c.a, c.b), op, []*tensor.Tensor{a, b},
			[]*tensor.Tensor{tensor.New(tensor.Int8, plan.yshape...)}, want(rows*plan.k*plan.n >= minPartElems, rows > 1))
	}
}

func TestSoftmaxPartsMatchRun(t *testing.T) {
	r := partsRNG(t)
	for _, c := range [][3]int{{300, 91, 1}, {5, 20, 300}, {1, 20000, 1}, {7, 13, 5}, {2, 100, 97}} {
		outer, axis, inner := c[0], c[1], c[2]
		x := randTensor(r, tensor.Float32, outer, axis, inner)
		op := &softmaxOp{outer: outer, axis: axis, inner: inner}
		checkParts(t, fmt.Sprint("softmax ", c), op, []*tensor.Tensor{x},
			[]*tensor.Tensor{tensor.New(tensor.Float32, outer, axis, inner)}, want(outer*axis*inner >= minPartElems, outer > 1))
	}
}
