package camera

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// HTTP cameras come in two kinds, told apart by the response's Content-Type:
//
//   - MJPEG streams (multipart/x-mixed-replace; boundary=…): one long response whose parts are JPEG
//     images — ESP32-CAM's /stream, mjpg-streamer, most IP cameras. OpenHTTPStream.
//   - Snapshots (image/jpeg, image/png, image/bmp): one image per request — ESP32-CAM's /capture,
//     an IP camera's snapshot.jpg. OpenHTTPSnapshot polls them.
//
// OpenHTTP asks the server and returns the right one.

// OpenHTTP connects to an HTTP camera and returns an MJPEG stream source or a snapshot source,
// decided by the Content-Type of the first response (that response becomes the first frame, so an
// ESP32-CAM, which serves one stream client at a time, is not asked twice). It fails with
// ErrHTTPStatus or ErrContentType when the URL serves neither; after that, sources reconnect by
// themselves.
func OpenHTTP(ctx context.Context, url string, opts Options) (Source, error) {
	c, err := newHTTPConn(url, opts)
	if err != nil {
		return nil, err
	}
	resp, conn, err := c.get(ctx)
	if err != nil {
		c.closeIdle()
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	if boundary, ok := multipartBoundary(ct); ok {
		s := &HTTPStream{httpConn: c}
		s.adopt(resp, conn, boundary)
		return s, nil
	}
	if isImageType(ct) {
		s := &HTTPSnapshot{httpConn: c, pace: newPacer(c.snapshotFPS())}
		s.first, s.firstErr = s.readBody(resp, conn)
		s.pace.wait(ctx, nil) // the first response counts as the first poll
		return s, nil
	}
	conn.close()
	c.closeIdle()
	return nil, fmt.Errorf("%w: %s serves %q, want multipart/x-mixed-replace (an MJPEG stream) or image/jpeg (a snapshot)", ErrContentType, url, ct)
}

// httpConn is what both HTTP sources share: the client, the closing machinery and the watchdog
// that turns a silent server into ErrStalled.
type httpConn struct {
	url     string
	opts    Options
	client  *http.Client
	own     bool // client made here; Close closes its idle connections
	lc      lifecycle
	log     *slog.Logger
	base    context.Context // cancelled by Close: aborts every request
	cancel  context.CancelFunc
	mu      sync.Mutex // held by Next; Close takes it to release the connection
	fails   int        // consecutive failures, for the backoff
	seq     uint64
	timeout time.Duration
}

func newHTTPConn(url string, opts Options) (*httpConn, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return nil, fmt.Errorf("%w: %q is not an http:// or https:// URL", ErrInvalidSpec, url)
	}
	if _, err := http.NewRequest(http.MethodGet, url, nil); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	c := &httpConn{url: url, opts: opts, client: opts.HTTPClient, lc: newLifecycle(), log: opts.logger(), timeout: opts.timeout()}
	if c.client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}).DialContext
		c.client, c.own = &http.Client{Transport: t}, true
	}
	c.base, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

func (c *httpConn) snapshotFPS() float64 {
	if c.opts.FPS > 0 {
		return c.opts.FPS
	}
	return DefaultSnapshotFPS
}

func (c *httpConn) closeIdle() {
	if c.own {
		c.client.CloseIdleConnections()
	}
}

// watchdog cancels a connection that sends nothing for a timeout. Reads through it arm the timer;
// between reads (the caller busy with a frame) it is stopped.
type watchdog struct {
	body    io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
	stalled atomic.Bool
	cancel  context.CancelFunc // of this connection
	stop    func() bool        // unregisters the caller-context hook
}

func (w *watchdog) Read(p []byte) (int, error) {
	w.timer.Reset(w.timeout)
	n, err := w.body.Read(p)
	w.timer.Stop()
	return n, err
}

// arm starts the timer for a wait that is not a Read (connecting, waiting for headers).
func (w *watchdog) arm()    { w.timer.Reset(w.timeout) }
func (w *watchdog) disarm() { w.timer.Stop() }

