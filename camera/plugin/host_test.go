package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestEngineChoice(t *testing.T) {
	var logged bytes.Buffer
	h, err := NewHost(Config{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	msg := h.StartMessage()
	t.Log(msg)
	switch runtime.GOARCH {
	case "amd64", "arm64":
		if h.Engine() != EngineCompiler || !strings.Contains(msg, "compiler engine") {
			t.Fatalf("%s: engine %v, message %q; want the compiler", runtime.GOARCH, h.Engine(), msg)
		}
	case "arm":
		if h.Engine() != EngineInterpreter || !strings.Contains(msg, "interpreter engine") || !strings.Contains(msg, "no compiler for this CPU") {
			t.Fatalf("arm: engine %v, message %q; want the interpreter, said so", h.Engine(), msg)
		}
		if err := (Config{Engine: EngineCompiler}).Validate(); err == nil {
			t.Fatal("arm: Config{Engine: EngineCompiler}.Validate() accepted a compiler wazero does not have")
		}
	}
	if !strings.Contains(logged.String(), msg) {
		t.Fatalf("the logger got %q, want the start message", logged.String())
	}
}

// The interpreter, forced on a platform with a compiler, gives the same results.
func TestInterpreterEngine(t *testing.T) {
	h, err := NewHost(Config{Engine: EngineInterpreter})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	if h.Engine() != EngineInterpreter || !strings.Contains(h.StartMessage(), "chosen in the configuration") {
		t.Fatalf("engine %v, message %q", h.Engine(), h.StartMessage())
	}
	p, err := h.Load(context.Background(), pluginWasm(t, "grayscale"), Options{Name: "grayscale", Params: "clip=1"})
	if err != nil {
		t.Fatal(err)
	}
	img := randomRGB(20, 23, 17, 40, 220)
	out := process(t, p, rgbFrame(img))
	if !bytes.Equal(out.Pix, refStretch(img.Luma(nil), 1)) {
		t.Fatal("interpreter: output differs from the reference")
	}
}

// With a cache directory the compiled code lands on disk (compiler only), and a second host
// finds it there.
func TestCompileCacheDir(t *testing.T) {
	dir := t.TempDir()
	wasm := watWasm(t, "invert") // small: this test is about the cache, not the plugin
	for round := range 2 {
		h, err := NewHost(Config{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if h.Engine() == EngineCompiler && !strings.Contains(h.StartMessage(), dir) {
			t.Errorf("start message %q does not name the cache directory", h.StartMessage())
		}
		p, err := h.Load(context.Background(), wasm, Options{Name: "invert"})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if out := process(t, p, Frame{W: 2, H: 1, Format: Gray8, Pix: []byte{10, 200}}); !bytes.Equal(out.Pix, []byte{245, 55}) {
			t.Fatalf("round %d: inverted %v", round, out.Pix)
		}
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	files := 0
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if testHost.Engine() == EngineCompiler && files == 0 {
		t.Fatal("compiler engine: nothing was written to the cache directory")
	}
	t.Logf("%d files in the cache directory", files)
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{MemoryLimitPages: MaxMemoryLimitPages + 1}, {FrameTimeout: -1}, {StartTimeout: -1}} {
		_, err := testHost.Load(context.Background(), watWasm(t, "invert"), o)
		if err == nil || !strings.Contains(err.Error(), "invalid configuration") {
			t.Errorf("Load with %+v: %v, want ErrInvalidConfig", o, err)
		}
	}
	if err := (Config{Engine: 9}).Validate(); err == nil {
		t.Error("engine 9 accepted")
	}
}

// Plugins loaded from one host run in parallel goroutines, one plugin each; loads of the same
// module wait for one compilation.
func TestConcurrentPlugins(t *testing.T) {
	h, err := NewHost(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	wasm := pluginWasm(t, "roicrop")
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			p, err := h.Load(context.Background(), wasm, Options{Name: fmt.Sprint("roicrop", g), Params: fmt.Sprintf("x=%d,w=1,h=1", g)})
			if err != nil {
				errs <- err
				return
			}
			defer p.Close(context.Background())
			img := randomRGB(uint64(g), 8, 2, 0, 255)
			var out Output
			for range 20 {
				if err := p.Process(context.Background(), rgbFrame(img), &out); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(out.Pix, img.Pix[3*g:3*g+3]) {
					errs <- fmt.Errorf("goroutine %d: crop %v, want %v", g, out.Pix, img.Pix[3*g:3*g+3])
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.modules); n != 1 {
		t.Fatalf("%d compiled modules for one module and one memory limit, want 1", n)
	}
}
