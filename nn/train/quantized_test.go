package train

import (
	"math"
	"testing"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestFloatTwinMobileNetV2Int8: the float twin of the QOperator int8
// MobileNetV2 is float32 throughout and computes what the Python-derived
// dequantized model (ASSETS.md §1.2, --clip=all: the same rules) computes,
// up to the twin's clip of the input to the input quantization's range;
// it stays close to the int8 model itself.
func TestFloatTwinMobileNetV2Int8(t *testing.T) {
	q := loadForTraining(t, "mobilenetv2-12-int8.onnx")
	ref := loadForTraining(t, "mobilenetv2-1.0-imagenet-dequant.onnx")
	if !Quantized(q.Graph()) || Quantized(ref.Graph()) {
		t.Fatal("Quantized: want true for the int8 model, false for the float one")
	}
	tw, err := FloatTwin(q.Graph())
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range tw.Nodes {
		if n.Name != q.Graph().Nodes[i].Name {
			t.Fatalf("node %d: %q, the int8 graph's %q", i, n.Name, q.Graph().Nodes[i].Name)
		}
		for _, id := range n.Outputs {
			if id >= 0 && (tw.Tensors[id].Quant != nil || tw.Tensors[id].DType.String() != "float32") {
				t.Fatalf("node %q output %q is %v (quant %v)", n.Name, tw.Tensors[id].Name, tw.Tensors[id].DType, tw.Tensors[id].Quant != nil)
			}
		}
	}
	m, err := CompileInference(tw, q.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := hymenopteraImages(t, "val", 2)
	xs := imageTensors(t, paths)
	run := func(m *nn.Model, x *tensor.Tensor) []float32 {
		s := m.NewSession()
		defer s.Close()
		outs, err := s.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), outs[0].F32...)
	}
	for i, x := range xs {
		a, b, c := run(m, x), run(ref, x), run(q, x)
		var dRef, dQ float64
		for j := range a {
			dRef = math.Max(dRef, math.Abs(float64(a[j]-b[j])))
			dQ = math.Max(dQ, math.Abs(float64(a[j]-c[j])))
		}
		t.Logf("%s: max |twin − dequant model| %.3g, |twin − int8| %.3g", paths[i], dRef, dQ)
		if dRef > 0.05 {
			t.Errorf("%s: twin differs from the dequantized model by %g", paths[i], dRef)
		}
		if dQ > 4 {
			t.Errorf("%s: twin differs from the int8 model by %g", paths[i], dQ)
		}
	}
}
