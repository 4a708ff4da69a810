package ptq

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

// builder makes small ONNX models in tests.
type builder struct {
	m   *onnxpb.Model
	g   *onnxpb.Graph
	rng *rand.Rand
}

func newBuilder(opset int64, seed int64) *builder {
	g := &onnxpb.Graph{Name: "test"}
	return &builder{
		m:   &onnxpb.Model{IRVersion: 7, ProducerName: "ptq-test", Graph: g, OpsetImports: []*onnxpb.OperatorSetID{{Version: opset}}},
		g:   g,
		rng: rand.New(rand.NewSource(seed)),
	}
}

// valueInfo declares a float tensor; a dim of -1 is symbolic ("N").
func valueInfo(name string, dims []int64) *onnxpb.ValueInfo {
	s := &onnxpb.Shape{}
	for _, d := range dims {
		if d < 0 {
			s.Dims = append(s.Dims, &onnxpb.Dim{Param: "N"})
			continue
		}
		s.Dims = append(s.Dims, &onnxpb.Dim{Value: d, HasValue: true})
	}
	return &onnxpb.ValueInfo{Name: name, Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor,
		Tensor: &onnxpb.TensorType{ElemType: onnxpb.DataTypeFloat, Shape: s}}}
}

func (b *builder) input(name string, dims ...int64) {
	b.g.Inputs = append(b.g.Inputs, valueInfo(name, dims))
}

func (b *builder) output(name string) {
	b.g.Outputs = append(b.g.Outputs, &onnxpb.ValueInfo{Name: name,
		Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor, Tensor: &onnxpb.TensorType{ElemType: onnxpb.DataTypeFloat}}})
}

func (b *builder) init(name string, dims []int64, v []float32) {
	b.g.Initializers = append(b.g.Initializers, newFloatTensor(name, dims, v))
}

// rand adds an initializer of uniform values in [lo, hi).
func (b *builder) rand(name string, lo, hi float32, dims ...int64) []float32 {
	n := 1
	for _, d := range dims {
		n *= int(d)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*b.rng.Float32()
	}
	b.init(name, dims, v)
	return v
}

func (b *builder) node(op string, ins, outs []string, attrs ...*onnxpb.Attribute) *onnxpb.Node {
	n := &onnxpb.Node{OpType: op, Name: op + "_" + outs[0], Inputs: ins, Outputs: outs, Attributes: attrs}
	b.g.Nodes = append(b.g.Nodes, n)
	return n
}

// randInput makes a float tensor of uniform values in [lo, hi).
func randInput(rng *rand.Rand, lo, hi float32, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range t.F32 {
		t.F32[i] = lo + (hi-lo)*rng.Float32()
	}
	return t
}

// runNN runs a model with the ocellus runtime, every rewrite off.
func runNN(t *testing.T, m *onnxpb.Model, inputs ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	im, err := onnx.Import(m.Marshal(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := nn.FromONNX(im, &opt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := mod.NewSession().Run(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([]*tensor.Tensor, len(outs))
	for i, o := range outs {
		res[i] = o.Clone()
	}
	return res
}

// maxDiff is max|a−b| and max|a|.
func maxDiff(a, b []float32) (d, scale float64) {
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		scale = math.Max(scale, math.Abs(float64(a[i])))
	}
	return d, scale
}

func writeModel(t *testing.T, m *onnxpb.Model, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func npyOf(x *tensor.Tensor) *npy.Array {
	return &npy.Array{DType: "float32", Shape: append([]int{}, x.Shape...), F32: x.F32}
}
