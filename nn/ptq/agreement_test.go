package ptq

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/internal/ortpeer"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// The agreement experiment (figures in BENCHMARKS.md, "Post-training quantization"):
// quantize a float ImageNet model from the shared assets with calibration
// images from hymenoptera/train, then compare the top-1 class of the float
// and the int8 model on hymenoptera/val, both run by ONNX Runtime (the peer
// in ../shared/peer). It takes minutes, so it runs only when asked:
//
//	OCELLUS_PTQ_AGREEMENT=1 go test -run TestAgreementORT -v -timeout 30m ./nn/ptq
//
// OCELLUS_PTQ_CAL and OCELLUS_PTQ_VAL set the numbers of calibration and val
// images (default 100 and all 153); OCELLUS_PTQ_MODELS=a.onnx,b.onnx (names
// under ../shared/models/onnx, ImageNet-normalized NCHW image models) the
// models (default mobilenetv2-1.0-imagenet-dequant.onnx).

func listImages(t *testing.T, dir string) []string {
	t.Helper()
	files, err := preprocess.ListImages(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// imageBatch preprocesses images into one [N, C, H, W] tensor.
func imageBatch(t *testing.T, spec preprocess.Spec, files []string) *tensor.Tensor {
	t.Helper()
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		t.Fatal(err)
	}
	n := spec.Len()
	b := tensor.New(tensor.Float32, len(files), spec.Channels, spec.Height, spec.Width)
	for i, f := range files {
		img, err := preprocess.DecodeFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pre.Run(img, b.F32[i*n:(i+1)*n])
	}
	return b
}

// calibrateOn preprocesses files with spec and adds each image to cal.
func calibrateOn(t *testing.T, cal *Calibrator, spec preprocess.Spec, files []string) {
	t.Helper()
	in := cal.Model().Inputs()[0]
	b := imageBatch(t, spec, files)
	n := spec.Len()
	for i := range files {
		if err := cal.Add(tensor.FromF32(b.F32[i*n:(i+1)*n], in.Shape...)); err != nil {
			t.Fatal(err)
		}
	}
}

// calibratedMobileNetV2 prepares mobilenetv2-1.0-imagenet-dequant.onnx and
// calibrates it (DefaultConfig's bins, ImageNet preprocessing) on
// OCELLUS_PTQ_CAL (100) hymenoptera/train images spread over the sorted
// list. It returns the prepared model, the calibrator and the train and val
// image lists.
func calibratedMobileNetV2(t *testing.T) (prep *onnxpb.Model, cal *Calibrator, train, val []string) {
	t.Helper()
	prep, err := Prepare(loadShared(t, "mobilenetv2-1.0-imagenet-dequant.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	train = listImages(t, fixture.Path(t, "datasets", "hymenoptera", "train"))
	val = listImages(t, fixture.Path(t, "datasets", "hymenoptera", "val"))
	if cal, err = NewCalibrator(prep, DefaultConfig().Bins, nil); err != nil {
		t.Fatal(err)
	}
	calibrateOn(t, cal, preprocess.DefaultSpec(), Spread(train, envInt(t, "OCELLUS_PTQ_CAL", 100)))
	return prep, cal, train, val
}

func argmaxRows(v []float32, rows int) []int {
	cols := len(v) / rows
	out := make([]int, rows)
	for r := range out {
		row := v[r*cols : (r+1)*cols]
		for j, x := range row {
			if x > row[out[r]] {
				out[r] = j
			}
		}
	}
	return out
}

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return v
}

// withDynamicBatch gives a batch-1 model a symbolic batch dimension on its
// inputs and outputs (dropping the intermediate shapes), so that ORT runs
// all val images in one call.
func withDynamicBatch(m *onnxpb.Model) {
	for _, vi := range append(append([]*onnxpb.ValueInfo{}, m.Graph.Inputs...), m.Graph.Outputs...) {
		if vi.Type.IsTensor() && vi.Type.Tensor.Shape != nil && len(vi.Type.Tensor.Shape.Dims) > 0 {
			if d := vi.Type.Tensor.Shape.Dims[0]; d.HasValue && d.Value == 1 {
				d.HasValue, d.Value, d.Param = false, 0, "N"
			}
		}
	}
	m.Graph.ValueInfo = nil
}

func TestAgreementORT(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the quantization agreement experiment")
	}
	if os.Getenv("OCELLUS_PTQ_AGREEMENT") == "" {
		t.Skip("the agreement experiment takes minutes; run it with OCELLUS_PTQ_AGREEMENT=1 (see agreement_test.go)")
	}
	bin := ortpeer.Find(t)
	nCal := envInt(t, "OCELLUS_PTQ_CAL", 100)
	nVal := envInt(t, "OCELLUS_PTQ_VAL", 1000)
	models := []string{"mobilenetv2-1.0-imagenet-dequant.onnx"}
	if s := os.Getenv("OCELLUS_PTQ_MODELS"); s != "" {
		models = strings.Split(s, ",")
	}
	train := listImages(t, fixture.Path(t, "datasets", "hymenoptera", "train"))
	val := Spread(listImages(t, fixture.Path(t, "datasets", "hymenoptera", "val")), nVal)
	type variant struct {
		m     Method
		p     float64
		first int     // Config.FloatFirst
		last  int     // Config.FloatLast
		need  float64 // minimum agreement on val in percent (a regression guard)
		bc    int     // Config.BiasCorrection
		rs    bool    // Config.RangeSearch
		fa    int     // Config.FloatActivations
	}
	variants := []variant{{MinMax, 0, 0, 0, 80, 0, false, 0}, {Percentile, 99.9, 0, 0, 80, 0, false, 0}, {Percentile, 99.99, 0, 0, 90, 0, false, 0},
		{Percentile, 99.999, 0, 0, 85, 0, false, 0}, {Entropy, 0, 0, 0, 85, 0, false, 0}, {MSE, 0, 0, 0, 85, 0, false, 0},
		{MinMax, 0, 0, 1, 80, 0, false, 0}, {Percentile, 99.99, 0, 1, 90, 0, false, 0}, {Entropy, 0, 0, 1, 85, 0, false, 0},
		{MSE, 0, 0, 1, 85, 0, false, 0}, {Percentile, 99.99, 0, 2, 90, 0, false, 0},
		{Entropy, 0, 1, 1, 85, 0, false, 0}, {Percentile, 99.99, 1, 1, 85, 0, false, 0}, {Entropy, 0, 0, 3, 85, 0, false, 0}, {Entropy, 0, 1, 3, 85, 0, false, 0},
		// Refinements (Calibrator.Quantize).
		{Entropy, 0, 0, 0, 80, 1, false, 0}, {Entropy, 0, 0, 0, 90, 0, true, 0}, {Entropy, 0, 0, 0, 90, 0, false, 8},
		{Entropy, 0, 0, 0, 95, 0, true, 4}, {Entropy, 0, 0, 0, 95, 0, true, 8}, {Entropy, 0, 0, 1, 90, 0, true, 0}}
	nv := len(val)
	if os.Getenv("OCELLUS_PTQ_ALL") != "" { // also report on all images (train, calibration ones included)
		val = append(val, train...)
	}
	only := os.Getenv("OCELLUS_PTQ_ONLY") // run only the variants whose label contains it
	for _, name := range models {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(fixture.Path(t, "models", "onnx", name))
			if err != nil {
				t.Fatal(err)
			}
			src, err := onnxpb.DecodeModel(data)
			if err != nil {
				t.Fatal(err)
			}
			withDynamicBatch(src)
			path := writeModel(t, src, "float.onnx")
			prep, err := Prepare(src)
			if err != nil {
				t.Fatal(err)
			}
			cal, err := NewCalibrator(prep, DefaultConfig().Bins, nil)
			if err != nil {
				t.Fatal(err)
			}
			in := cal.Model().Inputs()[0]
			spec := preprocess.DefaultSpec()
			spec.Height, spec.Width = in.Shape[2], in.Shape[3]
			calFiles := Spread(train, nCal)
			calBatch := imageBatch(t, spec, calFiles)
			n := spec.Len()
			for i := range calFiles {
				if err := cal.Add(tensor.FromF32(calBatch.F32[i*n:(i+1)*n], in.Shape...)); err != nil {
					t.Fatal(err)
				}
			}
			valBatch := imageBatch(t, spec, val)
			inputs := map[string]*npy.Array{in.Name: npyOf(valBatch)}
			outName := prep.Graph.Outputs[0].Name
			want := argmaxRows(ortpeer.Run(t, bin, path, inputs)[outName].F32, len(val))
			t.Logf("%s: calibrated on %d hymenoptera/train images; top-1 agreement on %d hymenoptera/val images (and %d images in all) of ORT's int8 and ocellus's int8 with the float model (in ORT), and of ocellus's int8 with ORT's int8 on all (max |Δlogit| in output quanta, or absolute for float logits):",
				name, len(calFiles), nv, len(val))
			for _, v := range variants {
				label := v.m.String()
				if v.m == Percentile {
					label += " " + strconv.FormatFloat(v.p, 'g', -1, 64)
				}
				if v.first > 0 {
					label += " float-first " + strconv.Itoa(v.first)
				}
				if v.last > 0 {
					label += " float-last " + strconv.Itoa(v.last)
				}
				if v.bc > 0 {
					label += " bias-correction " + strconv.Itoa(v.bc)
				}
				if v.rs {
					label += " range-search"
				}
				if v.fa > 0 {
					label += " float-activations " + strconv.Itoa(v.fa)
				}
				if obj := os.Getenv("OCELLUS_PTQ_OBJECTIVE"); obj == "kl" {
					label += " kl"
				}
				if only != "" && !selected(only, label) {
					continue
				}
				cfg := DefaultConfig()
				cfg.Method = v.m
				cfg.FloatFirst, cfg.FloatLast = v.first, v.last
				cfg.BiasCorrection, cfg.RangeSearch, cfg.FloatActivations = v.bc, v.rs, v.fa
				if os.Getenv("OCELLUS_PTQ_OBJECTIVE") == "kl" {
					cfg.Objective = ObjectiveKL
				}
				if v.p != 0 {
					cfg.Percentile = v.p
				}
				qm, _, err := cal.Quantize(cfg)
				if err != nil {
					t.Fatal(err)
				}
				qpath := writeModel(t, qm, "q.onnx")
				ortLogits := ortpeer.Run(t, bin, qpath, inputs)[outName].F32
				got := argmaxRows(ortLogits, len(val))
				// ocellus's own int8 execution of the same file.
				ocLogits := runOcellus(t, qpath, in.Name, valBatch)
				oc := argmaxRows(ocLogits, len(val))
				same, ocSame, ocORT := agree(got[:nv], want[:nv]), agree(oc[:nv], want[:nv]), agree(oc, got)
				pct := 100 * float64(same) / float64(nv)
				d, _ := maxDiff(ortLogits, ocLogits)
				unit := ""
				if s := outputScale(qm); s > 0 {
					d, unit = d/s, " q"
				}
				n := nv
				all := ""
				if len(want) > nv {
					a, b := agree(got, want), agree(oc, want)
					all = fmt.Sprintf("   all images: ORT %d/%d %.1f %%, ocellus %d/%d %.1f %%", a, len(want), 100*float64(a)/float64(len(want)), b, len(want), 100*float64(b)/float64(len(want)))
				}
				t.Logf("  %-32s ORT %3d/%d %5.1f %%   ocellus %3d/%d %5.1f %%   ocellus=ORT %3d/%d, max |Δ| %.3g%s%s",
					label, same, n, pct, ocSame, n, 100*float64(ocSame)/float64(n), ocORT, len(want), d, unit, all)
				// With the first node float, the first quantized activation is
				// rounded from float convolutions that differ between runtimes in
				// the last bits, so the int8 paths may differ by a quantum there.
				// Float activations (mixed precision) likewise: a float op's
				// output rounds to the next quantized value.
				if need := 98; (v.first == 0 && v.fa == 0 && ocORT < len(want)*need/100) || ocORT < len(want)*95/100 {
					t.Errorf("%s, %s: ocellus int8 agrees with ORT int8 on only %d/%d", name, label, ocORT, len(want))
				}
				if pct < v.need {
					t.Errorf("%s, %s: top-1 agreement %.1f%% < %g%%", name, label, pct, v.need)
				}
			}
		})
	}
}

