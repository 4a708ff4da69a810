package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// camServer is a local HTTP camera: request n (from 0) is served by handlers[min(n, last)].
type camServer struct {
	*httptest.Server
	requests atomic.Int32
}

func newCamServer(t *testing.T, handlers ...func(w http.ResponseWriter, r *http.Request)) *camServer {
	t.Helper()
	s := &camServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.requests.Add(1)) - 1
		handlers[min(n, len(handlers)-1)](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

const esp32Boundary = "123456789000000000000987654321"

// streamParts serves an MJPEG stream the way ESP32-CAM's /stream does: each part is
// "\r\n--BOUNDARY\r\n", headers with Content-Length, a blank line, the JPEG. count < 0 streams until
// the client goes away; withLength false leaves out Content-Length (as some servers do).
func streamParts(t *testing.T, frames [][]byte, count int, withLength bool) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary="+esp32Boundary)
		for i := 0; count < 0 || i < count; i++ {
			if !writePart(w, r, esp32Boundary, frames[i%len(frames)], withLength) {
				return
			}
		}
	}
}

func writePart(w http.ResponseWriter, r *http.Request, boundary string, jpg []byte, withLength bool) bool {
	var hdr bytes.Buffer
	fmt.Fprintf(&hdr, "\r\n--%s\r\nContent-Type: image/jpeg\r\n", boundary)
	if withLength {
		fmt.Fprintf(&hdr, "Content-Length: %d\r\nX-Timestamp: 1.000000\r\n", len(jpg))
	}
	hdr.WriteString("\r\n")
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return false
	}
	if _, err := w.Write(jpg); err != nil {
		return false
	}
	w.(http.Flusher).Flush()
	return r.Context().Err() == nil
}

// stall blocks until the client disconnects (bounded, so a bug cannot hang the suite).
func stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(20 * time.Second):
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fastOpts has short timeouts and backoff so that recovery tests finish quickly.
func fastOpts() Options {
	return Options{Timeout: time.Second, Backoff: Backoff{First: time.Millisecond, Max: 5 * time.Millisecond}, FPS: 1000}
}

// expectFrame calls Next and checks that it returns the fixture frame want (an MJPEG frame, same bytes).
func expectFrame(t *testing.T, ctx context.Context, src Source, want []byte, seq uint64) {
	t.Helper()
	f, err := src.Next(ctx)
	if err != nil {
		t.Fatalf("Next (frame %d): %v", seq, err)
	}
	if f.Format != MJPEG || f.W != fixW || f.H != fixH || !bytes.Equal(f.Data, want) || f.Seq != seq || f.Time.IsZero() {
		t.Fatalf("Next: frame %v %dx%d seq %d, %d bytes (same bytes: %v); want mjpeg %dx%d seq %d, %d bytes",
			f.Format, f.W, f.H, f.Seq, len(f.Data), bytes.Equal(f.Data, want), fixW, fixH, seq, len(want))
	}
}

func expectErr(t *testing.T, ctx context.Context, src Source, want error, text string) {
	t.Helper()
	_, err := src.Next(ctx)
	if err == nil || (want != nil && !errors.Is(err, want)) || !strings.Contains(err.Error(), text) {
		t.Fatalf("Next: err %v; want %v containing %q", err, want, text)
	}
	if IsTerminal(err) && !errors.Is(want, ErrClosed) && !errors.Is(want, context.DeadlineExceeded) {
		t.Fatalf("Next: %v is terminal, want a transient error", err)
	}
}

func TestHTTPStreamESP32(t *testing.T) {
	frames := fixtureJPEGs(t)
	for _, withLength := range []bool{true, false} {
		t.Run(fmt.Sprintf("content-length=%v", withLength), func(t *testing.T) {
			srv := newCamServer(t, streamParts(t, frames, -1, withLength))
			ctx := testCtx(t)
			src, err := OpenHTTP(ctx, srv.URL+"/stream", fastOpts())
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if _, ok := src.(*HTTPStream); !ok {
				t.Fatalf("OpenHTTP returned %T, want *HTTPStream", src)
			}
			var d Decoder
			for i := 0; i < 7; i++ {
				expectFrame(t, ctx, src, frames[i%3], uint64(i))
			}
			f, _ := src.Next(ctx)
			img, err := d.Decode(nil, f)
			if err != nil || img.W != fixW {
				t.Fatalf("decoding a streamed frame: %v", err)
			}
			if n := srv.requests.Load(); n != 1 {
				t.Errorf("server saw %d requests, want 1 (OpenHTTP's response is the stream)", n)
			}
		})
	}
}

