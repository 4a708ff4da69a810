package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
)

// Split is the dataset partition a sample belongs to. A stored sample is always in Train, Val or
// Test, and stays there: no method moves it. SplitUnset in NewSample asks for automatic
// assignment; in Filter it matches every split.
type Split uint8

const (
	SplitUnset Split = iota
	Train
	Val
	Test
	numSplits
)

// Splits lists the three splits in order.
func Splits() []Split { return []Split{Train, Val, Test} }

func (s Split) String() string {
	switch s {
	case SplitUnset:
		return ""
	case Train:
		return "train"
	case Val:
		return "val"
	case Test:
		return "test"
	}
	return fmt.Sprintf("Split(%d)", uint8(s))
}

// ParseSplit parses "train", "val" (or "validation") and "test"; "" and "auto" give SplitUnset.
func ParseSplit(name string) (Split, error) {
	switch strings.ToLower(name) {
	case "", "auto":
		return SplitUnset, nil
	case "train":
		return Train, nil
	case "val", "validation":
		return Val, nil
	case "test":
		return Test, nil
	}
	return SplitUnset, fmt.Errorf("%w: split %q (want train, val or test)", ErrInvalidSample, name)
}

// MarshalText writes the split's name.
func (s Split) MarshalText() ([]byte, error) {
	if s >= numSplits {
		return nil, fmt.Errorf("%w: split %d", ErrInvalidSample, uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText parses a name as ParseSplit does.
func (s *Split) UnmarshalText(b []byte) error {
	v, err := ParseSplit(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// SplitCounts counts samples per split.
type SplitCounts struct {
	Train int `json:"train"`
	Val   int `json:"val"`
	Test  int `json:"test"`
}

// Total is Train + Val + Test.
func (c SplitCounts) Total() int { return c.Train + c.Val + c.Test }

// Get returns the count of split s (0 for SplitUnset).
func (c SplitCounts) Get(s Split) int {
	switch s {
	case Train:
		return c.Train
	case Val:
		return c.Val
	case Test:
		return c.Test
	}
	return 0
}

// add adds d to split s's count.
func (c *SplitCounts) add(s Split, d int) {
	switch s {
	case Train:
		c.Train += d
	case Val:
		c.Val += d
	case Test:
		c.Test += d
	}
}

// assignSplit chooses the split of a new sample of a label whose samples are already split as c:
// the split furthest below its share once the sample is counted (largest ratio·(n+1) − count),
// ties broken by splitHash(label, id). See the package documentation.
func assignSplit(ratio [numSplits]float64, c SplitCounts, label string, id uint64) Split {
	n := float64(c.Total() + 1)
	const eps = 1e-9
	best, bestD := SplitUnset, 0.0
	var tied []Split
	for _, s := range [...]Split{Train, Val, Test} {
		if ratio[s] == 0 {
			continue
		}
		d := ratio[s]*n - float64(c.Get(s))
		switch {
		case best == SplitUnset || d > bestD+eps:
			best, bestD, tied = s, d, append(tied[:0], s)
		case d >= bestD-eps:
			tied = append(tied, s)
		}
	}
	if len(tied) > 1 {
		best = tied[splitHash(label, id)%uint64(len(tied))]
	}
	return best
}

// splitHash is FNV-1a over the label, a zero byte and the sample id (8 bytes, big-endian).
func splitHash(label string, id uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(label))
	var b [9]byte
	binary.BigEndian.PutUint64(b[1:], id)
	h.Write(b[:])
	return h.Sum64()
}

// Requirements says what a training run needs from the store. CheckTrainable takes them.
type Requirements struct {
	// MinClasses is the least number of labels (classes).
	MinClasses int
	// MinPerLabel is the least number of samples every label needs in each split.
	MinPerLabel SplitCounts
}

// DefaultRequirements: at least two classes, and for every label one training and one validation
// sample (validation drives early stopping and the best checkpoint). The test split may be empty.
func DefaultRequirements() Requirements {
	return Requirements{MinClasses: 2, MinPerLabel: SplitCounts{Train: 1, Val: 1}}
}

// CheckTrainable reports whether the store's samples can train a classifier: every label in the
// label set is a class, so a label without enough samples is reported too. A nil req means
// DefaultRequirements. The error wraps ErrTooFewClasses and/or ErrTooFewSamples and lists every
// shortfall, e.g. `label "bees": 0 val samples, need ≥ 1`.
func (s *Store) CheckTrainable(req *Requirements) error {
	r := DefaultRequirements()
	if req != nil {
		r = *req
	}
	labels, err := s.Labels()
	if err != nil {
		return err
	}
	var errs []error
	if len(labels) < r.MinClasses {
		names := make([]string, len(labels))
		for i, l := range labels {
			names[i] = fmt.Sprintf("%q", l.Name)
		}
		errs = append(errs, fmt.Errorf("%w: the store has %d label(s) [%s], training needs ≥ %d", ErrTooFewClasses, len(labels), strings.Join(names, " "), r.MinClasses))
	}
	for _, l := range labels {
		for _, sp := range Splits() {
			if have, need := l.Counts.Get(sp), r.MinPerLabel.Get(sp); have < need {
				errs = append(errs, fmt.Errorf("%w: label %q: %d %s samples, need ≥ %d", ErrTooFewSamples, l.Name, have, sp, need))
			}
		}
	}
	return errors.Join(errs...)
}
