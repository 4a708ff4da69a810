package store

import (
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"
)

func TestRuns(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true, Now: fixedClock()})
	if _, err := s.StartRun(NewRun{Config: json.RawMessage(`{bad`)}); !errors.Is(err, ErrInvalidRun) {
		t.Fatalf("bad config: %v", err)
	}
	if _, err := s.StartRun(NewRun{Config: json.RawMessage(`{}`), Base: 5}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing base: %v", err)
	}
	r, err := s.StartRun(NewRun{Config: json.RawMessage(`{"epochs":50,"lr":1e-5}`)})
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != 1 || r.Status != RunRunning || r.Started.IsZero() {
		t.Fatalf("started %+v", r)
	}
	e1 := Epoch{Phase: "head", Epoch: 1, Metrics: Metrics{"train_loss": 0.69, "val_loss": math.NaN(), "val_auc": math.Inf(1)}, Duration: 1500 * time.Millisecond}
	if err := s.AppendEpoch(r.ID, e1); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEpoch(r.ID, Epoch{Phase: "head", Epoch: 2, Metrics: Metrics{"train_loss": 0.5}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEpoch(99, Epoch{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("append to missing run: %v", err)
	}
	eps, err := s.Epochs(r.ID)
	if err != nil || len(eps) != 2 {
		t.Fatalf("epochs %v %v", eps, err)
	}
	if eps[0].Metrics["train_loss"] != 0.69 || !math.IsNaN(eps[0].Metrics["val_loss"]) || !math.IsInf(eps[0].Metrics["val_auc"], 1) ||
		eps[0].Duration != 1500*time.Millisecond || eps[0].At.IsZero() || eps[1].Epoch != 2 {
		t.Fatalf("epochs read back %+v", eps)
	}
	if err := s.PutRunArtifact(r.ID, "loss.svg", []byte("<svg/>")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRunArtifact(r.ID, "../x", nil); !errors.Is(err, ErrInvalidRun) {
		t.Fatalf("bad artifact name: %v", err)
	}
	// Finish with a model, activated in the same transaction.
	if _, err := s.FinishRun(r.ID, RunResult{Status: RunRunning}); !errors.Is(err, ErrInvalidRun) {
		t.Fatalf("finish as running: %v", err)
	}
	fin, err := s.FinishRun(r.ID, RunResult{
		Status: RunSucceeded, Result: json.RawMessage(`{"val_acc":0.93}`),
		Model: &NewModel{Format: "onnx", Blob: []byte("weights"), Classes: []string{"ants", "bees"}}, ActivateBy: "ocellus train",
	})
	if err != nil {
		t.Fatal(err)
	}
	if fin.Status != RunSucceeded || fin.Model != 1 || fin.Epochs != 2 || fin.Duration(time.Time{}) <= 0 {
		t.Fatalf("finished %+v", fin)
	}
	active, err := s.ActiveModel()
	if err != nil || active.ID != fin.Model || active.Run != r.ID {
		t.Fatalf("active after FinishRun: %+v %v", active, err)
	}
	if err := s.AppendEpoch(r.ID, Epoch{Epoch: 3}); !errors.Is(err, ErrRunFinished) {
		t.Fatalf("append after finish: %v", err)
	}
	if _, err := s.FinishRun(r.ID, RunResult{Status: RunFailed}); !errors.Is(err, ErrRunFinished) {
		t.Fatalf("finish twice: %v", err)
	}
	// A run whose model is invalid stays running: the transaction is all or nothing.
	r2, _ := s.StartRun(NewRun{Config: json.RawMessage(`{}`), Base: fin.Model})
	if _, err := s.FinishRun(r2.ID, RunResult{Status: RunSucceeded, Model: &NewModel{}}); !errors.Is(err, ErrInvalidModel) {
		t.Fatalf("finish with an empty model: %v", err)
	}
	if got, _ := s.Run(r2.ID); got.Status != RunRunning || got.Base != fin.Model {
		t.Fatalf("run after a failed finish: %+v", got)
	}
	if ms, _ := s.Models(); len(ms) != 1 {
		t.Fatalf("%d models after a failed finish", len(ms))
	}
	names, _ := s.RunArtifacts(r.ID)
	if len(names) != 1 || names[0] != "loss.svg" {
		t.Fatalf("artifacts %v", names)
	}
	if b, err := s.RunArtifact(r.ID, "loss.svg"); err != nil || string(b) != "<svg/>" {
		t.Fatalf("artifact %q %v", b, err)
	}
	if _, err := s.RunArtifact(r.ID, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing artifact: %v", err)
	}
	runs, _ := s.Runs()
	if len(runs) != 2 || runs[0].ID != 1 || runs[1].ID != 2 {
		t.Fatalf("runs %+v", runs)
	}
	mustVerify(t, s)
}

// TestInterruptedRunRecovered: a run left running by a closed (dead) process is failed on reopen.
func TestInterruptedRunRecovered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	s := openAt(t, path, nil)
	r, err := s.StartRun(NewRun{Config: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro := openAt(t, path, &Options{ReadOnly: true})
	if got, _ := ro.Run(r.ID); got.Status != RunRunning {
		t.Fatalf("read-only open changed the run: %+v", got)
	}
	ro.Close()
	s = openAt(t, path, nil)
	got, err := s.Run(r.ID)
	if err != nil || got.Status != RunFailed || got.Error != interruptedRun || got.Finished.IsZero() {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
}

func TestMetricsJSON(t *testing.T) {
	m := Metrics{"a": 1.5, "nan": math.NaN(), "neg": math.Inf(-1)}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"a":1.5,"nan":"NaN","neg":"-Inf"}` {
		t.Fatalf("JSON %s", b)
	}
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil || back["a"] != 1.5 || !math.IsNaN(back["nan"]) || !math.IsInf(back["neg"], -1) {
		t.Fatalf("back %v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"x":"high"}`), &back); err == nil {
		t.Fatal("a non-numeric string was accepted")
	}
	var st RunStatus
	if err := st.UnmarshalText([]byte("cancelled")); err != nil || st != RunCancelled {
		t.Fatalf("status %v %v", st, err)
	}
	if err := st.UnmarshalText([]byte("paused")); err == nil {
		t.Fatal("unknown status accepted")
	}
}
