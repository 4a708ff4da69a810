package camera

import "errors"

// Sentinel errors. Sources and decoders wrap them with %w and the context a user needs (device path,
// URL, file, part number, byte counts), so callers can test with errors.Is.
//
// Errors returned by Source.Next fall in three groups:
//   - terminal: ErrClosed (the source was closed) and io.EOF (a finite file source is exhausted);
//   - the caller's context: ctx.Err() (context.Canceled or context.DeadlineExceeded);
//   - transient: everything else. The source has dropped the broken device or connection, and the
//     next call to Next reconnects, waiting the Backoff delay first. A capture loop logs them and
//     calls Next again; IsTerminal tells the groups apart.
var (
	// ErrClosed: Next was called on, or was interrupted by, a closed source.
	ErrClosed = errors.New("camera: source closed")
	// ErrInvalidSpec: Open was given a spec it cannot parse, or Options are invalid.
	ErrInvalidSpec = errors.New("camera: invalid source spec")
	// ErrNoDevice: no V4L2 device has the requested path or name.
	ErrNoDevice = errors.New("camera: no such video device")
	// ErrUnsupported: the operation needs something this build or device lacks (V4L2 off Linux, a
	// pixel format the device does not offer, a pixel format this package does not decode).
	ErrUnsupported = errors.New("camera: unsupported")
	// ErrTimeout: a V4L2 device delivered no frame within Options.Timeout.
	ErrTimeout = errors.New("camera: timed out waiting for a frame")
	// ErrDeviceLost: the V4L2 device failed while streaming (typically: unplugged).
	ErrDeviceLost = errors.New("camera: device lost")
	// ErrHTTPStatus: an HTTP camera answered with a status other than 200.
	ErrHTTPStatus = errors.New("camera: HTTP status")
	// ErrContentType: an HTTP camera answered with a content type that is neither an image nor a
	// multipart/x-mixed-replace stream.
	ErrContentType = errors.New("camera: unexpected content type")
	// ErrBoundary: an MJPEG stream's multipart framing is broken (missing or wrong boundary line,
	// malformed part headers).
	ErrBoundary = errors.New("camera: bad multipart boundary")
	// ErrTruncated: a frame ended early (an MJPEG part shorter than its Content-Length, a JPEG without
	// its end marker, a raw file whose size is not a whole number of frames).
	ErrTruncated = errors.New("camera: truncated frame")
	// ErrStalled: an HTTP camera sent no bytes within Options.Timeout.
	ErrStalled = errors.New("camera: stream stalled")
	// ErrBadFrame: a frame's bytes do not fit its pixel format and size, or its JPEG data is malformed.
	ErrBadFrame = errors.New("camera: bad frame")
)
