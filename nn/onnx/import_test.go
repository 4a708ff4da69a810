package onnx

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// tiny builds a one-node float model: input x [1,C,H,W] → node → y.
func tiny(op string, attrs []*onnxpb.Attribute, inits []*onnxpb.Tensor, inputs []string) []byte {
	dims := []*onnxpb.Dim{{Value: 1, HasValue: true}, {Value: 2, HasValue: true}, {Value: 4, HasValue: true}, {Value: 4, HasValue: true}}
	vi := func(name string) *onnxpb.ValueInfo {
		return &onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor,
			Tensor: &onnxpb.TensorType{ElemType: onnxpb.DataTypeFloat, Shape: &onnxpb.Shape{Dims: dims}}}}
	}
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []*onnxpb.OperatorSetID{{Version: 17}},
		Graph: &onnxpb.Graph{
			Nodes:        []*onnxpb.Node{{Name: "n0", OpType: op, Inputs: inputs, Outputs: []string{"y"}, Attributes: attrs}},
			Initializers: inits,
			Inputs:       []*onnxpb.ValueInfo{vi("x")},
			Outputs:      []*onnxpb.ValueInfo{{Name: "y"}},
		}}
	return m.Marshal()
}

func floatInit(name string, dims []int64, n int) *onnxpb.Tensor {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7) * 0.1
	}
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, FloatData: v}
}

func TestImportErrorsNameNodeAndOp(t *testing.T) {
	w := floatInit("w", []int64{3, 2, 3, 3}, 54)
	cases := []struct {
		name  string
		model []byte
		want  []string
		is    error
	}{
		{"unknown op", tiny("FancyOp", nil, nil, []string{"x"}), []string{`"n0"`, "FancyOp"}, ErrUnsupported},
		{"bad auto_pad", tiny("Conv", []*onnxpb.Attribute{{Name: "auto_pad", Type: onnxpb.AttrTypeString, S: []byte("SIDEWAYS")}}, []*onnxpb.Tensor{w}, []string{"x", "w"}),
			[]string{`"n0"`, "Conv", "SIDEWAYS"}, ErrUnsupported},
		{"channel mismatch", tiny("Conv", nil, []*onnxpb.Tensor{floatInit("w", []int64{3, 5, 3, 3}, 135)}, []string{"x", "w"}),
			[]string{`"n0"`, "Conv", "channels"}, nil},
		{"missing input", tiny("Relu", nil, nil, []string{"nope"}), []string{`"n0"`, "Relu", `"nope"`}, ErrInvalid},
		{"bad reshape", tiny("Reshape", nil, []*onnxpb.Tensor{{Name: "s", Dims: []int64{2}, DataType: onnxpb.DataTypeInt64, Int64Data: []int64{3, 7}}}, []string{"x", "s"}),
			[]string{`"n0"`, "Reshape", "[3 7]"}, ErrInvalid},
		{"kernel too big", tiny("MaxPool", []*onnxpb.Attribute{{Name: "kernel_shape", Type: onnxpb.AttrTypeInts, Ints: []int64{9, 9}}}, nil, []string{"x"}),
			[]string{`"n0"`, "MaxPool", "too small"}, nil},
		{"wrong attribute type", tiny("Softmax", []*onnxpb.Attribute{{Name: "axis", Type: onnxpb.AttrTypeString, S: []byte("one")}}, nil, []string{"x"}),
			[]string{`"n0"`, "Softmax", "axis"}, nil},
		{"not protobuf", []byte("this is not an onnx file"), []string{"onnx"}, nil},
		{"empty", nil, []string{"graph"}, nil},
	}
	for _, c := range cases {
		_, err := Import(c.model, nil)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", c.name, err, w)
			}
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: error %q is not %v", c.name, err, c.is)
		}
	}
}

