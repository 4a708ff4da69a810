package train

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
)

var update = flag.Bool("update", false, "regenerate testdata/*.json with testdata/gen_golden.py (needs /usr/bin/python3 with torch)")

type jsonTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (j jsonTensor) f32() []float32 {
	v := make([]float32, len(j.Data))
	for i, x := range j.Data {
		v[i] = float32(x)
	}
	return v
}

func loadGolden(t *testing.T, name string, v any) {
	t.Helper()
	if *update {
		updateGolden(t)
	}
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("golden file: %v (regenerate with go test -run Golden -update)", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("testdata/%s: %v", name, err)
	}
}

var updated bool

func updateGolden(t *testing.T) {
	t.Helper()
	if updated {
		return
	}
	cmd := exec.Command("/usr/bin/python3", "gen_golden.py")
	cmd.Dir = "testdata"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen_golden.py: %v\n%s", err, out)
	}
	updated = true
}

// relErr is max |a − b| / max |b|.
func relErr(a []float32, b []float64) float64 {
	var d, m float64
	for i, v := range b {
		d = math.Max(d, math.Abs(float64(a[i])-v))
		m = math.Max(m, math.Abs(v))
	}
	return d / math.Max(m, 1e-30)
}

type blockGolden struct {
	Input     jsonTensor            `json:"input"`
	InputGrad jsonTensor            `json:"input_grad"`
	Labels    []int                 `json:"labels"`
	Loss      float64               `json:"loss"`
	Logits    jsonTensor            `json:"logits"`
	Params    map[string]jsonTensor `json:"params"`
	Grads     map[string]jsonTensor `json:"grads"`
	BN        map[string]struct {
		Eps   float64    `json:"eps"`
		Gamma jsonTensor `json:"gamma"`
		Beta  jsonTensor `json:"beta"`
		Mean  jsonTensor `json:"mean"`
		Var   jsonTensor `json:"var"`
	} `json:"bn"`
}