// hook makes ctx's cancellation abort the connection (a Read blocked in the network returns).
func (w *watchdog) hook(ctx context.Context) {
	if ctx.Done() != nil {
		w.stop = context.AfterFunc(ctx, w.cancel)
	}
}

func (w *watchdog) unhook() {
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
}

// close drops the connection.
func (w *watchdog) close() {
	w.unhook()
	w.timer.Stop()
	w.cancel()
	if w.body != nil {
		w.body.Close()
	}
}

// get sends a GET and checks the status. The returned watchdog is hooked to ctx and disarmed.
func (c *httpConn) get(ctx context.Context) (*http.Response, *watchdog, error) {
	cctx, cancel := context.WithCancel(c.base)
	w := &watchdog{timeout: c.timeout, cancel: cancel}
	w.timer = time.AfterFunc(time.Hour, func() { w.stalled.Store(true); cancel() })
	w.timer.Stop()
	w.hook(ctx)
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, c.url, nil)
	if err != nil {
		w.close()
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	req.Header.Set("Accept", "multipart/x-mixed-replace, image/jpeg, image/*")
	w.arm()
	resp, err := c.client.Do(req)
	w.disarm()
	if err != nil {
		w.close()
		return nil, nil, c.explain(ctx, w, "GET", err)
	}
	w.body = resp.Body
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		w.close()
		return nil, nil, fmt.Errorf("%w: GET %s: %s %s", ErrHTTPStatus, c.url, resp.Status, strings.TrimSpace(string(msg)))
	}
	return resp, w, nil
}

// explain turns the error of an aborted or failed request into the one the caller needs: ErrClosed,
// ctx's error, ErrStalled, or the transport's error with the URL.
func (c *httpConn) explain(ctx context.Context, w *watchdog, what string, err error) error {
	switch {
	case c.lc.check(context.Background()) != nil:
		return ErrClosed
	case ctx.Err() != nil:
		return ctx.Err()
	case w != nil && w.stalled.Load():
		return fmt.Errorf("%w: %s %s: no bytes for %v", ErrStalled, what, c.url, c.timeout)
	}
	return fmt.Errorf("camera: %s %s: %w", what, c.url, err)
}

// begin starts a Next: it checks the state and, after failures, waits the backoff delay.
func (c *httpConn) begin(ctx context.Context) error {
	if err := c.lc.check(ctx); err != nil {
		return err
	}
	if c.fails > 0 {
		d := c.opts.Backoff.Delay(c.fails)
		c.log.Debug("camera: reconnecting", "url", c.url, "after", d, "failures", c.fails)
		return sleep(ctx, c.lc.closed, d)
	}
	return nil
}

// fail records a failure unless err is terminal and returns err.
func (c *httpConn) fail(err error) error {
	if !IsTerminal(err) {
		c.fails++
		c.log.Warn("camera: http source", "url", c.url, "err", err)
	}
	return err
}

// HTTPStream is an MJPEG-over-HTTP source (multipart/x-mixed-replace). Parts are read in order as
// Next is called — a slow caller makes the server wait (TCP flow control) rather than lose frames.
//
// A part needs a boundary line, headers and a JPEG body: Content-Length bytes when the part says, else
// up to the JPEG's end marker. The boundary from the Content-Type is matched with and without a
// leading "--" (some cameras put the dashes in the header). Broken framing (ErrBoundary), a part cut
// short (ErrTruncated), a silent server (ErrStalled, after Options.Timeout), the server ending the
// stream or a failed connection drop the connection, and the next Next reconnects after the backoff
// delay. A part whose framing is sound but whose body is not a JPEG gives ErrBadFrame and keeps the
// connection.
type HTTPStream struct {
	*httpConn
	w        *watchdog
	r        *bufio.Reader
	boundary string
	part     int // parts begun on this connection; the one being read is part-1
	buf      []byte
}

// OpenHTTPStream returns an MJPEG stream source; it connects on the first Next.
func OpenHTTPStream(url string, opts Options) (*HTTPStream, error) {
	c, err := newHTTPConn(url, opts)
	if err != nil {
		return nil, err
	}
	return &HTTPStream{httpConn: c}, nil
}

