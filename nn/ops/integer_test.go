package ops

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// ival is an integer operand: its values in the ONNX model's numbers and
// how the runtime stores them (uint8, int8, or int8 shifted by −128 for a
// uint8 model's values).
type ival struct {
	dt      tensor.DType
	shifted bool
	shape   []int
	v       []int32
}

func randIval(r *rand.Rand, dt tensor.DType, shifted bool, shape ...int) ival {
	iv := ival{dt: dt, shifted: shifted, shape: shape, v: make([]int32, tensor.NumElems(shape))}
	for i := range iv.v {
		if dt == tensor.Uint8 || shifted {
			iv.v[i] = int32(r.IntN(256))
		} else {
			iv.v[i] = int32(r.IntN(256)) - 128
		}
	}
	return iv
}

func (iv ival) stored() tensor.DType {
	if iv.shifted {
		return tensor.Int8
	}
	return iv.dt
}

func (iv ival) name() string {
	switch {
	case iv.shifted:
		return "u8(shifted)"
	case iv.dt == tensor.Uint8:
		return "u8"
	}
	return "s8"
}

// add adds iv to g as a constant.
func (iv ival) add(g *graph.Graph, name string) int {
	t := tensor.New(iv.stored(), iv.shape...)
	for i, v := range iv.v {
		switch {
		case iv.shifted:
			t.I8[i] = int8(v - 128)
		case iv.dt == tensor.Uint8:
			t.U8[i] = uint8(v)
		default:
			t.I8[i] = int8(v)
		}
	}
	id := g.AddConst(name, t)
	if iv.shifted {
		g.Tensors[id].Quant = &graph.Quant{Scale: []float32{1}, ZeroPoint: []int32{0}, Shifted: true}
	}
	return id
}

// zps is a zero-point operand (nil: absent).
func zps(dt tensor.DType, shape []int, v ...int32) *ival {
	return &ival{dt: dt, shape: shape, v: v}
}

// evalNode builds a one-node graph over constant operands (nil: absent
// input) and evaluates it.
func evalNode(op graph.OpKind, p graph.Params, ops []*ival, nOut int) ([]*tensor.Tensor, error) {
	g := &graph.Graph{}
	n := graph.Node{Name: "node0", Op: op, Params: p}
	for i, o := range ops {
		id := -1
		if o != nil {
			id = o.add(g, fmt.Sprintf("in%d", i))
		}
		n.Inputs = append(n.Inputs, id)
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, g.AddTensor(graph.Tensor{Name: fmt.Sprintf("out%d", i)}))
	}
	return Eval(g, &n)
}

// ---- ConvInteger ----

// refConvInteger is ONNX ConvInteger on channels-last x [N, s..., C] and
// weights [OC, k..., C/G], written from the definition: every output
// element sums (x − xz)·(w − wz[oc]) over its group's channels and the
// kernel taps inside the input, in int64, then wraps to int32.
func refConvInteger(x, w ival, xz int32, wz []int32, p *graph.ConvParams) ([]int, []int32) {
	s := len(x.shape) - 2
	c, oc := x.shape[s+1], w.shape[0]
	cg, ocg := c/p.Groups, oc/p.Groups
	ys := []int{x.shape[0]}
	for i := 0; i < s; i++ {
		k := w.shape[1+i]
		ys = append(ys, (x.shape[1+i]+p.PadBegin[i]+p.PadEnd[i]-p.Dilations[i]*(k-1)-1)/p.Strides[i]+1)
	}
	ys = append(ys, oc)
	y := make([]int32, tensor.NumElems(ys))
	kernel := w.shape[1 : 1+s]
	opos := make([]int, s)
	for b := 0; b < x.shape[0]; b++ {
		for o := 0; o < tensor.NumElems(ys[1:1+s]); o++ {
			unravel(o, ys[1:1+s], opos)
			for f := 0; f < oc; f++ {
				g := f / ocg
				var acc int64
				kpos := make([]int, s)
				for kk := 0; kk < tensor.NumElems(kernel); kk++ {
					unravel(kk, kernel, kpos)
					xi := b
					inside := true
					for i := 0; i < s; i++ {
						pos := opos[i]*p.Strides[i] - p.PadBegin[i] + kpos[i]*p.Dilations[i]
						if pos < 0 || pos >= x.shape[1+i] {
							inside = false
						}
						xi = xi*x.shape[1+i] + pos
					}
					if !inside {
						continue
					}
					for ci := 0; ci < cg; ci++ {
						xv := int64(x.v[xi*c+g*cg+ci]) - int64(xz)
						wv := int64(w.v[(f*tensor.NumElems(kernel)+kk)*cg+ci]) - int64(wz[min(f, len(wz)-1)])
						acc += xv * wv
					}
				}
				y[(b*tensor.NumElems(ys[1:1+s])+o)*oc+f] = int32(acc)
			}
		}
	}
	return ys, y
}

