package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ocellus/ocellus/camera/plugin"
)

// Config is the daemon's configuration: one JSON object, every key documented with its default
// in CONFIG.md. DefaultConfig gives the defaults; ApplyEnv then LoadFile (or LoadConfig) and the
// command line's flags override them in that order.
type Config struct {
	// Listen is the HTTP address (cmd/ocellus serve uses it; the engine does not listen).
	Listen string `json:"listen"`
	// Data is the data directory: the store (ocellus.db), the base models (base/), the token
	// file and the plugins' compile cache. Empty: $OCELLUS_DATA, $XDG_DATA_HOME/ocellus or
	// ~/.local/share/ocellus (ApplyEnv fills it in).
	Data string `json:"data"`
	// Token is the bearer token of mutating requests; empty: TokenFile (generated when needed).
	Token string `json:"token,omitempty"`
	// TokenFile: empty means <data>/token.
	TokenFile string `json:"token_file,omitempty"`
	// Model is the base model the trainable cameras start from and training fine-tunes: an ONNX
	// file (a float model; its preprocessing from the sidecar <model>.preprocess.json or its
	// input shape). Empty: the built-in starter model.
	Model string `json:"model,omitempty"`
	// ModelLabels is a file naming Model's classes, one per line (empty: <model>.labels.txt if it
	// exists, else "class0", "class1", …). Ignored for the starter model.
	ModelLabels string `json:"model_labels,omitempty"`
	// Cameras are the camera loops; the default is one camera "cam0" with the automatic source.
	Cameras []CameraConfig `json:"cameras"`
	// InferenceThreads is the threads of each camera's session (0: all cores).
	InferenceThreads int `json:"inference_threads"`
	// TopK is how many classes a prediction lists.
	TopK int `json:"top_k"`
	// StoreTimeout is how long opening the store waits for another process that holds it.
	StoreTimeout Duration `json:"store_timeout"`
	// LogLevel: debug, info, warn or error.
	LogLevel string         `json:"log_level"`
	Inbox    InboxConfig    `json:"inbox"`
	Training TrainingConfig `json:"training"`

	// Set by the program, not the file: the version Status reports, and whether the server
	// requires the token (it listens off loopback).
	Version      string `json:"-"`
	AuthRequired bool   `json:"-"`
}

// CameraConfig is one camera loop.
type CameraConfig struct {
	// Name identifies the camera in the API (/api/v1/cameras/NAME/...): letters, digits, '-', '_'.
	Name string `json:"name"`
	// Source is what camera.Open takes ("demo", "demo:SEED", "/dev/video0", "v4l2:NAME", a folder,
	// FILE.mjpeg, an http URL, yuyv:WxH:FILE); empty: the first V4L2 camera, else the demo.
	Source string `json:"source"`
	// Width and Height: the frame size asked of a V4L2 camera, or of demo frames (0: the source's
	// default: 640×480 for V4L2, 320×240 for the demo).
	Width  int `json:"width"`
	Height int `json:"height"`
	// FPS is the rate asked of the source (V4L2) or its pace (demo, files); 0: V4L2 30 frames/s,
	// the demo and files as fast as they are read.
	FPS float64 `json:"fps"`
	// MaxFPS caps how many frames per second are classified (0: as many as the model keeps up
	// with); frames in between are dropped, never queued.
	MaxFPS float64 `json:"max_fps"`
	// Model is a fixed model for this camera (an ONNX file): training never changes it. Empty:
	// the trainable model (the store's active version, else the base model).
	Model string `json:"model,omitempty"`
	// ModelLabels names Model's classes, as Config.ModelLabels does for the base model.
	ModelLabels string `json:"model_labels,omitempty"`
	// Preprocess adjusts the model's preprocessing: key=value settings as `ocellus classify
	// --preprocess` takes them (size, resize, norm, order, layout, scale, offset, mean, std).
	Preprocess string `json:"preprocess,omitempty"`
	// Plugin is an optional WASM preprocessing plugin.
	Plugin *PluginConfig `json:"plugin,omitempty"`
}

// PluginConfig is a camera's WASM preprocessing plugin (package camera/plugin).
type PluginConfig struct {
	Path   string `json:"path"`
	Params string `json:"params,omitempty"`
	// OnFailure: "fallback" (the built-in preprocessing of the raw frame) or "drop" (skip it).
	OnFailure string `json:"on_failure"`
	// FrameTimeout bounds one frame (0: the plugin package's default).
	FrameTimeout Duration `json:"frame_timeout,omitempty"`
}

