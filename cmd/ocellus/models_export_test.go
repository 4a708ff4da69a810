package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// TestModelsExport: `models export` writes the ONNX model, its labels and
// its preprocessing; `classify` on the exported file, on store:DB and on
// store:DB#1 gives the same labels and scores.
func TestModelsExport(t *testing.T) {
	f := newEvalFixture(t)
	out := filepath.Join(f.dir, "exported", "m.onnx")
	code, stdout, stderr := cli("models", "export", "--store", f.db, "--out", out)
	if code != 0 {
		t.Fatalf("models export: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "model version 1") {
		t.Errorf("export output: %s", stdout)
	}
	lb, err := os.ReadFile(out + LabelsSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(lb)); strings.Join(got, ",") != strings.Join(f.sum.Classes, ",") {
		t.Errorf("labels file %q, want the classes %v", lb, f.sum.Classes)
	}
	side, ok, err := preprocess.LoadSidecar(out)
	if err != nil || !ok || side.Width != 16 || side.Height != 16 {
		t.Errorf("preprocessing sidecar %+v ok %v err %v, want 16×16", side, ok, err)
	}

	images, err := filepath.Glob(filepath.Join(f.data, "test", "*", "*.png"))
	if err != nil || len(images) != 6 {
		t.Fatalf("test images %v (%v)", images, err)
	}
	classify := func(model string, extra ...string) []classifyJSON {
		t.Helper()
		args := append([]string{"classify", "--model", model, "--json", "--top", "2"}, extra...)
		code, stdout, stderr := cli(append(args, images...)...)
		if code != 0 {
			t.Fatalf("classify --model %s: %d %s", model, code, stderr)
		}
		var res []classifyJSON
		dec := json.NewDecoder(strings.NewReader(stdout))
		for dec.More() {
			var r classifyJSON
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			res = append(res, r)
		}
		if len(res) != len(images) {
			t.Fatalf("classify --model %s: %d results for %d images", model, len(res), len(images))
		}
		return res
	}
	exported := classify(out)
	stored := classify("store:" + f.db)
	byID := classify("store:"+f.db+"#1", "--base", f.base)
	right := 0
	for i, img := range images {
		want := filepath.Base(filepath.Dir(img))
		if exported[i].Top[0].Label == want {
			right++
		}
		for _, o := range [][]classifyJSON{stored, byID} {
			a, b := exported[i].Top, o[i].Top
			if a[0].Label == "" || a[0].Label != b[0].Label || a[1].Label != b[1].Label {
				t.Errorf("%s: exported says %+v, the stored version %+v", img, a, b)
				continue
			}
			for j := range a {
				if d := math.Abs(float64(a[j].Score - b[j].Score)); d > 1e-5*math.Max(1, math.Abs(float64(b[j].Score))) {
					t.Errorf("%s: exported score %g, stored %g", img, a[j].Score, b[j].Score)
				}
			}
		}
	}
	// The exported model classifies the test images as training reported.
	if want := int(math.Round(f.sum.Test.Accuracy * 6)); right != want {
		t.Errorf("exported model gets %d/6 test images right, training reported %d", right, want)
	}

	// --id and --base; errors.
	moved := filepath.Join(f.dir, "moved.onnx")
	if err := os.Rename(f.base, moved); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli("models", "export", "--store", f.db, "--id", "1", "--out", out); code != 1 || !strings.Contains(stderr, "--base") {
		t.Errorf("export with the base moved: exit %d, want 1 asking for --base:\n%s", code, stderr)
	}
	if code, _, stderr := cli("models", "export", "--store", f.db, "--id", "1", "--base", moved, "--out", out); code != 0 {
		t.Errorf("export --base: exit %d %s", code, stderr)
	}
	if code, _, stderr := cli("classify", "--model", "store:"+f.db, "--base", moved, images[0]); code != 0 {
		t.Errorf("classify store: --base: exit %d %s", code, stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"models", "export", "--store", f.db}, 2, "--out"},
		{[]string{"models", "export", "--store", f.db, "--id", "1", "--active", "--out", out}, 2, "not both"},
		{[]string{"models", "export", "--store", f.db, "--id", "9", "--out", out, "--base", moved}, 1, "9"},
		{[]string{"classify", "--model", "store:" + f.db + "#x", images[0]}, 2, "model version id"},
		{[]string{"classify", "--model", "store:" + f.db + "#9", "--base", moved, images[0]}, 1, "9"},
		{[]string{"classify", "--model", out, "--base", moved, images[0]}, 2, "--base"},
	} {
		code, _, stderr := cli(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.want, stderr)
		}
	}
}
