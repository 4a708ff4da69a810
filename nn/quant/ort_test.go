package quant

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/kernels"
)

// The proof that the ONNX Runtime mode matches ORT: one-node models of
// every quantized operator, run once by ONNX Runtime 1.30 (x86-64, AVX-512
// VNNI machine) with kernels/testdata/ort/gen.go, replayed here through
// this package's parameter maths and the int8 kernels, compared bit for bit.

const ortFixtures = "../../kernels/testdata/ort"

type ortCase struct {
	Op      string           `json:"op"`
	Domain  string           `json:"domain"`
	Attrs   map[string][]int `json:"attrs"`
	Runtime []bool           `json:"runtime"`
	dir     string
	in      []*npy.Array
	out     *npy.Array
}

func loadORTCases(t *testing.T) []*ortCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(ortFixtures, "*", "case.json"))
	if err != nil || len(dirs) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ORT fixtures missing in %s (regenerate with go run ./kernels/testdata/ort/gen.go)", ortFixtures)
		}
		t.Skipf("ORT fixtures missing in %s", ortFixtures)
	}
	var cs []*ortCase
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := &ortCase{dir: filepath.Dir(f)}
		if err := json.Unmarshal(b, c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range c.Runtime {
			a, err := npy.ReadFile(filepath.Join(c.dir, "in"+strconv.Itoa(i)+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			c.in = append(c.in, a)
		}
		if c.out, err = npy.ReadFile(filepath.Join(c.dir, "out.npy")); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return cs
}

// s8 converts an int8 or uint8 array to the int8 domain (uint8: q−128).
func s8(a *npy.Array) []int8 {
	if a.DType == "uint8" {
		s := make([]int8, len(a.U8))
		for i, v := range a.U8 {
			s[i] = int8(int32(v) - 128)
		}
		return s
	}
	return a.I8
}

func zps(a *npy.Array) []int32 {
	var z []int32
	for _, v := range s8(a) {
		z = append(z, int32(v))
	}
	return z
}

func offset(a *npy.Array) int32 {
	if a.DType == "uint8" {
		return 128
	}
	return 0
}

func nchwToNHWC(x []int8, n, c, hw int) []int8 {
	y := make([]int8, len(x))
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			for p := 0; p < hw; p++ {
				y[(b*hw+p)*c+ch] = x[(b*c+ch)*hw+p]
			}
		}
	}
	return y
}