func (s *HTTPStream) adopt(resp *http.Response, w *watchdog, boundary string) {
	w.unhook() // the context of the call that connected is not the next caller's
	s.w, s.boundary, s.part = w, boundary, 0
	if s.r == nil {
		s.r = bufio.NewReaderSize(w, 64<<10)
	} else {
		s.r.Reset(w)
	}
	s.log.Info("camera: mjpeg stream connected", "url", s.url, "boundary", boundary)
}

func (s *HTTPStream) drop() {
	if s.w != nil {
		s.w.close()
		s.w = nil
	}
}

// multipartBoundary returns the boundary of a multipart/x-mixed-replace content type.
func multipartBoundary(ct string) (string, bool) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/x-mixed-replace" || params["boundary"] == "" {
		return "", false
	}
	return params["boundary"], true
}

func isImageType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && strings.HasPrefix(mt, "image/")
}

// Next returns the next JPEG part as an MJPEG frame.
func (s *HTTPStream) Next(ctx context.Context) (Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin(ctx); err != nil {
		return Frame{}, err
	}
	if s.w == nil {
		resp, w, err := s.get(ctx)
		if err != nil {
			return Frame{}, s.fail(err)
		}
		boundary, ok := multipartBoundary(resp.Header.Get("Content-Type"))
		if !ok {
			w.close()
			return Frame{}, s.fail(fmt.Errorf("%w: %s serves %q, want multipart/x-mixed-replace with a boundary", ErrContentType, s.url, resp.Header.Get("Content-Type")))
		}
		s.adopt(resp, w, boundary)
	}
	s.w.hook(ctx)
	f, keep, err := s.readPart()
	s.w.unhook()
	if err != nil {
		err = s.streamError(ctx, err)
		if keep && !IsTerminal(err) {
			// The framing is intact: the next part is read at once, without a reconnection.
			s.log.Warn("camera: mjpeg stream: bad part", "url", s.url, "err", err)
			return Frame{}, err
		}
		s.drop()
		return Frame{}, s.fail(err)
	}
	s.fails = 0
	f.Seq, f.Time = s.seq, time.Now()
	s.seq++
	return f, nil
}

// streamError explains a read error: an abort (Close, ctx, stall) or a framing error as is.
func (s *HTTPStream) streamError(ctx context.Context, err error) error {
	if s.lc.check(context.Background()) != nil || ctx.Err() != nil || s.w.stalled.Load() {
		return s.explain(ctx, s.w, fmt.Sprintf("reading part %d of", s.part-1), err)
	}
	return err
}