// InboxConfig configures the inbox of low-confidence frames.
type InboxConfig struct {
	// Threshold: a frame whose top confidence is below it goes to the inbox (0: inbox off).
	Threshold float64 `json:"threshold"`
	// MinInterval is the least time between two inbox items of one camera.
	MinInterval Duration `json:"min_interval"`
	// Max caps the inbox; the oldest items go first.
	Max int `json:"max"`
}

// TrainingConfig configures the scheduler and the fine-tuning runs.
type TrainingConfig struct {
	// Auto turns the scheduler on; off, training runs only on request.
	Auto bool `json:"auto"`
	// MinNewSamples: a run starts once this many labelled samples arrived since the last run
	// started (0: this trigger is off).
	MinNewSamples int `json:"min_new_samples"`
	// Interval: a run starts when this long has passed since the last run started and some new
	// samples arrived (0: off).
	Interval Duration `json:"interval"`
	// Window "HH:MM-HH:MM" (local time, may wrap midnight): automatic runs start only inside it.
	Window string `json:"window,omitempty"`
	// CheckEvery is how often the scheduler looks.
	CheckEvery Duration `json:"check_every"`
	// Threads per training step; fewer than the cores keeps classification going.
	Threads int `json:"threads"`
	// The fine-tuning recipe (package nn/train/finetune; 0 takes its default except where noted).
	HeadEpochs   int     `json:"head_epochs"`
	Epochs       int     `json:"epochs"` // phase 2; 0 with Phase2 false skips it
	Patience     int     `json:"patience"`
	Batch        int     `json:"batch"`
	HeadLR       float64 `json:"head_lr"`
	LR           float64 `json:"lr"`
	Dropout      float64 `json:"dropout"`       // negative: none
	UnfreezeLast int     `json:"unfreeze_last"` // 0: the starter's own value, else finetune's
	Phase2       bool    `json:"phase2"`
	Seed         uint64  `json:"seed"`
}

// Duration is a time.Duration written as a string in JSON ("10s", "1m30s"; a number is seconds).
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "1m30s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var f float64
		if err2 := json.Unmarshal(b, &f); err2 != nil || math.IsNaN(f) || math.Abs(f) > 1e9 {
			return fmt.Errorf("duration %s: want a string like \"10s\" or a number of seconds", b)
		}
		*d = Duration(f * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %v", s, err)
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// DefaultCamera is the name of the camera of the default configuration.
const DefaultCamera = "cam0"

// DefaultConfig returns the defaults (documented in CONFIG.md).
func DefaultConfig() Config {
	return Config{
		Listen:           "127.0.0.1:8080",
		Cameras:          []CameraConfig{{Name: DefaultCamera}},
		InferenceThreads: 0,
		TopK:             5,
		StoreTimeout:     Duration(5 * time.Second),
		LogLevel:         "info",
		Inbox:            InboxConfig{Threshold: 0.5, MinInterval: Duration(10 * time.Second), Max: 200},
		Training: TrainingConfig{
			Auto: true, MinNewSamples: 20, Interval: 0, CheckEvery: Duration(time.Minute), Threads: 1,
			HeadEpochs: 30, Epochs: 10, Patience: 10, Batch: 16, HeadLR: 1e-3, LR: 1e-4, Dropout: 0.2,
			Phase2: true, Seed: 1,
		},
	}
}

// LoadConfig returns DefaultConfig with the file at path on top.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	return c, c.LoadFile(path)
}

// LoadFile overlays the JSON file at path on c: the keys it has replace c's (a "cameras" list
// replaces the whole list). Unknown keys are errors.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("daemon: config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	t := *c
	t.Cameras = nil
	if err := dec.Decode(&t); err != nil {
		return fmt.Errorf("daemon: config %s: %w", path, err)
	}
	if t.Cameras == nil {
		t.Cameras = c.Cameras
	}
	*c = t
	return nil
}

// ApplyEnv sets the keys the environment gives: OCELLUS_LISTEN, OCELLUS_DATA (else
// $XDG_DATA_HOME/ocellus, else $HOME/.local/share/ocellus when Data is empty), OCELLUS_TOKEN,
// OCELLUS_CAMERA (the first camera's source) and OCELLUS_MODEL.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	if v := getenv("OCELLUS_LISTEN"); v != "" {
		c.Listen = v
	}
	switch {
	case getenv("OCELLUS_DATA") != "":
		c.Data = getenv("OCELLUS_DATA")
	case c.Data != "":
	case getenv("XDG_DATA_HOME") != "":
		c.Data = filepath.Join(getenv("XDG_DATA_HOME"), "ocellus")
	case getenv("HOME") != "":
		c.Data = filepath.Join(getenv("HOME"), ".local", "share", "ocellus")
	}
	if v := getenv("OCELLUS_TOKEN"); v != "" {
		c.Token = v
	}
	if v := getenv("OCELLUS_CAMERA"); v != "" {
		c.SetCamera(v)
	}
	if v := getenv("OCELLUS_MODEL"); v != "" {
		c.Model = v
	}
	return nil
}

