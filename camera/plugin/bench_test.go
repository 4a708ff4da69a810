package plugin

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// BenchmarkPluginStart measures what a board pays at start for one plugin: a new Host, Load
// (compile or cache lookup, instantiate, _initialize, configure) and Close. cache=cold starts with
// an empty cache directory each time, cache=warm with one a previous start filled.
func BenchmarkPluginStart(b *testing.B) {
	ctx := context.Background()
	wasm := pluginWasm(b, "grayscale")
	start := func(b *testing.B, dir string) {
		h, err := NewHost(Config{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.Load(ctx, wasm, Options{Name: "grayscale"}); err != nil {
			b.Fatal(err)
		}
		if err := h.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if testHost.Engine() == EngineInterpreter {
		b.Log("interpreter engine: nothing is cached on disk, cold and warm starts cost the same")
	}
	b.Run("cache=cold", func(b *testing.B) {
		base := b.TempDir()
		i := 0
		for b.Loop() {
			i++
			start(b, filepath.Join(base, fmt.Sprint(i)))
		}
		b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/start")
	})
	b.Run("cache=warm", func(b *testing.B) {
		dir := b.TempDir()
		start(b, dir)
		for b.Loop() {
			start(b, dir)
		}
		b.ReportMetric(float64(b.Elapsed())/float64(time.Millisecond)/float64(b.N), "ms/start")
	})
}

// BenchmarkProcess is one 640×480 RGB8 frame through a plugin (copy in, process, copy out), with
// both engines, and the built-in grey conversion for comparison. The frame deadline is a minute:
// the interpreter under QEMU needs seconds per frame.
func BenchmarkProcess(b *testing.B) {
	const w, h = 640, 480
	img := randomRGB(1, w, h, 30, 220)
	frame := rgbFrame(img)
	cases := []struct{ name, plugin, params string }{
		{"plugin=grayscale", "grayscale", ""},
		{"plugin=grayscale,out=f32", "grayscale", "out=f32"},
		{"plugin=roicrop,roi=320x240", "roicrop", "x=160,y=120,w=320,h=240"},
		{"plugin=invert(wat)", "invert", ""},
	}
	interp, err := NewHost(Config{Engine: EngineInterpreter})
	if err != nil {
		b.Fatal(err)
	}
	defer interp.Close(context.Background())
	for _, host := range []*Host{testHost, interp} {
		for _, c := range cases {
			b.Run("engine="+host.Engine().String()+"/"+c.name+"/640x480", func(b *testing.B) {
				wasm := watWasm(b, "invert")
				if c.plugin != "invert" {
					wasm = pluginWasm(b, c.plugin)
				}
				p, err := host.Load(context.Background(), wasm, Options{Name: c.plugin, Params: c.params, FrameTimeout: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				defer p.Close(context.Background())
				var out Output
				b.SetBytes(int64(len(frame.Pix)))
				b.ReportAllocs()
				for b.Loop() {
					if err := p.Process(context.Background(), frame, &out); err != nil {
						b.Fatal(err)
					}
				}
				reportFrames(b)
			})
		}
	}
	b.Run("builtin=luma/640x480", func(b *testing.B) {
		grey := make([]byte, w*h)
		b.SetBytes(int64(len(frame.Pix)))
		b.ReportAllocs()
		for b.Loop() {
			grey = img.Luma(grey)
		}
		reportFrames(b)
	})
}

// BenchmarkPipeline is a 640×480 frame to a 224×224 grey model input, through the grayscale
// plugin and the built-in resize, against the built-in preprocessing alone.
func BenchmarkPipeline(b *testing.B) {
	img := randomRGB(2, 640, 480, 30, 220)
	spec, err := preprocess.ParseSpec("size=224x224x1,resize=bilinear_hp,norm=unit")
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]float32, spec.Len())
	b.Run("plugin=grayscale/640x480-224x224", func(b *testing.B) {
		pl, err := NewPipeline(load(b, "grayscale", Options{Params: "stretch=off", FrameTimeout: time.Minute}), spec, Drop)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pl.Run(context.Background(), img, dst); err != nil {
				b.Fatal(err)
			}
		}
		reportFrames(b)
	})
	b.Run("builtin/640x480-224x224", func(b *testing.B) {
		pre, err := preprocess.NewPreprocessor(spec)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			pre.Run(img, dst)
		}
		reportFrames(b)
	})
}

func reportFrames(b *testing.B) {
	per := float64(b.Elapsed()) / float64(b.N)
	b.ReportMetric(per/float64(time.Millisecond), "ms/frame")
	b.ReportMetric(float64(time.Second)/per, "frames/s")
}
