package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestInboxAddCapLabelDiscard(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true, Now: fixedClock()})
	mustAddLabels(t, s, "ants", "bees")
	var ids []InboxID
	for i := range 5 {
		it, removed, err := s.AddInbox(NewInboxItem{Image: testJPEG(t, uint64(100+i), 16, 12), Camera: "cam0",
			Prediction: "ants", Confidence: 0.3, Model: 2}, 3)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
		// The cap keeps the 3 newest: adding the 4th removes the 1st, the 5th the 2nd.
		if i >= 3 && (len(removed) != 1 || removed[0] != ids[i-3]) {
			t.Fatalf("add %d removed %v, want [%d]", i, removed, ids[i-3])
		} else if i < 3 && len(removed) != 0 {
			t.Fatalf("add %d removed %v below the cap", i, removed)
		}
	}
	items, err := s.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := s.InboxCount(); len(items) != 3 || n != 3 || items[0].ID != ids[2] || items[2].ID != ids[4] {
		t.Fatalf("inbox %+v (count %d), want ids %v", items, n, ids[2:])
	}
	if items[0].Camera != "cam0" || items[0].Prediction != "ants" || items[0].Confidence != 0.3 || items[0].Model != 2 || items[0].Size == 0 {
		t.Fatalf("item %+v lost fields", items[0])
	}
	if _, err := s.InboxImage(ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("image of an evicted item: %v, want ErrNotFound", err)
	}
	// An unknown label changes nothing.
	if _, err := s.LabelInbox(ids[2], "wasps"); !errors.Is(err, ErrUnknownLabel) {
		t.Fatalf("LabelInbox with an unknown label: %v", err)
	}
	img, err := s.InboxImage(ids[2])
	if err != nil {
		t.Fatal(err)
	}
	smp, err := s.LabelInbox(ids[2], "bees")
	if err != nil {
		t.Fatal(err)
	}
	if smp.Label != "bees" || smp.Source != "inbox:cam0" || smp.Prediction != "ants" || smp.Confidence != 0.3 || smp.Split == SplitUnset {
		t.Fatalf("sample %+v", smp)
	}
	if got, _ := s.Image(smp.ID); string(got) != string(img) {
		t.Fatal("the sample's image differs from the inbox item's")
	}
	if _, err := s.InboxEntry(ids[2]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("labelled item still in the inbox: %v", err)
	}
	if _, err := s.LabelInbox(ids[2], "bees"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("labelling a moved item: %v", err)
	}
	if err := s.DeleteInbox(ids[3]); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteInbox(ids[3]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if n, _ := s.InboxCount(); n != 1 {
		t.Fatalf("count %d, want 1", n)
	}
	mustVerify(t, s)
	if _, _, err := s.AddInbox(NewInboxItem{Image: testPNG(t, 1, 8, 8)}, 0); !errors.Is(err, ErrInvalidImage) {
		t.Fatalf("PNG inbox image: %v, want ErrInvalidImage", err)
	}
	if _, _, err := s.AddInbox(NewInboxItem{Image: testJPEG(t, 1, 8, 8), Confidence: 2}, 0); !errors.Is(err, ErrInvalidSample) {
		t.Fatalf("confidence 2: %v, want ErrInvalidSample", err)
	}
}

func TestInboxDuplicateOfSample(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true})
	mustAddLabels(t, s, "a")
	img := testJPEG(t, 7, 16, 16)
	stored, err := s.AddSample(NewSample{Image: img, Label: "a"})
	if err != nil {
		t.Fatal(err)
	}
	it, _, err := s.AddInbox(NewInboxItem{Image: img, Camera: "c", Captured: time.Now()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	smp, err := s.LabelInbox(it.ID, "a")
	if !errors.Is(err, ErrDuplicate) || smp.ID != stored.ID {
		t.Fatalf("LabelInbox of a stored image: %+v %v, want ErrDuplicate and sample %d", smp, err, stored.ID)
	}
	if n, _ := s.InboxCount(); n != 0 {
		t.Fatalf("the duplicate stays in the inbox (%d items)", n)
	}
	if n, _ := s.Count(); n != 1 {
		t.Fatalf("%d samples, want 1", n)
	}
}

// TestMigrateV1 opens a schema-1 store (no inbox buckets): it is migrated and keeps its samples.
func TestMigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	s := openAt(t, path, &Options{NoSync: true})
	mustAddLabels(t, s, "a")
	smp := mustAdd(t, s, 1, "a")
	s.Close()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bInbox, bInboxImages} {
			if err := tx.DeleteBucket([]byte(b)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte(bMeta)).Put([]byte(kSchema), idKey(1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, &Options{ReadOnly: true}); !errors.Is(err, ErrNeedsMigration) {
		t.Fatalf("read-only open of schema 1: %v, want ErrNeedsMigration", err)
	}
	s = openAt(t, path, &Options{NoSync: true})
	mustVerify(t, s)
	if got, err := s.Sample(smp.ID); err != nil || got.SHA256 != smp.SHA256 {
		t.Fatalf("sample after migration: %+v %v", got, err)
	}
	if _, _, err := s.AddInbox(NewInboxItem{Image: testJPEG(t, 2, 8, 8)}, 10); err != nil {
		t.Fatal(err)
	}
}
