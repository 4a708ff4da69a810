// Package server is the daemon's HTTP API over an api.Engine: the /api/v1 JSON
// routes, server-sent events, the snapshot and MJPEG live view, Prometheus
// /metrics and the embedded web UI (package daemon/web).
//
// Every route, with its method, is in the table built by routes; the table is
// what New registers and what the tests iterate over, so that no route escapes
// the authentication test. Errors are JSON, {"error":"..."}, with the status
// codes of errorStatus: 400 bad input, 401 missing or wrong token, 403
// cross-origin mutating request, 404 not found, 409 busy or conflict (a
// duplicate image, too few samples to train, …), 413 body too large, 503 no
// frame yet or not ready, 507 disk full.
//
// The routes (request and answer shapes are in package daemon/api and store):
//
//	GET    /api/v1/health                       {"status":"ok"}
//	GET    /api/v1/ready                        200 {"ready":true} or 503 {"ready":false}
//	GET    /api/v1/status                       api.Status
//	GET    /api/v1/cameras/{cam}/prediction     api.Prediction
//	GET    /api/v1/cameras/{cam}/snapshot.jpg   the newest frame (header X-Frame-Seq)
//	GET    /api/v1/cameras/{cam}/live.mjpeg     multipart/x-mixed-replace JPEGs, ?fps=1..30 (10)
//	POST   /api/v1/cameras/{cam}/capture        {"label":"x"} → 201 store.Sample (the current frame)
//	GET    /api/v1/events                       server-sent events, ?types=prediction,training,model,sample,inbox
//	GET    /api/v1/samples                      ?label=&split=&after=&limit= → {"samples":[…],"next_after":id|0}
//	POST   /api/v1/samples                      multipart: file "image", field "label" → 201 store.Sample
//	GET    /api/v1/samples/{id}                 store.Sample
//	GET    /api/v1/samples/{id}/image.jpg       the JPEG
//	PATCH  /api/v1/samples/{id}                 {"label":"y"} → store.Sample
//	DELETE /api/v1/samples/{id}                 204
//	GET    /api/v1/labels                       [store.Label]
//	POST   /api/v1/labels                       {"name":"x"} → 201 {"name":"x"}
//	GET    /api/v1/inbox                        [api.InboxItem]
//	GET    /api/v1/inbox/{id}/image.jpg         the JPEG
//	POST   /api/v1/inbox/{id}/label             {"label":"x"} → 201 store.Sample
//	DELETE /api/v1/inbox/{id}                   204
//	POST   /api/v1/training                     202 {"run":id}; 409 if one is running
//	GET    /api/v1/training                     api.Training
//	DELETE /api/v1/training                     202; 409 if none is running
//	GET    /api/v1/runs                         [store.Run], newest first
//	GET    /api/v1/runs/{id}                    {"run":store.Run,"epochs":[store.Epoch],"artifacts":[names]}
//	GET    /api/v1/runs/{id}/artifacts/{name}   the file, typed by its extension
//	GET    /api/v1/models                       {"models":[store.ModelVersion],"active":api.ModelInfo}
//	POST   /api/v1/models/{id}/activate         api.ModelInfo
//	POST   /api/v1/models/rollback              api.ModelInfo; 409 without a previous model
//	GET    /api/v1/models/{id}/export           ONNX bytes as an attachment
//	GET    /metrics                             Options.Metrics (Prometheus text)
//	GET    /, /assets/…                         the web UI (package daemon/web)
//
// A duplicate image (capture, upload, inbox) answers 409 with the stored sample:
// {"error":"…","sample":{…}}.
//
// Events are "event: TYPE\ndata: JSON\n\n"; a camera's predictions are thinned
// to at most 10 per second per client (the newest one held back is sent when
// its turn comes), a ": ping" comment goes out every 15 s, and the stream ends
// when the client leaves or the engine closes the subscription. The engine
// never waits for a client: its subscription drops what a slow one cannot take.
//
// Mutating requests (any method but GET, HEAD and OPTIONS) are refused 403 when
// they come from another origin (http.CrossOriginProtection: Sec-Fetch-Site, or
// an Origin whose host differs from Host), whatever the authentication, and,
// when Options.RequireAuth, refused 401 without "Authorization: Bearer TOKEN".
//
// Streaming routes (events, live.mjpeg) push a write deadline before each
// write, so a server-wide http.Server.WriteTimeout does not cut them off while a
// stalled client is still dropped.
package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/daemon/web"
	"github.com/ocellus/ocellus/store"
)

