package plugin

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test plugins, built once for the whole test binary by TestMain with the Go toolchain that
// runs the tests (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared), whatever GOARCH the test binary
// itself has. No .wasm built from Go is committed.
var testPlugins = map[string]string{
	"grayscale": "./examples/grayscale",
	"roicrop":   "./examples/roicrop",
	"bad":       "./testdata/badplugin",
}

var (
	builtDir  string               // where TestMain put the modules
	buildErrs = map[string]error{} // per plugin, written before m.Run only
	testHost  *Host                // shared by the tests so each module compiles once
)

func TestMain(m *testing.M) {
	code, err := testMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func testMain(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "ocellus-plugin-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	builtDir = dir
	buildPlugins(dir)
	testHost, err = NewHost(DefaultConfig())
	if err != nil {
		return 1, err
	}
	defer testHost.Close(context.Background())
	warmUp()
	return m.Run(), nil
}

// warmUp compiles the built plugins in parallel (the host keeps them), so that the tests, which
// load them one at a time, do not compile them one after the other.
func warmUp() {
	var wg sync.WaitGroup
	for name := range testPlugins {
		if buildErrs[name] != nil {
			continue
		}
		wasm, err := os.ReadFile(filepath.Join(builtDir, name+".wasm"))
		if err != nil {
			continue // the tests report it
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p, err := testHost.Load(context.Background(), wasm, Options{Name: name}); err == nil {
				p.Close(context.Background())
			}
		}()
	}
	wg.Wait()
}

// pluginSources are the directories the test plugins are built from. pluginWasm reads their
// files so that go test's cache, which tracks the files a test opens once m.Run has started,
// reruns the tests when they change (the go build subprocess reads them out of its sight).
var pluginSources = []string{"examples", "guest", filepath.Join("testdata", "badplugin")}

func readSources() {
	for _, d := range pluginSources {
		filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				os.ReadFile(path)
			}
			return nil
		})
	}
}

// buildPlugins builds the test plugins in parallel and records the errors.
func buildPlugins(dir string) {
	goBin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, pkg := range testPlugins {
		if err != nil {
			buildErrs[name] = fmt.Errorf("no go command to build the test plugins: %v", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(goBin, "build", "-buildmode=c-shared", "-trimpath", "-o", filepath.Join(dir, name+".wasm"), pkg)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				buildErrs[name] = fmt.Errorf("GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared %s: %v\n%s", pkg, err, strings.TrimSpace(string(out)))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// pluginWasm returns the bytes of a test plugin built by TestMain.
func pluginWasm(t testing.TB, name string) []byte {
	t.Helper()
	readSources()
	if err := buildErrs[name]; err != nil {
		t.Fatalf("building plugin %s: %v", name, err)
	}
	b, err := os.ReadFile(filepath.Join(builtDir, name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// load loads a test plugin into the shared host and closes it at the end of the test. The frame
// deadline defaults to a minute: tests that want one to expire set it.
func load(t testing.TB, name string, opts Options) *Plugin {
	t.Helper()
	if opts.Name == "" {
		opts.Name = name
	}
	if opts.FrameTimeout == 0 {
		opts.FrameTimeout = time.Minute
	}
	p, err := testHost.Load(context.Background(), pluginWasm(t, name), opts)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}
