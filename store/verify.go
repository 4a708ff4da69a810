package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// maxVerifyErrors caps how many problems Verify lists.
const maxVerifyErrors = 20

// Verify checks the whole database in one read transaction: bbolt's page-level check, then every
// invariant of the schema — each sample has a known label, a split and its image with the recorded
// SHA-256 and size; the digest index and the per-label split counts match the samples; model blobs
// match their SHA-256 and the active version exists; runs are readable; cached vectors belong to
// stored samples and have the backbone's length. The error wraps ErrCorrupt and lists up to 20
// problems. It reads every byte, so it takes about as long as reading the file.
func (s *Store) Verify() error {
	var errs []error
	add := func(format string, args ...any) {
		if len(errs) < maxVerifyErrors {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	err := s.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			add("bbolt: %v", err)
		}
		if v, err := schemaVersion(tx, s.path); err != nil || v != SchemaVersion {
			add("schema version %d (err %v), want %d", v, err, SchemaVersion)
			return nil
		}
		for _, name := range allBuckets() {
			if tx.Bucket([]byte(name)) == nil {
				add("bucket %q is missing", name)
				return nil
			}
		}
		verifySamples(tx, add)
		verifyModels(tx, add)
		verifyRuns(tx, add)
		verifyFeatures(tx, add)
		verifyInbox(tx, add)
		return nil
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, s.path, errors.Join(errs...))
	}
	return nil
}

func verifySamples(tx *bolt.Tx, add func(string, ...any)) {
	samples, images := tx.Bucket([]byte(bSamples)), tx.Bucket([]byte(bImages))
	labels, digests := tx.Bucket([]byte(bLabels)), tx.Bucket([]byte(bDigests))
	counts := map[string]*SplitCounts{}
	_ = labels.ForEach(func(k, v []byte) error {
		var r labelRec
		if err := decodeJSON(k, v, &r); err != nil {
			add("label %q: %v", k, err)
		}
		if err := ValidateLabel(string(k)); err != nil {
			add("%v", err)
		}
		counts[string(k)] = &SplitCounts{}
		return nil
	})
	seq := samples.Sequence()
	_ = samples.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			add("sample key %x is not 8 bytes", k)
			return nil
		}
		rec, err := decodeSample(k, v)
		if err != nil {
			add("%v", err)
			return nil
		}
		id := rec.ID
		if uint64(id) > seq || id == 0 {
			add("sample %d: id outside the allocated range 1..%d", id, seq)
		}
		if c := counts[rec.Label]; c == nil {
			add("sample %d: label %q is not in the label set", id, rec.Label)
		} else if rec.Split < Train || rec.Split > Test {
			add("sample %d: no split", id)
		} else {
			c.add(rec.Split, 1)
		}
		img := images.Get(k)
		sum := sha256.Sum256(img)
		switch {
		case img == nil:
			add("sample %d: image missing", id)
		case hex.EncodeToString(sum[:]) != rec.SHA256 || int64(len(img)) != rec.Size:
			add("sample %d: image has %d bytes, SHA-256 %x; recorded %d, %s", id, len(img), sum, rec.Size, rec.SHA256)
		default:
			if dk := digests.Get(sum[:]); dk == nil {
				add("sample %d: digest index has no entry", id)
			}
		}
		return nil
	})
	_ = images.ForEach(func(k, _ []byte) error {
		if samples.Get(k) == nil {
			add("image %x has no sample", k)
		}
		return nil
	})
	_ = digests.ForEach(func(k, v []byte) error {
		sv := samples.Get(v)
		if len(v) != 8 || sv == nil {
			add("digest %x points to missing sample %x", k, v)
			return nil
		}
		if rec, err := decodeSample(v, sv); err != nil || rec.SHA256 != hex.EncodeToString(k) {
			add("digest %x points to sample %x, which does not have it", k, v)
		}
		return nil
	})
	_ = labels.ForEach(func(k, v []byte) error {
		var r labelRec
		if decodeJSON(k, v, &r) == nil && r.Counts != *counts[string(k)] {
			add("label %q: recorded counts %+v, samples give %+v", k, r.Counts, *counts[string(k)])
		}
		return nil
	})
}

