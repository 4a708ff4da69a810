// Package daemon is ocellus's engine: camera loops that classify the newest frame of each camera,
// the sample store, an inbox of low-confidence frames, a scheduler that fine-tunes the model on
// the labelled samples in the background and promotes the result only if it beats the active
// model, an event broker and a Prometheus registry. *Daemon implements api.Engine, which package
// daemon/server serves over HTTP; cmd/ocellus serve wires the two. CONFIG.md documents the
// configuration.
//
//	d, err := daemon.New(ctx, cfg, logger) // opens the store and the cameras, loads the models
//	go d.Run(ctx)                          // loops and scheduler until ctx is done, then closes
//
// # The loop
//
// Each camera has a capture goroutine that copies every frame into a one-frame slot (a frame the
// classifier has not taken yet is overwritten and counted as dropped) and a classifier goroutine
// that takes the slot's frame when it is free: it never works on a stale frame and nothing queues
// behind a slow model. The classifier decodes, preprocesses (built-in, or a WASM plugin), runs its
// own session and publishes the prediction (latest, events); the frame it classified is kept for
// snapshots and sample capture, so a captured sample carries the prediction made on it.
//
// # Models
//
// Cameras without a fixed model use the trainable model: the store's active version (a
// finetune.BlobFormat blob rebuilt on its base model), else the base model itself (--model, else
// the starter model). Base models are kept in <data>/base/<sha256>.onnx with their preprocessing
// sidecar, so versions trained on them load after a restart. A swap (promotion, activation,
// rollback) replaces an atomic pointer; each camera makes a new session for the next frame.
//
// # Training and promotion
//
// A run (finetune.Run, training.threads threads) starts on request or by the scheduler (enough
// new labelled samples, an interval, optionally only inside a time window). The new version is
// stored inactive; the daemon then scores it and the active model on the current val split
// (finetune.Evaluate) and promotes it iff its accuracy is higher, or equal with the same classes
// and a lower loss. A model lacking a class scores that class's samples wrong.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/camera/plugin"
	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/internal/lowpeak"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/store"
)

// Daemon is the engine. Its methods are safe for concurrent use.
type Daemon struct {
	cfg     Config
	log     *slog.Logger
	st      *store.Store
	started time.Time
	base    baseModel
	met     *metrics
	events  *broker
	host    *plugin.Host
	cams    []*cam
	byName  map[string]*cam

	trainable atomic.Pointer[loadedModel]
	modelMu   sync.Mutex // serialises activations, rollbacks and promotions
	// loads runs every model load with a low GOGC (lower peak memory while
	// two models are held during a swap).
	loads lowpeak.Loader

	inboxCh    chan inboxReq
	inboxCount atomic.Int64
	newSamples atomic.Int64

	tr trainer

	// life is cancelled when Run ends (or Close is called without Run): it stops training and
	// the loops.
	life     context.Context
	stop     context.CancelFunc
	ran      atomic.Bool
	closeErr error
	closed   sync.Once
	wg       sync.WaitGroup
}

var _ api.Engine = (*Daemon)(nil)

// New prepares a daemon: it validates cfg, opens the store in the data directory (runs a crashed
// process left running are marked failed there), installs the base model, loads the trainable
// model and opens the cameras. Nothing runs until Run; a daemon that is never run must be
// closed with Close.
func New(ctx context.Context, cfg Config, log *slog.Logger) (d *Daemon, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return nil, fmt.Errorf("daemon: data directory: %w", err)
	}
	d = &Daemon{cfg: cfg, log: log, started: time.Now(), met: newMetrics(), byName: map[string]*cam{},
		inboxCh: make(chan inboxReq, 2)}
	d.events = newBroker(d.met.eventsDropped.Inc)
	d.life, d.stop = context.WithCancel(context.Background())
	d.tr.state = api.Training{State: trainIdle}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	dbPath := filepath.Join(cfg.Data, "ocellus.db")
	d.st, err = store.Open(dbPath, &store.Options{Timeout: cfg.StoreTimeout.D()})
	if err != nil {
		return nil, err
	}
	if err := d.loadBase(); err != nil {
		return nil, err
	}
	if err := d.loadTrainable(); err != nil {
		return nil, err
	}
	if n, err := d.st.InboxCount(); err == nil {
		d.inboxCount.Store(int64(n))
		d.met.inbox.Set(float64(n))
	}
	for _, cc := range cfg.Cameras {
		c, err := d.openCamera(ctx, cc)
		if err != nil {
			return nil, err
		}
		d.cams = append(d.cams, c)
		d.byName[cc.Name] = c
	}
	log.Info("daemon ready", "data", cfg.Data, "store", dbPath, "base", d.base.name, "model", d.trainable.Load().name,
		"model_id", d.trainable.Load().id, "cameras", len(d.cams))
	return d, nil
}

