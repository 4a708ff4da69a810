package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
)

// gradCheck compares the tail's analytic gradients (inputs and every
// parameter) with central finite differences of L = Σ y·r, r random and
// fixed, the sum taken in float64 over the float32 forward pass. kinks are
// input values near which the function is not differentiable: inputs are
// drawn at least 4h away from them.
type fdCase struct {
	name   string
	build  func(b *builder) *graph.Graph
	lo, hi float64   // input range
	kinks  []float64 // input values to keep away from
	h      float64   // step (default 1e-2)
	tol    float64   // max |num − ana| / max |ana| per tensor (default 2e-3)
	opts   TailOptions
}

func runGradCheck(t *testing.T, c fdCase, rng *rand.Rand) {
	t.Helper()
	b := newBuilder(t, rng)
	g := c.build(b)
	s, err := SplitAt(g, Cut{Tensor: g.Tensors[g.Inputs[0]].Name})
	if err != nil {
		t.Fatal(err)
	}
	n := s.Batch()
	o := c.opts
	o.Batch, o.InputGrad = n, true
	if o.Threads == 0 {
		o.Threads = 3
	}
	tail, err := NewTail(s, o)
	if err != nil {
		t.Fatal(err)
	}
	h, tol := c.h, c.tol
	if h == 0 {
		h = 1e-2
	}
	if tol == 0 {
		tol = 2e-3
	}
	x := make([]float32, n*s.FeatureLen())
	for i := range x {
	draw:
		v := c.lo + (c.hi-c.lo)*rng.Float64()
		for _, k := range c.kinks {
			if math.Abs(v-k) < 4*h {
				goto draw
			}
		}
		x[i] = float32(v)
	}
	y := tail.Forward(x, n, true)
	r := randSlice(rng, len(y), -1, 1)
	tail.ZeroGrad()
	tail.Backward(r)
	// Dropout masks stay fixed for the finite differences.
	for _, l := range tail.cur.layers {
		if d, ok := l.(*dropoutLayer); ok {
			d.reuse = true
		}
	}
	loss := func() float64 {
		y := tail.Forward(x, n, true)
		var s float64
		for i, v := range y {
			s += float64(v) * float64(r[i])
		}
		return s
	}
	check := func(what string, v, ana []float32) {
		t.Helper()
		idx := rng.Perm(len(v))
		if len(idx) > 40 {
			idx = idx[:40]
		}
		scale := math.Max(maxAbs(ana), 1e-6)
		worst := 0.0
		for _, i := range idx {
			old := v[i]
			v[i] = old + float32(h)
			lp := loss()
			v[i] = old - float32(h)
			lm := loss()
			v[i] = old
			num := (lp - lm) / (2 * h)
			if e := math.Abs(num-float64(ana[i])) / scale; e > worst {
				worst = e
			}
			if e := math.Abs(num - float64(ana[i])); e > tol*scale {
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (|diff| %.3g > %.1g × max|grad| %.3g)", what, i, ana[i], num, e, tol, scale)
			}
		}
		t.Logf("%s: %d values checked, max |num−ana| / max|grad| = %.2e (max|grad| %.3g)", what, len(idx), worst, scale)
	}
	dx := tail.InputGrad()
	check("input", x, dx)
	for _, p := range tail.Params() {
		check(p.Name, p.Value, append([]float32(nil), p.Grad...))
	}
}

