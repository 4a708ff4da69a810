// Package api holds what the daemon's engine (package daemon) and its HTTP
// server (package daemon/server) share: the JSON shapes of the HTTP API and the
// events, and the Engine interface the server drives. The shapes are the
// contract of the /api/v1 paths and of the web UI; see daemon/server for the
// routes.
package api

import (
	"context"
	"time"

	"github.com/ocellus/ocellus/store"
)

// Class is one entry of a prediction's top-k.
type Class struct {
	Label string  `json:"label"`
	Prob  float64 `json:"prob"`
}

// Prediction is what a camera's loop concluded about one frame.
type Prediction struct {
	Camera     string    `json:"camera"`
	Seq        uint64    `json:"seq"`  // the frame's sequence number at the source
	Time       time.Time `json:"time"` // when the frame was captured
	Label      string    `json:"label"`
	Confidence float64   `json:"confidence"` // probability of Label, in [0, 1]
	TopK       []Class   `json:"top_k"`
	LatencyMS  float64   `json:"latency_ms"` // preprocessing + inference
	// Model names the model that made it: ModelID is the store's version (0 for a
	// model that is not a store version: the base/starter model or a camera's
	// fixed --model file); ModelName is for people ("starter", "v3 ants-bees").
	ModelID   store.ModelID `json:"model_id"`
	ModelName string        `json:"model_name"`
}

// CameraStatus describes one camera loop.
type CameraStatus struct {
	Name   string `json:"name"`
	Source string `json:"source"` // the spec it was opened with ("demo", "/dev/video0", …)
	// State: "starting", "running", "retrying" (source error, backing off), "stopped".
	State string `json:"state"`
	Error string `json:"error,omitempty"` // the last source error, if any
	W     int    `json:"width"`
	H     int    `json:"height"`
	// Frames counts frames taken from the source, Classified those run through the
	// model, Dropped those skipped because a newer frame arrived first.
	Frames     uint64  `json:"frames"`
	Classified uint64  `json:"classified"`
	Dropped    uint64  `json:"dropped"`
	FPS        float64 `json:"fps"` // classified frames per second, recent average
	// FixedModel is the camera's own --model file, if configured (then training
	// never changes its model).
	FixedModel string      `json:"fixed_model,omitempty"`
	Last       *Prediction `json:"last,omitempty"`
}

// ModelInfo describes the model the trainable cameras use.
type ModelInfo struct {
	ID      store.ModelID `json:"id"` // 0: the base model, no trained version active
	Name    string        `json:"name"`
	Classes []string      `json:"classes"`
	Base    string        `json:"base"` // the base model's file name
}

// EpochPoint is one epoch of a training run, as the UI plots it.
type EpochPoint struct {
	Phase       string  `json:"phase"` // "head" or "finetune"
	Epoch       int     `json:"epoch"`
	TrainLoss   float64 `json:"train_loss"`
	ValLoss     float64 `json:"val_loss"`
	ValAccuracy float64 `json:"val_accuracy"`
	ValAUC      float64 `json:"val_auc"` // NaN (JSON null) when undefined
}

// Comparison is the promotion decision of a finished run: the new version against
// the active model on the same validation split.
type Comparison struct {
	Samples        int     `json:"samples"` // val samples both were scored on
	NewAccuracy    float64 `json:"new_accuracy"`
	ActiveAccuracy float64 `json:"active_accuracy"`
	NewLoss        float64 `json:"new_loss"`
	ActiveLoss     float64 `json:"active_loss"` // NaN (JSON null) when the active model lacks a class
	Promoted       bool    `json:"promoted"`
	Reason         string  `json:"reason"` // e.g. "accuracy 0.95 > 0.50"
}

// Training is the training state.
type Training struct {
	// State: "idle", "running", "evaluating" (comparing with the active model),
	// "cancelling".
	State     string      `json:"state"`
	Run       store.RunID `json:"run,omitempty"`
	Trigger   string      `json:"trigger,omitempty"` // "request", "new-samples", "interval", "window"
	Started   time.Time   `json:"started,omitzero"`
	Phase     string      `json:"phase,omitempty"`
	Epoch     int         `json:"epoch,omitempty"`
	MaxEpochs int         `json:"max_epochs,omitempty"`
	// History is the running run's epochs so far.
	History []EpochPoint `json:"history"`
	// Last is the outcome of the last finished run (nil before the first).
	Last *RunOutcome `json:"last,omitempty"`
	// NewSamples is how many labelled samples arrived since the last run started;
	// NextCheck when the scheduler looks again (zero: scheduling off).
	NewSamples int       `json:"new_samples"`
	NextCheck  time.Time `json:"next_check,omitzero"`
}

