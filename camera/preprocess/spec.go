package preprocess

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
)

// ChannelOrder is the order of the colour channels in the model input.
type ChannelOrder uint8

const (
	RGB ChannelOrder = iota // "rgb"
	BGR                     // "bgr"
)

// Layout is the memory layout of the model input (batch 1).
type Layout uint8

const (
	NCHW Layout = iota // "nchw": planes, channel-major
	NHWC               // "nhwc": interleaved, pixel-major
)

var (
	orderNames  = [...]string{RGB: "rgb", BGR: "bgr"}
	layoutNames = [...]string{NCHW: "nchw", NHWC: "nhwc"}
)

func (o ChannelOrder) String() string { return enumString(orderNames[:], uint8(o), "ChannelOrder") }
func (l Layout) String() string       { return enumString(layoutNames[:], uint8(l), "Layout") }

func enumString(names []string, v uint8, typ string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

func parseEnum(names []string, s, what string) (uint8, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return uint8(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %s %q (want %s)", ErrInvalidSpec, what, s, strings.Join(names, " or "))
}

// ParseChannelOrder parses "rgb" or "bgr".
func ParseChannelOrder(s string) (ChannelOrder, error) {
	v, err := parseEnum(orderNames[:], s, "channel order")
	return ChannelOrder(v), err
}

// ParseLayout parses "nchw" or "nhwc".
func ParseLayout(s string) (Layout, error) {
	v, err := parseEnum(layoutNames[:], s, "layout")
	return Layout(v), err
}

func (o ChannelOrder) MarshalText() ([]byte, error) {
	if int(o) >= len(orderNames) {
		return nil, fmt.Errorf("%w: channel order %d", ErrInvalidSpec, uint8(o))
	}
	return []byte(o.String()), nil
}

func (o *ChannelOrder) UnmarshalText(b []byte) (err error) {
	*o, err = ParseChannelOrder(string(b))
	return err
}

func (l Layout) MarshalText() ([]byte, error) {
	if int(l) >= len(layoutNames) {
		return nil, fmt.Errorf("%w: layout %d", ErrInvalidSpec, uint8(l))
	}
	return []byte(l.String()), nil
}

func (l *Layout) UnmarshalText(b []byte) (err error) {
	*l, err = ParseLayout(string(b))
	return err
}

// Spec describes a model's input: size, resize variant, normalisation and layout. Each output value
// is (pix·Scale + Offset − Mean[c]) / Std[c] for output channel c (after ChannelOrder), evaluated in
// float32 (see the package comment for the exact rounding). With Channels = 1 only Mean[0] and
// Std[0] are used and ChannelOrder is ignored.
//
// The JSON form is what a sidecar file holds (see LoadSidecar).
type Spec struct {
	Width    int          `json:"width"`
	Height   int          `json:"height"`
	Channels int          `json:"channels"` // 1 (grey) or 3
	Resize   ResizeMethod `json:"resize"`
	Order    ChannelOrder `json:"channel_order"`
	Layout   Layout       `json:"layout"`
	Scale    float32      `json:"scale"`
	Offset   float32      `json:"offset"`
	Mean     [3]float32   `json:"mean"`
	Std      [3]float32   `json:"std"`
}

// DefaultSpec is the ImageNet convention of the shared ONNX models: 224×224 RGB, bilinear_hp,
// imagenet normalisation, NCHW.
func DefaultSpec() Spec {
	s := Spec{Width: 224, Height: 224, Channels: 3, Resize: BilinearHP, Order: RGB, Layout: NCHW}
	_ = s.SetNorm("imagenet")
	return s
}

// SpecForShape derives the preprocessing of a model from its image input's
// shape: [1,C,H,W] (NCHW) when axis 1 has 1 or 3 channels, else [1,H,W,C]
// (NHWC) when the last axis has; ImageNet normalisation for colour, x/255 for
// grey; the rest as DefaultSpec.
func SpecForShape(shape []int) (Spec, error) {
	spec, s := DefaultSpec(), shape
	if len(s) != 4 || s[0] != 1 {
		return spec, fmt.Errorf("shape %v is not a single image [1,C,H,W] or [1,H,W,C]", s)
	}
	switch {
	case s[1] == 1 || s[1] == 3:
		spec.Layout, spec.Channels, spec.Height, spec.Width = NCHW, s[1], s[2], s[3]
	case s[3] == 1 || s[3] == 3:
		spec.Layout, spec.Height, spec.Width, spec.Channels = NHWC, s[1], s[2], s[3]
	default:
		return spec, fmt.Errorf("shape %v has no axis of 1 or 3 channels", s)
	}
	if spec.Channels == 1 {
		_ = spec.SetNorm("unit")
	}
	return spec, nil
}

var normPresetNames = [...]string{"imagenet", "tf", "unit", "raw"}

// NormPresets returns the names SetNorm accepts.
func NormPresets() []string { return normPresetNames[:] }

// SetNorm sets Scale, Offset, Mean and Std from a preset:
//
//	imagenet  x/255, then mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)
//	tf        x/127.5 − 1   ([-1, 1])
//	unit      x/255         ([0, 1])
//	raw       x             ([0, 255])
func (s *Spec) SetNorm(name string) error {
	zero, one := [3]float32{}, [3]float32{1, 1, 1}
	switch strings.ToLower(name) {
	case "imagenet":
		s.Scale, s.Offset = 1.0/255, 0
		s.Mean, s.Std = [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225}
	case "tf":
		s.Scale, s.Offset, s.Mean, s.Std = 1/127.5, -1, zero, one
	case "unit":
		s.Scale, s.Offset, s.Mean, s.Std = 1.0/255, 0, zero, one
	case "raw":
		s.Scale, s.Offset, s.Mean, s.Std = 1, 0, zero, one
	default:
		return fmt.Errorf("%w: normalisation %q (want %s)", ErrInvalidSpec, name, strings.Join(normPresetNames[:], ", "))
	}
	return nil
}

// Len is the number of float32 values one image produces: Width·Height·Channels.
func (s Spec) Len() int { return s.Width * s.Height * s.Channels }

// MaxModelSide bounds Width and Height.
const MaxModelSide = 8192

// Validate reports the first problem with s, wrapping ErrInvalidSpec.
func (s Spec) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Width <= 0 || s.Height <= 0 || s.Width > MaxModelSide || s.Height > MaxModelSide:
		return bad("size %dx%d (each side 1…%d)", s.Width, s.Height, MaxModelSide)
	case s.Channels != 1 && s.Channels != 3:
		return bad("channels = %d (want 1 or 3)", s.Channels)
	case int(s.Resize) >= len(resizeNames):
		return bad("resize method %d", s.Resize)
	case int(s.Order) >= len(orderNames):
		return bad("channel order %d", s.Order)
	case int(s.Layout) >= len(layoutNames):
		return bad("layout %d", s.Layout)
	case !finite(s.Scale) || s.Scale == 0:
		return bad("scale = %v (want finite, non-zero)", s.Scale)
	case !finite(s.Offset):
		return bad("offset = %v", s.Offset)
	}
	for c := range s.Channels {
		if !finite(s.Mean[c]) {
			return bad("mean[%d] = %v", c, s.Mean[c])
		}
		if !finite(s.Std[c]) || s.Std[c] == 0 {
			return bad("std[%d] = %v (want finite, non-zero)", c, s.Std[c])
		}
	}
	return nil
}