func TestGradCheck(t *testing.T) {
	c0 := func(s convSpec) convSpec { return s }
	convCase := func(name string, shape []int, s convSpec) fdCase {
		return fdCase{name: name, lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", shape...)
			return b.output(b.conv("conv", x, s))
		}}
	}
	cases := []fdCase{
		{name: "dense", lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", 3, 7)
			return b.output(b.dense("fc", x, 5, true, kernels.Act{}))
		}},
		{name: "dense-rank3-nobias", lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 6)
			return b.output(b.dense("fc", x, 4, false, kernels.Act{}))
		}},
		convCase("conv1x1", []int{2, 4, 5, 6}, c0(convSpec{oc: 8, kh: 1, kw: 1, bias: true})),
		convCase("conv1x1-stride2", []int{2, 6, 6, 3}, convSpec{oc: 4, kh: 1, kw: 1, stride: [2]int{2, 2}, bias: true}),
		convCase("conv3x3-s1-p1", []int{2, 5, 5, 3}, convSpec{oc: 4, kh: 3, kw: 3, padB: [2]int{1, 1}, padE: [2]int{1, 1}, bias: true}),
		convCase("conv3x3-s2-tfsame", []int{2, 6, 6, 3}, convSpec{oc: 5, kh: 3, kw: 3, stride: [2]int{2, 2}, padE: [2]int{1, 1}, bias: true}),
		convCase("conv5x5-s2-p2", []int{1, 9, 9, 2}, convSpec{oc: 3, kh: 5, kw: 5, stride: [2]int{2, 2}, padB: [2]int{2, 2}, padE: [2]int{2, 2}}),
		convCase("conv3x3-dil2", []int{1, 7, 7, 2}, convSpec{oc: 3, kh: 3, kw: 3, dil: [2]int{2, 2}, padB: [2]int{2, 2}, padE: [2]int{2, 2}, bias: true}),
		convCase("conv3x2-s2x1", []int{2, 7, 5, 3}, convSpec{oc: 4, kh: 3, kw: 2, stride: [2]int{2, 1}, padB: [2]int{1, 0}, padE: [2]int{1, 1}, bias: true}),
		convCase("conv3x3-groups2", []int{2, 5, 5, 4}, convSpec{oc: 6, kh: 3, kw: 3, padB: [2]int{1, 1}, padE: [2]int{1, 1}, groups: 2, bias: true}),
		convCase("dw3x3-s1", []int{2, 5, 5, 6}, convSpec{oc: 6, kh: 3, kw: 3, padB: [2]int{1, 1}, padE: [2]int{1, 1}, groups: 6, bias: true}),
		convCase("dw3x3-s2-tfsame", []int{2, 6, 6, 5}, convSpec{oc: 5, kh: 3, kw: 3, stride: [2]int{2, 2}, padE: [2]int{1, 1}, groups: 5, bias: true}),
		convCase("dw5x5-nobias", []int{1, 6, 6, 20}, convSpec{oc: 20, kh: 5, kw: 5, padB: [2]int{2, 2}, padE: [2]int{2, 2}, groups: 20}),
		convCase("dw3x3-multiplier2", []int{1, 5, 5, 3}, convSpec{oc: 6, kh: 3, kw: 3, padB: [2]int{1, 1}, padE: [2]int{1, 1}, groups: 3, bias: true}),
		convCase("conv-fused-swish", []int{2, 4, 4, 3}, convSpec{oc: 4, kh: 3, kw: 3, padB: [2]int{1, 1}, padE: [2]int{1, 1}, bias: true, act: kernels.Act{Kind: kernels.ActSwish}}),
		{name: "conv1d", lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 9, 3)
			w := b.randConst("w", 0.5, 4, 3, 3)
			p := &graph.ConvParams{Strides: []int{2}, Dilations: []int{1}, PadBegin: []int{1}, PadEnd: []int{1}, Groups: 1}
			return b.output(b.node("conv", graph.OpConv, p, x, w))
		}},
		{name: "batchnorm-frozen", lo: -2, hi: 2, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 3, 5)
			y := b.bn("bn", x, 1e-3)
			// A parameterised layer after it so the gradient flows.
			return b.output(b.conv("conv", y, convSpec{oc: 2, kh: 1, kw: 1, bias: true}))
		}},
		{name: "gap-reshape-dense", lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 4, 5)
			g := b.node("gap", graph.OpGlobalAvgPool, nil, x)
			f := b.reshape("flatten", g, 2, 5)
			return b.output(b.dense("fc", f, 3, true, kernels.Act{}))
		}},
		{name: "reducemean-spatial", lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 4, 5)
			m := b.node("mean", graph.OpReduceMean, &graph.ReduceParams{Axes: []int{1, 2}, KeepDims: true}, x)
			return b.output(b.conv("conv", m, convSpec{oc: 3, kh: 1, kw: 1, bias: true}))
		}},
		{name: "add-residual", lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 3, 4)
			y := b.conv("conv", x, convSpec{oc: 4, kh: 1, kw: 1, bias: true})
			return b.output(b.binary("add", kernels.OpAdd, y, x))
		}},
		{name: "squeeze-excite-mul", lo: -1, hi: 1, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 4, 6)
			g := b.node("gap", graph.OpGlobalAvgPool, nil, x)
			s := b.conv("fc1", g, convSpec{oc: 3, kh: 1, kw: 1, bias: true, act: kernels.Act{Kind: kernels.ActSwish}})
			s = b.conv("fc2", s, convSpec{oc: 6, kh: 1, kw: 1, bias: true, act: kernels.Act{Kind: kernels.ActSigmoid}})
			return b.output(b.binary("scale", kernels.OpMul, s, x))
		}},
		{name: "two-inputs-sub-div", lo: 0.5, hi: 2, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 4)
			z := b.input("z", 2, 1, 4)
			d := b.binary("sub", kernels.OpSub, x, z)
			q := b.binary("div", kernels.OpDiv, d, z)
			return b.output(b.dense("fc", q, 2, true, kernels.Act{}))
		}},
		{name: "head-dropout", lo: -1, hi: 1, opts: TailOptions{HeadDropout: 0.5, Seed: 7}, build: func(b *builder) *graph.Graph {
			x := b.input("x", 4, 6)
			return b.output(b.dense(HeadNode, x, 3, true, kernels.Act{}))
		}},
	}
	acts := []struct {
		a     kernels.Act
		kinks []float64
	}{
		{kernels.Act{Kind: kernels.ActNone}, nil},
		{kernels.Act{Kind: kernels.ActRelu}, []float64{0}},
		{kernels.Act{Kind: kernels.ActClip, Min: 0, Max: 6}, []float64{0, 6}},
		{kernels.Act{Kind: kernels.ActClip, Min: -2.5, Max: 3.5}, []float64{-2.5, 3.5}},
		{kernels.Act{Kind: kernels.ActSigmoid}, nil},
		{kernels.Act{Kind: kernels.ActHardSigmoid, Alpha: 1.0 / 6, Beta: 0.5}, []float64{-3, 3}},
		{kernels.Act{Kind: kernels.ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, []float64{-2.5, 2.5}},
		{kernels.Act{Kind: kernels.ActHardSwish}, []float64{-3, 3}},
		{kernels.Act{Kind: kernels.ActSwish}, nil},
	}
	for _, a := range acts {
		cases = append(cases, fdCase{name: "act-" + a.a.String(), lo: -8, hi: 8, kinks: a.kinks, build: func(b *builder) *graph.Graph {
			x := b.input("x", 2, 3, 4, 5)
			y := b.unary("act", x, a.a)
			return b.output(b.conv("conv", y, convSpec{oc: 2, kh: 1, kw: 1, bias: true}))
		}})
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runGradCheck(t, c, testRNG(t, uint64(i)))
		})
	}
}