// Some cameras put the dashes in the header: boundary=--myboundary, parts start "--myboundary".
func TestHTTPStreamBoundaryWithDashes(t *testing.T) {
	frames := fixtureJPEGs(t)
	srv := newCamServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", `multipart/x-mixed-replace; boundary="--myboundary"`)
		for _, f := range frames {
			fmt.Fprintf(w, "--myboundary\r\nContent-Type: image/jpeg\r\nContent-length: %d\r\n\r\n", len(f))
			w.Write(f)
			io.WriteString(w, "\r\n")
		}
		w.(http.Flusher).Flush()
		stall(r)
	})
	ctx := testCtx(t)
	src, err := OpenHTTPStream(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i, f := range frames {
		expectFrame(t, ctx, src, f, uint64(i))
	}
}

// A part cut short gives ErrTruncated; the next Next reconnects and streams again.
func TestHTTPStreamTruncatedPart(t *testing.T) {
	frames := fixtureJPEGs(t)
	srv := newCamServer(t,
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary="+esp32Boundary)
			writePart(w, r, esp32Boundary, frames[0], true)
			fmt.Fprintf(w, "\r\n--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", esp32Boundary, len(frames[1]))
			w.Write(frames[1][:100]) // and the server goes away
		},
		streamParts(t, frames, -1, true))
	ctx := testCtx(t)
	src, err := OpenHTTPStream(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	expectFrame(t, ctx, src, frames[0], 0)
	expectErr(t, ctx, src, ErrTruncated, fmt.Sprintf("part 1: got 100 of %d bytes", len(frames[1])))
	expectFrame(t, ctx, src, frames[0], 1)
	expectFrame(t, ctx, src, frames[1], 2)
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2", n)
	}
}

func TestHTTPStreamWrongBoundary(t *testing.T) {
	frames := fixtureJPEGs(t)
	srv := newCamServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary=frame")
		writePart(w, r, "other", frames[0], true)
		stall(r)
	})
	ctx := testCtx(t)
	src, err := OpenHTTPStream(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	expectErr(t, ctx, src, ErrBoundary, `part 0: got "--other", want boundary "--frame"`)
	expectErr(t, ctx, src, ErrBoundary, `got "--other"`)
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2 (one reconnection)", n)
	}
}

// A server that stops sending is detected by the read deadline (Options.Timeout), not waited on
// forever; the source reconnects.
func TestHTTPStreamStalled(t *testing.T) {
	frames := fixtureJPEGs(t)
	srv := newCamServer(t,
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary="+esp32Boundary)
			writePart(w, r, esp32Boundary, frames[0], true)
			// Half a part header, then silence.
			fmt.Fprintf(w, "\r\n--%s\r\nContent-Type: image/jpeg\r\n", esp32Boundary)
			w.(http.Flusher).Flush()
			stall(r)
		},
		func(w http.ResponseWriter, r *http.Request) { // silent before the headers
			stall(r)
		},
		streamParts(t, frames, -1, true))
	ctx := testCtx(t)
	src, err := OpenHTTPStream(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	expectFrame(t, ctx, src, frames[0], 0)
	expectErr(t, ctx, src, ErrStalled, "reading part 1 of")
	expectErr(t, ctx, src, ErrStalled, "GET")
	expectFrame(t, ctx, src, frames[0], 1)
	if n := srv.requests.Load(); n != 3 {
		t.Errorf("server saw %d requests, want 3", n)
	}
}

