package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/store"
)

const testToken = "s3cret-token"

func newTestServer(t *testing.T, f *fakeEngine, o Options) (*server, http.Handler) {
	t.Helper()
	s, err := newServer(f, o)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.handler()
}

// req is one request to the handler.
type req struct {
	method, path string
	body         string
	ctype        string
	header       map[string]string
}

func do(t *testing.T, h http.Handler, r req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	} else if r.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, hr)
	return w
}

// expect checks the status, and for JSON answers decodes the body into v (if not nil).
func expect(t *testing.T, w *httptest.ResponseRecorder, r req, code int, v any) {
	t.Helper()
	if w.Code != code {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, w.Code, code, w.Body.String())
	}
	ct := w.Header().Get("Content-Type")
	if code >= 400 && v == nil {
		if ct != "application/json" {
			t.Fatalf("%s %s: error with Content-Type %q, want application/json", r.method, r.path, ct)
		}
		var e struct{ Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("%s %s: error body %q is not {\"error\":\"...\"}", r.method, r.path, w.Body.String())
		}
	}
	if v != nil {
		if ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q, want application/json", r.method, r.path, ct)
		}
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", r.method, r.path, w.Body.String(), err)
		}
	}
}

// call does a request and checks its status; see expect.
func call(t *testing.T, h http.Handler, r req, code int, v any) *httptest.ResponseRecorder {
	t.Helper()
	w := do(t, h, r)
	expect(t, w, r, code, v)
	return w
}

func multipartBody(t *testing.T, fields map[string]string, image []byte) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if image != nil {
		fw, err := mw.CreateFormFile("image", "frame.jpg")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(image)
	}
	mw.Close()
	return b.String(), mw.FormDataContentType()
}

func TestNewOptions(t *testing.T) {
	f := newFake(t)
	if _, err := New(f, Options{RequireAuth: true}); err == nil {
		t.Error("New with RequireAuth and no token: no error")
	}
	if _, err := New(f, Options{MaxUpload: -1}); err == nil {
		t.Error("New with a negative MaxUpload: no error")
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New with a nil engine: no error")
	}
	if _, err := New(f, Options{RequireAuth: true, Token: "x"}); err != nil {
		t.Errorf("New with a token: %v", err)
	}
}

// specRoutes is daemon.md's route list; the route table must be exactly it.
var specRoutes = []string{
	"GET /api/v1/health",
	"GET /api/v1/ready",
	"GET /api/v1/status",
	"GET /api/v1/cameras/{cam}/prediction",
	"GET /api/v1/cameras/{cam}/snapshot.jpg",
	"GET /api/v1/cameras/{cam}/live.mjpeg",
	"POST /api/v1/cameras/{cam}/capture",
	"GET /api/v1/events",
	"GET /api/v1/samples",
	"POST /api/v1/samples",
	"GET /api/v1/samples/{id}",
	"GET /api/v1/samples/{id}/image.jpg",
	"PATCH /api/v1/samples/{id}",
	"DELETE /api/v1/samples/{id}",
	"GET /api/v1/labels",
	"POST /api/v1/labels",
	"GET /api/v1/inbox",
	"GET /api/v1/inbox/{id}/image.jpg",
	"POST /api/v1/inbox/{id}/label",
	"DELETE /api/v1/inbox/{id}",
	"POST /api/v1/training",
	"GET /api/v1/training",
	"DELETE /api/v1/training",
	"GET /api/v1/runs",
	"GET /api/v1/runs/{id}",
	"GET /api/v1/runs/{id}/artifacts/{name}",
	"GET /api/v1/models",
	"POST /api/v1/models/{id}/activate",
	"POST /api/v1/models/rollback",
	"GET /api/v1/models/{id}/export",
	"GET /metrics",
	"GET /{$}",
	"GET /assets/",
}

func TestRouteTableIsTheSpec(t *testing.T) {
	s, _ := newTestServer(t, newFake(t), Options{})
	var got []string
	for _, rt := range s.routes() {
		got = append(got, rt.method+" "+rt.path)
	}
	if !slices.Equal(got, specRoutes) {
		t.Errorf("route table:\n%s\nwant daemon.md's:\n%s", strings.Join(got, "\n"), strings.Join(specRoutes, "\n"))
	}
}

// concrete fills a route pattern's wildcards.
func concrete(path string) string {
	r := strings.NewReplacer("{cam}", "cam0", "{id}", "1", "{name}", "confusion.svg", "{$}", "")
	return r.Replace(path)
}

