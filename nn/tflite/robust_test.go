package tflite

import (
	"os"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
)

// checkImport imports b: an error is fine, a panic is not, and an imported
// graph must validate.
func checkImport(t *testing.T, b []byte) error {
	t.Helper()
	m, err := Import(b)
	if err == nil {
		if verr := m.Graph.Validate(); verr != nil {
			t.Fatalf("imported graph does not validate: %v", verr)
		}
	}
	return err
}

// TestImportCorruptNoPanic: truncated and corrupted models — a float model
// with most operators and the shared int8 person detector — give errors
// or valid graphs, never a panic. The seed is printed; TFLITE_SEED=N
// replays or varies it.
func TestImportCorruptNoPanic(t *testing.T) {
	small := tflitetest.FloatOps()
	if err := checkImport(t, small); err != nil {
		t.Fatalf("the uncorrupted model: %v", err)
	}
	person, err := os.ReadFile(fixture.Path(t, "models", "tflite", "person_detect.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	refused, tried := tflitetest.Corrupt(t, "TFLITE_SEED", small, person, func(b []byte) error { return checkImport(t, b) })
	t.Logf("%d of %d corrupted models refused", refused, tried)
}

// FuzzImport: Import returns an error or a valid graph for any bytes.
//
//	go test -run '^$' -fuzz FuzzImport -fuzztime 3m -fuzzminimizetime 2s ./nn/tflite
func FuzzImport(f *testing.F) {
	small := tflitetest.FloatOps()
	f.Add(small)
	f.Add(small[:len(small)/2])
	if b, err := os.ReadFile(fixture.Dir() + "/models/tflite/person_detect.tflite"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkImport(t, b)
	})
}