func TestHTTPStreamStatusAndContentType(t *testing.T) {
	frames := fixtureJPEGs(t)
	srv := newCamServer(t,
		func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "camera busy", http.StatusServiceUnavailable)
		},
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>")
		},
		streamParts(t, frames, -1, true))
	ctx := testCtx(t)
	src, err := OpenHTTPStream(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	expectErr(t, ctx, src, ErrHTTPStatus, "503 Service Unavailable camera busy")
	expectErr(t, ctx, src, ErrContentType, `"text/html"`)
	expectFrame(t, ctx, src, frames[0], 0)

	// OpenHTTP says so at once.
	bad := newCamServer(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	if _, err := OpenHTTP(ctx, bad.URL, fastOpts()); !errors.Is(err, ErrHTTPStatus) || !strings.Contains(err.Error(), "404") {
		t.Errorf("OpenHTTP on a 404: %v", err)
	}
	html := newCamServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>hi</body></html>") })
	if _, err := OpenHTTP(ctx, html.URL, fastOpts()); !errors.Is(err, ErrContentType) {
		t.Errorf("OpenHTTP on an HTML page: %v", err)
	}
}

// The server ending the stream (final boundary, or just closing) is an error; the source reconnects.
func TestHTTPStreamServerEnds(t *testing.T) {
	frames := fixtureJPEGs(t)
	srv := newCamServer(t,
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary="+esp32Boundary)
			writePart(w, r, esp32Boundary, frames[0], true)
			fmt.Fprintf(w, "\r\n--%s--\r\n", esp32Boundary)
		},
		streamParts(t, frames, 1, true),
		streamParts(t, frames, -1, true))
	ctx := testCtx(t)
	src, err := OpenHTTPStream(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	expectFrame(t, ctx, src, frames[0], 0)
	expectErr(t, ctx, src, nil, "closed the stream after 1 parts")
	expectFrame(t, ctx, src, frames[0], 1)
	expectErr(t, ctx, src, nil, "ended the stream after 1 parts")
	expectFrame(t, ctx, src, frames[0], 2)
}

// A part that is not a JPEG is reported, and the stream goes on without a reconnection.
func TestHTTPStreamBadPartKeepsConnection(t *testing.T) {
	frames := fixtureJPEGs(t)
	srv := newCamServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary="+esp32Boundary)
		writePart(w, r, esp32Boundary, frames[0], true)
		writePart(w, r, esp32Boundary, []byte("not a jpeg"), true)
		writePart(w, r, esp32Boundary, frames[1], true)
		stall(r)
	})
	ctx := testCtx(t)
	src, err := OpenHTTPStream(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	expectFrame(t, ctx, src, frames[0], 0)
	expectErr(t, ctx, src, ErrBadFrame, "part 1")
	expectFrame(t, ctx, src, frames[1], 1)
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// Cancelling the caller's context and closing the source both end a Next blocked on a silent server.
func TestHTTPStreamCancelAndClose(t *testing.T) {
	srv := newCamServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary=x")
		w.(http.Flusher).Flush()
		stall(r)
	})
	opts := fastOpts()
	opts.Timeout = time.Minute
	src, err := OpenHTTPStream(srv.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next with an expiring context: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := src.Next(testCtx(t))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Next block (the result is the same if it has not yet)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not unblock Next")
	}
	if err := src.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := src.Next(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next on a closed source: %v", err)
	}
}

func TestHTTPSnapshot(t *testing.T) {
	frames := fixtureJPEGs(t)
	var n atomic.Int32
	serve := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(frames[int(n.Add(1)-1)%3])
	}
	srv := newCamServer(t,
		serve, serve,
		func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) },
		func(w http.ResponseWriter, r *http.Request) { // a body cut short
			w.Header().Set("Content-Type", "image/jpeg")
			w.Header().Set("Content-Length", fmt.Sprint(len(frames[0])))
			w.Write(frames[0][:50])
		},
		func(w http.ResponseWriter, r *http.Request) { stall(r) },
		serve)
	ctx := testCtx(t)
	src, err := OpenHTTP(ctx, srv.URL+"/capture", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, ok := src.(*HTTPSnapshot); !ok {
		t.Fatalf("OpenHTTP returned %T, want *HTTPSnapshot", src)
	}
	expectFrame(t, ctx, src, frames[0], 0) // the response OpenHTTP read
	expectFrame(t, ctx, src, frames[1], 1)
	expectErr(t, ctx, src, ErrHTTPStatus, "500")
	expectErr(t, ctx, src, ErrTruncated, fmt.Sprintf("got 50 of %d bytes", len(frames[0])))
	expectErr(t, ctx, src, ErrStalled, "GET")
	expectFrame(t, ctx, src, frames[2], 2)
	expectFrame(t, ctx, src, frames[0], 3)
}

func TestHTTPSnapshotPNG(t *testing.T) {
	png := encodePNG(t, 5, 4)
	srv := newCamServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	})
	src, err := OpenHTTPSnapshot(srv.URL, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f, err := src.Next(testCtx(t))
	if err != nil || f.Format != RGB24 || f.W != 5 || f.H != 4 || len(f.Data) != 60 {
		t.Fatalf("PNG snapshot: %v %dx%d, %d bytes, err %v", f.Format, f.W, f.H, len(f.Data), err)
	}
}

func TestHTTPInvalidURL(t *testing.T) {
	for _, u := range []string{"ftp://x", "http://[::1", "camera.local/stream"} {
		if _, err := OpenHTTPStream(u, Options{}); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("OpenHTTPStream(%q): %v, want ErrInvalidSpec", u, err)
		}
	}
}
