package toonnx_test

import (
	"errors"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite"
	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

func randF32(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

// opsModel is a float model with every operator the converter covers
// besides vww's, with four outputs: probabilities, a ReduceMean over
// channels, a flattened rank-4 tensor (element order) and a rank-4 tensor
// the converted graph holds channels-first (transposed back on output).
func opsModel() []byte {
	rng := rand.New(rand.NewSource(7))
	m := tflitetest.NewModel()
	f := fb.TypeFloat32
	x := m.Tensor("input", f, 1, 8, 8, 3)
	m.Inputs = []int32{x}

	w1 := m.ConstF32("w1", randF32(rng, 6*3*3*3), 6, 3, 3, 3)
	b1 := m.ConstF32("b1", randF32(rng, 6), 6)
	t1 := m.Tensor("conv", f, 1, 4, 4, 6)
	m.Op(fb.OpConv2D, []int32{x, w1, b1}, []int32{t1}, fb.OptionsConv2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingSame)).I32(1, 2).I32(2, 2).I8(3, int8(fb.ActRelu6)))

	w2 := m.ConstF32("w2", randF32(rng, 3*3*12), 1, 3, 3, 12)
	b2 := m.ConstF32("b2", randF32(rng, 12), 12)
	t2 := m.Tensor("dw", f, 1, 4, 4, 12)
	m.Op(fb.OpDepthwiseConv2D, []int32{t1, w2, b2}, []int32{t2}, fb.OptionsDepthwiseConv2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingSame)).I32(1, 1).I32(2, 1).I32(3, 2).I8(4, int8(fb.ActRelu)))

	c3 := m.ConstF32("c3", randF32(rng, 12), 12)
	t3 := m.Tensor("add", f, 1, 4, 4, 12)
	m.Op(fb.OpAdd, []int32{t2, c3}, []int32{t3}, fb.OptionsAdd, fbtest.Tbl())
	t4 := m.Tensor("mul", f, 1, 4, 4, 12)
	m.Op(fb.OpMul, []int32{t2, t3}, []int32{t4}, fb.OptionsMul, fbtest.Tbl().I8(0, int8(fb.ActReluN1To1)))
	t5 := m.Tensor("hswish", f, 1, 4, 4, 12)
	m.Op(fb.OpHardSwish, []int32{t4}, []int32{t5}, fb.OptionsHardSwish, nil)
	t6 := m.Tensor("maxpool", f, 1, 2, 2, 12)
	m.Op(fb.OpMaxPool2D, []int32{t5}, []int32{t6}, fb.OptionsPool2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingValid)).I32(1, 2).I32(2, 2).I32(3, 2).I32(4, 2))
	pads := m.ConstI32("pads", []int32{0, 0, 1, 0, 0, 1, 0, 0}, 4, 2)
	t7 := m.Tensor("pad", f, 1, 3, 3, 12)
	m.Op(fb.OpPad, []int32{t6, pads}, []int32{t7}, fb.OptionsPad, nil)
	t8 := m.Tensor("sigmoid", f, 1, 3, 3, 12)
	m.Op(fb.OpLogistic, []int32{t7}, []int32{t8}, fb.OptionsNone, nil)
	t9 := m.Tensor("concat", f, 1, 3, 3, 24)
	m.Op(fb.OpConcatenation, []int32{t8, t7}, []int32{t9}, fb.OptionsConcatenation, fbtest.Tbl().I32(0, -1))
	t10 := m.Tensor("relu", f, 1, 3, 3, 24)
	m.Op(fb.OpRelu, []int32{t9}, []int32{t10}, fb.OptionsNone, nil)
	t11 := m.Tensor("avgpool", f, 1, 3, 3, 24)
	m.Op(fb.OpAveragePool2D, []int32{t10}, []int32{t11}, fb.OptionsPool2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingSame)).I32(1, 1).I32(2, 1).I32(3, 2).I32(4, 2))
	ax := m.ConstI32("axes", []int32{1, 2}, 2)
	t12 := m.Tensor("mean", f, 1, 1, 1, 24)
	m.Op(fb.OpMean, []int32{t11, ax}, []int32{t12}, fb.OptionsReducer, fbtest.Tbl().U8(0, 1))
	t13 := m.Tensor("squeeze", f, 1, 24)
	m.Op(fb.OpSqueeze, []int32{t12}, []int32{t13}, fb.OptionsSqueeze, fbtest.Tbl().Ref(0, fbtest.VI32(1, 2)))
	wf := m.ConstF32("wf", randF32(rng, 5*24), 5, 24)
	bf := m.ConstF32("bf", randF32(rng, 5), 5)
	t14 := m.Tensor("fc", f, 1, 5)
	m.Op(fb.OpFullyConnected, []int32{t13, wf, bf}, []int32{t14}, fb.OptionsFullyConnected, fbtest.Tbl())
	t15 := m.Tensor("probs", f, 1, 5)
	m.Op(fb.OpSoftmax, []int32{t14}, []int32{t15}, fb.OptionsSoftmax, fbtest.Tbl().F32(0, 1))
	ax2 := m.ConstI32("axes2", []int32{-1}, 1)
	t16 := m.Tensor("chanmean", f, 1, 3, 3)
	m.Op(fb.OpMean, []int32{t11, ax2}, []int32{t16}, fb.OptionsReducer, fbtest.Tbl())
	t17 := m.Tensor("flat", f, 1, 216)
	m.Op(fb.OpReshape, []int32{t10}, []int32{t17}, fb.OptionsReshape, fbtest.Tbl().Ref(0, fbtest.VI32(1, 216)))
	m.Outputs = []int32{t15, t16, t17, t11}
	return m.Bytes()
}