func unravel(i int, shape, idx []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
}

func convP(s, d, pb, pe []int, groups int) *graph.ConvParams {
	return &graph.ConvParams{Strides: s, Dilations: d, PadBegin: pb, PadEnd: pe, Groups: groups}
}

// TestConvIntegerMatchesReference compares ConvInteger with the reference
// bit for bit over 1-, 2- and 3-D convolutions, groups (depthwise with 13
// channels), strides, dilations, asymmetric pads, uint8/int8 in every mix
// (and int8 holding shifted uint8 values), per-tensor and per-channel
// weight zero points and absent zero points.
func TestConvIntegerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 10))
	u8, s8 := tensor.Uint8, tensor.Int8
	cases := []struct {
		name       string
		xs, ws     []int
		p          *graph.ConvParams
		xdt, wdt   tensor.DType
		xshift     bool
		xz         *ival
		wzPerChan  bool
		noWZ, noXZ bool
	}{
		{"2d pad1 u8/u8", []int{1, 5, 5, 3}, []int{4, 3, 3, 3}, convP([]int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1), u8, u8, false, nil, false, false, false},
		{"2d groups2 stride dil pads s8/u8", []int{2, 7, 6, 4}, []int{6, 3, 2, 2}, convP([]int{2, 1}, []int{1, 2}, []int{1, 0}, []int{2, 1}, 2), s8, u8, false, nil, true, false, false},
		{"depthwise 13 u8/s8", []int{1, 6, 7, 13}, []int{13, 3, 3, 1}, convP([]int{2, 2}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 13), u8, s8, false, nil, true, false, false},
		{"1d dil2 s8/s8 no zps", []int{2, 9, 5}, []int{3, 4, 5}, convP([]int{1}, []int{2}, []int{0}, []int{1}, 1), s8, s8, false, nil, false, true, true},
		{"3d u8/u8", []int{1, 3, 4, 5, 2}, []int{3, 2, 2, 3, 2}, convP([]int{1, 2, 1}, []int{1, 1, 1}, []int{1, 0, 1}, []int{0, 1, 1}, 1), u8, u8, false, nil, true, false, false},
		{"2d shifted x u8/u8", []int{1, 5, 4, 3}, []int{5, 2, 3, 3}, convP([]int{1, 2}, []int{1, 1}, []int{0, 1}, []int{1, 0}, 1), u8, u8, true, nil, false, false, false},
		{"2d shifted x, shifted zero point", []int{1, 4, 4, 2}, []int{2, 3, 3, 2}, convP([]int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1), u8, u8, true,
			&ival{dt: u8, shifted: true, shape: []int{}, v: []int32{200}}, true, false, false},
		{"2d x zp only", []int{1, 4, 5, 3}, []int{2, 2, 2, 3}, convP([]int{1, 1}, []int{1, 1}, []int{0, 0}, []int{0, 0}, 1), s8, u8, false, nil, false, true, false},
		{"2d w zp only", []int{1, 4, 5, 3}, []int{2, 2, 2, 3}, convP([]int{1, 1}, []int{1, 1}, []int{0, 0}, []int{0, 0}, 1), u8, s8, false, nil, true, false, true},
	}
	for _, c := range cases {
		x := randIval(r, c.xdt, c.xshift, c.xs...)
		w := randIval(r, c.wdt, false, c.ws...)
		var xz *ival
		xzv := int32(0)
		if !c.noXZ {
			xz = c.xz
			if xz == nil {
				z := randIval(r, c.xdt, false)
				xz = &z
			}
			xzv = xz.v[0]
		}
		var wz *ival
		wzv := []int32{0}
		if !c.noWZ {
			shape := []int{}
			if c.wzPerChan {
				shape = []int{c.ws[0]}
			}
			z := randIval(r, c.wdt, false, shape...)
			wz, wzv = &z, z.v
		}
		ys, want := refConvInteger(x, w, xzv, wzv, c.p)
		outs, err := evalNode(graph.OpConvInteger, c.p, []*ival{&x, &w, xz, wz}, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		y := outs[0]
		if y.DType != tensor.Int32 || fmt.Sprint(y.Shape) != fmt.Sprint(ys) {
			t.Fatalf("%s: output %v, want int32%v", c.name, y, ys)
		}
		nonzero := 0
		for i := range want {
			if y.I32[i] != want[i] {
				t.Fatalf("%s (x %s, w %s): element %d = %d, want %d", c.name, x.name(), w.name(), i, y.I32[i], want[i])
			}
			if want[i] != 0 {
				nonzero++
			}
		}
		if nonzero < len(want)/2 {
			t.Errorf("%s: only %d of %d reference outputs are nonzero: the case tests little", c.name, nonzero, len(want))
		}
	}
}