// TestLossGradients checks both losses' gradients against finite
// differences in float64 and their values against direct formulas,
// including logits far in the tails (stability).
func TestLossGradients(t *testing.T) {
	rng := testRNG(t, 100)
	for _, c := range []struct {
		l Loss
		k int
	}{{SoftmaxCrossEntropy, 3}, {SoftmaxCrossEntropy, 2}, {SigmoidBinaryCrossEntropy, 1}, {SigmoidBinaryCrossEntropy, 4}} {
		t.Run(fmt.Sprintf("%v/k=%d", c.l, c.k), func(t *testing.T) {
			n := 5
			z := randSlice(rng, n*c.k, -4, 4)
			labels := make([]int, n)
			for i := range labels {
				labels[i] = rng.IntN(max(c.k, 2))
			}
			d := make([]float32, len(z))
			c.l.Eval(z, c.k, labels, d)
			const h = 1e-3
			for i := range z {
				old := z[i]
				z[i] = old + h
				lp := c.l.Eval(z, c.k, labels, nil)
				z[i] = old - h
				lm := c.l.Eval(z, c.k, labels, nil)
				z[i] = old
				// h is exact in float32 around these values only roughly: use the real step.
				step := float64(old+h) - float64(old-h)
				num := (lp - lm) / step
				if math.Abs(num-float64(d[i])) > 2e-4 {
					t.Errorf("dlogits[%d]: analytic %.6g, numeric %.6g", i, d[i], num)
				}
			}
		})
	}
	// Stability: huge logits give finite, correct values.
	big := []float32{1000, -1000, 0}
	if l := SoftmaxCrossEntropy.Eval(big, 3, []int{1}, nil); math.Abs(l-2000) > 1e-9 {
		t.Errorf("CE of logits (1000, -1000, 0) for class 1 = %g, want 2000", l)
	}
	if l := SoftmaxCrossEntropy.Eval(big, 3, []int{0}, nil); l != 0 {
		t.Errorf("CE of logits (1000, -1000, 0) for class 0 = %g, want 0", l)
	}
	d := make([]float32, 2)
	if l := SigmoidBinaryCrossEntropy.Eval([]float32{-200, 200}, 1, []int{1, 0}, d); math.Abs(l-200) > 1e-9 || math.Abs(float64(d[0])+0.5) > 1e-7 || math.Abs(float64(d[1])-0.5) > 1e-7 {
		t.Errorf("BCE of (-200 | 1, 200 | 0) = %g, grads %v; want 200, (-0.5, 0.5)", l, d)
	}
	// Reference values: CE = log Σ exp − z_y; BCE = −(t log σ + (1−t) log(1−σ)).
	z := []float32{0.5, -1, 2, 0.25}
	want := math.Log(math.Exp(0.5)+math.Exp(-1)) + 1 + math.Log(math.Exp(2)+math.Exp(0.25)) - 0.25
	if l := SoftmaxCrossEntropy.Eval(z, 2, []int{1, 1}, nil); math.Abs(l-want/2) > 1e-12 {
		t.Errorf("CE = %.15g, want %.15g", l, want/2)
	}
	s := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	want = -(math.Log(s(0.5)) + math.Log(1-s(-1)) + math.Log(s(2)) + math.Log(1-s(0.25))) / 4
	if l := SigmoidBinaryCrossEntropy.Eval(z, 1, []int{1, 0, 1, 0}, nil); math.Abs(l-want) > 1e-12 {
		t.Errorf("BCE = %.15g, want %.15g", l, want)
	}
}
