package daemon

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/daemon/starter"
	"github.com/ocellus/ocellus/store"
)

func starterRaw(t *testing.T) []byte { return starter.Model() }
func starterSpec() preprocess.Spec   { return starter.Spec() }

// testConfig is a daemon on the demo source with the starter model and small training.
func testConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.Data = t.TempDir()
	cfg.Cameras = []CameraConfig{{Name: "cam0", Source: "demo", FPS: 30}}
	cfg.InferenceThreads = 1
	cfg.Inbox.Threshold = 0
	cfg.Training.Auto = false
	cfg.Training.HeadEpochs, cfg.Training.Epochs, cfg.Training.Patience, cfg.Training.Batch = 15, 3, 15, 8
	cfg.Training.HeadLR = 3e-3
	return cfg
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start runs a daemon until the test ends.
func start(t *testing.T, cfg Config) *Daemon {
	t.Helper()
	d, err := New(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return d
}

// waitFor polls cond until it holds or the deadline passes (generous: the machine is shared).
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// demoJPEG renders demo frame seq of seed 1 as JPEG with its class.
func demoJPEG(t *testing.T, demo *camera.Demo, seq uint64) ([]byte, camera.DemoClass) {
	t.Helper()
	w, h := demo.Size()
	img := preprocess.NewRGB8(w, h)
	demo.Render(img.Pix, seq)
	b, err := encodeJPEG(img)
	if err != nil {
		t.Fatal(err)
	}
	return b, demo.Scene(seq).Class
}

func TestDefaultConfigValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.ApplyEnv(func(k string) string {
		return map[string]string{"HOME": "/home/u", "OCELLUS_CAMERA": "demo:3", "OCELLUS_LISTEN": ":9"}[k]
	}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Data != "/home/u/.local/share/ocellus" || cfg.Cameras[0].Source != "demo:3" || cfg.Listen != ":9" {
		t.Fatalf("env not applied: %+v", cfg)
	}
	// The file overrides the environment; keys it lacks keep their values.
	path := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(path, []byte(`{"listen": "0.0.0.0:80", "inbox": {"threshold": 0.25, "min_interval": "3s", "max": 7}}`), 0o644)
	if err := cfg.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "0.0.0.0:80" || cfg.Inbox.MinInterval.D() != 3*time.Second || cfg.Cameras[0].Source != "demo:3" || cfg.TopK != 5 {
		t.Fatalf("file overlay: %+v", cfg)
	}
	os.WriteFile(path, []byte(`{"lisen": "x"}`), 0o644)
	if err := cfg.LoadFile(path); err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("unknown key: %v", err)
	}
	bad := DefaultConfig()
	bad.Data = "/x"
	bad.Cameras = append(bad.Cameras, CameraConfig{Name: "cam0"}, CameraConfig{Name: "a/b"})
	bad.Training.Window = "25:00-01:00"
	err := bad.Validate()
	for _, want := range []string{"used twice", `"a/b"`, "window"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want it to mention %s", err, want)
		}
	}
}

func TestWindow(t *testing.T) {
	from, to, err := parseWindow("22:00-06:30")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) time.Time { return time.Date(2026, 1, 1, h, m, 0, 0, time.Local) }
	for _, c := range []struct {
		h, m int
		in   bool
	}{{23, 0, true}, {3, 0, true}, {6, 29, true}, {6, 30, false}, {12, 0, false}, {22, 0, true}} {
		if got := inWindow(at(c.h, c.m), from, to); got != c.in {
			t.Errorf("%02d:%02d in 22:00-06:30 = %v", c.h, c.m, got)
		}
	}
}