// Limits and defaults.
const (
	// MaxJSONBody bounds a JSON request body.
	MaxJSONBody = 64 << 10
	// multipartSlack is what an upload's body may hold beyond Options.MaxUpload:
	// the multipart envelope and the small fields.
	multipartSlack = 64 << 10
	// DefaultMJPEGFPS is live.mjpeg's frame rate without ?fps; MaxMJPEGFPS bounds it.
	DefaultMJPEGFPS = 10
	MaxMJPEGFPS     = 30
	// DefaultPageSize and MaxPageSize bound GET /api/v1/samples?limit=.
	DefaultPageSize = 100
	MaxPageSize     = 1000
	// eventBuffer is the capacity of an SSE client's subscription.
	eventBuffer = 64
	// streamWriteTimeout is how long one write of a stream may take before the
	// client is dropped.
	streamWriteTimeout = 30 * time.Second
)

// Options configures the server.
type Options struct {
	// Token is the bearer token mutating requests carry when RequireAuth.
	Token string
	// RequireAuth makes every mutating request need "Authorization: Bearer Token"
	// (true when the daemon listens off loopback).
	RequireAuth bool
	// MaxUpload bounds an uploaded image (POST /api/v1/samples); zero means
	// store.MaxImageBytes. JSON bodies are bounded by MaxJSONBody.
	MaxUpload int64
	// Metrics is served at /metrics (Prometheus text); nil answers 404.
	Metrics http.Handler
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
}

// server holds what the handlers share.
type server struct {
	e        api.Engine
	o        Options
	log      *slog.Logger
	tokenSum [sha256.Size]byte
	csrf     *http.CrossOriginProtection

	// Stream timing; New sets the documented values, tests shorten them.
	pingEvery    time.Duration // SSE comment line ": ping"
	predictEvery time.Duration // least interval between two predictions of a camera, per client
}

// route is one entry of the route table.
type route struct {
	method, path string // path is an http.ServeMux pattern path ("/api/v1/samples/{id}")
	h            http.HandlerFunc
}

// New returns the HTTP handler of the daemon's API and UI over e. It fails when
// RequireAuth is set without a Token, or MaxUpload is negative.
func New(e api.Engine, o Options) (http.Handler, error) {
	s, err := newServer(e, o)
	if err != nil {
		return nil, err
	}
	return s.handler(), nil
}

