package main

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
)

// TestRunWritesNpyOutputs runs mnist-8 through `ocellus run` on ORT's
// random input (regenerated, SplitMix64 seed 1) and compares the .npy it
// writes with ORT's output kept in nn/testdata/ort.
func TestRunWritesNpyOutputs(t *testing.T) {
	model := fixture.Path(t, "models", "onnx", "mnist-8.onnx")
	dir := t.TempDir()
	x := make([]float32, 28*28)
	state := uint64(1)
	for i := range x {
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		x[i] = float32(int64(z>>40)-(1<<23)) / (1 << 23)
	}
	in := filepath.Join(dir, "in.npy")
	if err := npy.WriteFile(in, &npy.Array{DType: "float32", Shape: []int{1, 1, 28, 28}, F32: x}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"run", "--model", model, "--input", "Input3=" + in, "--out", dir}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Plus214_Output_0") {
		t.Fatalf("stdout does not name the output: %q", out.String())
	}
	got, err := npy.ReadFile(filepath.Join(dir, "Plus214_Output_0.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := npy.ReadFile("../../nn/testdata/ort/mnist-8/Plus214_Output_0.npy")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.F32) != 10 || len(want.F32) != 10 {
		t.Fatalf("got %d values, ORT %d", len(got.F32), len(want.F32))
	}
	for i := range got.F32 {
		if math.Abs(float64(got.F32[i]-want.F32[i])) > 1e-4*math.Abs(float64(want.F32[i]))+1e-5 {
			t.Fatalf("logit %d: %g, ORT %g", i, got.F32[i], want.F32[i])
		}
	}
	// A wrong input name and a missing input are usage errors.
	for _, args := range [][]string{
		{"run", "--model", model, "--input", "nope=" + in, "--out", dir},
		{"run", "--model", model, "--out", dir},
	} {
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