func TestImportFileNamesFile(t *testing.T) {
	p := t.TempDir() + "/broken.onnx"
	if err := os.WriteFile(p, []byte{0x0a, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportFile(p, nil); err == nil || !strings.Contains(err.Error(), "broken.onnx") {
		t.Fatalf("error %v does not name the file", err)
	}
}

// TestTruncatedModels imports every prefix length (sampled) of a real
// model: each must fail cleanly or succeed, never panic.
func TestTruncatedModels(t *testing.T) {
	b, err := os.ReadFile(fixture.Path(t, "models", "onnx", "mnist-8.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(b, nil); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n += 1 + n/50 {
		Import(b[:n], nil)
	}
	// Flipped bytes.
	c := append([]byte(nil), b...)
	for i := 0; i < len(c); i += 97 {
		c[i] ^= 0x5a
		Import(c, nil)
		c[i] ^= 0x5a
	}
}

func TestConstantsOptionFreezesInput(t *testing.T) {
	// Reshape with a runtime shape input needs it at load time.
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []*onnxpb.OperatorSetID{{Version: 17}},
		Graph: &onnxpb.Graph{
			Nodes: []*onnxpb.Node{{Name: "r", OpType: "Reshape", Inputs: []string{"x", "s"}, Outputs: []string{"y"}}},
			Inputs: []*onnxpb.ValueInfo{
				{Name: "x", Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor, Tensor: &onnxpb.TensorType{ElemType: onnxpb.DataTypeFloat,
					Shape: &onnxpb.Shape{Dims: []*onnxpb.Dim{{Value: 2, HasValue: true}, {Value: 6, HasValue: true}}}}}},
				{Name: "s", Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor, Tensor: &onnxpb.TensorType{ElemType: onnxpb.DataTypeInt64,
					Shape: &onnxpb.Shape{Dims: []*onnxpb.Dim{{Value: 2, HasValue: true}}}}}},
			},
			Outputs: []*onnxpb.ValueInfo{{Name: "y"}},
		}}
	b := m.Marshal()
	_, err := Import(b, nil)
	var nc *NotConstError
	if !errors.As(err, &nc) || nc.Input != "s" {
		t.Fatalf("err = %v, want NotConstError for input s", err)
	}
	im, err := Import(b, &Options{Constants: map[string]*tensor.Tensor{"s": tensor.FromI64([]int64{3, -1}, 2)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Inputs) != 1 || im.Outputs[0].Shape[0] != 3 || im.Outputs[0].Shape[1] != 4 {
		t.Fatalf("inputs %v, output shape %v; want one input and [3 4]", im.Inputs, im.Outputs[0].Shape)
	}
}

// FuzzImport feeds arbitrary bytes to the importer: errors are fine,
// panics are not.
func FuzzImport(f *testing.F) {
	w := floatInit("w", []int64{3, 2, 3, 3}, 54)
	f.Add(tiny("Conv", []*onnxpb.Attribute{{Name: "pads", Type: onnxpb.AttrTypeInts, Ints: []int64{1, 1, 1, 1}}}, []*onnxpb.Tensor{w}, []string{"x", "w"}))
	f.Add(tiny("MaxPool", []*onnxpb.Attribute{{Name: "kernel_shape", Type: onnxpb.AttrTypeInts, Ints: []int64{2, 2}}}, nil, []string{"x"}))
	f.Add(tiny("Softmax", nil, nil, []string{"x"}))
	f.Add(tiny("Transpose", []*onnxpb.Attribute{{Name: "perm", Type: onnxpb.AttrTypeInts, Ints: []int64{0, 2, 3, 1}}}, nil, []string{"x"}))
	f.Add(tiny("GlobalAveragePool", nil, nil, []string{"x"}))
	f.Add(tiny("Resize", []*onnxpb.Attribute{{Name: "mode", Type: onnxpb.AttrTypeString, S: []byte("linear")}},
		[]*onnxpb.Tensor{{Name: "sc", Dims: []int64{4}, DataType: onnxpb.DataTypeFloat, FloatData: []float32{1, 1, 2, 2}}}, []string{"x", "", "sc"}))
	f.Add(tiny("Pad", []*onnxpb.Attribute{{Name: "mode", Type: onnxpb.AttrTypeString, S: []byte("reflect")}},
		[]*onnxpb.Tensor{{Name: "p", Dims: []int64{8}, DataType: onnxpb.DataTypeInt64, Int64Data: []int64{0, 0, 1, 1, 0, 0, 1, 1}}}, []string{"x", "p"}))
	if b, err := os.ReadFile(fixture.Dir() + "/models/onnx/mnist-8.onnx"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Import(b, nil)
		if err == nil && m.Graph.Validate() != nil {
			t.Fatalf("imported graph does not validate: %v", m.Graph.Validate())
		}
	})
}