func finite(v float32) bool { return !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) }

// String formats s in the syntax ParseSpec reads; ParseSpec(s.String()) == s.
func (s Spec) String() string {
	f := func(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }
	f3 := func(v [3]float32) string { return f(v[0]) + "/" + f(v[1]) + "/" + f(v[2]) }
	return fmt.Sprintf("size=%dx%dx%d,resize=%s,order=%s,layout=%s,scale=%s,offset=%s,mean=%s,std=%s",
		s.Width, s.Height, s.Channels, s.Resize, s.Order, s.Layout, f(s.Scale), f(s.Offset), f3(s.Mean), f3(s.Std))
}

// ParseSpec reads a comma-separated list of key=value settings applied on top of DefaultSpec(), as a
// command line might pass them (--preprocess "size=128x128,resize=nearest,norm=tf"). Keys:
//
//	size      WxH or WxHxC            resize   bilinear_hp|nearest|pil_bilinear|crop256
//	channels  1|3                     norm     imagenet|tf|unit|raw (applied before the keys below)
//	order     rgb|bgr                 layout   nchw|nhwc
//	scale, offset  a number           mean, std  one number, or three separated by '/'
//
// The result is validated.
func ParseSpec(text string) (Spec, error) {
	s := DefaultSpec()
	if err := s.Set(text); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// Set applies settings in ParseSpec's syntax on top of s (a "norm" preset
// first, then the other keys in order) and validates the result. On error
// s is unchanged.
func (s *Spec) Set(text string) error {
	t := *s
	type kv struct{ k, v string }
	var items []kv
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%w: %q is not key=value", ErrInvalidSpec, part)
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if k == "norm" {
			if err := t.SetNorm(v); err != nil {
				return err
			}
			continue
		}
		items = append(items, kv{k, v})
	}
	for _, it := range items {
		if err := t.set(it.k, it.v); err != nil {
			return err
		}
	}
	if err := t.Validate(); err != nil {
		return err
	}
	*s = t
	return nil
}

