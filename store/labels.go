package store

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// MaxLabelLen is the longest label name, in bytes.
const MaxLabelLen = 128

// Label is one class of the label set, with how many samples carry it in each split.
type Label struct {
	Name    string      `json:"name"`
	Created time.Time   `json:"created"`
	Counts  SplitCounts `json:"counts"`
}

// labelRec is the stored value of a label (the name is the key).
type labelRec struct {
	Created time.Time   `json:"created"`
	Counts  SplitCounts `json:"counts"`
}

// ValidateLabel checks a label name. Names become folder names on export, so besides being
// non-empty, UTF-8 and at most MaxLabelLen bytes, a name has no control characters, no '/' or '\',
// no leading or trailing space, and is not "." or "..".
func ValidateLabel(name string) error { return validName("label", name, ErrInvalidLabel) }

// validName checks a name that may become a file or folder name (labels, run artifacts).
func validName(kind, name string, sentinel error) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s name", sentinel, kind)
	case len(name) > MaxLabelLen:
		return fmt.Errorf("%w: %s %.20q… is %d bytes long (at most %d)", sentinel, kind, name, len(name), MaxLabelLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %s %q is not valid UTF-8", sentinel, kind, name)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %s %q is not allowed (it would name a folder on export)", sentinel, kind, name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: %s %q has leading or trailing space", sentinel, kind, name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%w: %s %q contains a path separator", sentinel, kind, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s %q contains a control character", sentinel, kind, name)
	}
	return nil
}

// getLabel reads a label's record; ErrUnknownLabel if it is not in the set.
func getLabel(b *bolt.Bucket, name string) (labelRec, error) {
	var r labelRec
	if err := getJSON(b, []byte(name), &r); err != nil {
		if errors.Is(err, ErrNotFound) {
			return r, fmt.Errorf("%w: %q", ErrUnknownLabel, name)
		}
		return r, err
	}
	return r, nil
}

// Labels returns the label set sorted by name (byte order), with per-split sample counts.
func (s *Store) Labels() ([]Label, error) {
	var out []Label
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bLabels)).ForEach(func(k, v []byte) error {
			var r labelRec
			if err := decodeJSON(k, v, &r); err != nil {
				return err
			}
			out = append(out, Label{Name: string(k), Created: r.Created, Counts: r.Counts})
			return nil
		})
	})
	return out, err
}

// Label returns one label; ErrUnknownLabel if it is not in the set.
func (s *Store) Label(name string) (Label, error) {
	var l Label
	err := s.view(func(tx *bolt.Tx) error {
		r, err := getLabel(tx.Bucket([]byte(bLabels)), name)
		l = Label{Name: name, Created: r.Created, Counts: r.Counts}
		return err
	})
	return l, err
}

// AddLabel adds a label to the set: ErrInvalidLabel for a bad name, ErrLabelExists if it is there.
func (s *Store) AddLabel(name string) error {
	if err := ValidateLabel(name); err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bLabels))
		if b.Get([]byte(name)) != nil {
			return fmt.Errorf("%w: %q", ErrLabelExists, name)
		}
		return putJSON(b, []byte(name), labelRec{Created: s.now()})
	})
}

// RenameLabel renames a label and relabels its samples, in one transaction. Splits, ids and
// cached features are unchanged. ErrUnknownLabel if from is not in the set, ErrLabelExists if to
// is, ErrInvalidLabel if to is not a valid name.
func (s *Store) RenameLabel(from, to string) error {
	if err := ValidateLabel(to); err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		labels := tx.Bucket([]byte(bLabels))
		r, err := getLabel(labels, from)
		if err != nil {
			return err
		}
		if from == to {
			return nil
		}
		if labels.Get([]byte(to)) != nil {
			return fmt.Errorf("%w: cannot rename %q to %q", ErrLabelExists, from, to)
		}
		if err := labels.Delete([]byte(from)); err != nil {
			return err
		}
		if err := putJSON(labels, []byte(to), r); err != nil {
			return err
		}
		if r.Counts.Total() == 0 {
			return nil
		}
		samples := tx.Bucket([]byte(bSamples))
		var recs []Sample
		err = samples.ForEach(func(k, v []byte) error {
			rec, err := decodeSample(k, v)
			if err != nil {
				return err
			}
			if rec.Label == from {
				rec.Label = to
				recs = append(recs, rec)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if err := putJSON(samples, idKey(uint64(rec.ID)), rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteLabel removes a label from the set. It fails with ErrLabelInUse, saying how many samples
// of each split carry it, unless no sample does; ErrUnknownLabel if it is not in the set.
func (s *Store) DeleteLabel(name string) error {
	return s.update(func(tx *bolt.Tx) error {
		labels := tx.Bucket([]byte(bLabels))
		r, err := getLabel(labels, name)
		if err != nil {
			return err
		}
		if n := r.Counts.Total(); n > 0 {
			return fmt.Errorf("%w: label %q is used by %d sample(s) (train %d, val %d, test %d); relabel or remove them first",
				ErrLabelInUse, name, n, r.Counts.Train, r.Counts.Val, r.Counts.Test)
		}
		return labels.Delete([]byte(name))
	})
}
