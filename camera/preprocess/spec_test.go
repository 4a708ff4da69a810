package preprocess

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultSpec(t *testing.T) {
	s := DefaultSpec()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := Spec{Width: 224, Height: 224, Channels: 3, Resize: BilinearHP, Order: RGB, Layout: NCHW,
		Scale: 1.0 / 255, Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
	if s != want {
		t.Errorf("DefaultSpec() = %+v", s)
	}
	if s.Len() != 224*224*3 {
		t.Errorf("Len = %d", s.Len())
	}
}

func TestValidate(t *testing.T) {
	for name, edit := range map[string]func(*Spec){
		"zero width":   func(s *Spec) { s.Width = 0 },
		"neg height":   func(s *Spec) { s.Height = -1 },
		"huge":         func(s *Spec) { s.Width = MaxModelSide + 1 },
		"channels 2":   func(s *Spec) { s.Channels = 2 },
		"channels 0":   func(s *Spec) { s.Channels = 0 },
		"resize 7":     func(s *Spec) { s.Resize = 7 },
		"order 2":      func(s *Spec) { s.Order = 2 },
		"layout 2":     func(s *Spec) { s.Layout = 2 },
		"scale 0":      func(s *Spec) { s.Scale = 0 },
		"scale NaN":    func(s *Spec) { s.Scale = float32(nan()) },
		"offset inf":   func(s *Spec) { s.Offset = float32(inf()) },
		"std 0":        func(s *Spec) { s.Std[2] = 0 },
		"mean NaN":     func(s *Spec) { s.Mean[1] = float32(nan()) },
		"zero value":   func(s *Spec) { *s = Spec{} },
		"grey std[0]":  func(s *Spec) { s.Channels = 1; s.Std[0] = 0 },
		"grey mean[0]": func(s *Spec) { s.Channels = 1; s.Mean[0] = float32(inf()) },
	} {
		s := DefaultSpec()
		edit(&s)
		if err := s.Validate(); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%s: Validate() = %v", name, err)
		}
		if _, err := NewPreprocessor(s); err == nil {
			t.Errorf("%s: NewPreprocessor accepted the spec", name)
		}
	}
	// A one-channel spec ignores the unused mean/std entries.
	s := DefaultSpec()
	s.Channels, s.Std[1], s.Std[2] = 1, 0, 0
	if err := s.Validate(); err != nil {
		t.Errorf("grey spec with unused std: %v", err)
	}
}

func nan() float64 { z := 0.0; return z / z }
func inf() float64 { z := 0.0; return 1 / z }

func TestNormPresets(t *testing.T) {
	for _, tc := range []struct {
		name          string
		scale, offset float32
		mean, std     [3]float32
	}{
		{"imagenet", 1.0 / 255, 0, [3]float32{0.485, 0.456, 0.406}, [3]float32{0.229, 0.224, 0.225}},
		{"tf", 1 / 127.5, -1, [3]float32{}, [3]float32{1, 1, 1}},
		{"unit", 1.0 / 255, 0, [3]float32{}, [3]float32{1, 1, 1}},
		{"raw", 1, 0, [3]float32{}, [3]float32{1, 1, 1}},
	} {
		var s Spec
		if err := s.SetNorm(tc.name); err != nil {
			t.Fatal(err)
		}
		if s.Scale != tc.scale || s.Offset != tc.offset || s.Mean != tc.mean || s.Std != tc.std {
			t.Errorf("%s: %+v", tc.name, s)
		}
	}
	var s Spec
	if err := s.SetNorm("caffe"); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("SetNorm(caffe) = %v", err)
	}
	if len(NormPresets()) != 4 {
		t.Errorf("NormPresets() = %v", NormPresets())
	}
}

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec("size=128x128, resize=nearest, norm=tf, layout=nhwc, order=bgr")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Width: 128, Height: 128, Channels: 3, Resize: Nearest, Order: BGR, Layout: NHWC,
		Scale: 1 / 127.5, Offset: -1, Std: [3]float32{1, 1, 1}}
	if s != want {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	// norm is applied before explicit fields, whatever the order in the string.
	s, err = ParseSpec("mean=0.5,size=28x28x1,norm=unit,std=0.25")
	if err != nil {
		t.Fatal(err)
	}
	if s.Channels != 1 || s.Mean != [3]float32{0.5, 0.5, 0.5} || s.Std != [3]float32{0.25, 0.25, 0.25} || s.Scale != 1.0/255 {
		t.Errorf("got %+v", s)
	}
	if s, err := ParseSpec(""); err != nil || s != DefaultSpec() {
		t.Errorf("empty string: %+v, %v", s, err)
	}
	for _, bad := range []string{"size=128", "size=axb", "size=1x2x3x4", "resize=bicubic", "norm=caffe", "order=rbg",
		"layout=chw", "scale=x", "mean=1/2", "std=0", "channels=2", "foo=1", "size", "size=0x5", "channels=two"} {
		if _, err := ParseSpec(bad); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("ParseSpec(%q) = %v", bad, err)
		}
	}
}

