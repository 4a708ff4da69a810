package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// blobChunk is the size of the pieces a model blob is stored in, so that a large model does not
// need one huge run of contiguous pages.
const blobChunk = 1 << 20

// ModelID identifies a model version; ids increase and are never reused.
type ModelID uint64

func (id ModelID) String() string { return strconv.FormatUint(uint64(id), 10) }

// NewModel is a model version to add.
type NewModel struct {
	// Name is for people ("ants-vs-bees v3"); optional.
	Name string
	// Format says what Blob is ("onnx"); Blob holds the weights and graph, and may not be empty.
	Format string
	Blob   []byte
	// Metrics is JSON (validation/test figures); nil is stored as null.
	Metrics json.RawMessage
	// Classes names the outputs, in order.
	Classes []string
	// Parent is the version this one was fine-tuned from, Run the training run that made it
	// (0: none). Each must exist when the model is added.
	Parent ModelID
	Run    RunID
	// Backbone is the digest of the frozen backbone, the key of its cached features.
	Backbone string
	Note     string
}

// ModelVersion describes a stored model version; its blob is read with ModelBlob.
type ModelVersion struct {
	ID       ModelID         `json:"id"`
	Name     string          `json:"name,omitempty"`
	Format   string          `json:"format,omitempty"`
	Size     int64           `json:"size"`
	SHA256   string          `json:"sha256"`
	Metrics  json.RawMessage `json:"metrics,omitempty"`
	Classes  []string        `json:"classes,omitempty"`
	Parent   ModelID         `json:"parent,omitempty"`
	Run      RunID           `json:"run,omitempty"`
	Backbone string          `json:"backbone,omitempty"`
	Note     string          `json:"note,omitempty"`
	Created  time.Time       `json:"created"`
	// ActivatedBy and ActivatedAt record this version's latest activation (empty if never).
	ActivatedBy string    `json:"activated_by,omitempty"`
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	// Active is true for the active version (it is not stored: the meta bucket names the active
	// version, which is how exactly one can be active).
	Active bool `json:"active"`
}

