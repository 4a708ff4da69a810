package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ocellus/ocellus/camera/preprocess"
	bolt "go.etcd.io/bbolt"
)

// Limits on what a sample may carry.
const (
	// MaxImageBytes is the largest image accepted (before and after re-encoding).
	MaxImageBytes = 16 << 20
	// MaxTextLen bounds Source and Prediction, in bytes.
	MaxTextLen = 1024
	// MaxMetaBytes bounds the metadata: the sum of the lengths of all keys and values.
	MaxMetaBytes = 16 << 10
	// ReencodeQuality is the JPEG quality non-JPEG images are stored at.
	ReencodeQuality = 95
)

// SampleID identifies a sample. Ids are allocated in increasing order and never reused, even after
// the sample is deleted.
type SampleID uint64

func (id SampleID) String() string { return strconv.FormatUint(uint64(id), 10) }

// ParseSampleID parses a decimal sample id.
func ParseSampleID(s string) (SampleID, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("%w: sample id %q is not a positive integer", ErrInvalidSample, s)
	}
	return SampleID(v), nil
}

// Sample is a stored sample's description; the image itself is read with Image.
type Sample struct {
	ID    SampleID `json:"id"`
	Label string   `json:"label"`
	Split Split    `json:"split"`
	// Source says where the frame came from ("camera:/dev/video0", "import", "upload", …).
	Source string `json:"source,omitempty"`
	// Captured is when the frame was taken; Added when it was stored. Both UTC.
	Captured time.Time `json:"captured"`
	Added    time.Time `json:"added"`
	// Prediction and Confidence are what the active model said when the frame was captured.
	Prediction string            `json:"prediction,omitempty"`
	Confidence float32           `json:"confidence,omitempty"`
	Meta       map[string]string `json:"meta,omitempty"`
	// SHA256 (hex) and Size are those of the stored JPEG bytes; Width and Height its pixel size.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// NewSample is a sample to add.
type NewSample struct {
	// Image is a JPEG, PNG or BMP file. A JPEG is stored as is (after it decodes); PNG and BMP are
	// re-encoded as JPEG at ReencodeQuality.
	Image []byte
	// Label must be in the label set.
	Label string
	// Split: SplitUnset assigns one automatically (see the package documentation).
	Split Split
	// Source, Prediction, Confidence (in [0, 1]) and Meta are free; Captured zero means now.
	Source     string
	Captured   time.Time
	Prediction string
	Confidence float32
	Meta       map[string]string
}

// AddResult is the outcome of one NewSample of AddSamples. Err is nil when the sample was added;
// ErrDuplicate (with Sample set to the stored copy) when the same image is already stored, whatever
// the item's other fields; or why the sample was rejected (ErrInvalidImage, ErrInvalidLabel,
// ErrUnknownLabel, ErrInvalidSample).
type AddResult struct {
	Sample Sample
	Err    error
}

// prepared is a validated NewSample whose image is JPEG bytes.
type prepared struct {
	ns     NewSample
	jpeg   []byte
	sum    [32]byte
	w, h   int
	isJPEG bool
}

// validText checks a free-text field.
func validText(field, v string) error {
	if len(v) > MaxTextLen {
		return fmt.Errorf("%w: %s is %d bytes long (at most %d)", ErrInvalidSample, field, len(v), MaxTextLen)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalidSample, field, v)
	}
	return nil
}

