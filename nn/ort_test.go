package nn_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
)

// ortSummary is the part of ortrun's summary.json the test reads.
type ortSummary struct {
	Model struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	} `json:"model"`
	Inputs []struct {
		Name   string `json:"name"`
		DType  string `json:"dtype"`
		Shape  []int  `json:"shape"`
		SHA256 string `json:"sha256"`
		Seed   uint64 `json:"seed"`
	} `json:"inputs"`
	Outputs []struct {
		Name string `json:"name"`
		File string `json:"file"`
	} `json:"outputs"`
}

// splitmixInput reproduces ortrun's generated float32 input k: element i is
// (int64(x>>40) - 2^23) / 2^23 for the i-th SplitMix64 draw from
// state seed + k<<32.
func splitmixInput(seed uint64, k int, n int) []float32 {
	state := seed + uint64(k)<<32
	out := make([]float32, n)
	for i := range out {
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		out[i] = float32(int64(z>>40)-(1<<23)) / (1 << 23)
	}
	return out
}

// TestAgreementWithORT runs every float model in ../shared/models/onnx on
// ONNX Runtime's random inputs and compares with ORT's outputs (made by
// testdata/ort/gen.sh): max |ocellus − ORT| ≤ 1e-4 · max |ORT|.
func TestAgreementWithORT(t *testing.T) {
	dirs, err := filepath.Glob("testdata/ort/*/summary.json")
	if err != nil || len(dirs) < 7 {
		t.Fatalf("expected 7 ORT fixtures under testdata/ort, found %d (%v)", len(dirs), err)
	}
	for _, sf := range dirs {
		dir := filepath.Dir(sf)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var s ortSummary
			b, err := os.ReadFile(sf)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			path := fixture.Path(t, s.Model.Path)
			mb, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if h := sha256.Sum256(mb); hex.EncodeToString(h[:]) != s.Model.SHA256 {
				t.Fatalf("%s changed since the ORT outputs were made (sha256 %x)", path, h)
			}
			m, err := nn.Load(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			var ins []*tensor.Tensor
			for k, in := range s.Inputs {
				if in.DType != "float32" {
					t.Fatalf("input %s: dtype %s", in.Name, in.DType)
				}
				x := tensor.FromF32(splitmixInput(in.Seed, k, tensor.NumElems(in.Shape)), in.Shape...)
				if h := sha256.Sum256(x.Bytes()); hex.EncodeToString(h[:]) != in.SHA256 {
					t.Fatalf("regenerated input %s differs from ORT's (sha256)", in.Name)
				}
				ins = append(ins, x)
			}
			outs, err := m.NewSession().Run(ins...)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range s.Outputs {
				want, err := npy.ReadFile(filepath.Join(dir, o.File))
				if err != nil {
					t.Fatal(err)
				}
				got := outs[i].F32
				if len(got) != len(want.F32) {
					t.Fatalf("output %s: %d values, ORT has %d", o.Name, len(got), len(want.F32))
				}
				var maxAbs, maxDiff float64
				for j := range got {
					maxAbs = math.Max(maxAbs, math.Abs(float64(want.F32[j])))
					maxDiff = math.Max(maxDiff, math.Abs(float64(got[j])-float64(want.F32[j])))
				}
				rel := maxDiff / maxAbs
				t.Logf("output %s: max|diff| %.3g, max|ORT| %.3g, ratio %.2e", o.Name, maxDiff, maxAbs, rel)
				if !(rel <= 1e-4) {
					t.Errorf("output %s: max|ocellus-ORT| = %.3g > 1e-4 × max|ORT| (%.3g)", o.Name, maxDiff, maxAbs)
				}
			}
		})
	}
}