// Activation is one entry of the activation history.
type Activation struct {
	Model    ModelID   `json:"model"`
	Previous ModelID   `json:"previous,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

func modelNotFound(id ModelID) error { return fmt.Errorf("%w: model version %d", ErrNotFound, id) }

// addModelTx stores nm and returns its version (inactive).
func (s *Store) addModelTx(tx *bolt.Tx, nm NewModel) (ModelVersion, error) {
	if len(nm.Blob) == 0 {
		return ModelVersion{}, fmt.Errorf("%w: empty blob", ErrInvalidModel)
	}
	if nm.Metrics != nil && !json.Valid(nm.Metrics) {
		return ModelVersion{}, fmt.Errorf("%w: metrics are not valid JSON", ErrInvalidModel)
	}
	for _, f := range [...][2]string{{"name", nm.Name}, {"format", nm.Format}, {"backbone", nm.Backbone}, {"note", nm.Note}} {
		if err := validText(f[0], f[1]); err != nil {
			return ModelVersion{}, fmt.Errorf("%w: %v", ErrInvalidModel, err)
		}
	}
	models := tx.Bucket([]byte(bModels))
	if nm.Parent != 0 && models.Get(idKey(uint64(nm.Parent))) == nil {
		return ModelVersion{}, fmt.Errorf("parent: %w", modelNotFound(nm.Parent))
	}
	if nm.Run != 0 && tx.Bucket([]byte(bRuns)).Bucket(idKey(uint64(nm.Run))) == nil {
		return ModelVersion{}, fmt.Errorf("%w: run %d", ErrNotFound, nm.Run)
	}
	seq, err := models.NextSequence()
	if err != nil {
		return ModelVersion{}, err
	}
	sum := sha256.Sum256(nm.Blob)
	mv := ModelVersion{
		ID: ModelID(seq), Name: nm.Name, Format: nm.Format, Size: int64(len(nm.Blob)),
		SHA256: hex.EncodeToString(sum[:]), Metrics: nm.Metrics, Classes: nm.Classes,
		Parent: nm.Parent, Run: nm.Run, Backbone: nm.Backbone, Note: nm.Note, Created: s.now(),
	}
	k := idKey(seq)
	chunks, err := tx.Bucket([]byte(bModelBlobs)).CreateBucket(k)
	if err != nil {
		return ModelVersion{}, err
	}
	for i := 0; i*blobChunk < len(nm.Blob); i++ {
		var ck [4]byte
		binary.BigEndian.PutUint32(ck[:], uint32(i))
		if err := chunks.Put(ck[:], nm.Blob[i*blobChunk:min((i+1)*blobChunk, len(nm.Blob))]); err != nil {
			return ModelVersion{}, err
		}
	}
	return mv, putJSON(models, k, mv)
}

// activateTx makes id the active version and records who did it.
func (s *Store) activateTx(tx *bolt.Tx, id ModelID, by string) (ModelVersion, error) {
	if by == "" {
		return ModelVersion{}, fmt.Errorf("%w: activation must say who activates (by is empty)", ErrInvalidModel)
	}
	if err := validText("by", by); err != nil {
		return ModelVersion{}, fmt.Errorf("%w: %v", ErrInvalidModel, err)
	}
	models, meta := tx.Bucket([]byte(bModels)), tx.Bucket([]byte(bMeta))
	var mv ModelVersion
	if err := getJSON(models, idKey(uint64(id)), &mv); err != nil {
		if err == ErrNotFound {
			return mv, modelNotFound(id)
		}
		return mv, err
	}
	var prev ModelID
	if v := meta.Get([]byte(kActiveModel)); len(v) == 8 {
		prev = ModelID(keyID(v))
	}
	mv.ActivatedBy, mv.ActivatedAt = by, s.now()
	if err := putJSON(models, idKey(uint64(id)), mv); err != nil {
		return mv, err
	}
	if err := meta.Put([]byte(kActiveModel), idKey(uint64(id))); err != nil {
		return mv, err
	}
	log := tx.Bucket([]byte(bActivations))
	seq, err := log.NextSequence()
	if err != nil {
		return mv, err
	}
	mv.Active = true
	return mv, putJSON(log, idKey(seq), Activation{Model: id, Previous: prev, By: by, At: mv.ActivatedAt})
}

// AddModel stores a new model version (inactive) with its blob, in one transaction.
func (s *Store) AddModel(nm NewModel) (ModelVersion, error) {
	var mv ModelVersion
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		mv, err = s.addModelTx(tx, nm)
		return err
	})
	return mv, err
}

// ActivateModel makes a version the active one, recording who (by, required) and when. The switch
// is one transaction: there is never zero or two active versions once one has been activated.
func (s *Store) ActivateModel(id ModelID, by string) error {
	return s.update(func(tx *bolt.Tx) error {
		_, err := s.activateTx(tx, id, by)
		return err
	})
}

func activeID(tx *bolt.Tx) ModelID {
	if v := tx.Bucket([]byte(bMeta)).Get([]byte(kActiveModel)); len(v) == 8 {
		return ModelID(keyID(v))
	}
	return 0
}

// Model returns one model version; ErrNotFound if there is none with that id.
func (s *Store) Model(id ModelID) (ModelVersion, error) {
	var mv ModelVersion
	err := s.view(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket([]byte(bModels)), idKey(uint64(id)), &mv); err != nil {
			if err == ErrNotFound {
				return modelNotFound(id)
			}
			return err
		}
		mv.Active = activeID(tx) == id
		return nil
	})
	return mv, err
}

// ActiveModel returns the active version; ErrNoActiveModel if none was ever activated.
func (s *Store) ActiveModel() (ModelVersion, error) {
	var id ModelID
	if err := s.view(func(tx *bolt.Tx) error { id = activeID(tx); return nil }); err != nil {
		return ModelVersion{}, err
	}
	if id == 0 {
		return ModelVersion{}, fmt.Errorf("%w in %s", ErrNoActiveModel, s.path)
	}
	return s.Model(id)
}

// Models returns every model version by increasing id.
func (s *Store) Models() ([]ModelVersion, error) {
	var out []ModelVersion
	err := s.view(func(tx *bolt.Tx) error {
		active := activeID(tx)
		return tx.Bucket([]byte(bModels)).ForEach(func(k, v []byte) error {
			var mv ModelVersion
			if err := decodeJSON(k, v, &mv); err != nil {
				return err
			}
			mv.Active = mv.ID == active
			out = append(out, mv)
			return nil
		})
	})
	return out, err
}

// ModelBlob returns a copy of a version's blob, checked against its SHA-256.
func (s *Store) ModelBlob(id ModelID) ([]byte, error) {
	var blob []byte
	err := s.view(func(tx *bolt.Tx) error {
		var mv ModelVersion
		if err := getJSON(tx.Bucket([]byte(bModels)), idKey(uint64(id)), &mv); err != nil {
			if err == ErrNotFound {
				return modelNotFound(id)
			}
			return err
		}
		chunks := tx.Bucket([]byte(bModelBlobs)).Bucket(idKey(uint64(id)))
		if chunks == nil {
			return fmt.Errorf("%w: model version %d has no blob", ErrCorrupt, id)
		}
		blob = make([]byte, 0, mv.Size)
		if err := chunks.ForEach(func(_, v []byte) error { blob = append(blob, v...); return nil }); err != nil {
			return err
		}
		if sum := sha256.Sum256(blob); hex.EncodeToString(sum[:]) != mv.SHA256 {
			return fmt.Errorf("%w: model version %d: blob SHA-256 %x, recorded %s", ErrCorrupt, id, sum, mv.SHA256)
		}
		return nil
	})
	return blob, err
}

// Activations returns the activation history, oldest first.
func (s *Store) Activations() ([]Activation, error) {
	var out []Activation
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bActivations)).ForEach(func(k, v []byte) error {
			var a Activation
			if err := decodeJSON(k, v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// DeleteModel removes an inactive model version and its blob; ErrModelActive for the active one.
// Versions naming it as their parent keep the (now dangling) id.
func (s *Store) DeleteModel(id ModelID) error {
	return s.update(func(tx *bolt.Tx) error {
		models := tx.Bucket([]byte(bModels))
		k := idKey(uint64(id))
		if models.Get(k) == nil {
			return modelNotFound(id)
		}
		if activeID(tx) == id {
			return fmt.Errorf("%w: version %d; activate another version first", ErrModelActive, id)
		}
		if err := models.Delete(k); err != nil {
			return err
		}
		if blobs := tx.Bucket([]byte(bModelBlobs)); blobs.Bucket(k) != nil {
			return blobs.DeleteBucket(k)
		}
		return nil
	})
}
