package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RunID identifies a training run; ids increase and are never reused.
type RunID uint64

func (id RunID) String() string { return strconv.FormatUint(uint64(id), 10) }

// RunStatus is a training run's state: Running until FinishRun, then one of the final states.
type RunStatus uint8

const (
	RunRunning RunStatus = iota + 1
	RunSucceeded
	RunFailed
	RunCancelled
)

func (st RunStatus) String() string {
	switch st {
	case RunRunning:
		return "running"
	case RunSucceeded:
		return "succeeded"
	case RunFailed:
		return "failed"
	case RunCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("RunStatus(%d)", uint8(st))
}

// MarshalText writes the status name.
func (st RunStatus) MarshalText() ([]byte, error) {
	if st < RunRunning || st > RunCancelled {
		return nil, fmt.Errorf("%w: status %d", ErrInvalidRun, uint8(st))
	}
	return []byte(st.String()), nil
}

// UnmarshalText parses a status name.
func (st *RunStatus) UnmarshalText(b []byte) error {
	for v := RunRunning; v <= RunCancelled; v++ {
		if v.String() == string(b) {
			*st = v
			return nil
		}
	}
	return fmt.Errorf("%w: status %q", ErrInvalidRun, b)
}

// Metrics maps a metric name ("train_loss", "val_auc", …) to its value. In JSON a non-finite
// value (a diverged loss) is written as the string "NaN", "+Inf" or "-Inf".
type Metrics map[string]float64

// MarshalJSON writes an object of numbers, non-finite values as strings.
func (m Metrics) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch {
		case math.IsNaN(v):
			out[k] = "NaN"
		case math.IsInf(v, 1):
			out[k] = "+Inf"
		case math.IsInf(v, -1):
			out[k] = "-Inf"
		default:
			out[k] = v
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = make(Metrics, len(raw))
	for k, r := range raw {
		var v float64
		if err := json.Unmarshal(r, &v); err != nil {
			var s string
			if json.Unmarshal(r, &s) != nil {
				return fmt.Errorf("metric %q: %s is not a number", k, r)
			}
			if v, err = strconv.ParseFloat(s, 64); err != nil {
				return fmt.Errorf("metric %q: %q is not a number", k, s)
			}
		}
		(*m)[k] = v
	}
	return nil
}

// NewRun starts a training run.
type NewRun struct {
	// Config is the run's configuration as JSON (hyper-parameters, phases, seed); required.
	Config json.RawMessage
	// Base is the model version the run starts from (0: none).
	Base ModelID
}

// Run describes a training run; its epochs are read with Epochs, its files with RunArtifact.
type Run struct {
	ID       RunID           `json:"id"`
	Config   json.RawMessage `json:"config"`
	Base     ModelID         `json:"base,omitempty"`
	Status   RunStatus       `json:"status"`
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished,omitzero"`
	// Error says why a run failed or was cancelled.
	Error string `json:"error,omitempty"`
	// Result is the final metrics as JSON (set by FinishRun); Model the version the run produced.
	Result json.RawMessage `json:"result,omitempty"`
	Model  ModelID         `json:"model,omitempty"`
	// Epochs is how many epochs were appended.
	Epochs int `json:"epochs"`
}

// Duration is Finished − Started, or the time since Started while the run is running (by the
// store's clock, given as now).
func (r Run) Duration(now time.Time) time.Duration {
	if r.Finished.IsZero() {
		return now.Sub(r.Started)
	}
	return r.Finished.Sub(r.Started)
}

// Epoch is one epoch's record.
type Epoch struct {
	// Phase names the training phase ("head", "finetune"); Epoch counts from 1 within it.
	Phase   string  `json:"phase,omitempty"`
	Epoch   int     `json:"epoch"`
	Metrics Metrics `json:"metrics"`
	// Duration is the epoch's wall time; At when it ended (zero: the store's clock at append).
	Duration time.Duration `json:"duration_ns"`
	At       time.Time     `json:"at"`
}

// RunResult finishes a run.
type RunResult struct {
	// Status must be RunSucceeded, RunFailed or RunCancelled.
	Status RunStatus
	Error  string
	// Result is the final metrics as JSON (optional).
	Result json.RawMessage
	// Model, if not nil, is stored as a new version (its Run set to this run) in the same
	// transaction that finishes the run; with ActivateBy set it is also activated there. So a
	// crash leaves either a running run and no new version, or the finished run with its version.
	Model      *NewModel
	ActivateBy string
}

const (
	kInfo      = "info"
	kEpochs    = "epochs"
	kArtifacts = "artifacts"
)

func runNotFound(id RunID) error { return fmt.Errorf("%w: run %d", ErrNotFound, id) }

// runBucket returns the bucket of run id; ErrNotFound if there is none.
func runBucket(tx *bolt.Tx, id RunID) (*bolt.Bucket, error) {
	b := tx.Bucket([]byte(bRuns)).Bucket(idKey(uint64(id)))
	if b == nil {
		return nil, runNotFound(id)
	}
	return b, nil
}

func readRun(b *bolt.Bucket) (Run, error) {
	var r Run
	if err := getJSON(b, []byte(kInfo), &r); err != nil {
		return r, fmt.Errorf("%w: run without info: %v", ErrCorrupt, err)
	}
	r.Epochs = int(b.Bucket([]byte(kEpochs)).Sequence())
	return r, nil
}

// StartRun records a new run in the running state and returns it.
func (s *Store) StartRun(nr NewRun) (Run, error) {
	if len(nr.Config) == 0 || !json.Valid(nr.Config) {
		return Run{}, fmt.Errorf("%w: config is not valid JSON", ErrInvalidRun)
	}
	var r Run
	err := s.update(func(tx *bolt.Tx) error {
		if nr.Base != 0 && tx.Bucket([]byte(bModels)).Get(idKey(uint64(nr.Base))) == nil {
			return fmt.Errorf("base: %w", modelNotFound(nr.Base))
		}
		runs := tx.Bucket([]byte(bRuns))
		seq, err := runs.NextSequence()
		if err != nil {
			return err
		}
		b, err := runs.CreateBucket(idKey(seq))
		if err != nil {
			return err
		}
		for _, name := range []string{kEpochs, kArtifacts} {
			if _, err := b.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		r = Run{ID: RunID(seq), Config: nr.Config, Base: nr.Base, Status: RunRunning, Started: s.now()}
		return putJSON(b, []byte(kInfo), r)
	})
	return r, err
}

// AppendEpoch appends one epoch's metrics to a running run; ErrRunFinished once it finished.
func (s *Store) AppendEpoch(id RunID, e Epoch) error {
	if err := validText("phase", e.Phase); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRun, err)
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.At = e.At.UTC().Round(0)
	return s.update(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		r, err := readRun(b)
		if err != nil {
			return err
		}
		if r.Status != RunRunning {
			return fmt.Errorf("%w: run %d is %s", ErrRunFinished, id, r.Status)
		}
		epochs := b.Bucket([]byte(kEpochs))
		seq, err := epochs.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(epochs, idKey(seq), e)
	})
}

