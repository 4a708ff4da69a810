package camera

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// PixelFormat is the layout of a frame's bytes.
type PixelFormat uint8

const (
	FormatUnknown PixelFormat = iota
	// MJPEG: one baseline JPEG image per frame (V4L2 "MJPG" or "JPEG"). UVC cameras often leave out
	// the Huffman tables (DHT segment); Decoder inserts the standard ones.
	MJPEG
	// YUYV: packed 4:2:2, Y0 Cb Y1 Cr for each pair of pixels, W·H·2 bytes (V4L2 "YUYV").
	YUYV
	// GREY: one 8-bit luma byte per pixel, W·H bytes (V4L2 "GREY").
	GREY
	// NV12: a W·H luma plane, then W·H/2 bytes of interleaved Cb Cr at half resolution in both
	// directions (V4L2 "NV12").
	NV12
	// RGB24: packed R G B, W·H·3 bytes (V4L2 "RGB3").
	RGB24
)

var formatNames = [...]string{FormatUnknown: "unknown", MJPEG: "mjpeg", YUYV: "yuyv", GREY: "grey", NV12: "nv12", RGB24: "rgb24"}

func (p PixelFormat) String() string {
	if int(p) < len(formatNames) {
		return formatNames[p]
	}
	return fmt.Sprintf("PixelFormat(%d)", uint8(p))
}

// ParsePixelFormat parses a format name ("mjpeg", "yuyv", "grey", "nv12", "rgb24"; case-insensitive;
// "mjpg", "jpeg", "yuyv422", "gray" and "rgb" are accepted too).
func ParsePixelFormat(s string) (PixelFormat, error) {
	switch strings.ToLower(s) {
	case "mjpeg", "mjpg", "jpeg", "jpg":
		return MJPEG, nil
	case "yuyv", "yuyv422", "yuy2":
		return YUYV, nil
	case "grey", "gray", "y8":
		return GREY, nil
	case "nv12":
		return NV12, nil
	case "rgb24", "rgb", "rgb3":
		return RGB24, nil
	}
	return FormatUnknown, fmt.Errorf("%w: pixel format %q (want mjpeg, yuyv, grey, nv12 or rgb24)", ErrInvalidSpec, s)
}

// FrameLen returns the number of bytes of a w×h frame in a raw format, or -1 for MJPEG (variable)
// and unknown formats. YUYV needs an even width and NV12 an even width and height; FrameLen returns
// -1 for sizes that break that rule.
func (p PixelFormat) FrameLen(w, h int) int {
	if w <= 0 || h <= 0 {
		return -1
	}
	switch p {
	case YUYV:
		if w%2 != 0 {
			return -1
		}
		return w * h * 2
	case GREY:
		return w * h
	case NV12:
		if w%2 != 0 || h%2 != 0 {
			return -1
		}
		return w*h + w*h/2
	case RGB24:
		return w * h * 3
	}
	return -1
}

// Frame is one captured image.
//
// Ownership: Data belongs to the source and stays valid until the next call to Next or Close on that
// source, which may overwrite it — sources reuse one buffer so that steady-state capture does not
// allocate per frame. Keep a frame longer with Clone.
type Frame struct {
	// Seq numbers the frames the source captured, from 0. A gap means frames were dropped (a V4L2
	// source skips frames that a newer one superseded while the caller was busy).
	Seq uint64
	// Time is when the frame was captured: when the source received its last byte (the driver's
	// timestamp is not available through github.com/blackjack/webcam), or the virtual capture time
	// of a demo frame.
	Time time.Time
	// Format, W and H describe Data. For MJPEG, W and H are the size the source negotiated or read
	// from the JPEG header; the decoder trusts the JPEG header.
	Format PixelFormat
	W, H   int
	Data   []byte
}

// Clone returns a copy of f whose Data the caller owns.
func (f Frame) Clone() Frame {
	f.Data = append([]byte(nil), f.Data...)
	return f
}

// Source delivers frames.
//
// Next blocks until a frame is available, ctx is done or the source is closed. It is not safe to call
// Next from two goroutines at once; Close may be called at any time from any goroutine, makes a
// blocked Next return ErrClosed promptly (a V4L2 source within its one-second poll), and is
// idempotent. See the package errors for which errors end a capture loop (IsTerminal).
type Source interface {
	Next(ctx context.Context) (Frame, error)
	Close() error
}

// IsTerminal reports whether an error from Source.Next means the capture loop should stop: the
// source is closed (ErrClosed), exhausted (io.EOF), or ctx is done. Any other error is transient and
// the next call to Next tries to recover.
func IsTerminal(err error) bool {
	return errors.Is(err, ErrClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