// SetCamera sets the first camera's source (adding the default camera if there is none).
func (c *Config) SetCamera(source string) {
	if len(c.Cameras) == 0 {
		c.Cameras = []CameraConfig{{Name: DefaultCamera}}
	} else {
		c.Cameras = append([]CameraConfig(nil), c.Cameras...)
	}
	c.Cameras[0].Source = source
}

// ResolvedTokenFile is TokenFile, or <data>/token.
func (c *Config) ResolvedTokenFile() string {
	if c.TokenFile != "" {
		return c.TokenFile
	}
	return filepath.Join(c.Data, "token")
}

// Validate reports the invalid keys.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("daemon: config: "+format, args...)) }
	if c.Data == "" {
		bad("data: no data directory (set data, OCELLUS_DATA or HOME)")
	}
	if len(c.Cameras) == 0 {
		bad("cameras: none configured")
	}
	seen := map[string]bool{}
	for i, cam := range c.Cameras {
		if !validName(cam.Name) {
			bad("cameras[%d].name %q: want 1-32 letters, digits, '-' or '_'", i, cam.Name)
		}
		if seen[cam.Name] {
			bad("cameras[%d].name %q: used twice", i, cam.Name)
		}
		seen[cam.Name] = true
		if cam.Width < 0 || cam.Height < 0 || cam.FPS < 0 || cam.MaxFPS < 0 || math.IsNaN(cam.FPS+cam.MaxFPS) {
			bad("cameras[%d] (%s): width, height, fps and max_fps must not be negative", i, cam.Name)
		}
		if cam.Plugin != nil {
			if cam.Plugin.Path == "" {
				bad("cameras[%d].plugin.path is empty", i)
			}
			if _, err := parsePolicy(cam.Plugin.OnFailure); err != nil {
				bad("cameras[%d].plugin.on_failure: %v", i, err)
			}
		}
	}
	if c.InferenceThreads < 0 || c.Training.Threads < 0 {
		bad("inference_threads and training.threads must not be negative")
	}
	if c.TopK < 1 {
		bad("top_k %d: want ≥ 1", c.TopK)
	}
	if c.Inbox.Threshold < 0 || c.Inbox.Threshold > 1 || math.IsNaN(c.Inbox.Threshold) {
		bad("inbox.threshold %g: want [0, 1]", c.Inbox.Threshold)
	}
	if c.Inbox.Max < 0 || c.Inbox.MinInterval < 0 {
		bad("inbox.max and inbox.min_interval must not be negative")
	}
	t := c.Training
	if t.MinNewSamples < 0 || t.Interval < 0 || t.HeadEpochs < 0 || t.Epochs < 0 || t.Patience < 0 || t.Batch < 0 || t.UnfreezeLast < 0 {
		bad("training: counts and durations must not be negative")
	}
	if t.CheckEvery.D() < 10*time.Millisecond {
		bad("training.check_every %v: want ≥ 10ms", t.CheckEvery.D())
	}
	if t.Dropout >= 1 || t.HeadLR < 0 || t.LR < 0 {
		bad("training: dropout must be < 1 and learning rates ≥ 0")
	}
	if _, _, err := parseWindow(t.Window); err != nil {
		bad("training.window: %v", err)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("log_level: %v", err)
	}
	return errors.Join(errs...)
}

func validName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func parsePolicy(s string) (plugin.Policy, error) {
	if s == "" {
		return plugin.Fallback, nil
	}
	return plugin.ParsePolicy(s)
}

// parseWindow parses "HH:MM-HH:MM" into minutes after midnight; "" is no window (ok false).
func parseWindow(s string) (from, to int, err error) {
	if s == "" {
		return -1, -1, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want HH:MM-HH:MM", s)
	}
	if from, err = parseClock(a); err == nil {
		to, err = parseClock(b)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%q: %v", s, err)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return hh*60 + mm, nil
}

// inWindow reports whether t's local clock time is inside [from, to) (wrapping midnight when
// to < from); always true without a window.
func inWindow(t time.Time, from, to int) bool {
	if from < 0 {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	if from <= to {
		return m >= from && m < to
	}
	return m >= from || m < to
}