// loadBase installs the base model (--model, else the starter) in <data>/base.
func (d *Daemon) loadBase() error {
	var raw []byte
	b := baseModel{}
	if d.cfg.Model == "" {
		s, err := starterBase()
		if err != nil {
			return err
		}
		raw, b = s.raw, s.base
	} else {
		var err error
		if raw, err = os.ReadFile(d.cfg.Model); err != nil {
			return fmt.Errorf("daemon: model: %w", err)
		}
		m, err := d.loads.Load(d.cfg.Model, &nn.LoadOptions{Lean: true})
		if err != nil {
			return err
		}
		if len(m.Inputs()) != 1 || len(m.Outputs()) < 1 {
			return fmt.Errorf("daemon: %s has %d inputs, want one image", d.cfg.Model, len(m.Inputs()))
		}
		if b.spec, err = specFor(m.Inputs()[0], d.cfg.Model); err != nil {
			return err
		}
		if b.classes, err = modelLabels(d.cfg.Model, d.cfg.ModelLabels, tensor.NumElems(m.Outputs()[0].Shape)); err != nil {
			return err
		}
		b.name = filepath.Base(d.cfg.Model)
	}
	path, err := installBase(d.cfg.Data, raw, b.spec)
	if err != nil {
		return fmt.Errorf("daemon: installing the base model: %w", err)
	}
	b.path = path
	d.base = b
	return nil
}

// baseLoaded loads the base model for inference.
func (d *Daemon) baseLoaded() (*loadedModel, error) {
	m, err := d.loads.Load(d.base.path, &nn.LoadOptions{Lean: true})
	if err != nil {
		return nil, err
	}
	return newLoaded(m, 0, d.base.name, filepath.Base(d.base.path), d.base.classes, d.base.spec)
}

// loadTrainable loads the store's active version, else the base model.
func (d *Daemon) loadTrainable() error {
	if mv, err := d.st.ActiveModel(); err == nil {
		lm, err := d.loadVersion(mv.ID)
		if err == nil {
			d.setTrainable(lm)
			return nil
		}
		d.log.Error("the active model version does not load; running the base model", "id", mv.ID, "err", err)
	} else if !errors.Is(err, store.ErrNoActiveModel) {
		return err
	}
	lm, err := d.baseLoaded()
	if err != nil {
		return err
	}
	d.setTrainable(lm)
	return nil
}

func (d *Daemon) setTrainable(lm *loadedModel) {
	d.trainable.Store(lm)
	d.met.activeModel.Set(float64(lm.id))
}

// openCamera opens a camera's source, its fixed model and its plugin.
func (d *Daemon) openCamera(ctx context.Context, cc CameraConfig) (*cam, error) {
	c := &cam{d: d, cfg: cc, signal: make(chan struct{}, 1), log: d.log}
	c.mFrames, c.mDropped = d.met.frames.WithLabelValues(cc.Name), d.met.dropped.WithLabelValues(cc.Name)
	c.mClassified, c.mErrors = d.met.classified.WithLabelValues(cc.Name), d.met.camErrors.WithLabelValues(cc.Name)
	c.mPlugin, c.mLatency = d.met.pluginFailures.WithLabelValues(cc.Name), d.met.latency.WithLabelValues(cc.Name)
	c.setState(stateStarting)
	c.source = cc.Source
	if c.source == "" {
		c.source = autoSource(d.log)
	}
	fps := cc.FPS
	if fps == 0 {
		fps = camera.DefaultFPS
	}
	src, err := camera.Open(ctx, c.source, camera.Options{Width: cc.Width, Height: cc.Height, FPS: fps, Logger: d.log})
	if err != nil {
		return nil, fmt.Errorf("daemon: camera %s: %w", cc.Name, err)
	}
	c.src = src
	if cc.Model != "" {
		if c.fixed, err = d.loadFile(cc.Model, cc.ModelLabels, filepath.Base(cc.Model)); err != nil {
			src.Close()
			return nil, fmt.Errorf("daemon: camera %s: %w", cc.Name, err)
		}
	}
	if cc.Plugin != nil {
		if d.host == nil {
			if d.host, err = plugin.NewHost(plugin.Config{CacheDir: filepath.Join(d.cfg.Data, "wasm-cache"), Logger: d.log}); err != nil {
				src.Close()
				return nil, err
			}
		}
		c.policy, _ = parsePolicy(cc.Plugin.OnFailure)
		c.plugin, err = d.host.LoadFile(ctx, cc.Plugin.Path, plugin.Options{Name: cc.Name, Params: cc.Plugin.Params, FrameTimeout: cc.Plugin.FrameTimeout.D()})
		if err != nil {
			src.Close()
			return nil, fmt.Errorf("daemon: camera %s: plugin: %w", cc.Name, err)
		}
	}
	// Fail now, not on the first frame, if the model and the preprocessing do not fit.
	if err := c.prepare(c.model()); err != nil {
		src.Close()
		return nil, err
	}
	return c, nil
}

