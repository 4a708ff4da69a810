package finetune

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/store"
)

// importHymenoptera imports ../shared/datasets/hymenoptera into a new store
// as `ocellus samples import` does: the train/val folders set the split,
// the class folders the labels. perClass > 0 keeps that many images of
// each class and split.
func importHymenoptera(t testing.TB, perClass int) (*store.Store, map[store.Split]int) {
	t.Helper()
	dir := fixture.Path(t, "datasets", "hymenoptera")
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, l := range []string{"ants", "bees"} {
		if err := st.AddLabel(l); err != nil {
			t.Fatal(err)
		}
	}
	n := map[store.Split]int{}
	for _, sp := range []store.Split{store.Train, store.Val} {
		var items []store.NewSample
		for _, l := range []string{"ants", "bees"} {
			ents, err := os.ReadDir(filepath.Join(dir, sp.String(), l))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			sort.Strings(names)
			if perClass > 0 {
				names = names[:min(perClass, len(names))]
			}
			for _, nm := range names {
				b, err := os.ReadFile(filepath.Join(dir, sp.String(), l, nm))
				if err != nil {
					t.Fatal(err)
				}
				items = append(items, store.NewSample{Image: b, Label: l, Split: sp, Source: "import"})
			}
		}
		res, err := st.AddSamples(items)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if errors.Is(r.Err, store.ErrDuplicate) {
				continue
			}
			n[sp]++
			if r.Err != nil {
				t.Fatalf("import %s sample %d: %v", sp, i, r.Err)
			}
		}
	}
	return st, n
}

func modelPath(t testing.TB) string {
	return fixture.Path(t, "models", "onnx", "mobilenetv2-1.0-imagenet-dequant.onnx")
}

