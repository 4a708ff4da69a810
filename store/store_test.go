package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenReopenClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path, nil) // nil: the defaults, real fsync
	if err != nil {
		t.Fatal(err)
	}
	mustAddLabels(t, s, "ants")
	want := mustAdd(t, s, 1, "ants")
	img := testJPEG(t, 1, 24, 16)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v (want nil: Close is idempotent)", err)
	}
	if _, err := s.Labels(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Labels after Close: %v, want ErrClosed", err)
	}
	if err := s.AddLabel("bees"); !errors.Is(err, ErrClosed) {
		t.Fatalf("AddLabel after Close: %v, want ErrClosed", err)
	}

	s = openAt(t, path, nil)
	got, err := s.Sample(want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Added.Equal(want.Added) || got.SHA256 != want.SHA256 || got.Label != "ants" || got.Split != want.Split {
		t.Fatalf("reopened sample %+v, stored %+v", got, want)
	}
	b, err := s.Image(want.ID)
	if err != nil || !bytes.Equal(b, img) {
		t.Fatalf("reopened image: %d bytes, err %v; want the %d stored bytes", len(b), err, len(img))
	}
	mustVerify(t, s)
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{
		{Timeout: -time.Second},
		{InitialMmapSize: -1},
		{InitialMmapSize: MaxInitialMmapSize + 1},
		{MaxSize: -1},
		{Split: SplitRatio{Train: 1, Val: -0.1}},
		{Split: SplitRatio{Train: 0, Val: 0, Test: 0.0}, Timeout: -1},
	} {
		if err := o.Validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: Validate = %v, want ErrInvalidOptions", o, err)
		}
		if _, err := Open(filepath.Join(t.TempDir(), "x.db"), &o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: Open = %v, want ErrInvalidOptions", o, err)
		}
	}
	if err := (*Options)(nil).Validate(); err != nil {
		t.Errorf("nil Options: %v", err)
	}
	d := (*Options)(nil).withDefaults()
	if d.Timeout != DefaultTimeout || d.InitialMmapSize != DefaultInitialMmapSize || d.Split != DefaultSplitRatio() || d.Now == nil {
		t.Errorf("defaults: %+v", d)
	}
}

// TestInitialMmapSize opens stores with the largest map this test dares on every platform (256 MiB,
// a quarter of the 32-bit limit) and checks that a reader holding a transaction open does not
// block a writer growing the file within the map.
func TestInitialMmapSize(t *testing.T) {
	if MaxInitialMmapSize < 256<<20 {
		t.Fatalf("MaxInitialMmapSize %d < 256 MiB", MaxInitialMmapSize)
	}
	s := openTemp(t, &Options{NoSync: true, InitialMmapSize: 256 << 20})
	mustAddLabels(t, s, "a")
	mustAdd(t, s, 1, "a")

	inRead, release := make(chan struct{}), make(chan struct{})
	readDone := make(chan error, 1)
	go func() {
		readDone <- s.EachSample(Filter{}, func(Sample) error {
			close(inRead)
			<-release
			return nil
		})
	}()
	<-inRead
	// 3 MiB of new samples: the file grows, but stays inside the map, so no remap is needed.
	writeDone := make(chan error, 1)
	go func() {
		for i := uint64(0); i < 24; i++ {
			if _, err := s.AddSample(NewSample{Image: testJPEG(t, 100+i, 512, 256), Label: "a"}); err != nil {
				writeDone <- err
				return
			}
		}
		writeDone <- nil
	}()
	select {
	case err := <-writeDone:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a deadlock guard, not a timing assertion
		close(release)
		t.Fatal("writer blocked by an open read transaction")
	}
	close(release)
	if err := <-readDone; err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(); n != 25 {
		t.Fatalf("count %d, want 25", n)
	}
	mustVerify(t, s)
}

