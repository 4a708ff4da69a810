package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ocellus/ocellus/daemon/api"
)

// eventTypes are the SSE event names (see api.Event).
var eventTypes = []string{"prediction", "training", "model", "sample", "inbox"}

// events streams the engine's events as server-sent events until the client
// goes away or the engine closes the subscription. ?types=a,b keeps those event
// types. Predictions are thinned per camera to one per predictEvery: one that
// comes too soon waits, replaced by any newer one, and is sent when its turn
// comes, so the client always ends up with a camera's latest prediction. A
// comment line ": ping" goes out every pingEvery so proxies keep the connection.
// The engine never waits for this client: its subscription drops what the
// buffer cannot hold.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	want := map[string]bool{}
	if q := r.URL.Query().Get("types"); q != "" {
		for t := range strings.SplitSeq(q, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if !contains(eventTypes, t) {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown event type %q (known: %s)", t, strings.Join(eventTypes, ", ")))
				return
			}
			want[t] = true
		}
	} else {
		for _, t := range eventTypes {
			want[t] = true
		}
	}

	ch, cancel := s.e.Subscribe(eventBuffer)
	defer cancel()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The retry hint and a first comment open the stream at once.
	if !s.streamWrite(w, rc, []byte("retry: 2000\n: connected\n\n")) {
		return
	}

	ping := time.NewTicker(s.pingEvery)
	defer ping.Stop()
	thin := time.NewTicker(s.predictEvery)
	defer thin.Stop()
	type camState struct {
		last    time.Time  // when its last prediction went out
		pending *api.Event // the newest prediction held back, if any
	}
	cams := map[string]*camState{}
	var buf []byte

	send := func(ev api.Event) bool {
		data, err := marshal(ev.Data)
		if err != nil {
			s.log.Error("event not sent", "type", ev.Type, "err", err)
			return true
		}
		buf = append(buf[:0], "event: "...)
		buf = append(buf, ev.Type...)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, data...) // compact JSON has no newline
		buf = append(buf, "\n\n"...)
		return s.streamWrite(w, rc, buf)
	}

	for {
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			if !want[ev.Type] {
				continue
			}
			if ev.Type == "prediction" {
				cam := ""
				if p, ok := ev.Data.(api.Prediction); ok {
					cam = p.Camera
				} else if p, ok := ev.Data.(*api.Prediction); ok && p != nil {
					cam = p.Camera
				}
				c := cams[cam]
				if c == nil {
					c = &camState{}
					cams[cam] = c
				}
				now := time.Now()
				if now.Sub(c.last) < s.predictEvery {
					c.pending = &ev
					continue
				}
				c.last, c.pending = now, nil
			}
			if !send(ev) {
				return
			}
		case now := <-thin.C:
			for _, c := range cams {
				if c.pending != nil && now.Sub(c.last) >= s.predictEvery {
					ev := *c.pending
					c.last, c.pending = now, nil
					if !send(ev) {
						return
					}
				}
			}
		case <-ping.C:
			if !s.streamWrite(w, rc, []byte(": ping\n\n")) {
				return
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// streamWrite writes and flushes one piece of a stream under a fresh write
// deadline; false means the client is gone.
func (s *server) streamWrite(w http.ResponseWriter, rc *http.ResponseController, b []byte) bool {
	// Not every ResponseWriter supports deadlines (httptest's recorder does not).
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	if _, err := w.Write(b); err != nil {
		return false
	}
	if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return false
	}
	return true
}

// mjpegBoundary separates the parts of live.mjpeg.
const mjpegBoundary = "ocellusframe"

// live streams the camera's frames as multipart/x-mixed-replace JPEG parts (what
// an <img> shows as video) at ?fps=N (default DefaultMJPEGFPS, at most
// MaxMJPEGFPS), skipping ticks without a new frame, until the client leaves.
func (s *server) live(w http.ResponseWriter, r *http.Request) {
	cam := r.PathValue("cam")
	fps := DefaultMJPEGFPS
	if v := r.URL.Query().Get("fps"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxMJPEGFPS {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("bad fps %q: want 1 to %d", v, MaxMJPEGFPS))
			return
		}
		fps = n
	}
	jpg, seq, err := s.e.Snapshot(cam)
	if err != nil && !errors.Is(err, api.ErrNoFrame) {
		s.fail(w, r, err) // no such camera, …
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "multipart/x-mixed-replace; boundary="+mjpegBoundary)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Each part is followed at once by the next boundary: a browser shows a
	// frame when it sees the boundary that ends it.
	if !s.streamWrite(w, rc, []byte("--"+mjpegBoundary+"\r\n")) {
		return
	}

	var buf []byte
	frame := func(jpg []byte, seq uint64) bool {
		buf = append(buf[:0], "Content-Type: image/jpeg\r\nContent-Length: "...)
		buf = strconv.AppendInt(buf, int64(len(jpg)), 10)
		buf = append(buf, "\r\nX-Frame-Seq: "...)
		buf = strconv.AppendUint(buf, seq, 10)
		buf = append(buf, "\r\n\r\n"...)
		buf = append(buf, jpg...)
		buf = append(buf, "\r\n--"+mjpegBoundary+"\r\n"...)
		return s.streamWrite(w, rc, buf)
	}
	sent, last := false, seq
	if err == nil {
		if !frame(jpg, seq) {
			return
		}
		sent = true
	}
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			jpg, seq, err := s.e.Snapshot(cam)
			if err != nil || (sent && seq == last) {
				continue // no frame yet, a source error, or nothing new
			}
			if !frame(jpg, seq) {
				return
			}
			sent, last = true, seq
		}
	}
}
