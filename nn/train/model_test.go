package train

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

func loadForTraining(t testing.TB, name string) *nn.Model {
	t.Helper()
	path := fixture.Path(t, "models", "onnx", name)
	m, err := nn.Load(path, LoadOptions())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// hymenopteraImages returns the first n image paths (sorted) of each class
// folder of a hymenoptera split, and their labels (ants 0, bees 1).
func hymenopteraImages(t testing.TB, split string, n int) ([]string, []int) {
	t.Helper()
	dir := fixture.Path(t, "datasets", "hymenoptera", split)
	var paths []string
	var labels []int
	for c, class := range []string{"ants", "bees"} {
		ents, err := os.ReadDir(filepath.Join(dir, class))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, nm := range names[:min(n, len(names))] {
			paths = append(paths, filepath.Join(dir, class, nm))
			labels = append(labels, c)
		}
	}
	return paths, labels
}

// imageTensors decodes and preprocesses images as `ocellus classify` does
// for the ImageNet ONNX models: 224×224 bilinear, ImageNet mean/std, NCHW.
func imageTensors(t testing.TB, paths []string) []*tensor.Tensor {
	t.Helper()
	spec := preprocess.DefaultSpec()
	pp, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		t.Fatal(err)
	}
	var out []*tensor.Tensor
	for _, p := range paths {
		img, err := preprocess.DecodeFile(p)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(tensor.Float32, 1, spec.Channels, spec.Height, spec.Width)
		pp.Run(img, x.F32)
		out = append(out, x)
	}
	return out
}

