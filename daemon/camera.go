package daemon

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/camera/plugin"
	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/prometheus/client_golang/prometheus"
)

// Camera states (api.CameraStatus.State).
const (
	stateStarting = "starting"
	stateRunning  = "running"
	stateRetrying = "retrying"
	stateStopped  = "stopped"
)

// snapshotQuality is the JPEG quality of snapshots, captured samples and inbox items.
const snapshotQuality = 90

// cam is one camera loop: a capture goroutine that keeps only the newest frame, and a classifier
// goroutine that takes it when the model is free (never queueing behind it).
type cam struct {
	d      *Daemon
	cfg    CameraConfig
	source string // the spec the source was opened with
	src    camera.Source
	fixed  *loadedModel // the camera's own model; nil: the trainable one
	plugin *plugin.Plugin
	policy plugin.Policy
	log    *slog.Logger

	frames, dropped, classified atomic.Uint64
	state                       atomic.Value // string
	lastErr                     atomic.Value // string

	// The camera's series of the daemon's metrics.
	mFrames, mDropped, mClassified, mErrors, mPlugin prometheus.Counter
	mLatency                                         prometheus.Observer

	// The capture slot: the newest frame, not yet taken by the classifier.
	mu     sync.Mutex
	slot   []byte
	slotF  camera.Frame // its metadata (Data nil)
	full   bool
	signal chan struct{} // capacity 1: "a frame is in the slot"
	w, h   int

	// Classifier state (its goroutine only).
	work    []byte
	dec     camera.Decoder
	img     *preprocess.RGB8
	cur     *loadedModel
	sess    *nn.Session
	x       *tensor.Tensor
	pre     *preprocess.Preprocessor
	pipe    *plugin.Pipeline
	probs   []float32
	idx     []int
	times   [16]time.Time // when the last frames were classified, for FPS
	nTimes  int
	lastBox time.Time // last inbox item

	// The last classified frame and its prediction (snapshot, capture).
	smu      sync.RWMutex
	shown    *preprocess.RGB8
	last     *api.Prediction
	jpegMu   sync.Mutex
	jpegSeq  uint64
	jpegData []byte
	fps      atomic.Uint64 // math.Float64bits
	lastAt   atomic.Int64  // when the last frame was classified, Unix nanoseconds
}

func (c *cam) setState(s string) { c.state.Store(s) }

func (c *cam) stateString() string {
	s, _ := c.state.Load().(string)
	return s
}

func (c *cam) model() *loadedModel {
	if c.fixed != nil {
		return c.fixed
	}
	return c.d.trainable.Load()
}

// capture reads frames into the slot until ctx is done or the source ends.
func (c *cam) capture(ctx context.Context) {
	for {
		f, err := c.src.Next(ctx)
		if err != nil {
			if camera.IsTerminal(err) {
				if ctx.Err() == nil {
					c.lastErr.Store(err.Error())
					if errors.Is(err, io.EOF) {
						c.log.Info("camera source ended", "camera", c.cfg.Name)
					} else {
						c.log.Warn("camera source stopped", "camera", c.cfg.Name, "err", err)
					}
				}
				c.setState(stateStopped)
				return
			}
			c.mErrors.Inc()
			c.lastErr.Store(err.Error())
			if c.stateString() != stateRetrying {
				c.log.Warn("camera error, retrying", "camera", c.cfg.Name, "err", err)
			}
			c.setState(stateRetrying)
			continue
		}
		if c.stateString() != stateRunning {
			c.setState(stateRunning)
		}
		c.frames.Add(1)
		c.mFrames.Inc()
		c.mu.Lock()
		if c.full {
			c.dropped.Add(1)
			c.mDropped.Inc()
		}
		c.slot = append(c.slot[:0], f.Data...)
		f.Data = nil
		c.slotF, c.full, c.w, c.h = f, true, f.W, f.H
		c.mu.Unlock()
		select {
		case c.signal <- struct{}{}:
		default:
		}
	}
}

// take moves the slot's frame to the classifier; ok false if the slot is empty.
func (c *cam) take() (camera.Frame, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.full {
		return camera.Frame{}, false
	}
	c.work, c.slot = c.slot, c.work
	f := c.slotF
	f.Data = c.work
	c.full = false
	return f, true
}