// TestGoldenBlockGradients builds PyTorch's small "last block + head"
// network (gen_golden.py) as an IR graph with the same weights and
// compares loss, logits and every gradient (rel 1e-4 of the tensor's
// largest value).
func TestGoldenBlockGradients(t *testing.T) {
	var gd blockGolden
	loadGolden(t, "block_grads.json", &gd)
	b := newBuilder(t, nil)
	w := func(name string) int {
		p, ok := gd.Params[name]
		if !ok {
			t.Fatalf("golden has no parameter %q", name)
		}
		return b.constant(name, p.f32(), p.Shape...)
	}
	bn := func(name string, x int) int {
		s := gd.BN[name]
		c := s.Gamma.Shape[0]
		return b.node(name, graph.OpBatchNorm, &graph.BatchNormParams{Epsilon: float32(s.Eps)}, x,
			b.constant(name+":gamma", s.Gamma.f32(), c), b.constant(name+":beta", s.Beta.f32(), c),
			b.constant(name+":mean", s.Mean.f32(), c), b.constant(name+":var", s.Var.f32(), c))
	}
	cp := func(stride, padB, padE, groups int, act kernels.Act) *graph.ConvParams {
		return &graph.ConvParams{Strides: []int{stride, stride}, Dilations: []int{1, 1},
			PadBegin: []int{padB, padB}, PadEnd: []int{padE, padE}, Groups: groups, Act: act}
	}
	is := gd.Input.Shape
	x := b.input("x", is...)
	e := b.node("expand", graph.OpConv, cp(1, 0, 0, 1, kernels.Act{}), x, w("expand:w"))
	e = b.unary("relu6", bn("expand_bn", e), kernels.Act{Kind: kernels.ActClip, Min: 0, Max: 6})
	E := gd.Params["dw:w"].Shape[0]
	d := b.node("dw", graph.OpConv, cp(1, 1, 1, E, kernels.Act{}), e, w("dw:w"))
	d = b.unary("hswish", bn("dw_bn", d), kernels.Act{Kind: kernels.ActHardSwish})
	s := b.node("se/gap", graph.OpGlobalAvgPool, nil, d)
	s = b.node("se1", graph.OpConv, cp(1, 0, 0, 1, kernels.Act{Kind: kernels.ActRelu}), s, w("se1:w"), w("se1:b"))
	s = b.node("se2", graph.OpConv, cp(1, 0, 0, 1, kernels.Act{Kind: kernels.ActHardSigmoid, Alpha: 1.0 / 6, Beta: 0.5}), s, w("se2:w"), w("se2:b"))
	d = b.binary("se/mul", kernels.OpMul, d, s)
	p := b.node("project", graph.OpConv, cp(1, 0, 0, 1, kernels.Act{}), d, w("project:w"))
	p = b.binary("residual", kernels.OpAdd, bn("project_bn", p), x)
	c := b.node("conv", graph.OpConv, cp(2, 0, 1, 2, kernels.Act{Kind: kernels.ActSwish}), p, w("conv:w"), w("conv:b"))
	OC := gd.Params["dw5:w"].Shape[0]
	q := b.node("dw5", graph.OpConv, cp(1, 2, 2, OC, kernels.Act{}), c, w("dw5:w"), w("dw5:b"))
	q = b.unary("relu", bn("dw5_bn", q), kernels.Act{Kind: kernels.ActRelu})
	gp := b.node("gap", graph.OpGlobalAvgPool, nil, q)
	f := b.reshape("flatten", gp, is[0], OC)
	z := b.node("fc", graph.OpDense, &graph.DenseParams{}, f, w("fc:w"), w("fc:b"))
	g := b.output(z)

	for _, threads := range []int{1, 2} {
		s, err := SplitAt(g, Cut{Tensor: "x"})
		if err != nil {
			t.Fatal(err)
		}
		tail, err := NewTail(s, TailOptions{Batch: is[0], InputGrad: true, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		loss := tail.TrainStep(gd.Input.f32(), gd.Labels, SoftmaxCrossEntropy)
		if r := math.Abs(loss-gd.Loss) / gd.Loss; r > 1e-5 {
			t.Errorf("threads %d: loss %.9g, PyTorch %.9g (rel %.2g)", threads, loss, gd.Loss, r)
		}
		if r := relErr(tail.cur.vals[z], gd.Logits.Data); r > 1e-5 {
			t.Errorf("threads %d: logits differ from PyTorch's by %.2g (rel)", threads, r)
		}
		check := func(name string, got []float32, want jsonTensor) {
			if len(got) != len(want.Data) {
				t.Fatalf("%s: %d values, golden %d", name, len(got), len(want.Data))
			}
			r := relErr(got, want.Data)
			if r > 1e-4 {
				t.Errorf("threads %d: gradient of %s differs from PyTorch's by %.2g × its max", threads, name, r)
			}
			if threads == 1 {
				t.Logf("%-10s %5d values: max |ocellus − PyTorch| / max |PyTorch| = %.1e", name, len(got), r)
			}
		}
		check("input", tail.InputGrad(), gd.InputGrad)
		if len(tail.Params()) != len(gd.Grads) {
			t.Errorf("tail has %d parameters, golden %d", len(tail.Params()), len(gd.Grads))
		}
		for _, p := range tail.Params() {
			want, ok := gd.Grads[p.Name]
			if !ok {
				t.Errorf("parameter %q has no golden gradient", p.Name)
				continue
			}
			check(p.Name, p.Grad, want)
		}
	}
}

type headGolden struct {
	Features jsonTensor `json:"features"`
	Labels   []int      `json:"labels"`
	Runs     []struct {
		Name      string `json:"name"`
		Loss      string `json:"loss"`
		Outputs   int    `json:"outputs"`
		Optimizer struct {
			Kind        string  `json:"kind"`
			LR          float64 `json:"lr"`
			WeightDecay float64 `json:"weight_decay"`
			Momentum    float64 `json:"momentum"`
		} `json:"optimizer"`
		Batch       int        `json:"batch"`
		W0          jsonTensor `json:"w0"`
		B0          jsonTensor `json:"b0"`
		Orders      [][]int    `json:"orders"`
		EpochLosses []float64  `json:"epoch_losses"`
		WFinal      jsonTensor `json:"w_final"`
		BFinal      jsonTensor `json:"b_final"`
	} `json:"runs"`
}

// TestGoldenHeadTraining trains a new head on fixed features with the
// initial weights, batch order and optimizer settings of PyTorch runs
// (gen_golden.py) and requires the same per-epoch mean losses (rel 1e-4)
// and final weights.
func TestGoldenHeadTraining(t *testing.T) {
	var gd headGolden
	loadGolden(t, "head_train.json", &gd)
	feats := gd.Features.f32()
	n, dim := gd.Features.Shape[0], gd.Features.Shape[1]
	for _, r := range gd.Runs {
		t.Run(r.Name, func(t *testing.T) {
			b := newBuilder(t, nil)
			x := b.input("features", r.Batch, dim)
			y := b.node(HeadNode, graph.OpDense, &graph.DenseParams{}, x,
				b.constant(HeadNode+":w", r.W0.f32(), r.W0.Shape...), b.constant(HeadNode+":b", r.B0.f32(), r.B0.Shape...))
			g := b.output(y)
			s, err := SplitAt(g, Cut{Node: HeadNode})
			if err != nil {
				t.Fatal(err)
			}
			tail, err := NewTail(s, TailOptions{Batch: r.Batch})
			if err != nil {
				t.Fatal(err)
			}
			groups := HeadGroups(tail.Params(), r.Optimizer.LR, 0, r.Optimizer.WeightDecay)
			var opt Optimizer
			switch r.Optimizer.Kind {
			case "adam", "adamw", "adam-l2":
				c := DefaultAdam()
				c.Decoupled = r.Optimizer.Kind != "adam-l2"
				opt, err = NewAdam(c, groups...)
			case "sgd":
				c := DefaultSGD()
				c.Momentum = r.Optimizer.Momentum
				opt, err = NewSGD(c, groups...)
			default:
				t.Fatalf("unknown optimizer %q", r.Optimizer.Kind)
			}
			if err != nil {
				t.Fatal(err)
			}
			loss, labels := SoftmaxCrossEntropy, gd.Labels
			if r.Loss == "bce" {
				loss = SigmoidBinaryCrossEntropy
				labels = make([]int, n)
				for i, l := range gd.Labels {
					if l == 1 {
						labels[i] = 1
					}
				}
			}
			for ep, order := range r.Orders {
				got := tail.TrainEpoch(feats, labels, order, loss, opt)
				want := r.EpochLosses[ep]
				rel := math.Abs(got-want) / want
				t.Logf("epoch %d: loss %.7f, PyTorch %.7f (rel %.1e)", ep+1, got, want, rel)
				if rel > 1e-4 {
					t.Errorf("epoch %d: loss %.9g, PyTorch %.9g: rel %.2g > 1e-4", ep+1, got, want, rel)
				}
			}
			if r := relErr(tail.Params()[0].Value, r.WFinal.Data); r > 1e-4 {
				t.Errorf("final weights differ from PyTorch's by %.2g of their max", r)
			}
			if r := relErr(tail.Params()[1].Value, r.BFinal.Data); r > 1e-4 {
				t.Errorf("final bias differs from PyTorch's by %.2g of its max", r)
			}
			if losses := r.EpochLosses; losses[len(losses)-1] >= losses[0] {
				t.Errorf("golden run does not learn: losses %v", losses)
			}
		})
	}
}
