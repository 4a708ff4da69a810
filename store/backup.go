package store

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the database to w while the store stays in use: it is one
// read transaction (bbolt's Tx.WriteTo), so writers continue and the copy is the state at its
// start. The copy is a complete store file; it returns the number of bytes written.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupFile writes a backup to path atomically: into a temporary file beside it, synced, then
// renamed over path (and the folder synced), so path is either the old file or the complete new
// copy, never a partial one. The file is created with mode 0600 (it holds every sample). It
// refuses to overwrite the store's own file.
func (s *Store) BackupFile(path string) (int64, error) {
	if fi, err := os.Stat(path); err == nil {
		if own, err := os.Stat(s.path); err == nil && os.SameFile(fi, own) {
			return 0, fmt.Errorf("store: backup target %s is the store itself", path)
		}
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return 0, s.mapErr(fmt.Errorf("store: backup: %w", err))
	}
	n, err := s.Backup(tmp)
	if err == nil {
		err = s.mapErr(tmp.Sync())
	}
	if cerr := tmp.Close(); err == nil {
		err = s.mapErr(cerr)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, fmt.Errorf("store: backup to %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable; not every file system supports syncing a folder
		d.Close()
	}
	return n, nil
}