func TestSpecStringRoundTrip(t *testing.T) {
	specs := []Spec{DefaultSpec()}
	for _, text := range []string{"size=128x96x3,resize=crop256,norm=tf,order=bgr,layout=nhwc",
		"size=28x28x1,norm=raw,resize=pil_bilinear", "mean=103.94/116.78/123.68,std=1,scale=1,order=bgr",
		"scale=0.0078125,offset=-0.99999994,mean=0.1/0.2/0.3"} {
		s, err := ParseSpec(text)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	for _, s := range specs {
		back, err := ParseSpec(s.String())
		if err != nil || back != s {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", s.String(), back, err, s)
		}
	}
	if got := DefaultSpec().String(); !strings.Contains(got, "resize=bilinear_hp") || !strings.Contains(got, "mean=0.485/0.456/0.406") {
		t.Errorf("String() = %s", got)
	}
}

func TestEnumText(t *testing.T) {
	for _, o := range []ChannelOrder{RGB, BGR} {
		b, _ := o.MarshalText()
		var back ChannelOrder
		if err := back.UnmarshalText(b); err != nil || back != o {
			t.Errorf("%v round trip: %v %v", o, back, err)
		}
	}
	for _, l := range []Layout{NCHW, NHWC} {
		b, _ := l.MarshalText()
		var back Layout
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("%v round trip: %v %v", l, back, err)
		}
	}
	if _, err := Layout(5).MarshalText(); err == nil {
		t.Error("Layout(5).MarshalText succeeded")
	}
	if _, err := ChannelOrder(5).MarshalText(); err == nil {
		t.Error("ChannelOrder(5).MarshalText succeeded")
	}
	if Layout(5).String() != "Layout(5)" || ResizeMethod(9).String() != "ResizeMethod(9)" {
		t.Error("String of unknown enum values")
	}
}

func TestSidecarJSON(t *testing.T) {
	s, err := ParseSidecar([]byte(`{"width": 128, "height": 128, "resize": "nearest", "norm": "tf"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSpec()
	want.Width, want.Height, want.Resize = 128, 128, Nearest
	_ = want.SetNorm("tf")
	if s != want {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	// Explicit fields override the preset whatever their position.
	s, err = ParseSidecar([]byte(`{"mean": [1, 2, 3], "norm": "raw", "channel_order": "bgr", "layout": "nhwc"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Mean != [3]float32{1, 2, 3} || s.Scale != 1 || s.Order != BGR || s.Layout != NHWC {
		t.Errorf("got %+v", s)
	}
	for _, bad := range []string{`{"widht": 3}`, `{"resize": "cubic"}`, `{"norm": "caffe"}`, `{"channels": 2}`,
		`{"layout": 3}`, `[1]`, `{"width": "x"}`, `{`, `{"std": [0, 1, 1]}`} {
		if _, err := ParseSidecar([]byte(bad)); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("ParseSidecar(%s) = %v", bad, err)
		}
	}
	// Marshal → ParseSidecar is the identity.
	orig, _ := ParseSpec("size=96x64x1,resize=crop256,norm=unit,layout=nhwc")
	data, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := ParseSidecar(data); err != nil || back != orig {
		t.Errorf("JSON round trip %s: %+v, %v", data, back, err)
	}
}

func TestLoadSidecar(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.onnx")
	s, ok, err := LoadSidecar(model)
	if err != nil || ok || s != DefaultSpec() {
		t.Fatalf("missing sidecar: %+v %v %v", s, ok, err)
	}
	want, _ := ParseSpec("size=128x128,norm=tf,resize=pil_bilinear")
	if err := WriteSidecar(model, want); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(model + ".preprocess.json"); err != nil {
		t.Fatal(err)
	}
	s, ok, err = LoadSidecar(model)
	if err != nil || !ok || s != want {
		t.Fatalf("LoadSidecar = %+v %v %v; want %+v", s, ok, err, want)
	}
	if err := os.WriteFile(model+SidecarSuffix, []byte(`{"channels": 4}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadSidecar(model); !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "m.onnx.preprocess.json") {
		t.Errorf("bad sidecar: %v", err)
	}
	if err := WriteSidecar(model, Spec{}); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("WriteSidecar(zero spec) = %v", err)
	}
}
