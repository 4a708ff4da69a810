package toonnx_test

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

// ortrun returns the ONNX Runtime peer (../shared/peer) or skips: the peer
// is a yardstick, never a dependency, so it is not required even in CI.
func ortrun(t *testing.T) string {
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

// runORT runs model (one float input) on x with ortrun and returns the
// outputs in the model's order.
func runORT(t *testing.T, bin, model, input string, x *tensor.Tensor) [][]float32 {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.npy")
	if err := npy.WriteFile(in, &npy.Array{DType: "float32", Shape: x.Shape, F32: x.F32}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-model", model, "-out", dir, "-iters", "1", "-warmup", "0", "-input", input+"="+in).CombinedOutput()
	if err != nil {
		t.Fatalf("ortrun %s: %v\n%s", model, err, out)
	}
	var sum struct{ Outputs []struct{ Name, File string } }
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err == nil {
		err = json.Unmarshal(b, &sum)
	}
	if err != nil {
		t.Fatal(err)
	}
	var res [][]float32
	for _, o := range sum.Outputs {
		a, err := npy.ReadFile(filepath.Join(dir, o.File))
		if err != nil {
			t.Fatal(err)
		}
		res = append(res, a.F32)
	}
	return res
}

func maxAbsDiff(a, b []float32) (d, s float64) {
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		s = math.Max(s, math.Abs(float64(a[i])))
	}
	return d, s
}

// TestConvertedORT: ONNX Runtime, an independent reader of the ONNX
// files, computes from the converted models what ocellus computes from
// the TFLite files.
func TestConvertedORT(t *testing.T) {
	bin := ortrun(t)
	vwwPath := fixture.Path(t, "models", "tflite", "vww_96_float.tflite")
	vww, err := os.ReadFile(vwwPath)
	if err != nil {
		t.Fatal(err)
	}
	_, xs := vwwInputs(t)
	vwwXs := []*tensor.Tensor{xs[0], xs[4], xs[5]} // random, person.bmp, no_person.bmp
	opsX := tensor.New(tensor.Float32, 1, 8, 8, 3)
	for i := range opsX.F32 {
		opsX.F32[i] = float32(math.Sin(float64(i)))
	}
	for _, c := range []struct {
		name string
		b    []byte
		xs   []*tensor.Tensor
	}{{"vww_96_float", vww, vwwXs}, {"ops", opsModel(), []*tensor.Tensor{opsX}}} {
		pm, err := toonnx.ToONNX(c.b)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), c.name+".onnx")
		if err := os.WriteFile(p, pm.Marshal(), 0o644); err != nil {
			t.Fatal(err)
		}
		tm, err := tflite.Import(c.b)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := nn.FromTFLite(tm, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := ref.NewSession()
		for k, x := range c.xs {
			want, err := s.Run(x)
			if err != nil {
				t.Fatal(err)
			}
			got := runORT(t, bin, p, pm.Graph.Inputs[0].Name, x)
			if len(got) != len(want) {
				t.Fatalf("%s: ORT gives %d outputs, want %d", c.name, len(got), len(want))
			}
			for i := range want {
				d, sc := maxAbsDiff(want[i].F32, got[i])
				t.Logf("%s input %d output %d: ocellus (TFLite) vs ORT (converted) max |Δ| %.2g (max |y| %.2g)", c.name, k, i, d, sc)
				if d > 1e-5*math.Max(1, sc) {
					t.Errorf("%s input %d output %d: max |Δ| %g", c.name, k, i, d)
				}
			}
		}
		s.Close()
	}
}
