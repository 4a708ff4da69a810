package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/train/finetune"
)

// writeEvalModel writes a small float classifier [1,3,16,16] → classes
// outputs: Conv3×3(4) → BatchNormalization → Relu → GlobalAveragePool →
// Flatten → Gemm.
func writeEvalModel(t *testing.T, path string, classes int64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 21))
	g := &onnxpb.Graph{Name: "evaltiny"}
	init := func(name string, lo, hi float64, dims ...int64) string {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		raw := make([]byte, 4*n)
		for i := int64(0); i < n; i++ {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(lo+(hi-lo)*rng.Float64())))
		}
		g.Initializers = append(g.Initializers, &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, RawData: raw})
		return name
	}
	node := func(op, out string, ins []string, attrs ...*onnxpb.Attribute) string {
		g.Nodes = append(g.Nodes, &onnxpb.Node{OpType: op, Name: op + "_" + out, Inputs: ins, Outputs: []string{out}, Attributes: attrs})
		return out
	}
	dims := []*onnxpb.Dim{{Value: 1, HasValue: true}, {Value: 3, HasValue: true}, {Value: 16, HasValue: true}, {Value: 16, HasValue: true}}
	g.Inputs = []*onnxpb.ValueInfo{{Name: "image", Type: &onnxpb.Type{Kind: onnxpb.TypeKindTensor,
		Tensor: &onnxpb.TensorType{ElemType: onnxpb.DataTypeFloat, Shape: &onnxpb.Shape{Dims: dims}}}}}
	c := node("Conv", "c1", []string{"image", init("w1", -0.5, 0.5, 4, 3, 3, 3), init("b1", -0.1, 0.1, 4)},
		&onnxpb.Attribute{Name: "pads", Type: onnxpb.AttrTypeInts, Ints: []int64{1, 1, 1, 1}})
	bn := node("BatchNormalization", "bn1", []string{c, init("s", 0.8, 1.2, 4), init("o", -0.1, 0.1, 4), init("m", -0.1, 0.1, 4), init("v", 0.5, 1.5, 4)})
	r := node("Relu", "r1", []string{bn})
	f := node("Flatten", "f", []string{node("GlobalAveragePool", "gap", []string{r})})
	out := node("Gemm", "logits", []string{f, init("wf", -1, 1, classes, 4), init("bf", -0.1, 0.1, classes)},
		&onnxpb.Attribute{Name: "transB", Type: onnxpb.AttrTypeInt, I: 1})
	g.Outputs = []*onnxpb.ValueInfo{{Name: out}}
	m := &onnxpb.Model{IRVersion: 7, Graph: g, OpsetImports: []*onnxpb.OperatorSetID{{Version: 13}}}
	if err := os.WriteFile(path, m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeEvalDataset writes DIR/{train,val,test}/{red,blue}/*.png, n[split]
// images each: reddish or bluish noise.
func writeEvalDataset(t *testing.T, dir string, n [3]int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 4))
	for si, sp := range []string{"train", "val", "test"} {
		for ci, class := range []string{"red", "blue"} {
			d := filepath.Join(dir, sp, class)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n[si]; i++ {
				img := image.NewRGBA(image.Rect(0, 0, 20, 20))
				for y := 0; y < 20; y++ {
					for x := 0; x < 20; x++ {
						v := func() uint8 { return uint8(rng.IntN(120)) }
						c := color.RGBA{v() + 120, v(), v(), 255}
						if ci == 1 {
							c.R, c.B = c.B, c.R
						}
						img.Set(x, y, c)
					}
				}
				var b bytes.Buffer
				if err := png.Encode(&b, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("%s%02d.png", class, i)), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// evalFixture is a store with red/blue samples (4 train, 3 val, 3 test of
// each), the base model it was trained on (3 outputs: the head is
// replaced by a 2-class one) and the `train --json` summary of the
// active version 1.
type evalFixture struct {
	dir, db, base, data string
	sum                 finetune.Summary
}

func newEvalFixture(t *testing.T) evalFixture {
	t.Helper()
	f := evalFixture{dir: t.TempDir()}
	f.db, f.base, f.data = filepath.Join(f.dir, "s.db"), filepath.Join(f.dir, "base.onnx"), filepath.Join(f.dir, "data")
	writeEvalModel(t, f.base, 3)
	writeEvalDataset(t, f.data, [3]int{4, 3, 3})
	if code, _, stderr := cli("samples", "import", "--store", f.db, f.data); code != 0 {
		t.Fatalf("import: %d %s", code, stderr)
	}
	code, stdout, stderr := cli("train", "--store", f.db, "--model", f.base, "--head-epochs", "30", "--head-lr", "0.05",
		"--epochs", "3", "--lr", "0.01", "--batch", "4", "--unfreeze-last", "2", "--dropout", "0", "--activate", "--quiet", "--json")
	if code != 0 {
		t.Fatalf("train: %d %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &f.sum); err != nil {
		t.Fatalf("train --json: %v\n%s", err, stdout)
	}
	if f.sum.Model != 1 || f.sum.Test.Split != "test" {
		t.Fatalf("train summary %+v, want model version 1 reported on test", f.sum)
	}
	return f
}

func decodeEval(t *testing.T, stdout string) evalJSON {
	t.Helper()
	var e evalJSON
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("eval --json printed more than one object:\n%s", stdout)
	}
	return e
}

func TestEvalCLI(t *testing.T) {
	f := newEvalFixture(t)

	// The active version on the default split (test) scores as training
	// reported.
	code, stdout, stderr := cli("eval", "--store", f.db, "--json")
	if code != 0 {
		t.Fatalf("eval: %d %s", code, stderr)
	}
	e := decodeEval(t, stdout)
	if e.Model != "1" || e.Split != "test" || e.Samples != 6 || e.KnownSamples != 6 || e.ModelClasses != 2 {
		t.Errorf("eval %+v, want version 1 on 6 test samples, 2 classes", e)
	}
	if e.Accuracy != f.sum.Test.Accuracy || fmt.Sprint(e.Confusion) != fmt.Sprint(f.sum.Test.Confusion) ||
		strings.Join(e.Classes, ",") != strings.Join(f.sum.Classes, ",") {
		t.Errorf("eval: accuracy %.4f confusion %v classes %v; train reported %.4f %v %v",
			e.Accuracy, e.Confusion, e.Classes, f.sum.Test.Accuracy, f.sum.Test.Confusion, f.sum.Classes)
	}
	if e.Loss == nil || !(*e.Loss > 0) || e.AUC == nil || *e.AUC < 0 || *e.AUC > 1 {
		t.Errorf("eval loss %v AUC %v, want numbers", e.Loss, e.AUC)
	}

	// Text output: the figures, the class names, precision and recall.
	code, stdout, stderr = cli("eval", "--store", f.db, "--model", "1", "--split", "val", "--base", f.base)
	if code != 0 {
		t.Fatalf("eval --split val: %d %s", code, stderr)
	}
	t.Logf("eval --split val:\n%s", stdout)
	for _, want := range []string{"model version 1", "val split: 6 samples", "accuracy", "AUC", "loss", "true\\pred", "red", "blue", "precision", "recall"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("eval text output lacks %q:\n%s", want, stdout)
		}
	}

	// The base model (3 outputs) with its own labels: two of them are the
	// store's, so nothing is unknown.
	labels := filepath.Join(f.dir, "base.txt")
	if err := os.WriteFile(labels, []byte("blue\nred\ngreen\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = cli("eval", "--store", f.db, "--model", "base", "--base", f.base, "--labels", labels, "--split", "train", "--json")
	if code != 0 {
		t.Fatalf("eval --model base: %d %s", code, stderr)
	}
	e = decodeEval(t, stdout)
	if e.Model != "base" || e.Samples != 8 || e.ModelClasses != 3 || len(e.Confusion) != 3 || len(e.Confusion[0]) != 3 || e.Loss == nil {
		t.Errorf("eval base: %+v", e)
	}
	// Labels the store does not use at all: every sample is unknown,
	// rows for red and blue are added, the loss is undefined (null).
	if err := os.WriteFile(labels, []byte("x\ny\nz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = cli("eval", "--store", f.db, "--model", "base", "--base", f.base, "--labels", labels, "--json", "--threads", "1")
	if code != 0 {
		t.Fatalf("eval --model base, unknown labels: %d %s", code, stderr)
	}
	e = decodeEval(t, stdout)
	if e.Accuracy != 0 || e.KnownSamples != 0 || e.Loss != nil || e.AUC != nil || len(e.Classes) != 5 || len(e.Confusion) != 5 {
		t.Errorf("eval with unknown labels: %+v", e)
	}
	rows := 0
	for _, r := range e.Confusion[3:] {
		for _, v := range r {
			rows += v
		}
	}
	if rows != 6 {
		t.Errorf("unknown-label rows hold %d samples, want the 6 test samples: %v", rows, e.Confusion)
	}
	code, stdout, _ = cli("eval", "--store", f.db, "--model", "base", "--base", f.base, "--labels", labels)
	if code != 0 || !strings.Contains(stdout, "labels the model does not know (blue, red)") && !strings.Contains(stdout, "labels the model does not know (red, blue)") {
		t.Errorf("eval text with unknown labels (%d):\n%s", code, stdout)
	}

	// Errors.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--split", "sideways"}, 2, "--split"},
		{[]string{"--model", "7"}, 1, "7"},
		{[]string{"--model", "base", "--base", f.base}, 2, "--labels"},
		{[]string{"--labels", labels}, 2, "--model base"},
		{[]string{"--model", "1", "--base", labels}, 1, "SHA-256"},
		{[]string{"extra"}, 2, "no arguments"},
	} {
		code, _, stderr := cli(append([]string{"eval", "--store", f.db}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("eval %v: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.want, stderr)
		}
	}
	empty := filepath.Join(f.dir, "empty.db")
	if code, _, stderr := cli("samples", "import", "--store", empty, f.data); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	if code, _, stderr := cli("eval", "--store", empty); code != 1 || !strings.Contains(stderr, "no active model version") {
		t.Errorf("eval without an active version: exit %d %s", code, stderr)
	}
}