// classifyLoop classifies the newest frame whenever there is one, at most MaxFPS times a second.
func (c *cam) classifyLoop(ctx context.Context) {
	defer c.closeSession()
	var next time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.signal:
		}
		if c.cfg.MaxFPS > 0 {
			if wait := time.Until(next); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			next = time.Now().Add(time.Duration(float64(time.Second) / c.cfg.MaxFPS))
		}
		f, ok := c.take()
		if !ok {
			continue
		}
		if err := c.classify(ctx, f); err != nil && ctx.Err() == nil {
			c.mErrors.Inc()
			c.lastErr.Store(err.Error())
			c.log.Debug("frame not classified", "camera", c.cfg.Name, "seq", f.Seq, "err", err)
		}
	}
}

func (c *cam) closeSession() {
	if c.sess != nil {
		c.sess.Close()
		c.sess = nil
	}
}

// prepare makes the session and preprocessing for lm (a model swap happens here, between two
// frames).
func (c *cam) prepare(lm *loadedModel) error {
	spec := lm.spec
	if c.cfg.Preprocess != "" {
		if err := spec.Set(c.cfg.Preprocess); err != nil {
			return fmt.Errorf("camera %s: preprocess: %w", c.cfg.Name, err)
		}
		if spec.Len() != lm.spec.Len() {
			return fmt.Errorf("camera %s: preprocess %q changes the input size the model %s takes", c.cfg.Name, c.cfg.Preprocess, lm.name)
		}
	}
	var pre *preprocess.Preprocessor
	var pipe *plugin.Pipeline
	var err error
	if c.plugin != nil {
		pipe, err = plugin.NewPipeline(c.plugin, spec, c.policy)
	} else {
		pre, err = preprocess.NewPreprocessor(spec)
	}
	if err != nil {
		return err
	}
	c.closeSession()
	c.sess = lm.m.NewSessionWith(nn.SessionOptions{Threads: c.d.cfg.InferenceThreads})
	c.x = tensor.New(tensor.Float32, lm.m.Inputs()[0].Shape...)
	c.pre, c.pipe, c.cur = pre, pipe, lm
	c.probs = make([]float32, len(lm.classes))
	c.idx = make([]int, len(lm.classes))
	return nil
}

func (c *cam) classify(ctx context.Context, f camera.Frame) error {
	lm := c.model()
	if lm != c.cur {
		if err := c.prepare(lm); err != nil {
			return err
		}
		c.log.Info("camera model", "camera", c.cfg.Name, "model", lm.name, "id", lm.id)
	}
	t0 := time.Now()
	img, err := c.dec.Decode(c.img, f)
	if err != nil {
		return err
	}
	c.img = img
	if c.pipe != nil {
		out, err := c.pipe.Run(ctx, img, c.x.F32)
		if err != nil {
			c.mPlugin.Inc()
		}
		if out == plugin.Dropped {
			return fmt.Errorf("plugin dropped the frame: %w", err)
		}
	} else {
		c.pre.Run(img, c.x.F32)
	}
	outs, err := c.sess.Run(c.x)
	if err != nil {
		return err
	}
	scores := outs[0].F32
	if lm.probs {
		copy(c.probs, scores)
	} else {
		kernels.SoftmaxF32(scores, c.probs, 1, len(scores), 1)
	}
	probs := c.probs
	k := topK(c.idx, probs, c.d.cfg.TopK)
	lat := time.Since(t0)
	top := make([]api.Class, k)
	for i, j := range c.idx[:k] {
		top[i] = api.Class{Label: lm.classes[j], Prob: float64(probs[j])}
	}
	p := &api.Prediction{
		Camera: c.cfg.Name, Seq: f.Seq, Time: f.Time, Label: top[0].Label, Confidence: top[0].Prob, TopK: top,
		LatencyMS: float64(lat.Microseconds()) / 1000, ModelID: lm.id, ModelName: lm.name,
	}
	c.classified.Add(1)
	c.mClassified.Inc()
	c.mLatency.Observe(lat.Seconds())
	c.updateFPS()

	// Publish: the classified frame becomes the shown one (the buffers swap, nothing is copied).
	c.smu.Lock()
	c.shown, c.img = c.img, c.shown
	c.last = p
	c.smu.Unlock()
	c.d.events.publish("prediction", *p)
	c.maybeInbox(p)
	return nil
}

// topK puts the indices of the k largest probabilities (k at most len(probs)), largest first
// (the lower index first on ties), in idx[:k] and returns k. It allocates nothing.
func topK(idx []int, probs []float32, k int) int {
	k = min(k, len(probs))
	n := 0
	for i, p := range probs {
		if n == k && p <= probs[idx[k-1]] {
			continue
		}
		j := min(n, k-1)
		for j > 0 && probs[idx[j-1]] < p {
			idx[j] = idx[j-1]
			j--
		}
		idx[j] = i
		n = min(n+1, k)
	}
	return k
}