func TestAuthRefusesEveryMutatingRoute(t *testing.T) {
	f := newFake(t)
	f.setFrame(testJPEG(t, 1), "circle", 0.9)
	s, h := newTestServer(t, f, Options{RequireAuth: true, Token: testToken})
	mutatingRoutes := 0
	for _, rt := range s.routes() {
		path := concrete(rt.path)
		if !mutating(rt.method) {
			continue
		}
		mutatingRoutes++
		for _, auth := range []string{"", "Bearer wrong", "Bearer " + testToken + "x", "Basic " + testToken, testToken} {
			r := req{method: rt.method, path: path, body: `{"label":"circle","name":"x"}`}
			if auth != "" {
				r.header = map[string]string{"Authorization": auth}
			}
			w := call(t, h, r, http.StatusUnauthorized, nil)
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s: 401 without WWW-Authenticate: Bearer", rt.method, path)
			}
		}
		if c := f.takeCalls(); len(c) > 0 {
			t.Errorf("%s %s refused, but the engine was called: %v", rt.method, path, c)
		}
		// With the token the request gets through (whatever the engine answers).
		r := req{method: rt.method, path: path, body: `{"label":"circle","name":"x"}`,
			header: map[string]string{"Authorization": "Bearer " + testToken}}
		if w := do(t, h, r); w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden {
			t.Errorf("%s %s with the token: status %d", rt.method, path, w.Code)
		}
		// A cross-origin request is refused even with the token.
		for _, hdr := range []map[string]string{
			{"Origin": "http://evil.example", "Authorization": "Bearer " + testToken},
			{"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer " + testToken},
		} {
			f.takeCalls()
			r := req{method: rt.method, path: path, body: `{"label":"circle"}`, header: hdr}
			call(t, h, r, http.StatusForbidden, nil)
			if c := f.takeCalls(); len(c) > 0 {
				t.Errorf("%s %s cross-origin refused, but the engine was called: %v", rt.method, path, c)
			}
		}
	}
	if mutatingRoutes < 10 {
		t.Fatalf("only %d mutating routes in the table", mutatingRoutes)
	}
	// Reads need no token.
	for _, p := range []string{"/api/v1/status", "/api/v1/labels", "/api/v1/training", "/"} {
		call(t, h, req{method: "GET", path: p}, http.StatusOK, nil)
	}
	// The status says that the token is needed.
	var st api.Status
	call(t, h, req{method: "GET", path: "/api/v1/status"}, http.StatusOK, &st)
	if !st.AuthRequired {
		t.Error("status: auth_required false with RequireAuth")
	}
}

func TestCrossOriginWithoutAuth(t *testing.T) {
	f := newFake(t)
	_, h := newTestServer(t, f, Options{})
	evil := req{method: "POST", path: "/api/v1/labels", body: `{"name":"cats"}`,
		header: map[string]string{"Origin": "http://evil.example:8080"}}
	call(t, h, evil, http.StatusForbidden, nil)
	// The same origin (Host of httptest.NewRequest is example.com) passes, and
	// so does a client that sends no Origin (curl).
	same := req{method: "POST", path: "/api/v1/labels", body: `{"name":"cats"}`,
		header: map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}}
	call(t, h, same, http.StatusCreated, nil)
	call(t, h, req{method: "POST", path: "/api/v1/labels", body: `{"name":"dogs"}`}, http.StatusCreated, nil)
	// Reads are never refused for their origin.
	call(t, h, req{method: "GET", path: "/api/v1/labels", header: map[string]string{"Origin": "http://evil.example"}}, http.StatusOK, nil)
}

func TestBodyLimits(t *testing.T) {
	f := newFake(t)
	_, h := newTestServer(t, f, Options{MaxUpload: 2000})
	call(t, h, req{method: "POST", path: "/api/v1/labels", body: `{"name":"cats"}`}, http.StatusCreated, nil)

	big := make([]byte, 5000)
	body, ct := multipartBody(t, map[string]string{"label": "cats"}, big)
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, http.StatusRequestEntityTooLarge, nil)
	// A body far beyond the envelope's slack is cut by MaxBytesReader.
	huge := make([]byte, 200<<10)
	body, ct = multipartBody(t, map[string]string{"label": "cats"}, huge)
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, http.StatusRequestEntityTooLarge, nil)
	if c := f.takeCalls(); slices.Contains(c, "AddSample") {
		t.Errorf("oversized upload reached the engine: %v", c)
	}
	// A small image passes.
	img := testJPEG(t, 2)
	if len(img) > 2000 {
		t.Fatalf("test image of %d bytes is over the limit", len(img))
	}
	body, ct = multipartBody(t, map[string]string{"label": "cats"}, img)
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, http.StatusCreated, nil)

	// JSON bodies: 64 KiB.
	long := `{"name":"` + strings.Repeat("x", MaxJSONBody) + `"}`
	call(t, h, req{method: "POST", path: "/api/v1/labels", body: long}, http.StatusRequestEntityTooLarge, nil)
	call(t, h, req{method: "POST", path: "/api/v1/cameras/cam0/capture", body: long}, http.StatusRequestEntityTooLarge, nil)
}

