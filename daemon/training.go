package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/nn/train/finetune"
	"github.com/ocellus/ocellus/store"
)

// Training states (api.Training.State).
const (
	trainIdle       = "idle"
	trainRunning    = "running"
	trainEvaluating = "evaluating"
	trainCancelling = "cancelling"
)

// Triggers (api.Training.Trigger).
const (
	triggerRequest    = "request"
	triggerNewSamples = "new-samples"
	triggerInterval   = "interval"
	triggerWindow     = "window"
)

// ComparisonArtifact is the run artifact recording the promotion decision (api.Comparison as
// JSON, NaN as null).
const ComparisonArtifact = "promotion.json"

// trainer is the training state; mu guards it.
type trainer struct {
	mu        sync.Mutex
	state     api.Training
	cancel    context.CancelFunc
	done      chan struct{} // closed when the running run's goroutine ends
	lastStart time.Time
	nextCheck time.Time
}

// wait blocks until no run is in progress.
func (t *trainer) wait() {
	t.mu.Lock()
	done := t.done
	t.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Training returns the training state.
func (d *Daemon) Training() api.Training {
	d.tr.mu.Lock()
	s := d.tr.state
	s.History = slices.Clone(s.History)
	if s.History == nil {
		s.History = []api.EpochPoint{}
	}
	s.NextCheck = d.tr.nextCheck
	d.tr.mu.Unlock()
	s.NewSamples = int(d.newSamples.Load())
	return s
}

func (d *Daemon) publishTraining() { d.events.publish("training", d.Training()) }

// StartTraining starts a run now; it returns once the run is recorded in the store.
func (d *Daemon) StartTraining(ctx context.Context) (store.RunID, error) {
	return d.startTraining(ctx, triggerRequest)
}

// runIDWriter catches the run id in finetune's first progress line ("run N: ...").
type runIDWriter struct {
	once sync.Once
	id   chan store.RunID
}

func (w *runIDWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		line, _, _ := bytes.Cut(p, []byte(":"))
		if rest, ok := bytes.CutPrefix(line, []byte("run ")); ok {
			if v, err := strconv.ParseUint(string(rest), 10, 64); err == nil {
				w.id <- store.RunID(v)
				return
			}
		}
		w.id <- 0
	})
	return len(p), nil
}