// TestOpsMatchTFLiteImporter runs the converted opsModel against ocellus's
// TFLite importer on random inputs.
func TestOpsMatchTFLiteImporter(t *testing.T) {
	b := opsModel()
	tm, err := tflite.Import(b)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := nn.FromTFLite(tm, nil)
	if err != nil {
		t.Fatal(err)
	}
	conv := compileONNX(t, b)
	if len(conv.Outputs()) != 4 {
		t.Fatalf("%d outputs, want 4", len(conv.Outputs()))
	}
	for i, o := range conv.Outputs() {
		if want := ref.Outputs()[i]; o.Name != want.Name || !equalInts(o.Shape, want.Shape) {
			t.Errorf("output %d: %s %v, want %s %v", i, o.Name, o.Shape, want.Name, want.Shape)
		}
	}
	rs, cs := ref.NewSession(), conv.NewSession()
	defer rs.Close()
	defer cs.Close()
	rng := rand.New(rand.NewSource(3))
	for k := range 4 {
		x := tensor.New(tensor.Float32, 1, 8, 8, 3)
		copy(x.F32, randF32(rng, len(x.F32)))
		ro, err := rs.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		want := make([][]float32, len(ro))
		for i, o := range ro {
			want[i] = append([]float32(nil), o.F32...)
		}
		co, err := cs.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			d, s := 0.0, 0.0
			for j := range want[i] {
				d = math.Max(d, math.Abs(float64(want[i][j])-float64(co[i].F32[j])))
				s = math.Max(s, math.Abs(float64(want[i][j])))
			}
			if d > 1e-5*math.Max(1, s) || s == 0 {
				t.Errorf("input %d output %d: max |Δ| %g (max |y| %g)", k, i, d, s)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestUnsupportedOp: the error names the operator and its index.
func TestUnsupportedOp(t *testing.T) {
	m := tflitetest.NewModel()
	x := m.Tensor("input", fb.TypeFloat32, 1, 4)
	y := m.Tensor("relu", fb.TypeFloat32, 1, 4)
	z := m.Tensor("tanh", fb.TypeFloat32, 1, 4)
	m.Inputs, m.Outputs = []int32{x}, []int32{z}
	m.Op(fb.OpRelu, []int32{x}, []int32{y}, fb.OptionsNone, nil)
	m.Op(fb.OpTanh, []int32{y}, []int32{z}, fb.OptionsNone, nil)
	_, err := toonnx.ToONNX(m.Bytes())
	if !errors.Is(err, toonnx.ErrUnsupported) || !strings.Contains(err.Error(), "operator 1 (TANH)") {
		t.Errorf("TANH: %v, want ErrUnsupported naming operator 1 (TANH)", err)
	}
}

// TestQuantizedTensorRefused: one int8 tensor makes the model quantized.
func TestQuantizedTensorRefused(t *testing.T) {
	m := tflitetest.NewModel()
	x := m.Tensor("input", fb.TypeInt8, 1, 4)
	y := m.Tensor("relu", fb.TypeInt8, 1, 4)
	m.Inputs, m.Outputs = []int32{x}, []int32{y}
	m.Op(fb.OpRelu, []int32{x}, []int32{y}, fb.OptionsNone, nil)
	if _, err := toonnx.ToONNX(m.Bytes()); !errors.Is(err, toonnx.ErrQuantized) {
		t.Errorf("int8 model: %v, want ErrQuantized", err)
	}
}
