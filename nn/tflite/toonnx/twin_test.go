package toonnx_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/ortpeer"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
)

// images lists the image files under dir (recursively when deep), sorted.
func images(t *testing.T, dir string, deep bool) []string {
	t.Helper()
	files, err := preprocess.ListImages(dir, deep)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// vwwPre is the float VWW model's preprocessing: RGB 96×96 NHWC, x/255
// (mlcommons tiny train_vww.py: ImageDataGenerator(rescale=1/255)). Grey
// images are replicated to RGB by the decoder.
func vwwPre(t *testing.T) (*preprocess.Preprocessor, func(path string, dst *tensor.Tensor)) {
	t.Helper()
	spec, err := preprocess.SpecForShape([]int{1, 96, 96, 3})
	if err == nil {
		err = spec.SetNorm("unit")
	}
	if err != nil {
		t.Fatal(err)
	}
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		t.Fatal(err)
	}
	return pre, func(path string, dst *tensor.Tensor) {
		img, err := preprocess.DecodeFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pre.Run(img, dst.F32)
	}
}

func argmax(s []float32) int {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best
}

// TestVWWInt8Twin makes the int8 twin of vww_96_float.tflite that the
// upstream repository has and the shared assets leave out on purpose: the
// float model converted to ONNX, quantized by nn/ptq (calibrated on
// hymenoptera/train and the imprinting images), and run by ocellus's int8
// kernels. Its person/notperson decisions must agree with the float
// model's on held-out images.
//
// Measured (amd64): entropy ranges without refinements (this test, 7 s):
// 151/153 (98.7 %) on hymenoptera/val, 16/16 on the shared images; the two
// disagreements are near-ties of the float model (person 0.498 and 0.460).
// ptq.DefaultConfig (range search, 4 float activations; 2 minutes): also
// 151/153 (two other near-ties, float person 0.516 and 0.494) and 16/16.
// The float model says person on 7 val images and on none of the shared
// images (person.bmp: 0.317, its int8 twin 0.375 here, 0.310 with the
// default config; no_person.bmp 0.266, 0.336, 0.279). ONNX Runtime runs
// the twin with the same outputs (max |Δ| 6e-8). The bound, 97 %, leaves
// room for two more near-tie flips from float rounding differences
// between machines.
func TestVWWInt8Twin(t *testing.T) {
	path := fixture.Path(t, "models", "tflite", "vww_96_float.tflite")
	shared := fixture.Dir()
	calib := append(ptq.Spread(images(t, filepath.Join(shared, "datasets", "hymenoptera", "train"), true), 96),
		images(t, filepath.Join(shared, "images", "imprinting"), false)...)
	type set struct {
		name  string
		files []string
	}
	sets := []set{
		{"hymenoptera/val", images(t, filepath.Join(shared, "datasets", "hymenoptera", "val"), true)},
		{"images", images(t, filepath.Join(shared, "images"), false)},
	}
	if len(calib) < 50 || len(sets[0].files) < 100 || len(sets[1].files) < 10 {
		fixture.Missing(t, "hymenoptera train/val and images (too few files)")
	}
	if testing.Short() {
		// Under emulation (CI's qemu runs use -short) the full test takes
		// minutes: a smaller calibration and the shared images only.
		calib, sets = ptq.Spread(calib, 24), sets[1:]
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := toonnx.ToONNX(b)
	if err != nil {
		t.Fatal(err)
	}
	// Entropy ranges without the refinements (range search and mixed
	// precision rerun the model hundreds of times: minutes).
	// OCELLUS_VWW_DEFAULT_CONFIG=1 measures ptq.DefaultConfig instead.
	cfg := ptq.DefaultConfig()
	if os.Getenv("OCELLUS_VWW_DEFAULT_CONFIG") != "1" {
		cfg.Method, cfg.RangeSearch, cfg.FloatActivations = ptq.Entropy, false, 0
	}
	prep, err := ptq.Prepare(fm)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ptq.NewCalibrator(prep, cfg.Bins, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, load := vwwPre(t)
	x := tensor.New(tensor.Float32, 1, 96, 96, 3)
	for _, f := range calib {
		load(f, x)
		if err := cal.Add(x); err != nil {
			t.Fatal(err)
		}
	}
	qm, rep, err := cal.Quantize(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("calibrated on %d images (range search %v, float activations %d): %s", len(calib), cfg.RangeSearch, cfg.FloatActivations, rep)
	qpath := filepath.Join(t.TempDir(), "vww_96_int8.onnx")
	if err := os.WriteFile(qpath, qm.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := nn.Load(qpath, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The twin really runs int8 convolutions.
	g, int8Convs := q.Graph(), 0
	for _, n := range g.Nodes {
		if n.Op == graph.OpConv && g.Tensors[n.Inputs[0]].DType == tensor.Int8 {
			int8Convs++
		}
	}
	// (A float activation makes its producer and its readers float.)
	if want := 27 - 2*cfg.FloatActivations; int8Convs < want {
		t.Errorf("%d int8 convolutions in the quantized model, want %d of 27", int8Convs, want)
	}
	f, err := nn.Load(path, &nn.LoadOptions{Optimize: &opt.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	fs, qs := f.NewSession(), q.NewSession()
	defer fs.Close()
	defer qs.Close()
	ortCheck := map[string]bool{"person.bmp": true, "no_person.bmp": true, "grace_hopper.bmp": true}
	var ortFiles []string
	var ocellusInt8 [][]float32
	for _, set := range sets {
		agree, person := 0, 0
		for _, file := range set.files {
			load(file, x)
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
			fd, qd := argmax(fp), argmax(qp)
			if fd == qd {
				agree++
			} else {
				t.Logf("%s: float %.3f (%d), int8 %.3f (%d)", file, fp, fd, qp, qd)
			}
			person += fd
			if ortCheck[filepath.Base(file)] {
				ortFiles = append(ortFiles, file)
				ocellusInt8 = append(ocellusInt8, append([]float32(nil), qp...))
			}
			if base := filepath.Base(file); base == "person.bmp" || base == "no_person.bmp" {
				t.Logf("%s: float person %.3f, int8 person %.3f", base, fp[1], qp[1])
			}
		}
		n := len(set.files)
		t.Logf("%s: int8 agrees with float on %d/%d (%.1f %%); float says person on %d", set.name, agree, n, 100*float64(agree)/float64(n), person)
		if set.name == "hymenoptera/val" {
			if person == 0 || person == n {
				t.Errorf("%s: float decisions are all one class (%d person of %d): the check says nothing", set.name, person, n)
			}
			if 100*agree < 97*n {
				t.Errorf("%s: agreement %d/%d below 97 %%", set.name, agree, n)
			}
		} else if agree < n-1 {
			t.Errorf("%s: agreement %d/%d, want at most one disagreement", set.name, agree, n)
		}
	}
	// ONNX Runtime runs the twin too, and decides as ocellus's int8 kernels.
	t.Run("ORT", func(t *testing.T) {
		bin := ortpeer.Find(t)
		for i, file := range ortFiles {
			load(file, x)
			got := runORT(t, bin, qpath, qm, x)[0]
			d, _ := maxAbsDiff(ocellusInt8[i], got)
			t.Logf("%s: ORT int8 %.4f, ocellus int8 %.4f, max |Δ| %.2g", filepath.Base(file), got, ocellusInt8[i], d)
			if argmax(got) != argmax(ocellusInt8[i]) || d > 1e-5 {
				t.Errorf("%s: ORT %v, ocellus %v", file, got, ocellusInt8[i])
			}
		}
	})
}