// FinishRun moves a running run to its final status, and stores (and optionally activates) the
// model version it produced, all in one transaction. It returns the finished run.
func (s *Store) FinishRun(id RunID, res RunResult) (Run, error) {
	switch res.Status {
	case RunSucceeded, RunFailed, RunCancelled:
	default:
		return Run{}, fmt.Errorf("%w: final status %v (want succeeded, failed or cancelled)", ErrInvalidRun, res.Status)
	}
	if res.Result != nil && !json.Valid(res.Result) {
		return Run{}, fmt.Errorf("%w: result is not valid JSON", ErrInvalidRun)
	}
	if err := validText("error", res.Error); err != nil {
		return Run{}, fmt.Errorf("%w: %v", ErrInvalidRun, err)
	}
	var r Run
	err := s.update(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		if r, err = readRun(b); err != nil {
			return err
		}
		if r.Status != RunRunning {
			return fmt.Errorf("%w: run %d is %s", ErrRunFinished, id, r.Status)
		}
		r.Status, r.Error, r.Result, r.Finished = res.Status, res.Error, res.Result, s.now()
		if res.Model != nil {
			nm := *res.Model
			nm.Run = id
			mv, err := s.addModelTx(tx, nm)
			if err != nil {
				return err
			}
			r.Model = mv.ID
			if res.ActivateBy != "" {
				if _, err := s.activateTx(tx, mv.ID, res.ActivateBy); err != nil {
					return err
				}
			}
		}
		return putJSON(b, []byte(kInfo), r)
	})
	return r, err
}