// prepareSample validates ns and decodes (and if needed re-encodes) its image. It runs outside
// any transaction: the decoding is the expensive part of adding a sample.
func prepareSample(ns NewSample) (prepared, error) {
	p := prepared{ns: ns}
	if err := ValidateLabel(ns.Label); err != nil {
		return p, err
	}
	if ns.Split >= numSplits {
		return p, fmt.Errorf("%w: split %d", ErrInvalidSample, ns.Split)
	}
	if err := validText("source", ns.Source); err != nil {
		return p, err
	}
	if err := validText("prediction", ns.Prediction); err != nil {
		return p, err
	}
	if c := float64(ns.Confidence); math.IsNaN(c) || c < 0 || c > 1 {
		return p, fmt.Errorf("%w: confidence %v is outside [0, 1]", ErrInvalidSample, ns.Confidence)
	}
	metaLen := 0
	for k, v := range ns.Meta {
		if k == "" {
			return p, fmt.Errorf("%w: empty metadata key", ErrInvalidSample)
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return p, fmt.Errorf("%w: metadata %q is not valid UTF-8", ErrInvalidSample, k)
		}
		metaLen += len(k) + len(v)
	}
	if metaLen > MaxMetaBytes {
		return p, fmt.Errorf("%w: metadata is %d bytes (at most %d)", ErrInvalidSample, metaLen, MaxMetaBytes)
	}
	data := ns.Image
	switch {
	case len(data) == 0:
		return p, fmt.Errorf("%w: no image bytes", ErrInvalidImage)
	case len(data) > MaxImageBytes:
		return p, fmt.Errorf("%w: %d bytes (at most %d)", ErrInvalidImage, len(data), MaxImageBytes)
	}
	img, err := preprocess.DecodeBytes(data)
	if err != nil {
		return p, fmt.Errorf("%w: %w", ErrInvalidImage, err)
	}
	p.w, p.h = img.W, img.H
	p.isJPEG = bytes.HasPrefix(data, []byte("\xff\xd8\xff"))
	if p.isJPEG {
		p.jpeg = data
	} else {
		p.jpeg, err = encodeJPEG(img)
		if err != nil {
			return p, fmt.Errorf("%w: re-encoding as JPEG: %v", ErrInvalidImage, err)
		}
		if len(p.jpeg) > MaxImageBytes {
			return p, fmt.Errorf("%w: %d bytes as JPEG (at most %d)", ErrInvalidImage, len(p.jpeg), MaxImageBytes)
		}
	}
	p.sum = sha256.Sum256(p.jpeg)
	return p, nil
}