func newServer(e api.Engine, o Options) (*server, error) {
	if e == nil {
		return nil, errors.New("server: nil engine")
	}
	if o.RequireAuth && o.Token == "" {
		return nil, errors.New("server: RequireAuth without a Token")
	}
	if o.MaxUpload < 0 {
		return nil, fmt.Errorf("server: negative MaxUpload %d", o.MaxUpload)
	}
	if o.MaxUpload == 0 {
		o.MaxUpload = store.MaxImageBytes
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{
		e:            e,
		o:            o,
		log:          log,
		tokenSum:     sha256.Sum256([]byte(o.Token)),
		csrf:         http.NewCrossOriginProtection(),
		pingEvery:    15 * time.Second,
		predictEvery: 100 * time.Millisecond,
	}
	return s, nil
}

// routes is the route table: every API route, the metrics and the UI.
func (s *server) routes() []route {
	ui := web.Handler()
	return []route{
		{"GET", "/api/v1/health", s.health},
		{"GET", "/api/v1/ready", s.ready},
		{"GET", "/api/v1/status", s.status},
		{"GET", "/api/v1/cameras/{cam}/prediction", s.prediction},
		{"GET", "/api/v1/cameras/{cam}/snapshot.jpg", s.snapshot},
		{"GET", "/api/v1/cameras/{cam}/live.mjpeg", s.live},
		{"POST", "/api/v1/cameras/{cam}/capture", s.capture},
		{"GET", "/api/v1/events", s.events},
		{"GET", "/api/v1/samples", s.listSamples},
		{"POST", "/api/v1/samples", s.uploadSample},
		{"GET", "/api/v1/samples/{id}", s.getSample},
		{"GET", "/api/v1/samples/{id}/image.jpg", s.sampleImage},
		{"PATCH", "/api/v1/samples/{id}", s.relabel},
		{"DELETE", "/api/v1/samples/{id}", s.deleteSample},
		{"GET", "/api/v1/labels", s.labels},
		{"POST", "/api/v1/labels", s.addLabel},
		{"GET", "/api/v1/inbox", s.inbox},
		{"GET", "/api/v1/inbox/{id}/image.jpg", s.inboxImage},
		{"POST", "/api/v1/inbox/{id}/label", s.labelInbox},
		{"DELETE", "/api/v1/inbox/{id}", s.discardInbox},
		{"POST", "/api/v1/training", s.startTraining},
		{"GET", "/api/v1/training", s.training},
		{"DELETE", "/api/v1/training", s.cancelTraining},
		{"GET", "/api/v1/runs", s.runs},
		{"GET", "/api/v1/runs/{id}", s.run},
		{"GET", "/api/v1/runs/{id}/artifacts/{name}", s.artifact},
		{"GET", "/api/v1/models", s.models},
		{"POST", "/api/v1/models/{id}/activate", s.activate},
		{"POST", "/api/v1/models/rollback", s.rollback},
		{"GET", "/api/v1/models/{id}/export", s.export},
		{"GET", "/metrics", s.metrics},
		{"GET", "/{$}", ui.ServeHTTP},
		{"GET", "/assets/", ui.ServeHTTP},
	}
}

// handler registers the route table and wraps it in the checks every request
// goes through.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.method+" "+rt.path, rt.h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if mutating(r.Method) {
			if err := s.csrf.Check(r); err != nil {
				writeError(w, http.StatusForbidden, "cross-origin request refused")
				return
			}
			if s.o.RequireAuth && !s.authorized(r) {
				h.Set("WWW-Authenticate", `Bearer realm="ocellus"`)
				writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
				return
			}
		}
		if _, pattern := mux.Handler(r); pattern == "" && strings.HasPrefix(r.URL.Path, "/api/") {
			// The mux's own 404 or 405 (with its Allow header), as JSON.
			w = &jsonError{ResponseWriter: w, what: r.Method + " " + r.URL.Path}
		}
		mux.ServeHTTP(w, r)
	})
}

// jsonError turns the plain-text error the mux writes into a JSON one.
type jsonError struct {
	http.ResponseWriter
	what    string
	swallow bool
}

func (j *jsonError) WriteHeader(code int) {
	if code < 400 {
		j.ResponseWriter.WriteHeader(code)
		return
	}
	j.swallow = true
	j.Header().Del("Content-Length")
	writeError(j.ResponseWriter, code, strings.ToLower(http.StatusText(code))+": "+j.what)
}

func (j *jsonError) Write(b []byte) (int, error) {
	if j.swallow {
		return len(b), nil
	}
	return j.ResponseWriter.Write(b)
}

// mutating reports whether a method may change state.
func mutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// authorized checks the bearer token in constant time (comparing digests, so
// that not even the token's length leaks).
func (s *server) authorized(r *http.Request) bool {
	const prefix = "bearer "
	a := r.Header.Get("Authorization")
	if len(a) < len(prefix) || !strings.EqualFold(a[:len(prefix)], prefix) {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(a[len(prefix):])))
	return subtle.ConstantTimeCompare(sum[:], s.tokenSum[:]) == 1
}
