package toonnx_test

import (
	"errors"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite"
	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

// TestOpsMatchTFLiteImporter runs the converted tflitetest.FloatOps model against ocellus's
// TFLite importer on random inputs.
func TestOpsMatchTFLiteImporter(t *testing.T) {
	b := tflitetest.FloatOps()
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
		if want := ref.Outputs()[i]; o.Name != want.Name || !slices.Equal(o.Shape, want.Shape) {
			t.Errorf("output %d: %s %v, want %s %v", i, o.Name, o.Shape, want.Name, want.Shape)
		}
	}
	rs, cs := ref.NewSession(), conv.NewSession()
	defer rs.Close()
	defer cs.Close()
	rng := rand.New(rand.NewSource(3))
	for k := range 4 {
		x := tensor.New(tensor.Float32, 1, 8, 8, 3)
		copy(x.F32, tflitetest.RandF32(rng, len(x.F32)))
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