// TestLockedByAnotherProcess runs a second process that holds the store, then opens it here.
func TestLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	s := openAt(t, path, nil)
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldStore$")
	cmd.Env = append(os.Environ(), "OCELLUS_STORE_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); errors.Is(err, syscall.ENOEXEC) {
		// A cross-compiled test binary run by qemu-user cannot exec itself without binfmt_misc;
		// TestLockedSameProcess covers the lock there.
		t.Skipf("cannot re-run the test binary as a second process (%v); skipping", err)
	} else if err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "holding") {
		t.Fatalf("helper said %q, %v", line, err)
	}

	_, err = Open(path, &Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "locked by another process") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a held store: %v; want ErrLocked naming the file", err)
	}
	_, err = Open(path, &Options{Timeout: 200 * time.Millisecond, ReadOnly: true})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only Open of a store held read-write: %v; want ErrLocked", err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	s = openAt(t, path, &Options{Timeout: 5 * time.Second})
	mustVerify(t, s)
}

// TestLockedSameProcess: a second Open of a store that is open fails after the timeout (bbolt's
// flock is per open file, so this holds within one process too).
func TestLockedSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	s := openAt(t, path, nil)
	_, err := Open(path, &Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "store is locked by another process") {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	s.Close()
	s = openAt(t, path, &Options{Timeout: 100 * time.Millisecond})
	mustVerify(t, s)
}

// TestHelperHoldStore is the other process of TestLockedByAnotherProcess: it opens the store named
// by OCELLUS_STORE_HOLD, says so, and keeps it open until its stdin closes.
func TestHelperHoldStore(t *testing.T) {
	path := os.Getenv("OCELLUS_STORE_HOLD")
	if path == "" {
		t.Skip("helper process for TestLockedByAnotherProcess")
	}
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding", path)
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	s.Close()
}

func TestNotAStore(t *testing.T) {
	dir := t.TempDir()
	// A JPEG given as the store: refused, and left as it was.
	jpg := filepath.Join(dir, "photo.jpg")
	data := testJPEG(t, 3, 64, 64)
	if err := os.WriteFile(jpg, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(jpg, nil); !errors.Is(err, ErrNotStore) {
		t.Fatalf("Open(JPEG): %v, want ErrNotStore", err)
	}
	if got, _ := os.ReadFile(jpg); !bytes.Equal(got, data) {
		t.Fatal("Open changed the JPEG it refused")
	}
	// A bbolt file of some other program.
	other := filepath.Join(dir, "other.db")
	db, err := bolt.Open(other, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("users")); return err }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(other, nil); !errors.Is(err, ErrNotStore) || !strings.Contains(err.Error(), "without the store's buckets") {
		t.Fatalf("Open(foreign bbolt): %v, want ErrNotStore", err)
	}
	// Read-only open of a missing file: not created.
	missing := filepath.Join(dir, "missing.db")
	if _, err := Open(missing, &Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("read-only Open(missing): %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("read-only Open created the file")
	}
}

// setSchema rewrites a closed store's schema version with bbolt directly.
func setSchema(t *testing.T, path string, v uint64) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(bMeta)).Put([]byte(kSchema), idKey(v)) }); err != nil {
		t.Fatal(err)
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s := openAt(t, path, nil)
	mustAddLabels(t, s, "ants")
	s.Close()
	setSchema(t, path, SchemaVersion+98)
	for _, ro := range []bool{false, true} {
		_, err := Open(path, &Options{ReadOnly: ro})
		if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), fmt.Sprint(SchemaVersion+98)) {
			t.Fatalf("ReadOnly=%v: Open of schema %d: %v, want ErrSchemaTooNew naming the version", ro, SchemaVersion+98, err)
		}
	}
	// Refusing did not change the file.
	setSchema(t, path, SchemaVersion)
	s = openAt(t, path, nil)
	if l, err := s.Labels(); err != nil || len(l) != 1 {
		t.Fatalf("labels after refusal: %v %v", l, err)
	}
}

