package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/store"
)

// tinyImageModel writes a float model with an image input [1,3,16,16]:
// conv 3×3 → Relu → GlobalAveragePool → Flatten → Gemm → 4 logits.
func tinyImageModel(t *testing.T, dir string) string {
	t.Helper()
	rng := rand.New(rand.NewSource(1))
	ft := func(name string, dims ...int64) *onnxpb.Tensor {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		raw := make([]byte, 4*n)
		for i := int64(0); i < n; i++ {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(rng.Float32()-0.5))
		}
		return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, RawData: raw}
	}
	vi := func(name string, dims ...int64) *onnxpb.ValueInfo {
		return onnxpb.TensorValueInfo(name, onnxpb.DataTypeFloat, dims...)
	}
	g := &onnxpb.Graph{
		Name:         "tiny",
		Inputs:       []*onnxpb.ValueInfo{vi("image", 1, 3, 16, 16)},
		Outputs:      []*onnxpb.ValueInfo{vi("logits", 1, 4)},
		Initializers: []*onnxpb.Tensor{ft("w", 6, 3, 3, 3), ft("b", 6), ft("wg", 4, 6), ft("bg", 4)},
		Nodes: []*onnxpb.Node{
			{OpType: "Conv", Name: "conv", Inputs: []string{"image", "w", "b"}, Outputs: []string{"c"},
				Attributes: []*onnxpb.Attribute{{Name: "pads", Type: onnxpb.AttrTypeInts, Ints: []int64{1, 1, 1, 1}}}},
			{OpType: "Relu", Name: "relu", Inputs: []string{"c"}, Outputs: []string{"r"}},
			{OpType: "GlobalAveragePool", Name: "gap", Inputs: []string{"r"}, Outputs: []string{"g"}},
			{OpType: "Flatten", Name: "flat", Inputs: []string{"g"}, Outputs: []string{"f"}},
			{OpType: "Gemm", Name: "fc", Inputs: []string{"f", "wg", "bg"}, Outputs: []string{"logits"},
				Attributes: []*onnxpb.Attribute{{Name: "transB", Type: onnxpb.AttrTypeInt, I: 1}}},
		},
	}
	m := &onnxpb.Model{IRVersion: 7, Graph: g, OpsetImports: []*onnxpb.OperatorSetID{{Version: 13}}}
	p := filepath.Join(dir, "tiny.onnx")
	if err := os.WriteFile(p, m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writePNG(t *testing.T, path string, seed int64) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	img := image.NewRGBA(image.Rect(0, 0, 20, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 20; x++ {
			img.Set(x, y, color.RGBA{uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256)), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestQuantizeCLI(t *testing.T) {
	dir := t.TempDir()
	model := tinyImageModel(t, dir)
	calib := filepath.Join(dir, "calib")
	writePNG(t, filepath.Join(calib, "a", "1.png"), 1)
	writePNG(t, filepath.Join(calib, "b", "deeper", "2.PNG"), 2)
	os.WriteFile(filepath.Join(calib, "notes.txt"), []byte("not an image, ignored"), 0o644)
	out := filepath.Join(dir, "tiny.q.onnx")
	var stdout, stderr bytes.Buffer
	args := []string{"quantize", "--model", model, "--calib", calib, "--out", out, "--method", "percentile", "--norm", "tf",
		"--range-search=false", "--float-activations", "0"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "calibrated on 2 images") || !strings.Contains(stdout.String(), "Conv 1") {
		t.Errorf("unexpected report:\n%s", stdout.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxpb.DecodeModel(data)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, n := range m.Graph.Nodes {
		ops[n.OpType]++
	}
	if ops["QuantizeLinear"] == 0 || ops["DequantizeLinear"] == 0 || ops["Relu"] != 0 {
		t.Errorf("quantized model ops %v: want Q/DQ nodes and the Relu folded", ops)
	}
	// --norm tf differs from what the input shape implies: the output gets a sidecar.
	spec, ok, err := preprocess.LoadSidecar(out)
	if err != nil || !ok {
		t.Fatalf("no preprocessing sidecar next to %s: %v", out, err)
	}
	if spec.Offset != -1 || spec.Mean != [3]float32{} {
		t.Errorf("sidecar %v does not hold the tf normalisation", spec)
	}
}

// TestQuantizeCLIRefine: the refinement flags reach the quantizer (report
// lines, metadata) and the kept-float activation keeps its Relu.
func TestQuantizeCLIRefine(t *testing.T) {
	dir := t.TempDir()
	model := tinyImageModel(t, dir)
	calib := filepath.Join(dir, "calib")
	for i := 0; i < 3; i++ {
		writePNG(t, filepath.Join(calib, strconv.Itoa(i)+".png"), int64(i))
	}
	out := filepath.Join(dir, "tiny.q.onnx")
	var stdout, stderr bytes.Buffer
	args := []string{"quantize", "--model", model, "--calib", calib, "--out", out, "--method", "minmax",
		"--range-search", "--float-activations", "1", "--refine-samples", "2", "--bias-correction", "1"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"activations kept float (most sensitive): 1:", "nodes, 1 passes"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxpb.DecodeModel(data)
	if err != nil {
		t.Fatal(err)
	}
	meta := ""
	for _, p := range m.MetadataProps {
		meta += p.Value
	}
	for _, want := range []string{"range_search=true", "float_activations=1", "bias_correction=1"} {
		if !strings.Contains(meta, want) {
			t.Errorf("metadata %q lacks %q", meta, want)
		}
	}
	var stderr2 bytes.Buffer
	if code := run([]string{"quantize", "--model", model, "--calib", calib, "--out", out, "--float-activations", "-1"}, &stdout, &stderr2); code != 2 {
		t.Errorf("--float-activations -1: exit %d (%s), want 2", code, stderr2.String())
	}
}

// TestQuantizeCLIStore calibrates from the sample store's train split.
func TestQuantizeCLIStore(t *testing.T) {
	dir := t.TempDir()
	model := tinyImageModel(t, dir)
	db := filepath.Join(dir, "ocellus.db")
	st, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddLabel("thing"); err != nil {
		t.Fatal(err)
	}
	for i, split := range []store.Split{store.Train, store.Train, store.Train, store.Val} {
		p := filepath.Join(dir, "img", strconv.Itoa(i)+".png")
		writePNG(t, p, int64(i))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddSample(store.NewSample{Image: b, Label: "thing", Split: split}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "q.onnx")
	var stdout, stderr bytes.Buffer
	args := []string{"quantize", "--model", model, "--calib", "store:" + db, "--out", out, "--method", "minmax"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "calibrated on 3 images from store "+db+" (train split)") {
		t.Errorf("unexpected report:\n%s", stdout.String())
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

func TestQuantizeCLIErrors(t *testing.T) {
	dir := t.TempDir()
	model := tinyImageModel(t, dir)
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(filepath.Join(empty, "sub"), 0o755)
	os.WriteFile(filepath.Join(empty, "sub", "readme.txt"), []byte("x"), 0o644)
	badDir := filepath.Join(dir, "bad")
	writePNG(t, filepath.Join(badDir, "a.png"), 1)
	os.WriteFile(filepath.Join(badDir, "broken.jpg"), []byte("\xff\xd8\xff\xe0 truncated"), 0o644)
	out := filepath.Join(dir, "o.onnx")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"quantize", "--model", model, "--out", out}, 2, "--calib is required"},
		{[]string{"quantize", "--calib", empty, "--out", out}, 2, "--model is required"},
		{[]string{"quantize", "--model", model, "--calib", empty}, 2, "--out is required"},
		{[]string{"quantize", "--model", model, "--calib", empty, "--out", out}, 1, "no images"},
		{[]string{"quantize", "--model", model, "--calib", badDir, "--out", out}, 1, "broken.jpg"},
		{[]string{"quantize", "--model", model, "--calib", filepath.Join(dir, "nope"), "--out", out}, 1, "nope"},
		{[]string{"quantize", "--model", model, "--calib", model, "--out", out}, 2, "not a folder"},
		{[]string{"quantize", "--model", model, "--calib", badDir, "--out", out, "--method", "kl"}, 2, "minmax"},
		{[]string{"quantize", "--model", model, "--calib", badDir, "--out", out, "--percentile", "20"}, 2, "percentile"},
		{[]string{"quantize", "--model", model, "--calib", badDir, "--out", out, "--samples", "0"}, 2, "--samples"},
		{[]string{"quantize", "--model", model, "--calib", "store:" + filepath.Join(dir, "none.db"), "--out", out}, 1, "none.db does not exist"},
		{[]string{"quantize", "--model", model, "--calib", "store:", "--out", out}, 2, "store:PATH"},
		{[]string{"quantize", "--model", model, "--calib", badDir, "--out", model}, 2, "differ"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args[1:], code, stderr.String(), c.code, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed quantize wrote its output")
	}
}

// TestQuantizeCLICheck: --check compares the models on the images left out
// of calibration (3 of 5 with --samples 2, at most --check of them), says so
// when none are left, and is skipped with --check 0.
func TestQuantizeCLICheck(t *testing.T) {
	dir := t.TempDir()
	model := tinyImageModel(t, dir)
	calib := filepath.Join(dir, "calib")
	for i := 0; i < 5; i++ {
		writePNG(t, filepath.Join(calib, fmt.Sprintf("%d.png", i)), int64(i+1))
	}
	out := filepath.Join(dir, "tiny.q.onnx")
	quantize := func(extra ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args := append([]string{"quantize", "--model", model, "--calib", calib, "--out", out, "--norm", "tf",
			"--range-search=false", "--float-activations", "0"}, extra...)
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr.String())
		}
		return stdout.String()
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--samples", "2"}, "check on 3 images not used for calibration: top-1 agreement with the float model "},
		{[]string{"--samples", "2", "--check", "2"}, "check on 2 images not used for calibration: top-1 agreement with the float model "},
		{[]string{"--samples", "5"}, "check: no images left out of calibration (all 5 were used)"},
	} {
		got := quantize(c.args...)
		if !strings.Contains(got, c.want) {
			t.Errorf("%v: want %q in:\n%s", c.args, c.want, got)
		}
	}
	if got := quantize("--samples", "2", "--check", "0"); strings.Contains(got, "check") {
		t.Errorf("--check 0 still checks:\n%s", got)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"quantize", "--model", model, "--calib", calib, "--out", out, "--check", "-1"}, &stdout, &stderr); code == 0 ||
		!strings.Contains(stderr.String(), "--check must be 0 or more") {
		t.Errorf("--check -1: exit %d, stderr %q", code, stderr.String())
	}
}