// selected reports whether OCELLUS_PTQ_ONLY selects a variant: a
// comma-separated list of substrings of the label, or of whole labels
// after "=".
func selected(only, label string) bool {
	for _, o := range strings.Split(only, ",") {
		if e, ok := strings.CutPrefix(o, "="); ok && e == label || !ok && strings.Contains(label, o) {
			return true
		}
	}
	return false
}

func agree(a, b []int) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// runOcellus runs the model file with ocellus (nn.Load, default rewrites),
// one image of the [N, C, H, W] batch at a time, and returns the
// concatenated outputs.
func runOcellus(t *testing.T, path, input string, batch *tensor.Tensor) []float32 {
	t.Helper()
	shape := append([]int{1}, batch.Shape[1:]...)
	mod, err := nn.Load(path, &nn.LoadOptions{InputShapes: map[string][]int{input: shape}})
	if err != nil {
		t.Fatal(err)
	}
	s := mod.NewSession()
	defer s.Close()
	n := batch.Len() / batch.Shape[0]
	var out []float32
	for i := 0; i < batch.Shape[0]; i++ {
		o, err := s.Run(tensor.FromF32(batch.F32[i*n:(i+1)*n], shape...))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o[0].F32...)
	}
	return out
}

// outputScale is the scale of the DequantizeLinear that produces the first
// graph output of a QDQ model, or 0 when the output is computed in float.
func outputScale(m *onnxpb.Model) float64 {
	g := m.Graph
	for _, n := range g.Nodes {
		if n.OpType != "DequantizeLinear" || n.Outputs[0] != g.Outputs[0].Name {
			continue
		}
		for _, t := range g.Initializers {
			if t.Name == n.Inputs[1] {
				if v, err := t.Float32s(); err == nil && len(v) == 1 {
					return float64(v[0])
				}
			}
		}
	}
	return 0
}