// readPart reads one part. keep reports that the connection is still in step (the error is about the
// part's content, not the framing).
func (s *HTTPStream) readPart() (f Frame, keep bool, err error) {
	n := s.part
	s.part++
	// The boundary line, after any blank lines (the CRLF ending the previous part).
	var line []byte
	for blank := 0; ; blank++ {
		line, err = s.readLine()
		if err != nil {
			if err == io.EOF && blank == 0 {
				return f, false, fmt.Errorf("camera: %s: the server ended the stream after %d parts", s.url, n)
			}
			return f, false, fmt.Errorf("%w: %s, before part %d: %v", ErrBoundary, s.url, n, truncatedEOF(err))
		}
		if len(line) > 0 {
			break
		}
		if blank > 4 {
			return f, false, fmt.Errorf("%w: %s, before part %d: blank lines where the boundary should be", ErrBoundary, s.url, n)
		}
	}
	if !s.isBoundary(line) {
		return f, false, fmt.Errorf("%w: %s, part %d: got %q, want boundary %q", ErrBoundary, s.url, n, clip(line), "--"+strings.TrimPrefix(s.boundary, "--"))
	}
	if bytes.HasSuffix(line, []byte("--")) && s.isBoundary(line[:len(line)-2]) {
		return f, false, fmt.Errorf("camera: %s: the server closed the stream after %d parts", s.url, n)
	}
	// Headers.
	length, ctype := -1, ""
	for h := 0; ; h++ {
		line, err = s.readLine()
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return f, false, fmt.Errorf("%w: %s, part %d: the stream ends inside the part headers", ErrTruncated, s.url, n)
			}
			return f, false, fmt.Errorf("%w: %s, part %d headers: %v", ErrBoundary, s.url, n, err)
		}
		if len(line) == 0 {
			break
		}
		if h > 32 {
			return f, false, fmt.Errorf("%w: %s, part %d: more than 32 header lines", ErrBoundary, s.url, n)
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return f, false, fmt.Errorf("%w: %s, part %d: header line %q has no colon", ErrBoundary, s.url, n, clip(line))
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(bytes.TrimSpace(k), []byte("Content-Length")):
			l, err := strconv.Atoi(string(v))
			if err != nil || l < 0 {
				return f, false, fmt.Errorf("%w: %s, part %d: Content-Length %q", ErrBoundary, s.url, n, clip(v))
			}
			if l > MaxFrameBytes {
				return f, false, fmt.Errorf("%w: %s, part %d: Content-Length %d exceeds %d", ErrBadFrame, s.url, n, l, MaxFrameBytes)
			}
			length = l
		case bytes.EqualFold(bytes.TrimSpace(k), []byte("Content-Type")):
			ctype = string(v)
		}
	}
	// Body.
	if length >= 0 {
		var got int
		s.buf, got, err = readN(s.r, s.buf[:0], length)
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return f, false, fmt.Errorf("%w: %s, part %d: got %d of %d bytes", ErrTruncated, s.url, n, got, length)
			}
			return f, false, err
		}
	} else {
		s.buf, err = readJPEG(s.r, s.buf[:0], MaxFrameBytes)
		if err != nil {
			if err == io.EOF {
				err = fmt.Errorf("%w: stream ends where a JPEG should start", ErrTruncated)
			}
			return f, false, fmt.Errorf("camera: %s, part %d (no Content-Length): %w", s.url, n, err)
		}
	}
	w, h, err := JPEGSize(s.buf)
	if err != nil {
		return f, true, fmt.Errorf("camera: %s, part %d (%q, %d bytes): %w", s.url, n, ctype, len(s.buf), err)
	}
	return Frame{Format: MJPEG, W: w, H: h, Data: s.buf}, true, nil
}

// readN appends n bytes from r to dst. The buffer grows as the bytes arrive rather than by n at once,
// so that a part header announcing a large frame costs memory only if the frame comes.
func readN(r io.Reader, dst []byte, n int) ([]byte, int, error) {
	start := len(dst)
	for len(dst)-start < n {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, min(n-(len(dst)-start), max(64<<10, len(dst)-start)))
		}
		m, err := r.Read(dst[len(dst):min(cap(dst), start+n)])
		dst = dst[:len(dst)+m]
		if err != nil && len(dst)-start < n {
			return dst, len(dst) - start, err
		}
	}
	return dst, n, nil
}

func (s *HTTPStream) isBoundary(line []byte) bool {
	b := s.boundary
	l := string(bytes.TrimRight(line, " \t"))
	return l == "--"+b || (strings.HasPrefix(b, "--") && l == b) || l == "--"+b+"--" || (strings.HasPrefix(b, "--") && l == b+"--")
}

