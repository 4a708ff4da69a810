package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/store"
)

// by is what activations made over HTTP are recorded as.
const by = "http"

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ready := s.e.Status().Ready
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]bool{"ready": ready})
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	st := s.e.Status()
	st.AuthRequired = s.o.RequireAuth
	if st.Labels == nil {
		st.Labels = []string{}
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) prediction(w http.ResponseWriter, r *http.Request) {
	p, err := s.e.Latest(r.PathValue("cam"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *server) snapshot(w http.ResponseWriter, r *http.Request) {
	jpg, seq, err := s.e.Snapshot(r.PathValue("cam"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Seq", strconv.FormatUint(seq, 10))
	h.Set("Content-Length", strconv.Itoa(len(jpg)))
	w.Write(jpg)
}

// labelBody is the body of capture, relabel and inbox labelling.
type labelBody struct {
	Label string `json:"label"`
}

func (s *server) capture(w http.ResponseWriter, r *http.Request) {
	var b labelBody
	if code, err := readJSON(w, r, &b); err != nil {
		writeError(w, code, err.Error())
		return
	}
	smp, err := s.e.CaptureSample(r.Context(), r.PathValue("cam"), b.Label)
	s.sampleCreated(w, r, smp, err)
}

// sampleCreated answers a request that added a sample: 201 with the sample, or
// 409 with the stored sample for a duplicate image.
func (s *server) sampleCreated(w http.ResponseWriter, r *http.Request, smp store.Sample, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusCreated, smp)
	case errors.Is(err, store.ErrDuplicate) && smp.ID != 0:
		writeJSON(w, http.StatusConflict, struct {
			Error  string       `json:"error"`
			Sample store.Sample `json:"sample"`
		}{err.Error(), smp})
	default:
		s.fail(w, r, err)
	}
}

// samplePage is GET /api/v1/samples.
type samplePage struct {
	Samples   []store.Sample `json:"samples"`
	NextAfter store.SampleID `json:"next_after"`
}

func (s *server) listSamples(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.Filter{Label: q.Get("label"), Limit: DefaultPageSize}
	var err error
	if f.Split, err = store.ParseSplit(q.Get("split")); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if a := q.Get("after"); a != "" {
		if f.After, err = store.ParseSampleID(a); err != nil {
			writeError(w, http.StatusBadRequest, "bad after: "+err.Error())
			return
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxPageSize {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("bad limit %q: want 1 to %d", l, MaxPageSize))
			return
		}
		f.Limit = n
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	smps, err := s.e.Store().Samples(f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := samplePage{Samples: smps}
	if len(smps) > limit {
		page.Samples = smps[:limit]
		page.NextAfter = smps[limit-1].ID
	}
	if page.Samples == nil {
		page.Samples = []store.Sample{}
	}
	writeJSON(w, http.StatusOK, page)
}

// uploadSample reads a multipart form: the file field "image" (at most
// MaxUpload bytes) and the field "label".
func (s *server) uploadSample(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxUpload+multipartSlack)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "expected a multipart/form-data body: "+err.Error())
		return
	}
	var img []byte
	var label string
	haveImage, haveLabel := false, false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.uploadError(w, r, err)
			return
		}
		switch p.FormName() {
		case "image":
			img, err = io.ReadAll(io.LimitReader(p, s.o.MaxUpload+1))
			if err != nil {
				s.uploadError(w, r, err)
				return
			}
			if int64(len(img)) > s.o.MaxUpload {
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("image larger than %d bytes", s.o.MaxUpload))
				return
			}
			haveImage = true
		case "label":
			b, err := io.ReadAll(io.LimitReader(p, store.MaxLabelLen+1))
			if err != nil {
				s.uploadError(w, r, err)
				return
			}
			label, haveLabel = string(b), true
		}
		p.Close()
	}
	if !haveImage || !haveLabel {
		writeError(w, http.StatusBadRequest, `the form needs the fields "image" (a file) and "label"`)
		return
	}
	smp, err := s.e.AddSample(r.Context(), img, label, "upload")
	s.sampleCreated(w, r, smp, err)
}

func (s *server) uploadError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	writeError(w, http.StatusBadRequest, "bad multipart body: "+err.Error())
}

// pathID parses the {id} path value; on failure it answers 400 and returns false.
func pathID(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	v := r.PathValue("id")
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("bad id %q", v))
		return 0, false
	}
	return id, true
}

func (s *server) getSample(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	smp, err := s.e.Store().Sample(store.SampleID(id))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, smp)
}

func (s *server) sampleImage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	img, err := s.e.Store().Image(store.SampleID(id))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// A sample's image never changes and its id is never reused.
	writeBytes(w, "image/jpeg", "private, max-age=86400", img)
}