func (c *cam) updateFPS() {
	now := time.Now()
	c.lastAt.Store(now.UnixNano())
	n := len(c.times)
	c.times[c.nTimes%n] = now
	c.nTimes++
	if c.nTimes < 2 {
		return
	}
	m := min(c.nTimes, n)
	oldest := c.times[(c.nTimes-m)%n]
	if dt := now.Sub(oldest).Seconds(); dt > 0 {
		c.fps.Store(math.Float64bits(float64(m-1) / dt))
	}
}

// maybeInbox sends a low-confidence frame to the inbox, at most one per MinInterval.
func (c *cam) maybeInbox(p *api.Prediction) {
	ic := c.d.cfg.Inbox
	if ic.Threshold <= 0 || p.Confidence >= ic.Threshold {
		return
	}
	now := time.Now()
	if !c.lastBox.IsZero() && now.Sub(c.lastBox) < ic.MinInterval.D() {
		return
	}
	c.smu.RLock()
	img := cloneRGB(c.shown)
	c.smu.RUnlock()
	select {
	case c.d.inboxCh <- inboxReq{cam: c.cfg.Name, img: img, pred: *p}:
		c.lastBox = now
	default: // the inbox writer is busy: skip this one
	}
}

func cloneRGB(m *preprocess.RGB8) *preprocess.RGB8 {
	if m == nil {
		return nil
	}
	c := *m
	c.Pix = append([]uint8(nil), m.Pix[:m.W*m.H*3]...)
	return &c
}

// current returns a copy of the last classified frame and its prediction.
func (c *cam) current() (*preprocess.RGB8, api.Prediction, error) {
	c.smu.RLock()
	defer c.smu.RUnlock()
	if c.last == nil {
		return nil, api.Prediction{}, api.ErrNoFrame
	}
	return cloneRGB(c.shown), *c.last, nil
}

// snapshot returns the last classified frame as JPEG, encoded once per frame.
func (c *cam) snapshot() ([]byte, uint64, error) {
	c.jpegMu.Lock()
	defer c.jpegMu.Unlock()
	c.smu.RLock()
	if c.last == nil {
		c.smu.RUnlock()
		return nil, 0, api.ErrNoFrame
	}
	seq := c.last.Seq
	if c.jpegData != nil && c.jpegSeq == seq {
		c.smu.RUnlock()
		return c.jpegData, seq, nil
	}
	b, err := encodeJPEG(c.shown)
	c.smu.RUnlock()
	if err != nil {
		return nil, 0, err
	}
	c.jpegData, c.jpegSeq = b, seq
	return b, seq, nil
}

// encodeJPEG encodes an RGB image (grey ones as one-channel JPEG).
func encodeJPEG(m *preprocess.RGB8) ([]byte, error) {
	r := image.Rect(0, 0, m.W, m.H)
	var src image.Image
	if m.Gray {
		g := image.NewGray(r)
		m.Luma(g.Pix)
		src = g
	} else {
		rgba := image.NewRGBA(r)
		for i, j := 0, 0; i < m.W*m.H*3; i, j = i+3, j+4 {
			rgba.Pix[j], rgba.Pix[j+1], rgba.Pix[j+2], rgba.Pix[j+3] = m.Pix[i], m.Pix[i+1], m.Pix[i+2], 0xff
		}
		src = rgba
	}
	var buf bytesBuffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: snapshotQuality}); err != nil {
		return nil, err
	}
	return buf.b, nil
}

type bytesBuffer struct{ b []byte }

func (w *bytesBuffer) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (c *cam) status() api.CameraStatus {
	s := api.CameraStatus{
		Name: c.cfg.Name, Source: c.source, State: c.stateString(),
		Frames: c.frames.Load(), Classified: c.classified.Load(), Dropped: c.dropped.Load(),
		FPS: math.Float64frombits(c.fps.Load()), FixedModel: c.cfg.Model,
	}
	if time.Since(time.Unix(0, c.lastAt.Load())) > 2*time.Second {
		s.FPS = 0 // nothing classified lately (the source stalled or stopped)
	}
	if e, ok := c.lastErr.Load().(string); ok {
		s.Error = e
	}
	c.mu.Lock()
	s.W, s.H = c.w, c.h
	c.mu.Unlock()
	c.smu.RLock()
	if c.last != nil {
		p := *c.last
		s.Last = &p
	}
	c.smu.RUnlock()
	return s
}