// ---- MatMulInteger ----

// refMatMulInteger is numpy matmul of (a − az)·(b − bz) in int64, wrapped
// to int32. azAt(batch, row) and bzAt(batch, col) give the zero points,
// batch being the operand's own batch index.
func refMatMulInteger(a, b ival, azAt, bzAt func(batch, i int) int32) ([]int, []int32) {
	as, bs := a.shape, b.shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	ab, bb := as[:len(as)-2], bs[:len(bs)-2]
	rank := max(len(ab), len(bb))
	pad := func(s []int) []int { return append(make([]int, rank-len(s)), s...) }
	pa, pb := pad(ab), pad(bb)
	batch := make([]int, rank)
	for i := range batch {
		batch[i] = max(pa[i], pb[i])
		if pa[i] == 0 {
			pa[i] = 1
		}
		if pb[i] == 0 {
			pb[i] = 1
		}
	}
	var ys []int
	ys = append(ys, batch...)
	if len(a.shape) > 1 {
		ys = append(ys, m)
	}
	if len(b.shape) > 1 {
		ys = append(ys, n)
	}
	y := make([]int32, tensor.NumElems(batch)*m*n)
	idx := make([]int, rank)
	for bi := 0; bi < tensor.NumElems(batch); bi++ {
		unravel(bi, batch, idx)
		ai, bj := 0, 0
		for d := 0; d < rank; d++ {
			ai = ai*pa[d] + idx[d]%pa[d]
			bj = bj*pb[d] + idx[d]%pb[d]
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var acc int64
				for kk := 0; kk < k; kk++ {
					av := int64(a.v[(ai*m+i)*k+kk]) - int64(azAt(ai, i))
					bv := int64(b.v[(bj*k+kk)*n+j]) - int64(bzAt(bj, j))
					acc += av * bv
				}
				y[(bi*m+i)*n+j] = int32(acc)
			}
		}
	}
	return ys, y
}

