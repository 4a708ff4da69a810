package onnx_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// ONNX Runtime's dynamic quantization (quantize_dynamic) turns a Conv or a
// MatMul into DynamicQuantizeLinear → ConvInteger/MatMulInteger → Cast →
// Mul(x_scale·w_scale). These tests build such graphs and run them.

func bytesInit(name string, dt onnxpb.DataType, v []byte, dims ...int64) *onnxpb.Tensor {
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: dt, RawData: v}
}

func ints(name string, v ...int64) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInts, Ints: v}
}

func model(nodes []*onnxpb.Node, inits []*onnxpb.Tensor, in *onnxpb.ValueInfo) []byte {
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []*onnxpb.OperatorSetID{{Version: 13}},
		Graph: &onnxpb.Graph{Nodes: nodes, Initializers: inits, Inputs: []*onnxpb.ValueInfo{in},
			Outputs: []*onnxpb.ValueInfo{{Name: "y"}}}}
	return m.Marshal()
}

// dynamicChain is DynamicQuantizeLinear(x) → op(xq, w, xz, wz) → Cast → Mul
// by x_scale·w_scale, the graph quantize_dynamic writes.
func dynamicChain(op string, attrs []*onnxpb.Attribute) []*onnxpb.Node {
	return []*onnxpb.Node{
		{Name: "dql", OpType: "DynamicQuantizeLinear", Inputs: []string{"x"}, Outputs: []string{"xq", "xs", "xz"}},
		{Name: "int", OpType: op, Inputs: []string{"xq", "w", "xz", "wz"}, Outputs: []string{"acc"}, Attributes: attrs},
		{Name: "cast", OpType: "Cast", Inputs: []string{"acc"}, Outputs: []string{"accf"},
			Attributes: []*onnxpb.Attribute{{Name: "to", Type: onnxpb.AttrTypeInt, I: int64(onnxpb.DataTypeFloat)}}},
		{Name: "scale", OpType: "Mul", Inputs: []string{"xs", "ws"}, Outputs: []string{"s"}},
		{Name: "out", OpType: "Mul", Inputs: []string{"accf", "s"}, Outputs: []string{"y"}},
	}
}

// refDQL is DynamicQuantizeLinear in numpy's float32 arithmetic.
func refDQL(x []float32) ([]int32, float32, int32) {
	lo, hi := float32(0), float32(0)
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	s := (hi - lo) / 255
	z := int32(math.RoundToEven(float64(min(max(-lo/s, 0), 255))))
	q := make([]int32, len(x))
	for i, v := range x {
		q[i] = int32(max(0, min(255, math.RoundToEven(float64(v/s))+float64(z))))
	}
	return q, s, z
}

func run(t *testing.T, b []byte, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	im, err := onnx.Import(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.FromONNX(im, nil)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := m.NewSession().Run(x)
	if err != nil {
		t.Fatal(err)
	}
	return outs[0]
}

func randX(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64()) + 0.3
	}
	return x
}

// TestDynamicQuantizedConvRuns: an NCHW float input through the chain with
// uint8 weights, a per-output-channel weight zero point, stride and pads.
// The result equals the integer convolution of the reference quantization
// times x_scale·w_scale, and approximates the float convolution.
func TestDynamicQuantizedConvRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	const n, c, h, w, oc, k = 1, 3, 6, 5, 4, 3
	x := randX(r, n*c*h*w)
	wq := make([]byte, oc*c*k*k)
	for i := range wq {
		wq[i] = byte(r.IntN(256))
	}
	wz := []byte{120, 128, 131, 140}
	ws := float32(0.01)
	b := model(dynamicChain("ConvInteger", []*onnxpb.Attribute{ints("pads", 1, 1, 1, 1), ints("strides", 2, 1), ints("kernel_shape", k, k)}),
		[]*onnxpb.Tensor{bytesInit("w", onnxpb.DataTypeUint8, wq, oc, c, k, k), bytesInit("wz", onnxpb.DataTypeUint8, wz, oc),
			{Name: "ws", DataType: onnxpb.DataTypeFloat, FloatData: []float32{ws}}},
		onnxpb.TensorValueInfo("x", onnxpb.DataTypeFloat, n, c, h, w))
	y := run(t, b, tensor.FromF32(x, n, c, h, w))
	const oh, ow = 3, 5
	if y.DType != tensor.Float32 || len(y.Shape) != 4 || y.Shape[1] != oc || y.Shape[2] != oh || y.Shape[3] != ow {
		t.Fatalf("output %v, want float32[1 %d %d %d]", y, oc, oh, ow)
	}
	xq, xs, xz := refDQL(x)
	s := xs * ws
	var maxAbs, maxErr float64
	for o := 0; o < oc; o++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				var acc int32
				var f float64
				for ci := 0; ci < c; ci++ {
					for ki := 0; ki < k; ki++ {
						for kj := 0; kj < k; kj++ {
							yy, xx := i*2-1+ki, j-1+kj
							if yy < 0 || yy >= h || xx < 0 || xx >= w {
								continue
							}
							xi := (ci*h+yy)*w + xx
							wv := int32(wq[((o*c+ci)*k+ki)*k+kj]) - int32(wz[o])
							acc += (xq[xi] - xz) * wv
							f += float64(x[xi]) * float64(wv) * float64(ws)
						}
					}
				}
				got := y.F32[(o*oh+i)*ow+j]
				if want := float32(acc) * s; got != want {
					t.Fatalf("y[0 %d %d %d] = %g, want %g (accumulator %d)", o, i, j, got, want, acc)
				}
				maxAbs = max(maxAbs, math.Abs(f))
				maxErr = max(maxErr, math.Abs(float64(got)-f))
			}
		}
	}
	// Each of at most 27 taps is off by at most xs/2·|w − wz|·ws.
	if maxErr > 27*float64(xs)/2*140*float64(ws) || maxErr > 0.1*maxAbs {
		t.Errorf("largest difference from the float convolution %g (largest output %g)", maxErr, maxAbs)
	}
}

