//go:build linux

package camera

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/blackjack/webcam"
)

// newDeviceSystem returns the real V4L2 devices, through github.com/blackjack/webcam.
func newDeviceSystem() deviceSystem { return webcamSystem{} }

type webcamSystem struct{}

func (webcamSystem) Open(path string) (device, error) {
	w, err := webcam.Open(path)
	if err != nil {
		// webcam.Open reports these two as plain strings.
		if msg := err.Error(); msg == "Not a video capture device" || strings.HasPrefix(msg, "Device does not support the streaming") {
			return nil, errNotCapture
		}
		return nil, err
	}
	return webcamDevice{w}, nil
}

// Paths lists /dev/video* in numeric order (video2 before video10).
func (webcamSystem) Paths() []string {
	paths, _ := filepath.Glob("/dev/video*")
	num := func(p string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "video"))
		if err != nil {
			return 1 << 30
		}
		return n
	}
	slices.SortFunc(paths, func(a, b string) int {
		if na, nb := num(a), num(b); na != nb {
			return na - nb
		}
		return strings.Compare(a, b)
	})
	return paths
}

type webcamDevice struct{ w *webcam.Webcam }

func (d webcamDevice) Name() (string, error) { return d.w.GetName() }

func (d webcamDevice) Formats() map[uint32]string {
	out := map[uint32]string{}
	for f, desc := range d.w.GetSupportedFormats() {
		out[uint32(f)] = desc
	}
	return out
}

func (d webcamDevice) FrameSizes(fourcc uint32) []frameSize {
	var out []frameSize
	for _, s := range d.w.GetSupportedFrameSizes(webcam.PixelFormat(fourcc)) {
		out = append(out, frameSize{s.MinWidth, s.MaxWidth, s.StepWidth, s.MinHeight, s.MaxHeight, s.StepHeight})
	}
	return out
}

func (d webcamDevice) FrameRates(fourcc, w, h uint32) []frameRate {
	var out []frameRate
	for _, r := range d.w.GetSupportedFramerates(webcam.PixelFormat(fourcc), w, h) {
		out = append(out, frameRate{r.MinNumerator, r.MaxNumerator, r.StepNumerator, r.MinDenominator, r.MaxDenominator, r.StepDenominator})
	}
	return out
}

func (d webcamDevice) SetFormat(fourcc, w, h uint32) (uint32, uint32, uint32, error) {
	f, gw, gh, err := d.w.SetImageFormat(webcam.PixelFormat(fourcc), w, h)
	return uint32(f), gw, gh, err
}

func (d webcamDevice) SetFPS(fps float64) error        { return d.w.SetFramerate(float32(fps)) }
func (d webcamDevice) SetBufferCount(n uint32) error   { return d.w.SetBufferCount(n) }
func (d webcamDevice) StartStreaming() error           { return d.w.StartStreaming() }
func (d webcamDevice) ReleaseFrame(index uint32) error { return d.w.ReleaseFrame(index) }
func (d webcamDevice) Close() error                    { return d.w.Close() }

func (d webcamDevice) WaitForFrame(seconds uint32) error {
	err := d.w.WaitForFrame(seconds)
	var t *webcam.Timeout
	if errors.As(err, &t) {
		return errWaitTimeout
	}
	return err
}

func (d webcamDevice) GetFrame() ([]byte, uint32, error) { return d.w.GetFrame() }
