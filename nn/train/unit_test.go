package train

import (
	"errors"
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestBinaryBackwardReference compares the broadcasting backward pass with
// a naive loop over every output multi-index, for random shapes.
func TestBinaryBackwardReference(t *testing.T) {
	rng := testRNG(t, 200)
	for iter := 0; iter < 300; iter++ {
		r := 1 + rng.IntN(5)
		ys := make([]int, r)
		for i := range ys {
			ys[i] = 1 + rng.IntN(4)
		}
		derive := func() []int {
			k := rng.IntN(r + 1)
			s := append([]int(nil), ys[r-k:]...)
			for i := range s {
				if rng.IntN(3) == 0 {
					s[i] = 1
				}
			}
			return s
		}
		as, bs := derive(), derive()
		yshape, err := kernels.BroadcastShape(as, bs)
		if err != nil {
			t.Fatal(err)
		}
		a := randSlice(rng, tensor.NumElems(as), -1, 1)
		b := randSlice(rng, tensor.NumElems(bs), 0.5, 1.5)
		dy := randSlice(rng, tensor.NumElems(yshape), -1, 1)
		for _, op := range []kernels.BinOp{kernels.OpAdd, kernels.OpSub, kernels.OpMul, kernels.OpDiv} {
			da, db := make([]float32, len(a)), make([]float32, len(b))
			binaryBackward(op, newBcast(yshape, as, bs), a, b, dy, da, db)
			ra, rb := make([]float64, len(a)), make([]float64, len(b))
			idx := make([]int, len(yshape))
			for o := range dy {
				rem := o
				for i := len(yshape) - 1; i >= 0; i-- {
					idx[i] = rem % yshape[i]
					rem /= yshape[i]
				}
				off := func(s []int) int {
					k, st := 0, 1
					for i := len(s) - 1; i >= 0; i-- {
						if s[i] != 1 {
							k += idx[len(yshape)-len(s)+i] * st
						}
						st *= s[i]
					}
					return k
				}
				ia, ib := off(as), off(bs)
				av, bv, d := float64(a[ia]), float64(b[ib]), float64(dy[o])
				switch op {
				case kernels.OpAdd:
					ra[ia] += d
					rb[ib] += d
				case kernels.OpSub:
					ra[ia] += d
					rb[ib] -= d
				case kernels.OpMul:
					ra[ia] += d * bv
					rb[ib] += d * av
				case kernels.OpDiv:
					ra[ia] += d / bv
					rb[ib] -= d * av / (bv * bv)
				}
			}
			for i := range ra {
				if math.Abs(float64(da[i])-ra[i]) > 1e-5*(1+math.Abs(ra[i])) {
					t.Fatalf("%v %v×%v→%v: da[%d] = %g, want %g", op, as, bs, yshape, i, da[i], ra[i])
				}
			}
			for i := range rb {
				if math.Abs(float64(db[i])-rb[i]) > 1e-5*(1+math.Abs(rb[i])) {
					t.Fatalf("%v %v×%v→%v: db[%d] = %g, want %g", op, as, bs, yshape, i, db[i], rb[i])
				}
			}
		}
	}
}

// TestThreadsIdentical: a step gives bit-identical gradients for 1, 2 and
// 3 threads.
func TestThreadsIdentical(t *testing.T) {
	var ref [][]float32
	var refIn []float32
	for _, threads := range []int{1, 2, 3} {
		rng := testRNG(t, 300)
		b := newBuilder(t, rng)
		x := b.input("x", 5, 7, 7, 12)
		y := b.conv("expand", x, convSpec{oc: 40, kh: 1, kw: 1, bias: true, act: kernels.Act{Kind: kernels.ActClip, Max: 6}})
		y = b.conv("dw", y, convSpec{oc: 40, kh: 3, kw: 3, padB: [2]int{1, 1}, padE: [2]int{1, 1}, groups: 40, act: kernels.Act{Kind: kernels.ActHardSwish}})
		y = b.bn("bn", y, 1e-3)
		y = b.conv("conv", y, convSpec{oc: 24, kh: 3, kw: 3, stride: [2]int{2, 2}, padE: [2]int{1, 1}, groups: 2, bias: true})
		g := b.node("gap", graph.OpGlobalAvgPool, nil, y)
		f := b.reshape("flatten", g, 5, 24)
		gr := b.output(b.dense(HeadNode, f, 3, true, kernels.Act{}))
		s, err := SplitAt(gr, Cut{Tensor: "x"})
		if err != nil {
			t.Fatal(err)
		}
		tail, err := NewTail(s, TailOptions{Batch: 5, Threads: threads, InputGrad: true, HeadDropout: 0.3, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		tail.TrainStep(randSlice(rng, 5*s.FeatureLen(), -2, 2), []int{0, 1, 2, 1, 0}, SoftmaxCrossEntropy)
		var grads [][]float32
		for _, p := range tail.Params() {
			grads = append(grads, append([]float32(nil), p.Grad...))
		}
		in := tail.InputGrad()
		if ref == nil {
			ref, refIn = grads, in
			continue
		}
		for i, gv := range grads {
			for j := range gv {
				if math.Float32bits(gv[j]) != math.Float32bits(ref[i][j]) {
					t.Fatalf("threads %d: gradient of %s[%d] = %g, 1 thread %g", threads, tail.Params()[i].Name, j, gv[j], ref[i][j])
				}
			}
		}
		for j := range in {
			if math.Float32bits(in[j]) != math.Float32bits(refIn[j]) {
				t.Fatalf("threads %d: input gradient [%d] = %g, 1 thread %g", threads, j, in[j], refIn[j])
			}
		}
	}
}

func TestAdamKerasEpsilonAndSGD(t *testing.T) {
	mk := func(v, g float32) *Param { return &Param{Name: "p", Value: []float32{v}, Grad: []float32{g}} }
	// Keras: two steps with the same gradient, by the formula.
	p := mk(1, 0.5)
	c := DefaultAdam()
	c.Eps, c.KerasEpsilon = 1e-7, true
	a, err := NewAdam(c, ParamGroup{Params: []*Param{p}, LR: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	want := 1.0
	m, v := 0.0, 0.0
	for step := 1; step <= 2; step++ {
		a.Step()
		m = 0.9*m + 0.1*0.5
		v = 0.999*v + 0.001*0.25
		lr := 0.1 * math.Sqrt(1-math.Pow(0.999, float64(step))) / (1 - math.Pow(0.9, float64(step)))
		want -= lr * m / (math.Sqrt(v) + 1e-7)
		if math.Abs(float64(p.Value[0])-want) > 1e-6 {
			t.Errorf("Keras Adam step %d: %.8g, want %.8g", step, p.Value[0], want)
		}
	}
	// SGD without momentum, with L2: p −= lr·(g + wd·p).
	p = mk(2, 0.5)
	s, err := NewSGD(SGDConfig{}, ParamGroup{Params: []*Param{p}, LR: 0.1, WeightDecay: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	s.Step()
	if w := 2 - 0.1*(0.5+0.01*2); math.Abs(float64(p.Value[0])-w) > 1e-6 {
		t.Errorf("SGD: %g, want %g", p.Value[0], w)
	}
	// Nesterov, two steps: buf = g, then μ·buf + g; update g + μ·buf.
	p = mk(1, 1)
	s, err = NewSGD(SGDConfig{Momentum: 0.5, Nesterov: true}, ParamGroup{Params: []*Param{p}, LR: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	s.Step()
	s.Step()
	if w := 1 - 0.1*(1+0.5*1) - 0.1*(1+0.5*1.5); math.Abs(float64(p.Value[0])-w) > 1e-6 {
		t.Errorf("Nesterov SGD: %g, want %g", p.Value[0], w)
	}
	// Group learning rates: a zero-LR group does not move.
	q, r := mk(1, 1), mk(1, 1)
	a, err = NewAdam(DefaultAdam(), ParamGroup{Params: []*Param{q}, LR: 0.01}, ParamGroup{Params: []*Param{r}, LR: 0})
	if err != nil {
		t.Fatal(err)
	}
	a.Step()
	if q.Value[0] == 1 || r.Value[0] != 1 {
		t.Errorf("groups: lr 0.01 → %g (want moved), lr 0 → %g (want 1)", q.Value[0], r.Value[0])
	}
	a.SetLR(1, 0.01)
	a.Step()
	if r.Value[0] == 1 || a.Groups()[1].LR != 0.01 {
		t.Errorf("SetLR did not take effect")
	}
	// Invalid configs.
	for _, err := range []error{
		func() error { _, err := NewAdam(AdamConfig{Beta1: 1, Beta2: 0.9, Eps: 1e-8}); return err }(),
		func() error { _, err := NewAdam(DefaultAdam(), ParamGroup{LR: -1}); return err }(),
		func() error { _, err := NewSGD(SGDConfig{Nesterov: true}); return err }(),
		func() error {
			_, err := NewSGD(SGDConfig{}, ParamGroup{Params: []*Param{q}}, ParamGroup{Params: []*Param{q}})
			return err
		}(),
	} {
		if !errors.Is(err, ErrConfig) {
			t.Errorf("invalid optimizer config: err %v, want ErrConfig", err)
		}
	}
}

func TestMetrics(t *testing.T) {
	rng := testRNG(t, 400)
	// AUC against the pairwise definition, with many ties.
	for iter := 0; iter < 50; iter++ {
		n := 2 + rng.IntN(30)
		scores := make([]float64, n)
		pos := make([]bool, n)
		for i := range scores {
			scores[i] = float64(rng.IntN(5)) / 4
			pos[i] = rng.IntN(2) == 0
		}
		pos[0], pos[1] = true, false
		var num, den float64
		for i := range scores {
			for j := range scores {
				if pos[i] && !pos[j] {
					den++
					switch {
					case scores[i] > scores[j]:
						num++
					case scores[i] == scores[j]:
						num += 0.5
					}
				}
			}
		}
		got, err := ROCAUC(scores, pos)
		if err != nil || math.Abs(got-num/den) > 1e-12 {
			t.Fatalf("ROCAUC = %v, %v; want %v", got, err, num/den)
		}
	}
	if _, err := ROCAUC([]float64{0.1, 0.2}, []bool{true, true}); !errors.Is(err, ErrOneClass) {
		t.Errorf("AUC of positives only: err %v, want ErrOneClass", err)
	}
	// scikit-learn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75.
	if a, _ := ROCAUC([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}); a != 0.75 {
		t.Errorf("AUC = %g, want 0.75", a)
	}
	// Macro one-vs-rest over 3 classes: a perfect ranking gives 1; class 2
	// absent is skipped.
	probs := []float64{0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.6, 0.3, 0.1, 0.1, 0.05, 0.85}
	if a, err := MacroAUC(probs, 3, []int{0, 1, 0, 2}); err != nil || a != 1 {
		t.Errorf("macro AUC = %v, %v; want 1", a, err)
	}
	// Class 0: 0.8 above 0.2, 0.6, 0.1 → 1; class 1: 0.7, 0.3, 0.05 against
	// 0.1 → 2/3; class 2 has no positives and is skipped.
	if a, err := MacroAUC(probs, 3, []int{0, 1, 1, 1}); err != nil || math.Abs(a-5.0/6) > 1e-12 {
		t.Errorf("macro AUC = %v, %v; want 5/6", a, err)
	}
	// Confusion matrix with per-class precision and recall.
	c := NewConfusion(3, []int{0, 0, 1, 1, 1, 2}, []int{0, 1, 1, 1, 0, 1})
	if c.At(1, 1) != 2 || c.At(1, 0) != 1 || c.Total() != 6 || math.Abs(c.Accuracy()-0.5) > 1e-12 {
		t.Errorf("confusion %v: accuracy %g", c.Counts, c.Accuracy())
	}
	if p, r := c.Precision(1), c.Recall(1); math.Abs(p-0.5) > 1e-12 || math.Abs(r-2.0/3) > 1e-12 {
		t.Errorf("class 1: precision %g recall %g, want 0.5, 0.667", p, r)
	}
	if p, r := c.Precision(2), c.Recall(2); p != 0 || r != 0 {
		t.Errorf("class 2 never predicted: precision %g recall %g, want 0, 0", p, r)
	}
	// Evaluate with a one-output sigmoid: two classes.
	m := Evaluate(SigmoidBinaryCrossEntropy, []float32{-2, 3, 0.5, -1}, 1, []int{0, 1, 0, 0})
	if m.Accuracy != 0.75 || m.AUC != 1 || m.Confusion.Classes != 2 || m.Confusion.At(0, 1) != 1 {
		t.Errorf("Evaluate BCE: %+v", m)
	}
	if m := Evaluate(SoftmaxCrossEntropy, []float32{1, 0, 2, 0}, 2, []int{0, 0}); !math.IsNaN(m.AUC) {
		t.Errorf("AUC with one class present = %g, want NaN", m.AUC)
	}
}

func TestSplitAndHead(t *testing.T) {
	rng := testRNG(t, 500)
	b := newBuilder(t, rng)
	x := b.input("image", 2, 6, 6, 3)
	y := b.conv("stem", x, convSpec{oc: 8, kh: 3, kw: 3, stride: [2]int{2, 2}, padE: [2]int{1, 1}, bias: true, act: kernels.Act{Kind: kernels.ActRelu}})
	y = b.conv("block", y, convSpec{oc: 8, kh: 1, kw: 1, bias: true})
	gp := b.node("gap", graph.OpGlobalAvgPool, nil, y)
	z := b.conv("classifier", gp, convSpec{oc: 5, kh: 1, kw: 1, bias: true}) // Keras-style 1×1 conv classifier
	z = b.reshape("squeeze", z, 2, 5)
	z = b.node("softmax", graph.OpSoftmax, &graph.SoftmaxParams{Axis: 1}, z)
	g := b.output(z)

	h, err := ReplaceHead(g, HeadConfig{Classes: 3, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range h.Nodes {
		names = append(names, n.Name)
	}
	if want := []string{"stem", "block", "gap", HeadFlatten, HeadNode}; len(names) != len(want) || names[3] != want[3] || names[4] != want[4] {
		t.Errorf("nodes after ReplaceHead: %v, want %v", names, want)
	}
	if out := h.Tensors[h.Outputs[0]]; out.Name != HeadOutput || out.Shape[0] != 2 || out.Shape[1] != 3 {
		t.Errorf("new output %s%v", out.Name, out.Shape)
	}
	if len(g.Nodes) != 6 {
		t.Errorf("ReplaceHead modified its input graph")
	}
	w := h.Tensors[h.Nodes[4].Inputs[1]].Const.F32
	lim := float32(math.Sqrt(6.0 / (8 + 3)))
	if maxAbs(w) > float64(lim) || maxAbs(w) < float64(lim)/2 {
		t.Errorf("head weights max |w| %g, Glorot limit %g", maxAbs(w), lim)
	}

	for _, c := range []struct {
		cut   Cut
		first string
		nodes int
	}{
		{Cut{Node: HeadNode}, HeadNode, 1},
		{Cut{Tensor: "gap:0"}, HeadFlatten, 2},
		{Cut{LastLayers: 2}, "block", 4},
		{Cut{LastLayers: 3}, "stem", 5},
		{Cut{Tensor: "image"}, "stem", 5},
	} {
		s, err := SplitAt(h, c.cut)
		if err != nil {
			t.Errorf("%+v: %v", c.cut, err)
			continue
		}
		if tn := s.TailNodes(); tn[0] != c.first || len(tn) != c.nodes {
			t.Errorf("%+v: tail %v, want %d nodes from %q", c.cut, tn, c.nodes, c.first)
		}
	}
	for _, c := range []Cut{{}, {Node: "nope"}, {Tensor: "nope"}, {LastLayers: 4}, {Node: HeadNode, LastLayers: 1}, {LastLayers: -1}} {
		if _, err := SplitAt(h, c); !errors.Is(err, ErrCut) {
			t.Errorf("SplitAt(%+v): err %v, want ErrCut", c, err)
		}
	}
	// A graph whose output is not reached through a classifier.
	b2 := newBuilder(t, rng)
	x2 := b2.input("x", 1, 4)
	g2 := b2.output(b2.binary("add", kernels.OpAdd, x2, x2))
	if _, err := ReplaceHead(g2, HeadConfig{Classes: 2}); !errors.Is(err, ErrHead) {
		t.Errorf("ReplaceHead without a classifier: err %v, want ErrHead", err)
	}
	// The original softmax in a tail has no backward pass.
	s, err := SplitAt(g, Cut{LastLayers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTail(s, TailOptions{Batch: 2}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("tail with Softmax: err %v, want ErrUnsupported", err)
	}
	if _, err := NewTail(s, TailOptions{}); !errors.Is(err, ErrConfig) {
		t.Errorf("batch 0: err %v, want ErrConfig", err)
	}

	// Backbone key: changes with a backbone weight, not with a tail weight.
	s1, _ := SplitAt(h, Cut{LastLayers: 2})
	k1 := s1.BackboneKey()
	if s1b, _ := SplitAt(h, Cut{LastLayers: 2}); s1b.BackboneKey() != k1 {
		t.Errorf("BackboneKey not deterministic")
	}
	tail, err := NewTail(s1, TailOptions{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	tail.Params()[0].Value[0] += 1
	if s2, _ := SplitAt(tail.Export(), Cut{LastLayers: 2}); s2.BackboneKey() != k1 {
		t.Errorf("BackboneKey changed with a tail weight")
	}
	h2 := cloneGraph(h)
	stemW := h2.Nodes[0].Inputs[1]
	c := h2.Tensors[stemW].Const.Clone()
	c.F32[0] += 1
	h2.Tensors[stemW].Const = c
	if s3, _ := SplitAt(h2, Cut{LastLayers: 2}); s3.BackboneKey() == k1 {
		t.Errorf("BackboneKey did not change with a backbone weight")
	}
	if bb := s1.Backbone(); len(bb.Nodes) != 1 || bb.Tensors[bb.Outputs[0]].Name != "stem:0" {
		t.Errorf("backbone: %d nodes, output %q", len(bb.Nodes), bb.Tensors[bb.Outputs[0]].Name)
	}
}

func TestSnapshotPredictExport(t *testing.T) {
	rng := testRNG(t, 600)
	b := newBuilder(t, rng)
	x := b.input("x", 4, 3, 3, 6)
	y := b.conv("conv", x, convSpec{oc: 6, kh: 3, kw: 3, padB: [2]int{1, 1}, padE: [2]int{1, 1}, groups: 6, bias: true})
	y = b.bn("bn", y, 1e-3)
	gp := b.node("gap", graph.OpGlobalAvgPool, nil, y)
	f := b.reshape("flatten", gp, 4, 6)
	g := b.output(b.dense(HeadNode, f, 2, true, kernels.Act{}))
	s, err := SplitAt(g, Cut{Tensor: "x"})
	if err != nil {
		t.Fatal(err)
	}
	tail, err := NewTail(s, TailOptions{Batch: 4, HeadDropout: 0.5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	feats := randSlice(rng, 10*s.FeatureLen(), -1, 1)
	p0 := tail.Predict(feats, 10)
	// Predict is eval mode: no dropout, batch-size independent.
	if got := tail.Forward(feats[8*s.FeatureLen():], 2, false); relDiff(got, p0[16:]) > 1e-6 {
		t.Errorf("Forward of the last 2 samples %v, Predict %v", got, p0[16:])
	}
	snap := tail.Snapshot()
	labels := []int{0, 1, 1, 0, 1, 0, 0, 1, 1, 0}
	opt, err := NewSGD(DefaultSGD(), HeadGroups(tail.Params(), 0.1, 0.1, 0)...)
	if err != nil {
		t.Fatal(err)
	}
	tail.TrainEpoch(feats, labels, Shuffle(10, 1, 0), SoftmaxCrossEntropy, opt)
	p1 := tail.Predict(feats, 10)
	if relDiff(p1, p0) < 1e-3 {
		t.Errorf("training did not change the predictions")
	}
	if err := tail.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if relDiff(tail.Predict(feats, 10), p0) != 0 {
		t.Errorf("Restore did not bring back the snapshot's predictions")
	}
	if err := tail.Restore(snap[:1]); err == nil {
		t.Errorf("Restore of a short snapshot succeeded")
	}
	// Export: the constants of the graph hold the values.
	tail.Params()[0].Value[0] = 42
	eg := tail.Export()
	var found bool
	for _, n := range eg.Nodes {
		if n.Name == "conv" {
			found = eg.Tensors[n.Inputs[1]].Const.F32[0] == 42
		}
	}
	if !found || g.Tensors[g.Nodes[0].Inputs[1]].Const.F32[0] == 42 {
		t.Errorf("Export: new weight in export %v; original graph untouched %v", found, g.Tensors[g.Nodes[0].Inputs[1]].Const.F32[0] != 42)
	}
}
