package tflite

import (
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
)

func TestImportSharedModels(t *testing.T) {
	dir := fixture.Path(t, "models", "tflite")
	files, _ := filepath.Glob(filepath.Join(dir, "*.tflite"))
	if len(files) < 7 {
		t.Fatalf("found %d .tflite models in %s, want 7", len(files), dir)
	}
	for _, f := range files {
		m, err := ImportFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		t.Logf("%s: %d nodes, inputs %v, ops %v", filepath.Base(f), len(m.Graph.Nodes), m.Inputs[0].Shape, m.OpCounts)
	}
}
