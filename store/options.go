package store

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Defaults used where Options (or one of its fields) is left zero.
const (
	// DefaultTimeout is how long Open waits for another process to release the database.
	DefaultTimeout = time.Second
	// DefaultInitialMmapSize is the initial size of bbolt's memory map. While the database fits in
	// it, a long read transaction (a backup, a training epoch) never blocks a writer that grows the
	// file. It is address space, not memory: the pages are the file's, read on demand.
	DefaultInitialMmapSize = 64 << 20
	// MaxInitialMmapSize bounds Options.InitialMmapSize: 1 GiB on 32-bit platforms, whose 3 GiB of
	// user address space must also hold the heap and the model arenas; 1 TiB elsewhere.
	MaxInitialMmapSize = 1 << (30 + 10*(bits.UintSize/64))
)

// Options configures Open. A nil *Options, and every zero field, means the default.
type Options struct {
	// Timeout is how long Open waits for the file lock another process holds before failing with
	// ErrLocked. Zero means DefaultTimeout; negative is invalid.
	Timeout time.Duration
	// ReadOnly opens the database with a shared lock: several read-only openers may coexist, but
	// not with a writer. Writes fail with ErrReadOnly; no migration runs.
	ReadOnly bool
	// NoSync skips fsync after each commit. A crash of the machine (not of the process) may then
	// lose or corrupt recent commits. For tests and throwaway stores only.
	NoSync bool
	// InitialMmapSize is bbolt's initial memory-map size in bytes. Zero means
	// DefaultInitialMmapSize; at most MaxInitialMmapSize.
	InitialMmapSize int
	// MaxSize caps the database file in bytes: a commit that would grow it beyond fails with
	// ErrDiskFull. Zero means no cap (the file system's free space is the limit).
	MaxSize int
	// Split is the share of train, validation and test samples automatic split assignment aims
	// for (see the package documentation). The zero value means DefaultSplitRatio.
	Split SplitRatio
	// Now is the clock for capture, creation and activation times. Nil means time.Now.
	Now func() time.Time
}

// SplitRatio is the share of each split; only the proportions matter (70/15/15 = 0.7/0.15/0.15).
type SplitRatio struct {
	Train, Val, Test float64
}

// DefaultSplitRatio is 70% train, 15% validation, 15% test.
func DefaultSplitRatio() SplitRatio { return SplitRatio{Train: 0.70, Val: 0.15, Test: 0.15} }

// Validate reports a ratio with a negative or non-finite share, or no positive share at all.
func (r SplitRatio) Validate() error {
	for _, v := range [...]float64{r.Train, r.Val, r.Test} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: split ratio %g/%g/%g has a negative or non-finite share", ErrInvalidOptions, r.Train, r.Val, r.Test)
		}
	}
	if r.Train+r.Val+r.Test <= 0 {
		return fmt.Errorf("%w: split ratio %g/%g/%g has no positive share", ErrInvalidOptions, r.Train, r.Val, r.Test)
	}
	return nil
}

// normalized returns the shares scaled to sum to 1, indexed by Split.
func (r SplitRatio) normalized() [numSplits]float64 {
	sum := r.Train + r.Val + r.Test
	return [numSplits]float64{Train: r.Train / sum, Val: r.Val / sum, Test: r.Test / sum}
}

// Validate reports out-of-range fields. A nil *Options is valid.
func (o *Options) Validate() error {
	if o == nil {
		return nil
	}
	if o.Timeout < 0 {
		return fmt.Errorf("%w: Timeout %v is negative", ErrInvalidOptions, o.Timeout)
	}
	if o.InitialMmapSize < 0 || o.InitialMmapSize > MaxInitialMmapSize {
		return fmt.Errorf("%w: InitialMmapSize %d is outside [0, %d] on this platform", ErrInvalidOptions, o.InitialMmapSize, MaxInitialMmapSize)
	}
	if o.MaxSize < 0 {
		return fmt.Errorf("%w: MaxSize %d is negative", ErrInvalidOptions, o.MaxSize)
	}
	if o.Split != (SplitRatio{}) {
		if err := o.Split.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// withDefaults returns a copy of o (which may be nil) with every zero field set to its default.
func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Timeout == 0 {
		r.Timeout = DefaultTimeout
	}
	if r.InitialMmapSize == 0 {
		r.InitialMmapSize = DefaultInitialMmapSize
	}
	if r.Split == (SplitRatio{}) {
		r.Split = DefaultSplitRatio()
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r
}