// TestMatMulIntegerMatchesReference compares MatMulInteger with the
// reference bit for bit: 2-D, batched with broadcasting, 1-D operands,
// per-tensor, per-row / per-column ([M], [N]) and N-D ([…, M, 1],
// […, 1, N]) zero points, uint8/int8 mixes and shifted int8.
func TestMatMulIntegerMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	u8, s8 := tensor.Uint8, tensor.Int8
	// zp kinds: "" absent, "t" per tensor, "r" per row/column 1-D, "nd" N-D.
	cases := []struct {
		as, bs     []int
		adt, bdt   tensor.DType
		ashift     bool
		azk, bzk   string
		azs, bzs   []int // zero-point shapes for "r"/"nd"
		wantYShape []int
	}{
		{[]int{4, 3}, []int{3, 2}, u8, u8, false, "t", "t", nil, nil, []int{4, 2}},
		{[]int{5, 7}, []int{7, 3}, s8, u8, false, "r", "r", []int{5}, []int{3}, []int{5, 3}},
		{[]int{5, 7}, []int{7, 3}, u8, s8, false, "nd", "t", []int{5, 1}, nil, []int{5, 3}},
		{[]int{13, 17}, []int{17, 11}, s8, s8, false, "t", "r", nil, []int{11}, []int{13, 11}},
		{[]int{2, 1, 3, 5}, []int{4, 5, 6}, u8, s8, false, "nd", "nd", []int{2, 1, 3, 1}, []int{4, 1, 6}, []int{2, 4, 3, 6}},
		{[]int{3, 4, 5}, []int{5, 2}, u8, u8, false, "r", "r", []int{4}, []int{2}, []int{3, 4, 2}},
		{[]int{5}, []int{2, 5, 3}, u8, u8, false, "t", "nd", nil, []int{2, 1, 3}, []int{2, 3}},
		{[]int{3, 5}, []int{5}, s8, u8, false, "r", "t", []int{3}, nil, []int{3}},
		{[]int{4, 6}, []int{6, 5}, u8, u8, true, "t", "r", nil, []int{5}, []int{4, 5}},
		{[]int{4, 6}, []int{6, 5}, u8, s8, false, "", "", nil, nil, []int{4, 5}},
		{[]int{4, 6}, []int{6, 5}, s8, u8, false, "", "r", nil, []int{5}, []int{4, 5}},
	}
	for ci, c := range cases {
		a := randIval(r, c.adt, c.ashift, c.as...)
		b := randIval(r, c.bdt, false, c.bs...)
		mk := func(kind string, dt tensor.DType, shape []int) (*ival, func(batch, i int) int32) {
			switch kind {
			case "":
				return nil, func(int, int) int32 { return 0 }
			case "t":
				z := randIval(r, dt, false)
				return &z, func(int, int) int32 { return z.v[0] }
			}
			z := randIval(r, dt, false, shape...)
			return &z, nil
		}
		az, azAt := mk(c.azk, c.adt, c.azs)
		bz, bzAt := mk(c.bzk, c.bdt, c.bzs)
		m := c.as[max(len(c.as)-2, 0)]
		if len(c.as) == 1 {
			m = 1
		}
		n := c.bs[len(c.bs)-1]
		if len(c.bs) == 1 {
			n = 1
		}
		switch c.azk {
		case "r":
			azAt = func(_, i int) int32 { return az.v[i] }
		case "nd":
			azAt = func(batch, i int) int32 { return az.v[batch*m+i] }
		}
		switch c.bzk {
		case "r":
			bzAt = func(_, j int) int32 { return bz.v[j] }
		case "nd":
			bzAt = func(batch, j int) int32 { return bz.v[batch*n+j] }
		}
		ys, want := refMatMulInteger(a, b, azAt, bzAt)
		name := fmt.Sprintf("case %d %v(%s, zp %q)×%v(%s, zp %q)", ci, c.as, a.name(), c.azk, c.bs, b.name(), c.bzk)
		if fmt.Sprint(ys) != fmt.Sprint(c.wantYShape) {
			t.Fatalf("%s: reference shape %v, want %v", name, ys, c.wantYShape)
		}
		outs, err := evalNode(graph.OpMatMulInteger, nil, []*ival{&a, &b, az, bz}, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		y := outs[0]
		if y.DType != tensor.Int32 || fmt.Sprint(y.Shape) != fmt.Sprint(ys) {
			t.Fatalf("%s: output %v, want int32%v", name, y, ys)
		}
		for i := range want {
			if y.I32[i] != want[i] {
				t.Fatalf("%s: element %d = %d, want %d", name, i, y.I32[i], want[i])
			}
		}
	}
}

