package store

import "errors"

// Sentinel errors. Methods wrap them with %w and the context a user needs (the sample id, the label,
// the file), so callers test with errors.Is.
var (
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrLocked: another process has the database open (bbolt holds an exclusive file lock while a
	// store is open for writing); Open waited Options.Timeout for it.
	ErrLocked = errors.New("store: store is locked by another process")
	// ErrNotStore: the file exists but is not an ocellus store (not a bbolt file, or a bbolt file
	// without the store's buckets).
	ErrNotStore = errors.New("store: not an ocellus store")
	// ErrSchemaTooNew: the database was written by a newer ocellus with a schema this one does not
	// know; it is refused rather than misread.
	ErrSchemaTooNew = errors.New("store: schema version is newer than this program supports")
	// ErrNeedsMigration: a read-only open found an older schema; open it once read-write to migrate.
	ErrNeedsMigration = errors.New("store: schema needs migrating")
	// ErrInvalidOptions: an Options field is out of range.
	ErrInvalidOptions = errors.New("store: invalid options")
	// ErrReadOnly: a write on a store opened with Options.ReadOnly.
	ErrReadOnly = errors.New("store: opened read-only")
	// ErrDiskFull: the file system is full (ENOSPC, EDQUOT) or the database reached Options.MaxSize.
	// The transaction was rolled back: nothing from it was stored, everything before it is intact.
	ErrDiskFull = errors.New("store: disk full")
	// ErrCorrupt: Verify found an inconsistency.
	ErrCorrupt = errors.New("store: inconsistent database")

	// ErrNotFound: no sample, model version, run, artifact or feature vector with that key.
	ErrNotFound = errors.New("store: not found")
	// ErrInvalidImage: the image bytes do not decode as BMP, JPEG or PNG (corrupt, truncated, too
	// large); the decoder's error is wrapped too.
	ErrInvalidImage = errors.New("store: invalid image")
	// ErrInvalidSample: a sample field is out of range (confidence outside [0, 1], metadata too
	// large, text that is not UTF-8, …).
	ErrInvalidSample = errors.New("store: invalid sample")
	// ErrDuplicate: a sample with the same image bytes (SHA-256) is already stored.
	ErrDuplicate = errors.New("store: duplicate sample")

	// ErrInvalidLabel: a label name is empty, too long, not UTF-8, has control characters or path
	// separators, or is "." or "..".
	ErrInvalidLabel = errors.New("store: invalid label")
	// ErrUnknownLabel: the label is not in the store's label set (add it with AddLabel first).
	ErrUnknownLabel = errors.New("store: unknown label")
	// ErrLabelExists: AddLabel or RenameLabel to a name already in the label set.
	ErrLabelExists = errors.New("store: label already exists")
	// ErrLabelInUse: DeleteLabel of a label that samples still carry.
	ErrLabelInUse = errors.New("store: label in use")

	// ErrTooFewClasses: fewer labels than a training run needs (a store with one class).
	ErrTooFewClasses = errors.New("store: too few classes")
	// ErrTooFewSamples: some label has fewer samples in some split than a training run needs.
	ErrTooFewSamples = errors.New("store: too few samples")

	// ErrInvalidModel: a model version is missing its blob, or its metrics are not JSON.
	ErrInvalidModel = errors.New("store: invalid model version")
	// ErrNoActiveModel: no model version was ever activated.
	ErrNoActiveModel = errors.New("store: no active model")
	// ErrModelActive: DeleteModel of the active model version.
	ErrModelActive = errors.New("store: model version is active")

	// ErrInvalidRun: a run's config or result is not JSON, an artifact name is invalid, or a
	// status is not a final one.
	ErrInvalidRun = errors.New("store: invalid run")
	// ErrRunFinished: the run has already finished; it can no longer change.
	ErrRunFinished = errors.New("store: run already finished")

	// ErrInvalidFeatures: a backbone key is empty or too long, or a vector's length differs from
	// the backbone's.
	ErrInvalidFeatures = errors.New("store: invalid feature vector")
)