// autoSource is the first V4L2 camera that offers a format ocellus decodes, else "demo".
func autoSource(log *slog.Logger) string {
	devs, _ := camera.List()
	for _, dv := range devs {
		if dv.Error != "" {
			continue
		}
		for _, f := range dv.Formats {
			if f.Format != camera.FormatUnknown {
				log.Info("camera found", "path", dv.Path, "name", dv.Name)
				return dv.Path
			}
		}
	}
	log.Info("no V4L2 camera found; using the demo source")
	return "demo"
}

// Run runs the camera loops, the inbox writer and the scheduler until ctx is done, then stops
// gracefully: the frames being classified finish, a training run is cancelled (finished as
// cancelled in the store), the sources and the store are closed. It returns the close error.
func (d *Daemon) Run(ctx context.Context) error {
	if !d.ran.CompareAndSwap(false, true) {
		return errors.New("daemon: Run called twice")
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-d.life.Done():
		}
		d.stop()
	}()
	for _, c := range d.cams {
		d.wg.Add(2)
		go func() { defer d.wg.Done(); c.capture(d.life) }()
		go func() { defer d.wg.Done(); c.classifyLoop(d.life) }()
	}
	d.wg.Add(2)
	go func() { defer d.wg.Done(); d.inboxWriter(d.life) }()
	go func() { defer d.wg.Done(); d.scheduler(d.life) }()
	<-d.life.Done()
	d.log.Info("daemon stopping")
	return d.Close()
}

// Close stops everything and closes the store; it is idempotent (Run calls it).
func (d *Daemon) Close() error {
	d.closed.Do(func() {
		d.stop()
		for _, c := range d.cams {
			c.src.Close()
		}
		d.tr.wait()
		d.wg.Wait()
		d.events.closeAll()
		var errs []error
		if d.host != nil {
			errs = append(errs, d.host.Close(context.Background()))
		}
		if d.st != nil {
			errs = append(errs, d.st.Close())
		}
		d.closeErr = errors.Join(errs...)
		d.log.Info("daemon stopped")
	})
	return d.closeErr
}

// MetricsHandler serves the daemon's Prometheus registry (its own, not the global one).
func (d *Daemon) MetricsHandler() http.Handler { return d.met.handler() }

// Config returns the configuration the daemon runs with.
func (d *Daemon) Config() Config { return d.cfg }

// Store is the sample store, for reads.
func (d *Daemon) Store() *store.Store { return d.st }

// Subscribe delivers events until cancel; a slow subscriber loses events.
func (d *Daemon) Subscribe(buf int) (<-chan api.Event, func()) {
	ch, cancel := d.events.subscribe(buf)
	d.met.subscribers.Set(float64(d.events.count()))
	return ch, func() {
		cancel()
		d.met.subscribers.Set(float64(d.events.count()))
	}
}

func (d *Daemon) camera(name string) (*cam, error) {
	c, ok := d.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", api.ErrNoCamera, name)
	}
	return c, nil
}

// Latest is the camera's newest prediction.
func (d *Daemon) Latest(name string) (api.Prediction, error) {
	c, err := d.camera(name)
	if err != nil {
		return api.Prediction{}, err
	}
	c.smu.RLock()
	defer c.smu.RUnlock()
	if c.last == nil {
		return api.Prediction{}, api.ErrNoFrame
	}
	return *c.last, nil
}

// Snapshot is the camera's newest classified frame as JPEG.
func (d *Daemon) Snapshot(name string) ([]byte, uint64, error) {
	c, err := d.camera(name)
	if err != nil {
		return nil, 0, err
	}
	return c.snapshot()
}

// Status describes the daemon.
func (d *Daemon) Status() api.Status {
	s := api.Status{
		Version: d.cfg.Version, Started: d.started, Model: d.trainable.Load().info(), Training: d.Training(),
		Inbox: int(d.inboxCount.Load()), AuthRequired: d.cfg.AuthRequired, Labels: []string{},
	}
	ready := len(d.cams) > 0
	for _, c := range d.cams {
		cs := c.status()
		ready = ready && cs.Last != nil
		s.Cameras = append(s.Cameras, cs)
	}
	s.Ready = ready
	if ls, err := d.st.Labels(); err == nil {
		for _, l := range ls {
			s.Labels = append(s.Labels, l.Name)
		}
	}
	return s
}

// parseLevel parses a log level name.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(strings.ToUpper(s)))
	return l, err
}

// ParseLevel returns the slog level of Config.LogLevel.
func (c *Config) ParseLevel() slog.Level {
	l, _ := parseLevel(c.LogLevel)
	return l
}
