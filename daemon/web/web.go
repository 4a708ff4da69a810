// Package web is the daemon's browser UI: one page (static/index.html) with its
// script and style under static/assets/, embedded in the binary. It has no build
// step and loads nothing from other sites, so it works offline; the layout
// adapts to a phone's screen. The page talks to the /api/v1 routes of package
// daemon/server only.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

//go:embed static
var static embed.FS

// FS returns the UI's files: index.html and assets/….
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("web: " + err.Error()) // the embedded tree always has static/
	}
	return sub
}

// csp allows the page its own scripts, styles and images (including blob: and
// data: URLs it makes) and connections to its own origin only.
const csp = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Handler serves GET / (index.html) and GET /assets/… from the embedded files,
// each with an ETag (its content's digest) so that a browser revalidates
// cheaply. Other paths are 404.
func Handler() http.Handler {
	files := FS()
	etags := map[string]string{}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags["/"+name] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	if err != nil {
		panic("web: " + err.Error())
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		panic("web: " + err.Error())
	}
	assets := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		// Embedded files have no modification time: always revalidate, so a new
		// binary's UI is never mixed with an old cached script.
		h.Set("Cache-Control", "no-cache")
		switch p := r.URL.Path; {
		case p == "/" || p == "/index.html":
			etag := etags["/index.html"]
			h.Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Length", strconv.Itoa(len(index)))
			if r.Method != http.MethodHead {
				w.Write(index)
			}
		case strings.HasPrefix(p, "/assets/") && etags[p] != "":
			h.Set("ETag", etags[p]) // http.FileServerFS answers If-None-Match with 304
			assets.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