// TestDynamicQuantizedMatMulRuns: a batched [2,3,5] float input times int8
// weights [5,4] with a per-column zero point.
func TestDynamicQuantizedMatMulRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 1))
	const bt, m, k, n = 2, 3, 5, 4
	x := randX(r, bt*m*k)
	wq := make([]byte, k*n)
	for i := range wq {
		wq[i] = byte(int8(r.IntN(255) - 127))
	}
	wz := []byte{0, 3, 251, 1} // int8 0, 3, −5, 1
	ws := float32(0.02)
	b := model(dynamicChain("MatMulInteger", nil),
		[]*onnxpb.Tensor{bytesInit("w", onnxpb.DataTypeInt8, wq, k, n), bytesInit("wz", onnxpb.DataTypeInt8, wz, n),
			{Name: "ws", DataType: onnxpb.DataTypeFloat, FloatData: []float32{ws}}},
		onnxpb.TensorValueInfo("x", onnxpb.DataTypeFloat, bt, m, k))
	y := run(t, b, tensor.FromF32(x, bt, m, k))
	if y.DType != tensor.Float32 || len(y.Shape) != 3 || y.Shape[0] != bt || y.Shape[1] != m || y.Shape[2] != n {
		t.Fatalf("output %v, want float32[%d %d %d]", y, bt, m, n)
	}
	xq, xs, xz := refDQL(x)
	for i := 0; i < bt*m; i++ {
		for j := 0; j < n; j++ {
			var acc int32
			for kk := 0; kk < k; kk++ {
				acc += (xq[i*k+kk] - xz) * (int32(int8(wq[kk*n+j])) - int32(int8(wz[j])))
			}
			if got, want := y.F32[i*n+j], float32(acc)*(xs*ws); got != want {
				t.Fatalf("y[%d %d] = %g, want %g (accumulator %d)", i, j, got, want, acc)
			}
		}
	}
}

// TestIntegerOpImportErrors: mismatched zero-point types and shapes are
// reported with the node, the op and the shapes, and wrap the package's
// sentinel errors.
func TestIntegerOpImportErrors(t *testing.T) {
	u8 := onnxpb.DataTypeUint8
	w := bytesInit("w", u8, make([]byte, 2*3*2*2), 2, 3, 2, 2)
	xin := onnxpb.TensorValueInfo("x", u8, 1, 3, 4, 4)
	conv := func(inputs ...string) []*onnxpb.Node {
		return []*onnxpb.Node{{Name: "ci", OpType: "ConvInteger", Inputs: inputs, Outputs: []string{"y"}}}
	}
	a := onnxpb.TensorValueInfo("x", u8, 5, 7)
	mm := func(inputs ...string) []*onnxpb.Node {
		return []*onnxpb.Node{{Name: "mi", OpType: "MatMulInteger", Inputs: inputs, Outputs: []string{"y"}}}
	}
	bw := bytesInit("b", u8, make([]byte, 21), 7, 3)
	cases := []struct {
		name  string
		model []byte
		want  []string
		is    error
	}{
		{"x zero point type", model(conv("x", "w", "xz"), []*onnxpb.Tensor{w, bytesInit("xz", onnxpb.DataTypeInt8, []byte{1})}, xin),
			[]string{`"ci"`, "ConvInteger", "int8", "uint8"}, onnx.ErrInvalid},
		{"w zero point length", model(conv("x", "w", "", "wz"), []*onnxpb.Tensor{w, bytesInit("wz", u8, []byte{1, 2, 3}, 3)}, xin),
			[]string{`"ci"`, "ConvInteger", "[3]", "[2 3 2 2]"}, onnx.ErrInvalid},
		{"x zero point length", model(conv("x", "w", "xz"), []*onnxpb.Tensor{w, bytesInit("xz", u8, []byte{1, 2}, 2)}, xin),
			[]string{`"ci"`, "ConvInteger", "[2]", "scalar"}, onnx.ErrInvalid},
		{"float input", model(conv("x", "w"), []*onnxpb.Tensor{w}, onnxpb.TensorValueInfo("x", onnxpb.DataTypeFloat, 1, 3, 4, 4)),
			[]string{`"ci"`, "ConvInteger", "float32"}, onnx.ErrUnsupported},
		{"a zero point length", model(mm("x", "b", "az"), []*onnxpb.Tensor{bw, bytesInit("az", u8, []byte{1, 2, 3, 4}, 4)}, a),
			[]string{`"mi"`, "MatMulInteger", "[4]", "[5]"}, nil},
		{"b zero point shape", model(mm("x", "b", "", "bz"), []*onnxpb.Tensor{bw, bytesInit("bz", u8, make([]byte, 6), 2, 3)}, a),
			[]string{`"mi"`, "MatMulInteger", "[2 3]", "[1 3]"}, nil},
		{"inner dimensions", model(mm("x", "x"), nil, a),
			[]string{`"mi"`, "MatMulInteger", "[5 7]"}, nil},
	}
	for _, c := range cases {
		_, err := onnx.Import(c.model, nil)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, s := range c.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %s", c.name, err, s)
			}
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %q is not %v", c.name, err, c.is)
		}
	}
}

