package finetune

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/store"
)

// TestInt8Hymenoptera: head-only training on ants vs bees with the int8
// MobileNetV2 (QOperator) as the base. The backbone runs int8 (the
// features come from the quantized graph), the head trains in float32,
// then is re-quantized from the training samples: the loaded model runs
// int8 from the input to the logits, and classifies val as the run
// reported. With -short, 30 images per class and split.
func TestInt8Hymenoptera(t *testing.T) {
	perClass, minAcc, minAUC := 0, 0.9, 0.95
	if testing.Short() {
		perClass, minAcc, minAUC = 30, 0.8, 0.85
	}
	st, count := importHymenoptera(t, perClass)
	base := fixture.Path(t, "models", "onnx", "mobilenetv2-12-int8.onnx")
	var progress bytes.Buffer
	t0 := time.Now()
	res, err := Run(context.Background(), st, Config{ModelPath: base, ActivateBy: "test", Progress: &progress})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	t.Logf("run in %v (%d train, %d val)", time.Since(t0).Round(time.Millisecond), count[store.Train], count[store.Val])
	p1 := res.Phases[0]
	t.Logf("head: %d epochs, best %d, val loss %.4f acc %.4f AUC %.4f; features %d in %v, epoch %v",
		p1.Epochs, p1.BestEpoch, p1.ValLoss, p1.ValAccuracy, p1.ValAUC, p1.Computed, p1.FeatureTime.Round(time.Millisecond), p1.EpochTime.Round(time.Millisecond))
	if p1.ValAccuracy < minAcc || !(p1.ValAUC >= minAUC) {
		t.Errorf("head-only val accuracy %.4f AUC %.4f (float tail), want ≥ %g and ≥ %g", p1.ValAccuracy, p1.ValAUC, minAcc, minAUC)
	}
	i8 := res.Int8
	if i8 == nil || i8.Tail != TailInt8 {
		t.Fatalf("int8 report %+v, want an int8 tail\n%s", i8, progress.String())
	}
	t.Logf("int8 tail: val accuracy %.4f (float %.4f), agreement %.4f, max |Δlogit| %.3g; test %s accuracy %.4f AUC %.4f %v",
		i8.Int8Accuracy, i8.FloatAccuracy, i8.Agreement, i8.MaxLogitDiff, res.Test.Split, res.Test.Accuracy, res.Test.AUC, res.Test.Confusion)
	if i8.Agreement < 0.95 || i8.Int8Accuracy < minAcc-0.02 || i8.FloatAccuracy != p1.ValAccuracy {
		t.Errorf("int8 tail: agreement %.4f, accuracy %.4f (float %.4f, phase %.4f)", i8.Agreement, i8.Int8Accuracy, i8.FloatAccuracy, p1.ValAccuracy)
	}
	if res.Test.Accuracy != i8.Int8Accuracy {
		t.Errorf("test report accuracy %.4f, want the int8 tail's %.4f", res.Test.Accuracy, i8.Int8Accuracy)
	}
	act, err := st.ActiveModel()
	if err != nil || act.ID != res.Model {
		t.Fatalf("active model %+v (%v)", act, err)
	}
	if !strings.HasPrefix(act.Backbone, "int8:") {
		t.Errorf("model backbone key %q, want an int8: key", act.Backbone)
	}
	blob, err := st.ModelBlob(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := ExportONNX(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	expPath := filepath.Join(t.TempDir(), "exported.onnx")
	if err := os.WriteFile(expPath, exported, 0o644); err != nil {
		t.Fatal(err)
	}
	em, err := nn.Load(expPath, nil)
	if err != nil {
		t.Fatalf("our importer on the exported model: %v", err)
	}

	// The loaded model runs int8 end to end: every convolution and the new
	// head; the float-tail variant has a float head.
	lm, h, err := LoadModel(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := LoadModelFloatTail(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	ops, fops := Int8Ops(lm), Int8Ops(fm)
	t.Logf("int8 ops: loaded %v; float tail %v", ops, fops)
	if ops["Conv"] != 52 || ops["Dense"] != 1 || fops["Conv"] != 52 || fops["Dense"] != 0 {
		t.Errorf("int8 ops %v and (float tail) %v, want 52 Conv each and the head Dense int8 only in the first", ops, fops)
	}
	if h.Int8 == nil || len(h.Int8.Ranges) == 0 {
		t.Errorf("blob header int8 %+v, want calibration ranges", h.Int8)
	}
	spec, err := preprocess.ParseSpec(h.Preprocess)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := st.Samples(store.Filter{Split: store.Val})
	if err != nil {
		t.Fatal(err)
	}
	if eops := Int8Ops(em); eops["Conv"] != 52 || eops["Dense"] != 1 {
		t.Errorf("exported model int8 ops %v, want 52 Conv and the head Dense", eops)
	}
	// Every third val image through both loaded models and the exported
	// one (which must give the int8 model's logits: the same integers).
	right := map[*nn.Model]int{}
	n, worst := 0, 0.0
	var inputs, want [][]float32
	for i := 0; i < len(vals); i += 3 {
		b, err := st.Image(vals[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		img, err := preprocess.DecodeBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(tensor.Float32, lm.Inputs()[0].Shape...)
		spec.Apply(img, x.F32)
		n++
		var logits [][]float32
		for _, m := range []*nn.Model{lm, fm, em} {
			s := m.NewSession()
			outs, err := s.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			if h.Classes[tensor.Argmax(outs[0].F32)] == vals[i].Label {
				right[m]++
			}
			logits = append(logits, append([]float32(nil), outs[0].F32...))
			s.Close()
		}
		worst = max(worst, relDiff(logits[2], logits[0]))
		inputs, want = append(inputs, append([]float32(nil), x.F32...)), append(want, logits[0])
	}
	t.Logf("exported vs LoadModel: max |diff| / max |logit| %.3g", worst)
	if worst > 1e-6 {
		t.Errorf("the exported model differs from LoadModel by %.3g of the largest logit", worst)
	}
	if ort := os.Getenv("OCELLUS_ORTRUN"); ort != "" {
		compareORT(t, ort, expPath, em.Inputs()[0], em.Outputs()[0].Name, inputs, want)
	} else {
		t.Log("OCELLUS_ORTRUN not set: ONNX Runtime comparison skipped")
	}
	t.Logf("loaded models on %d val images: int8 tail %d right, float tail %d", n, right[lm], right[fm])
	if float64(right[lm]) < (minAcc-0.05)*float64(n) || float64(right[fm]) < (minAcc-0.05)*float64(n) {
		t.Errorf("loaded models: %d and %d of %d val images right", right[lm], right[fm], n)
	}
}

// qdqBase quantizes the tiny float model bnModel with nn/ptq (as `ocellus
// quantize` does: BatchNorm folded, QDQ, per-channel weights), calibrated
// on random images, and writes it under dir.
func qdqBase(t *testing.T, dir string, spec preprocess.Spec) string {
	t.Helper()
	fm, err := onnxpb.DecodeModel(bnModel(1))
	if err != nil {
		t.Fatal(err)
	}
	prep, err := ptq.Prepare(fm)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ptq.DefaultConfig()
	cal, err := ptq.NewCalibrator(prep, cfg.Bins, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(tensor.Float32, cal.Model().Inputs()[0].Shape...)
	for _, img := range randomImages(16) {
		spec.Apply(img, x.F32)
		if err := cal.Add(x); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := cal.Ranges(cfg.Method, cfg.Percentile)
	if err != nil {
		t.Fatal(err)
	}
	qm, _, err := ptq.Quantize(prep, ranges, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "bn.qdq.onnx", qm.Marshal())
}

// TestInt8QDQTiny: a QDQ base (nn/ptq's output) with a phase-2 tail of a
// convolution and the head: the tail trains in float, is re-quantized,
// and the loaded model runs both convolutions and the head int8, close to
// the float tail; a phase-2 version is not exported (ErrInt8Export), a
// head-only one is, and gives LoadModel's logits.
func TestInt8QDQTiny(t *testing.T) {
	spec := tinySpec(t)
	base := qdqBase(t, t.TempDir(), spec)
	st := colourStore(t, map[store.Split]map[string][]string{
		store.Train: {"red": repeat("red", 6), "green": repeat("green", 6), "blue": repeat("blue", 6)},
		store.Val:   {"red": repeat("red", 3), "green": repeat("green", 3), "blue": repeat("blue", 3)},
	})
	var progress bytes.Buffer
	res, err := Run(context.Background(), st, Config{ModelPath: base, Spec: &spec, HeadEpochs: 5, Epochs: 5, LR: 0.05,
		Phase2: true, UnfreezeLast: 2, Batch: 4, Progress: &progress})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if res.Int8 == nil || res.Int8.Tail != TailInt8 || res.Int8.Samples != 18 || res.Int8.ValSamples != 9 {
		t.Fatalf("int8 report %+v, want an int8 tail calibrated on 18 samples\n%s", res.Int8, progress.String())
	}
	if len(res.Phases) != 2 || len(res.Phases[1].Trainable) < 3 {
		t.Fatalf("phases %+v, want a phase-2 tail with a convolution", res.Phases)
	}
	t.Logf("phase-2 tail %v; int8 tail: agreement %.3f, max |Δlogit| %.3g", res.Phases[1].Trainable, res.Int8.Agreement, res.Int8.MaxLogitDiff)
	blob, err := st.ModelBlob(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	lm, _, err := LoadModel(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	fm, _, err := LoadModelFloatTail(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	ops, fops := Int8Ops(lm), Int8Ops(fm)
	t.Logf("int8 ops: %v; float tail: %v", ops, fops)
	if ops["Conv"] != 2 || ops["Dense"] != 1 || fops["Conv"] != 1 || fops["Dense"] != 0 {
		t.Errorf("int8 ops %v (float tail %v), want conv1 int8 in both, conv2 and the head int8 in the int8 tail only", ops, fops)
	}
	x := tensor.New(tensor.Float32, lm.Inputs()[0].Shape...)
	worst := 0.0
	for _, img := range randomImages(8) {
		spec.Apply(img, x.F32)
		a, err := lm.NewSession().Run(x)
		if err != nil {
			t.Fatal(err)
		}
		b, err := fm.NewSession().Run(x)
		if err != nil {
			t.Fatal(err)
		}
		worst = max(worst, relDiff(a[0].F32, b[0].F32))
	}
	t.Logf("int8 tail vs float tail on random images: max |Δ| / max |logit| %.3g", worst)
	if worst > 0.1 {
		t.Errorf("int8 tail differs from the float tail by %.3g of the largest logit", worst)
	}
	// The phase-2 version exports (QLinearConv, QDQ head) and gives
	// LoadModel's logits.
	out2, err := ExportONNX(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	exportMatches(t, out2, lm, spec, "phase-2 version")
	// With its tail marked float it is refused, naming the limitation.
	i := bytes.IndexByte(blob, '\n')
	var hdr BlobHeader
	if err := json.Unmarshal(blob[:i], &hdr); err != nil {
		t.Fatal(err)
	}
	hdr.Int8.Tail, hdr.Int8.Why = TailFloat, "test"
	hb, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ExportONNX(append(hb, blob[i:]...), base); !errors.Is(err, ErrInt8Export) {
		t.Errorf("ExportONNX of a phase-2 version with a float tail: %v, want ErrInt8Export", err)
	}

	// Head-only on the same base: exported, and the same logits.
	res1, err := Run(context.Background(), st, Config{ModelPath: base, Spec: &spec, HeadEpochs: 5, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	blob1, err := st.ModelBlob(res1.Model)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ExportONNX(blob1, base)
	if err != nil {
		t.Fatal(err)
	}
	lm1, _, err := LoadModel(blob1, base)
	if err != nil {
		t.Fatal(err)
	}
	exportMatches(t, out, lm1, spec, "head-only version")
}

// exportMatches checks that an exported int8 version runs both convolutions
// and the head int8 and gives lm's logits exactly on random images, and,
// with OCELLUS_ORTRUN set, ONNX Runtime's.
func exportMatches(t *testing.T, out []byte, lm *nn.Model, spec preprocess.Spec, what string) {
	t.Helper()
	expPath := writeFile(t, t.TempDir(), "exported.onnx", out)
	em, err := nn.Load(expPath, nil)
	if err != nil {
		t.Fatalf("%s: our importer on the exported model: %v", what, err)
	}
	if e := Int8Ops(em); e["Conv"] != 2 || e["Dense"] != 1 {
		t.Errorf("%s: exported model int8 ops %v, want 2 Conv and the head Dense", what, e)
	}
	x := tensor.New(tensor.Float32, lm.Inputs()[0].Shape...)
	worst := 0.0
	var inputs, want [][]float32
	for _, img := range randomImages(6) {
		spec.Apply(img, x.F32)
		a, err := em.NewSession().Run(x)
		if err != nil {
			t.Fatal(err)
		}
		b, err := lm.NewSession().Run(x)
		if err != nil {
			t.Fatal(err)
		}
		worst = max(worst, relDiff(a[0].F32, b[0].F32))
		inputs, want = append(inputs, append([]float32(nil), x.F32...)), append(want, append([]float32(nil), b[0].F32...))
	}
	if worst != 0 {
		t.Errorf("%s: exported model differs from LoadModel by %.3g", what, worst)
	}
	if ort := os.Getenv("OCELLUS_ORTRUN"); ort != "" {
		compareORT(t, ort, expPath, em.Inputs()[0], em.Outputs()[0].Name, inputs, want)
	}
}
