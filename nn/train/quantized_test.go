package train

import (
	"errors"
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
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

// TestFloatTwinSynthetic: a hand-built quantized graph (ONNX Runtime
// arithmetic) — Quantize → int8 Conv (per-channel weights, int32 bias, an
// output range that saturates) → int8 Add with a quantized constant →
// Dequantize — and its twin agree to half an output quantum on inputs that
// lie on the input's quantization grid; a quantized graph input is refused.
func TestFloatTwinSynthetic(t *testing.T) {
	rng := testRNG(t, 77)
	g := &graph.Graph{QuantStyle: graph.QuantONNX}
	x := g.AddTensor(graph.Tensor{Name: "x", DType: tensor.Float32, Shape: []int{1, 5, 5, 3}})
	g.Inputs = []int{x}
	qx := &graph.Quant{Scale: []float32{0.02}, ZeroPoint: []int32{-10}, Shifted: true}
	xq := g.AddTensor(graph.Tensor{Name: "x_q", DType: tensor.Int8, Shape: []int{1, 5, 5, 3}, Quant: qx})
	g.Nodes = append(g.Nodes, graph.Node{Name: "quantize", Op: graph.OpQuantize, Inputs: []int{x}, Outputs: []int{xq}})
	w := tensor.New(tensor.Int8, 4, 3, 3, 3)
	for i := range w.I8 {
		w.I8[i] = int8(rng.IntN(255) - 127)
	}
	wid := g.AddConst("w", w)
	g.Tensors[wid].Quant = &graph.Quant{Scale: []float32{0.003, 0.01, 0.002, 0.02}, ZeroPoint: make([]int32, 4)}
	b := tensor.New(tensor.Int32, 4)
	for i := range b.I32 {
		b.I32[i] = int32(rng.IntN(4001) - 2000)
	}
	bid := g.AddConst("b", b)
	qy := &graph.Quant{Scale: []float32{0.05}, ZeroPoint: []int32{-128}, Shifted: true} // [0, 12.75]: a folded ReLU
	y := g.AddTensor(graph.Tensor{Name: "y_q", DType: tensor.Int8, Shape: []int{1, 5, 5, 4}, Quant: qy})
	g.Nodes = append(g.Nodes, graph.Node{Name: "conv", Op: graph.OpConv, Inputs: []int{xq, wid, bid}, Outputs: []int{y},
		Params: &graph.ConvParams{Strides: []int{1, 1}, Dilations: []int{1, 1}, PadBegin: []int{1, 1}, PadEnd: []int{1, 1}, Groups: 1}})
	c := tensor.New(tensor.Int8, 4)
	for i := range c.I8 {
		c.I8[i] = int8(rng.IntN(255) - 127)
	}
	cid := g.AddConst("c", c)
	g.Tensors[cid].Quant = &graph.Quant{Scale: []float32{0.01}, ZeroPoint: []int32{0}}
	qz := &graph.Quant{Scale: []float32{0.04}, ZeroPoint: []int32{-40}, Shifted: true}
	z := g.AddTensor(graph.Tensor{Name: "z_q", DType: tensor.Int8, Shape: []int{1, 5, 5, 4}, Quant: qz})
	g.Nodes = append(g.Nodes, graph.Node{Name: "add", Op: graph.OpBinary, Inputs: []int{y, cid}, Outputs: []int{z},
		Params: &graph.BinaryParams{Op: kernels.OpAdd}})
	out := g.AddTensor(graph.Tensor{Name: "out", DType: tensor.Float32, Shape: []int{1, 5, 5, 4}})
	g.Nodes = append(g.Nodes, graph.Node{Name: "dequantize", Op: graph.OpDequantize, Inputs: []int{z}, Outputs: []int{out}})
	g.Outputs = []int{out}
	ins := []nn.IOSpec{{Name: "x", DType: tensor.Float32, Shape: []int{1, 5, 5, 3}}}
	outs := []nn.IOSpec{{Name: "out", DType: tensor.Float32, Shape: []int{1, 5, 5, 4}}}
	qm, err := nn.Compile(g, ins, outs)
	if err != nil {
		t.Fatal(err)
	}
	if !Quantized(g) {
		t.Fatal("Quantized: false for a quantized graph")
	}
	tw, err := FloatTwin(g)
	if err != nil {
		t.Fatal(err)
	}
	if Quantized(tw) {
		t.Fatal("the twin is quantized")
	}
	fm, err := nn.Compile(tw, ins, outs)
	if err != nil {
		t.Fatal(err)
	}
	xs := tensor.New(tensor.Float32, 1, 5, 5, 3)
	saturated := 0
	worst := 0.0
	for trial := 0; trial < 20; trial++ {
		for i := range xs.F32 {
			xs.F32[i] = 0.02 * float32(rng.IntN(256)-128+10) // on the grid: q = k exactly
		}
		a, err := qm.NewSession().Run(xs)
		if err != nil {
			t.Fatal(err)
		}
		bq := append([]float32(nil), a[0].F32...)
		f, err := fm.NewSession().Run(xs)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range f[0].F32 {
			worst = math.Max(worst, math.Abs(float64(v-bq[i])))
			if bq[i] >= 0.04*(127+40)-1e-4 || bq[i] <= 0.04*(-128+40)+1e-4 {
				saturated++
			}
		}
	}
	t.Logf("max |twin − int8| %.4g (output quanta: conv 0.05, add 0.04); %d saturated outputs", worst, saturated)
	// Two roundings (the conv output, then the add) of half a quantum each,
	// the first passed through the add.
	if worst > 0.05/2+0.04/2+1e-4 {
		t.Errorf("twin and int8 graph differ by %g", worst)
	}

	g.Tensors[x].DType = tensor.Uint8
	if _, err := FloatTwin(g); !errors.Is(err, ErrUnsupported) {
		t.Errorf("FloatTwin of a graph with a uint8 input: %v, want ErrUnsupported", err)
	}
}
