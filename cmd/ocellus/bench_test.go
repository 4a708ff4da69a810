package main

import (
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
)

// TestLoadLeanRestoresGCPercent: loadLean lowers GOGC only while it loads;
// the caller's setting (default, custom, lower or off) is back afterwards,
// also when the load fails.
func TestLoadLeanRestoresGCPercent(t *testing.T) {
	model := fixture.Path(t, "models", "onnx", "mnist-8.onnx")
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	for _, gc := range []int{100, 250, loadGCPercent / 2, -1} {
		for _, path := range []string{model, filepath.Join(t.TempDir(), "missing.onnx")} {
			debug.SetGCPercent(gc)
			m, err := loadLean(path, nil)
			if got := debug.SetGCPercent(100); got != gc {
				t.Errorf("GOGC %d, load of %s: %d afterwards", gc, filepath.Base(path), got)
			}
			if (err == nil) != (path == model) || (m != nil) != (path == model) {
				t.Errorf("load of %s: model %v, error %v", filepath.Base(path), m != nil, err)
			}
		}
	}
}
