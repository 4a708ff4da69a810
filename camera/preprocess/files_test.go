package preprocess

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestListImages(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.PNG", "a.jpg", "notes.txt", "sub/c.bmp", "sub/d.jpeg", "sub/e.gif"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		recursive bool
		want      []string
	}{
		{false, []string{"a.jpg", "b.PNG"}},
		{true, []string{"a.jpg", "b.PNG", "sub/c.bmp", "sub/d.jpeg"}},
	} {
		got, err := ListImages(dir, c.recursive)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, f := range c.want {
			want = append(want, filepath.Join(dir, f))
		}
		if !slices.Equal(got, want) {
			t.Errorf("recursive %v: %v, want %v", c.recursive, got, want)
		}
	}
	if _, err := ListImages(filepath.Join(dir, "missing"), true); err == nil {
		t.Error("a missing folder listed without error")
	}
	for _, ext := range ImageExtensions() {
		if !IsImageFile("x" + ext) {
			t.Errorf("IsImageFile(x%s) = false", ext)
		}
	}
}
