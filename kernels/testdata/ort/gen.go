//go:build ignore

// gen builds tiny one-node ONNX models of the quantized operators whose
// arithmetic the int8 kernels reproduce in ONNX Runtime mode, runs each
// once with ONNX Runtime (../shared/peer's ortrun), and writes the node's
// inputs and ORT's output as fixtures, so that the bit-exactness test
// (nn/quant/ort_test.go) runs without ORT.
//
//	go run ./kernels/testdata/ort/gen.go -ortrun /tmp/ort-peer/ortrun
//
// Each case is a folder <case>/ with case.json (operator, domain,
// attributes, which inputs are runtime inputs) and in<i>.npy for node input
// i (scales and zero points included), plus out.npy, ORT's output. Data are
// drawn from fixed seeds; the Add and Mul cases add the input pairs on
// which the candidate formulas of MLAS's arithmetic (FMA or not, operand
// order) disagree, so the fixture pins the one ORT uses.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

// Case is the description written to case.json.
type Case struct {
	Op      string           `json:"op"`
	Domain  string           `json:"domain,omitempty"`
	Attrs   map[string][]int `json:"attrs,omitempty"`
	Runtime []bool           `json:"runtime"` // per node input: graph input (true) or initializer
	Note    string           `json:"note,omitempty"`
}

type input struct {
	arr     *npy.Array
	runtime bool
}

var (
	ortrun = flag.String("ortrun", "/tmp/ort-peer/ortrun", "ortrun binary")
	outDir = flag.String("out", "kernels/testdata/ort", "fixture folder")
)

func main() {
	flag.Parse()
	r := rand.New(rand.NewPCG(20261130, 3))
	convCases(r)
	matmulCases(r)
	binaryCases(r)
	gapCases(r)
	sigmoidCases(r)
	quantizeCases(r)
}

// --- arrays -------------------------------------------------------------

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func randQ(r *rand.Rand, u8 bool, shape ...int) *npy.Array {
	n := numel(shape)
	if u8 {
		a := &npy.Array{DType: "uint8", Shape: shape, U8: make([]uint8, n)}
		for i := range a.U8 {
			a.U8[i] = uint8(r.IntN(256))
		}
		return a
	}
	a := &npy.Array{DType: "int8", Shape: shape, I8: make([]int8, n)}
	for i := range a.I8 {
		a.I8[i] = int8(r.IntN(256) - 128)
	}
	return a
}

func zeros(u8 bool, vals []int, shape ...int) *npy.Array {
	if u8 {
		a := &npy.Array{DType: "uint8", Shape: shape}
		for _, v := range vals {
			a.U8 = append(a.U8, uint8(v))
		}
		return a
	}
	a := &npy.Array{DType: "int8", Shape: shape}
	for _, v := range vals {
		a.I8 = append(a.I8, int8(v))
	}
	return a
}

func f32s(shape []int, v ...float32) *npy.Array {
	return &npy.Array{DType: "float32", Shape: shape, F32: v}
}

func scalarF(v float32) *npy.Array { return f32s([]int{}, v) }

func scalarQ(u8 bool, v int) *npy.Array { return zeros(u8, []int{v}) }

func randScales(r *rand.Rand, n int, lo, hi float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(lo * math.Pow(hi/lo, r.Float64()))
	}
	return s
}

func randBias(r *rand.Rand, n int, lim int32) *npy.Array {
	a := &npy.Array{DType: "int32", Shape: []int{n}, I32: make([]int32, n)}
	for i := range a.I32 {
		a.I32[i] = r.Int32N(2*lim+1) - lim
	}
	return a
}

// --- model building and running ----------------------------------------------

func dtypeOf(a *npy.Array) onnxpb.DataType {
	switch a.DType {
	case "float32":
		return onnxpb.DataTypeFloat
	case "int8":
		return onnxpb.DataTypeInt8
	case "uint8":
		return onnxpb.DataTypeUint8
	case "int32":
		return onnxpb.DataTypeInt32
	}
	log.Fatalf("dtype %s", a.DType)
	return 0
}