// writeBytes writes a body with its content type and cache policy.
func writeBytes(w http.ResponseWriter, contentType, cache string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func (s *server) relabel(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var b labelBody
	if code, err := readJSON(w, r, &b); err != nil {
		writeError(w, code, err.Error())
		return
	}
	smp, err := s.e.Relabel(r.Context(), store.SampleID(id), b.Label)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, smp)
}

func (s *server) deleteSample(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.e.DeleteSample(r.Context(), store.SampleID(id)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) labels(w http.ResponseWriter, r *http.Request) {
	ls, err := s.e.Store().Labels()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ls == nil {
		ls = []store.Label{}
	}
	writeJSON(w, http.StatusOK, ls)
}

func (s *server) addLabel(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Name string `json:"name"`
	}
	if code, err := readJSON(w, r, &b); err != nil {
		writeError(w, code, err.Error())
		return
	}
	if err := s.e.AddLabel(r.Context(), b.Name); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"name": b.Name})
}

func (s *server) inbox(w http.ResponseWriter, r *http.Request) {
	items, err := s.e.Inbox()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if items == nil {
		items = []api.InboxItem{}
	}
	writeJSON(w, http.StatusOK, items)
}

func (s *server) inboxImage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	img, err := s.e.InboxImage(id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeBytes(w, "image/jpeg", "private, max-age=86400", img)
}

func (s *server) labelInbox(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var b labelBody
	if code, err := readJSON(w, r, &b); err != nil {
		writeError(w, code, err.Error())
		return
	}
	smp, err := s.e.LabelInbox(r.Context(), id, b.Label)
	s.sampleCreated(w, r, smp, err)
}

func (s *server) discardInbox(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if err := s.e.DiscardInbox(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) startTraining(w http.ResponseWriter, r *http.Request) {
	id, err := s.e.StartTraining(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]store.RunID{"run": id})
}

func (s *server) training(w http.ResponseWriter, r *http.Request) {
	t := s.e.Training()
	if t.History == nil {
		t.History = []api.EpochPoint{}
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *server) cancelTraining(w http.ResponseWriter, r *http.Request) {
	if err := s.e.CancelTraining(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "cancelling"})
}

func (s *server) runs(w http.ResponseWriter, r *http.Request) {
	runs, err := s.e.Store().Runs()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if runs == nil {
		runs = []store.Run{}
	}
	slices.Reverse(runs) // newest first
	writeJSON(w, http.StatusOK, runs)
}

// runDetail is GET /api/v1/runs/{id}.
type runDetail struct {
	Run       store.Run     `json:"run"`
	Epochs    []store.Epoch `json:"epochs"`
	Artifacts []string      `json:"artifacts"`
}

func (s *server) run(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	st := s.e.Store()
	d := runDetail{Epochs: []store.Epoch{}, Artifacts: []string{}}
	var err error
	if d.Run, err = st.Run(store.RunID(id)); err != nil {
		s.fail(w, r, err)
		return
	}
	if ep, err := st.Epochs(d.Run.ID); err != nil {
		s.fail(w, r, err)
		return
	} else if ep != nil {
		d.Epochs = ep
	}
	if names, err := st.RunArtifacts(d.Run.ID); err != nil {
		s.fail(w, r, err)
		return
	} else if names != nil {
		d.Artifacts = names
	}
	writeJSON(w, http.StatusOK, d)
}

// artifactType is the content type of a run's file, by its extension.
func artifactType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".txt", ".log":
		return "text/plain; charset=utf-8"
	case ".onnx":
		return "application/octet-stream"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (s *server) artifact(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")
	b, err := s.e.Store().RunArtifact(store.RunID(id), name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// An SVG opened by itself must not run scripts in the daemon's origin.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
	writeBytes(w, artifactType(name), "no-cache", b)
}

// modelList is GET /api/v1/models.
type modelList struct {
	Models []store.ModelVersion `json:"models"`
	Active api.ModelInfo        `json:"active"`
}

func (s *server) models(w http.ResponseWriter, r *http.Request) {
	ms, err := s.e.Store().Models()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ms == nil {
		ms = []store.ModelVersion{}
	}
	writeJSON(w, http.StatusOK, modelList{Models: ms, Active: s.e.Status().Model})
}

func (s *server) activate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	mi, err := s.e.Activate(r.Context(), store.ModelID(id), by)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mi)
}

func (s *server) rollback(w http.ResponseWriter, r *http.Request) {
	mi, err := s.e.Rollback(r.Context(), by)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, mi)
}

func (s *server) export(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	b, name, err := s.e.ExportModel(r.Context(), store.ModelID(id))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if name == "" {
		name = fmt.Sprintf("model-%d.onnx", id)
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
	writeBytes(w, "application/octet-stream", "no-store", b)
}

func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.o.Metrics == nil {
		writeError(w, http.StatusNotFound, "metrics are not enabled")
		return
	}
	s.o.Metrics.ServeHTTP(w, r)
}
