package store

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// noiseJPEG is a JPEG of random pixels: it barely compresses (~30 KB at 128×128).
func noiseJPEG(t *testing.T, seed uint64) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 9))
	img := image.NewRGBA(image.Rect(0, 0, 128, 128))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// smallTmpfs mounts a 2 MiB tmpfs for the test, or skips: mounting needs root.
func smallTmpfs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("disk-full test: needs root to mount a 2 MiB tmpfs; skipping (run the tests as root to include it)")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("disk-full test: cannot mount a tmpfs on %s (%v); skipping", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestDiskFull fills a real, small file system: the commit that does not fit fails with
// ErrDiskFull, everything committed before is intact (also after reopening), and once space is
// freed the store works again.
func TestDiskFull(t *testing.T) {
	dir := smallTmpfs(t)
	filler := filepath.Join(dir, "filler")
	if err := os.WriteFile(filler, make([]byte, 256<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "full.db")
	s, err := Open(path, nil) // real fsync, default options
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAddLabels(t, s, "ants")
	stored := map[SampleID][]byte{}
	var full error
	for i := uint64(1); i < 500 && full == nil; i++ {
		img := noiseJPEG(t, i)
		smp, err := s.AddSample(NewSample{Image: img, Label: "ants"})
		switch {
		case err == nil:
			stored[smp.ID] = img
		case errors.Is(err, ErrDiskFull):
			full = err
		default:
			t.Fatalf("sample %d: %v", i, err)
		}
	}
	if full == nil {
		t.Fatal("500 samples of ~30 KB fit in a 2 MiB tmpfs?")
	}
	t.Logf("after %d samples: %v", len(stored), full)
	if !strings.Contains(full.Error(), "no space left on device") || !strings.Contains(full.Error(), "nothing from this change was stored") {
		t.Fatalf("unclear disk-full error: %v", full)
	}
	if len(stored) < 10 {
		t.Fatalf("only %d samples fitted", len(stored))
	}
	// Still full: a second attempt fails the same way — or, if the failed commit left enough free
	// pages for this smaller sample (seen on 32-bit ARM), succeeds and must then be kept like the
	// others. A backup onto the same disk fails and leaves no partial file behind.
	img2 := noiseJPEG(t, 1000)
	switch smp, err := s.AddSample(NewSample{Image: img2, Label: "ants"}); {
	case err == nil:
		stored[smp.ID] = img2
	case !errors.Is(err, ErrDiskFull):
		t.Fatalf("second add on a full disk: %v", err)
	}
	if _, err := s.BackupFile(filepath.Join(dir, "backup.db")); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("backup onto a full disk: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("%d files on the tmpfs, want the store and the filler", len(entries))
	}
	check := func(s *Store) {
		t.Helper()
		mustVerify(t, s)
		if n, _ := s.Count(); n != len(stored) {
			t.Fatalf("%d samples, %d were stored", n, len(stored))
		}
		for id, want := range stored {
			if got, err := s.Image(id); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("sample %d lost or changed: %v", id, err)
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, nil)
	if err != nil {
		t.Fatalf("reopen after disk full: %v", err)
	}
	defer s.Close()
	check(s)
	// Free space: the store works again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	img := noiseJPEG(t, 2000)
	smp, err := s.AddSample(NewSample{Image: img, Label: "ants"})
	if err != nil {
		t.Fatalf("add after freeing space: %v", err)
	}
	stored[smp.ID] = img
	check(s)
}

// TestMaxSize: Options.MaxSize gives the same clean failure without a small file system.
func TestMaxSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capped.db")
	s := openAt(t, path, &Options{MaxSize: 1 << 20})
	mustAddLabels(t, s, "ants")
	stored := 0
	var err error
	for i := uint64(1); i < 200; i++ {
		if _, err = s.AddSample(NewSample{Image: noiseJPEG(t, i), Label: "ants"}); err != nil {
			break
		}
		stored++
	}
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "maximum size") {
		t.Fatalf("after %d samples: %v, want ErrDiskFull (maximum size)", stored, err)
	}
	if n, _ := s.Count(); n != stored || stored == 0 {
		t.Fatalf("count %d, stored %d", n, stored)
	}
	mustVerify(t, s)
}
