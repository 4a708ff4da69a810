package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/train/finetune"
)

func cli(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestTrainAndModels runs `samples import`, `train --json --out`, and
// `models ls|show|activate` on a few hymenoptera images of each class.
func TestTrainAndModels(t *testing.T) {
	if testing.Short() {
		t.Skip("real-model training: skipped with -short")
	}
	src := fixture.Path(t, "datasets", "hymenoptera")
	model := fixture.Path(t, "models", "onnx", "mobilenetv2-1.0-imagenet-dequant.onnx")
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	for _, sp := range []string{"train", "val"} {
		for _, l := range []string{"ants", "bees"} {
			ents, err := os.ReadDir(filepath.Join(src, sp, l))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			sort.Strings(names)
			dst := filepath.Join(data, sp, l)
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, nm := range names[:6] {
				b, err := os.ReadFile(filepath.Join(src, sp, l, nm))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dst, nm), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	db := filepath.Join(tmp, "s.db")
	if code, _, stderr := cli("samples", "import", "--store", db, data); code != 0 {
		t.Fatalf("import: %d %s", code, stderr)
	}
	if code, _, _ := cli("models", "activate", "--store", db, "1"); code == 0 {
		t.Error("activating a missing model version succeeded")
	}
	out := filepath.Join(tmp, "reports")
	code, stdout, stderr := cli("train", "--store", db, "--model", model, "--head-epochs", "5", "--epochs", "1", "--batch", "8", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("train: %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "head epoch 5/5") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	var sum finetune.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("train --json: %v\n%s", err, stdout)
	}
	if len(sum.Phases) != 2 || sum.Phases[0].Epochs != 5 || sum.Phases[1].Epochs != 1 || sum.Model != 1 || sum.Active {
		t.Errorf("summary %+v", sum)
	}
	if len(sum.Test.Confusion) != 2 || sum.Test.Samples != 12 {
		t.Errorf("test confusion %v on %d samples, want 2×2 on 12", sum.Test.Confusion, sum.Test.Samples)
	}
	for _, n := range []string{finetune.ConfusionSVG, finetune.ConfusionPNG, finetune.CurvesSVG, finetune.CurvesPNG, finetune.SummaryJSON} {
		if fi, err := os.Stat(filepath.Join(out, n)); err != nil || fi.Size() == 0 {
			t.Errorf("report %s: %v", n, err)
		}
	}
	code, stdout, _ = cli("models", "ls", "--store", db)
	if code != 0 || !strings.Contains(stdout, finetune.BlobFormat) || strings.Contains(stdout, "*") {
		t.Errorf("models ls: %d\n%s", code, stdout)
	}
	if code, _, stderr = cli("models", "activate", "--store", db, "1"); code != 0 {
		t.Fatalf("activate: %d %s", code, stderr)
	}
	code, stdout, _ = cli("models", "show", "--store", db, "1")
	var shown struct {
		Active  bool     `json:"active"`
		Reports []string `json:"reports"`
		Epochs  []json.RawMessage
	}
	if err := json.Unmarshal([]byte(stdout), &shown); code != 0 || err != nil || !shown.Active || len(shown.Reports) != 4 || len(shown.Epochs) != 6 {
		t.Errorf("models show: %d %v %+v\n%s", code, err, shown, stdout)
	}
	// Text summary.
	code, stdout, stderr = cli("train", "--store", db, "--model", model, "--head-epochs", "2", "--phase2=false", "--quiet")
	if code != 0 || !strings.Contains(stdout, "true\\pred") || stderr != "" {
		t.Errorf("train text: %d\n%s\n%s", code, stdout, stderr)
	}
}
