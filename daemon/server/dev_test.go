package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"net/http"
	"os"
	"os/signal"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/store"
)

// TestDevUI serves the web UI over the fake engine, with demo frames and a
// simulated training run, for working on the UI without the real daemon:
//
//	OCELLUS_DEV_UI=127.0.0.1:8099 go test -run TestDevUI -timeout 0 ./daemon/server
//
// It is skipped otherwise and runs until interrupted.
func TestDevUI(t *testing.T) {
	addr := os.Getenv("OCELLUS_DEV_UI")
	if addr == "" {
		t.Skip("set OCELLUS_DEV_UI=ADDR to serve the UI over the fake engine")
	}
	f := newFake(t)
	d := &devEngine{fakeEngine: f}
	h, err := New(d, Options{Token: os.Getenv("OCELLUS_DEV_TOKEN"), RequireAuth: os.Getenv("OCELLUS_DEV_TOKEN") != ""})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go d.camera(ctx, t)
	srv := &http.Server{Addr: addr, Handler: h}
	go func() { <-ctx.Done(); srv.Close() }()
	t.Logf("serving the UI on http://%s/", addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		t.Fatal(err)
	}
}

// devEngine adds to the fake a demo camera whose "model" names the true class,
// and training runs that take a few seconds.
type devEngine struct {
	*fakeEngine
}

func (d *devEngine) camera(ctx context.Context, t *testing.T) {
	demo, err := camera.NewDemo(camera.Options{Width: 160, Height: 120, FPS: 10, Seed: 1})
	if err != nil {
		t.Error(err)
		return
	}
	names := camera.DemoClassNames()
	w, h := demo.Size()
	rgb := make([]uint8, w*h*3)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for seq := uint64(0); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		demo.Render(rgb, seq)
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range w * h {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = rgb[3*i], rgb[3*i+1], rgb[3*i+2], 255
		}
		var b bytes.Buffer
		jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
		label := names[demo.Class(seq)]
		conf := 0.55 + 0.4*math.Abs(math.Sin(float64(seq)/7))
		p := d.setFrame(b.Bytes(), label, conf)
		p.TopK = nil
		rest := (1 - conf) / float64(len(names)-1)
		p.TopK = append(p.TopK, api.Class{Label: label, Prob: conf})
		for _, n := range names {
			if n != label && len(p.TopK) < 5 {
				p.TopK = append(p.TopK, api.Class{Label: n, Prob: rest})
			}
		}
		d.mu.Lock()
		d.pred = &p
		d.mu.Unlock()
		d.publish(api.Event{Type: "prediction", Data: p})
		if seq%50 == 25 {
			id := d.addInbox(b.Bytes())
			d.publish(api.Event{Type: "inbox", Data: api.InboxItem{ID: id}})
		}
	}
}

func (d *devEngine) StartTraining(ctx context.Context) (store.RunID, error) {
	id, err := d.fakeEngine.StartTraining(ctx)
	if err != nil {
		return 0, err
	}
	go d.train(id)
	return id, nil
}

func (d *devEngine) train(id store.RunID) {
	labels, _ := d.st.Labels()
	var classes []string
	for _, l := range labels {
		classes = append(classes, l.Name)
	}
	const epochs = 8
	for e := 1; e <= epochs; e++ {
		time.Sleep(400 * time.Millisecond)
		phase := "head"
		if e > epochs/2 {
			phase = "finetune"
		}
		pt := api.EpochPoint{Phase: phase, Epoch: e, TrainLoss: 1.5 / float64(e), ValLoss: 1.6/float64(e) + 0.05,
			ValAccuracy: 1 - 0.5/float64(e), ValAUC: 1 - 0.4/float64(e)}
		d.st.AppendEpoch(id, store.Epoch{Phase: phase, Epoch: e, Metrics: store.Metrics{
			"train_loss": pt.TrainLoss, "val_loss": pt.ValLoss, "val_accuracy": pt.ValAccuracy, "val_auc": pt.ValAUC}})
		d.mu.Lock()
		if d.training.Run != id || d.training.State != "running" {
			d.mu.Unlock()
			return // cancelled
		}
		if e == 1 {
			d.training.History = nil
		}
		d.training.Phase, d.training.Epoch, d.training.MaxEpochs = phase, e, epochs
		d.training.History = append(d.training.History, pt)
		tr := d.training
		d.mu.Unlock()
		d.publish(api.Event{Type: "training", Data: tr})
	}
	k := len(classes)
	conf := make([][]int, k)
	for i := range conf {
		conf[i] = make([]int, k)
		for j := range conf[i] {
			if i == j {
				conf[i][j] = 9 + i
			} else if (i+j)%3 == 0 {
				conf[i][j] = 1
			}
		}
	}
	summary, _ := json.Marshal(map[string]any{"run": id, "classes": classes,
		"test": map[string]any{"split": "val", "samples": 20, "accuracy": 0.9, "confusion": conf}})
	svg := fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40"><text x="5" y="20">run %d</text></svg>`, id)
	d.st.PutRunArtifact(id, "confusion.svg", svg)
	d.st.PutRunArtifact(id, "summary.json", summary)
	run, err := d.st.FinishRun(id, store.RunResult{Status: store.RunSucceeded, Result: summary,
		Model: &store.NewModel{Name: fmt.Sprintf("run %d", id), Format: "onnx", Blob: []byte("fake"), Metrics: summary, Classes: classes}})
	d.mu.Lock()
	out := &api.RunOutcome{Run: id, Status: "succeeded", Finished: time.Now().UTC()}
	if err != nil {
		out.Status, out.Error = "failed", err.Error()
	} else {
		out.Model = run.Model
		out.Compared = &api.Comparison{Samples: 20, NewAccuracy: 0.9, ActiveAccuracy: 0.5, Promoted: true, Reason: "accuracy 0.90 > 0.50"}
	}
	d.training = api.Training{State: "idle", Last: out}
	tr := d.training
	d.mu.Unlock()
	if err == nil {
		d.fakeEngine.Activate(context.Background(), run.Model, "promotion")
		d.publish(api.Event{Type: "model", Data: d.Status().Model})
	}
	d.publish(api.Event{Type: "training", Data: tr})
}