// Run returns one run; ErrNotFound if there is none with that id.
func (s *Store) Run(id RunID) (Run, error) {
	var r Run
	err := s.view(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		r, err = readRun(b)
		return err
	})
	return r, err
}

// Runs returns every run by increasing id.
func (s *Store) Runs() ([]Run, error) {
	var out []Run
	err := s.view(func(tx *bolt.Tx) error {
		runs := tx.Bucket([]byte(bRuns))
		return runs.ForEachBucket(func(k []byte) error {
			r, err := readRun(runs.Bucket(k))
			out = append(out, r)
			return err
		})
	})
	return out, err
}

// Epochs returns a run's epochs in the order they were appended.
func (s *Store) Epochs(id RunID) ([]Epoch, error) {
	var out []Epoch
	err := s.view(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		return b.Bucket([]byte(kEpochs)).ForEach(func(k, v []byte) error {
			var e Epoch
			if err := decodeJSON(k, v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// PutRunArtifact stores (or replaces) a file of a run: a report, a curve, a confusion matrix.
// The name follows the label rules (it may become a file name).
func (s *Store) PutRunArtifact(id RunID, name string, data []byte) error {
	if err := validName("artifact", name, ErrInvalidRun); err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		return b.Bucket([]byte(kArtifacts)).Put([]byte(name), data)
	})
}

// RunArtifact returns a copy of a run's file; ErrNotFound if it has none of that name.
func (s *Store) RunArtifact(id RunID, name string) ([]byte, error) {
	var data []byte
	err := s.view(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		v := b.Bucket([]byte(kArtifacts)).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: run %d has no artifact %q", ErrNotFound, id, name)
		}
		data = bytes.Clone(v)
		return nil
	})
	return data, err
}

// RunArtifacts lists a run's file names, sorted.
func (s *Store) RunArtifacts(id RunID) ([]string, error) {
	var names []string
	err := s.view(func(tx *bolt.Tx) error {
		b, err := runBucket(tx, id)
		if err != nil {
			return err
		}
		return b.Bucket([]byte(kArtifacts)).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// interruptedRun is the Error of a run that recoverRuns marked failed.
const interruptedRun = "interrupted: the process running it ended before it finished"

// recoverRuns marks runs still "running" as failed. It is called by a read-write Open, which holds
// bbolt's exclusive lock, so no live process can be running them.
func (s *Store) recoverRuns() error {
	var stale []RunID
	err := s.view(func(tx *bolt.Tx) error {
		runs := tx.Bucket([]byte(bRuns))
		return runs.ForEachBucket(func(k []byte) error {
			r, err := readRun(runs.Bucket(k))
			if err == nil && r.Status == RunRunning {
				stale = append(stale, r.ID)
			}
			return err
		})
	})
	if err != nil || len(stale) == 0 {
		return err
	}
	for _, id := range stale {
		if _, err := s.FinishRun(id, RunResult{Status: RunFailed, Error: interruptedRun}); err != nil {
			return fmt.Errorf("store: marking interrupted run %d failed: %w", id, err)
		}
	}
	return nil
}
