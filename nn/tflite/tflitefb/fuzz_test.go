package tflitefb

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
)

// FuzzDecode: Decode must return a model or an *Error wrapping ErrMalformed
// or ErrUnsupported for any input, never panic, and a decoded model must be
// safe to use with the package's helpers (see checkDecode).
//
// Seeds: the tiny model, some of its truncations and corruptions, and, when
// the shared assets are present, the smallest shared model.
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 3m ./nn/tflite/tflitefb
func FuzzDecode(f *testing.F) {
	tiny, w := newTiny().bytes()
	f.Add(tiny)
	for _, n := range []int{0, 4, 8, 16, len(tiny) / 3, len(tiny) / 2, len(tiny) - 1} {
		f.Add(tiny[:n])
	}
	for _, tb := range w.TPos {
		b := append([]byte(nil), tiny...)
		binary.LittleEndian.PutUint32(b[tb:], 0xfffffff0)
		f.Add(b)
	}
	// Small models of other shapes: minimal, external buffer, unsupported options.
	f.Add(must(fbtest.Build(fbtest.Tbl().U32(0, 3).Tbls(2, fbtest.Tbl()), Identifier)))
	tm := newTiny()
	tm.root.Tbls(4, fbtest.Tbl(), fbtest.Tbl().U64(1, 4).U64(2, 4), fbtest.Tbl(), fbtest.Tbl())
	f.Add(must(tm.bytes()))

	if smallest := smallestShared(); smallest != "" {
		if b, err := os.ReadFile(smallest); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDecode(t, b)
	})
}

// smallestShared returns the path of the smallest shared .tflite model, or "".
func smallestShared() string {
	paths, _ := filepath.Glob(filepath.Join(fixture.Dir(), "models", "tflite", "*.tflite"))
	best, size := "", int64(-1)
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && (size < 0 || st.Size() < size) {
			best, size = p, st.Size()
		}
	}
	return best
}
