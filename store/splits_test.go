package store

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAssignSplitWithinOne is a property test: for random ratios (including zero shares) and many
// labels added in random order, every label's count in every split stays within one of its share
// after every automatic assignment. The seed is printed for replay.
func TestAssignSplitWithinOne(t *testing.T) {
	// A fixed seed keeps CI reproducible; OCELLUS_SPLIT_SEED=0 explores new cases.
	seed := uint64(1)
	if v := os.Getenv("OCELLUS_SPLIT_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
	}
	t.Logf("seed %d (replay with OCELLUS_SPLIT_SEED=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for trial := 0; trial < 200; trial++ {
		ratio := SplitRatio{Train: r.Float64(), Val: r.Float64(), Test: r.Float64()}
		switch trial % 4 {
		case 0:
			ratio = DefaultSplitRatio()
		case 1:
			ratio.Test = 0
		}
		rn := ratio.normalized()
		counts := map[string]*SplitCounts{}
		for id := uint64(1); id <= 300; id++ {
			label := fmt.Sprint("L", r.IntN(4))
			c := counts[label]
			if c == nil {
				c = &SplitCounts{}
				counts[label] = c
			}
			sp := assignSplit(rn, *c, label, id)
			if sp < Train || sp > Test || rn[sp] == 0 {
				t.Fatalf("seed %d trial %d: split %v with ratio %+v", seed, trial, sp, ratio)
			}
			c.add(sp, 1)
			n := float64(c.Total())
			for _, s := range Splits() {
				if d := rn[s]*n - float64(c.Get(s)); math.Abs(d) >= 1 {
					t.Fatalf("seed %d trial %d: label %s after %d samples: %s count %d, share %.3f (ratio %+v)",
						seed, trial, label, c.Total(), s, c.Get(s), rn[s]*n, ratio)
				}
			}
		}
	}
}

// TestSplitsThroughStore: 70/15/15 per label in a real store, a val and a test sample as soon as a
// label has five, the same splits in a second store fed the same sequence, and splits that never
// change (reopen, delete, relabel, rename).
func TestSplitsThroughStore(t *testing.T) {
	dir := t.TempDir()
	add := func(path string) (*Store, []Sample) {
		s := openAt(t, path, nil)
		mustAddLabels(t, s, "ants", "bees", "wasps")
		var all []Sample
		for i := uint64(1); i <= 200; i++ {
			label := []string{"ants", "bees", "bees", "wasps"}[i%4]
			smp := mustAdd(t, s, i, label)
			all = append(all, smp)
			if l, _ := s.Label(label); l.Counts.Total() == 5 && (l.Counts.Val == 0 || l.Counts.Test == 0) {
				t.Fatalf("label %s has 5 samples split %+v", label, l.Counts)
			}
		}
		return s, all
	}
	s, first := add(filepath.Join(dir, "a.db"))
	s2, second := add(filepath.Join(dir, "b.db"))
	s2.Close()
	for i := range first {
		if first[i].Split != second[i].Split {
			t.Fatalf("sample %d: split %v in one store, %v in the other", first[i].ID, first[i].Split, second[i].Split)
		}
	}
	labels, _ := s.Labels()
	for _, l := range labels {
		n := float64(l.Counts.Total())
		for _, sp := range Splits() {
			share := DefaultSplitRatio().normalized()[sp] * n
			if math.Abs(float64(l.Counts.Get(sp))-share) >= 1 {
				t.Errorf("label %s: %s %d, share %.2f", l.Name, sp, l.Counts.Get(sp), share)
			}
		}
	}
	// Unbalance: delete every val sample of bees, relabel, rename, reopen. Existing splits stay.
	var valBees []SampleID
	for _, smp := range first {
		if smp.Label == "bees" && smp.Split == Val {
			valBees = append(valBees, smp.ID)
		}
	}
	if err := s.DeleteSamples(valBees...); err != nil {
		t.Fatal(err)
	}
	if err := s.Relabel(first[0].ID, "ants"); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameLabel("wasps", "hornets"); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	s.Close()
	s = openAt(t, path, nil)
	deleted := map[SampleID]bool{}
	for _, id := range valBees {
		deleted[id] = true
	}
	for _, want := range first {
		if deleted[want.ID] {
			continue
		}
		got, err := s.Sample(want.ID)
		if err != nil || got.Split != want.Split {
			t.Fatalf("sample %d: split %v (%v), was %v", want.ID, got.Split, err, want.Split)
		}
	}
	// New bees go to val first, where the deficit is.
	for i := uint64(0); i < 3; i++ {
		if smp := mustAdd(t, s, 1000+i, "bees"); smp.Split != Val {
			t.Fatalf("new bees sample %d after deleting the val ones went to %v", i, smp.Split)
		}
	}
	mustVerify(t, s)
}

