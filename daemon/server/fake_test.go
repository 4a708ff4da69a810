package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/store"
)

// fakeEngine is an api.Engine for the server's tests: one camera "cam0" whose
// frames the test sets, a real store in a temporary folder, an inbox in memory
// and a training "run" the test drives by hand. It records every mutating call,
// so the auth tests can check that a refused request reached nothing.
type fakeEngine struct {
	st *store.Store

	mu       sync.Mutex
	ready    bool
	seq      uint64
	frame    []byte
	pred     *api.Prediction
	training api.Training
	inbox    map[uint64][]byte
	inboxIDs []uint64
	active   api.ModelInfo
	previous []api.ModelInfo
	subs     map[int]chan api.Event
	nextSub  int
	calls    []string
}

func newFake(t testing.TB) *fakeEngine {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "ocellus.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fakeEngine{
		st:       st,
		ready:    true,
		inbox:    map[uint64][]byte{},
		subs:     map[int]chan api.Event{},
		training: api.Training{State: "idle"},
		active:   api.ModelInfo{Name: "starter", Classes: []string{"none", "circle"}, Base: "starter.onnx"},
	}
}

// testJPEG encodes a small frame whose colour depends on n, so that frames
// differ (the store refuses duplicate images).
func testJPEG(t testing.TB, n uint64) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	c := color.RGBA{uint8(n * 37), uint8(n * 91), uint8(n * 13), 255}
	for y := range 12 {
		for x := range 16 {
			img.Set(x, y, c)
			if (x+y+int(n))%5 == 0 {
				img.Set(x, y, color.RGBA{255 - c.R, 255 - c.G, uint8(n), 255})
			}
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// setFrame makes a new current frame with its prediction.
func (f *fakeEngine) setFrame(jpg []byte, label string, conf float64) api.Prediction {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	f.frame = jpg
	p := api.Prediction{
		Camera: "cam0", Seq: f.seq, Time: time.Now().UTC(), Label: label, Confidence: conf,
		TopK:      []api.Class{{Label: label, Prob: conf}, {Label: "none", Prob: 1 - conf}},
		LatencyMS: 3.5, ModelName: f.active.Name, ModelID: f.active.ID,
	}
	f.pred = &p
	return p
}

// publish sends an event to every subscriber without waiting.
func (f *fakeEngine) publish(ev api.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (f *fakeEngine) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (f *fakeEngine) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

func (f *fakeEngine) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeEngine) Status() api.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := api.Status{
		Version: "test", Started: time.Unix(1700000000, 0).UTC(), Ready: f.ready,
		Model: f.active, Training: f.training, Inbox: len(f.inboxIDs),
		Cameras: []api.CameraStatus{{Name: "cam0", Source: "fake", State: "running", W: 16, H: 12, Last: f.pred}},
	}
	ls, _ := f.st.Labels()
	for _, l := range ls {
		st.Labels = append(st.Labels, l.Name)
	}
	return st
}

func (f *fakeEngine) Latest(cam string) (api.Prediction, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cam != "cam0" {
		return api.Prediction{}, api.ErrNoCamera
	}
	if f.pred == nil {
		return api.Prediction{}, api.ErrNoFrame
	}
	return *f.pred, nil
}

func (f *fakeEngine) Snapshot(cam string) ([]byte, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cam != "cam0" {
		return nil, 0, api.ErrNoCamera
	}
	if f.frame == nil {
		return nil, 0, api.ErrNoFrame
	}
	return f.frame, f.seq, nil
}

func (f *fakeEngine) Subscribe(buf int) (<-chan api.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan api.Event, buf)
	id := f.nextSub
	f.nextSub++
	f.subs[id] = ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, id)
			f.mu.Unlock()
		})
	}
}

func (f *fakeEngine) Store() *store.Store { return f.st }

func (f *fakeEngine) CaptureSample(ctx context.Context, cam, label string) (store.Sample, error) {
	f.record("CaptureSample")
	f.mu.Lock()
	frame, pred := f.frame, f.pred
	f.mu.Unlock()
	if cam != "cam0" {
		return store.Sample{}, api.ErrNoCamera
	}
	if frame == nil {
		return store.Sample{}, api.ErrNoFrame
	}
	return f.st.AddSample(store.NewSample{Image: frame, Label: label, Source: "camera:cam0",
		Prediction: pred.Label, Confidence: float32(pred.Confidence)})
}

func (f *fakeEngine) AddSample(ctx context.Context, img []byte, label, source string) (store.Sample, error) {
	f.record("AddSample")
	return f.st.AddSample(store.NewSample{Image: img, Label: label, Source: source})
}

func (f *fakeEngine) Relabel(ctx context.Context, id store.SampleID, label string) (store.Sample, error) {
	f.record("Relabel")
	if err := f.st.Relabel(id, label); err != nil {
		return store.Sample{}, err
	}
	return f.st.Sample(id)
}

