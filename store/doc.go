// Package store keeps what an ocellus board learns from: labelled samples (the frame as JPEG with
// its label, split, source, capture time, the prediction made at capture and free metadata), the
// label set, model versions (weights and graph, metrics, parent, who activated them), training
// runs (config, per-epoch metrics, status, timings, report files) and a cache of backbone
// features. It is one bbolt file.
//
//	st, err := store.Open("ocellus-data/ocellus.db", nil) // nil Options: the defaults
//	defer st.Close()
//	st.AddLabel("bees")
//	smp, err := st.AddSample(store.NewSample{Image: jpegBytes, Label: "bees", Source: "camera"})
//
// # Transactions and durability
//
// Every method is one bbolt transaction: it has its whole effect or none. A committed transaction
// is on disk (fsync) when the method returns, unless Options.NoSync. A process killed at any
// moment leaves the database as of its last commit: AddSamples commits a batch at once, so a
// caller that reports a sample after AddSamples returns never reports one that is lost
// (cmd/ocellus tests this by SIGKILLing real imports). FinishRun stores, and optionally activates,
// the model version a run produced in the same transaction that marks the run finished. A
// read-write Open marks runs still "running" as failed: bbolt's exclusive file lock means the
// process that ran them is gone.
//
// A commit that fails — the disk is full (ErrDiskFull), Options.MaxSize is reached — is rolled
// back by bbolt; what was stored before stays readable, and the store stays usable.
//
// # Samples
//
// Ids are allocated in increasing order and never reused. An image is validated by decoding it
// (camera/preprocess.DecodeBytes: BMP, JPEG, PNG, with size limits); a JPEG is stored byte for
// byte, other formats are re-encoded as JPEG at quality 95. The SHA-256 of the stored bytes is
// indexed: adding an image that is already stored yields ErrDuplicate and the stored sample, so
// re-running an import adds nothing twice.
//
// # Splits
//
// A sample's split (train, val or test) is chosen when it is added and never changes. Given
// explicitly (an import from DIR/{train,val,test}/LABEL/), it is kept. Otherwise it is assigned per
// label so that each label's samples follow the ratio (Options.Split, default 70/15/15): with c_s
// samples of the label already in split s and n = c_train + c_val + c_test + 1, the new sample goes
// to the split with the largest deficit r_s·n − c_s; ties (common, e.g. val and test) go by
// FNV-1a(label, 0, sample id) mod the number of tied splits. This is deterministic — a function of
// the label, the sample id and the label's current counts — and stratified exactly: after any number
// of automatic assignments each label's count in each split is within one of its share, so with
// 70/15/15 a label has a validation and a test sample as soon as it has five samples, not by chance
// as with a pure hash of the id (which leaves 5 samples without a validation one 44% of the time). Deleting or relabelling samples can unbalance the counts; later additions to that
// label then fill the emptier splits first. CheckTrainable reports labels with too few samples per
// split (by default: fewer than two classes, or a label without a train or a val sample).
//
// # Layout (schema version 2)
//
//	meta          "schema" → 8-byte version, "active_model" → model id, "created" → RFC 3339 time
//	labels        label name → {created, counts per split}
//	samples       sample id → Sample as JSON (the bucket's sequence allocates ids)
//	images        sample id → JPEG bytes
//	digests       SHA-256 of the JPEG → sample id
//	models        model id → ModelVersion as JSON
//	model_blobs   model id → {chunk index → ≤ 1 MiB of the blob}
//	activations   sequence → Activation as JSON (the history)
//	runs          run id → {"info" → Run as JSON, "epochs" → {seq → Epoch}, "artifacts" → {name → bytes}}
//	features      backbone key → {"dim" → uint32, "vec" → {sample id → float32 little-endian}}
//	inbox         inbox id → InboxItem as JSON (the bucket's sequence allocates ids; since v2)
//	inbox_images  inbox id → JPEG bytes (since v2)
//
// Ids are 8-byte big-endian keys, so buckets iterate in id order. Images live apart from their
// records so that listing samples reads no image bytes.
//
// # Schema versions
//
// Open reads meta/schema. A newer version is refused (ErrSchemaTooNew); an older one is migrated
// in one transaction by the ordered list of migrations (each from version i to i+1). Version 0 is
// both a new, empty file and the prototype layout (a samples and an images bucket, no meta); the
// migration to 1 creates the buckets and rebuilds the label set, split counts and digests from the
// samples; the one to 2 adds the inbox buckets. Verify checks every invariant above.
//
// # Concurrency and locking
//
// A Store is safe for concurrent use. bbolt holds an exclusive lock on the file while a store is
// open read-write (a shared one for Options.ReadOnly): a second process waits Options.Timeout,
// then gets ErrLocked. Read transactions (listing, Backup, Features) never block the writer while
// the file fits in the initial memory map (Options.InitialMmapSize, 64 MiB by default, at most
// 1 GiB on 32-bit platforms); beyond it, a writer that must grow the map waits for them.
package store
