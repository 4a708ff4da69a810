package ptq

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestActivationBits measures how the top-1 agreement of a quantized
// MobileNetV2 (mobilenetv2-1.0-imagenet-dequant.onnx) with the float model
// depends on the precision of its activations. It quantizes the model as
// TestMixedPrecisionSweep does (OCELLUS_PTQ_CAL hymenoptera/train images,
// OCELLUS_PTQ_METHOD ranges, or the searched ranges of
// OCELLUS_PTQ_RANGE_CACHE), takes every activation's range from the
// QuantizeLinear nodes of the result, and runs the float model with each
// of those activations rounded to 2^B−1 steps of its range (clamped to it)
// for each B in OCELLUS_PTQ_BITS: B = 8 simulates the int8 model, larger B
// separate the clipping error (the range) from the rounding error (the
// step). It reports agreement on hymenoptera/val and on all images and the
// logits' RMS error:
//
//	OCELLUS_PTQ_BITS=8,10,12,16 OCELLUS_PTQ_METHOD=minmax go test -run TestActivationBits -v -timeout 60m ./nn/ptq
//
// It checks that at B = 8 the simulation's error and agreement are those
// of ocellus's int8 execution of the QDQ file (within 25 % and 5 % of the
// images), that every quantized activation was rounded, and that more bits
// never make the logits much worse.
func TestActivationBits(t *testing.T) {
	spec := os.Getenv("OCELLUS_PTQ_BITS")
	if spec == "" || testing.Short() {
		t.Skip("a precision sweep takes minutes; run it with OCELLUS_PTQ_BITS=8,10,12,16 (see bits_test.go)")
	}
	var bits []int
	for _, f := range strings.Split(spec, ",") {
		b, err := strconv.Atoi(f)
		if err != nil || b < 2 || b > 24 {
			t.Fatalf("OCELLUS_PTQ_BITS: %q: want bit counts in 2..24", f)
		}
		bits = append(bits, b)
	}
	prep, cal, train, val := calibratedMobileNetV2(t)
	in := cal.Model().Inputs()[0]
	pspec := preprocess.DefaultSpec()
	n := pspec.Len()
	cfg := DefaultConfig()
	var err error
	if s := os.Getenv("OCELLUS_PTQ_METHOD"); s != "" {
		if cfg.Method, err = ParseMethod(s); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := cal.Ranges(cfg.Method, cfg.Percentile)
	if err != nil {
		t.Fatal(err)
	}
	if f := os.Getenv("OCELLUS_PTQ_RANGE_CACHE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ranges = map[string]Range{}
		if err := json.Unmarshal(b, &ranges); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	qm, _, err := quantize(prep, ranges, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	grids, err := activationGrids(qm)
	if err != nil {
		t.Fatal(err)
	}
	files := append(append([]string{}, val...), train...)
	all := imageBatch(t, pspec, files)
	rows, nv := len(files), len(val)
	int8Out := runOcellus(t, writeModel(t, qm, "q.onnx"), in.Name, all)
	int8Top := argmaxRows(int8Out, rows)

	im, err := onnx.Import(prep.Marshal(), &onnx.Options{InputShapes: map[string][]int{in.Name: in.Shape}})
	if err != nil {
		t.Fatal(err)
	}
	mod, err := nn.FromONNX(im, &opt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess := mod.NewSession()
	defer sess.Close()
	// run returns the logits of every image with the activations rounded
	// to b bits (0: float).
	applied := map[string]bool{}
	run := func(b int) []float32 {
		clear(applied)
		var out []float32
		x := tensor.New(tensor.Float32, in.Shape...)
		for i := 0; i < rows; i++ {
			copy(x.F32, all.F32[i*n:(i+1)*n])
			if g, ok := grids[in.Name]; ok && b > 0 {
				g.round(x.F32, b)
				applied[in.Name] = true
			}
			o, err := sess.RunObserve(func(name string, v *tensor.Tensor) {
				if g, ok := grids[name]; ok && b > 0 && v.DType == tensor.Float32 {
					g.round(v.F32, b)
					applied[name] = true
				}
			}, x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, o[0].F32...)
		}
		return out
	}
	ref := run(0)
	want := argmaxRows(ref, rows)
	t.Logf("%d activations, ranges: %s; int8 execution agrees on val %d/%d, all %d/%d",
		len(grids), rangeSource(cfg), agree(int8Top[:nv], want[:nv]), nv, agree(int8Top, want), rows)
	prev := math.Inf(1)
	for _, b := range bits {
		out := run(b)
		got := argmaxRows(out, rows)
		rms := rmsDiff(out, ref)
		a, c := agree(got[:nv], want[:nv]), agree(got, want)
		t.Logf("%2d-bit activations: val %d/%d %.1f %%, all %d/%d %.1f %%, logits RMS error %.4f",
			b, a, nv, 100*float64(a)/float64(nv), c, rows, 100*float64(c)/float64(rows), rms)
		if len(applied) != len(grids) {
			t.Errorf("%d-bit activations: %d of %d quantized activations were seen and rounded", b, len(applied), len(grids))
		}
		if b == 8 {
			// Rounding is discontinuous: where the simulation's float
			// arithmetic and the int8 kernels' integer requantization
			// round one value differently, the difference spreads, so the
			// two are compared as distributions, not image by image: the
			// same size of error and nearly the same agreement.
			int8RMS := rmsDiff(int8Out, ref)
			t.Logf("   int8 execution: logits RMS error %.4f; top-1 equal to the simulation's on %d/%d", int8RMS, agree(got, int8Top), rows)
			if rms < 0.75*int8RMS || rms > 1.25*int8RMS || abs(c-agree(int8Top, want)) > rows/20 {
				t.Errorf("8-bit simulation: RMS error %.4f, agreement %d/%d; int8 execution %.4f, %d/%d: the simulation is not the int8 model",
					rms, c, rows, int8RMS, agree(int8Top, want), rows)
			}
		}
		if rms > 1.1*prev {
			t.Errorf("%d-bit activations: logits RMS error %.4f, more than with fewer bits (%.4f)", b, rms, prev)
		}
		prev = rms
	}
}

func rmsDiff(a, b []float32) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	return math.Sqrt(se / float64(max(len(a), 1)))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func rangeSource(cfg Config) string {
	if f := os.Getenv("OCELLUS_PTQ_RANGE_CACHE"); f != "" {
		return f
	}
	return cfg.Method.String()
}

// grid is an activation's quantization range [lo, hi].
type grid struct{ lo, hi float64 }

// round rounds v to the nearest of 2^b evenly spaced values over the range,
// zero among them, as a b-bit asymmetric quantization would.
func (g grid) round(v []float32, b int) {
	levels := math.Exp2(float64(b)) - 1
	s := (g.hi - g.lo) / levels
	zp := math.Round(-g.lo / s)
	for i, x := range v {
		q := math.Max(0, math.Min(levels, math.RoundToEven(float64(x)/s)+zp))
		v[i] = float32((q - zp) * s)
	}
}

// activationGrids reads the range of every activation a QDQ model
// quantizes from its QuantizeLinear nodes (uint8, per tensor), by the name
// the value has in the float model (quantize renames a graph output's
// producer output to "<name>_float" and gives the name to the
// DequantizeLinear).
func activationGrids(m *onnxpb.Model) (map[string]grid, error) {
	inits := initMap(m.Graph)
	outs := map[string]bool{}
	for _, o := range m.Graph.Outputs {
		outs[o.Name] = true
	}
	dqOf := map[string]string{} // quantized value → the graph output it dequantizes to
	for _, nd := range m.Graph.Nodes {
		if nd.OpType == "DequantizeLinear" && len(nd.Outputs) == 1 && outs[nd.Outputs[0]] {
			dqOf[nd.Inputs[0]] = nd.Outputs[0]
		}
	}
	grids := map[string]grid{}
	for _, nd := range m.Graph.Nodes {
		if nd.OpType != "QuantizeLinear" || len(nd.Inputs) < 3 {
			continue
		}
		sc, zp := inits[nd.Inputs[1]], inits[nd.Inputs[2]]
		if sc == nil {
			return nil, fmt.Errorf("QuantizeLinear %s: scale %q is not an initializer", nd.Name, nd.Inputs[1])
		}
		s, err := floatData(sc)
		if err != nil || len(s) != 1 || zp == nil || zp.DataType != onnxpb.DataTypeUint8 || len(zp.RawData) != 1 {
			return nil, fmt.Errorf("QuantizeLinear %s: want a per-tensor scale and uint8 zero point", nd.Name)
		}
		z := float64(zp.RawData[0])
		name := nd.Inputs[0]
		if o, ok := dqOf[nd.Outputs[0]]; ok {
			name = o
		}
		grids[name] = grid{float64(s[0]) * -z, float64(s[0]) * (255 - z)}
	}
	return grids, nil
}
