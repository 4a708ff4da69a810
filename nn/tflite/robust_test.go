package tflite

import (
	"fmt"
	"math/rand"
	"os"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
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
	seed := int64(1)
	if s := os.Getenv("TFLITE_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	small := tflitetest.FloatOps()
	if err := checkImport(t, small); err != nil {
		t.Fatalf("the uncorrupted model: %v", err)
	}
	person, err := os.ReadFile(fixture.Path(t, "models", "tflite", "person_detect.tflite"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(small); n += 7 {
		if err := checkImport(t, small[:n]); err == nil {
			t.Errorf("model truncated to %d of %d bytes: no error", n, len(small))
		}
	}
	errs, n := 0, 3000
	if testing.Short() {
		n = 500
	}
	for range n {
		if checkImport(t, fbtest.Mutate(rng, small)) != nil {
			errs++
		}
	}
	// The person detector's tables sit in its first and last 16 KiB.
	const edge = 16 << 10
	for range 100 {
		c := fbtest.Mutate(rng, person[:edge])
		c = append(c, person[edge:len(person)-edge]...)
		c = append(c, fbtest.Mutate(rng, person[len(person)-edge:])...)
		if checkImport(t, c) != nil {
			errs++
		}
	}
	t.Logf("%d of %d corrupted models refused", errs, n+100)
}

// FuzzImport: Import returns an error or a valid graph for any bytes.
//
//	go test -run '^$' -fuzz FuzzImport -fuzztime 3m ./nn/tflite
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
