package toonnx_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/internal/ortpeer"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

// runORT runs model (file path, its message m; one float input) on x with
// ONNX Runtime and returns the outputs in the model's order.
func runORT(t *testing.T, bin, path string, m *onnxpb.Model, x *tensor.Tensor) [][]float32 {
	t.Helper()
	res := ortpeer.Run(t, bin, path, map[string]*npy.Array{
		m.Graph.Inputs[0].Name: {DType: "float32", Shape: x.Shape, F32: x.F32}})
	var outs [][]float32
	for _, o := range m.Graph.Outputs {
		a, ok := res[o.Name]
		if !ok {
			t.Fatalf("ortrun %s wrote no output %q", path, o.Name)
		}
		outs = append(outs, a.F32)
	}
	return outs
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
	bin := ortpeer.Find(t)
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
	}{{"vww_96_float", vww, vwwXs}, {"ops", tflitetest.FloatOps(), []*tensor.Tensor{opsX}}} {
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
			got := runORT(t, bin, p, pm, x)
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
