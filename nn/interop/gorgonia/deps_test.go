package gorgonia

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	self       = "github.com/ocellus/ocellus/nn/interop/gorgonia"
	noMovingGC = "go4.org/unsafe/assume-no-moving-gc"
)

// This test binary links gorgonia.org/tensor, which imports
// go4.org/unsafe/assume-no-moving-gc. Versions of that module older than
// v0.0.0-20231121144256-b99613f794b6 panic in init on Go 1.26, before any
// test runs, so this package's tests running at all is the real check. Test
// binaries carry no module list in their build info, so the version
// assertion asks the go tool which version this package links; it makes a
// downgrade in go.mod fail with a readable message even on a toolchain where
// the old version would still start.
func TestAssumeNoMovingGCVersion(t *testing.T) {
	const minVersion = "v0.0.0-20231121144256-b99613f794b6"
	root, goTool := repoAndGo(t)
	out := goList(t, root, goTool, "-deps", "-f", "{{with .Module}}{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}{{end}}", self)
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != noMovingGC {
			continue
		}
		v := f[len(f)-1] // the replacement's version if replaced
		// Pseudo-versions v0.0.0-YYYYMMDDhhmmss-hash sort by timestamp.
		if v < minVersion {
			t.Fatalf("this package links %s; need %s %s or newer for Go 1.26", line, noMovingGC, minVersion)
		}
		return
	}
	t.Fatalf("%s is not a dependency of this package any more; update this test and the package doc", noMovingGC)
}

// The gorgonia dependency (and its ~9 MB of stale modules) is tolerated only
// while no shipped binary links it: nothing under cmd/ or daemon/ may import
// this package, even indirectly.
func TestNotImportedByBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list over cmd/ and daemon/")
	}
	root, goTool := repoAndGo(t)
	var patterns []string
	for _, dir := range []string{"cmd", "daemon"} {
		if _, err := os.Stat(filepath.Join(root, dir)); err == nil {
			patterns = append(patterns, "./"+dir+"/...")
		}
	}
	if len(patterns) == 0 {
		t.Skip("neither cmd/ nor daemon/ exists yet")
	}
	// -e: report imports even if some package is mid-edit and fails to load.
	out := goList(t, root, goTool, append([]string{"-e", "-deps", "-f", "{{.ImportPath}}"}, patterns...)...)
	for _, p := range strings.Fields(out) {
		if p == self || p == "gorgonia.org/tensor" || strings.HasPrefix(p, "gorgonia.org/tensor/") || p == noMovingGC {
			t.Errorf("%s is linked by cmd/ or daemon/ (go list %s); this bridge must stay out of shipped binaries", p, strings.Join(patterns, " "))
		}
	}
}

// repoAndGo returns the repository root and the go tool, skipping (or
// failing under CI=true) when the go tool is not installed.
func repoAndGo(t *testing.T) (root, goTool string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go tool not found: %v", err)
		}
		t.Skipf("go tool not found (%v); cannot inspect the module graph", err)
	}
	root, err = filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	return root, goTool
}

func goList(t *testing.T, dir, goTool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(goTool, append([]string{"list"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