func (f *fakeEngine) DeleteSample(ctx context.Context, id store.SampleID) error {
	f.record("DeleteSample")
	return f.st.DeleteSamples(id)
}

func (f *fakeEngine) AddLabel(ctx context.Context, name string) error {
	f.record("AddLabel")
	return f.st.AddLabel(name)
}

// addInbox puts a frame in the inbox and returns its id.
func (f *fakeEngine) addInbox(jpg []byte) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := uint64(100 + len(f.inbox))
	f.inbox[id] = jpg
	f.inboxIDs = append(f.inboxIDs, id)
	return id
}

func (f *fakeEngine) Inbox() ([]api.InboxItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var items []api.InboxItem
	for _, id := range f.inboxIDs {
		items = append(items, api.InboxItem{ID: id, Camera: "cam0", Time: time.Unix(1700000000, 0).UTC(), Prediction: "circle", Confidence: 0.4})
	}
	return items, nil
}

func (f *fakeEngine) InboxImage(id uint64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.inboxHas(id) {
		return nil, fmt.Errorf("inbox item %d: %w", id, api.ErrNotFound)
	}
	return f.inbox[id], nil
}

func (f *fakeEngine) inboxHas(id uint64) bool {
	for _, x := range f.inboxIDs {
		if x == id {
			return true
		}
	}
	return false
}

func (f *fakeEngine) removeInbox(id uint64) {
	for i, x := range f.inboxIDs {
		if x == id {
			f.inboxIDs = append(f.inboxIDs[:i], f.inboxIDs[i+1:]...)
			return
		}
	}
}

func (f *fakeEngine) LabelInbox(ctx context.Context, id uint64, label string) (store.Sample, error) {
	f.record("LabelInbox")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.inboxHas(id) {
		return store.Sample{}, fmt.Errorf("inbox item %d: %w", id, api.ErrNotFound)
	}
	smp, err := f.st.AddSample(store.NewSample{Image: f.inbox[id], Label: label, Source: "inbox"})
	if err != nil {
		return smp, err
	}
	f.removeInbox(id)
	return smp, nil
}

func (f *fakeEngine) DiscardInbox(ctx context.Context, id uint64) error {
	f.record("DiscardInbox")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.inboxHas(id) {
		return fmt.Errorf("inbox item %d: %w", id, api.ErrNotFound)
	}
	f.removeInbox(id)
	return nil
}

func (f *fakeEngine) StartTraining(ctx context.Context) (store.RunID, error) {
	f.record("StartTraining")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.training.State != "idle" {
		return 0, api.ErrBusy
	}
	run, err := f.st.StartRun(store.NewRun{Config: json.RawMessage(`{"fake":true}`)})
	if err != nil {
		return 0, err
	}
	f.training = api.Training{State: "running", Run: run.ID, Trigger: "request", Started: run.Started,
		Phase: "head", Epoch: 1, MaxEpochs: 4,
		History: []api.EpochPoint{{Phase: "head", Epoch: 1, TrainLoss: 1.2, ValLoss: 1.3, ValAccuracy: 0.5, ValAUC: math.NaN()}}}
	return run.ID, nil
}

func (f *fakeEngine) CancelTraining(ctx context.Context) error {
	f.record("CancelTraining")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.training.State != "running" {
		return api.ErrNotTraining
	}
	run := f.training.Run
	if _, err := f.st.FinishRun(run, store.RunResult{Status: store.RunCancelled, Error: "cancelled"}); err != nil {
		return err
	}
	f.training = api.Training{State: "idle", Last: &api.RunOutcome{Run: run, Status: "cancelled", Finished: time.Now().UTC()}}
	return nil
}

func (f *fakeEngine) Training() api.Training {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.training
}

func (f *fakeEngine) Activate(ctx context.Context, id store.ModelID, by string) (api.ModelInfo, error) {
	f.record("Activate")
	mv, err := f.st.Model(id)
	if err != nil {
		return api.ModelInfo{}, err
	}
	if err := f.st.ActivateModel(id, by); err != nil {
		return api.ModelInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.previous = append(f.previous, f.active)
	f.active = api.ModelInfo{ID: id, Name: mv.Name, Classes: mv.Classes, Base: "starter.onnx"}
	return f.active, nil
}

func (f *fakeEngine) Rollback(ctx context.Context, by string) (api.ModelInfo, error) {
	f.record("Rollback")
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.previous) == 0 {
		return api.ModelInfo{}, api.ErrNoRollback
	}
	f.active = f.previous[len(f.previous)-1]
	f.previous = f.previous[:len(f.previous)-1]
	return f.active, nil
}

func (f *fakeEngine) ExportModel(ctx context.Context, id store.ModelID) ([]byte, string, error) {
	f.record("ExportModel")
	b, err := f.st.ModelBlob(id)
	if err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("ocellus-v%d.onnx", id), nil
}