func TestExplicitSplitAndRatio(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true, Split: SplitRatio{Train: 1, Val: 1}}) // 50/50/0
	mustAddLabels(t, s, "a")
	smp, err := s.AddSample(NewSample{Image: testJPEG(t, 1, 8, 8), Label: "a", Split: Test})
	if err != nil || smp.Split != Test {
		t.Fatalf("explicit test split: %v %v", smp.Split, err)
	}
	for i := uint64(2); i <= 11; i++ {
		if smp := mustAdd(t, s, i, "a"); smp.Split == Test {
			t.Fatal("automatic assignment chose test with a zero test share")
		}
	}
	if l, _ := s.Label("a"); l.Counts != (SplitCounts{Train: 5, Val: 5, Test: 1}) {
		t.Fatalf("counts %+v", l.Counts)
	}
}

func TestParseSplit(t *testing.T) {
	for in, want := range map[string]Split{"train": Train, "VAL": Val, "validation": Val, "test": Test, "": SplitUnset, "auto": SplitUnset} {
		if got, err := ParseSplit(in); err != nil || got != want {
			t.Errorf("ParseSplit(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSplit("dev"); !errors.Is(err, ErrInvalidSample) {
		t.Errorf("ParseSplit(dev): %v", err)
	}
	var sp Split
	if err := sp.UnmarshalText([]byte("val")); err != nil || sp != Val {
		t.Errorf("UnmarshalText: %v %v", sp, err)
	}
	if _, err := Split(7).MarshalText(); err == nil {
		t.Error("MarshalText(7) succeeded")
	}
}

func TestCheckTrainable(t *testing.T) {
	s := openTemp(t, nil)
	// Empty store: too few classes.
	if err := s.CheckTrainable(nil); !errors.Is(err, ErrTooFewClasses) || !strings.Contains(err.Error(), "0 label(s)") {
		t.Fatalf("empty store: %v", err)
	}
	mustAddLabels(t, s, "ants")
	for i := uint64(1); i <= 5; i++ {
		mustAdd(t, s, i, "ants")
	}
	// One class.
	err := s.CheckTrainable(nil)
	if !errors.Is(err, ErrTooFewClasses) || errors.Is(err, ErrTooFewSamples) || !strings.Contains(err.Error(), `1 label(s) ["ants"], training needs ≥ 2`) {
		t.Fatalf("one class: %v", err)
	}
	// A second class with too few samples: two samples are both train, no val.
	mustAddLabels(t, s, "bees")
	mustAdd(t, s, 10, "bees")
	mustAdd(t, s, 11, "bees")
	err = s.CheckTrainable(nil)
	if errors.Is(err, ErrTooFewClasses) || !errors.Is(err, ErrTooFewSamples) || !strings.Contains(err.Error(), `label "bees": 0 val samples, need ≥ 1`) {
		t.Fatalf("bees without val: %v", err)
	}
	// A label without any sample is a class without data.
	mustAddLabels(t, s, "wasps")
	err = s.CheckTrainable(nil)
	if !strings.Contains(err.Error(), `label "wasps": 0 train samples`) || !strings.Contains(err.Error(), `label "bees": 0 val`) {
		t.Fatalf("wasps: %v", err)
	}
	if err := s.DeleteLabel("wasps"); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, 12, "bees") // the third sample goes to val or test …
	mustAdd(t, s, 13, "bees")
	mustAdd(t, s, 14, "bees") // … and with five, both have one
	if err := s.CheckTrainable(nil); err != nil {
		t.Fatalf("two classes of five: %v", err)
	}
	// Stricter requirements.
	err = s.CheckTrainable(&Requirements{MinClasses: 3, MinPerLabel: SplitCounts{Train: 4, Val: 1, Test: 1}})
	if !errors.Is(err, ErrTooFewClasses) || !errors.Is(err, ErrTooFewSamples) || !strings.Contains(err.Error(), "3 train samples, need ≥ 4") {
		t.Fatalf("strict: %v", err)
	}
}
