package finetune

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
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
			if h.Classes[argmax(outs[0].F32)] == vals[i].Label {
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