// RunOutcome is how a finished run ended.
type RunOutcome struct {
	Run      store.RunID   `json:"run"`
	Status   string        `json:"status"` // "succeeded", "failed", "cancelled"
	Error    string        `json:"error,omitempty"`
	Model    store.ModelID `json:"model,omitempty"`
	Compared *Comparison   `json:"compared,omitempty"`
	Finished time.Time     `json:"finished"`
}

// Status is GET /api/v1/status.
type Status struct {
	Version  string         `json:"version"`
	Started  time.Time      `json:"started"`
	Ready    bool           `json:"ready"`
	Cameras  []CameraStatus `json:"cameras"`
	Model    ModelInfo      `json:"model"`
	Training Training       `json:"training"`
	// Labels are the store's label set (class names users label with).
	Labels []string `json:"labels"`
	Inbox  int      `json:"inbox"` // items waiting
	// AuthRequired is true when mutating requests need the bearer token (the
	// daemon listens off loopback).
	AuthRequired bool `json:"auth_required"`
}

// InboxItem is a low-confidence frame kept for labelling.
type InboxItem struct {
	ID         uint64        `json:"id"`
	Camera     string        `json:"camera"`
	Time       time.Time     `json:"time"`
	Prediction string        `json:"prediction"`
	Confidence float64       `json:"confidence"`
	ModelID    store.ModelID `json:"model_id"`
}

// Event is one server-sent event: Type is the SSE event name, Data its JSON payload.
//
//	"prediction": Prediction (every classified frame; the server may thin per client)
//	"training":   Training (on start, every epoch, state change, end)
//	"model":      ModelInfo (after an activation, rollback or promotion)
//	"sample":     store.Sample (added or relabelled), or {"deleted": id}
//	"inbox":      InboxItem (added), or {"removed": id}
type Event struct {
	Type string
	Data any
}

// Engine is what the HTTP server needs from the daemon. All methods are safe for
// concurrent use. Errors wrap store errors (store.ErrNotFound, store.ErrUnknownLabel,
// store.ErrInvalidImage, …) or the errors below, so that the server can map them to
// status codes.
type Engine interface {
	Status() Status
	// Latest is the camera's newest prediction.
	Latest(camera string) (Prediction, error)
	// Snapshot is the camera's newest frame as JPEG.
	Snapshot(camera string) (jpeg []byte, seq uint64, err error)
	// Subscribe delivers events until cancel is called; a slow subscriber loses
	// events (never blocks the loop). buf is the channel's capacity.
	Subscribe(buf int) (events <-chan Event, cancel func())

	// Store is the sample store, for reads (listing samples, labels, models,
	// runs, images, artifacts). Writes go through the methods below.
	Store() *store.Store

	// CaptureSample labels the camera's current frame (with the prediction made
	// on it) and stores it.
	CaptureSample(ctx context.Context, camera, label string) (store.Sample, error)
	// AddSample stores an uploaded image (JPEG, PNG or BMP).
	AddSample(ctx context.Context, image []byte, label, source string) (store.Sample, error)
	Relabel(ctx context.Context, id store.SampleID, label string) (store.Sample, error)
	DeleteSample(ctx context.Context, id store.SampleID) error
	AddLabel(ctx context.Context, name string) error

	Inbox() ([]InboxItem, error)
	InboxImage(id uint64) ([]byte, error)
	// LabelInbox moves an inbox item into the samples with the label.
	LabelInbox(ctx context.Context, id uint64, label string) (store.Sample, error)
	DiscardInbox(ctx context.Context, id uint64) error

	// StartTraining starts a run now (ErrBusy if one is running); it returns the
	// run's id.
	StartTraining(ctx context.Context) (store.RunID, error)
	CancelTraining(ctx context.Context) error
	Training() Training

	// Activate makes a stored version the active model (swapped in between two
	// frames); Rollback re-activates the previously active one.
	Activate(ctx context.Context, id store.ModelID, by string) (ModelInfo, error)
	Rollback(ctx context.Context, by string) (ModelInfo, error)
	// ExportModel writes a version as a standalone ONNX model.
	ExportModel(ctx context.Context, id store.ModelID) (onnx []byte, filename string, err error)
}

// Errors the engine returns besides the store's.
const (
	ErrBusy        = errorString("training already running")
	ErrNotTraining = errorString("no training running")
	ErrNoCamera    = errorString("no such camera")
	ErrNoFrame     = errorString("no frame yet")
	ErrNoRollback  = errorString("no previous model to roll back to")
	ErrNotFound    = errorString("not found")
)

type errorString string

func (e errorString) Error() string { return "daemon: " + string(e) }