func raw(a *npy.Array) []byte {
	switch a.DType {
	case "float32":
		b := make([]byte, 4*len(a.F32))
		for i, v := range a.F32 {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	case "int8":
		b := make([]byte, len(a.I8))
		for i, v := range a.I8 {
			b[i] = byte(v)
		}
		return b
	case "uint8":
		return append([]byte(nil), a.U8...)
	case "int32":
		b := make([]byte, 4*len(a.I32))
		for i, v := range a.I32 {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		}
		return b
	}
	log.Fatalf("dtype %s", a.DType)
	return nil
}

func valueInfo(name string, dt onnxpb.DataType, shape []int) *onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, d := range shape {
		s.Dims = append(s.Dims, &onnxpb.Dim{Value: int64(d), HasValue: true})
	}
	return &onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor,
		Tensor: &onnxpb.TensorType{ElemType: dt, Shape: s}}}
}

// run builds the one-node model, runs ORT and writes the fixture.
func run(name string, c Case, ins []input, outType onnxpb.DataType, outShape []int) {
	dir := filepath.Join(*outDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	g := &onnxpb.Graph{Name: name}
	node := &onnxpb.Node{OpType: c.Op, Domain: c.Domain, Outputs: []string{"out"}}
	for k, v := range c.Attrs {
		a := &onnxpb.Attribute{Name: k}
		if k == "group" || k == "channels_last" {
			a.Type, a.I = onnxpb.AttrTypeInt, int64(v[0])
		} else {
			a.Type = onnxpb.AttrTypeInts
			for _, x := range v {
				a.Ints = append(a.Ints, int64(x))
			}
		}
		node.Attributes = append(node.Attributes, a)
	}
	tmp, err := os.MkdirTemp("", "ortgen")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	args := []string{"-iters", "1", "-warmup", "0", "-out", filepath.Join(tmp, "out")}
	c.Runtime = nil
	for i, in := range ins {
		n := fmt.Sprintf("in%d", i)
		node.Inputs = append(node.Inputs, n)
		c.Runtime = append(c.Runtime, in.runtime)
		if err := npy.WriteFile(filepath.Join(dir, n+".npy"), in.arr); err != nil {
			log.Fatal(err)
		}
		if in.runtime {
			g.Inputs = append(g.Inputs, valueInfo(n, dtypeOf(in.arr), in.arr.Shape))
			args = append(args, "-input", n+"="+filepath.Join(dir, n+".npy"))
			continue
		}
		t := &onnxpb.Tensor{Name: n, DataType: dtypeOf(in.arr), RawData: raw(in.arr)}
		for _, d := range in.arr.Shape {
			t.Dims = append(t.Dims, int64(d))
		}
		g.Initializers = append(g.Initializers, t)
	}
	g.Nodes = []*onnxpb.Node{node}
	g.Outputs = []*onnxpb.ValueInfo{valueInfo("out", outType, outShape)}
	m := &onnxpb.Model{IRVersion: 8, ProducerName: "ocellus kernels/testdata/ort/gen.go", Graph: g,
		OpsetImports: []*onnxpb.OperatorSetID{{Version: 13}, {Domain: "com.microsoft", Version: 1}}}
	mp := filepath.Join(tmp, "model.onnx")
	if err := os.WriteFile(mp, m.Marshal(), 0o644); err != nil {
		log.Fatal(err)
	}
	args = append([]string{"-model", mp}, args...)
	if out, err := exec.Command(*ortrun, args...).CombinedOutput(); err != nil {
		log.Fatalf("%s: ortrun: %v\n%s", name, err, out)
	}
	y, err := npy.ReadFile(filepath.Join(tmp, "out", "out.npy"))
	if err != nil {
		log.Fatal(err)
	}
	if err := npy.WriteFile(filepath.Join(dir, "out.npy"), y); err != nil {
		log.Fatal(err)
	}
	j, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "case.json"), append(j, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%-22s %s %v\n", name, c.Op, outShape)
}

// --- cases -------------------------------------------------------------

func convOut(in, k, s, d, p0, p1 int) int { return (in+p0+p1-d*(k-1)-1)/s + 1 }

type convSpec struct {
	name                 string
	u8, wU8              bool
	n, c, h, w, oc, k, s int
	group                int
	pads                 [4]int // top, left, bottom, right
	perChannel           bool
	wZero                int // per-tensor weight zero point (uint8 weights) or 0
	bias                 bool
	pow2                 bool // power-of-two scales: float requant ties
}

func convCases(r *rand.Rand) {
	for _, sp := range []convSpec{
		{name: "conv1x1_s8", n: 1, c: 24, h: 5, w: 7, oc: 16, k: 1, s: 1, group: 1, perChannel: true, bias: true},
		{name: "conv1x1_pow2_s8", n: 1, c: 16, h: 4, w: 6, oc: 13, k: 1, s: 1, group: 1, pow2: true, bias: true},
		{name: "conv3x3_s8", n: 1, c: 13, h: 9, w: 8, oc: 7, k: 3, s: 1, group: 1, pads: [4]int{1, 1, 1, 1}},
		{name: "conv3x3s2_u8", u8: true, wU8: true, n: 1, c: 5, h: 11, w: 10, oc: 6, k: 3, s: 2, group: 1, pads: [4]int{1, 1, 1, 1}, wZero: 131, bias: true},
		{name: "conv_first_u8", u8: true, n: 1, c: 3, h: 15, w: 15, oc: 16, k: 3, s: 2, group: 1, pads: [4]int{0, 0, 1, 1}, perChannel: true, bias: true},
		{name: "conv_grouped_s8", n: 1, c: 8, h: 6, w: 6, oc: 12, k: 3, s: 1, group: 2, pads: [4]int{1, 1, 1, 1}, perChannel: true, bias: true},
		{name: "dw3x3s1_s8", n: 1, c: 24, h: 9, w: 10, oc: 24, k: 3, s: 1, group: 24, pads: [4]int{1, 1, 1, 1}, perChannel: true, bias: true},
		{name: "dw3x3s2_u8", u8: true, n: 1, c: 16, h: 12, w: 12, oc: 16, k: 3, s: 2, group: 16, pads: [4]int{0, 0, 1, 1}, perChannel: true, bias: true},
		{name: "dw5x5s1_s8", n: 1, c: 13, h: 8, w: 9, oc: 13, k: 5, s: 1, group: 13, pads: [4]int{2, 2, 2, 2}, perChannel: true, bias: true},
		{name: "dw5x5s2_s8", n: 2, c: 8, h: 11, w: 10, oc: 8, k: 5, s: 2, group: 8, pads: [4]int{1, 1, 2, 2}, bias: true},
	} {
		x := randQ(r, sp.u8, sp.n, sp.c, sp.h, sp.w)
		w := randQ(r, sp.wU8, sp.oc, sp.c/sp.group, sp.k, sp.k)
		xs, ys := randScales(r, 1, 0.01, 0.05)[0], randScales(r, 1, 0.02, 0.2)[0]
		nw := 1
		if sp.perChannel {
			nw = sp.oc
		}
		ws := randScales(r, nw, 0.001, 0.02)
		if sp.pow2 {
			xs, ys = 0.5, 2
			for i := range ws {
				ws[i] = float32(math.Exp2(-float64(6 + i%3)))
			}
		}
		xz, yz := r.IntN(256), r.IntN(256)
		if !sp.u8 {
			xz, yz = xz-128, yz-128
		}
		wzVals := make([]int, nw)
		for i := range wzVals {
			wzVals[i] = sp.wZero
		}
		ins := []input{
			{x, true}, {scalarF(xs), false}, {scalarQ(sp.u8, xz), false},
			{w, false}, {f32s([]int{nw}, ws...), false}, {zeros(sp.wU8, wzVals, nw), false},
			{scalarF(ys), false}, {scalarQ(sp.u8, yz), false},
		}
		if sp.bias {
			ins = append(ins, input{randBias(r, sp.oc, 3000), false})
		}
		oh := convOut(sp.h, sp.k, sp.s, 1, sp.pads[0], sp.pads[2])
		ow := convOut(sp.w, sp.k, sp.s, 1, sp.pads[1], sp.pads[3])
		c := Case{Op: "QLinearConv", Attrs: map[string][]int{
			"strides": {sp.s, sp.s}, "pads": {sp.pads[0], sp.pads[1], sp.pads[2], sp.pads[3]},
			"group": {sp.group}, "kernel_shape": {sp.k, sp.k}, "dilations": {1, 1}}}
		dt := onnxpb.DataTypeInt8
		if sp.u8 {
			dt = onnxpb.DataTypeUint8
		}
		run(sp.name, c, ins, dt, []int{sp.n, sp.oc, oh, ow})
	}
}

func matmulCases(r *rand.Rand) {
	type mm struct {
		name      string
		u8        bool
		a, b, out []int
		constB    bool
		perColumn bool
		bZero     int
	}
	for _, sp := range []mm{
		{"matmul_const_s8", false, []int{3, 40}, []int{40, 13}, []int{3, 13}, true, true, 0},
		{"matmul_const_u8", true, []int{1, 64}, []int{64, 10}, []int{1, 10}, true, false, 140},
		{"matmul_rt_s8", false, []int{2, 3, 20}, []int{2, 20, 7}, []int{2, 3, 7}, false, false, -5},
	} {
		a, b := randQ(r, sp.u8, sp.a...), randQ(r, sp.u8, sp.b...)
		n := sp.b[len(sp.b)-1]
		nb := 1
		if sp.perColumn {
			nb = n
		}
		az, yz := r.IntN(256), r.IntN(256)
		if !sp.u8 {
			az, yz = az-128, yz-128
		}
		bz := make([]int, nb)
		for i := range bz {
			bz[i] = sp.bZero
		}
		bzShape, bsShape := []int{nb}, []int{nb}
		if nb == 1 {
			bzShape, bsShape = []int{}, []int{}
		}
		ins := []input{
			{a, true}, {scalarF(randScales(r, 1, 0.01, 0.05)[0]), false}, {scalarQ(sp.u8, az), false},
			{b, !sp.constB}, {f32s(bsShape, randScales(r, nb, 0.005, 0.02)...), false}, {zeros(sp.u8, bz, bzShape...), false},
			{scalarF(randScales(r, 1, 0.1, 0.4)[0]), false}, {scalarQ(sp.u8, yz), false},
		}
		dt := onnxpb.DataTypeInt8
		if sp.u8 {
			dt = onnxpb.DataTypeUint8
		}
		run(sp.name, Case{Op: "QLinearMatMul"}, ins, dt, sp.out)
	}
}

// fma32 is an exact float32 fused multiply-add.
func fma32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(300).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(300).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(300).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func rne(v float32) int { return int(math.RoundToEven(float64(v))) }

type params struct {
	sa, sb, sc float32
	za, zb, zc int
}

// binaryCases: QLinearAdd and QLinearMul, int8 and uint8, general and
// broadcast. The parameter sets were found by search to make the candidate
// formulas disagree on at least one pair.
func binaryCases(r *rand.Rand) {
	sets := []params{
		{0.05236195, 0.05730108, 0.043023072, -105, 27, -81},
		{0.09784036, 0.02295031, 0.036305707, 25, -92, 54},
		{0.025408482, 0.061421975, 0.037131462, -54, -18, 82},
		{0.019979976, 0.041140907, 0.025839148, 85, 96, -43},
	}
	type bc struct {
		name   string
		op     string
		u8     bool
		a, b   []int
		out    []int
		params params
		need   string // an alternative formula the case must discriminate
	}
	C := 24
	cases := []bc{
		{"add_s8", "QLinearAdd", false, []int{1, 32, 32}, []int{1, 32, 32}, []int{1, 32, 32}, sets[0], "c2"},
		{"add_nc_s8", "QLinearAdd", false, []int{1, 16, 16}, []int{1, 16, 16}, []int{1, 16, 16}, sets[1], "nc"},
		{"add_u8", "QLinearAdd", true, []int{1, 32, 32}, []int{1, 32, 32}, []int{1, 32, 32}, sets[1], "muladd"},
		{"add_bcastB_s8", "QLinearAdd", false, []int{1, C, 6, 6}, []int{1, C, 1, 1}, []int{1, C, 6, 6}, sets[0], "order"},
		{"add_bcastA_s8", "QLinearAdd", false, []int{1, C, 1, 1}, []int{1, C, 6, 6}, []int{1, C, 6, 6}, sets[2], "order"},
		{"add_bcastA_u8", "QLinearAdd", true, []int{1, C, 1, 1}, []int{1, C, 6, 6}, []int{1, C, 6, 6}, sets[3], "order"},
		{"mul_s8", "QLinearMul", false, []int{1, 32, 32}, []int{1, 32, 32}, []int{1, 32, 32}, params{0.02, 0.03, 0.05, 3, -7, 11}, "fma"},
		{"mul_se_u8", "QLinearMul", true, []int{1, C, 6, 6}, []int{1, C, 1, 1}, []int{1, C, 6, 6}, params{0.02, 0.004, 0.0031, 7, 3, 11}, "fma"},
	}
	for _, sp := range cases {
		p := sp.params
		off := 0
		if sp.u8 {
			off = 128
			p.za, p.zb, p.zc = p.za+off, p.zb+off, p.zc+off
		}
		a, b := randQ(r, sp.u8, sp.a...), randQ(r, sp.u8, sp.b...)
		// Plant the input pairs on which candidate formulas disagree; draw
		// other parameters when this set has none.
		alts := disagreeing(sp.op, p, off)
		for try := 0; sp.need != "" && len(alts[sp.need]) == 0 && try < 20000; try++ {
			q := params{float32(0.001 + r.Float64()*0.1), float32(0.001 + r.Float64()*0.1), float32(0.001 + r.Float64()*0.1),
				r.IntN(256) - 128 + off, r.IntN(256) - 128 + off, r.IntN(256) - 128 + off}
			if sp.op == "QLinearMul" {
				q.sc /= 20
			}
			if aa := disagreeing(sp.op, q, off); len(aa[sp.need]) > 0 {
				p, alts = q, aa
			}
		}
		if sp.need != "" && len(alts[sp.need]) == 0 {
			log.Fatalf("%s: no parameters found that discriminate %q", sp.name, sp.need)
		}
		var pairs [][2]int
		for _, k := range []string{"nc", "c2", "order", "muladd", "fma"} {
			pairs = append(pairs, alts[k]...)
		}
		covered := map[string]int{}
		for k, v := range alts {
			covered[k] = len(v)
		}
		na, nb := numel(sp.a), numel(sp.b)
		placed := 0
		for k, pr := range pairs {
			switch {
			case na == nb && k < na:
				set(a, k, pr[0])
				set(b, k, pr[1])
			case nb < na && k < nb: // b per channel
				set(b, k, pr[1])
				set(a, k*(na/nb)+k%(na/nb), pr[0])
			case na < nb && k < na: // a per channel
				set(a, k, pr[0])
				set(b, k*(nb/na)+k%(nb/na), pr[1])
			default:
				continue
			}
			placed++
		}
		fmt.Printf("  %s: %d of %d disagreeing pairs placed %v\n", sp.name, placed, len(pairs), covered)
		ins := []input{
			{a, true}, {scalarF(p.sa), false}, {scalarQ(sp.u8, p.za), false},
			{b, true}, {scalarF(p.sb), false}, {scalarQ(sp.u8, p.zb), false},
			{scalarF(p.sc), false}, {scalarQ(sp.u8, p.zc), false},
		}
		dt := onnxpb.DataTypeInt8
		if sp.u8 {
			dt = onnxpb.DataTypeUint8
		}
		run(sp.name, Case{Op: sp.op, Domain: "com.microsoft"}, ins, dt, sp.out)
	}
}

// disagreeing lists, per alternative formula, the int8-domain input pairs
// on which it and the formula ORT is believed to use (Fixed contracted as
// fma(ra, za, rb·zb), b inner, FMAs) disagree. Add alternatives: "nc" (no
// contraction of Fixed), "c2" (contracted the other way round), "order"
// (a inner), "muladd" (no FMA); Mul: "fma" (an FMA instead of mul + add).
func disagreeing(op string, p params, off int) map[string][][2]int {
	ra, rb := p.sa/p.sc, p.sb/p.sc
	fix := float32(p.zc) - fma32(ra, float32(p.za), float32(rb*float32(p.zb)))
	fixNC := float32(p.zc) - (float32(ra*float32(p.za)) + float32(rb*float32(p.zb)))
	fixC2 := float32(p.zc) - fma32(rb, float32(p.zb), float32(ra*float32(p.za)))
	ratio := float32(p.sa*p.sb) / p.sc
	m := map[string][][2]int{}
	for x := -128; x < 128; x++ {
		for y := -128; y < 128; y++ {
			av, bv := float32(x+off), float32(y+off)
			alt := map[string]bool{}
			if op == "QLinearAdd" {
				f := rne(fma32(av, ra, fma32(bv, rb, fix)))
				alt["nc"] = f != rne(fma32(av, ra, fma32(bv, rb, fixNC)))
				alt["c2"] = f != rne(fma32(av, ra, fma32(bv, rb, fixC2)))
				alt["order"] = f != rne(fma32(bv, rb, fma32(av, ra, fix)))
				alt["muladd"] = f != rne(float32(float32(fix+float32(av*ra))+float32(bv*rb)))
			} else {
				pr := float32((int(av) - p.za) * (int(bv) - p.zb))
				alt["fma"] = rne(float32(float32(pr*ratio)+float32(p.zc))) != rne(fma32(pr, ratio, float32(p.zc)))
			}
			for k, d := range alt {
				if d {
					m[k] = append(m[k], [2]int{x, y})
				}
			}
		}
	}
	return m
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// set stores the int8-domain value v (−128…127) at i, as the model's type.
func set(a *npy.Array, i, v int) {
	if a.DType == "uint8" {
		a.U8[i] = uint8(v + 128)
	} else {
		a.I8[i] = int8(v)
	}
}

func gapCases(r *rand.Rand) {
	for _, sp := range []struct {
		name   string
		u8     bool
		shape  []int
		xs, ys float32
	}{
		{"gap_s8", false, []int{1, 24, 7, 7}, 0.04, 0.01},
		{"gap_u8", true, []int{2, 13, 5, 5}, 0.03, 0.02},
		{"gap_ties_s8", false, []int{1, 16, 2, 2}, 1, 1}, // scale 1/4: many exact halves
	} {
		x := randQ(r, sp.u8, sp.shape...)
		xz, yz := r.IntN(256), r.IntN(256)
		if !sp.u8 {
			xz, yz = xz-128, yz-128
		}
		ins := []input{{x, true}, {scalarF(sp.xs), false}, {scalarQ(sp.u8, xz), false},
			{scalarF(sp.ys), false}, {scalarQ(sp.u8, yz), false}}
		dt := onnxpb.DataTypeInt8
		if sp.u8 {
			dt = onnxpb.DataTypeUint8
		}
		run(sp.name, Case{Op: "QLinearGlobalAveragePool", Domain: "com.microsoft",
			Attrs: map[string][]int{"channels_last": {0}}}, ins, dt, []int{sp.shape[0], sp.shape[1], 1, 1})
	}
}

// logistic is MLAS's rational logistic approximation with FMAs (the x86
// FMA3 kernel) or with separate multiplies and adds.
func logistic(x float32, fma bool) float32 {
	f := func(a, b, c float32) float32 {
		if fma {
			return fma32(a, b, c)
		}
		return float32(a*b) + c
	}
	x = min(max(x, -18), 18)
	x2 := x * x
	p := f(x2, 4.37031012579801e-11, 1.15627324459942e-07)
	p = f(x2, p, 6.08574864600143e-05)
	p = f(x2, p, 8.51377133304701e-03)
	p = f(x2, p, 2.48287947061529e-01)
	q := f(x2, 6.10247389755681e-13, 5.76102136993427e-09)
	q = f(x2, q, 6.29106785017040e-06)
	q = f(x2, q, 1.70198817374094e-03)
	q = f(x2, q, 1.16817656904453e-01)
	q = f(x2, q, 9.93151921023180e-01)
	return max(x*p/q+0.5, 0)
}

// sigmoidDiffers reports whether the FMA and the mul+add logistic give a
// different quantized table for these parameters (int8 domain).
func sigmoidDiffers(xs float32, xz int, ys float32, yz int) bool {
	for v := -128; v < 128; v++ {
		x := xs * float32(v-xz)
		q1 := rne(logistic(x, true) / ys)
		q2 := rne(logistic(x, false) / ys)
		if max(min(q1+yz, 127), -128) != max(min(q2+yz, 127), -128) {
			return true
		}
	}
	return false
}

func sigmoidCases(r *rand.Rand) {
	// Parameters on which the FMA order of MLAS's logistic matters.
	var fxs, fys float32
	var fxz, fyz int
	for {
		fxs, fys = float32(0.01+r.Float64()*0.3), float32(1/(64+r.Float64()*448))
		fxz, fyz = r.IntN(256)-128, r.IntN(256)-128
		if sigmoidDiffers(fxs, fxz, fys, fyz) {
			break
		}
	}
	for _, sp := range []struct {
		name   string
		u8     bool
		xs, ys float32
		xz, yz int
	}{
		{"sigmoid_s8", false, 0.06, 1.0 / 256, 1000, 0},
		{"sigmoid_u8", true, 0.1, 1.0 / 255, 1000, 0},
		{"sigmoid_wide_s8", false, 0.2, 0.0035, 1000, 0},
		{"sigmoid_fma_s8", false, fxs, fys, fxz, fyz},
	} {
		x := randQ(r, sp.u8, 1, 256)
		for i := 0; i < 256; i++ {
			set(x, i, i-128) // every value once
		}
		xz, yz := r.IntN(256), r.IntN(256)
		if !sp.u8 {
			xz, yz = xz-128, yz-128
		}
		if sp.xz != 1000 {
			xz, yz = sp.xz, sp.yz
		}
		ins := []input{{x, true}, {scalarF(sp.xs), false}, {scalarQ(sp.u8, xz), false},
			{scalarF(sp.ys), false}, {scalarQ(sp.u8, yz), false}}
		dt := onnxpb.DataTypeInt8
		if sp.u8 {
			dt = onnxpb.DataTypeUint8
		}
		run(sp.name, Case{Op: "QLinearSigmoid", Domain: "com.microsoft"}, ins, dt, []int{1, 256})
	}
}

func quantizeCases(r *rand.Rand) {
	for _, sp := range []struct {
		name  string
		u8    bool
		scale float32
		zero  int
	}{
		{"quantize_s8", false, 0.05, -7},
		{"quantize_u8", true, 0.0173, 131},
	} {
		n := 1000
		x := make([]float32, n)
		for i := range x {
			switch i % 4 {
			case 0: // exact halves of the scale: ties
				x[i] = float32(r.IntN(400)-200) * sp.scale / 2
			case 1:
				x[i] = float32(r.NormFloat64() * 3)
			case 2:
				x[i] = float32(r.NormFloat64() * 100) // saturating
			default:
				x[i] = float32(r.IntN(300)-150) * 0.025
			}
		}
		q := scalarQ(sp.u8, sp.zero)
		run(sp.name, Case{Op: "QuantizeLinear"}, []input{{f32s([]int{1, n}, x...), true}, {scalarF(sp.scale), false}, {q, false}},
			dtypeOf(q), []int{1, n})
		// DequantizeLinear of the same type.
		d := randQ(r, sp.u8, 1, 300)
		run(strings.Replace(sp.name, "quantize", "dequantize", 1), Case{Op: "DequantizeLinear"},
			[]input{{d, true}, {scalarF(sp.scale), false}, {scalarQ(sp.u8, sp.zero), false}},
			onnxpb.DataTypeFloat, []int{1, 300})
	}
}