func verifyModels(tx *bolt.Tx, add func(string, ...any)) {
	models, blobs := tx.Bucket([]byte(bModels)), tx.Bucket([]byte(bModelBlobs))
	_ = models.ForEach(func(k, v []byte) error {
		var mv ModelVersion
		if err := decodeJSON(k, v, &mv); err != nil {
			add("model %x: %v", k, err)
			return nil
		}
		chunks := blobs.Bucket(k)
		if chunks == nil {
			add("model %d: blob missing", mv.ID)
			return nil
		}
		h := sha256.New()
		n := 0
		_ = chunks.ForEach(func(_, c []byte) error {
			h.Write(c)
			n += len(c)
			return nil
		})
		if hex.EncodeToString(h.Sum(nil)) != mv.SHA256 || int64(n) != mv.Size {
			add("model %d: blob has %d bytes, SHA-256 %x; recorded %d, %s", mv.ID, n, h.Sum(nil), mv.Size, mv.SHA256)
		}
		return nil
	})
	_ = blobs.ForEachBucket(func(k []byte) error {
		if models.Get(k) == nil {
			add("blob %x has no model version", k)
		}
		return nil
	})
	if v := tx.Bucket([]byte(bMeta)).Get([]byte(kActiveModel)); v != nil && (len(v) != 8 || models.Get(v) == nil) {
		add("active model %x does not exist", v)
	}
}

func verifyRuns(tx *bolt.Tx, add func(string, ...any)) {
	runs := tx.Bucket([]byte(bRuns))
	_ = runs.ForEachBucket(func(k []byte) error {
		b := runs.Bucket(k)
		if b.Bucket([]byte(kEpochs)) == nil || b.Bucket([]byte(kArtifacts)) == nil {
			add("run %x: epochs or artifacts bucket missing", k)
			return nil
		}
		r, err := readRun(b)
		if err != nil {
			add("run %x: %v", k, err)
		} else if !bytes.Equal(idKey(uint64(r.ID)), k) {
			add("run %x records id %d", k, r.ID)
		}
		return nil
	})
}

func verifyFeatures(tx *bolt.Tx, add func(string, ...any)) {
	fs, samples := tx.Bucket([]byte(bFeatures)), tx.Bucket([]byte(bSamples))
	_ = fs.ForEachBucket(func(name []byte) error {
		fb := fs.Bucket(name)
		d := fb.Get([]byte(kDim))
		vb := fb.Bucket([]byte(kVec))
		if len(d) != 4 || vb == nil {
			add("features %q: dim or vectors missing", name)
			return nil
		}
		want := 4 * int(binary.BigEndian.Uint32(d))
		_ = vb.ForEach(func(k, v []byte) error {
			if samples.Get(k) == nil {
				add("features %q: vector for missing sample %x", name, k)
			}
			if len(v) != want {
				add("features %q: sample %x has %d bytes, want %d", name, k, len(v), want)
			}
			return nil
		})
		return nil
	})
}

func verifyInbox(tx *bolt.Tx, add func(string, ...any)) {
	items, images := tx.Bucket([]byte(bInbox)), tx.Bucket([]byte(bInboxImages))
	_ = items.ForEach(func(k, v []byte) error {
		var it InboxItem
		if err := decodeJSON(k, v, &it); err != nil {
			add("inbox item %x: %v", k, err)
		} else if img := images.Get(k); img == nil {
			add("inbox item %x: image missing", k)
		} else if int64(len(img)) != it.Size {
			add("inbox item %x: image has %d bytes, recorded %d", k, len(img), it.Size)
		}
		return nil
	})
	_ = images.ForEach(func(k, _ []byte) error {
		if items.Get(k) == nil {
			add("inbox image %x has no item", k)
		}
		return nil
	})
}
