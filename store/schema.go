package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/jpeg"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this package reads and writes. The meta bucket's "schema" key holds
// the version of a database (8 bytes, big-endian); see the package documentation for the layout.
const SchemaVersion = 2

// Top-level buckets of schema v1.
const (
	bMeta        = "meta"        // "schema" → uint64; "active_model" → model id; "created" → RFC 3339
	bLabels      = "labels"      // label name → labelRec (JSON)
	bSamples     = "samples"     // sample id → Sample (JSON); the bucket sequence allocates ids
	bImages      = "images"      // sample id → JPEG bytes
	bDigests     = "digests"     // SHA-256 of the JPEG (32 bytes) → sample id
	bModels      = "models"      // model id → modelRec (JSON); the sequence allocates ids
	bModelBlobs  = "model_blobs" // model id → bucket: chunk index (uint32) → ≤ blobChunk bytes
	bActivations = "activations" // sequence number → Activation (JSON), the activation history
	bRuns        = "runs"        // run id → bucket: "info" → runRec, "epochs" → bucket, "artifacts" → bucket
	bFeatures    = "features"    // backbone key → bucket: "dim" → uint32, "vec" → bucket: sample id → float32s
	// Schema v2.
	bInbox       = "inbox"        // inbox id → InboxItem (JSON); the sequence allocates ids
	bInboxImages = "inbox_images" // inbox id → JPEG bytes
)

const (
	kSchema      = "schema"
	kActiveModel = "active_model"
	kCreated     = "created"
)

func allBuckets() []string {
	return []string{bMeta, bLabels, bSamples, bImages, bDigests, bModels, bModelBlobs, bActivations, bRuns, bFeatures,
		bInbox, bInboxImages}
}

// migration upgrades a database from schema version from to from+1, inside the opening
// transaction. The list is ordered and complete: migrations()[i].from == i.
type migration struct {
	from int
	what string
	fn   func(s *Store, tx *bolt.Tx) error
}

func migrations() []migration {
	return []migration{
		{0, "create the v1 buckets; rebuild labels, split counts and digests from the samples", (*Store).migrateV0},
		{1, "create the inbox buckets", (*Store).migrateV1},
	}
}

// idKey encodes an id as 8 big-endian bytes, so that keys sort by id.
func idKey(id uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], id)
	return k[:]
}

func keyID(k []byte) uint64 { return binary.BigEndian.Uint64(k) }

// schemaVersion reads the version. A database with no buckets at all (new) is version 0, as is
// the v0 prototype layout (samples and images buckets, no meta bucket).
func schemaVersion(tx *bolt.Tx, path string) (uint64, error) {
	meta := tx.Bucket([]byte(bMeta))
	if meta == nil {
		empty := true
		_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			empty = false
			return nil
		})
		if empty || tx.Bucket([]byte(bSamples)) != nil {
			return 0, nil
		}
		return 0, fmt.Errorf("%w: %s is a bbolt database without the store's buckets", ErrNotStore, path)
	}
	v := meta.Get([]byte(kSchema))
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: %s: meta bucket has no valid schema version (%d bytes)", ErrCorrupt, path, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// migrate runs every migration from version from up, then records SchemaVersion.
func (s *Store) migrate(tx *bolt.Tx, from uint64) error {
	ms := migrations()
	if len(ms) != SchemaVersion {
		panic(fmt.Sprintf("store: %d migrations for schema version %d", len(ms), SchemaVersion))
	}
	for _, m := range ms[from:] {
		if err := m.fn(s, tx); err != nil {
			return fmt.Errorf("migration %d→%d (%s): %w", m.from, m.from+1, m.what, err)
		}
	}
	meta := tx.Bucket([]byte(bMeta))
	if meta.Get([]byte(kCreated)) == nil {
		if err := meta.Put([]byte(kCreated), []byte(s.now().Format(timeFormat))); err != nil {
			return err
		}
	}
	return meta.Put([]byte(kSchema), idKey(SchemaVersion))
}

// timeFormat is how times are written outside JSON records.
const timeFormat = "2006-01-02T15:04:05.999999999Z07:00"

// migrateV0 turns a new or v0 database into v1. v0 (the prototype) had only the samples bucket
// (id → JSON with label, optional split, source, capture time, prediction, confidence, meta) and
// the images bucket (id → JPEG). v1 adds the label set with per-split counts, the digest index,
// image sizes, and the model, run and feature buckets. Samples without a split get one.
func (s *Store) migrateV0(tx *bolt.Tx) error {
	for _, name := range []string{bMeta, bLabels, bSamples, bImages, bDigests, bModels, bModelBlobs, bActivations, bRuns, bFeatures} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	samples, images := tx.Bucket([]byte(bSamples)), tx.Bucket([]byte(bImages))
	labels, digests := tx.Bucket([]byte(bLabels)), tx.Bucket([]byte(bDigests))
	now := s.now()
	var maxID uint64
	type update struct {
		key []byte
		rec Sample
	}
	var updates []update
	err := samples.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("%w: sample key %x is not 8 bytes", ErrCorrupt, k)
		}
		id := keyID(k)
		maxID = max(maxID, id)
		var rec Sample
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("%w: sample %d: %v", ErrCorrupt, id, err)
		}
		rec.ID = SampleID(id)
		if err := ValidateLabel(rec.Label); err != nil {
			return fmt.Errorf("sample %d: %w", id, err)
		}
		img := images.Get(k)
		if img == nil {
			return fmt.Errorf("%w: sample %d has no image", ErrCorrupt, id)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(img))
		if err != nil {
			return fmt.Errorf("%w: sample %d: %v", ErrInvalidImage, id, err)
		}
		sum := sha256.Sum256(img)
		rec.SHA256, rec.Size, rec.Width, rec.Height = fmt.Sprintf("%x", sum), int64(len(img)), cfg.Width, cfg.Height
		if rec.Added.IsZero() {
			rec.Added = now
		}
		lr, err := getLabel(labels, rec.Label)
		if err != nil {
			lr = labelRec{Created: now}
		}
		if rec.Split == SplitUnset {
			rec.Split = assignSplit(s.ratio, lr.Counts, rec.Label, id)
		}
		lr.Counts.add(rec.Split, 1)
		if err := putJSON(labels, []byte(rec.Label), lr); err != nil {
			return err
		}
		if digests.Get(sum[:]) == nil {
			if err := digests.Put(sum[:], k); err != nil {
				return err
			}
		}
		updates = append(updates, update{bytes.Clone(k), rec})
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range updates {
		if err := putJSON(samples, u.key, u.rec); err != nil {
			return err
		}
	}
	if samples.Sequence() < maxID {
		return samples.SetSequence(maxID)
	}
	return nil
}

// migrateV1 adds the inbox of schema v2: low-confidence frames kept for labelling.
func (s *Store) migrateV1(tx *bolt.Tx) error {
	for _, name := range []string{bInbox, bInboxImages} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
	}
	return nil
}

// putJSON stores v as JSON under key.
func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// getJSON decodes the JSON under key into v; ErrNotFound if there is none.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return ErrNotFound
	}
	return decodeJSON(key, data, v)
}

// decodeJSON decodes a stored record; a failure is ErrCorrupt naming the key.
func decodeJSON(key, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: record %x: %v", ErrCorrupt, key, err)
	}
	return nil
}