func (c *ortCase) compare(t *testing.T, got []int8) {
	t.Helper()
	want := s8(c.out)
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs, ORT has %d", c.dir, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if got[i] != want[i] {
			if bad < 5 {
				t.Errorf("%s: element %d = %d, ORT %d (int8 domain)", c.dir, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d elements differ from ONNX Runtime", c.dir, bad, len(got))
	}
}

func TestONNXRuntimeBitExact(t *testing.T) {
	seen := map[string]int{}
	for _, c := range loadORTCases(t) {
		seen[c.Op]++
		switch c.Op {
		case "QLinearConv":
			ortConv(t, c)
		case "QLinearMatMul":
			ortMatMul(t, c)
		case "QLinearAdd", "QLinearMul":
			ortBinary(t, c)
		case "QLinearGlobalAveragePool":
			ortGAP(t, c)
		case "QLinearSigmoid":
			ortSigmoid(t, c)
		case "QuantizeLinear":
			ortQuantize(t, c)
		case "DequantizeLinear":
			ortDequantize(t, c)
		default:
			t.Errorf("%s: unknown op %s", c.dir, c.Op)
		}
	}
	for _, op := range []string{"QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul",
		"QLinearGlobalAveragePool", "QLinearSigmoid", "QuantizeLinear", "DequantizeLinear"} {
		if seen[op] == 0 {
			t.Errorf("no ORT fixture for %s", op)
		}
	}
	t.Logf("cases per op: %v", seen)
}

func params(scale, zero *npy.Array) Params {
	return Params{Scale: scale.F32[0], Zero: zps(zero)[0]}
}

func ortConv(t *testing.T, c *ortCase) {
	xs := c.in[0].Shape
	ws := c.in[3].Shape
	n, ch, h, w := xs[0], xs[1], xs[2], xs[3]
	oc, cg, kh, kw := ws[0], ws[1], ws[2], ws[3]
	a := c.Attrs
	ys := c.out.Shape
	g := kernels.ConvGeom{N: n, H: h, W: w, C: ch, OH: ys[2], OW: ys[3], OC: oc, KH: kh, KW: kw,
		SH: a["strides"][0], SW: a["strides"][1], DH: a["dilations"][0], DW: a["dilations"][1],
		PadT: a["pads"][0], PadL: a["pads"][1], Groups: a["group"][0]}
	x := nchwToNHWC(s8(c.in[0]), n, ch, h*w)
	wt := s8(c.in[3])
	wo := make([]int8, len(wt)) // OIHW → OHWI
	for o := 0; o < oc; o++ {
		for i := 0; i < cg; i++ {
			for p := 0; p < kh*kw; p++ {
				wo[(o*kh*kw+p)*cg+i] = wt[(o*cg+i)*kh*kw+p]
			}
		}
	}
	var bias []int32
	if len(c.in) > 8 {
		bias = c.in[8].I32
	}
	rq, err := RequantORT(c.in[1].F32[0], c.in[4].F32, params(c.in[6], c.in[7]))
	if err != nil {
		t.Fatal(err)
	}
	conv := kernels.PackConvS8(g, wo, zps(c.in[5]), bias, zps(c.in[2])[0], rq)
	y := make([]int8, n*ys[2]*ys[3]*oc)
	conv.Run(x, y, make([]byte, conv.ScratchBytes()))
	want := nchwToNHWC(s8(c.out), n, oc, ys[2]*ys[3])
	c.compareRaw(t, y, want, conv.Algo())
}

func (c *ortCase) compareRaw(t *testing.T, got, want []int8, what string) {
	t.Helper()
	bad := 0
	for i := range got {
		if got[i] != want[i] {
			if bad < 5 {
				t.Errorf("%s (%s): element %d = %d, ORT %d", c.dir, what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 || len(got) != len(want) {
		t.Fatalf("%s (%s): %d of %d elements differ from ONNX Runtime", c.dir, what, bad, len(want))
	}
}

func ortMatMul(t *testing.T, c *ortCase) {
	as, bs := c.in[0].Shape, c.in[3].Shape
	K, N := as[len(as)-1], bs[len(bs)-1]
	M := 1
	for _, d := range as[:len(as)-1] {
		M *= d
	}
	rq, err := RequantORT(c.in[1].F32[0], c.in[4].F32, params(c.in[6], c.in[7]))
	if err != nil {
		t.Fatal(err)
	}
	a, b := s8(c.in[0]), s8(c.in[3])
	y := make([]int8, len(s8(c.out)))
	az := zps(c.in[2])[0]
	if !c.Runtime[3] && len(bs) == 2 {
		d := kernels.PackDenseS8(K, N, b, false, zps(c.in[5]), nil, az, rq)
		d.Run(a, M, y)
	} else {
		batch := len(b) / (K * N)
		rows := M / batch
		mm := kernels.NewMatMulS8(N, az, zps(c.in[5]), rq)
		for i := 0; i < batch; i++ {
			mm.Run(rows, K, a[i*rows*K:], b[i*K*N:], y[i*rows*N:])
		}
	}
	c.compare(t, y)
}

// ortScalarA reports whether ORT's broadcasting treats A as the scalar of
// each span: A is constant along the innermost non-unit output axis and B
// is not.
func ortScalarA(as, bs, ys []int) bool {
	for i := 1; i <= len(ys); i++ {
		if ys[len(ys)-i] == 1 {
			continue
		}
		da, db := 1, 1
		if i <= len(as) {
			da = as[len(as)-i]
		}
		if i <= len(bs) {
			db = bs[len(bs)-i]
		}
		return da == 1 && db != 1
	}
	return false
}

func ortBinary(t *testing.T, c *ortCase) {
	pa, pb, pc := params(c.in[1], c.in[2]), params(c.in[4], c.in[5]), params(c.in[6], c.in[7])
	a, b := s8(c.in[0]), s8(c.in[3])
	as, bs := c.in[0].Shape, c.in[3].Shape
	off := offset(c.in[0])
	if ortScalarA(as, bs, c.out.Shape) { // MLAS evaluates the scalar operand first
		pa, pb, a, b, as, bs = pb, pa, b, a, bs, as
	}
	var tab *kernels.BinaryS8
	if c.Op == "QLinearAdd" {
		p, err := AddORT(pa, pb, pc, off)
		if err != nil {
			t.Fatal(err)
		}
		tab = kernels.NewBinaryS8(p.Eval)
	} else {
		p, err := MulORT(pa, pb, pc, off)
		if err != nil {
			t.Fatal(err)
		}
		tab = kernels.NewBinaryS8(p.Eval)
	}
	y := make([]int8, len(s8(c.out)))
	tab.Run(a, as, b, bs, y, c.out.Shape)
	c.compare(t, y)
}

func ortGAP(t *testing.T, c *ortCase) {
	xs := c.in[0].Shape
	n, ch, hw := xs[0], xs[1], xs[2]*xs[3]
	rq, err := GlobalAvgPoolRequantORT(params(c.in[1], c.in[2]), params(c.in[3], c.in[4]), hw)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]int8, n*ch)
	kernels.GlobalAvgPoolS8(n, hw, ch, nchwToNHWC(s8(c.in[0]), n, ch, hw), zps(c.in[2])[0], y, rq)
	c.compare(t, y)
}

func ortSigmoid(t *testing.T, c *ortCase) {
	tab, err := SigmoidTableORT(params(c.in[1], c.in[2]), params(c.in[3], c.in[4]))
	if err != nil {
		t.Fatal(err)
	}
	x := s8(c.in[0])
	y := make([]int8, len(x))
	kernels.LUTS8(tab, x, y)
	c.compare(t, y)
}

func ortQuantize(t *testing.T, c *ortCase) {
	x := c.in[0].F32
	y := make([]int8, len(x))
	kernels.QuantizeS8(kernels.RequantFloat, x, c.in[1].F32[0], zps(c.in[2])[0], y)
	c.compare(t, y)
}

func ortDequantize(t *testing.T, c *ortCase) {
	q := s8(c.in[0])
	y := make([]float32, len(q))
	kernels.DequantizeS8(q, c.in[1].F32[0], zps(c.in[2])[0], y)
	if !slices.EqualFunc(y, c.out.F32, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
		t.Errorf("%s: DequantizeS8 differs from ONNX Runtime", c.dir)
	}
}
