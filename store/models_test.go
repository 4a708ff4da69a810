package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func testBlob(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestModels(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true, Now: fixedClock()})
	if _, err := s.ActiveModel(); !errors.Is(err, ErrNoActiveModel) {
		t.Fatalf("ActiveModel of a new store: %v", err)
	}
	for _, bad := range []NewModel{
		{},
		{Blob: []byte{1}, Metrics: json.RawMessage(`{"auc":`)},
		{Blob: []byte{1}, Parent: 9},
		{Blob: []byte{1}, Run: 9},
		{Blob: []byte{1}, Name: "\xff"},
	} {
		if _, err := s.AddModel(bad); err == nil {
			t.Errorf("AddModel(%+v) succeeded", bad)
		}
	}
	// A blob of 2.5 chunks, a small one with metrics.
	big := testBlob(2*blobChunk+blobChunk/2, 1)
	m1, err := s.AddModel(NewModel{Name: "imagenet", Format: "onnx", Blob: big, Classes: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := s.AddModel(NewModel{Name: "ft", Format: "onnx", Blob: []byte("tiny"), Parent: m1.ID,
		Metrics: json.RawMessage(`{"val_auc":0.97}`), Backbone: "sha256:abc"})
	if err != nil {
		t.Fatal(err)
	}
	if m1.ID != 1 || m2.ID != 2 || m2.Parent != 1 || m1.Size != int64(len(big)) || m1.Active || m2.Active {
		t.Fatalf("added %+v %+v", m1, m2)
	}
	if b, err := s.ModelBlob(m1.ID); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("blob round trip: %d bytes, %v", len(b), err)
	}
	if _, err := s.ModelBlob(7); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ModelBlob(7): %v", err)
	}
	// Activation: by is required; exactly one active; history kept.
	if err := s.ActivateModel(m1.ID, ""); !errors.Is(err, ErrInvalidModel) {
		t.Fatalf("activate without by: %v", err)
	}
	if err := s.ActivateModel(42, "alice"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("activate missing: %v", err)
	}
	if err := s.ActivateModel(m1.ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.ActivateModel(m2.ID, "ocellus train"); err != nil {
		t.Fatal(err)
	}
	active, err := s.ActiveModel()
	if err != nil || active.ID != m2.ID || !active.Active || active.ActivatedBy != "ocellus train" || active.ActivatedAt.IsZero() {
		t.Fatalf("active %+v, %v", active, err)
	}
	all, _ := s.Models()
	nActive := 0
	for _, m := range all {
		if m.Active {
			nActive++
		}
	}
	if len(all) != 2 || nActive != 1 || all[0].ActivatedBy != "alice" {
		t.Fatalf("models %+v", all)
	}
	hist, _ := s.Activations()
	if len(hist) != 2 || hist[0].Model != 1 || hist[0].Previous != 0 || hist[1].Model != 2 || hist[1].Previous != 1 || hist[1].By != "ocellus train" {
		t.Fatalf("history %+v", hist)
	}
	if string(active.Metrics) != `{"val_auc":0.97}` {
		t.Fatalf("metrics %s", active.Metrics)
	}
	// The active one cannot be deleted; the other can.
	if err := s.DeleteModel(m2.ID); !errors.Is(err, ErrModelActive) {
		t.Fatalf("delete active: %v", err)
	}
	if err := s.DeleteModel(m1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Model(m1.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted model: %v", err)
	}
	if err := s.DeleteModel(m1.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	mustVerify(t, s)
	if b, err := json.Marshal(active); err != nil || !strings.Contains(string(b), `"active":true`) {
		t.Fatalf("JSON %s %v", b, err)
	}
}
