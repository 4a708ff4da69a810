package store

import (
	"encoding/binary"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// MaxBackboneKeyLen bounds a backbone key (a digest of the frozen backbone's graph and weights).
const MaxBackboneKeyLen = 256

const (
	kDim = "dim"
	kVec = "vec"
)

// FeatureSet describes the cached vectors of one backbone.
type FeatureSet struct {
	Backbone string `json:"backbone"`
	Dim      int    `json:"dim"`
	Count    int    `json:"count"`
}

// FeatureMatrix holds the vectors of a list of samples, row i for ids[i].
type FeatureMatrix struct {
	// Dim is the vector length (0 when nothing is cached for the backbone).
	Dim int
	// Data has len(ids)·Dim values; the rows of missing samples are zero.
	Data []float32
	// Missing lists the indices (into ids) of samples with no cached vector.
	Missing []int
}

// Row returns row i.
func (m FeatureMatrix) Row(i int) []float32 { return m.Data[i*m.Dim : (i+1)*m.Dim] }

func checkBackbone(backbone string) error {
	if backbone == "" || len(backbone) > MaxBackboneKeyLen {
		return fmt.Errorf("%w: backbone key %.40q must have 1 to %d bytes", ErrInvalidFeatures, backbone, MaxBackboneKeyLen)
	}
	return nil
}

// PutFeatures caches one vector per sample for a backbone, in one transaction, replacing any
// vector cached before. Every vector of a backbone has the same length (ErrInvalidFeatures
// otherwise). Ids of samples deleted meanwhile are skipped; PutFeatures returns how many vectors
// it stored.
func (s *Store) PutFeatures(backbone string, ids []SampleID, vecs [][]float32) (int, error) {
	if err := checkBackbone(backbone); err != nil {
		return 0, err
	}
	if len(ids) != len(vecs) {
		return 0, fmt.Errorf("%w: %d ids but %d vectors", ErrInvalidFeatures, len(ids), len(vecs))
	}
	if len(ids) == 0 {
		return 0, nil
	}
	dim := len(vecs[0])
	for i, v := range vecs {
		if len(v) != dim || dim == 0 {
			return 0, fmt.Errorf("%w: vector %d (sample %d) has %d values, vector 0 has %d", ErrInvalidFeatures, i, ids[i], len(v), dim)
		}
	}
	stored := 0
	err := s.update(func(tx *bolt.Tx) error {
		fb, err := tx.Bucket([]byte(bFeatures)).CreateBucketIfNotExists([]byte(backbone))
		if err != nil {
			return err
		}
		if d := fb.Get([]byte(kDim)); d != nil {
			if have := int(binary.BigEndian.Uint32(d)); have != dim {
				return fmt.Errorf("%w: backbone %q caches %d-value vectors, got %d", ErrInvalidFeatures, backbone, have, dim)
			}
		} else if err := fb.Put([]byte(kDim), binary.BigEndian.AppendUint32(nil, uint32(dim))); err != nil {
			return err
		}
		vb, err := fb.CreateBucketIfNotExists([]byte(kVec))
		if err != nil {
			return err
		}
		samples := tx.Bucket([]byte(bSamples))
		for i, id := range ids {
			k := idKey(uint64(id))
			if samples.Get(k) == nil {
				continue
			}
			buf := make([]byte, 4*dim)
			for j, f := range vecs[i] {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(f))
			}
			if err := vb.Put(k, buf); err != nil {
				return err
			}
			stored++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return stored, nil
}

// Features reads the cached vectors of ids for a backbone; samples without one are listed in
// Missing (for the caller to compute and PutFeatures).
func (s *Store) Features(backbone string, ids []SampleID) (FeatureMatrix, error) {
	var m FeatureMatrix
	if err := checkBackbone(backbone); err != nil {
		return m, err
	}
	err := s.view(func(tx *bolt.Tx) error {
		fb := tx.Bucket([]byte(bFeatures)).Bucket([]byte(backbone))
		if fb == nil || fb.Bucket([]byte(kVec)) == nil {
			m.Missing = make([]int, len(ids))
			for i := range ids {
				m.Missing[i] = i
			}
			return nil
		}
		m.Dim = int(binary.BigEndian.Uint32(fb.Get([]byte(kDim))))
		m.Data = make([]float32, len(ids)*m.Dim)
		vb := fb.Bucket([]byte(kVec))
		for i, id := range ids {
			v := vb.Get(idKey(uint64(id)))
			if v == nil {
				m.Missing = append(m.Missing, i)
				continue
			}
			if len(v) != 4*m.Dim {
				return fmt.Errorf("%w: backbone %q sample %d: %d bytes, want %d", ErrCorrupt, backbone, id, len(v), 4*m.Dim)
			}
			row := m.Row(i)
			for j := range row {
				row[j] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*j:]))
			}
		}
		return nil
	})
	return m, err
}

// FeatureSets lists the backbones with cached vectors.
func (s *Store) FeatureSets() ([]FeatureSet, error) {
	var out []FeatureSet
	err := s.view(func(tx *bolt.Tx) error {
		fs := tx.Bucket([]byte(bFeatures))
		return fs.ForEachBucket(func(k []byte) error {
			fb := fs.Bucket(k)
			set := FeatureSet{Backbone: string(k)}
			if d := fb.Get([]byte(kDim)); len(d) == 4 {
				set.Dim = int(binary.BigEndian.Uint32(d))
			}
			if vb := fb.Bucket([]byte(kVec)); vb != nil {
				set.Count = vb.Stats().KeyN
			}
			out = append(out, set)
			return nil
		})
	})
	return out, err
}

// DropFeatures deletes every vector cached for a backbone (no error if there is none).
func (s *Store) DropFeatures(backbone string) error {
	if err := checkBackbone(backbone); err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		fs := tx.Bucket([]byte(bFeatures))
		if fs.Bucket([]byte(backbone)) == nil {
			return nil
		}
		return fs.DeleteBucket([]byte(backbone))
	})
}

// deleteFeaturesOf removes a sample's vectors (key k) from every backbone.
func deleteFeaturesOf(tx *bolt.Tx, k []byte) error {
	fs := tx.Bucket([]byte(bFeatures))
	var names [][]byte
	if err := fs.ForEachBucket(func(name []byte) error {
		names = append(names, name)
		return nil
	}); err != nil {
		return err
	}
	for _, name := range names {
		if vb := fs.Bucket(name).Bucket([]byte(kVec)); vb != nil {
			if err := vb.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}
