package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Store is an open sample store. Its methods are safe for concurrent use; each is one bbolt
// transaction, so a method either has its whole effect or none (a crash in the middle leaves the
// state before it).
type Store struct {
	db    *bolt.DB
	path  string
	opts  Options
	ratio [numSplits]float64

	mu     sync.Mutex
	closed bool
}

// Open opens (creating it if needed, unless Options.ReadOnly) the store at path. A nil opts means
// the defaults. A database with an older schema is migrated in one transaction before Open
// returns; a newer one is refused with ErrSchemaTooNew. If another process holds the database,
// Open fails with ErrLocked after Options.Timeout. Training runs left "running" by a process that
// died are marked failed.
func Open(path string, opts *Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	o := opts.withDefaults()
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:         o.Timeout,
		ReadOnly:        o.ReadOnly,
		NoSync:          o.NoSync,
		InitialMmapSize: o.InitialMmapSize,
		MaxSize:         o.MaxSize,
	})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("%w: %s (waited %v; is another ocellus process using it?)", ErrLocked, path, o.Timeout)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch):
			return nil, fmt.Errorf("%w: %s: %v", ErrNotStore, path, err)
		case errors.Is(err, berrors.ErrChecksum):
			return nil, fmt.Errorf("%w: %s: both bbolt meta pages fail their checksum: %v", ErrCorrupt, path, err)
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("store %s does not exist: %w", path, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, opts: o, ratio: o.Split.normalized()}
	if err := s.prepare(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// prepare checks the schema version, migrates and recovers interrupted runs.
func (s *Store) prepare() error {
	var version uint64
	if err := s.view(func(tx *bolt.Tx) error {
		var err error
		version, err = schemaVersion(tx, s.path)
		return err
	}); err != nil {
		return err
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("%w: %s has schema version %d, this ocellus knows versions up to %d; use a newer ocellus", ErrSchemaTooNew, s.path, version, SchemaVersion)
	case version < SchemaVersion && s.opts.ReadOnly:
		return fmt.Errorf("%w: %s has schema version %d (current %d); open it read-write once to migrate", ErrNeedsMigration, s.path, version, SchemaVersion)
	case version < SchemaVersion:
		if err := s.update(func(tx *bolt.Tx) error { return s.migrate(tx, version) }); err != nil {
			return fmt.Errorf("store: migrating %s from schema %d to %d: %w", s.path, version, SchemaVersion, err)
		}
	}
	if s.opts.ReadOnly {
		return nil
	}
	return s.recoverRuns()
}

// Close closes the store. It waits for running transactions; closing twice is a no-op.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// now returns the store clock's time in UTC without a monotonic reading (what JSON keeps).
func (s *Store) now() time.Time { return s.opts.Now().UTC().Round(0) }

func (s *Store) view(fn func(*bolt.Tx) error) error   { return s.mapErr(s.db.View(fn)) }
func (s *Store) update(fn func(*bolt.Tx) error) error { return s.mapErr(s.db.Update(fn)) }

// mapErr turns bbolt and system errors into the package's sentinels.
func (s *Store) mapErr(err error) error {
	switch {
	case err == nil, errors.Is(err, ErrDiskFull):
		return err
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("%w: %s", ErrClosed, s.path)
	case errors.Is(err, berrors.ErrDatabaseReadOnly), errors.Is(err, berrors.ErrTxNotWritable):
		return fmt.Errorf("%w: %s", ErrReadOnly, s.path)
	case errors.Is(err, berrors.ErrMaxSizeReached):
		return fmt.Errorf("%w: %s reached its maximum size (%d bytes); nothing from this change was stored", ErrDiskFull, s.path, s.opts.MaxSize)
	case isNoSpace(err):
		return fmt.Errorf("%w: writing %s: %v; nothing from this change was stored", ErrDiskFull, s.path, err)
	}
	return err
}

// isNoSpace reports ENOSPC or EDQUOT. bbolt formats some file-growth errors with %s, which loses the
// errno, so the message is checked too.
func isNoSpace(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, syscall.ENOSPC.Error()) || strings.Contains(msg, syscall.EDQUOT.Error())
}