func TestRoutes(t *testing.T) {
	f := newFake(t)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, "ocellus_frames_total 3\n")
	})
	_, h := newTestServer(t, f, Options{Metrics: metrics})
	get := func(path string, code int, v any) *httptest.ResponseRecorder {
		t.Helper()
		return call(t, h, req{method: "GET", path: path}, code, v)
	}
	send := func(method, path, body string, code int, v any) *httptest.ResponseRecorder {
		t.Helper()
		return call(t, h, req{method: method, path: path, body: body}, code, v)
	}

	// Health and readiness.
	var m map[string]any
	get("/api/v1/health", 200, &m)
	if m["status"] != "ok" {
		t.Errorf("health: %v", m)
	}
	f.mu.Lock()
	f.ready = false
	f.mu.Unlock()
	get("/api/v1/ready", 503, &m)
	if m["ready"] != false {
		t.Errorf("ready while not ready: %v", m)
	}
	f.mu.Lock()
	f.ready = true
	f.mu.Unlock()
	get("/api/v1/ready", 200, &m)
	if m["ready"] != true {
		t.Errorf("ready: %v", m)
	}

	// Camera: no frame yet, then a frame.
	get("/api/v1/cameras/cam0/prediction", 503, nil)
	get("/api/v1/cameras/cam0/snapshot.jpg", 503, nil)
	call(t, h, req{method: "POST", path: "/api/v1/cameras/cam0/capture", body: `{"label":"x"}`}, 503, nil)
	get("/api/v1/cameras/nope/prediction", 404, nil)
	get("/api/v1/cameras/nope/snapshot.jpg", 404, nil)
	get("/api/v1/cameras/nope/live.mjpeg", 404, nil)
	frame1 := testJPEG(t, 1)
	p1 := f.setFrame(frame1, "circle", 0.75)
	var p api.Prediction
	get("/api/v1/cameras/cam0/prediction", 200, &p)
	if p.Seq != p1.Seq || p.Label != "circle" || p.Confidence != 0.75 || len(p.TopK) != 2 {
		t.Errorf("prediction %+v, want %+v", p, p1)
	}
	w := get("/api/v1/cameras/cam0/snapshot.jpg", 200, nil)
	if w.Header().Get("Content-Type") != "image/jpeg" || !bytes.Equal(w.Body.Bytes(), frame1) {
		t.Errorf("snapshot: %q, %d bytes", w.Header().Get("Content-Type"), w.Body.Len())
	}
	if w.Header().Get("X-Frame-Seq") != strconv.FormatUint(p1.Seq, 10) {
		t.Errorf("snapshot X-Frame-Seq %q, want %d", w.Header().Get("X-Frame-Seq"), p1.Seq)
	}
	get("/api/v1/cameras/cam0/live.mjpeg?fps=0", 400, nil)
	get("/api/v1/cameras/cam0/live.mjpeg?fps=x", 400, nil)

	// Labels.
	var lb map[string]string
	send("POST", "/api/v1/labels", `{"name":"circle"}`, 201, &lb)
	if lb["name"] != "circle" {
		t.Errorf("add label answered %v", lb)
	}
	send("POST", "/api/v1/labels", `{"name":"square"}`, 201, nil)
	send("POST", "/api/v1/labels", `{"name":"circle"}`, 409, nil)
	send("POST", "/api/v1/labels", `{"name":""}`, 400, nil)
	send("POST", "/api/v1/labels", `{"name":"a/b"}`, 400, nil)
	send("POST", "/api/v1/labels", `{"name":`, 400, nil)
	send("POST", "/api/v1/labels", `{"name":"x"} {}`, 400, nil)
	call(t, h, req{method: "POST", path: "/api/v1/labels"}, 400, nil)
	var labels []store.Label
	get("/api/v1/labels", 200, &labels)
	if len(labels) != 2 || labels[0].Name != "circle" || labels[1].Name != "square" {
		t.Errorf("labels %+v", labels)
	}

	// Capture.
	var s1 store.Sample
	send("POST", "/api/v1/cameras/cam0/capture", `{"label":"circle"}`, 201, &s1)
	if s1.ID == 0 || s1.Label != "circle" || s1.Prediction != "circle" {
		t.Errorf("captured %+v", s1)
	}
	var dup struct {
		Error  string
		Sample store.Sample
	}
	send("POST", "/api/v1/cameras/cam0/capture", `{"label":"circle"}`, 409, &dup)
	if dup.Sample.ID != s1.ID {
		t.Errorf("duplicate capture names sample %d, want %d", dup.Sample.ID, s1.ID)
	}
	f.setFrame(testJPEG(t, 2), "square", 0.6)
	send("POST", "/api/v1/cameras/cam0/capture", `{"label":"triangle"}`, 400, nil)
	send("POST", "/api/v1/cameras/cam0/capture", `{"label":""}`, 400, nil)
	send("POST", "/api/v1/cameras/cam0/capture", `nope`, 400, nil)
	send("POST", "/api/v1/cameras/nope/capture", `{"label":"circle"}`, 404, nil)
	var s2 store.Sample
	send("POST", "/api/v1/cameras/cam0/capture", `{"label":"square"}`, 201, &s2)

	// Upload.
	body, ct := multipartBody(t, map[string]string{"label": "square"}, testJPEG(t, 3))
	var s3 store.Sample
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, 201, &s3)
	if s3.Label != "square" || s3.Source != "upload" {
		t.Errorf("uploaded %+v", s3)
	}
	body, ct = multipartBody(t, map[string]string{"label": "square"}, []byte("not an image"))
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, 400, nil)
	body, ct = multipartBody(t, map[string]string{"label": "hexagon"}, testJPEG(t, 4))
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, 400, nil)
	body, ct = multipartBody(t, nil, testJPEG(t, 4))
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, 400, nil)
	body, ct = multipartBody(t, map[string]string{"label": "square"}, nil)
	call(t, h, req{method: "POST", path: "/api/v1/samples", body: body, ctype: ct}, 400, nil)
	send("POST", "/api/v1/samples", `{"label":"square"}`, 400, nil)

	// List, page, filter.
	var page samplePage
	get("/api/v1/samples", 200, &page)
	if len(page.Samples) != 3 || page.NextAfter != 0 {
		t.Errorf("samples: %d, next_after %d; want 3, 0", len(page.Samples), page.NextAfter)
	}
	get("/api/v1/samples?limit=2", 200, &page)
	if len(page.Samples) != 2 || page.NextAfter != page.Samples[1].ID {
		t.Errorf("samples?limit=2: %d, next_after %d", len(page.Samples), page.NextAfter)
	}
	get("/api/v1/samples?limit=2&after="+page.NextAfter.String(), 200, &page)
	if len(page.Samples) != 1 || page.Samples[0].ID != s3.ID || page.NextAfter != 0 {
		t.Errorf("second page: %+v", page)
	}
	get("/api/v1/samples?label=square", 200, &page)
	if len(page.Samples) != 2 || page.Samples[0].Label != "square" {
		t.Errorf("samples?label=square: %+v", page.Samples)
	}
	get("/api/v1/samples?label=nothing", 200, &page)
	if page.Samples == nil || len(page.Samples) != 0 {
		t.Errorf("samples?label=nothing: %+v (want [], not null)", page.Samples)
	}
	get("/api/v1/samples?split=train", 200, nil)
	get("/api/v1/samples?split=bogus", 400, nil)
	get("/api/v1/samples?limit=0", 400, nil)
	get("/api/v1/samples?limit=100000", 400, nil)
	get("/api/v1/samples?after=x", 400, nil)

	// One sample.
	var got store.Sample
	get("/api/v1/samples/"+s1.ID.String(), 200, &got)
	if got.ID != s1.ID || got.SHA256 != s1.SHA256 {
		t.Errorf("sample %+v, want %+v", got, s1)
	}
	get("/api/v1/samples/999", 404, nil)
	get("/api/v1/samples/abc", 400, nil)
	get("/api/v1/samples/0", 400, nil)
	w = get("/api/v1/samples/"+s1.ID.String()+"/image.jpg", 200, nil)
	if !bytes.Equal(w.Body.Bytes(), frame1) || w.Header().Get("Content-Type") != "image/jpeg" {
		t.Errorf("sample image: %d bytes, %q", w.Body.Len(), w.Header().Get("Content-Type"))
	}
	get("/api/v1/samples/999/image.jpg", 404, nil)

	// Relabel, delete.
	send("PATCH", "/api/v1/samples/"+s1.ID.String(), `{"label":"square"}`, 200, &got)
	if got.Label != "square" || got.ID != s1.ID {
		t.Errorf("relabelled %+v", got)
	}
	send("PATCH", "/api/v1/samples/"+s1.ID.String(), `{"label":"hexagon"}`, 400, nil)
	send("PATCH", "/api/v1/samples/999", `{"label":"square"}`, 404, nil)
	send("PATCH", "/api/v1/samples/"+s1.ID.String(), `[`, 400, nil)
	w = send("DELETE", "/api/v1/samples/"+s2.ID.String(), "", 204, nil)
	if w.Body.Len() != 0 {
		t.Errorf("DELETE 204 with a body %q", w.Body.String())
	}
	send("DELETE", "/api/v1/samples/"+s2.ID.String(), "", 404, nil)
	get("/api/v1/samples/"+s2.ID.String(), 404, nil)

	// Inbox.
	var items []api.InboxItem
	get("/api/v1/inbox", 200, &items)
	if items == nil || len(items) != 0 {
		t.Errorf("empty inbox: %v (want [])", items)
	}
	in1, in2 := f.addInbox(testJPEG(t, 5)), f.addInbox(testJPEG(t, 6))
	get("/api/v1/inbox", 200, &items)
	if len(items) != 2 || items[0].ID != in1 {
		t.Errorf("inbox %+v", items)
	}
	w = get("/api/v1/inbox/"+strconv.FormatUint(in1, 10)+"/image.jpg", 200, nil)
	if !bytes.Equal(w.Body.Bytes(), testJPEG(t, 5)) {
		t.Error("inbox image differs")
	}
	get("/api/v1/inbox/7/image.jpg", 404, nil)
	send("POST", "/api/v1/inbox/"+strconv.FormatUint(in1, 10)+"/label", `{"label":"hexagon"}`, 400, nil)
	send("POST", "/api/v1/inbox/"+strconv.FormatUint(in1, 10)+"/label", `{"label":"circle"}`, 201, &got)
	if got.Label != "circle" || got.Source != "inbox" {
		t.Errorf("inbox labelled %+v", got)
	}
	send("POST", "/api/v1/inbox/"+strconv.FormatUint(in1, 10)+"/label", `{"label":"circle"}`, 404, nil)
	send("DELETE", "/api/v1/inbox/"+strconv.FormatUint(in2, 10), "", 204, nil)
	send("DELETE", "/api/v1/inbox/"+strconv.FormatUint(in2, 10), "", 404, nil)
	send("DELETE", "/api/v1/inbox/x", "", 400, nil)

	// Training: idle, start, busy, cancel.
	var tr api.Training
	get("/api/v1/training", 200, &tr)
	if tr.State != "idle" || tr.History == nil {
		t.Errorf("idle training %+v (history must be [], not null)", tr)
	}
	send("DELETE", "/api/v1/training", "", 409, nil)
	var started map[string]store.RunID
	send("POST", "/api/v1/training", "", 202, &started)
	if started["run"] == 0 {
		t.Errorf("start training answered %v", started)
	}
	send("POST", "/api/v1/training", "", 409, nil)
	w = get("/api/v1/training", 200, &tr)
	if tr.State != "running" || tr.Run != started["run"] || len(tr.History) != 1 {
		t.Errorf("running training %+v", tr)
	}
	// The fake's first epoch has an undefined AUC: JSON null, not an error.
	if !strings.Contains(w.Body.String(), `"val_auc":null`) {
		t.Errorf("NaN AUC not written as null: %s", w.Body.String())
	}
	send("DELETE", "/api/v1/training", "", 202, nil)
	send("DELETE", "/api/v1/training", "", 409, nil)

	// Runs.
	run1 := started["run"]
	if err := f.st.AppendEpoch(run1, store.Epoch{Phase: "head", Epoch: 1, Metrics: store.Metrics{"train_loss": 0.5}}); err == nil {
		t.Error("appending to a finished run worked")
	}
	run2, err := f.st.StartRun(store.NewRun{Config: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.AppendEpoch(run2.ID, store.Epoch{Phase: "head", Epoch: 1, Metrics: store.Metrics{"train_loss": 0.5, "val_auc": math.NaN()}}); err != nil {
		t.Fatal(err)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`)
	if err := f.st.PutRunArtifact(run2.ID, "confusion.svg", svg); err != nil {
		t.Fatal(err)
	}
	if err := f.st.PutRunArtifact(run2.ID, "summary.json", []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	var runs []store.Run
	get("/api/v1/runs", 200, &runs)
	if len(runs) != 2 || runs[0].ID != run2.ID || runs[1].ID != run1 {
		t.Errorf("runs %+v: want newest first", runs)
	}
	var rd runDetail
	get("/api/v1/runs/"+run2.ID.String(), 200, &rd)
	if rd.Run.ID != run2.ID || len(rd.Epochs) != 1 || !slices.Equal(rd.Artifacts, []string{"confusion.svg", "summary.json"}) {
		t.Errorf("run detail %+v", rd)
	}
	get("/api/v1/runs/"+run1.String(), 200, &rd)
	if rd.Epochs == nil || rd.Artifacts == nil {
		t.Errorf("run without epochs: %+v (want [], not null)", rd)
	}
	get("/api/v1/runs/999", 404, nil)
	w = get("/api/v1/runs/"+run2.ID.String()+"/artifacts/confusion.svg", 200, nil)
	if w.Header().Get("Content-Type") != "image/svg+xml" || !bytes.Equal(w.Body.Bytes(), svg) {
		t.Errorf("artifact: %q %q", w.Header().Get("Content-Type"), w.Body.String())
	}
	if !strings.Contains(w.Header().Get("Content-Security-Policy"), "sandbox") {
		t.Error("SVG artifact served without a sandboxing CSP")
	}
	w = get("/api/v1/runs/"+run2.ID.String()+"/artifacts/summary.json", 200, nil)
	if w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("summary.json served as %q", w.Header().Get("Content-Type"))
	}
	get("/api/v1/runs/"+run2.ID.String()+"/artifacts/nope.svg", 404, nil)
	get("/api/v1/runs/999/artifacts/confusion.svg", 404, nil)

	// Models.
	var ml modelList
	get("/api/v1/models", 200, &ml)
	if ml.Models == nil || len(ml.Models) != 0 || ml.Active.Name != "starter" {
		t.Errorf("models before any version: %+v", ml)
	}
	mv1, err := f.st.AddModel(store.NewModel{Name: "v1", Format: "onnx", Blob: []byte("onnx-one"), Classes: []string{"circle", "square"}})
	if err != nil {
		t.Fatal(err)
	}
	mv2, err := f.st.AddModel(store.NewModel{Name: "v2", Format: "onnx", Blob: []byte("onnx-two"), Classes: []string{"circle", "square"}})
	if err != nil {
		t.Fatal(err)
	}
	send("POST", "/api/v1/models/rollback", "", 409, nil)
	var mi api.ModelInfo
	send("POST", "/api/v1/models/"+mv1.ID.String()+"/activate", "", 200, &mi)
	if mi.ID != mv1.ID || mi.Name != "v1" {
		t.Errorf("activated %+v", mi)
	}
	send("POST", "/api/v1/models/"+mv2.ID.String()+"/activate", "", 200, &mi)
	send("POST", "/api/v1/models/999/activate", "", 404, nil)
	send("POST", "/api/v1/models/x/activate", "", 400, nil)
	get("/api/v1/models", 200, &ml)
	if len(ml.Models) != 2 || ml.Active.ID != mv2.ID {
		t.Errorf("models %+v", ml)
	}
	send("POST", "/api/v1/models/rollback", "", 200, &mi)
	if mi.ID != mv1.ID {
		t.Errorf("rolled back to %+v, want v1", mi)
	}
	w = get("/api/v1/models/"+mv1.ID.String()+"/export", 200, nil)
	if w.Body.String() != "onnx-one" {
		t.Errorf("export body %q", w.Body.String())
	}
	_, params, err := mime.ParseMediaType(w.Header().Get("Content-Disposition"))
	if err != nil || params["filename"] != "ocellus-v1.onnx" || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("export Content-Disposition %q", w.Header().Get("Content-Disposition"))
	}
	get("/api/v1/models/999/export", 404, nil)

	// Status.
	var st api.Status
	get("/api/v1/status", 200, &st)
	if st.Version != "test" || len(st.Cameras) != 1 || st.Model.ID != mv1.ID || st.AuthRequired || len(st.Labels) != 2 {
		t.Errorf("status %+v", st)
	}

	// Metrics, UI, unknown routes, wrong methods.
	w = get("/metrics", 200, nil)
	if !strings.Contains(w.Body.String(), "ocellus_frames_total 3") {
		t.Errorf("metrics %q", w.Body.String())
	}
	w = get("/", 200, nil)
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "ocellus") {
		t.Errorf("UI: %q", w.Header().Get("Content-Type"))
	}
	if w.Header().Get("Content-Security-Policy") == "" {
		t.Error("UI without a Content-Security-Policy")
	}
	w = get("/assets/app.js", 200, nil)
	if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("app.js served as %q", ct)
	}
	get("/api/v1/nope", 404, nil)
	if w := do(t, h, req{method: "GET", path: "/nope"}); w.Code != http.StatusNotFound {
		t.Errorf("GET /nope: %d, want 404", w.Code)
	}
	if w := do(t, h, req{method: "PUT", path: "/api/v1/training"}); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT /api/v1/training: %d, want 405", w.Code)
	}
}

func TestMetricsDisabled(t *testing.T) {
	_, h := newTestServer(t, newFake(t), Options{})
	call(t, h, req{method: "GET", path: "/metrics"}, 404, nil)
}

func TestMarshalNonFinite(t *testing.T) {
	tr := api.Training{State: "running", History: []api.EpochPoint{{TrainLoss: math.Inf(1), ValLoss: 0.5, ValAUC: math.NaN()}},
		Last: &api.RunOutcome{Compared: &api.Comparison{ActiveLoss: math.NaN(), NewLoss: 0.25}}}
	b, err := marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	for _, want := range []string{`"train_loss":null`, `"val_auc":null`, `"val_loss":0.5`, `"active_loss":null`, `"new_loss":0.25`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	if !math.IsNaN(tr.History[0].ValAUC) || !math.IsNaN(tr.Last.Compared.ActiveLoss) {
		t.Error("marshal changed its argument")
	}
	b, err = marshal(api.Event{Type: "x", Data: map[string]float32{"a": float32(math.NaN()), "b": 1}})
	if err != nil || !bytes.Contains(b, []byte(`"a":null`)) || !bytes.Contains(b, []byte(`"b":1`)) {
		t.Errorf("float32 map: %s, %v", b, err)
	}
}

// sseClient reads server-sent events from a live server.
type sseClient struct {
	t      *testing.T
	cancel context.CancelFunc
	lines  chan string
}

func openSSE(t *testing.T, url string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{t: t, cancel: cancel, lines: make(chan string, 100)}
	go func() {
		defer resp.Body.Close()
		defer close(c.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			select {
			case c.lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(cancel)
	return c
}

// next returns the next event (type and data), skipping comments; "" at a ping
// when wantPing.
func (c *sseClient) next(wantPing bool) (string, string) {
	c.t.Helper()
	var typ, data string
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatal("event stream ended")
			}
			switch {
			case l == ": ping" && wantPing:
				return "", ""
			case strings.HasPrefix(l, "event: "):
				typ = l[len("event: "):]
			case strings.HasPrefix(l, "data: "):
				data = l[len("data: "):]
			case l == "" && typ != "":
				return typ, data
			}
		case <-timeout:
			c.t.Fatal("no event within 20 s")
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestEvents(t *testing.T) {
	f := newFake(t)
	s, h := newTestServer(t, f, Options{})
	s.predictEvery = time.Hour // a camera's second prediction waits: the order is deterministic
	s.pingEvery = time.Hour
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	call(t, h, req{method: "GET", path: "/api/v1/events?types=prediction,bogus"}, 400, nil)

	c := openSSE(t, srv.URL+"/api/v1/events?types=prediction,training")
	waitFor(t, "the subscription", func() bool { return f.subscribers() == 1 })
	for i := range 20 {
		p := f.setFrame(testJPEG(t, uint64(i)), "circle", 0.5)
		f.publish(api.Event{Type: "prediction", Data: p})
	}
	f.publish(api.Event{Type: "sample", Data: store.Sample{ID: 1}}) // filtered out
	f.publish(api.Event{Type: "training", Data: api.Training{State: "running", History: []api.EpochPoint{{ValAUC: math.NaN()}}}})

	typ, data := c.next(false)
	var p api.Prediction
	if typ != "prediction" || json.Unmarshal([]byte(data), &p) != nil || p.Seq != 1 {
		t.Fatalf("first event %s %s, want the prediction of frame 1", typ, data)
	}
	// Frames 2..20 came within the thinning interval: held back, the next event
	// is the training one (the sample event is filtered out).
	typ, data = c.next(false)
	if typ != "training" || !strings.Contains(data, `"val_auc":null`) {
		t.Fatalf("second event %s %s, want training", typ, data)
	}

	// The client leaves: the handler unsubscribes.
	c.cancel()
	waitFor(t, "the unsubscription", func() bool { return f.subscribers() == 0 })

	// The engine closing the channel ends the stream too.
	closing := &closingEngine{fakeEngine: f}
	h3, err := New(closing, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv3 := httptest.NewServer(h3)
	t.Cleanup(srv3.Close)
	c3 := openSSE(t, srv3.URL+"/api/v1/events")
	closing.close()
	for range c3.lines {
	}
}

// closingEngine's subscriptions can be closed, as an engine does at shutdown.
type closingEngine struct {
	*fakeEngine
	ch chan api.Event
}

func (c *closingEngine) Subscribe(buf int) (<-chan api.Event, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ch = make(chan api.Event, buf)
	return c.ch, func() {}
}

func (c *closingEngine) close() {
	for {
		c.mu.Lock()
		ch := c.ch
		c.mu.Unlock()
		if ch != nil {
			close(ch)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEventsThinningDeliversTheLatest(t *testing.T) {
	f := newFake(t)
	s, h := newTestServer(t, f, Options{})
	s.predictEvery = 20 * time.Millisecond
	s.pingEvery = 30 * time.Millisecond
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close) // after the client's cancel (cleanups run last first)
	c := openSSE(t, srv.URL+"/api/v1/events")
	waitFor(t, "the subscription", func() bool { return f.subscribers() == 1 })
	const n = 30
	for i := range n {
		p := f.setFrame(testJPEG(t, uint64(i)), "circle", 0.5)
		f.publish(api.Event{Type: "prediction", Data: p})
	}
	// However the thinning went, the last prediction arrives, and nothing after
	// it; a ping comes along too.
	var seqs []uint64
	pinged := false
	for len(seqs) == 0 || seqs[len(seqs)-1] != n || !pinged {
		typ, data := c.next(true)
		if typ == "" {
			pinged = true
			continue
		}
		var p api.Prediction
		if typ != "prediction" || json.Unmarshal([]byte(data), &p) != nil {
			t.Fatalf("event %s %s", typ, data)
		}
		if len(seqs) > 0 && p.Seq <= seqs[len(seqs)-1] {
			t.Fatalf("prediction %d after %d", p.Seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, p.Seq)
	}
	if len(seqs) > n {
		t.Errorf("%d predictions for %d published", len(seqs), n)
	}
}

func TestLiveMJPEG(t *testing.T) {
	f := newFake(t)
	_, h := newTestServer(t, f, Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/cameras/cam0/live.mjpeg?fps=30", nil)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/x-mixed-replace" || params["boundary"] == "" {
		t.Fatalf("live.mjpeg Content-Type %q", resp.Header.Get("Content-Type"))
	}
	// No frame yet: the stream waits for the first.
	frames := [][]byte{testJPEG(t, 1), testJPEG(t, 2)}
	f.setFrame(frames[0], "circle", 0.5)
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for i, want := range frames {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		if part.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("part %d: %q", i, part.Header.Get("Content-Type"))
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Fatalf("part %d: %d bytes, want frame %d (%d bytes)", i, len(b), i+1, len(want))
		}
		if i == 0 {
			f.setFrame(frames[1], "square", 0.5)
		}
	}
}

// TestStreamsOutliveReadTimeout: a server's ReadTimeout (ocellus serve sets one
// for slow uploads) does not end an event stream or a live view (net/http lifts
// the read deadline once a bodiless request is read).
func TestStreamsOutliveReadTimeout(t *testing.T) {
	f := newFake(t)
	s, h := newTestServer(t, f, Options{})
	s.predictEvery = time.Millisecond
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout = 50 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	c := openSSE(t, srv.URL+"/api/v1/events?types=training")
	waitFor(t, "the subscription", func() bool { return f.subscribers() == 1 })
	time.Sleep(300 * time.Millisecond) // well past the read timeout
	f.publish(api.Event{Type: "training", Data: api.Training{State: "running"}})
	if typ, _ := c.next(false); typ != "training" {
		t.Fatalf("event %q after the read timeout", typ)
	}

	f.setFrame(testJPEG(t, 1), "circle", 0.5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/cameras/cam0/live.mjpeg?fps=30", nil)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	mr := multipart.NewReader(resp.Body, params["boundary"])
	if _, err := mr.NextPart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	want := testJPEG(t, 2)
	f.setFrame(want, "square", 0.5)
	for {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("live view after the read timeout: %v", err)
		}
		b, _ := io.ReadAll(part)
		if bytes.Equal(b, want) {
			break
		}
	}
}