func (s *Spec) set(k, v string) error {
	var err error
	switch k {
	case "size":
		var dims []int
		for _, d := range strings.Split(strings.ToLower(v), "x") {
			n, e := strconv.Atoi(d)
			if e != nil {
				return fmt.Errorf("%w: size %q (want WxH or WxHxC)", ErrInvalidSpec, v)
			}
			dims = append(dims, n)
		}
		switch len(dims) {
		case 2:
			s.Width, s.Height = dims[0], dims[1]
		case 3:
			s.Width, s.Height, s.Channels = dims[0], dims[1], dims[2]
		default:
			return fmt.Errorf("%w: size %q (want WxH or WxHxC)", ErrInvalidSpec, v)
		}
	case "channels":
		if s.Channels, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("%w: channels %q", ErrInvalidSpec, v)
		}
	case "resize":
		s.Resize, err = ParseResizeMethod(v)
	case "order":
		s.Order, err = ParseChannelOrder(v)
	case "layout":
		s.Layout, err = ParseLayout(v)
	case "scale":
		s.Scale, err = parseFloat32(k, v)
	case "offset":
		s.Offset, err = parseFloat32(k, v)
	case "mean":
		s.Mean, err = parseTriple(k, v)
	case "std":
		s.Std, err = parseTriple(k, v)
	default:
		return fmt.Errorf("%w: unknown key %q (want size, channels, resize, norm, order, layout, scale, offset, mean, std)", ErrInvalidSpec, k)
	}
	return err
}

func parseFloat32(k, v string) (float32, error) {
	f, err := strconv.ParseFloat(v, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not a number", ErrInvalidSpec, k, v)
	}
	return float32(f), nil
}

func parseTriple(k, v string) ([3]float32, error) {
	parts := strings.Split(v, "/")
	if len(parts) != 1 && len(parts) != 3 {
		return [3]float32{}, fmt.Errorf("%w: %s %q (want one number or three separated by '/')", ErrInvalidSpec, k, v)
	}
	var out [3]float32
	for i := range out {
		f, err := parseFloat32(k, parts[min(i, len(parts)-1)])
		if err != nil {
			return [3]float32{}, err
		}
		out[i] = f
	}
	return out, nil
}

// SidecarSuffix is appended to a model's path to name its preprocessing sidecar.
const SidecarSuffix = ".preprocess.json"

// ParseSidecar reads a sidecar JSON object. Fields left out keep their DefaultSpec() values; an
// optional "norm" key names a preset (see SetNorm) applied before the explicit scale, offset, mean
// and std fields. Unknown keys are errors. The result is validated. Example:
//
//	{"width": 128, "height": 128, "resize": "nearest", "norm": "tf"}
func ParseSidecar(data []byte) (Spec, error) {
	var pre struct {
		Norm *string `json:"norm"`
	}
	if err := json.Unmarshal(data, &pre); err != nil {
		return Spec{}, fmt.Errorf("%w: sidecar JSON: %v", ErrInvalidSpec, err)
	}
	side := struct {
		Norm *string `json:"norm"`
		Spec
	}{Spec: DefaultSpec()}
	if pre.Norm != nil {
		if err := side.SetNorm(*pre.Norm); err != nil {
			return Spec{}, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&side); err != nil {
		if errors.Is(err, ErrInvalidSpec) {
			return Spec{}, err
		}
		return Spec{}, fmt.Errorf("%w: sidecar JSON: %v", ErrInvalidSpec, err)
	}
	if err := side.Spec.Validate(); err != nil {
		return Spec{}, err
	}
	return side.Spec, nil
}

// LoadSidecar reads "<modelPath>.preprocess.json". If the file does not exist it returns
// DefaultSpec(), false, nil; otherwise the parsed spec and true, or an error naming the file.
func LoadSidecar(modelPath string) (Spec, bool, error) {
	p := modelPath + SidecarSuffix
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultSpec(), false, nil
	}
	if err != nil {
		return Spec{}, false, err
	}
	s, err := ParseSidecar(data)
	if err != nil {
		return Spec{}, false, fmt.Errorf("%s: %w", p, err)
	}
	return s, true, nil
}

// WriteSidecar validates s and writes it, indented, to "<modelPath>.preprocess.json".
func WriteSidecar(modelPath string, s Spec) error {
	if err := s.Validate(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(modelPath+SidecarSuffix, append(data, '\n'), 0o644)
}