// TestLoopDropsInsteadOfQueueing runs the demo far faster than MaxFPS lets the classifier go:
// every frame is classified or dropped, none waits in a queue, and predictions are on fresh
// frames in increasing order.
func TestLoopDropsInsteadOfQueueing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Cameras[0].FPS = 200
	cfg.Cameras[0].MaxFPS = 10
	d := start(t, cfg)
	ch, cancel := d.Subscribe(64)
	defer cancel()
	var last uint64
	n := 0
	for n < 8 {
		e := <-ch
		if e.Type != "prediction" {
			continue
		}
		p := e.Data.(api.Prediction)
		if n > 0 && p.Seq <= last {
			t.Fatalf("prediction on frame %d after frame %d", p.Seq, last)
		}
		if len(p.TopK) != 5 || p.Label != p.TopK[0].Label || p.ModelName != "starter" || p.ModelID != 0 {
			t.Fatalf("prediction %+v", p)
		}
		last = p.Seq
		n++
	}
	st := d.Status().Cameras[0]
	if st.Dropped == 0 {
		t.Fatalf("status %+v: no frame dropped at 200 frames/s in, at most 10 classified", st)
	}
	// Frames in = classified + dropped + at most the one in the slot and the one being classified.
	if q := int64(st.Frames) - int64(st.Classified) - int64(st.Dropped); q < 0 || q > 2 {
		t.Fatalf("status %+v: %d frames neither classified nor dropped", st, q)
	}
	b, seq, err := d.Snapshot("cam0")
	if err != nil || len(b) < 100 || seq == 0 {
		t.Fatalf("snapshot: %d bytes, seq %d, %v", len(b), seq, err)
	}
	if img, err := preprocess.DecodeBytes(b); err != nil || img.W != 320 || img.H != 240 {
		t.Fatalf("snapshot does not decode as 320x240: %v", err)
	}
	if _, err := d.Latest("nope"); !errors.Is(err, api.ErrNoCamera) {
		t.Fatalf("Latest of an unknown camera: %v", err)
	}
}

// TestStarterClassifiesDemo checks that the loop's predictions are the demo's classes.
func TestStarterClassifiesDemo(t *testing.T) {
	cfg := testConfig(t)
	d := start(t, cfg)
	demo, _ := camera.NewDemo(camera.Options{})
	waitFor(t, "predictions", 30*time.Second, func() bool { return d.Status().Cameras[0].Classified >= 40 })
	// Sample a few predictions: most must be right.
	right, total := 0, 0
	ch, cancel := d.Subscribe(16)
	defer cancel()
	for total < 20 {
		e := <-ch
		if p, ok := e.Data.(api.Prediction); ok {
			total++
			if p.Label == demo.Scene(p.Seq).Class.String() {
				right++
			}
		}
	}
	if right < 15 {
		t.Fatalf("starter right on %d of %d demo frames", right, total)
	}
}