func (d *Daemon) startTraining(ctx context.Context, trigger string) (store.RunID, error) {
	if d.life.Err() != nil {
		return 0, fmt.Errorf("daemon: stopping")
	}
	d.tr.mu.Lock()
	if d.tr.state.State != trainIdle {
		d.tr.mu.Unlock()
		return 0, api.ErrBusy
	}
	if err := d.st.CheckTrainable(nil); err != nil {
		d.tr.mu.Unlock()
		return 0, fmt.Errorf("%w: %w", ErrNotTrainable, err)
	}
	runCtx, cancel := context.WithCancel(d.life)
	done := make(chan struct{})
	tc := d.cfg.Training
	started := time.Now()
	d.tr.cancel, d.tr.done, d.tr.lastStart = cancel, done, started
	d.tr.state = api.Training{State: trainRunning, Trigger: trigger, Started: started, Last: d.tr.state.Last,
		MaxEpochs: tc.HeadEpochs}
	d.tr.mu.Unlock()
	d.newSamples.Store(0)
	d.met.training.Set(1)

	idw := &runIDWriter{id: make(chan store.RunID, 1)}
	errc := make(chan error, 1)
	go func() {
		defer close(done)
		defer cancel()
		errc <- d.train(runCtx, idw)
	}()
	d.log.Info("training started", "trigger", trigger)
	select {
	case id := <-idw.id:
		d.tr.mu.Lock()
		d.tr.state.Run = id
		d.tr.mu.Unlock()
		d.publishTraining()
		return id, nil
	case err := <-errc:
		select {
		case id := <-idw.id:
			if id != 0 {
				return id, nil // the run started, then failed: its outcome says why
			}
		default:
		}
		return 0, err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// CancelTraining cancels the running run (it is finished as cancelled).
func (d *Daemon) CancelTraining(ctx context.Context) error {
	d.tr.mu.Lock()
	if d.tr.state.State == trainIdle || d.tr.cancel == nil {
		d.tr.mu.Unlock()
		return api.ErrNotTraining
	}
	d.tr.state.State = trainCancelling
	d.tr.cancel()
	d.tr.mu.Unlock()
	d.publishTraining()
	return nil
}

func (d *Daemon) finetuneConfig(progress *runIDWriter) finetune.Config {
	tc := d.cfg.Training
	spec := d.base.spec
	unfreeze := tc.UnfreezeLast
	if unfreeze == 0 {
		unfreeze = d.base.unfreezeLast
	}
	cfg := finetune.Config{
		ModelPath: d.base.path, Spec: &spec, HeadEpochs: tc.HeadEpochs, Epochs: tc.Epochs, Patience: tc.Patience,
		Batch: tc.Batch, HeadLR: tc.HeadLR, LR: tc.LR, HeadDropout: float32(tc.Dropout), UnfreezeLast: unfreeze,
		Phase2: tc.Phase2 && tc.Epochs > 0, Seed: tc.Seed, Threads: tc.Threads, Progress: progress,
		Name: d.base.name + " fine-tuned " + time.Now().Format("2006-01-02 15:04"), Note: "trained by ocellus serve",
	}
	if tc.Dropout == 0 {
		cfg.HeadDropout = -1
	}
	cfg.OnEpoch = func(phase string, m finetune.EpochMetrics) {
		d.tr.mu.Lock()
		d.tr.state.Phase, d.tr.state.Epoch = phase, m.Epoch
		d.tr.state.MaxEpochs = tc.HeadEpochs
		if phase == finetune.PhaseFinetune {
			d.tr.state.MaxEpochs = tc.Epochs
		}
		d.tr.state.History = append(d.tr.state.History, api.EpochPoint{Phase: phase, Epoch: m.Epoch,
			TrainLoss: m.TrainLoss, ValLoss: m.ValLoss, ValAccuracy: m.ValAccuracy, ValAUC: m.ValAUC})
		d.tr.mu.Unlock()
		d.publishTraining()
	}
	return cfg
}

// train runs one fine-tuning run, then the promotion decision; it always leaves the state idle
// with the outcome in Last.
func (d *Daemon) train(ctx context.Context, progress *runIDWriter) (err error) {
	out := &api.RunOutcome{}
	defer func() {
		// finetune.Run writes its first progress line once the run is in the store; if it
		// failed before, nobody reads the id.
		progress.once.Do(func() {})
		out.Finished = time.Now()
		switch {
		case err == nil:
			out.Status = store.RunSucceeded.String()
		case ctx.Err() != nil:
			out.Status = store.RunCancelled.String()
			out.Error = err.Error()
		default:
			out.Status = store.RunFailed.String()
			out.Error = err.Error()
		}
		promoted := out.Compared != nil && out.Compared.Promoted
		d.met.runs.WithLabelValues(out.Status, strconv.FormatBool(promoted)).Inc()
		d.met.training.Set(0)
		d.tr.mu.Lock()
		d.tr.state = api.Training{State: trainIdle, Last: out}
		d.tr.cancel = nil
		d.tr.mu.Unlock()
		d.publishTraining()
		d.log.Info("training finished", "run", out.Run, "status", out.Status, "err", out.Error, "model", out.Model, "promoted", promoted)
	}()
	res, err := finetune.Run(ctx, d.st, d.finetuneConfig(progress))
	out.Run, out.Model = res.Run, res.Model
	if err != nil {
		return err
	}
	d.tr.mu.Lock()
	d.tr.state.State = trainEvaluating
	d.tr.mu.Unlock()
	d.publishTraining()
	cmp, err := d.compare(ctx, res.Model)
	if err != nil {
		return fmt.Errorf("comparing version %d with the active model: %w", res.Model, err)
	}
	out.Compared = &cmp
	if b, err := json.Marshal(comparisonJSON(cmp)); err == nil {
		if err := d.st.PutRunArtifact(res.Run, ComparisonArtifact, b); err != nil {
			d.log.Warn("storing the promotion decision", "run", res.Run, "err", err)
		}
	}
	return nil
}

// compare scores version id and the active model on the val split and promotes id if it wins.
func (d *Daemon) compare(ctx context.Context, id store.ModelID) (api.Comparison, error) {
	d.modelMu.Lock()
	defer d.modelMu.Unlock()
	var cmp api.Comparison
	nm, err := d.loadVersion(id)
	if err != nil {
		return cmp, err
	}
	threads := max(d.cfg.Training.Threads, 1)
	rn, err := finetune.Evaluate(ctx, d.st, nm.m, nm.classes, nm.spec, store.Val, threads)
	if err != nil {
		return cmp, err
	}
	cmp.Samples, cmp.NewAccuracy, cmp.NewLoss = rn.Samples, rn.Accuracy, rn.Loss
	active := d.trainable.Load()
	ra, aerr := finetune.Evaluate(ctx, d.st, active.m, active.classes, active.spec, store.Val, threads)
	if ctx.Err() != nil {
		return cmp, ctx.Err()
	}
	same := sameClasses(nm.classes, active.classes)
	if aerr == nil {
		cmp.ActiveAccuracy, cmp.ActiveLoss = ra.Accuracy, ra.Loss
		if !same {
			cmp.ActiveLoss = math.NaN()
		}
	} else {
		// The active model cannot score these samples (e.g. fewer than two classes): it loses.
		cmp.ActiveLoss = math.NaN()
		d.log.Warn("the active model could not be scored; it counts as 0 accuracy", "model", active.name, "err", aerr)
	}
	switch {
	case cmp.NewAccuracy > cmp.ActiveAccuracy:
		cmp.Promoted = true
		cmp.Reason = fmt.Sprintf("accuracy %.4f > %.4f", cmp.NewAccuracy, cmp.ActiveAccuracy)
	case cmp.NewAccuracy == cmp.ActiveAccuracy && same && cmp.NewLoss < cmp.ActiveLoss:
		cmp.Promoted = true
		cmp.Reason = fmt.Sprintf("accuracy %.4f equal, loss %.4f < %.4f", cmp.NewAccuracy, cmp.NewLoss, cmp.ActiveLoss)
	case cmp.NewAccuracy == cmp.ActiveAccuracy && same:
		cmp.Reason = fmt.Sprintf("accuracy %.4f equal, loss %.4f not below %.4f", cmp.NewAccuracy, cmp.NewLoss, cmp.ActiveLoss)
	case cmp.NewAccuracy == cmp.ActiveAccuracy:
		cmp.Reason = fmt.Sprintf("accuracy %.4f equal with different classes", cmp.NewAccuracy)
	default:
		cmp.Reason = fmt.Sprintf("accuracy %.4f < %.4f", cmp.NewAccuracy, cmp.ActiveAccuracy)
	}
	if aerr != nil {
		cmp.Reason += " (the active model could not be scored: " + aerr.Error() + ")"
	}
	if !cmp.Promoted {
		return cmp, nil
	}
	if err := d.st.ActivateModel(id, "scheduler"); err != nil {
		return cmp, err
	}
	d.swap(nm)
	d.log.Info("model promoted", "id", id, "reason", cmp.Reason)
	return cmp, nil
}

func sameClasses(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// comparisonJSON turns NaN losses into null.
func comparisonJSON(c api.Comparison) map[string]any {
	num := func(v float64) any {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	return map[string]any{"samples": c.Samples, "new_accuracy": c.NewAccuracy, "active_accuracy": c.ActiveAccuracy,
		"new_loss": num(c.NewLoss), "active_loss": num(c.ActiveLoss), "promoted": c.Promoted, "reason": c.Reason}
}

// swap makes lm the trainable cameras' model (each swaps sessions before its next frame).
func (d *Daemon) swap(lm *loadedModel) {
	d.setTrainable(lm)
	d.events.publish("model", lm.info())
}

// Activate makes a stored version the active model.
func (d *Daemon) Activate(ctx context.Context, id store.ModelID, by string) (api.ModelInfo, error) {
	if by == "" {
		by = "api"
	}
	d.modelMu.Lock()
	defer d.modelMu.Unlock()
	lm, err := d.loadVersion(id)
	if err != nil {
		return api.ModelInfo{}, err
	}
	if err := d.st.ActivateModel(id, by); err != nil {
		return api.ModelInfo{}, err
	}
	d.swap(lm)
	d.log.Info("model activated", "id", id, "by", by)
	return lm.info(), nil
}

// Rollback re-activates the version that was active before the current one.
func (d *Daemon) Rollback(ctx context.Context, by string) (api.ModelInfo, error) {
	acts, err := d.st.Activations()
	if err != nil {
		return api.ModelInfo{}, err
	}
	if len(acts) == 0 || acts[len(acts)-1].Previous == 0 {
		return api.ModelInfo{}, api.ErrNoRollback
	}
	if by == "" {
		by = "api"
	}
	return d.Activate(ctx, acts[len(acts)-1].Previous, by+" (rollback)")
}

// ExportModel writes a version as a standalone ONNX model; id 0 is the base model.
func (d *Daemon) ExportModel(ctx context.Context, id store.ModelID) ([]byte, string, error) {
	if id == 0 {
		b, err := os.ReadFile(d.base.path)
		return b, "ocellus-base-" + filepath.Base(d.base.path), err
	}
	mv, err := d.st.Model(id)
	if err != nil {
		return nil, "", err
	}
	blob, err := d.st.ModelBlob(id)
	if err != nil {
		return nil, "", err
	}
	h, _, err := finetune.DecodeBlob(blob)
	if err != nil {
		return nil, "", err
	}
	b, err := exportONNX(blob, filepath.Join(d.cfg.Data, "base", filepath.Base(h.BaseModel)))
	if err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("ocellus-v%d.onnx", mv.ID), nil
}

// scheduler starts runs when enough new samples arrived or the interval passed (inside the
// window, if any).
func (d *Daemon) scheduler(ctx context.Context) {
	tc := d.cfg.Training
	if !tc.Auto || (tc.MinNewSamples == 0 && tc.Interval == 0) {
		return
	}
	from, to, _ := parseWindow(tc.Window)
	every := tc.CheckEvery.D()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		d.tr.mu.Lock()
		d.tr.nextCheck = time.Now().Add(every)
		d.tr.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		if !inWindow(now, from, to) {
			continue
		}
		n := int(d.newSamples.Load())
		d.tr.mu.Lock()
		idle, last := d.tr.state.State == trainIdle, d.tr.lastStart
		d.tr.mu.Unlock()
		if !idle || n == 0 {
			continue
		}
		trigger := ""
		switch {
		case tc.MinNewSamples > 0 && n >= tc.MinNewSamples:
			trigger = triggerNewSamples
		case tc.Interval > 0 && now.Sub(last) >= tc.Interval.D():
			trigger = triggerInterval
			if from >= 0 {
				trigger = triggerWindow
			}
		}
		if trigger == "" || d.st.CheckTrainable(nil) != nil {
			continue
		}
		if _, err := d.startTraining(ctx, trigger); err != nil && !errors.Is(err, api.ErrBusy) {
			d.log.Warn("scheduled training did not start", "trigger", trigger, "err", err)
		}
	}
}
