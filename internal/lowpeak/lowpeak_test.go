package lowpeak

import (
	"path/filepath"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
)

// TestLoadRestoresGCPercent: Load lowers GOGC only while it loads; the
// caller's setting (default, custom, lower or off) is back afterwards, also
// when the load fails.
func TestLoadRestoresGCPercent(t *testing.T) {
	model := fixture.Path(t, "models", "onnx", "mnist-8.onnx")
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	var l Loader
	for _, gc := range []int{100, 250, GCPercent / 2, -1} {
		for _, path := range []string{model, filepath.Join(t.TempDir(), "missing.onnx")} {
			debug.SetGCPercent(gc)
			m, err := l.Load(path, nil)
			if got := debug.SetGCPercent(100); got != gc {
				t.Errorf("GOGC %d, load of %s: %d afterwards", gc, filepath.Base(path), got)
			}
			if (err == nil) != (path == model) || (m != nil) != (path == model) {
				t.Errorf("load of %s: model %v, error %v", filepath.Base(path), m != nil, err)
			}
		}
	}
}

// TestDoSerialises: concurrent loads through one Loader run one at a time
// at GCPercent and leave the caller's setting; a panicking load restores it
// too.
func TestDoSerialises(t *testing.T) {
	prev := debug.SetGCPercent(150)
	defer debug.SetGCPercent(prev)
	var l Loader
	var wg sync.WaitGroup
	var mu sync.Mutex
	running, overlaps, wrong := 0, 0, 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Do(func() {
				mu.Lock()
				running++
				if running > 1 {
					overlaps++
				}
				mu.Unlock()
				if got := debug.SetGCPercent(GCPercent); got != GCPercent {
					wrong++ // under l's lock: no race
				}
				mu.Lock()
				running--
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	if overlaps != 0 || wrong != 0 {
		t.Errorf("%d overlapping loads, %d loads not at GOGC %d", overlaps, wrong, GCPercent)
	}
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GOGC %d after the loads, want 150", got)
	}
	func() {
		defer func() { recover() }()
		l.Do(func() { panic("load failed") })
	}()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GOGC %d after a panicking load, want 150", got)
	}
}
