package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandler(t *testing.T) {
	h := Handler()
	for _, c := range []struct{ path, ctype, contains string }{
		{"/", "text/html", `<script src="/assets/app.js"`},
		{"/assets/app.js", "javascript", "EventSource"},
		{"/assets/app.css", "text/css", "@media"},
		{"/assets/icon.svg", "image/svg+xml", "<svg"},
	} {
		w := get(t, h, c.path, nil)
		if w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), c.ctype) || !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("GET %s: %d %q, body has %q: %v", c.path, w.Code, w.Header().Get("Content-Type"), c.contains, strings.Contains(w.Body.String(), c.contains))
		}
		if w.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s without a Content-Security-Policy", c.path)
		}
		etag := w.Header().Get("ETag")
		if etag == "" {
			t.Errorf("GET %s without an ETag", c.path)
			continue
		}
		if w := get(t, h, c.path, map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", c.path, w.Code)
		}
	}
	for _, p := range []string{"/nope", "/assets/", "/assets/nope.js", "/assets/../index.html", "/static/index.html"} {
		if w := get(t, h, p, nil); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}
}

// TestOffline: the UI loads nothing from other sites (no CDN, works offline).
// The only absolute URL allowed is the SVG namespace.
func TestOffline(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	n := 0
	err := fs.WalkDir(FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := fs.ReadFile(FS(), name)
		if err != nil {
			return err
		}
		for _, m := range url.FindAllString(string(b), -1) {
			if m != "http://www.w3.org" {
				t.Errorf("%s refers to another site: %s", name, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Fatalf("only %d embedded files", n)
	}
}

// TestStableIDs: the ids the browser tests and the script use exist in the page.
func TestStableIDs(t *testing.T) {
	b, err := fs.ReadFile(FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	js, err := fs.ReadFile(FS(), "assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
		if ids[m[1]] {
			t.Errorf("id %q twice in index.html", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`\$\("([^"]+)"\)`).FindAllStringSubmatch(string(js), -1) {
		if !ids[m[1]] {
			t.Errorf("app.js uses $(%q), which index.html lacks", m[1])
		}
	}
}
