package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/ocellus/ocellus/store"
)

// tinyStore imports a tiny data set (writeTinyDataset, perSplit images of
// each class per split, less the folders in drop, e.g. "val/blue") into
// a new store and returns its path and samples.
func tinyStore(t *testing.T, perSplit [3]int, drop ...string) (string, map[store.SampleID]tinySample) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeTinyDataset(t, data, perSplit)
	for _, d := range drop {
		if err := os.RemoveAll(filepath.Join(data, d)); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "s.db")
	if code, _, stderr := cli("samples", "import", "--store", db, data); code != 0 {
		t.Fatalf("import: %d %s", code, stderr)
	}
	return db, readTinyStore(t, db)
}

func readTinyStore(t *testing.T, db string) map[store.SampleID]tinySample {
	t.Helper()
	s, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return storeSamples(t, s)
}

// tinyTrain runs `ocellus train` on the tiny model with few epochs.
func tinyTrain(t *testing.T, db, model string, extra ...string) (int, string, string) {
	args := append([]string{"train", "--store", db, "--model", model, "--head-epochs", "3", "--epochs", "2",
		"--batch", "4", "--unfreeze-last", "2", "--activate", "--quiet"}, extra...)
	return cli(args...)
}

// boltKey is a store id as a bbolt key.
func boltKey(id store.SampleID) []byte { return binary.BigEndian.AppendUint64(nil, uint64(id)) }

// TestTrainBadInput: a store with one class, a label without validation
// samples, a label without any sample, a sample whose label is not in
// the label set and a stored image that no longer decodes each make
// `ocellus train` fail with an error that names the problem; no sample is
// lost, no model version is added, and only the corrupt image, found
// while computing features, leaves a run (recorded as failed).
func TestTrainBadInput(t *testing.T) {
	model := filepath.Join(t.TempDir(), "tiny.onnx")
	writeTinyModel(t, model)
	per := [3]int{3, 2, 1}

	// checkAfter: the samples are as before (or as want), no model
	// version, the runs as expected (each failed with msg).
	checkAfter := func(name, db string, want map[store.SampleID]tinySample, runs int, msg string) {
		t.Helper()
		s, err := store.Open(db, &store.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer s.Close()
		got := storeSamples(t, s)
		if len(got) != len(want) {
			t.Errorf("%s: %d samples after the failed train, want %d", name, len(got), len(want))
		}
		for id, w := range want {
			if got[id] != w {
				t.Errorf("%s: sample %d is %+v, was %+v", name, id, got[id], w)
			}
		}
		if ms, _ := s.Models(); len(ms) != 0 {
			t.Errorf("%s: %d model versions after a failed train", name, len(ms))
		}
		rs, _ := s.Runs()
		if len(rs) != runs {
			t.Fatalf("%s: %d runs, want %d", name, len(rs), runs)
		}
		for _, r := range rs {
			if r.Status != store.RunFailed || !strings.Contains(r.Error, msg) {
				t.Errorf("%s: run %d is %v (%q), want failed with %q", name, r.ID, r.Status, r.Error, msg)
			}
		}
	}
	expectFail := func(name, db string, wantErr ...string) {
		t.Helper()
		code, stdout, stderr := tinyTrain(t, db, model)
		t.Logf("%s: %s", name, strings.TrimSpace(stderr))
		if code != 1 || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q; want 1 and nothing", name, code, stdout)
		}
		for _, w := range wantErr {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: error %q does not say %q", name, stderr, w)
			}
		}
	}

	t.Run("one class", func(t *testing.T) {
		db, smp := tinyStore(t, per, "train/blue", "val/blue", "test/blue")
		expectFail("one class", db, "ocellus train: ", "too few classes", `1 label(s) ["red"]`, "training needs ≥ 2")
		checkAfter("one class", db, smp, 0, "")
	})
	t.Run("no val samples of a label", func(t *testing.T) {
		db, smp := tinyStore(t, per, "val/blue")
		expectFail("no val", db, "too few samples", `label "blue": 0 val samples, need ≥ 1`)
		checkAfter("no val", db, smp, 0, "")
	})
	t.Run("label without samples", func(t *testing.T) {
		db, smp := tinyStore(t, per)
		s, err := store.Open(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddLabel("green"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		expectFail("unused label", db, `label "green": 0 train samples, need ≥ 1`, `label "green": 0 val samples`)
		checkAfter("unused label", db, smp, 0, "")
	})

	// The store cannot hold the next two (AddSample checks the label and
	// decodes the image): they are written into the file behind its back,
	// as a bug or a damaged disk could.
	t.Run("sample label not in the label set", func(t *testing.T) {
		db, smp := tinyStore(t, per)
		var victim store.SampleID
		for id, s := range smp {
			if s.split == store.Val && (victim == 0 || id < victim) {
				victim = id
			}
		}
		bdb, err := bolt.Open(db, 0o644, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = bdb.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("samples"))
			var m map[string]any
			if err := json.Unmarshal(b.Get(boltKey(victim)), &m); err != nil {
				return err
			}
			m["label"] = "ghost"
			v, err := json.Marshal(m)
			if err != nil {
				return err
			}
			return b.Put(boltKey(victim), v)
		})
		bdb.Close()
		if err != nil {
			t.Fatal(err)
		}
		w := smp[victim]
		w.label = "ghost"
		smp[victim] = w
		expectFail("ghost label", db, `ocellus train: finetune: sample`, `has label "ghost", not in the label set`)
		checkAfter("ghost label", db, smp, 0, "")
	})
	t.Run("corrupt stored image", func(t *testing.T) {
		db, smp := tinyStore(t, per)
		var victim store.SampleID
		for id, s := range smp {
			if s.split == store.Train && (victim == 0 || id > victim) {
				victim = id
			}
		}
		bdb, err := bolt.Open(db, 0o644, nil)
		if err != nil {
			t.Fatal(err)
		}
		junk := []byte("\xff\xd8\xff\xe0 not a JPEG any more")
		err = bdb.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("images")).Put(boltKey(victim), junk) })
		bdb.Close()
		if err != nil {
			t.Fatal(err)
		}
		before := readTinyStore(t, db)
		expectFail("corrupt image", db, "run 1: finetune: sample ", "jpeg")
		checkAfter("corrupt image", db, before, 1, "finetune: sample ")
		if len(before) != len(smp) {
			t.Errorf("%d samples readable after the corruption, %d before", len(before), len(smp))
		}
		// A later train that does not need the image (it is gone) works:
		// relabelled data is not touched by the failed run.
		s, err := store.Open(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSamples(victim); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if code, _, stderr := tinyTrain(t, db, model); code != 0 {
			t.Errorf("train after deleting the corrupt sample: %d %s", code, stderr)
		}
	})
	t.Run("bad augment flag", func(t *testing.T) {
		db, smp := tinyStore(t, per)
		code, _, stderr := tinyTrain(t, db, model, "--augment", "flip,rotate")
		if code != exitUsage || !strings.Contains(stderr, `--augment: finetune: augment "rotate"`) {
			t.Errorf("--augment flip,rotate: exit %d %q", code, stderr)
		}
		checkAfter("bad augment", db, smp, 0, "")
		// And a good one trains.
		if code, _, stderr := tinyTrain(t, db, model, "--augment", "flip,crop=0.1,variants=2"); code != 0 {
			t.Errorf("--augment flip,crop=0.1,variants=2: exit %d %s", code, stderr)
		}
	})
}