// TestMatMulIntegerWrapsInt32: 40000 products of 255·255 exceed 2^31; the
// accumulation wraps in 32 bits (as the ONNX specification allows), the
// same on every architecture (int is 32 bits on GOARCH=arm).
func TestMatMulIntegerWrapsInt32(t *testing.T) {
	const k = 40000
	a := ival{dt: tensor.Uint8, shape: []int{1, k}, v: make([]int32, k)}
	b := ival{dt: tensor.Uint8, shape: []int{k, 2}, v: make([]int32, 2*k)}
	for i := range a.v {
		a.v[i] = 255
	}
	for i := range b.v {
		b.v[i] = 255 - int32(i%2)*255 // column 0: 255, column 1: 0
	}
	outs, err := evalNode(graph.OpMatMulInteger, nil, []*ival{&a, &b}, 1)
	if err != nil {
		t.Fatal(err)
	}
	wide := int64(k) * 255 * 255 // 2601000000 wraps to −1693967296
	want := int32(uint32(wide))
	if got := outs[0].I32; got[0] != want || got[1] != 0 || want >= 0 {
		t.Fatalf("got %v, want [%d 0]", got, want)
	}
}

// ---- errors ----

func TestIntegerOpsRejectBadShapes(t *testing.T) {
	u8 := tensor.Uint8
	x := ival{dt: u8, shape: []int{1, 4, 4, 3}, v: make([]int32, 48)}
	w := ival{dt: u8, shape: []int{4, 3, 3, 3}, v: make([]int32, 108)}
	p := convP([]int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1)
	a := ival{dt: u8, shape: []int{5, 7}, v: make([]int32, 35)}
	b := ival{dt: u8, shape: []int{7, 3}, v: make([]int32, 21)}
	cases := []struct {
		name string
		op   graph.OpKind
		p    graph.Params
		in   []*ival
		want []string
	}{
		{"conv w zp length", graph.OpConvInteger, p, []*ival{&x, &w, nil, zps(u8, []int{3}, 1, 2, 3)}, []string{"node0", "ConvInteger", "[3]", "4"}},
		{"conv x zp length", graph.OpConvInteger, p, []*ival{&x, &w, zps(u8, []int{2}, 1, 2)}, []string{"node0", "ConvInteger", "[2]", "one"}},
		{"conv group", graph.OpConvInteger, convP([]int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 2), []*ival{&x, &w}, []string{"ConvInteger", "group 2"}},
		{"conv kernel too big", graph.OpConvInteger, convP([]int{1, 1}, []int{1, 1}, []int{0, 0}, []int{0, 0}, 1),
			[]*ival{{dt: u8, shape: []int{1, 2, 2, 3}, v: make([]int32, 12)}, &w}, []string{"ConvInteger", "too small"}},
		{"matmul a zp length", graph.OpMatMulInteger, nil, []*ival{&a, &b, zps(u8, []int{4}, 1, 2, 3, 4)}, []string{"node0", "MatMulInteger", "A zero point", "[4]", "[5]"}},
		{"matmul b zp shape", graph.OpMatMulInteger, nil, []*ival{&a, &b, nil, zps(u8, []int{7, 3}, make([]int32, 21)...)}, []string{"MatMulInteger", "B zero point", "[7 3]", "[1 3]"}},
		{"matmul inner dims", graph.OpMatMulInteger, nil, []*ival{&a, &a}, []string{"MatMulInteger", "[5 7]"}},
	}
	for _, c := range cases {
		_, err := evalNode(c.op, c.p, c.in, 1)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !errors.Is(err, ErrShape) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v wraps neither ErrShape nor ErrUnsupported", c.name, err)
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, s)
			}
		}
	}

	// Float input, runtime weights.
	g := &graph.Graph{}
	xf := g.AddTensor(graph.Tensor{Name: "xf", DType: tensor.Float32, Shape: []int{1, 4, 4, 3}})
	wid := w.add(g, "w")
	n := graph.Node{Name: "f", Op: graph.OpConvInteger, Params: p, Inputs: []int{xf, wid}, Outputs: []int{g.AddTensor(graph.Tensor{Name: "y"})}}
	if err := Infer(g, &n); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("float input: error %v, want one naming float32", err)
	}
	xr := g.AddTensor(graph.Tensor{Name: "xr", DType: u8, Shape: []int{1, 4, 4, 3}})
	wr := g.AddTensor(graph.Tensor{Name: "wr", DType: u8, Shape: []int{4, 3, 3, 3}})
	n = graph.Node{Name: "r", Op: graph.OpConvInteger, Params: p, Inputs: []int{xr, wr}, Outputs: []int{g.AddTensor(graph.Tensor{Name: "y2"})}}
	if err := Infer(g, &n); err == nil || !strings.Contains(err.Error(), "constant") {
		t.Errorf("runtime weights: error %v, want one asking for a constant", err)
	}
}

