package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// blockingWriter holds the backup's first write until release is closed.
type blockingWriter struct {
	started chan struct{}
	release chan struct{}
	buf     bytes.Buffer
	first   bool
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	if !w.first {
		w.first = true
		close(w.started)
		<-w.release
	}
	return w.buf.Write(p)
}

// TestBackupHot: a sample is added and committed while a backup is in the middle of writing; the
// backup is the consistent state at its start, and a valid store.
func TestBackupHot(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "ants")
	for i := uint64(1); i <= 10; i++ {
		mustAdd(t, s, i, "ants")
	}
	w := &blockingWriter{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := s.Backup(w)
		done <- err
	}()
	<-w.started
	added := make(chan error, 1)
	go func() {
		_, err := s.AddSample(NewSample{Image: testJPEG(t, 99, 24, 16), Label: "ants"})
		added <- err
	}()
	select {
	case err := <-added:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a deadlock guard, not a timing assertion
		close(w.release)
		t.Fatal("a writer was blocked by a running backup")
	}
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, w.buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b := openAt(t, path, nil)
	mustVerify(t, b)
	if n, _ := b.Count(); n != 10 {
		t.Fatalf("backup holds %d samples, want the 10 present when it started", n)
	}
	if n, _ := s.Count(); n != 11 {
		t.Fatalf("store holds %d samples, want 11", n)
	}
}

// TestBackupFileWhileWriting takes file backups while another goroutine keeps adding samples.
func TestBackupFileWhileWriting(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "ants")
	stop := make(chan struct{})
	werr := make(chan error, 1)
	go func() {
		for i := uint64(1000); ; i++ {
			select {
			case <-stop:
				werr <- nil
				return
			default:
			}
			if _, err := s.AddSample(NewSample{Image: testJPEG(t, i, 64, 48), Label: "ants"}); err != nil {
				werr <- err
				return
			}
		}
	}()
	dir := t.TempDir()
	target := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(target, []byte("old backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	last := -1
	for round := 0; round < 5; round++ {
		before, _ := s.Count()
		n, err := s.BackupFile(target)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := s.Count()
		if fi, _ := os.Stat(target); fi.Size() != n {
			t.Fatalf("BackupFile reported %d bytes, file has %d", n, fi.Size())
		}
		b, err := Open(target, &Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: opening the backup: %v", round, err)
		}
		if err := b.Verify(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got, _ := b.Count()
		b.Close()
		if got < before || got > after || got < last {
			t.Fatalf("round %d: backup has %d samples; store had %d before, %d after", round, got, before, after)
		}
		last = got
	}
	close(stop)
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("backup folder holds %d entries (temporary files left?)", len(entries))
	}
}

func TestBackupFileErrors(t *testing.T) {
	s := openTemp(t, nil)
	if _, err := s.BackupFile(s.Path()); err == nil || !strings.Contains(err.Error(), "is the store itself") {
		t.Fatalf("backup onto itself: %v", err)
	}
	if _, err := s.BackupFile(filepath.Join(t.TempDir(), "no", "such", "dir", "b.db")); err == nil {
		t.Fatal("backup into a missing folder succeeded")
	}
	s.Close()
	if _, err := s.Backup(&bytes.Buffer{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("backup of a closed store: %v", err)
	}
	// The store file is intact after all that.
	s = openAt(t, s.Path(), nil)
	mustVerify(t, s)
}
