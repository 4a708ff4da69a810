package ptq

import (
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestRefinedAgreement: the small shared MobileNetV2 (0.35, 128×128,
// flowers) quantized by Calibrator.Quantize from hymenoptera/train images
// keeps the float model's top-1 class on hymenoptera/val images (a figure
// that fails if a refinement breaks the model: the plain quantization is
// measured beside it), the activations mixed precision keeps float get no
// Q/DQ pair, and bias correction moves the biases.
func TestRefinedAgreement(t *testing.T) {
	src := loadShared(t, "st_mobilenet_v2_0.35_128_flowers.onnx")
	prep, err := Prepare(src)
	if err != nil {
		t.Fatal(err)
	}
	nCal, nVal, nRefine := 24, 60, 4
	if testing.Short() { // also what runs under QEMU in CI
		nCal, nVal, nRefine = 8, 30, 2
	}
	cal, err := NewCalibrator(prep, 512, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := cal.Model().Inputs()[0]
	spec := preprocess.DefaultSpec()
	spec.Height, spec.Width = in.Shape[2], in.Shape[3]
	calFiles := spread(listImages(t, fixture.Path(t, "datasets", "hymenoptera", "train")), nCal)
	val := spread(listImages(t, fixture.Path(t, "datasets", "hymenoptera", "val")), nVal)
	cb := imageBatch(t, spec, calFiles)
	n := spec.Len()
	for i := range calFiles {
		if err := cal.Add(tensor.FromF32(cb.F32[i*n:(i+1)*n], in.Shape...)); err != nil {
			t.Fatal(err)
		}
	}
	vb := imageBatch(t, spec, val)
	want := argmaxRows(runOcellus(t, writeModel(t, prep, "f.onnx"), in.Name, vb), len(val))
	measure := func(cfg Config) (int, *onnxpb.Model, *Report) {
		t.Helper()
		qm, rep, err := cal.Quantize(cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := argmaxRows(runOcellus(t, writeModel(t, qm, "q.onnx"), in.Name, vb), len(val))
		return agree(got, want), qm, rep
	}
	plain := DefaultConfig()
	plain.Bins, plain.RangeSearch, plain.FloatActivations, plain.BiasCorrection = 512, false, 0, 0
	p, _, _ := measure(plain)
	cfg := DefaultConfig()
	cfg.Bins, cfg.RefineSamples = 512, nRefine
	r, qm, rep := measure(cfg)
	t.Logf("top-1 agreement with the float model on %d hymenoptera/val images: %v %d/%d, refined (%+v) %d/%d\n%s",
		len(val), plain.Method, p, len(val), cfg, r, len(val), rep)
	// Measured: 59/60 refined, 57/60 plain; -short 27/30 both (amd64).
	if r < len(val)*85/100 || r+1 < p {
		t.Errorf("refined quantization agrees with the float model on %d/%d images (plain %d)", r, len(val), p)
	}
	if rep.FloatActivations != cfg.FloatActivations || len(rep.Sensitivity) <= cfg.FloatActivations {
		t.Fatalf("report: %d float activations of %d measured, want %d", rep.FloatActivations, len(rep.Sensitivity), cfg.FloatActivations)
	}
	q := newQGraph(t, qm.Graph)
	for _, s := range rep.Sensitivity[:rep.FloatActivations] {
		for _, c := range q.cons[s.Tensor] {
			if c.OpType == "QuantizeLinear" {
				t.Errorf("activation %s kept float is quantized", s.Tensor)
			}
		}
	}
	for _, s := range rep.Sensitivity[rep.FloatActivations:] {
		if s.Error > rep.Sensitivity[rep.FloatActivations-1].Error {
			t.Errorf("sensitivities not sorted: %s %g after %g", s.Tensor, s.Error, rep.Sensitivity[rep.FloatActivations-1].Error)
		}
	}
}