// writeV0 writes the prototype layout: samples (JSON without digest, size or counts; one without a
// split) and images, no meta bucket.
func writeV0(t *testing.T, path string, imgs map[uint64][]byte, recs map[uint64]string) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		sb, _ := tx.CreateBucket([]byte("samples"))
		ib, _ := tx.CreateBucket([]byte("images"))
		for id, rec := range recs {
			if err := sb.Put(idKey(id), []byte(rec)); err != nil {
				return err
			}
			if err := ib.Put(idKey(id), imgs[id]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateV0(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v0.db")
	imgs := map[uint64][]byte{3: testJPEG(t, 3, 20, 10), 7: testJPEG(t, 7, 30, 12), 9: testJPEG(t, 9, 8, 8)}
	writeV0(t, path, imgs, map[uint64]string{
		3: `{"label":"ants","split":"train","source":"proto","captured":"2025-01-02T03:04:05Z","meta":{"k":"v"}}`,
		7: `{"label":"bees","split":"val","prediction":"bees","confidence":0.75}`,
		9: `{"label":"ants"}`,
	})
	// Read-only cannot migrate.
	if _, err := Open(path, &Options{ReadOnly: true}); !errors.Is(err, ErrNeedsMigration) {
		t.Fatalf("read-only Open of v0: %v, want ErrNeedsMigration", err)
	}
	s := openAt(t, path, nil)
	mustVerify(t, s)
	labels, err := s.Labels()
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 2 || labels[0].Name != "ants" || labels[0].Counts.Total() != 2 || labels[1].Counts != (SplitCounts{Val: 1}) {
		t.Fatalf("labels after migration: %+v", labels)
	}
	a, err := s.Sample(3)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != "proto" || a.Meta["k"] != "v" || a.Width != 20 || a.Height != 10 || a.Size != int64(len(imgs[3])) || a.Split != Train {
		t.Fatalf("migrated sample 3: %+v", a)
	}
	if c, _ := s.Sample(9); c.Split == SplitUnset {
		t.Fatal("v0 sample without a split got none")
	}
	// The digest index works: the same image is a duplicate; new ids continue after the v0 ones.
	if _, err := s.AddSample(NewSample{Image: imgs[7], Label: "bees"}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("re-adding a v0 image: %v, want ErrDuplicate", err)
	}
	if n := mustAdd(t, s, 10, "bees"); n.ID != 10 {
		t.Fatalf("first new id %d, want 10", n.ID)
	}
	s.Close()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if v, _ := schemaVersion(tx, path); v != SchemaVersion {
			t.Errorf("schema after migration: %d", v)
		}
		return nil
	})
}

// TestMigrateV0Invalid: a v0 database whose sample cannot be migrated is refused, unchanged.
func TestMigrateV0Invalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v0bad.db")
	writeV0(t, path, map[uint64][]byte{1: []byte("not a jpeg")}, map[uint64]string{1: `{"label":"ants"}`})
	if _, err := Open(path, nil); !errors.Is(err, ErrInvalidImage) || !strings.Contains(err.Error(), "migration 0→1") {
		t.Fatalf("Open: %v, want a migration error wrapping ErrInvalidImage", err)
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bMeta)) != nil || tx.Bucket([]byte(bLabels)) != nil {
			t.Error("a failed migration left buckets behind")
		}
		return nil
	})
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	s := openAt(t, path, nil)
	mustAddLabels(t, s, "ants")
	smp := mustAdd(t, s, 1, "ants")
	s.Close()
	r := openAt(t, path, &Options{ReadOnly: true})
	r2 := openAt(t, path, &Options{ReadOnly: true}) // shared lock: readers coexist
	if _, err := r2.Sample(smp.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.AddLabel("bees"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("AddLabel read-only: %v, want ErrReadOnly", err)
	}
	if _, err := r.AddSample(NewSample{Image: testJPEG(t, 2, 8, 8), Label: "ants"}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("AddSample read-only: %v, want ErrReadOnly", err)
	}
	mustVerify(t, r)
}

func TestSampleJSON(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true, Now: fixedClock()})
	mustAddLabels(t, s, "ants")
	smp := mustAdd(t, s, 1, "ants")
	b, err := json.Marshal(smp)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id":1`, `"label":"ants"`, `"split":"train"`, `"added":"2026-11-29T12:00:0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
}
