package starter

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/daemon/starter/internal/build"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
	"github.com/ocellus/ocellus/nn/train/finetune"
	"github.com/ocellus/ocellus/store"
)

// writeModel writes the embedded model and its preprocessing sidecar to a
// temp dir, as the daemon keeps a base model, and returns the path.
func writeModel(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "starter.onnx")
	if err := os.WriteFile(p, Model(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := preprocess.WriteSidecar(p, Spec()); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAPI(t *testing.T) {
	if !slices.Equal(Labels(), camera.DemoClassNames()) {
		t.Errorf("Labels() = %v, want %v", Labels(), camera.DemoClassNames())
	}
	if UnfreezeLast != build.LastBlockLayers {
		t.Errorf("UnfreezeLast = %d, the build says %d", UnfreezeLast, build.LastBlockLayers)
	}
	s := Spec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Layout != preprocess.NCHW || s.Width != build.Side || s.Height != build.Side || s.Channels != 3 {
		t.Errorf("Spec() = %v, want %dx%dx3 NCHW", s, build.Side, build.Side)
	}
	m := Model()
	if len(m) < 10<<10 || len(m) > 300<<10 {
		t.Errorf("model is %d bytes, want 10 KB … 300 KB", len(m))
	}
	m[0] ^= 0xff
	if Model()[0] == m[0] {
		t.Error("Model() returns the embedded slice itself, not a copy")
	}
}

// TestLoad loads the embedded model from a file as the daemon and finetune
// do, and checks its input, output and preprocessing sidecar.
func TestLoad(t *testing.T) {
	p := writeModel(t)
	for _, o := range []*nn.LoadOptions{nil, train.LoadOptions()} {
		m, err := nn.Load(p, o)
		if err != nil {
			t.Fatal(err)
		}
		in, out := m.Inputs(), m.Outputs()
		if len(in) != 1 || fmt.Sprint(in[0].Shape) != "[1 3 64 64]" || in[0].DType != tensor.Float32 {
			t.Errorf("inputs %+v, want one float32 [1 3 64 64]", in)
		}
		if len(out) != 1 || fmt.Sprint(out[0].Shape) != fmt.Sprintf("[1 %d]", len(Labels())) || out[0].Name != "logits" {
			t.Errorf("outputs %+v, want logits [1 %d]", out, len(Labels()))
		}
	}
	side, ok, err := preprocess.LoadSidecar(p)
	if err != nil || !ok || side != Spec() {
		t.Errorf("sidecar: %v %v %v, want %v", side, ok, err, Spec())
	}
}

// TestAccuracy classifies held-out demo frames (scene seed 2; the model
// was trained on seed 1) through the embedded model and its Spec, as the
// daemon does: at the demo's default size (320×240), and fewer at other
// sizes.
func TestAccuracy(t *testing.T) {
	m, err := nn.Load(writeModel(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ w, h, n int }{{320, 240, 600}, {640, 480, 100}, {160, 120, 100}} {
		n := c.n
		if testing.Short() {
			n /= 4
		}
		imgs, labels, err := build.Frames(2, c.w, c.h, build.HeldOutSeqs(n))
		if err != nil {
			t.Fatal(err)
		}
		acc, conf, err := build.Evaluate(m, imgs, labels)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%dx%d: held-out accuracy %.4f on %d frames; confusion [true][predicted] %v (classes %v)", c.w, c.h, acc, n, conf, Labels())
		if acc < 0.9 {
			t.Errorf("%dx%d: held-out accuracy %.4f, want ≥ 0.9", c.w, c.h, acc)
		}
		for k, row := range conf {
			total, hit := 0, row[k]
			for _, v := range row {
				total += v
			}
			if total >= 10 && float64(hit)/float64(total) < 0.75 {
				t.Errorf("%dx%d: class %s: recall %d/%d, want ≥ 0.75", c.w, c.h, Labels()[k], hit, total)
			}
		}
	}
}

// TestFinetune fine-tunes the starter on a tiny store with two new labels
// (discs as "ball", empty scenes as "empty"), phase 2 unfreezing
// UnfreezeLast layers: the last block and the new head.
func TestFinetune(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := camera.NewDemo(camera.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	w, h := d.Size()
	want := map[camera.DemoClass]string{camera.DemoCircle: "ball", camera.DemoNone: "empty"}
	for _, l := range []string{"ball", "empty"} {
		if err := st.AddLabel(l); err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	var items []store.NewSample
	frame := make([]uint8, w*h*3)
	for seq := uint64(5); len(items) < 36; seq += 11 {
		label, ok := want[d.Class(seq)]
		if !ok || count[label] == 18 {
			continue
		}
		d.Render(frame, seq)
		sp := store.Train
		if count[label]%3 == 2 {
			sp = store.Val
		}
		count[label]++
		items = append(items, store.NewSample{Image: encodeJPEG(t, frame, w, h), Label: label, Split: sp, Source: "demo"})
	}
	res, err := st.AddSamples(items)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("sample %d: %v", i, r.Err)
		}
	}
	p := writeModel(t)
	var progress bytes.Buffer
	out, err := finetune.Run(context.Background(), st, finetune.Config{ModelPath: p, HeadEpochs: 15, Epochs: 3, Phase2: true,
		UnfreezeLast: UnfreezeLast, Batch: 8, Threads: 1, Progress: &progress})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if len(out.Phases) != 2 {
		t.Fatalf("%d phases, want 2\n%s", len(out.Phases), progress.String())
	}
	var params []string
	for _, n := range out.Phases[1].Trainable {
		if strings.HasPrefix(n, "b3/") || n == train.HeadNode {
			params = append(params, strings.SplitN(n, "#", 2)[0])
		} else if n != train.HeadFlatten && !strings.HasPrefix(n, "pool") && !strings.HasPrefix(n, "flatten") {
			t.Errorf("phase-2 tail has node %q outside the last block and head", n)
		}
	}
	if fmt.Sprint(params) != fmt.Sprint([]string{"b3/dw", "b3/pw", train.HeadNode}) {
		t.Errorf("phase-2 trainable layers %v (tail %v), want b3/dw, b3/pw and the head", params, out.Phases[1].Trainable)
	}
	t.Logf("val accuracy: head %.3f, last block %.3f; test (%s) %.3f", out.Phases[0].ValAccuracy, out.Phases[1].ValAccuracy, out.Test.Split, out.Test.Accuracy)
	if out.Test.Accuracy < 0.9 {
		t.Errorf("fine-tuned accuracy %.3f on %s, want ≥ 0.9\n%s", out.Test.Accuracy, out.Test.Split, progress.String())
	}
	blob, err := st.ModelBlob(out.Model)
	if err != nil {
		t.Fatal(err)
	}
	fm, hdr, err := finetune.LoadModel(blob, p)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.LastLayers != UnfreezeLast || !slices.Equal(hdr.Classes, []string{"ball", "empty"}) {
		t.Errorf("blob header: last layers %d, classes %v", hdr.LastLayers, hdr.Classes)
	}
	if o := fm.Outputs(); len(o) != 1 || fmt.Sprint(o[0].Shape) != "[1 2]" {
		t.Errorf("fine-tuned model outputs %+v, want [1 2]", o)
	}
}

func encodeJPEG(t *testing.T, rgb []uint8, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:4*i+3], rgb[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTrainDeterministic runs the generator's training for a few steps on a
// few frames twice: the same bytes; another seed gives others. The model
// it writes loads and has the starter's shape.
func TestTrainDeterministic(t *testing.T) {
	cfg := build.Config{Seed: 7, Shots: 10, PerShot: 2, Epochs: 2, Batch: 8, MaxSteps: 3, Threads: 2}
	a, err := build.Train(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Threads = 1
	b, err := build.Train(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Steps != 3 {
		t.Errorf("%d steps, want 3", a.Steps)
	}
	if !bytes.Equal(a.ONNX, b.ONNX) {
		t.Error("two training runs with the same config (1 and 2 threads) gave different models")
	}
	cfg.Seed = 8
	c, err := build.Train(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.ONNX, c.ONNX) {
		t.Error("seeds 7 and 8 gave the same model")
	}
	// The same network as the embedded model: the same constants' shapes.
	shapes := func(b []byte) string {
		m, err := onnx.Import(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tn := range m.Graph.Tensors {
			if tn.Const != nil {
				s = append(s, fmt.Sprint(tn.Shape))
			}
		}
		return strings.Join(s, " ")
	}
	if sa, se := shapes(a.ONNX), shapes(Model()); sa != se {
		t.Errorf("trained network's constants %s, the embedded model's %s", sa, se)
	}
}

// TestRegenerate trains the starter as `go generate` does and compares the
// result with the embedded bytes. It takes minutes: set
// OCELLUS_STARTER_REGEN=1 and build with -tags purego (see the package
// comment on which machines reproduce the bytes).
func TestRegenerate(t *testing.T) {
	if os.Getenv("OCELLUS_STARTER_REGEN") == "" {
		t.Skip("full regeneration of the starter model (minutes): set OCELLUS_STARTER_REGEN=1 and use -tags purego")
	}
	if !pureGo {
		t.Fatal("OCELLUS_STARTER_REGEN: build the test with -tags purego, as go generate builds the generator")
	}
	res, err := build.Train(build.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.ONNX, Model()) {
		t.Fatalf("regenerated model (%d bytes, train accuracy %.4f) differs from the embedded one (%d bytes)", len(res.ONNX), res.TrainAcc, len(Model()))
	}
}

// BenchmarkInference is one frame through the starter model, preprocessing
// (a 320×240 demo frame) included, on one thread.
func BenchmarkInference(b *testing.B) {
	im, err := onnx.Import(Model(), nil)
	if err != nil {
		b.Fatal(err)
	}
	m, err := nn.FromONNX(im, nil)
	if err != nil {
		b.Fatal(err)
	}
	sess := m.NewSessionWith(nn.SessionOptions{Threads: 1})
	defer sess.Close()
	pre, err := preprocess.NewPreprocessor(Spec())
	if err != nil {
		b.Fatal(err)
	}
	d, err := camera.NewDemo(camera.Options{})
	if err != nil {
		b.Fatal(err)
	}
	w, h := d.Size()
	img := preprocess.NewRGB8(w, h)
	d.Render(img.Pix, 100)
	x := tensor.New(tensor.Float32, 1, 3, 64, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pre.Run(img, x.F32)
		if _, err := sess.Run(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
