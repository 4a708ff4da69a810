package preprocess

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// ImageExtensions returns the file extensions of the formats Decode reads
// (JPEG, PNG, BMP), lower case with the dot.
func ImageExtensions() []string { return []string{".jpg", ".jpeg", ".png", ".bmp"} }

// IsImageFile reports whether name ends in one of ImageExtensions
// (case-insensitive).
func IsImageFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".bmp":
		return true
	}
	return false
}

// ListImages returns the files under dir whose names pass IsImageFile —
// in its subfolders too when recursive — sorted by path.
func ListImages(dir string, recursive bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if IsImageFile(p) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}
