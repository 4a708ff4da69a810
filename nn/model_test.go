package nn_test

import (
	"encoding/binary"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

// convBNModel is an ONNX model x[1,C,8,8] → Conv 3×3 (C→O) → BatchNorm →
// Relu → Conv 1×1 (O→O) → y, weights in raw_data as exporters write them.
// It returns the serialized model and the bytes of its initializers.
func convBNModel(c, o int) ([]byte, int) {
	weights := 0
	init := func(name string, dims ...int64) *onnxpb.Tensor {
		n := 1
		for _, d := range dims {
			n *= int(d)
		}
		raw := make([]byte, 4*n)
		for i := 0; i < n; i++ {
			v := float32((i*7919)%97-48) / 256
			if name == "var" {
				v = 1 + float32(i%5)/8
			}
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		weights += len(raw)
		return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, RawData: raw}
	}
	vi := func(name string, dims ...int64) *onnxpb.ValueInfo {
		return onnxpb.TensorValueInfo(name, onnxpb.DataTypeFloat, dims...)
	}
	ints := func(name string, v ...int64) *onnxpb.Attribute {
		return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInts, Ints: v}
	}
	C, O := int64(c), int64(o)
	m := &onnxpb.Model{IRVersion: 8, OpsetImports: []*onnxpb.OperatorSetID{{Version: 17}},
		Graph: &onnxpb.Graph{
			Initializers: []*onnxpb.Tensor{init("w1", O, C, 3, 3), init("b1", O),
				init("gamma", O), init("beta", O), init("mean", O), init("var", O), init("w2", O, O, 1, 1)},
			Nodes: []*onnxpb.Node{
				{Name: "conv1", OpType: "Conv", Inputs: []string{"x", "w1", "b1"}, Outputs: []string{"c1"},
					Attributes: []*onnxpb.Attribute{ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)}},
				{Name: "bn", OpType: "BatchNormalization", Inputs: []string{"c1", "gamma", "beta", "mean", "var"}, Outputs: []string{"n1"}},
				{Name: "relu", OpType: "Relu", Inputs: []string{"n1"}, Outputs: []string{"r1"}},
				{Name: "conv2", OpType: "Conv", Inputs: []string{"r1", "w2"}, Outputs: []string{"y"},
					Attributes: []*onnxpb.Attribute{ints("kernel_shape", 1, 1)}},
			},
			Inputs:  []*onnxpb.ValueInfo{vi("x", 1, C, 8, 8)},
			Outputs: []*onnxpb.ValueInfo{vi("y", 1, O, 8, 8)},
		}}
	b := m.Marshal()
	return append(make([]byte, 0, len(b)), b...), weights // its own allocation, for the cleanup below
}

func constBytes(g *graph.Graph) int {
	n := 0
	for i := range g.Tensors {
		if c := g.Tensors[i].Const; c != nil {
			n += len(c.Bytes())
		}
	}
	return n
}

// collected runs the collector until done is closed (a cleanup ran) or it
// gives up after 50 rounds.
func collected(done <-chan struct{}) bool {
	for range 50 {
		runtime.GC()
		select {
		case <-done:
			return true
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// TestLoadKeepsWeightsOnce: a compiled model holds the file's weights
// once as graph constants (the converted, BN-folded ones its nodes read)
// plus the kernels' packed copies, and nothing of the file, its decoded
// protobuf or the imported graph: the weights the import and the rewrites
// replaced (OIHW originals, pre-fold conv weights, batch-norm vectors) are
// gone. Before, the model kept those too: ~3.8× the weight bytes of heap.
func TestLoadKeepsWeightsOnce(t *testing.T) {
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	b, weights := convBNModel(128, 256)
	fileGone, importGone := make(chan struct{}), make(chan struct{})
	runtime.AddCleanup(&b[0], func(ch chan struct{}) { close(ch) }, fileGone)
	im, err := onnx.Import(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	runtime.AddCleanup(im, func(ch chan struct{}) { close(ch) }, importGone)
	b = nil
	m, err := nn.FromONNX(im, nil)
	if err != nil {
		t.Fatal(err)
	}
	im = nil
	if !collected(fileGone) {
		t.Error("the file's bytes were not collected while the model is alive")
	}
	if !collected(importGone) {
		t.Error("the imported model (onnx.Model) was not collected while the compiled model is alive")
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	retained := int64(ms1.HeapAlloc) - int64(ms0.HeapAlloc)

	g := m.Graph()
	read := opt.Read(g)
	for id := range g.Tensors {
		if g.Tensors[id].Const != nil && !read[id] {
			t.Errorf("graph constant %q (%d bytes) is read by no node", g.Tensors[id].Name, len(g.Tensors[id].Const.Bytes()))
		}
	}
	if cb := constBytes(g); cb > weights {
		t.Errorf("graph constants hold %d bytes, the file's initializers %d", cb, weights)
	}
	// Graph constants (≤ weights) + packed copies (weights plus panel
	// padding) + small structures.
	if limit := int64(weights)*5/2 + 256<<10; retained > limit {
		t.Errorf("the model retains %d bytes of heap, want <= %d (2.5 × %d weight bytes + 256 KiB)", retained, limit, weights)
	}
	t.Logf("weights %d bytes, graph constants %d, retained heap %d (%.2f×)", weights, constBytes(g), retained, float64(retained)/float64(weights))

	// The compacted graph computes what the imported one does.
	b2, _ := convBNModel(128, 256)
	im2, err := onnx.Import(b2, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := nn.Compile(im2.Graph, []nn.IOSpec{{Name: "x", DType: tensor.Float32, Shape: []int{1, 128, 8, 8}, Perm: im2.Inputs[0].Perm}},
		[]nn.IOSpec{{Name: "y", DType: tensor.Float32, Shape: []int{1, 256, 8, 8}, Perm: im2.Outputs[0].Perm}})
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(3, m.Inputs()[0])
	s, r := m.NewSession(), ref.NewSession()
	defer s.Close()
	defer r.Close()
	got, err := s.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	var maxAbs, maxDiff float64
	for i, v := range want[0].F32 {
		maxAbs = max(maxAbs, math.Abs(float64(v)))
		maxDiff = max(maxDiff, math.Abs(float64(got[0].F32[i]-v)))
	}
	if maxAbs == 0 || maxDiff > 1e-4*maxAbs {
		t.Errorf("optimized model differs from the imported graph by %g (max |y| %g)", maxDiff, maxAbs)
	}
	runtime.KeepAlive(m)
}