// ---- agreement with ONNX Runtime ----

var dynquantWrite = flag.Bool("dynquant.write", false, "write the dynamic-quantization models and inputs to testdata/dynquant (then run its gen.sh)")

// dynquantModels are the graphs testdata/dynquant/gen.sh runs with ONNX
// Runtime 1.30.0: the ops as quantize_dynamic emits them, in the forms ORT
// implements (its ConvInteger takes a per-tensor weight zero point only).
func dynquantModels() map[string]struct {
	model []byte
	x     *tensor.Tensor
} {
	r := rand.New(rand.NewPCG(11, 12))
	bytesN := func(n int, lo, span int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(lo + r.IntN(span))
		}
		return b
	}
	ws := []*onnxpb.Tensor{{Name: "ws", DataType: onnxpb.DataTypeFloat, FloatData: []float32{0.0123}}}
	convW := bytesN(6*4*3*3, 0, 256)
	conv := model(dynamicChain("ConvInteger", []*onnxpb.Attribute{ints("pads", 1, 0, 2, 1), ints("strides", 2, 1), ints("dilations", 1, 2)}),
		append([]*onnxpb.Tensor{bytesInit("w", onnxpb.DataTypeUint8, convW, 6, 4, 3, 3), bytesInit("wz", onnxpb.DataTypeUint8, []byte{131})}, ws...),
		onnxpb.TensorValueInfo("x", onnxpb.DataTypeFloat, 2, 4, 9, 8))
	mmW := bytesN(13*7, 0, 256) // int8 bit patterns
	mm := model(dynamicChain("MatMulInteger", nil),
		append([]*onnxpb.Tensor{bytesInit("w", onnxpb.DataTypeInt8, mmW, 13, 7), bytesInit("wz", onnxpb.DataTypeInt8, bytesN(7, 0, 256), 7)}, ws...),
		onnxpb.TensorValueInfo("x", onnxpb.DataTypeFloat, 2, 5, 13))
	return map[string]struct {
		model []byte
		x     *tensor.Tensor
	}{
		"conv":   {conv, tensor.FromF32(randX(r, 2*4*9*8), 2, 4, 9, 8)},
		"matmul": {mm, tensor.FromF32(randX(r, 2*5*13), 2, 5, 13)},
	}
}

// TestDynamicQuantizedAgreesWithORT runs the dynquantModels on their stored
// inputs and compares with ONNX Runtime's outputs (testdata/dynquant,
// made by gen.sh): the integer parts are exact and the float parts are the
// same float32 operations, so the results must be identical.
func TestDynamicQuantizedAgreesWithORT(t *testing.T) {
	dir := filepath.Join("testdata", "dynquant")
	for name, c := range dynquantModels() {
		mpath, xpath := filepath.Join(dir, name+".onnx"), filepath.Join(dir, name+"_x.npy")
		if *dynquantWrite {
			if err := os.WriteFile(mpath, c.model, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := npy.WriteFile(xpath, &npy.Array{DType: "float32", Shape: c.x.Shape, F32: c.x.F32}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		stored, err := os.ReadFile(mpath)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(stored, c.model) {
			t.Fatalf("%s: the model built here differs from %s: run testdata/dynquant/gen.sh", name, mpath)
		}
		x, err := npy.ReadFile(xpath)
		if err != nil {
			t.Fatal(err)
		}
		want, err := npy.ReadFile(filepath.Join(dir, name+"_ort_y.npy"))
		if err != nil {
			t.Fatal(err)
		}
		y := run(t, c.model, tensor.FromF32(x.F32, x.Shape...))
		if want.DType != "float32" || fmt.Sprint(want.Shape) != fmt.Sprint(y.Shape) {
			t.Fatalf("%s: output %v, ORT's %s%v", name, y, want.DType, want.Shape)
		}
		nonzero := 0
		for i, v := range want.F32 {
			if y.F32[i] != v {
				t.Fatalf("%s: element %d = %g, ONNX Runtime %g", name, i, y.F32[i], v)
			}
			if v != 0 {
				nonzero++
			}
		}
		if nonzero < len(want.F32)*3/4 {
			t.Errorf("%s: only %d of %d outputs are nonzero", name, nonzero, len(want.F32))
		}
	}
}