// ---- run without allocation, runtime zero points ----

// TestIntegerOpsRunWithoutAllocating compiles each op once and runs it on
// session-like tensors: no allocation per run, and a zero point changed
// between runs (a runtime input, as DynamicQuantizeLinear produces) is
// honoured.
func TestIntegerOpsRunWithoutAllocating(t *testing.T) {
	g := &graph.Graph{}
	u8 := tensor.Uint8
	x := g.AddTensor(graph.Tensor{Name: "x", DType: u8, Shape: []int{1, 5, 5, 2}})
	xz := g.AddTensor(graph.Tensor{Name: "xz", DType: u8, Shape: []int{}})
	w := tensor.New(tensor.Int8, 3, 3, 3, 2)
	for i := range w.I8 {
		w.I8[i] = int8(i%7 - 3)
	}
	wid := g.AddConst("w", w)
	conv := graph.Node{Name: "c", Op: graph.OpConvInteger, Params: convP([]int{1, 1}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1),
		Inputs: []int{x, wid, xz}, Outputs: []int{g.AddTensor(graph.Tensor{Name: "y"})}}
	a := g.AddTensor(graph.Tensor{Name: "a", DType: u8, Shape: []int{2, 3, 4}})
	b := g.AddTensor(graph.Tensor{Name: "b", DType: tensor.Int8, Shape: []int{4, 5}})
	bz := g.AddTensor(graph.Tensor{Name: "bz", DType: tensor.Int8, Shape: []int{5}})
	mm := graph.Node{Name: "m", Op: graph.OpMatMulInteger, Inputs: []int{a, b, -1, bz}, Outputs: []int{g.AddTensor(graph.Tensor{Name: "ym"})}}
	f := g.AddTensor(graph.Tensor{Name: "f", DType: tensor.Float32, Shape: []int{3, 7}})
	dq := graph.Node{Name: "d", Op: graph.OpDynamicQuantize, Inputs: []int{f},
		Outputs: []int{g.AddTensor(graph.Tensor{Name: "q"}), g.AddTensor(graph.Tensor{Name: "s"}), g.AddTensor(graph.Tensor{Name: "z"})}}
	tens := func(ids []int) []*tensor.Tensor {
		var ts []*tensor.Tensor
		for _, id := range ids {
			if id < 0 {
				ts = append(ts, nil)
				continue
			}
			tt := g.Tensors[id]
			if tt.Const != nil {
				ts = append(ts, tt.Const)
			} else {
				ts = append(ts, tensor.New(tt.DType, tt.Shape...))
			}
		}
		return ts
	}
	for _, n := range []*graph.Node{&conv, &mm, &dq} {
		if err := Infer(g, n); err != nil {
			t.Fatal(err)
		}
		op, err := Compile(g, n)
		if err != nil {
			t.Fatal(err)
		}
		in, out := tens(n.Inputs), tens(n.Outputs)
		for i, tt := range in {
			if tt == nil || g.Tensors[n.Inputs[i]].Const != nil {
				continue
			}
			for j := range tt.Bytes() {
				tt.Bytes()[j] = byte(j*37 + i)
			}
		}
		x := &Exec{Scratch: make([]float32, op.ScratchLen())}
		if allocs := testing.AllocsPerRun(20, func() { op.Run(x, in, out) }); allocs != 0 {
			t.Errorf("%v: %v allocations per run", n.Op, allocs)
		}
		if n.Op != graph.OpConvInteger {
			continue
		}
		// y is linear in the zero point: raising it by 1 lowers each output
		// by the sum of the weights over the taps inside the input.
		before := append([]int32(nil), out[0].I32...)
		in[2].U8[0]++
		op.Run(x, in, out)
		// Output (2,2) sees all 9 taps: Σw over [oc] for all taps and channels.
		const oc = 1
		var sw int32
		for i := 0; i < 18; i++ {
			sw += int32(w.I8[oc*18+i])
		}
		at := (2*5+2)*3 + oc
		if d := before[at] - out[0].I32[at]; d != sw || sw == 0 {
			t.Errorf("zero point +1 lowered the output by %d, want by Σw = %d", d, sw)
		}
	}
}

