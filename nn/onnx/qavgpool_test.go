package onnx_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestQDQWholeMapAveragePool: a QDQ AveragePool whose window is the whole
// map (how Keras exports its global pool, e.g. the ST person model) runs in
// int8 and gives exactly what the same graph with GlobalAveragePool gives,
// within one output quantum of the float average of the dequantized input.
func TestQDQWholeMapAveragePool(t *testing.T) {
	const c, h, w = 19, 4, 5
	f32 := func(name string, v float32) *onnxpb.Tensor {
		return bytesInit(name, onnxpb.DataTypeFloat, binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
	}
	u8 := func(name string, v uint8) *onnxpb.Tensor { return bytesInit(name, onnxpb.DataTypeUint8, []byte{v}) }
	inits := []*onnxpb.Tensor{f32("xs", 0.05), u8("xz", 100), f32("ys", 0.01), u8("yz", 128)}
	graph := func(pool *onnxpb.Node) []byte {
		return model([]*onnxpb.Node{
			{Name: "qx", OpType: "QuantizeLinear", Inputs: []string{"x", "xs", "xz"}, Outputs: []string{"xq"}},
			{Name: "dx", OpType: "DequantizeLinear", Inputs: []string{"xq", "xs", "xz"}, Outputs: []string{"xd"}},
			pool,
			{Name: "qp", OpType: "QuantizeLinear", Inputs: []string{"p", "ys", "yz"}, Outputs: []string{"pq"}},
			{Name: "dp", OpType: "DequantizeLinear", Inputs: []string{"pq", "ys", "yz"}, Outputs: []string{"y"}},
		}, inits, onnxpb.TensorValueInfo("x", onnxpb.DataTypeFloat, 1, c, h, w))
	}
	avg := graph(&onnxpb.Node{Name: "pool", OpType: "AveragePool", Inputs: []string{"xd"}, Outputs: []string{"p"},
		Attributes: []*onnxpb.Attribute{ints("kernel_shape", h, w)}})
	gap := graph(&onnxpb.Node{Name: "pool", OpType: "GlobalAveragePool", Inputs: []string{"xd"}, Outputs: []string{"p"}})

	r := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(tensor.Float32, 1, c, h, w)
	x.F32 = randX(r, c*h*w)
	got, want := run(t, avg, x), run(t, gap, x)
	if len(got.F32) != c {
		t.Fatalf("output shape %v, want %d values", got.Shape, c)
	}
	for i := range got.F32 {
		if got.F32[i] != want.F32[i] {
			t.Errorf("channel %d: AveragePool over the whole map %v, GlobalAveragePool %v", i, got.F32[i], want.F32[i])
		}
		// Float reference: the mean of the dequantized inputs.
		sum := 0.0
		for j := range h * w {
			q := math.Max(0, math.Min(255, math.RoundToEven(float64(x.F32[i*h*w+j])/0.05)+100))
			sum += (q - 100) * 0.05
		}
		if d := math.Abs(float64(got.F32[i]) - sum/(h*w)); d > 0.01+1e-6 {
			t.Errorf("channel %d: %v, float average %v (more than one quantum off)", i, got.F32[i], sum/(h*w))
		}
	}
}
