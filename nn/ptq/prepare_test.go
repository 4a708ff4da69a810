package ptq

import (
	"errors"
	"math/rand"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

func opCounts(g *onnxpb.Graph) map[string]int {
	c := map[string]int{}
	for _, n := range g.Nodes {
		c[n.OpType]++
	}
	return c
}

// bnModel: conv → BN → Relu → Identity → depthwise conv (no bias) → BN →
// Dropout → output y, plus a conv whose output also feeds a second reader
// (its BN must stay), and a Clip whose bound is a Constant node.
func bnModel() *builder {
	b := newBuilder(13, 1)
	b.input("x", 1, 3, 9, 9)
	b.rand("w1", -0.5, 0.5, 8, 3, 3, 3)
	b.rand("b1", -0.2, 0.2, 8)
	b.node("Conv", []string{"x", "w1", "b1"}, []string{"c1"}, intsAttr("pads", []int64{1, 1, 1, 1}))
	bn := func(prefix string, c int64) []string {
		b.rand(prefix+"_g", 0.5, 1.5, c)
		b.rand(prefix+"_b", -0.5, 0.5, c)
		b.rand(prefix+"_m", -0.3, 0.3, c)
		b.rand(prefix+"_v", 0.1, 2, c)
		return []string{prefix + "_g", prefix + "_b", prefix + "_m", prefix + "_v"}
	}
	n := b.node("BatchNormalization", append([]string{"c1"}, bn("bn1", 8)...), []string{"n1"})
	n.Attributes = append(n.Attributes, &onnxpb.Attribute{Name: "epsilon", Type: onnxpb.AttrTypeFloat, F: 1e-3})
	b.node("Relu", []string{"n1"}, []string{"r1"})
	b.node("Identity", []string{"r1"}, []string{"i1"})
	b.rand("w2", -0.5, 0.5, 8, 1, 3, 3)
	b.node("Conv", []string{"i1", "w2"}, []string{"c2"}, intAttr("group", 8), intsAttr("pads", []int64{1, 1, 1, 1}))
	b.node("BatchNormalization", append([]string{"c2"}, bn("bn2", 8)...), []string{"n2"})
	b.node("Dropout", []string{"n2"}, []string{"y"})
	// A conv read by BN and by an Add: not foldable.
	b.rand("w3", -0.5, 0.5, 8, 8, 1, 1)
	b.node("Conv", []string{"i1", "w3"}, []string{"c3"})
	b.node("BatchNormalization", append([]string{"c3"}, bn("bn3", 8)...), []string{"n3"})
	b.node("Add", []string{"c3", "n3"}, []string{"a3"})
	b.g.Nodes = append(b.g.Nodes, &onnxpb.Node{OpType: "Constant", Name: "six", Outputs: []string{"six"},
		Attributes: []*onnxpb.Attribute{{Name: "value", Type: onnxpb.AttrTypeTensor, T: newFloatTensor("", nil, []float32{6})}}})
	b.init("zero", nil, []float32{0})
	b.node("Clip", []string{"a3", "zero", "six"}, []string{"z"})
	b.output("y")
	b.output("z")
	return b
}

func TestPrepareFoldsBatchNormKeepsOutputs(t *testing.T) {
	b := bnModel()
	before := b.m.Marshal()
	p, err := Prepare(b.m)
	if err != nil {
		t.Fatal(err)
	}
	if string(b.m.Marshal()) != string(before) {
		t.Error("Prepare modified its argument")
	}
	c := opCounts(p.Graph)
	if c["BatchNormalization"] != 1 || c["Identity"] != 0 || c["Dropout"] != 0 || c["Constant"] != 0 {
		t.Errorf("prepared ops %v: want 1 BatchNormalization (the unfoldable one), no Identity, Dropout or Constant", c)
	}
	if c["Conv"] != 3 || c["Relu"] != 1 || c["Clip"] != 1 || c["Add"] != 1 {
		t.Errorf("prepared ops %v: convs and activations must stay", c)
	}
	if p.Graph.Outputs[0].Name != "y" || p.Graph.Outputs[1].Name != "z" {
		t.Errorf("outputs renamed: %s, %s", p.Graph.Outputs[0].Name, p.Graph.Outputs[1].Name)
	}
	for _, n := range p.Graph.Nodes {
		if n.OpType == "Conv" && n.Outputs[0] == "c2" {
			t.Error("the depthwise conv still writes c2: its BN was not folded")
		}
	}
	rng := rand.New(rand.NewSource(2))
	for trial := 0; trial < 3; trial++ {
		x := randInput(rng, -2, 2, 1, 3, 9, 9)
		want := runNN(t, b.m, x)
		got := runNN(t, p, x)
		for i := range want {
			d, s := maxDiff(want[i].F32, got[i].F32)
			if d > 1e-5*max(1, s) {
				t.Errorf("output %d differs by %g (max |y| %g) after BN folding", i, d, s)
			}
		}
	}
}

func TestPrepareUpgradesOpset(t *testing.T) {
	b := newBuilder(11, 3)
	b.input("x", 1, 4, 5)
	// Old Softmax semantics: flatten at axis 1, softmax over all 20 values.
	b.node("Softmax", []string{"x"}, []string{"s"}, intAttr("axis", 1))
	b.node("Unsqueeze", []string{"s"}, []string{"u"}, intsAttr("axes", []int64{0}))
	b.node("Squeeze", []string{"u"}, []string{"q"}, intsAttr("axes", []int64{0}))
	b.node("Softmax", []string{"q"}, []string{"y"}, intAttr("axis", -1))
	b.output("y")
	p, err := Prepare(b.m)
	if err != nil {
		t.Fatal(err)
	}
	if p.Opset("") != 13 || p.IRVersion < 7 {
		t.Fatalf("opset %d IR %d, want 13 and >= 7", p.Opset(""), p.IRVersion)
	}
	for _, n := range p.Graph.Nodes {
		if (n.OpType == "Squeeze" || n.OpType == "Unsqueeze") && (n.HasAttr("axes") || len(n.Inputs) != 2) {
			t.Errorf("%s still has an axes attribute or no axes input: %v", n.OpType, n.Inputs)
		}
	}
	if c := opCounts(p.Graph); c["Flatten"] != 1 || c["Reshape"] != 1 || c["Softmax"] != 2 {
		t.Errorf("ops %v: want the axis-1 softmax wrapped in Flatten/Reshape, the axis -1 one kept", c)
	}
	x := randInput(rand.New(rand.NewSource(4)), -3, 3, 1, 4, 5)
	want := runNN(t, b.m, x)
	got := runNN(t, p, x)
	if d, s := maxDiff(want[0].F32, got[0].F32); d > 1e-6*max(1, s) {
		t.Errorf("upgraded model differs by %g", d)
	}
}

func TestPrepareRefusesOldOpset(t *testing.T) {
	b := newBuilder(6, 1)
	b.input("x", 1, 2)
	b.node("Relu", []string{"x"}, []string{"y"})
	b.output("y")
	if _, err := Prepare(b.m); !errors.Is(err, ErrModel) {
		t.Errorf("opset 6: err %v, want ErrModel", err)
	}
	b = newBuilder(9, 1)
	b.input("x", 1, 2, 4, 4)
	b.init("sc", []int64{4}, []float32{1, 1, 2, 2})
	b.node("Upsample", []string{"x", "sc"}, []string{"y"})
	b.output("y")
	if _, err := Prepare(b.m); !errors.Is(err, ErrModel) {
		t.Errorf("Upsample: err %v, want ErrModel", err)
	}
}

func TestPrepareFoldsConstantReshapes(t *testing.T) {
	b := newBuilder(13, 5)
	b.input("x", 2, 6)
	b.rand("w0", -1, 1, 2, 2, 6)
	b.node("Transpose", []string{"w0"}, []string{"wt"}, intsAttr("perm", []int64{2, 0, 1})) // [6, 2, 2]
	b.g.Initializers = append(b.g.Initializers, newInt64Tensor("shape", []int64{2}, []int64{0, -1}))
	b.node("Reshape", []string{"wt", "shape"}, []string{"w"}) // [6, 4]
	b.node("MatMul", []string{"x", "w"}, []string{"y"})
	b.output("y")
	p, err := Prepare(b.m)
	if err != nil {
		t.Fatal(err)
	}
	if c := opCounts(p.Graph); len(c) != 1 || c["MatMul"] != 1 {
		t.Errorf("ops %v: want the weight Transpose and Reshape folded", c)
	}
	w := initMap(p.Graph)["w"]
	if w == nil || !slices.Equal(w.Dims, []int64{6, 4}) {
		t.Fatalf("folded weight %v", w)
	}
	x := randInput(rand.New(rand.NewSource(6)), -1, 1, 2, 6)
	want, got := runNN(t, b.m, x), runNN(t, p, x)
	if d, _ := maxDiff(want[0].F32, got[0].F32); d != 0 {
		t.Errorf("folded model differs by %g", d)
	}
	if r, _ := computeRoles(p.Graph.Nodes[0], inferTypes(p.Graph), initMap(p.Graph)); r == nil || r[1].role != roleWeight {
		t.Error("the MatMul's folded weight is not quantized as a weight")
	}
}