// ---- DynamicQuantizeLinear ----

// TestDynamicQuantizeLinear: the ONNX backend test inputs
// (test_dynamicquantizelinear, _max_adjusted, _min_adjusted; the scales and
// zero points are the ones their generator states), an all-zero input
// (ONNX Runtime's scale 1) and NaN (ignored by the range, quantized to 0).
func TestDynamicQuantizeLinear(t *testing.T) {
	cases := []struct {
		name  string
		x     []float32
		scale float32
		zp    uint8
	}{
		{"dynamicquantizelinear", []float32{0, 2, -3, -2.5, 1.34, 0.5}, 0.0196078438, 153},
		{"max_adjusted", []float32{-1.0, -2.1, -1.3, -2.5, -3.34, -4.0}, 0.0156862754, 255},
		{"min_adjusted", []float32{1, 2.1, 1.3, 2.5, 3.34, 4.0, 1.5, 2.6, 3.9, 4.0, 3.0, 2.345}, 0.0156862754, 0},
		{"zeros", []float32{0, 0, 0}, 1, 0},
		{"nan", []float32{float32(math.NaN()), -1, 3}, 4.0 / 255, 64},
	}
	for _, c := range cases {
		g := &graph.Graph{}
		x := g.AddConst("x", tensor.FromF32(c.x, len(c.x)))
		n := graph.Node{Name: "d", Op: graph.OpDynamicQuantize, Inputs: []int{x},
			Outputs: []int{g.AddTensor(graph.Tensor{Name: "y"}), g.AddTensor(graph.Tensor{Name: "s"}), g.AddTensor(graph.Tensor{Name: "z"})}}
		outs, err := Eval(g, &n)
		if err != nil {
			t.Fatal(err)
		}
		y, s, z := outs[0], outs[1], outs[2]
		if y.DType != tensor.Uint8 || s.DType != tensor.Float32 || z.DType != tensor.Uint8 || len(s.Shape) != 0 || len(z.Shape) != 0 {
			t.Fatalf("%s: outputs %v %v %v, want uint8[%d] float32[] uint8[]", c.name, y, s, z, len(c.x))
		}
		if s.F32[0] != c.scale || z.U8[0] != c.zp {
			t.Errorf("%s: scale %.10g zero point %d, want %.10g %d", c.name, s.F32[0], z.U8[0], c.scale, c.zp)
		}
		// numpy's float32 formula: clip(round_half_even(x / scale) + zp, 0, 255).
		for i, v := range c.x {
			want := uint8(0)
			if q := math.RoundToEven(float64(v/c.scale)) + float64(c.zp); !math.IsNaN(q) {
				want = uint8(math.Max(0, math.Min(255, q)))
			}
			if y.U8[i] != want {
				t.Errorf("%s: y[%d] = %d, want %d", c.name, i, y.U8[i], want)
			}
		}
	}
}