// encodeJPEG encodes img at ReencodeQuality (grey images as one-channel JPEG).
func encodeJPEG(img *preprocess.RGB8) ([]byte, error) {
	var src image.Image
	r := image.Rect(0, 0, img.W, img.H)
	if img.Gray {
		g := image.NewGray(r)
		img.Luma(g.Pix)
		src = g
	} else {
		rgba := image.NewRGBA(r)
		for i, j := 0, 0; i < img.W*img.H*3; i, j = i+3, j+4 {
			rgba.Pix[j], rgba.Pix[j+1], rgba.Pix[j+2], rgba.Pix[j+3] = img.Pix[i], img.Pix[i+1], img.Pix[i+2], 0xff
		}
		src = rgba
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: ReencodeQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func duplicateErr(rec Sample) error {
	return fmt.Errorf("%w: the image is already stored as sample %d (label %q)", ErrDuplicate, rec.ID, rec.Label)
}

func decodeSample(k, v []byte) (Sample, error) {
	var rec Sample
	if err := decodeJSON(k, v, &rec); err != nil {
		return rec, err
	}
	rec.ID = SampleID(keyID(k))
	return rec, nil
}

// AddSample adds one sample and returns it as stored. A sample whose image is already stored is
// not added again: the error wraps ErrDuplicate and the returned Sample is the stored one.
func (s *Store) AddSample(ns NewSample) (Sample, error) {
	res, err := s.AddSamples([]NewSample{ns})
	if err != nil {
		return Sample{}, err
	}
	return res[0].Sample, res[0].Err
}

// AddSamples adds a batch of samples in one transaction and returns one result per item, in
// order. Items that are invalid, carry an unknown label or duplicate a stored image (or an
// earlier item) are skipped and say why in their Err; the others are all stored when AddSamples
// returns nil, or none is (the error says why, e.g. ErrDiskFull).
func (s *Store) AddSamples(items []NewSample) ([]AddResult, error) {
	res := make([]AddResult, len(items))
	preps := make([]prepared, len(items))
	// A JPEG is stored as is, so a stored one is found by its digest before the costly decoding
	// (re-running an interrupted import then skips what it already stored quickly).
	err := s.view(func(tx *bolt.Tx) error {
		samples, digests := tx.Bucket([]byte(bSamples)), tx.Bucket([]byte(bDigests))
		for i, ns := range items {
			if !bytes.HasPrefix(ns.Image, []byte("\xff\xd8\xff")) {
				continue
			}
			sum := sha256.Sum256(ns.Image)
			if k := digests.Get(sum[:]); k != nil {
				rec, err := decodeSample(k, samples.Get(k))
				if err != nil {
					return err
				}
				res[i] = AddResult{rec, duplicateErr(rec)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	todo := 0
	for i, ns := range items {
		if res[i].Err == nil {
			preps[i], res[i].Err = prepareSample(ns)
		}
		if res[i].Err == nil {
			todo++
		}
	}
	if todo == 0 {
		return res, nil // no write transaction (and no fsync) for nothing
	}
	err = s.update(func(tx *bolt.Tx) error {
		now := s.now()
		for i := range preps {
			if res[i].Err != nil {
				continue
			}
			rec, itemErr, err := s.insertTx(tx, &preps[i], now)
			if err != nil {
				return err
			}
			res[i] = AddResult{rec, itemErr}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// insertTx stores one prepared sample in tx. itemErr says why this item was not stored (its label
// is not in the set; its image is already stored: then rec is the stored sample) and leaves tx
// unchanged; err is a failure of the transaction.
func (s *Store) insertTx(tx *bolt.Tx, p *prepared, now time.Time) (rec Sample, itemErr, err error) {
	samples, images := tx.Bucket([]byte(bSamples)), tx.Bucket([]byte(bImages))
	labels, digests := tx.Bucket([]byte(bLabels)), tx.Bucket([]byte(bDigests))
	lr, lerr := getLabel(labels, p.ns.Label)
	if lerr != nil {
		return rec, lerr, nil
	}
	if k := digests.Get(p.sum[:]); k != nil {
		rec, err := decodeSample(k, samples.Get(k))
		if err != nil {
			return rec, nil, err
		}
		return rec, duplicateErr(rec), nil
	}
	seq, err := samples.NextSequence()
	if err != nil {
		return rec, nil, err
	}
	rec = Sample{
		ID: SampleID(seq), Label: p.ns.Label, Split: p.ns.Split, Source: p.ns.Source,
		Captured: p.ns.Captured.UTC().Round(0), Added: now,
		Prediction: p.ns.Prediction, Confidence: p.ns.Confidence, Meta: p.ns.Meta,
		SHA256: hex.EncodeToString(p.sum[:]), Size: int64(len(p.jpeg)), Width: p.w, Height: p.h,
	}
	if p.ns.Captured.IsZero() {
		rec.Captured = now
	}
	if len(rec.Meta) == 0 {
		rec.Meta = nil
	}
	if rec.Split == SplitUnset {
		rec.Split = assignSplit(s.ratio, lr.Counts, rec.Label, seq)
	}
	lr.Counts.add(rec.Split, 1)
	k := idKey(seq)
	if err := putJSON(samples, k, rec); err != nil {
		return rec, nil, err
	}
	if err := images.Put(k, p.jpeg); err != nil {
		return rec, nil, err
	}
	if err := digests.Put(p.sum[:], k); err != nil {
		return rec, nil, err
	}
	return rec, nil, putJSON(labels, []byte(rec.Label), lr)
}

// Sample returns one sample; ErrNotFound if there is none with that id.
func (s *Store) Sample(id SampleID) (Sample, error) {
	var rec Sample
	err := s.view(func(tx *bolt.Tx) error {
		k := idKey(uint64(id))
		v := tx.Bucket([]byte(bSamples)).Get(k)
		if v == nil {
			return fmt.Errorf("%w: sample %d", ErrNotFound, id)
		}
		var err error
		rec, err = decodeSample(k, v)
		return err
	})
	return rec, err
}

// Image returns a copy of a sample's JPEG bytes; ErrNotFound if there is no such sample.
func (s *Store) Image(id SampleID) ([]byte, error) {
	var img []byte
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bImages)).Get(idKey(uint64(id)))
		if v == nil {
			return fmt.Errorf("%w: sample %d", ErrNotFound, id)
		}
		img = bytes.Clone(v)
		return nil
	})
	return img, err
}

// FindImage returns the sample storing exactly these JPEG bytes (the same SHA-256);
// ErrNotFound if none does.
func (s *Store) FindImage(jpegBytes []byte) (Sample, error) {
	sum := sha256.Sum256(jpegBytes)
	var rec Sample
	err := s.view(func(tx *bolt.Tx) error {
		k := tx.Bucket([]byte(bDigests)).Get(sum[:])
		if k == nil {
			return fmt.Errorf("%w: no sample has SHA-256 %x", ErrNotFound, sum)
		}
		var err error
		rec, err = decodeSample(k, tx.Bucket([]byte(bSamples)).Get(k))
		return err
	})
	return rec, err
}

// Filter selects samples. Zero fields match everything.
type Filter struct {
	Label string
	Split Split
	// After skips ids ≤ After and Limit (if > 0) stops after that many samples: pages for a UI.
	After SampleID
	Limit int
}

func (f Filter) match(rec Sample) bool {
	return (f.Label == "" || rec.Label == f.Label) && (f.Split == SplitUnset || rec.Split == f.Split)
}

// Samples returns the samples that f selects, by increasing id.
func (s *Store) Samples(f Filter) ([]Sample, error) {
	var out []Sample
	err := s.EachSample(f, func(rec Sample) error {
		out = append(out, rec)
		return nil
	})
	return out, err
}

// errStop ends EachSample's scan early.
var errStop = errors.New("stop")

// EachSample calls fn for each sample f selects, by increasing id, inside one read transaction
// (writers are not blocked). An error from fn stops the scan and is returned.
func (s *Store) EachSample(f Filter, fn func(Sample) error) error {
	if f.After == math.MaxUint64 {
		return nil
	}
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bSamples)).Cursor()
		for k, v := c.Seek(idKey(uint64(f.After) + 1)); k != nil; k, v = c.Next() {
			rec, err := decodeSample(k, v)
			if err != nil {
				return err
			}
			if !f.match(rec) {
				continue
			}
			if err := fn(rec); err != nil {
				return err
			}
			if n++; f.Limit > 0 && n >= f.Limit {
				return errStop
			}
		}
		return nil
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// Count returns the number of samples.
func (s *Store) Count() (int, error) {
	labels, err := s.Labels()
	n := 0
	for _, l := range labels {
		n += l.Counts.Total()
	}
	return n, err
}

// DeleteSamples removes samples with their images and cached features, all in one transaction:
// if any id does not exist, nothing is deleted and the error (ErrNotFound) names it.
func (s *Store) DeleteSamples(ids ...SampleID) error {
	return s.update(func(tx *bolt.Tx) error {
		samples, images := tx.Bucket([]byte(bSamples)), tx.Bucket([]byte(bImages))
		labels, digests := tx.Bucket([]byte(bLabels)), tx.Bucket([]byte(bDigests))
		for _, id := range ids {
			k := idKey(uint64(id))
			v := samples.Get(k)
			if v == nil {
				return fmt.Errorf("%w: sample %d (nothing was deleted)", ErrNotFound, id)
			}
			rec, err := decodeSample(k, v)
			if err != nil {
				return err
			}
			lr, err := getLabel(labels, rec.Label)
			if err != nil {
				return fmt.Errorf("%w: sample %d: %v", ErrCorrupt, id, err)
			}
			lr.Counts.add(rec.Split, -1)
			if err := putJSON(labels, []byte(rec.Label), lr); err != nil {
				return err
			}
			sum, err := hex.DecodeString(rec.SHA256)
			if err != nil {
				return fmt.Errorf("%w: sample %d: sha256 %q", ErrCorrupt, id, rec.SHA256)
			}
			if bytes.Equal(digests.Get(sum), k) {
				if err := digests.Delete(sum); err != nil {
					return err
				}
			}
			for _, b := range []*bolt.Bucket{samples, images} {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			if err := deleteFeaturesOf(tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Relabel gives a sample another label from the set; its split does not change.
func (s *Store) Relabel(id SampleID, label string) error {
	return s.update(func(tx *bolt.Tx) error {
		samples, labels := tx.Bucket([]byte(bSamples)), tx.Bucket([]byte(bLabels))
		k := idKey(uint64(id))
		v := samples.Get(k)
		if v == nil {
			return fmt.Errorf("%w: sample %d", ErrNotFound, id)
		}
		rec, err := decodeSample(k, v)
		if err != nil {
			return err
		}
		to, err := getLabel(labels, label)
		if err != nil {
			return err
		}
		if rec.Label == label {
			return nil
		}
		from, err := getLabel(labels, rec.Label)
		if err != nil {
			return fmt.Errorf("%w: sample %d: %v", ErrCorrupt, id, err)
		}
		from.Counts.add(rec.Split, -1)
		to.Counts.add(rec.Split, 1)
		if err := putJSON(labels, []byte(rec.Label), from); err != nil {
			return err
		}
		if err := putJSON(labels, []byte(label), to); err != nil {
			return err
		}
		rec.Label = label
		return putJSON(samples, k, rec)
	})
}
