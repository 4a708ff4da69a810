// Package web is the daemon's browser UI: one page (static/index.html) with its
// script and style under static/assets/, embedded in the binary. It has no build
// step and loads nothing from other sites, so it works offline; the layout
// adapts to a phone's screen. The page talks to the /api/v1 routes of package
// daemon/server only.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"
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

// Handler serves GET / (index.html) and GET /assets/… from the embedded files.
// Other paths are 404.
func Handler() http.Handler {
	files := FS()
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
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Length", strconv.Itoa(len(index)))
			if r.Method != http.MethodHead {
				w.Write(index)
			}
		case len(r.URL.Path) > len("/assets/") && r.URL.Path[:len("/assets/")] == "/assets/":
			assets.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}
