package store

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestFeatures(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "a")
	var ids []SampleID
	for i := uint64(1); i <= 4; i++ {
		ids = append(ids, mustAdd(t, s, i, "a").ID)
	}
	const bb = "sha256:0123456789abcdef"
	// Nothing cached yet: every row missing.
	m, err := s.Features(bb, ids)
	if err != nil || m.Dim != 0 || len(m.Missing) != 4 {
		t.Fatalf("empty cache: %+v %v", m, err)
	}
	vecs := [][]float32{{1, -2, 3.5}, {float32(math.Inf(1)), 0, -0}, {1e-38, 7, 8}}
	n, err := s.PutFeatures(bb, ids[:3], vecs)
	if err != nil || n != 3 {
		t.Fatalf("PutFeatures: %d %v", n, err)
	}
	m, err = s.Features(bb, []SampleID{ids[2], ids[3], ids[0], 999})
	if err != nil || m.Dim != 3 || len(m.Data) != 12 {
		t.Fatalf("Features: %+v %v", m, err)
	}
	if len(m.Missing) != 2 || m.Missing[0] != 1 || m.Missing[1] != 3 {
		t.Fatalf("missing %v, want [1 3]", m.Missing)
	}
	for j, want := range vecs[2] {
		if m.Row(0)[j] != want {
			t.Fatalf("row 0 = %v, want %v", m.Row(0), vecs[2])
		}
	}
	if m.Row(2)[1] != -2 || m.Row(1)[0] != 0 {
		t.Fatalf("rows %v", m.Data)
	}
	// Wrong length, mismatched lists, bad keys.
	if _, err := s.PutFeatures(bb, ids[3:], [][]float32{{1, 2}}); !errors.Is(err, ErrInvalidFeatures) || !strings.Contains(err.Error(), "caches 3-value vectors") {
		t.Fatalf("dim mismatch: %v", err)
	}
	if _, err := s.PutFeatures(bb, ids[:2], [][]float32{{1, 2, 3}}); !errors.Is(err, ErrInvalidFeatures) {
		t.Fatalf("count mismatch: %v", err)
	}
	if _, err := s.PutFeatures(bb, ids[:2], [][]float32{{1, 2, 3}, {1}}); !errors.Is(err, ErrInvalidFeatures) {
		t.Fatalf("ragged: %v", err)
	}
	if _, err := s.PutFeatures("", ids[:1], [][]float32{{1}}); !errors.Is(err, ErrInvalidFeatures) {
		t.Fatalf("empty backbone: %v", err)
	}
	// A deleted sample is skipped, not an error.
	if n, err := s.PutFeatures(bb, []SampleID{ids[3], 999}, [][]float32{{4, 4, 4}, {9, 9, 9}}); err != nil || n != 1 {
		t.Fatalf("PutFeatures with a deleted id: %d %v", n, err)
	}
	// Another backbone is separate.
	if _, err := s.PutFeatures("other", ids[:1], [][]float32{make([]float32, 1280)}); err != nil {
		t.Fatal(err)
	}
	sets, _ := s.FeatureSets()
	if len(sets) != 2 || sets[0].Backbone != "other" || sets[0].Dim != 1280 || sets[0].Count != 1 || sets[1].Count != 4 {
		t.Fatalf("sets %+v", sets)
	}
	mustVerify(t, s)
	if err := s.DropFeatures(bb); err != nil {
		t.Fatal(err)
	}
	if err := s.DropFeatures(bb); err != nil {
		t.Fatalf("drop twice: %v", err)
	}
	if m, _ := s.Features(bb, ids); len(m.Missing) != 4 {
		t.Fatalf("after drop: %+v", m)
	}
	mustVerify(t, s)
}
