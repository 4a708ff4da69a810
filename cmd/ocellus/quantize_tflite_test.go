package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestQuantizeCLITFLite quantizes the float VWW model straight from its
// .tflite file: converted to ONNX, calibrated with the x/255 preprocessing
// given by --norm unit, written as an ONNX QDQ model with a sidecar that
// keeps that preprocessing; the quantized model runs and decides like the
// float one on the two person-detection test images.
func TestQuantizeCLITFLite(t *testing.T) {
	model := fixture.Path(t, "models", "tflite", "vww_96_float.tflite")
	dir := t.TempDir()
	calib := filepath.Join(dir, "calib")
	if err := os.MkdirAll(calib, 0o755); err != nil {
		t.Fatal(err)
	}
	train, err := listImages(fixture.Path(t, "datasets", "hymenoptera", "train"))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ptq.Spread(train, 24) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(calib, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
	}
	out := filepath.Join(dir, "vww.q.onnx")
	var stdout, stderr bytes.Buffer
	args := []string{"quantize", "--model", model, "--calib", calib, "--out", out, "--norm", "unit",
		"--method", "entropy", "--range-search=false", "--float-activations", "0"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "calibrated on 24 images") || !strings.Contains(stdout.String(), "Conv 27") {
		t.Errorf("unexpected report:\n%s", stdout.String())
	}
	spec, ok, err := preprocess.LoadSidecar(out)
	if err != nil || !ok {
		t.Fatalf("no preprocessing sidecar next to %s: %v", out, err)
	}
	if spec.Layout != preprocess.NHWC || spec.Scale != 1.0/255 || spec.Offset != 0 || spec.Mean != [3]float32{} || spec.Std != [3]float32{1, 1, 1} {
		t.Errorf("sidecar %v: want NHWC x/255", spec)
	}
	q, err := nn.Load(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := nn.Load(model, nil)
	if err != nil {
		t.Fatal(err)
	}
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		t.Fatal(err)
	}
	qs, fs := q.NewSession(), f.NewSession()
	defer qs.Close()
	defer fs.Close()
	x := tensor.New(tensor.Float32, 1, 96, 96, 3)
	for _, name := range []string{"person.bmp", "no_person.bmp"} {
		img, err := preprocess.DecodeFile(fixture.Path(t, "images", name))
		if err != nil {
			t.Fatal(err)
		}
		pre.Run(img, x.F32)
		fo, err := fs.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		fp := append([]float32(nil), fo[0].F32...)
		qo, err := qs.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		qp := qo[0].F32
		t.Logf("%s: float %.3f, int8 %.3f", name, fp, qp)
		if (fp[1] > fp[0]) != (qp[1] > qp[0]) {
			t.Errorf("%s: float %v and int8 %v decide differently", name, fp, qp)
		}
	}
}

// TestQuantizeCLITFLiteRefused: a quantized .tflite is not quantized again,
// and the output must be named .onnx.
func TestQuantizeCLITFLiteRefused(t *testing.T) {
	dir := t.TempDir()
	calib := filepath.Join(dir, "calib")
	writePNG(t, filepath.Join(calib, "1.png"), 1)
	model := fixture.Path(t, "models", "tflite", "person_detect.tflite")
	var stdout, stderr bytes.Buffer
	code := run([]string{"quantize", "--model", model, "--calib", calib, "--out", filepath.Join(dir, "p.onnx")}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "quantized TFLite model") || !strings.Contains(stderr.String(), "person_detect.tflite") {
		t.Errorf("quantized model: exit %d, stderr %q; want an error naming the file and saying it is quantized", code, stderr.String())
	}
	stderr.Reset()
	code = run([]string{"quantize", "--model", model, "--calib", calib, "--out", filepath.Join(dir, "p.tflite")}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), ".onnx") {
		t.Errorf("--out p.tflite: exit %d, stderr %q; want a usage error", code, stderr.String())
	}
}
