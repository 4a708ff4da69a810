// Package ortpeer runs ONNX Runtime's peer tool (../shared/peer: ortrun)
// from tests, as a yardstick: it is never a dependency of ocellus, so a
// test without it skips, in CI too.
package ortpeer

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/internal/npy"
)

// Find returns the ortrun binary ($ORTRUN, else /tmp/ort-peer/ortrun), or
// skips t when it is absent or under -short.
func Find(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping the comparison with ONNX Runtime")
	}
	p := os.Getenv("ORTRUN")
	if p == "" {
		p = "/tmp/ort-peer/ortrun"
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("ONNX Runtime peer %s not found (set ORTRUN or run ../shared/peer/setup.sh with PEER_CACHE=/tmp/ort-peer); skipping", p)
	}
	return p
}

// Run runs model once with ortrun (bin) on inputs (by name; none: ortrun's
// seeded random inputs) and returns every output and input it wrote, by
// name.
func Run(t testing.TB, bin, model string, inputs map[string]*npy.Array) map[string]*npy.Array {
	t.Helper()
	dir := t.TempDir()
	args := []string{"-model", model, "-out", dir, "-iters", "1", "-warmup", "0"}
	for name, a := range inputs {
		p := filepath.Join(dir, "in_"+sanitize(name)+".npy")
		if err := npy.WriteFile(p, a); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-input", name+"="+p)
	}
	if len(inputs) == 0 {
		args = append(args, "-random-seed", "1")
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ortrun %s: %v\n%s", model, err, out)
	}
	var sum struct {
		Inputs, Outputs []struct{ Name, File string }
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	res := map[string]*npy.Array{}
	for _, o := range append(sum.Outputs, sum.Inputs...) {
		if _, ok := res[o.Name]; ok {
			continue
		}
		a, err := npy.ReadFile(filepath.Join(dir, o.File))
		if err != nil {
			t.Fatal(err)
		}
		res[o.Name] = a
	}
	return res
}

// sanitize makes a value name a file name.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