// addDemoSamples stores demo frames of seed 1: circles as "round", squares as "boxy".
func addDemoSamples(t *testing.T, d *Daemon, perClass int) {
	t.Helper()
	ctx := context.Background()
	for _, l := range []string{"round", "boxy"} {
		if err := d.AddLabel(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	demo, err := camera.NewDemo(camera.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for seq := uint64(0); n["round"] < perClass || n["boxy"] < perClass; seq += 7 {
		b, class := demoJPEG(t, demo, seq)
		label := map[camera.DemoClass]string{camera.DemoCircle: "round", camera.DemoSquare: "boxy"}[class]
		if label == "" || n[label] >= perClass {
			continue
		}
		if _, err := d.AddSample(ctx, b, label, "test"); err != nil {
			t.Fatal(err)
		}
		n[label]++
	}
}

func waitTrained(t *testing.T, d *Daemon, run store.RunID) api.RunOutcome {
	t.Helper()
	waitFor(t, "the training run", 3*time.Minute, func() bool {
		tr := d.Training()
		return tr.State == trainIdle && tr.Last != nil && tr.Last.Run == run
	})
	return *d.Training().Last
}

// TestTrainPromoteRollback trains on two new classes (promoted: the starter knows neither), then
// on swapped train labels (worse on val: not promoted), activates that version by hand and rolls
// back.
func TestTrainPromoteRollback(t *testing.T) {
	cfg := testConfig(t)
	d := start(t, cfg)
	ctx := context.Background()
	if _, err := d.StartTraining(ctx); !errors.Is(err, ErrNotTrainable) {
		t.Fatalf("training an empty store: %v", err)
	}
	addDemoSamples(t, d, 14)
	if got := d.Training().NewSamples; got != 28 {
		t.Fatalf("new samples %d, want 28", got)
	}
	events, cancel := d.Subscribe(1024)
	defer cancel()
	run, err := d.StartTraining(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.StartTraining(ctx); !errors.Is(err, api.ErrBusy) {
		t.Fatalf("second StartTraining: %v, want ErrBusy", err)
	}
	out := waitTrained(t, d, run)
	if out.Status != "succeeded" || out.Compared == nil || !out.Compared.Promoted || out.Model == 0 {
		t.Fatalf("first run: %+v %+v", out, out.Compared)
	}
	if out.Compared.ActiveAccuracy != 0 || out.Compared.NewAccuracy <= 0.5 {
		t.Fatalf("comparison %+v: the starter has neither class, the new model should be good", *out.Compared)
	}
	v1 := out.Model
	if info := d.Status().Model; info.ID != v1 || len(info.Classes) != 2 {
		t.Fatalf("active model after promotion: %+v", info)
	}
	waitFor(t, "a prediction by the new model", 30*time.Second, func() bool {
		p, err := d.Latest("cam0")
		return err == nil && p.ModelID == v1 && (p.Label == "round" || p.Label == "boxy")
	})
	var sawEpoch, sawModel bool
	for len(events) > 0 {
		e := <-events
		if tr, ok := e.Data.(api.Training); ok && len(tr.History) > 0 {
			sawEpoch = true
		}
		if mi, ok := e.Data.(api.ModelInfo); ok && e.Type == "model" && mi.ID == v1 {
			sawModel = true
		}
	}
	if !sawEpoch || !sawModel {
		t.Fatalf("events: epoch %v, model %v", sawEpoch, sawModel)
	}
	if b, err := d.st.RunArtifact(run, ComparisonArtifact); err != nil || !strings.Contains(string(b), `"promoted":true`) {
		t.Fatalf("promotion artifact %s: %v", b, err)
	}

	// Swap the train split's labels: the new model learns the opposite, val stays.
	smp, err := d.st.Samples(store.Filter{Split: store.Train})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range smp {
		to := map[string]string{"round": "boxy", "boxy": "round"}[s.Label]
		if _, err := d.Relabel(ctx, s.ID, to); err != nil {
			t.Fatal(err)
		}
	}
	run2, err := d.StartTraining(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out2 := waitTrained(t, d, run2)
	if out2.Status != "succeeded" || out2.Compared == nil || out2.Compared.Promoted {
		t.Fatalf("second run: %+v %+v", out2, out2.Compared)
	}
	if d.Status().Model.ID != v1 {
		t.Fatalf("the worse model became active: %+v", d.Status().Model)
	}
	if _, err := d.Rollback(ctx, "test"); !errors.Is(err, api.ErrNoRollback) {
		t.Fatalf("rollback with one activation: %v", err)
	}
	if mi, err := d.Activate(ctx, out2.Model, "test"); err != nil || mi.ID != out2.Model {
		t.Fatalf("Activate: %+v %v", mi, err)
	}
	waitFor(t, "a prediction by the activated model", 30*time.Second, func() bool {
		p, err := d.Latest("cam0")
		return err == nil && p.ModelID == out2.Model
	})
	if mi, err := d.Rollback(ctx, "test"); err != nil || mi.ID != v1 || d.Status().Model.ID != v1 {
		t.Fatalf("Rollback: %+v %v", mi, err)
	}
	onnx, name, err := d.ExportModel(ctx, v1)
	if err != nil || len(onnx) < 1000 || !strings.HasSuffix(name, ".onnx") {
		t.Fatalf("export: %d bytes %q %v", len(onnx), name, err)
	}
}

func TestCancelTraining(t *testing.T) {
	cfg := testConfig(t)
	cfg.Training.HeadEpochs, cfg.Training.Patience = 100000, 100000
	d := start(t, cfg)
	addDemoSamples(t, d, 6)
	ctx := context.Background()
	if err := d.CancelTraining(ctx); !errors.Is(err, api.ErrNotTraining) {
		t.Fatalf("cancel with nothing running: %v", err)
	}
	run, err := d.StartTraining(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "an epoch", time.Minute, func() bool { return len(d.Training().History) > 0 })
	if err := d.CancelTraining(ctx); err != nil {
		t.Fatal(err)
	}
	out := waitTrained(t, d, run)
	if out.Status != "cancelled" {
		t.Fatalf("outcome %+v", out)
	}
	if r, err := d.st.Run(run); err != nil || r.Status != store.RunCancelled {
		t.Fatalf("stored run %+v %v", r, err)
	}
}

// TestInboxRateLimit keeps every frame below the threshold: with a long minimum interval only
// one reaches the inbox; it can be labelled into the samples.
func TestInboxRateLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.Inbox.Threshold = 1
	cfg.Inbox.MinInterval = Duration(time.Hour)
	d := start(t, cfg)
	waitFor(t, "an inbox item", 30*time.Second, func() bool { return d.Status().Inbox >= 1 })
	c0 := d.Status().Cameras[0].Classified
	waitFor(t, "more frames", 30*time.Second, func() bool { return d.Status().Cameras[0].Classified >= c0+30 })
	items, err := d.Inbox()
	if err != nil || len(items) != 1 || d.Status().Inbox != 1 {
		t.Fatalf("inbox %+v %v (status %d), want one item", items, err, d.Status().Inbox)
	}
	ctx := context.Background()
	if _, err := d.LabelInbox(ctx, items[0].ID, "nolabel"); !errors.Is(err, store.ErrUnknownLabel) {
		t.Fatalf("unknown label: %v", err)
	}
	d.AddLabel(ctx, "thing")
	smp, err := d.LabelInbox(ctx, items[0].ID, "thing")
	if err != nil || smp.Label != "thing" || d.Status().Inbox != 0 {
		t.Fatalf("LabelInbox: %+v %v", smp, err)
	}
}

// TestRestartFailsInterruptedRun leaves a run "running" in the store, as a killed daemon does:
// the next start finishes it as failed.
func TestRestartFailsInterruptedRun(t *testing.T) {
	cfg := testConfig(t)
	st, err := store.Open(filepath.Join(cfg.Data, "ocellus.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.StartRun(store.NewRun{Config: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	d, err := New(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.Store().Run(r.ID)
	if err != nil || got.Status != store.RunFailed || !strings.Contains(got.Error, "interrupted") {
		t.Fatalf("run after restart: %+v %v", got, err)
	}
}

func TestCaptureSample(t *testing.T) {
	cfg := testConfig(t)
	d := start(t, cfg)
	ctx := context.Background()
	waitFor(t, "a prediction", 30*time.Second, func() bool { _, err := d.Latest("cam0"); return err == nil })
	if _, err := d.CaptureSample(ctx, "cam0", "x"); !errors.Is(err, store.ErrUnknownLabel) {
		t.Fatalf("capture with an unknown label: %v", err)
	}
	d.AddLabel(ctx, "x")
	smp, err := d.CaptureSample(ctx, "cam0", "x")
	if err != nil || smp.Label != "x" || smp.Prediction == "" || smp.Source != "camera:cam0" {
		t.Fatalf("capture: %+v %v", smp, err)
	}
	if d.Training().NewSamples != 1 {
		t.Fatalf("new samples %d", d.Training().NewSamples)
	}
	if err := d.DeleteSample(ctx, smp.ID); err != nil {
		t.Fatal(err)
	}
}

// TestTwoCamerasFixedModelAndPlugin runs a second camera with its own model file and a WASM
// preprocessing plugin (it inverts the frame): both classify; the fixed one keeps its model when
// the trainable one changes.
func TestTwoCamerasFixedModelAndPlugin(t *testing.T) {
	cfg := testConfig(t)
	model := filepath.Join(t.TempDir(), "fixed.onnx")
	if err := os.WriteFile(model, starterRaw(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := preprocess.WriteSidecar(model, starterSpec()); err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join("..", "camera", "plugin", "testdata", "wat", "invert.wasm")
	cfg.Cameras = append(cfg.Cameras, CameraConfig{Name: "cam1", Source: "demo:5", FPS: 30, Model: model,
		Plugin: &PluginConfig{Path: wasm, OnFailure: "drop"}})
	d := start(t, cfg)
	waitFor(t, "predictions on both cameras", time.Minute, func() bool {
		_, e0 := d.Latest("cam0")
		_, e1 := d.Latest("cam1")
		return e0 == nil && e1 == nil
	})
	p1, _ := d.Latest("cam1")
	if p1.ModelID != 0 || p1.ModelName != "fixed.onnx" || len(p1.TopK) != 5 {
		t.Fatalf("cam1 prediction %+v", p1)
	}
	st := d.Status()
	if len(st.Cameras) != 2 || st.Cameras[1].FixedModel != model || st.Cameras[1].Source != "demo:5" {
		t.Fatalf("status %+v", st.Cameras)
	}
	addDemoSamples(t, d, 6)
	run, err := d.StartTraining(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := waitTrained(t, d, run)
	if !out.Compared.Promoted {
		t.Fatalf("not promoted: %+v", out.Compared)
	}
	c1 := d.Status().Cameras[1].Classified
	waitFor(t, "more cam1 frames", time.Minute, func() bool { return d.Status().Cameras[1].Classified > c1+5 })
	if p, _ := d.Latest("cam1"); p.ModelName != "fixed.onnx" {
		t.Fatalf("cam1 changed model: %+v", p)
	}
	if p, _ := d.Latest("cam0"); p.ModelID != out.Model {
		t.Fatalf("cam0 runs model %d, want %d", p.ModelID, out.Model)
	}
}

func TestTopK(t *testing.T) {
	probs := []float32{0.1, 0.3, 0.05, 0.3, 0.25}
	idx := make([]int, len(probs))
	for k, want := range map[int][]int{1: {1}, 3: {1, 3, 4}, 5: {1, 3, 4, 0, 2}, 9: {1, 3, 4, 0, 2}} {
		n := topK(idx, probs, k)
		if got := idx[:n]; !slices.Equal(got, want) {
			t.Errorf("topK %d = %v, want %v", k, got, want)
		}
	}
}

// TestSchedulerNewSamples lets the scheduler start a run once enough samples arrived.
func TestSchedulerNewSamples(t *testing.T) {
	cfg := testConfig(t)
	cfg.Training.Auto = true
	cfg.Training.MinNewSamples = 12
	cfg.Training.CheckEvery = Duration(50 * time.Millisecond)
	d := start(t, cfg)
	if tr := d.Training(); tr.NextCheck.IsZero() || tr.State != trainIdle {
		time.Sleep(100 * time.Millisecond)
		if tr = d.Training(); tr.NextCheck.IsZero() {
			t.Fatalf("scheduler on, but no next check: %+v", tr)
		}
	}
	events, cancel := d.Subscribe(4096)
	defer cancel()
	addDemoSamples(t, d, 6)
	waitFor(t, "a scheduled run", time.Minute, func() bool {
		tr := d.Training()
		return tr.Last != nil && tr.State == trainIdle
	})
	trigger := ""
	for len(events) > 0 {
		if tr, ok := (<-events).Data.(api.Training); ok && tr.Trigger != "" {
			trigger = tr.Trigger
		}
	}
	if trigger != triggerNewSamples {
		t.Fatalf("trigger %q, want %q", trigger, triggerNewSamples)
	}
	if last := d.Training().Last; last.Status != "succeeded" || !last.Compared.Promoted {
		t.Fatalf("scheduled run: %+v", last)
	}
	runs, err := d.Store().Runs()
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %+v %v, want exactly one (no new samples since)", runs, err)
	}
}
