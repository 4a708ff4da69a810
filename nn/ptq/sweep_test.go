package ptq

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/internal/ortpeer"
)

// TestMixedPrecisionSweep measures mixed precision on MobileNetV2
// (mobilenetv2-1.0-imagenet-dequant.onnx): calibrated on
// OCELLUS_PTQ_CAL (100) hymenoptera/train images, one range search (if
// OCELLUS_PTQ_RANGE_SEARCH is set) and one sensitivity pass on
// RefineSamples of them, then, for each count in OCELLUS_PTQ_SWEEP (e.g.
// 0,2,4,8), the model with that many of the most sensitive activations
// float: top-1 agreement of ocellus's int8 execution with ocellus's float
// execution on hymenoptera/val and on all images, and the int8 time per
// image. OCELLUS_PTQ_METHOD (entropy), OCELLUS_PTQ_FLOAT_LAST (0),
// OCELLUS_PTQ_REFINE (Config.RefineSamples, 16) and OCELLUS_PTQ_OBJECTIVE
// (mse; kl for ObjectiveKL) set the base configuration:
//
//	OCELLUS_PTQ_SWEEP=0,2,4,6,8,12 OCELLUS_PTQ_RANGE_SEARCH=1 go test -run TestMixedPrecisionSweep -v -timeout 60m ./nn/ptq
//
// OCELLUS_PTQ_RANGE_CACHE=file.json keeps the searched ranges in the file
// (written by the first run, read by the next ones: the search is the slow
// part; the file holds one configuration's ranges, so give each
// configuration its own). OCELLUS_PTQ_ORT=1 also runs the float and each
// quantized file in ONNX Runtime (the peer, as TestAgreementORT does).
func TestMixedPrecisionSweep(t *testing.T) {
	sweep := os.Getenv("OCELLUS_PTQ_SWEEP")
	if sweep == "" || testing.Short() {
		t.Skip("a sweep takes many minutes; run it with OCELLUS_PTQ_SWEEP=0,2,4,8 (see sweep_test.go)")
	}
	prep, cal, train, val := calibratedMobileNetV2(t)
	in := cal.Model().Inputs()[0]
	all := imageBatch(t, preprocess.DefaultSpec(), append(append([]string{}, val...), train...))
	want := argmaxRows(runOcellus(t, writeModel(t, prep, "f.onnx"), in.Name, all), all.Shape[0])
	cfg := DefaultConfig()
	cfg.Method = Entropy
	var err error
	if s := os.Getenv("OCELLUS_PTQ_METHOD"); s != "" {
		if cfg.Method, err = ParseMethod(s); err != nil {
			t.Fatal(err)
		}
	}
	if s := os.Getenv("OCELLUS_PTQ_FLOAT_LAST"); s != "" {
		cfg.FloatLast, _ = strconv.Atoi(s)
	}
	cfg.RefineSamples = envInt(t, "OCELLUS_PTQ_REFINE", cfg.RefineSamples)
	if os.Getenv("OCELLUS_PTQ_OBJECTIVE") == "kl" {
		cfg.Objective = ObjectiveKL
	}
	ranges, err := cal.Ranges(cfg.Method, cfg.Percentile)
	if err != nil {
		t.Fatal(err)
	}
	e, err := cal.newEvaluator(cfg.RefineSamples)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if os.Getenv("OCELLUS_PTQ_RANGE_SEARCH") != "" {
		cache := os.Getenv("OCELLUS_PTQ_RANGE_CACHE")
		if b, err := os.ReadFile(cache); cache != "" && err == nil {
			ranges = map[string]Range{}
			if err := json.Unmarshal(b, &ranges); err != nil {
				t.Fatal(err)
			}
			t.Logf("range search: read from %s", cache)
		} else {
			var changed int
			if ranges, changed, err = cal.searchRanges(e, prep, ranges, cfg); err != nil {
				t.Fatal(err)
			}
			t.Logf("range search: %v, %d activations changed method", time.Since(t0).Round(time.Second), changed)
			if cache != "" {
				b, _ := json.Marshal(ranges)
				if err := os.WriteFile(cache, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t0 = time.Now()
	sens, err := cal.sensitivities(e, prep, ranges, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sensitivity pass: %v, %d activations; most sensitive:", time.Since(t0).Round(time.Second), len(sens))
	for _, s := range sens[:min(12, len(sens))] {
		t.Logf("  %-24s %.3g", s.Tensor, s.Error)
	}
	nv := len(val)
	// OCELLUS_PTQ_ORT=1: also ONNX Runtime's execution of the same files.
	var ortBin string
	var ortIn map[string]*npy.Array
	var ortWant []int
	if os.Getenv("OCELLUS_PTQ_ORT") != "" {
		ortBin = ortpeer.Find(t)
		ortIn = map[string]*npy.Array{in.Name: npyOf(all)}
		fm, err := cloneModel(prep)
		if err != nil {
			t.Fatal(err)
		}
		withDynamicBatch(fm)
		ortWant = argmaxRows(ortpeer.Run(t, ortBin, writeModel(t, fm, "f.onnx"), ortIn)[prep.Graph.Outputs[0].Name].F32, all.Shape[0])
	}
	for _, f := range strings.Split(sweep, ",") {
		k, err := strconv.Atoi(f)
		if err != nil || k < 0 {
			t.Fatalf("OCELLUS_PTQ_SWEEP: %q", f)
		}
		if k > len(sens) {
			continue
		}
		acts := map[string]bool{}
		for _, s := range sens[:k] {
			acts[s.Tensor] = true
		}
		qm, _, err := quantize(prep, ranges, cfg, acts)
		if err != nil {
			t.Fatal(err)
		}
		qpath := writeModel(t, qm, "q.onnx")
		t1 := time.Now()
		got := argmaxRows(runOcellus(t, qpath, in.Name, all), all.Shape[0])
		per := time.Since(t1) / time.Duration(len(got))
		a, b := agree(got[:nv], want[:nv]), agree(got, want)
		t.Logf("float activations %2d: val %d/%d %.1f %%, all %d/%d %.1f %% (%v per image, int8, loaded machine)",
			k, a, nv, 100*float64(a)/float64(nv), b, len(got), 100*float64(b)/float64(len(got)), per.Round(time.Millisecond))
		if ortBin != "" {
			withDynamicBatch(qm)
			og := argmaxRows(ortpeer.Run(t, ortBin, writeModel(t, qm, "qn.onnx"), ortIn)[prep.Graph.Outputs[0].Name].F32, all.Shape[0])
			a, b := agree(og[:nv], ortWant[:nv]), agree(og, ortWant)
			t.Logf("float activations %2d: ORT int8 vs ORT float: val %d/%d %.1f %%, all %d/%d %.1f %%; ocellus int8 = ORT int8 on %d/%d",
				k, a, nv, 100*float64(a)/float64(nv), b, len(og), 100*float64(b)/float64(len(og)), agree(og, got), len(og))
		}
	}
}