// TestHymenoptera is the real recipe on ants vs bees: head-only training
// must reach val accuracy ≥ 0.9 and AUC ≥ 0.95; phase 2 (2 epochs here)
// runs with BatchNorm frozen and ends at its best checkpoint; reports,
// epochs, the model version and the feature cache land in the store.
func TestHymenoptera(t *testing.T) {
	if testing.Short() {
		t.Skip("real transfer learning on hymenoptera: skipped with -short")
	}
	st, count := importHymenoptera(t, 0)
	all := count[store.Train] + count[store.Val]
	t.Logf("imported %d train, %d val samples", count[store.Train], count[store.Val])
	var progress bytes.Buffer
	cfg := Config{ModelPath: modelPath(t), Epochs: 2, Phase2: true, ActivateBy: "test", Progress: &progress}
	t0 := time.Now()
	res, err := Run(context.Background(), st, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	t.Logf("run in %v", time.Since(t0).Round(time.Millisecond))
	if len(res.Phases) != 2 {
		t.Fatalf("%d phases, want 2", len(res.Phases))
	}
	p1, p2 := res.Phases[0], res.Phases[1]
	for _, p := range res.Phases {
		t.Logf("%s: %d epochs, best %d, val loss %.4f acc %.4f AUC %.4f; features %d in %v, epoch %v; tail %v",
			p.Name, p.Epochs, p.BestEpoch, p.ValLoss, p.ValAccuracy, p.ValAUC, p.Computed,
			p.FeatureTime.Round(time.Millisecond), p.EpochTime.Round(time.Millisecond), p.Trainable)
	}
	if p1.ValAccuracy < 0.9 || !(p1.ValAUC >= 0.95) {
		t.Errorf("head-only val accuracy %.4f AUC %.4f, want ≥ 0.9 and ≥ 0.95", p1.ValAccuracy, p1.ValAUC)
	}
	if p1.Computed != all || p2.Computed != all {
		t.Errorf("features computed %d and %d, want %d each (every sample once)", p1.Computed, p2.Computed, all)
	}
	// Phase 2: the last block, its BatchNorm nodes present but untrained.
	if len(p2.Trainable) < 5 {
		t.Errorf("phase-2 tail %v, want the last block", p2.Trainable)
	}
	// Never worse than its best checkpoint: the final val loss is the
	// minimum over the start and every epoch.
	best := p2.ValLoss
	for _, e := range p2.History {
		if e.ValLoss < best-1e-12 {
			t.Errorf("phase 2 ended at val loss %.6f but epoch %d had %.6f", p2.ValLoss, e.Epoch, e.ValLoss)
		}
	}
	if p2.ValLoss > p1.ValLoss*(1+1e-4)+1e-6 {
		t.Errorf("phase 2 ended at val loss %.6f, worse than its start %.6f", p2.ValLoss, p1.ValLoss)
	}
	if res.Test.Split != "val" || res.Test.Samples != count[store.Val] {
		t.Errorf("test report on %s with %d samples, want val (no test split) with %d", res.Test.Split, res.Test.Samples, count[store.Val])
	}
	if math.Abs(res.Test.Accuracy-p2.ValAccuracy) > 1e-9 {
		t.Errorf("test accuracy %.4f on val differs from phase 2's best val accuracy %.4f", res.Test.Accuracy, p2.ValAccuracy)
	}
	t.Logf("confusion %v precision %.3f recall %.3f", res.Test.Confusion, res.Test.Precision, res.Test.Recall)

	// The store: epochs, artifacts, the active model, cached features.
	eps, err := st.Epochs(res.Run)
	if err != nil || len(eps) != p1.Epochs+p2.Epochs {
		t.Errorf("store has %d epochs (%v), want %d", len(eps), err, p1.Epochs+p2.Epochs)
	}
	names, err := st.RunArtifacts(res.Run)
	if err != nil || len(names) != 4 {
		t.Errorf("run artifacts %v (%v), want 4 reports", names, err)
	}
	for _, n := range []string{ConfusionPNG, CurvesPNG} {
		if _, err := png.Decode(bytes.NewReader(res.Reports[n])); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	act, err := st.ActiveModel()
	if err != nil || act.ID != res.Model || act.Format != BlobFormat {
		t.Fatalf("active model %+v (%v), want %d", act, err, res.Model)
	}
	blob, err := st.ModelBlob(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	h, tensors, err := DecodeBlob(blob)
	if err != nil || len(tensors) != len(h.Tensors) || len(tensors) < 4 {
		t.Errorf("blob: %d tensors, header %d (%v)", len(tensors), len(h.Tensors), err)
	}

	// The blob rebuilt on its base model classifies the val images as the
	// run's report says (at most one borderline sample may flip: the
	// compiled model folds BatchNorm and orders its sums differently).
	lm, lh, err := LoadModel(blob, cfg.ModelPath)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := preprocess.ParseSpec(lh.Preprocess)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := st.Samples(store.Filter{Split: store.Val})
	if err != nil {
		t.Fatal(err)
	}
	sess := lm.NewSession()
	defer sess.Close()
	x := tensor.New(tensor.Float32, lm.Inputs()[0].Shape...)
	correct := 0
	for _, smp := range vals {
		b, err := st.Image(smp.ID)
		if err != nil {
			t.Fatal(err)
		}
		img, err := preprocess.DecodeBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		spec.Apply(img, x.F32)
		outs, err := sess.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		pred := 0
		for c, v := range outs[0].F32 {
			if v > outs[0].F32[pred] {
				pred = c
			}
		}
		if lh.Classes[pred] == smp.Label {
			correct++
		}
	}
	want := int(math.Round(res.Test.Accuracy * float64(len(vals))))
	t.Logf("loaded model: %d/%d val images right, the run reported %d", correct, len(vals), want)
	if correct < want-1 || correct > want+1 {
		t.Errorf("loaded model gets %d/%d val images right, the run reported %d", correct, len(vals), want)
	}

	// A second head-only run reads every feature from the cache.
	res2, err := Run(context.Background(), st, Config{ModelPath: cfg.ModelPath, HeadEpochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if c := res2.Phases[0].Computed; c != 0 {
		t.Errorf("second run computed %d features, want 0 (cached)", c)
	}
	if act2, _ := st.ActiveModel(); act2.ID != res.Model {
		t.Errorf("second run (not asked to activate) changed the active model to %d", act2.ID)
	}
}

// TestRunErrors: a store that cannot train fails before any run starts.
func TestRunErrors(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Run(context.Background(), st, Config{}); err == nil {
		t.Error("Run without a model path succeeded")
	}
	if err := st.AddLabel("ants"); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), st, Config{ModelPath: "x.onnx"}); err == nil {
		t.Error("Run on a one-class store succeeded")
	}
	if runs, _ := st.Runs(); len(runs) != 0 {
		t.Errorf("failed checks left %d runs", len(runs))
	}
}

func TestBlobRoundTripAndReports(t *testing.T) {
	if _, _, err := DecodeBlob([]byte("{}")); err == nil {
		t.Error("blob without newline decoded")
	}
	if _, _, err := DecodeBlob([]byte(`{"tensors":[{"name":"w","shape":[2]}]}` + "\n\x00\x00\x80\x3f")); err == nil {
		t.Error("truncated blob decoded")
	}
	r := Result{
		Phases: []PhaseResult{{Name: PhaseHead, History: []EpochMetrics{{Epoch: 1, TrainLoss: 0.7, ValLoss: 0.6, ValAUC: 0.8}, {Epoch: 2, TrainLoss: 0.4, ValLoss: 0.5, ValAUC: math.NaN()}}}},
		Test:   TestReport{Split: "test", Samples: 10, Accuracy: 0.7, Classes: []string{"a<b", "c"}, Confusion: [][]int{{4, 1}, {2, 3}}, Precision: []float64{0.67, 0.75}, Recall: []float64{0.8, 0.6}},
	}
	rep, err := Reports(r)
	if err != nil {
		t.Fatal(err)
	}
	svg := string(rep[ConfusionSVG])
	if !strings.Contains(svg, "a&lt;b") || !strings.Contains(svg, ">4</text>") {
		t.Errorf("confusion SVG lacks the escaped class name or a count:\n%s", svg)
	}
	// An unknown label (Evaluate's third row, never predicted) is drawn as
	// a row of its own.
	r.Test.Classes = append(r.Test.Classes, "wasp")
	r.Test.Confusion = append(r.Test.Confusion, []int{5, 7})
	r.Test.Precision, r.Test.Recall = append(r.Test.Precision, 0), append(r.Test.Recall, 0)
	unk, err := Reports(r)
	if err != nil {
		t.Fatal(err)
	}
	if svg := string(unk[ConfusionSVG]); !strings.Contains(svg, "wasp (R 0.00)") || !strings.Contains(svg, ">7</text>") {
		t.Errorf("confusion SVG lacks the unknown label's row:\n%s", svg)
	}
	if _, err := png.Decode(bytes.NewReader(unk[ConfusionPNG])); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(rep[CurvesPNG]))
	if err != nil {
		t.Fatal(err)
	}
	// Some pixel carries the train-loss blue.
	found := false
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && !found; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bb, _ := img.At(x, y).RGBA(); r>>8 == 31 && g>>8 == 119 && bb>>8 == 180 {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("curves PNG has no train-loss line")
	}
}

// TestFrozenBatchNorm: with a model whose BatchNorm layers are not folded
// (mobilenet_v2_random.onnx), phase 2's tail holds BatchNorm nodes, and
// none of the tensors it trains (the model blob's) belongs to one.
func TestFrozenBatchNorm(t *testing.T) {
	if testing.Short() {
		t.Skip("real-model training: skipped with -short")
	}
	st, _ := importHymenoptera(t, 4)
	res, err := Run(context.Background(), st, Config{
		ModelPath:  fixture.Path(t, "models", "onnx", "mobilenet_v2_random.onnx"),
		HeadEpochs: 2, Epochs: 1, Batch: 8, Phase2: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	p2 := res.Phases[1]
	var bns []string
	for _, n := range p2.Trainable {
		if strings.Contains(strings.ToLower(n), "batchnorm") {
			bns = append(bns, n)
		}
	}
	if len(bns) == 0 {
		t.Fatalf("phase-2 tail %v has no BatchNorm node", p2.Trainable)
	}
	blob, err := st.ModelBlob(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := DecodeBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range h.Tensors {
		for _, bn := range bns {
			if tt.Node == bn {
				t.Errorf("trained tensor %q belongs to BatchNorm node %s", tt.Name, bn)
			}
		}
	}
	t.Logf("tail %v; BatchNorm %v; trained %d tensors", p2.Trainable, bns, len(h.Tensors))
}

// TestCancelled: a cancelled run is recorded as such and adds no model.
func TestCancelled(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real model: skipped with -short")
	}
	st, _ := importHymenoptera(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, st, Config{ModelPath: modelPath(t), HeadEpochs: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled context: %v", err)
	}
	r, err := st.Run(res.Run)
	if err != nil || r.Status != store.RunCancelled || r.Model != 0 {
		t.Errorf("run %+v (%v), want cancelled without a model", r, err)
	}
	if ms, _ := st.Models(); len(ms) != 0 {
		t.Errorf("%d model versions after a cancelled run", len(ms))
	}
}

// TestOnEpoch: Config.OnEpoch is called once per epoch of each phase, in
// order, with the metrics the run stores, after the epoch is in the store.
func TestOnEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real model: skipped with -short")
	}
	st, _ := importHymenoptera(t, 3)
	type call struct {
		phase  string
		m      EpochMetrics
		stored int // epochs in the store when called
	}
	var calls []call
	var run store.RunID
	cfg := Config{
		ModelPath: modelPath(t), HeadEpochs: 3, Epochs: 2, Patience: 100, Batch: 4, Phase2: true,
		OnEpoch: func(phase string, m EpochMetrics) {
			runs, err := st.Runs()
			if err != nil || len(runs) == 0 {
				t.Errorf("OnEpoch: runs %v (%v)", runs, err)
				return
			}
			run = runs[len(runs)-1].ID
			eps, err := st.Epochs(run)
			if err != nil {
				t.Errorf("OnEpoch: epochs: %v", err)
			}
			calls = append(calls, call{phase, m, len(eps)})
		},
	}
	res, err := Run(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if run != res.Run {
		t.Errorf("OnEpoch saw run %d, Run returned %d", run, res.Run)
	}
	var want []call
	for _, p := range res.Phases {
		for _, m := range p.History {
			want = append(want, call{p.Name, m, len(want) + 1})
		}
	}
	if len(want) != 5 {
		t.Fatalf("history has %d epochs, want 3 + 2", len(want))
	}
	if len(calls) != len(want) {
		t.Fatalf("OnEpoch called %d times, want %d (once per epoch)", len(calls), len(want))
	}
	eps, err := st.Epochs(res.Run)
	if err != nil || len(eps) != len(want) {
		t.Fatalf("store has %d epochs (%v), want %d", len(eps), err, len(want))
	}
	for i, c := range calls {
		w, e := want[i], eps[i]
		if c != w {
			t.Errorf("call %d: %+v, want %+v", i, c, w)
		}
		if e.Phase != c.phase || e.Epoch != c.m.Epoch || e.Duration != c.m.Duration ||
			e.Metrics["train_loss"] != c.m.TrainLoss || e.Metrics["val_loss"] != c.m.ValLoss ||
			e.Metrics["train_accuracy"] != c.m.TrainAccuracy || e.Metrics["val_accuracy"] != c.m.ValAccuracy {
			t.Errorf("call %d: %s %+v, the store has %+v", i, c.phase, c.m, e)
		}
		if auc, ok := e.Metrics["val_auc"]; ok != !math.IsNaN(c.m.ValAUC) || (ok && auc != c.m.ValAUC) {
			t.Errorf("call %d: val AUC %v, the store has %v (%v)", i, c.m.ValAUC, auc, ok)
		}
	}
}

// TestFeatureCacheKeyedBySpec: features cached with one preprocessing are
// not reused with another (they would train on the wrong inputs); with
// the same one they are.
func TestFeatureCacheKeyedBySpec(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real model: skipped with -short")
	}
	st, count := importHymenoptera(t, 2)
	all := count[store.Train] + count[store.Val]
	tf, err := preprocess.ParseSpec("size=224x224x3,norm=tf")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		spec *preprocess.Spec
		want int
	}{{nil, all}, {&tf, all}, {&tf, 0}, {nil, 0}} {
		res, err := Run(context.Background(), st, Config{ModelPath: modelPath(t), HeadEpochs: 1, Spec: tc.spec})
		if err != nil {
			t.Fatal(err)
		}
		if c := res.Phases[0].Computed; c != tc.want {
			t.Errorf("run %d (spec %v): computed %d features, want %d", i, tc.spec, c, tc.want)
		}
	}
	if FeatureKey("k", tf) == FeatureKey("k", preprocess.DefaultSpec()) || FeatureKey("k", tf) == FeatureKey("j", tf) {
		t.Error("FeatureKey ignores the spec or the backbone")
	}
}

// TestDiskFull: a store that cannot grow (Options.MaxSize at its file
// size), filled to the brim and then given back a little room (filler
// feature sets dropped), makes Run fail with an error wrapping
// store.ErrDiskFull wherever the commit that did not fit came; every
// sample stays, the store verifies, no model version is added and the
// run, if it started, is not left looking successful. With room enough
// the run finishes.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real model: skipped with -short")
	}
	st, _ := importHymenoptera(t, 3)
	path := st.Path()
	samples, err := st.Samples(store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []store.SampleID
	var vecs [][]float32
	for _, smp := range samples {
		ids = append(ids, smp.ID)
		vecs = append(vecs, make([]float32, (1<<20)/4/len(samples)))
	}
	st.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	limit := &store.Options{NoSync: true, MaxSize: int(fi.Size())}
	s, err := store.Open(path, limit)
	if err != nil {
		t.Fatal(err)
	}
	fillers := 0
	for ; ; fillers++ {
		if _, err := s.PutFeatures(fmt.Sprintf("filler-%03d", fillers), ids, vecs); err != nil {
			if !errors.Is(err, store.ErrDiskFull) {
				t.Fatal(err)
			}
			break
		}
	}
	s.Close()
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	failed := 0
	for room := 0; ; room = max(1, 4*room) {
		if room > fillers {
			t.Fatalf("Run fails with all %d filler sets (1 MiB each) dropped: %v", fillers, stages)
		}
		db := filepath.Join(t.TempDir(), "s.db")
		if err := os.WriteFile(db, full, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := store.Open(db, limit)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < room; i++ {
			if err := s.DropFeatures(fmt.Sprintf("filler-%03d", i)); err != nil {
				t.Fatal(err)
			}
		}
		var progress bytes.Buffer
		res, runErr := Run(context.Background(), s, Config{ModelPath: modelPath(t), HeadEpochs: 2, Epochs: 1, Batch: 4, Phase2: true, Progress: &progress})
		s.Close()
		if runErr != nil && !errors.Is(runErr, store.ErrDiskFull) {
			t.Fatalf("room %d MiB: %v, want store.ErrDiskFull", room, runErr)
		}
		// Reopened without a cap: nothing lost, nothing half-made.
		s, err = store.Open(db, &store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(); err != nil {
			t.Fatalf("room %d: %v", room, err)
		}
		for _, smp := range samples {
			if _, err := s.Image(smp.ID); err != nil {
				t.Fatalf("room %d: sample %d lost: %v", room, smp.ID, err)
			}
		}
		if n, _ := s.Count(); n != len(samples) {
			t.Fatalf("room %d: %d samples, want %d", room, n, len(samples))
		}
		ms, _ := s.Models()
		if runErr == nil {
			if len(ms) != 1 || ms[0].ID != res.Model {
				t.Fatalf("room %d: models %v, want the run's %d", room, ms, res.Model)
			}
			s.Close()
			t.Logf("%d filler sets filled the store; failed with room for %s; room %d succeeded", fillers, strings.Join(stages, "; "), room)
			break
		}
		failed++
		lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
		stages = append(stages, fmt.Sprintf("%d (run %d, after %q: %v)", room, res.Run, lines[len(lines)-1], runErr))
		if len(ms) != 0 {
			t.Fatalf("room %d: %d model versions after a failed run", room, len(ms))
		}
		if res.Run != 0 {
			r, err := s.Run(res.Run)
			if err != nil || r.Status == store.RunSucceeded {
				t.Fatalf("room %d: failed run %+v (%v)", room, r, err)
			}
		}
		s.Close()
	}
	if failed == 0 {
		t.Fatal("Run never failed: the test tests nothing")
	}
}
