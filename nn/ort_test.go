package nn_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
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

// TestAgreementWithORT runs every model in ../shared/models/onnx on ONNX
// Runtime's random inputs and compares with ORT's outputs (made by
// testdata/ort/gen.sh): float models within max |ocellus − ORT| ≤
// 1e-4 · max |ORT|, quantized ones within one output quantum.
func TestAgreementWithORT(t *testing.T) {
	dirs, err := filepath.Glob("testdata/ort/*/summary.json")
	if err != nil || len(dirs) < 8 {
		t.Fatalf("expected 8 ORT fixtures under testdata/ort, found %d (%v)", len(dirs), err)
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
				if q := outputQuantum(m, i); q > 0 {
					t.Logf("output %s: max|diff| %.4g = %.2f quanta (quantum %.4g)", o.Name, maxDiff, maxDiff/q, q)
					if maxDiff > q*1.0001 {
						t.Errorf("output %s: max|ocellus-ORT| = %.4g, more than one quantum %.4g", o.Name, maxDiff, q)
					}
					continue
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

// outputQuantum is the quantization step of output i when the model
// computes it by dequantizing a quantized tensor, else 0.
func outputQuantum(m *nn.Model, i int) float64 {
	g := m.Graph()
	id := g.Outputs[i]
	for _, n := range g.Nodes {
		if len(n.Outputs) > 0 && n.Outputs[0] == id && n.Op == graph.OpDequantize {
			if q := g.Tensors[n.Inputs[0]].Quant; q != nil && q.PerTensor() {
				return float64(q.Scale[0])
			}
		}
	}
	return 0
}

// TestInt8Top1MatchesORT classifies every sample image and every
// hymenoptera val image with mobilenetv2-12-int8.onnx and compares the
// top-1 class with ONNX Runtime's on the same preprocessed input
// (testdata/ort/gen/main.go made the list).
func TestInt8Top1MatchesORT(t *testing.T) {
	if testing.Short() {
		t.Skip("169 images: skipped with -short (the emulated-architecture runs); TestAgreementWithORT covers them there")
	}
	b, err := os.ReadFile("testdata/ort/mobilenetv2-12-int8/top1.tsv")
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Load(fixture.Path(t, "models", "onnx", "mobilenetv2-12-int8.onnx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewSession()
	defer s.Close()
	spec := preprocess.DefaultSpec()
	spec.Layout = preprocess.NHWC // the model runs NHWC inside
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		t.Fatal(err)
	}
	n, agree := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		img, err := preprocess.DecodeFile(fixture.Path(t, f[0]))
		if err != nil {
			t.Fatal(err)
		}
		pre.Run(img, s.Input(0).F32)
		out := s.RunInPlace()[0].F32
		best := 0
		for i, v := range out {
			if v > out[best] {
				best = i
			}
		}
		n++
		ok := false
		for _, w := range strings.Split(f[1], ",") {
			ok = ok || w == strconv.Itoa(best)
		}
		if ok {
			agree++
		} else {
			t.Errorf("%s: top-1 %d (%.4f), ORT %s (%s)", f[0], best, out[best], f[1], f[2])
		}
	}
	if n < 160 {
		t.Fatalf("only %d images listed", n)
	}
	t.Logf("top-1 identical to ORT on %d of %d images", agree, n)
}