// readLine reads a line of at most 1 KiB without its CRLF or LF.
func (s *HTTPStream) readLine() ([]byte, error) {
	line, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || (err == nil && len(line) > 1024) {
		return nil, fmt.Errorf("line longer than %d bytes", min(len(line), 1024))
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

func truncatedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// clip shortens a protocol line for an error message.
func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

// Close stops the source, aborting a blocked Next, and releases the connection. It is idempotent.
func (s *HTTPStream) Close() error {
	if !s.lc.close() {
		return nil
	}
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop()
	s.closeIdle()
	return nil
}

// HTTPSnapshot polls an HTTP camera's still-image URL: one GET per frame, paced at Options.FPS
// (default 2 frames/s). JPEG responses are delivered as MJPEG frames; PNG and BMP responses are
// decoded to RGB24 frames. Failures (a status other than 200, a body cut short — ErrTruncated — a
// stalled server, a refused connection) are returned and the next Next retries after the backoff
// delay.
type HTTPSnapshot struct {
	*httpConn
	pace     pacer
	buf      []byte
	first    Frame // the response OpenHTTP read, delivered by the first Next
	firstErr error
}

// OpenHTTPSnapshot returns a snapshot-polling source; it connects on the first Next.
func OpenHTTPSnapshot(url string, opts Options) (*HTTPSnapshot, error) {
	c, err := newHTTPConn(url, opts)
	if err != nil {
		return nil, err
	}
	return &HTTPSnapshot{httpConn: c, pace: newPacer(c.snapshotFPS())}, nil
}

// Next fetches the next snapshot.
func (s *HTTPSnapshot) Next(ctx context.Context) (Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first.Data != nil || s.firstErr != nil {
		f, err := s.first, s.firstErr
		s.first, s.firstErr = Frame{}, nil
		return s.deliver(f, err)
	}
	if err := s.begin(ctx); err != nil {
		return Frame{}, err
	}
	if err := s.pace.wait(ctx, s.lc.closed); err != nil {
		return Frame{}, err
	}
	resp, w, err := s.get(ctx)
	if err != nil {
		return Frame{}, s.fail(err)
	}
	if ct := resp.Header.Get("Content-Type"); !isImageType(ct) {
		w.close()
		return Frame{}, s.fail(fmt.Errorf("%w: %s serves %q, want an image", ErrContentType, s.url, ct))
	}
	f, err := s.readBody(resp, w)
	if err != nil {
		err = s.explain(ctx, w, "reading", err)
	}
	return s.deliver(f, err)
}

func (s *HTTPSnapshot) deliver(f Frame, err error) (Frame, error) {
	if err != nil {
		return Frame{}, s.fail(err)
	}
	s.fails = 0
	f.Seq, f.Time = s.seq, time.Now()
	s.seq++
	return f, nil
}

// readBody reads and closes a snapshot response.
func (s *HTTPSnapshot) readBody(resp *http.Response, w *watchdog) (Frame, error) {
	defer w.close()
	if resp.ContentLength > MaxFrameBytes {
		return Frame{}, fmt.Errorf("%w: %s: Content-Length %d exceeds %d", ErrBadFrame, s.url, resp.ContentLength, MaxFrameBytes)
	}
	buf := bytes.NewBuffer(s.buf[:0])
	_, err := buf.ReadFrom(io.LimitReader(w, MaxFrameBytes+1))
	s.buf = buf.Bytes()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, fmt.Errorf("%w: %s: got %d of %d bytes", ErrTruncated, s.url, len(s.buf), resp.ContentLength)
		}
		return Frame{}, err
	}
	if len(s.buf) > MaxFrameBytes {
		return Frame{}, fmt.Errorf("%w: %s: image larger than %d bytes", ErrBadFrame, s.url, MaxFrameBytes)
	}
	if len(s.buf) >= 3 && s.buf[0] == 0xff && s.buf[1] == 0xd8 && s.buf[2] == 0xff {
		wd, h, err := JPEGSize(s.buf)
		if err != nil {
			return Frame{}, fmt.Errorf("camera: %s: %w", s.url, err)
		}
		return Frame{Format: MJPEG, W: wd, H: h, Data: s.buf}, nil
	}
	img, err := preprocess.DecodeBytes(s.buf)
	if err != nil {
		return Frame{}, fmt.Errorf("%w: %s: %v", ErrBadFrame, s.url, err)
	}
	return Frame{Format: RGB24, W: img.W, H: img.H, Data: img.Pix}, nil
}

// Close stops the source, aborting a blocked Next. It is idempotent.
func (s *HTTPSnapshot) Close() error {
	if !s.lc.close() {
		return nil
	}
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeIdle()
	return nil
}