// features runs the split's backbone on each image and returns the rows.
func features(t testing.TB, s *Split, ins []nn.IOSpec, imgs []*tensor.Tensor) []float32 {
	t.Helper()
	bb, err := s.BackboneModel(ins)
	if err != nil {
		t.Fatal(err)
	}
	sess := bb.NewSession()
	defer sess.Close()
	fl := s.FeatureLen()
	f := make([]float32, len(imgs)*fl)
	for i, x := range imgs {
		outs, err := sess.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Features(outs, f[i*fl:(i+1)*fl]); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// compileExport compiles an exported graph for inference (BatchNorm folded).
func compileExport(t testing.TB, g *graph.Graph, ins []nn.IOSpec) *nn.Model {
	t.Helper()
	m, err := CompileInference(g, ins)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestHymenopteraSmoke is a small real transfer-learning run: ImageNet
// MobileNetV2 features of 20 ants/bees images, a new 2-class head trained a
// few epochs (loss must fall and the training images be learnt), the
// export compiled by nn and checked against the tail, then a phase-2 tail
// (last block + head, starting from the trained head) whose forward pass
// must agree with that exported model and which trains a step.
func TestHymenopteraSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("real-model training: skipped with -short (the emulated-architecture runs); the golden and gradient tests cover the maths there")
	}
	m := loadForTraining(t, "mobilenetv2-1.0-imagenet-dequant.onnx")
	paths, labels := hymenopteraImages(t, "train", 10)
	imgs := imageTensors(t, paths)
	g, err := ReplaceHead(m.Graph(), HeadConfig{Classes: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s1, err := SplitAt(g, Cut{Node: HeadNode})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	f1 := features(t, s1, m.Inputs(), imgs)
	t.Logf("phase 1: features %v of %d images in %v", s1.InputShapes(), len(imgs), time.Since(t0).Round(time.Millisecond))

	tail, err := NewTail(s1, TailOptions{Batch: 8, HeadDropout: 0.2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	adam, err := NewAdam(DefaultAdam(), HeadGroups(tail.Params(), 1e-3, 0, 0)...)
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	for ep := 0; ep < 8; ep++ {
		losses = append(losses, tail.TrainEpoch(f1, labels, Shuffle(len(labels), 5, ep), SoftmaxCrossEntropy, adam))
	}
	t.Logf("phase 1 losses: %.4f", losses)
	if losses[len(losses)-1] >= 0.5*losses[0] {
		t.Errorf("head training loss went from %.4f to %.4f, want at least halved", losses[0], losses[len(losses)-1])
	}
	met := Evaluate(SoftmaxCrossEntropy, tail.Predict(f1, len(labels)), 2, labels)
	t.Logf("phase 1 on its training images: loss %.4f accuracy %.2f AUC %.3f", met.Loss, met.Accuracy, met.AUC)
	if met.Accuracy < 0.9 {
		t.Errorf("training accuracy %.2f after 8 epochs, want >= 0.9", met.Accuracy)
	}

	// Export: the full model, compiled by nn, gives the tail's logits.
	eg := tail.Export()
	full := compileExport(t, eg, m.Inputs())
	sess := full.NewSession()
	defer sess.Close()
	want := tail.Predict(f1, len(labels))
	for i := 0; i < len(imgs); i += 7 {
		outs, err := sess.Run(imgs[i])
		if err != nil {
			t.Fatal(err)
		}
		if r := relDiff(outs[0].F32, want[2*i:2*i+2]); r > 1e-4 {
			t.Errorf("image %d: exported model logits %v, tail %v", i, outs[0].F32, want[2*i:2*i+2])
		}
	}

	// Phase 2: last block + head (5 Conv/Dense layers) from the exported graph.
	s2, err := SplitAt(eg, Cut{LastLayers: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("phase 2 tail: %v, inputs %v %v", s2.TailNodes(), s2.Inputs(), s2.InputShapes())
	t0 = time.Now()
	f2 := features(t, s2, m.Inputs(), imgs)
	t.Logf("phase 2: features of %d images in %v", len(imgs), time.Since(t0).Round(time.Millisecond))
	tail2, err := NewTail(s2, TailOptions{Batch: 8, HeadDropout: 0.2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if np := len(tail2.Params()); np != 10 {
		t.Errorf("phase 2 tail has %d parameters, want 10 (5 layers × weight and bias)", np)
	}
	got := tail2.Predict(f2, len(labels))
	if r := relDiff(got, want); r > 1e-4 {
		t.Errorf("phase-2 tail forward differs from phase-1 model by %.2g (rel)", r)
	}
	adam2, err := NewAdam(DefaultAdam(), HeadGroups(tail2.Params(), 1e-5, 1e-5, 0)...)
	if err != nil {
		t.Fatal(err)
	}
	before := Evaluate(SoftmaxCrossEntropy, got, 2, labels).Loss
	t0 = time.Now()
	l2 := tail2.TrainEpoch(f2, labels, Shuffle(len(labels), 6, 0), SoftmaxCrossEntropy, adam2)
	after := Evaluate(SoftmaxCrossEntropy, tail2.Predict(f2, len(labels)), 2, labels).Loss
	t.Logf("phase 2 epoch (%d images, batch 8) in %v: train loss %.4f, eval loss %.4f → %.4f", len(labels), time.Since(t0).Round(time.Millisecond), l2, before, after)
	if math.IsNaN(after) || after > before*1.05 {
		t.Errorf("phase-2 epoch at lr 1e-5 moved the loss from %.4f to %.4f", before, after)
	}
}

// relDiff is max |a − b| / max |b|.
func relDiff(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	return d / math.Max(m, 1e-30)
}

// TestRealTails builds last-block tails of the EfficientNet-B0 and
// MobileNetV3-small test models (BatchNorm unfolded: frozen BN, swish,
// hard-swish, squeeze-excite) with a new head, checks the tail's forward
// pass against the exported model compiled by nn (BatchNorm folded there),
// and spot-checks parameter gradients of the real tail against finite
// differences where the tail is smooth (EfficientNet: SiLU and sigmoid).
func TestRealTails(t *testing.T) {
	if testing.Short() {
		t.Skip("real-model tails: skipped with -short (the emulated-architecture runs); the golden and gradient tests cover the maths there")
	}
	for _, c := range []struct {
		model  string
		layers int
		fd     bool
	}{
		{"efficientnet_b0_random.onnx", 7, true},     // features.7.0 (expand, dw, SE fc1/fc2, project), features.8, head
		{"mobilenet_v3_small_random.onnx", 8, false}, // features.11, features.12, classifier.0, head
	} {
		t.Run(c.model, func(t *testing.T) {
			m := loadForTraining(t, c.model)
			g, err := ReplaceHead(m.Graph(), HeadConfig{Classes: 3, Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			s, err := SplitAt(g, Cut{LastLayers: c.layers})
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]int{}
			for _, n := range s.g.Nodes[s.start:] {
				ops[n.Op.String()]++
			}
			t.Logf("tail from %q: %d nodes %v, inputs %v %v", s.TailNodes()[0], len(s.TailNodes()), ops, s.Inputs(), s.InputShapes())
			if ops["BatchNorm"] == 0 {
				t.Errorf("tail has no BatchNorm node: was the model loaded with BN folded?")
			}
			rng := testRNG(t, 7)
			imgs := []*tensor.Tensor{
				tensor.FromF32(randSlice(rng, 3*224*224, -2, 2), 1, 3, 224, 224),
				tensor.FromF32(randSlice(rng, 3*224*224, -2, 2), 1, 3, 224, 224),
			}
			f := features(t, s, m.Inputs(), imgs)
			tail, err := NewTail(s, TailOptions{Batch: 2})
			if err != nil {
				t.Fatal(err)
			}
			labels := []int{0, 2}
			loss := tail.TrainStep(f, labels, SoftmaxCrossEntropy)
			// The forward pass agrees with nn on the exported model.
			full := compileExport(t, tail.Export(), m.Inputs())
			sess := full.NewSession()
			defer sess.Close()
			got := tail.Predict(f, 2)
			for i, x := range imgs {
				outs, err := sess.Run(x)
				if err != nil {
					t.Fatal(err)
				}
				if r := relDiff(got[3*i:3*i+3], outs[0].F32); r > 1e-4 {
					t.Errorf("image %d: tail logits %v, exported model %v (rel %.2g)", i, got[3*i:3*i+3], outs[0].F32, r)
				}
			}
			for _, p := range tail.Params() {
				if maxAbs(p.Grad) == 0 {
					t.Errorf("parameter %q has an all-zero gradient", p.Name)
				}
			}
			if !c.fd {
				return
			}
			// Finite differences on a few weights of every parameter of the real tail.
			lossAt := func() float64 {
				return SoftmaxCrossEntropy.Eval(tail.Forward(f, 2, false), 3, labels, nil)
			}
			if l := lossAt(); math.Abs(l-loss) > 1e-6*loss {
				t.Fatalf("loss %.9g in eval mode, %.9g in training mode (no dropout: must be equal)", l, loss)
			}
			const h = 1e-2
			for _, p := range tail.Params() {
				ana := append([]float32(nil), p.Grad...)
				scale := maxAbs(ana)
				for _, i := range rng.Perm(len(p.Value))[:min(2, len(p.Value))] {
					old := p.Value[i]
					p.Value[i] = old + h
					lp := lossAt()
					p.Value[i] = old - h
					lm := lossAt()
					p.Value[i] = old
					num := (lp - lm) / (2 * h)
					if math.Abs(num-float64(ana[i])) > 1e-2*scale+1e-3*math.Abs(num) {
						t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (max |grad| %.3g)", p.Name, i, ana[i], num, scale)
					}
				}
			}
		})
	}
}
