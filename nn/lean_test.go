package nn_test

import (
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
)

// filled is a random input of spec's type (float in [−1, 1), integers over
// their range).
func filled(seed int64, spec nn.IOSpec) *tensor.Tensor {
	r := rand.New(rand.NewSource(seed))
	x := tensor.New(spec.DType, spec.Shape...)
	for i := range x.F32 {
		x.F32[i] = float32(r.Float64()*2 - 1)
	}
	for i := range x.U8 {
		x.U8[i] = uint8(r.Intn(256))
	}
	for i := range x.I8 {
		x.I8[i] = int8(r.Intn(256) - 128)
	}
	return x
}

// checkLean loads path with and without LoadOptions.Lean: the lean model
// computes the same outputs bit for bit, has the same Stats, and its graph
// holds none of the packed constants' data (at least wantDropped bytes
// fewer than the normal graph).
func checkLean(t *testing.T, path string, wantDropped int) {
	t.Helper()
	full, err := nn.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	lean, err := nn.Load(path, &nn.LoadOptions{Lean: true})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(path)
	dropped := constBytes(full.Graph()) - constBytes(lean.Graph())
	if dropped < wantDropped {
		t.Errorf("%s: the lean graph holds %d constant bytes fewer, want >= %d", name, dropped, wantDropped)
	}
	t.Logf("%s: %d of %d constant bytes dropped", name, dropped, constBytes(full.Graph()))
	fs, ls := full.Stats(), lean.Stats()
	if fs.Params != ls.Params || fs.MACs != ls.MACs || len(fs.Nodes) != len(ls.Nodes) {
		t.Errorf("%s: stats %+v, lean %+v", name, fs, ls)
	}
	var xs []*tensor.Tensor
	for i, in := range full.Inputs() {
		xs = append(xs, filled(int64(i+1), in))
	}
	a, b := full.NewSession(), lean.NewSessionWith(nn.SessionOptions{Threads: 2})
	defer a.Close()
	defer b.Close()
	want, err := a.Run(xs...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Run(xs...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !slices.Equal(want[i].Bytes(), got[i].Bytes()) {
			t.Errorf("%s: output %d differs in the lean model", name, i)
		}
	}
}

// TestLeanLoad: LoadOptions.Lean on a float conv/BN model (every constant
// packed: the lean graph keeps none) and, when the shared models are
// present (not with -short), on float, QDQ/QOperator int8 and TFLite int8
// models.
func TestLeanLoad(t *testing.T) {
	b, weights := convBNModel(16, 32)
	path := filepath.Join(t.TempDir(), "convbn.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	checkLean(t, path, 1)
	lean, err := nn.Load(path, &nn.LoadOptions{Lean: true})
	if err != nil {
		t.Fatal(err)
	}
	if cb := constBytes(lean.Graph()); cb != 0 {
		t.Errorf("lean conv/BN graph holds %d constant bytes (weights %d), want 0", cb, weights)
	}
	runtime.KeepAlive(lean)
	if testing.Short() {
		return // the shared models: natively, not under emulation
	}
	for _, c := range []struct {
		dir, name string
		dropped   int
	}{
		{"onnx", "mobilenetv2-1.0-imagenet-dequant.onnx", 13 << 20},
		{"onnx", "mobilenetv2-12-int8.onnx", 3 << 20},
		{"tflite", "person_detect.tflite", 200 << 10},
	} {
		checkLean(t, fixture.Path(t, "models", c.dir, c.name), c.dropped)
	}
}
