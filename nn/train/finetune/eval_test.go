package finetune

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
	"github.com/ocellus/ocellus/store"
)

// onnxBuilder writes small float ONNX models for tests.
type onnxBuilder struct {
	g *onnxpb.Graph
}

func newONNX(input string, dims ...int64) *onnxBuilder {
	return &onnxBuilder{g: &onnxpb.Graph{Name: "tiny", Inputs: []*onnxpb.ValueInfo{valueInfo(input, dims...)}}}
}

func valueInfo(name string, dims ...int64) *onnxpb.ValueInfo {
	return onnxpb.TensorValueInfo(name, onnxpb.DataTypeFloat, dims...)
}

func (b *onnxBuilder) init(name string, v []float32, dims ...int64) string {
	b.g.Initializers = append(b.g.Initializers, &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, FloatData: v})
	return name
}

func (b *onnxBuilder) node(op, out string, attrs []*onnxpb.Attribute, ins ...string) string {
	b.g.Nodes = append(b.g.Nodes, &onnxpb.Node{Name: out, OpType: op, Inputs: ins, Outputs: []string{out}, Attributes: attrs})
	return out
}

func intsAttr(name string, v ...int64) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInts, Ints: v}
}

func intAttr(name string, v int64) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInt, I: v}
}

// output marks out as the single graph output (dims unknown) and returns
// the encoded model.
func (b *onnxBuilder) output(out string) []byte {
	b.g.Outputs = []*onnxpb.ValueInfo{{Name: out}}
	m := &onnxpb.Model{IRVersion: 8, ProducerName: "ocellus-test", OpsetImports: []*onnxpb.OperatorSetID{{Version: 13}}, Graph: b.g}
	return m.Marshal()
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// colourModel is a 3-class classifier of 8×8 NCHW images whose logit c is
// scale times the mean of channel c (GlobalAveragePool → Flatten → Gemm
// with weights scale·I): a solid colour is classified by its dominant
// channel. softmax appends a Softmax output.
func colourModel(scale float32, softmax bool) []byte {
	b := newONNX("input", 1, 3, 8, 8)
	gap := b.node("GlobalAveragePool", "gap", nil, "input")
	flat := b.node("Flatten", "flat", []*onnxpb.Attribute{intAttr("axis", 1)}, gap)
	w := make([]float32, 9)
	for i := 0; i < 3; i++ {
		w[i*3+i] = scale
	}
	out := b.node("Gemm", "logits", []*onnxpb.Attribute{intAttr("transB", 1)}, flat,
		b.init("fc.w", w, 3, 3), b.init("fc.b", []float32{0, 0, 0}, 3))
	if softmax {
		out = b.node("Softmax", "prob", []*onnxpb.Attribute{intAttr("axis", 1)}, out)
	}
	return b.output(out)
}

// colourJPEG is a 16×16 JPEG of colour c with per-pixel noise of ±noise.
func colourJPEG(t testing.TB, rng *rand.Rand, c [3]int, noise int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			var p [3]uint8
			for i := range p {
				v := c[i]
				if noise > 0 {
					v += rng.IntN(2*noise+1) - noise
				}
				p[i] = uint8(max(0, min(255, v)))
			}
			img.SetRGBA(x, y, color.RGBA{p[0], p[1], p[2], 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tinySpec(t testing.TB) preprocess.Spec {
	t.Helper()
	spec := preprocess.DefaultSpec()
	spec.Width, spec.Height = 8, 8
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	return spec
}

var colours = map[string][3]int{"red": {220, 40, 40}, "green": {40, 220, 40}, "blue": {40, 40, 220}, "purple": {160, 40, 160}}

// colourStore makes a store with labels red, green and blue (and purple
// when unknown is set) and, per split, samples of each: per[split][label]
// lists the colour each sample of that label really has.
func colourStore(t testing.TB, per map[store.Split]map[string][]string) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rng := rand.New(rand.NewPCG(7, 7))
	added := map[string]bool{}
	for _, sp := range []store.Split{store.Train, store.Val, store.Test} {
		var items []store.NewSample
		for _, l := range []string{"red", "green", "blue", "purple"} {
			for _, c := range per[sp][l] {
				if !added[l] {
					if err := st.AddLabel(l); err != nil {
						t.Fatal(err)
					}
					added[l] = true
				}
				items = append(items, store.NewSample{Image: colourJPEG(t, rng, colours[c], 30), Label: l, Split: sp, Source: "test"})
			}
		}
		res, err := st.AddSamples(items)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	return st
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func loadBytes(t testing.TB, b []byte, o *nn.LoadOptions) *nn.Model {
	t.Helper()
	p := writeFile(t, t.TempDir(), "m.onnx", b)
	m, err := nn.Load(p, o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// refScores runs m on every sample of split with a plain session and
// returns the outputs and labels (the reference Evaluate is checked
// against).
func refScores(t testing.TB, st *store.Store, m *nn.Model, spec preprocess.Spec, split store.Split) ([][]float32, []string) {
	t.Helper()
	smp, err := st.Samples(store.Filter{Split: split})
	if err != nil {
		t.Fatal(err)
	}
	sess := m.NewSession()
	defer sess.Close()
	x := tensor.New(tensor.Float32, m.Inputs()[0].Shape...)
	var outs [][]float32
	var labels []string
	for _, s := range smp {
		b, err := st.Image(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		img, err := preprocess.DecodeBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		spec.Apply(img, x.F32)
		o, err := sess.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, append([]float32(nil), o[0].F32...))
		labels = append(labels, s.Label)
	}
	return outs, labels
}

// TestEvaluate: a colour classifier on a store whose confusion is known by
// construction (two green images labelled red, one blue labelled green, two
// purple — reddish-blue — images with a label the model does not know).
func TestEvaluate(t *testing.T) {
	classes := []string{"red", "green", "blue"}
	st := colourStore(t, map[store.Split]map[string][]string{
		store.Train: {"red": {"red"}, "green": {"green"}, "blue": {"blue"}},
		store.Test: {
			"red":    append(repeat("red", 5), "green", "green"),
			"green":  append(repeat("green", 4), "blue"),
			"blue":   repeat("blue", 6),
			"purple": {"purple", "purple"},
		},
	})
	spec := tinySpec(t)
	logitModel := loadBytes(t, colourModel(1, false), nil)
	probModel := loadBytes(t, colourModel(1, true), nil)
	if OutputIsProbability(logitModel) || !OutputIsProbability(probModel) {
		t.Fatalf("OutputIsProbability: logits model %v, softmax model %v", OutputIsProbability(logitModel), OutputIsProbability(probModel))
	}

	rep, err := Evaluate(context.Background(), st, logitModel, classes, spec, store.Test, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report %+v", rep)
	wantClasses := []string{"red", "green", "blue", "purple"}
	wantConf := [][]int{{5, 2, 0}, {0, 4, 1}, {0, 0, 6}, {0, 0, 0}}
	// Purple (160, 40, 160) normalised: R (0.627−0.485)/0.229 = 0.62,
	// B (0.627−0.406)/0.225 = 0.98: predicted blue.
	wantConf[3][2] = 2
	if strings.Join(rep.Classes, ",") != strings.Join(wantClasses, ",") {
		t.Errorf("classes %v, want %v", rep.Classes, wantClasses)
	}
	if rep.Split != "test" || rep.Samples != 20 {
		t.Errorf("split %q samples %d, want test and 20", rep.Split, rep.Samples)
	}
	if len(rep.Confusion) != 4 {
		t.Fatalf("confusion has %d rows, want 4", len(rep.Confusion))
	}
	for i := range wantConf {
		if len(rep.Confusion[i]) != 3 {
			t.Fatalf("confusion row %d has %d columns, want 3", i, len(rep.Confusion[i]))
		}
	}
	if !slices.EqualFunc(rep.Confusion, wantConf, slices.Equal[[]int]) {
		t.Errorf("confusion %v, want %v", rep.Confusion, wantConf)
	}
	if want := 15.0 / 20; math.Abs(rep.Accuracy-want) > 1e-12 {
		t.Errorf("accuracy %.4f, want %.4f (unknown labels count as wrong)", rep.Accuracy, want)
	}
	wantP := []float64{1, 4.0 / 6, 6.0 / 9, 0}
	wantR := []float64{5.0 / 7, 4.0 / 5, 1, 0}
	for i := range wantP {
		if math.Abs(rep.Precision[i]-wantP[i]) > 1e-12 || math.Abs(rep.Recall[i]-wantR[i]) > 1e-12 {
			t.Errorf("precision %.4f recall %.4f, want %.4f and %.4f", rep.Precision, rep.Recall, wantP, wantR)
			break
		}
	}

	// Loss and AUC against a reference over the 18 known samples.
	outs, labels := refScores(t, st, logitModel, spec, store.Test)
	var logits []float32
	var kl []int
	var ce float64
	for i, o := range outs {
		c := map[string]int{"red": 0, "green": 1, "blue": 2}
		y, ok := c[labels[i]]
		if !ok {
			continue
		}
		logits = append(logits, o...)
		kl = append(kl, y)
		var z float64
		for _, v := range o {
			z += math.Exp(float64(v))
		}
		ce += math.Log(z) - float64(o[y])
	}
	ce /= float64(len(kl))
	probs, _ := train.SoftmaxCrossEntropy.Probabilities(logits, 3)
	auc, err := train.MacroAUC(probs, 3, kl)
	if err != nil {
		t.Fatal(err)
	}
	if len(kl) != 18 || math.Abs(rep.Loss-ce) > 1e-9*math.Max(1, ce) || math.Abs(rep.AUC-auc) > 1e-12 {
		t.Errorf("loss %.6f AUC %.6f, want %.6f and %.6f over %d known samples", rep.Loss, rep.AUC, ce, auc, len(kl))
	}
	if !(rep.AUC > 0.5 && rep.AUC < 1) {
		t.Errorf("AUC %.4f: the mislabelled samples should keep it below 1", rep.AUC)
	}

	// The softmax model gives the same figures: its outputs are not
	// softmaxed twice (that would flatten them and raise the loss).
	rp, err := Evaluate(context.Background(), st, probModel, classes, spec, store.Test, 1)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rp.Loss-rep.Loss) > 1e-5*rep.Loss || math.Abs(rp.AUC-rep.AUC) > 1e-6 || rp.Accuracy != rep.Accuracy {
		t.Errorf("softmax model: loss %.6f AUC %.6f acc %.4f, logits model %.6f %.6f %.4f", rp.Loss, rp.AUC, rp.Accuracy, rep.Loss, rep.AUC, rep.Accuracy)
	}

	// Errors name what is wrong.
	for _, c := range []struct {
		name    string
		classes []string
		split   store.Split
		spec    preprocess.Spec
		want    string
	}{
		{"class count", []string{"red", "green"}, store.Test, spec, "3 values"},
		{"one class", []string{"red"}, store.Test, spec, "two classes"},
		{"empty split", classes, store.Val, spec, "no val samples"},
		{"spec size", classes, store.Test, preprocess.DefaultSpec(), "input"},
	} {
		_, err := Evaluate(context.Background(), st, logitModel, c.classes, c.spec, c.split, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Evaluate(ctx, st, logitModel, classes, spec, store.Test, 2); err == nil {
		t.Error("Evaluate with a cancelled context succeeded")
	}
}

// TestEvaluateTrained: a version trained by Run on the tiny colour model,
// rebuilt by LoadModel, scores the val split as the run's report says.
func TestEvaluateTrained(t *testing.T) {
	st := colourStore(t, map[store.Split]map[string][]string{
		store.Train: {"red": repeat("red", 6), "green": repeat("green", 6), "blue": repeat("blue", 6)},
		store.Val:   {"red": append(repeat("red", 3), "blue"), "green": repeat("green", 3), "blue": repeat("blue", 3)},
	})
	base := writeFile(t, t.TempDir(), "colour.onnx", colourModel(1, false))
	spec := tinySpec(t)
	res, err := Run(context.Background(), st, Config{ModelPath: base, Spec: &spec, HeadEpochs: 40, HeadLR: 0.05, Batch: 6, HeadDropout: -1})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := st.ModelBlob(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	m, h, err := LoadModel(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), st, m, h.Classes, spec, store.Val, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run: %+v\nevaluate: %+v", res.Test, rep)
	if rep.Samples != 10 || rep.Accuracy != res.Test.Accuracy || math.Abs(rep.Loss-res.Test.Loss) > 1e-4*res.Test.Loss {
		t.Errorf("Evaluate: %d samples accuracy %.4f loss %.6f; the run reported %d, %.4f, %.6f",
			rep.Samples, rep.Accuracy, rep.Loss, res.Test.Samples, res.Test.Accuracy, res.Test.Loss)
	}
	if rep.Accuracy < 0.85 {
		t.Errorf("trained colour model: val accuracy %.2f, want ≥ 0.9 (one sample is mislabelled)", rep.Accuracy)
	}
	if len(rep.Classes) != 3 || rep.Confusion[0][2] != res.Test.Confusion[0][2] {
		t.Errorf("confusion %v, the run's %v", rep.Confusion, res.Test.Confusion)
	}
}

// TestEvaluateImageNet: the plain ImageNet MobileNetV2 (1000 classes) on
// a store of shared images labelled with ImageNet class names (its
// measured top-1 classes), one labelled wrong and one with a label the
// model does not know.
func TestEvaluateImageNet(t *testing.T) {
	if testing.Short() {
		t.Skip("real model: skipped with -short")
	}
	raw, err := os.ReadFile(fixture.Path(t, "models", "labels", "imagenet_labels_1000.txt"))
	if err != nil {
		t.Fatal(err)
	}
	classes := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(classes) != 1000 {
		t.Fatalf("%d ImageNet labels", len(classes))
	}
	// Measured top-1 (expected_top1.tsv, bilinear_hp): margins ≥ 0.78.
	items := []struct {
		image string
		label string
		pred  int
	}{
		{"parrot.jpg", classes[88], 88},
		{"hot_dog.jpg", classes[934], 934},
		{"cat.jpg", classes[285], 285},
		{"bird.bmp", classes[19], 19},
		{"dragonfly.bmp", classes[19], 319}, // labelled wrong
		{"sunflower.bmp", "ants", 985},      // unknown to the model
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var news []store.NewSample
	for _, it := range items {
		b, err := os.ReadFile(fixture.Path(t, "images", it.image))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddLabel(it.label); err != nil && !errors.Is(err, store.ErrLabelExists) {
			t.Fatal(err)
		}
		news = append(news, store.NewSample{Image: b, Label: it.label, Split: store.Test, Source: it.image})
	}
	if res, err := st.AddSamples(news); err != nil {
		t.Fatal(err)
	} else {
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	m, err := nn.Load(modelPath(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(context.Background(), st, m, classes, preprocess.DefaultSpec(), store.Test, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accuracy %.4f AUC %.4f loss %.4f", rep.Accuracy, rep.AUC, rep.Loss)
	if rep.Samples != 6 || math.Abs(rep.Accuracy-4.0/6) > 1e-12 {
		t.Errorf("%d samples, accuracy %.4f; want 6 and 4/6", rep.Samples, rep.Accuracy)
	}
	if len(rep.Classes) != 1001 || rep.Classes[1000] != "ants" || len(rep.Confusion) != 1001 || len(rep.Confusion[0]) != 1000 {
		t.Fatalf("report shape: %d classes (last %q), confusion %d×%d; want 1001, ants, 1001×1000",
			len(rep.Classes), rep.Classes[len(rep.Classes)-1], len(rep.Confusion), len(rep.Confusion[0]))
	}
	for _, it := range items {
		row := 1000
		if it.label != "ants" {
			row = slices.Index(classes, it.label)
		}
		if rep.Confusion[row][it.pred] == 0 {
			t.Errorf("%s (%s): no count at predicted %d (%s)", it.image, it.label, it.pred, classes[it.pred])
		}
	}
	if math.IsNaN(rep.Loss) || math.IsInf(rep.Loss, 0) || rep.Loss <= 0 || math.IsNaN(rep.AUC) {
		t.Errorf("loss %v AUC %v, want finite (over the 5 known samples)", rep.Loss, rep.AUC)
	}
	if rep.Recall[19] != 0.5 || rep.Precision[319] != 0 || rep.Precision[985] != 0 || rep.Recall[1000] != 0 {
		t.Errorf("recall chickadee %.2f (want 0.5), precision dragonfly %.2f daisy %.2f (want 0: wrong labels), recall ants %.2f",
			rep.Recall[19], rep.Precision[319], rep.Precision[985], rep.Recall[1000])
	}
}
