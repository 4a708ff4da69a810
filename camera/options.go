package camera

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"
)

// Options configure a source. The zero value is valid: every field has a default, and each source
// reads only the fields that apply to it.
type Options struct {
	// Width and Height: the frame size to ask a V4L2 device for (the closest offered size wins;
	// default 640×480) and the size of demo frames (default 320×240). Ignored by file and HTTP sources.
	Width, Height int
	// FPS: the frame rate to ask a V4L2 device for (default 30), and the pace of file, demo and
	// HTTP-snapshot sources (0: as fast as Next is called for files and the demo, 2 frames/s for
	// snapshots).
	FPS float64
	// Format: the pixel format to ask a V4L2 device for; FormatUnknown (default) chooses (see
	// OpenV4L2). The demo source honours RGB24 (default), YUYV and GREY.
	Format PixelFormat
	// Once makes file sources return io.EOF after the last frame instead of starting over.
	Once bool
	// Seed makes the demo source's scenes (the same seed gives the same frames).
	Seed int64
	// Timeout: how long a V4L2 device may deliver no frame (rounded up to whole seconds), and how long
	// an HTTP camera may send no bytes, before Next gives up with ErrTimeout or ErrStalled and
	// reconnects. Default 5 s.
	Timeout time.Duration
	// Backoff: the delays between reconnection attempts.
	Backoff Backoff
	// HTTPClient is used by HTTP sources; nil: a client with no overall timeout (streams are long)
	// and Timeout as its dial and response-header timeout.
	HTTPClient *http.Client
	// Logger receives what a source negotiated and how it recovers; nil discards.
	Logger *slog.Logger
}

// Default values of Options.
const (
	DefaultWidth        = 640
	DefaultHeight       = 480
	DefaultFPS          = 30
	DefaultDemoWidth    = 320
	DefaultDemoHeight   = 240
	DefaultTimeout      = 5 * time.Second
	DefaultSnapshotFPS  = 2
	DefaultBackoffFirst = 100 * time.Millisecond
	DefaultBackoffMax   = 5 * time.Second
	// MaxFrameBytes bounds a frame read from a file or the network (a JPEG of 32 MiB is far beyond
	// any camera), so that a hostile Content-Length cannot make a source allocate gigabytes.
	MaxFrameBytes = 32 << 20
)

// Validate reports the first invalid field.
func (o Options) Validate() error {
	switch {
	case o.Width < 0 || o.Height < 0 || o.Width > 1<<15 || o.Height > 1<<15:
		return fmt.Errorf("%w: size %dx%d", ErrInvalidSpec, o.Width, o.Height)
	case o.FPS < 0 || math.IsNaN(o.FPS) || math.IsInf(o.FPS, 0):
		return fmt.Errorf("%w: fps %v", ErrInvalidSpec, o.FPS)
	case o.Format > RGB24:
		return fmt.Errorf("%w: pixel format %v", ErrInvalidSpec, o.Format)
	case o.Timeout < 0:
		return fmt.Errorf("%w: timeout %v", ErrInvalidSpec, o.Timeout)
	}
	return o.Backoff.Validate()
}

func (o Options) timeout() time.Duration {
	if o.Timeout == 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o.Logger
}

// Backoff is an exponential backoff: the n-th consecutive failure (n from 1) waits
// min(First·2^(n−1), Max) before the next attempt. Zero fields take the defaults (100 ms, 5 s).
type Backoff struct {
	First, Max time.Duration
}

// Validate rejects negative delays and First > Max.
func (b Backoff) Validate() error {
	f, m := b.limits()
	if b.First < 0 || b.Max < 0 || f > m {
		return fmt.Errorf("%w: backoff first %v, max %v", ErrInvalidSpec, b.First, b.Max)
	}
	return nil
}

func (b Backoff) limits() (first, ceil time.Duration) {
	first, ceil = b.First, b.Max
	if first == 0 {
		first = DefaultBackoffFirst
	}
	if ceil == 0 {
		ceil = max(DefaultBackoffMax, first)
	}
	return first, ceil
}

// Delay returns the wait after the n-th consecutive failure (0 for n ≤ 0).
func (b Backoff) Delay(n int) time.Duration {
	if n <= 0 {
		return 0
	}
	d, m := b.limits()
	for i := 1; i < n && d < m; i++ {
		d *= 2
	}
	return min(d, m)
}

// sleep waits d, or until ctx is done or closed is closed.
func sleep(ctx context.Context, closed <-chan struct{}, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return ErrClosed
	}
}

// lifecycle is the closing machinery shared by the sources: a channel closed once by Close.
type lifecycle struct {
	once   sync.Once
	closed chan struct{}
}

func newLifecycle() lifecycle { return lifecycle{closed: make(chan struct{})} }

// close closes the channel; it reports whether this call did (false on a second Close).
func (l *lifecycle) close() bool {
	first := false
	l.once.Do(func() { close(l.closed); first = true })
	return first
}

// check returns ErrClosed once closed, else ctx.Err().
func (l *lifecycle) check(ctx context.Context) error {
	select {
	case <-l.closed:
		return ErrClosed
	default:
	}
	return ctx.Err()
}

// pacer spaces frames 1/fps apart (no pacing for fps 0). A late caller is not made to catch up: the
// next frame is due one period after the later of its due time and now.
type pacer struct {
	period time.Duration
	next   time.Time
}

func newPacer(fps float64) pacer {
	if fps <= 0 {
		return pacer{}
	}
	return pacer{period: time.Duration(float64(time.Second) / fps)}
}

func (p *pacer) wait(ctx context.Context, closed <-chan struct{}) error {
	if p.period == 0 {
		return nil
	}
	now := time.Now()
	if p.next.IsZero() || p.next.Before(now) {
		p.next = now
	}
	if err := sleep(ctx, closed, p.next.Sub(now)); err != nil {
		return err
	}
	p.next = p.next.Add(p.period)
	return nil
}
