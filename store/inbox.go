package store

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// InboxID identifies an inbox item. Ids are allocated in increasing order and never reused.
type InboxID uint64

func (id InboxID) String() string { return strconv.FormatUint(uint64(id), 10) }

// InboxItem is a frame kept for labelling later (the daemon keeps frames its model was unsure
// about); the image is read with InboxImage.
type InboxItem struct {
	ID         InboxID   `json:"id"`
	Camera     string    `json:"camera"`
	Captured   time.Time `json:"captured"`
	Prediction string    `json:"prediction,omitempty"`
	Confidence float32   `json:"confidence"`
	Model      ModelID   `json:"model,omitempty"`
	Size       int64     `json:"size"`
}

// NewInboxItem is an item to add: a JPEG image and what the model said about it.
type NewInboxItem struct {
	Image      []byte
	Camera     string
	Captured   time.Time // zero: now
	Prediction string
	Confidence float32
	Model      ModelID
}

// AddInbox stores an item and, when the inbox then holds more than max items (max > 0), removes
// the oldest ones in the same transaction; it returns the item and the ids removed. The image
// must be a JPEG of at most MaxImageBytes (it is checked by its header only: the caller encoded
// it).
func (s *Store) AddInbox(it NewInboxItem, max int) (InboxItem, []InboxID, error) {
	rec := InboxItem{Camera: it.Camera, Captured: it.Captured.UTC().Round(0), Prediction: it.Prediction,
		Confidence: it.Confidence, Model: it.Model, Size: int64(len(it.Image))}
	switch c := float64(it.Confidence); {
	case !bytes.HasPrefix(it.Image, []byte("\xff\xd8\xff")):
		return rec, nil, fmt.Errorf("%w: an inbox image must be a JPEG", ErrInvalidImage)
	case len(it.Image) > MaxImageBytes:
		return rec, nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrInvalidImage, len(it.Image), MaxImageBytes)
	case math.IsNaN(c) || c < 0 || c > 1:
		return rec, nil, fmt.Errorf("%w: confidence %v is outside [0, 1]", ErrInvalidSample, it.Confidence)
	}
	if err := validText("camera", it.Camera); err != nil {
		return rec, nil, err
	}
	if err := validText("prediction", it.Prediction); err != nil {
		return rec, nil, err
	}
	var removed []InboxID
	err := s.update(func(tx *bolt.Tx) error {
		items, images := tx.Bucket([]byte(bInbox)), tx.Bucket([]byte(bInboxImages))
		seq, err := items.NextSequence()
		if err != nil {
			return err
		}
		rec.ID = InboxID(seq)
		if rec.Captured.IsZero() {
			rec.Captured = s.now()
		}
		k := idKey(seq)
		if err := putJSON(items, k, rec); err != nil {
			return err
		}
		if err := images.Put(k, it.Image); err != nil {
			return err
		}
		if max <= 0 {
			return nil
		}
		over := countKeys(items) - max
		c := items.Cursor()
		var old [][]byte
		for k, _ := c.First(); k != nil && len(old) < over; k, _ = c.Next() {
			old = append(old, bytes.Clone(k))
		}
		for _, k := range old {
			if err := items.Delete(k); err != nil {
				return err
			}
			if err := images.Delete(k); err != nil {
				return err
			}
			removed = append(removed, InboxID(keyID(k)))
		}
		return nil
	})
	if err != nil {
		return InboxItem{}, nil, err
	}
	return rec, removed, nil
}

// Inbox returns the inbox items, oldest first.
func (s *Store) Inbox() ([]InboxItem, error) {
	var out []InboxItem
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bInbox)).ForEach(func(k, v []byte) error {
			var it InboxItem
			if err := decodeJSON(k, v, &it); err != nil {
				return err
			}
			it.ID = InboxID(keyID(k))
			out = append(out, it)
			return nil
		})
	})
	return out, err
}

// InboxCount returns the number of inbox items.
func (s *Store) InboxCount() (int, error) {
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		n = countKeys(tx.Bucket([]byte(bInbox)))
		return nil
	})
	return n, err
}

func inboxNotFound(id InboxID) error { return fmt.Errorf("%w: inbox item %d", ErrNotFound, id) }

// InboxEntry returns one inbox item; ErrNotFound if there is none with that id.
func (s *Store) InboxEntry(id InboxID) (InboxItem, error) {
	var it InboxItem
	err := s.view(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket([]byte(bInbox)), idKey(uint64(id)), &it); err != nil {
			if err == ErrNotFound {
				return inboxNotFound(id)
			}
			return err
		}
		it.ID = id
		return nil
	})
	return it, err
}

// InboxImage returns a copy of an inbox item's JPEG bytes; ErrNotFound if there is no such item.
func (s *Store) InboxImage(id InboxID) ([]byte, error) {
	var img []byte
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bInboxImages)).Get(idKey(uint64(id)))
		if v == nil {
			return inboxNotFound(id)
		}
		img = bytes.Clone(v)
		return nil
	})
	return img, err
}

// DeleteInbox removes an inbox item; ErrNotFound if there is none with that id.
func (s *Store) DeleteInbox(id InboxID) error {
	return s.update(func(tx *bolt.Tx) error {
		k := idKey(uint64(id))
		items := tx.Bucket([]byte(bInbox))
		if items.Get(k) == nil {
			return inboxNotFound(id)
		}
		if err := items.Delete(k); err != nil {
			return err
		}
		return tx.Bucket([]byte(bInboxImages)).Delete(k)
	})
}

// LabelInbox moves an inbox item into the samples with a label from the set, in one
// transaction: the sample is added (split assigned, Source "inbox:CAMERA", the item's capture
// time, prediction and confidence) and the item removed. If the image is already stored as a
// sample, the item is removed all the same and the error wraps ErrDuplicate with the stored
// sample. An unknown label (ErrUnknownLabel) changes nothing.
func (s *Store) LabelInbox(id InboxID, label string) (Sample, error) {
	it, err := s.InboxEntry(id)
	if err != nil {
		return Sample{}, err
	}
	img, err := s.InboxImage(id)
	if err != nil {
		return Sample{}, err
	}
	p, err := prepareSample(NewSample{Image: img, Label: label, Source: "inbox:" + it.Camera, Captured: it.Captured,
		Prediction: it.Prediction, Confidence: it.Confidence})
	if err != nil {
		return Sample{}, err
	}
	var rec Sample
	var itemErr error
	err = s.update(func(tx *bolt.Tx) error {
		k := idKey(uint64(id))
		items := tx.Bucket([]byte(bInbox))
		if items.Get(k) == nil {
			return inboxNotFound(id)
		}
		var err error
		rec, itemErr, err = s.insertTx(tx, &p, s.now())
		if err != nil || (itemErr != nil && !errors.Is(itemErr, ErrDuplicate)) {
			return err
		}
		if err := items.Delete(k); err != nil {
			return err
		}
		return tx.Bucket([]byte(bInboxImages)).Delete(k)
	})
	if err != nil {
		return Sample{}, err
	}
	return rec, itemErr
}

// countKeys counts a bucket's keys (the inbox is capped at a few hundred items).
func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}
