package train

import (
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/ops"
	"github.com/ocellus/ocellus/nn/tensor"
)

var seedFlag = flag.Uint64("seed", 1, "seed of the randomised gradient checks (printed by each test)")

func testRNG(t testing.TB, salt uint64) *rand.Rand {
	t.Helper()
	t.Logf("seed %d (replay with -seed %d)", *seedFlag, *seedFlag)
	return rand.New(rand.NewPCG(*seedFlag, salt))
}

// builder makes small graphs for tests.
type builder struct {
	g   *graph.Graph
	rng *rand.Rand
	t   testing.TB
}

func newBuilder(t testing.TB, rng *rand.Rand) *builder {
	return &builder{g: &graph.Graph{}, rng: rng, t: t}
}

func (b *builder) input(name string, shape ...int) int {
	id := b.g.AddTensor(graph.Tensor{Name: name, DType: tensor.Float32, Shape: shape})
	b.g.Inputs = append(b.g.Inputs, id)
	return id
}

func (b *builder) constant(name string, v []float32, shape ...int) int {
	return b.g.AddConst(name, tensor.FromF32(v, shape...))
}

func (b *builder) randConst(name string, scale float64, shape ...int) int {
	v := make([]float32, tensor.NumElems(shape))
	for i := range v {
		v[i] = float32((2*b.rng.Float64() - 1) * scale)
	}
	return b.constant(name, v, shape...)
}

// node adds a node with one output and infers its shape.
func (b *builder) node(name string, op graph.OpKind, p graph.Params, inputs ...int) int {
	b.t.Helper()
	y := b.g.AddTensor(graph.Tensor{Name: name + ":0"})
	b.g.Nodes = append(b.g.Nodes, graph.Node{Name: name, Op: op, Params: p, Inputs: inputs, Outputs: []int{y}})
	if err := ops.Infer(b.g, &b.g.Nodes[len(b.g.Nodes)-1]); err != nil {
		b.t.Fatal(err)
	}
	return y
}

type convSpec struct {
	oc, kh, kw     int
	stride, dil    [2]int
	padB, padE     [2]int
	groups         int
	bias           bool
	act            kernels.Act
	wscale, bscale float64
}

func (b *builder) conv(name string, x int, s convSpec) int {
	c := b.g.Tensors[x].Shape[len(b.g.Tensors[x].Shape)-1]
	if s.groups == 0 {
		s.groups = 1
	}
	if s.stride == [2]int{} {
		s.stride = [2]int{1, 1}
	}
	if s.dil == [2]int{} {
		s.dil = [2]int{1, 1}
	}
	if s.wscale == 0 {
		s.wscale = 1 / math.Sqrt(float64(s.kh*s.kw*c/s.groups))
	}
	in := []int{x, b.randConst(name+":w", s.wscale, s.oc, s.kh, s.kw, c/s.groups)}
	if s.bias {
		bs := s.bscale
		if bs == 0 {
			bs = 0.1
		}
		in = append(in, b.randConst(name+":b", bs, s.oc))
	}
	p := &graph.ConvParams{Strides: s.stride[:], Dilations: s.dil[:], PadBegin: s.padB[:], PadEnd: s.padE[:], Groups: s.groups, Act: s.act}
	return b.node(name, graph.OpConv, p, in...)
}

func (b *builder) dense(name string, x, n int, bias bool, act kernels.Act) int {
	sh := b.g.Tensors[x].Shape
	k := sh[len(sh)-1]
	in := []int{x, b.randConst(name+":w", 1/math.Sqrt(float64(k)), k, n)}
	if bias {
		in = append(in, b.randConst(name+":b", 0.1, n))
	}
	return b.node(name, graph.OpDense, &graph.DenseParams{Act: act}, in...)
}

func (b *builder) bn(name string, x int, eps float32) int {
	c := b.g.Tensors[x].Shape[len(b.g.Tensors[x].Shape)-1]
	u := func(lo, hi float64) []float32 {
		v := make([]float32, c)
		for i := range v {
			v[i] = float32(lo + (hi-lo)*b.rng.Float64())
		}
		return v
	}
	return b.node(name, graph.OpBatchNorm, &graph.BatchNormParams{Epsilon: eps}, x,
		b.constant(name+":gamma", u(0.5, 1.5), c), b.constant(name+":beta", u(-0.2, 0.2), c),
		b.constant(name+":mean", u(-0.2, 0.2), c), b.constant(name+":var", u(0.5, 1.5), c))
}

func (b *builder) unary(name string, x int, a kernels.Act) int {
	return b.node(name, graph.OpUnary, &graph.UnaryParams{Act: a}, x)
}

func (b *builder) binary(name string, op kernels.BinOp, x, y int) int {
	return b.node(name, graph.OpBinary, &graph.BinaryParams{Op: op}, x, y)
}

func (b *builder) reshape(name string, x int, shape ...int) int {
	y := b.g.AddTensor(graph.Tensor{Name: name + ":0", DType: tensor.Float32, Shape: shape})
	b.g.Nodes = append(b.g.Nodes, graph.Node{Name: name, Op: graph.OpReshape, Inputs: []int{x}, Outputs: []int{y}})
	if err := ops.Infer(b.g, &b.g.Nodes[len(b.g.Nodes)-1]); err != nil {
		b.t.Fatal(err)
	}
	return y
}

func (b *builder) output(id int) *graph.Graph {
	b.g.Outputs = []int{id}
	if err := b.g.Validate(); err != nil {
		b.t.Fatal(err)
	}
	return b.g
}

func randSlice(rng *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return v
}

// maxAbs is the largest |v|.
func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}
