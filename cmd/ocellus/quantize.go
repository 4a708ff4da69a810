package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite/toonnx"
	"github.com/ocellus/ocellus/store"
)

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("quantize", stderr)
	model := fs.String("model", "", "float model: .onnx, or a float .tflite (converted to ONNX first) (required)")
	calib := fs.String("calib", "", "calibration images: a folder (searched recursively for .jpg, .jpeg, .png, .bmp), or store:DB for the sample store's train split (required)")
	out := fs.String("out", "", "quantized QDQ model to write (.onnx) (required)")
	def := ptq.DefaultConfig()
	method := fs.String("method", def.Method.String(), "activation range method: minmax | percentile | entropy | mse")
	percentile := fs.Float64("percentile", def.Percentile, "share of values (%) the percentile method keeps")
	samples := fs.Int("samples", 100, "calibration images to use (spread evenly over the sorted file list)")
	perChannel := fs.Bool("per-channel", def.PerChannel, "one weight scale per output channel")
	floatFirst := fs.Int("float-first", def.FloatFirst, "keep the first N quantizable compute nodes (Conv, MatMul, Gemm, Add, ...) in float")
	floatLast := fs.Int("float-last", def.FloatLast, "keep the last N quantizable compute nodes in float (1: the classifier, so logits are not quantized)")
	floatActs := fs.Int("float-activations", def.FloatActivations, "mixed precision: keep the N activations whose quantization alone moves the outputs most in float (a sensitivity pass quantizes each one alone)")
	refineSamples := fs.Int("refine-samples", def.RefineSamples, "calibration images that --range-search, --float-activations and --bias-correction run through the quantized model")
	rangeSearch := fs.Bool("range-search", def.RangeSearch, "choose each activation's range among minmax, percentile 99.9/99.99/99.999, entropy and mse by the error of the model's outputs (slow: minutes for a 224×224 model)")
	biasCorr := fs.Int("bias-correction", def.BiasCorrection, "empirical bias-correction passes (0: none): subtract each Conv/Gemm output's mean int8 error per channel from its bias")
	check := fs.Int("check", 100, "then compare the quantized model with the float model on up to N images of --calib not used for calibration: top-1 agreement and output error (0: no check)")
	pp := addPreprocessFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus quantize --model M.onnx|M.tflite --calib DIR|store:DB --out M.q.onnx [--method minmax|percentile|entropy|mse] [--percentile 99.99] [--samples N] [--per-channel=true] [--float-first N] [--float-last N] [--range-search] [--float-activations N] [--refine-samples N] [--bias-correction N] [--check N] [preprocessing flags]")
		fmt.Fprintln(stderr, "Writes an ONNX QDQ model: int8 per-channel weights, uint8 activations with ranges from the calibration images.")
		fmt.Fprintln(stderr, "Preprocessing is chosen as for classify (input shape, then M.onnx"+preprocess.SidecarSuffix+", then the flags).")
		fmt.Fprintln(stderr, "A float .tflite model keeps its NHWC input; give the normalisation it was trained with (e.g. --norm unit for x/255).")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *model == "":
		return usagef("--model is required")
	case *calib == "":
		return usagef("--calib is required (a folder of images)")
	case *out == "":
		return usagef("--out is required")
	case fs.NArg() > 0:
		return usagef("unexpected arguments %q", fs.Args())
	case *samples < 1:
		return usagef("--samples must be at least 1")
	case *check < 0:
		return usagef("--check must be 0 or more")
	}
	cfg := def
	var err error
	if cfg.Method, err = ptq.ParseMethod(*method); err != nil {
		return usageError{err.Error()}
	}
	cfg.Percentile, cfg.PerChannel = *percentile, *perChannel
	cfg.FloatFirst, cfg.FloatLast = *floatFirst, *floatLast
	cfg.FloatActivations, cfg.RefineSamples, cfg.BiasCorrection = *floatActs, *refineSamples, *biasCorr
	cfg.RangeSearch = *rangeSearch
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if abs(*out) == abs(*model) {
		return usagef("--out must differ from --model")
	}
	if strings.EqualFold(filepath.Ext(*out), ".tflite") {
		return usagef("--out is an ONNX QDQ model: name it .onnx")
	}
	src0, err := openCalibSource(*calib)
	if err != nil {
		return err
	}
	defer src0.close()
	items, heldOut := ptq.SpreadSplit(src0.items, *samples)

	data, err := os.ReadFile(*model)
	if err != nil {
		return err
	}
	var fm *onnxpb.Model
	if strings.EqualFold(filepath.Ext(*model), ".tflite") {
		fm, err = toonnx.ToONNX(data) // quantized .tflite models are refused
	} else {
		fm, err = onnxpb.DecodeModel(data)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	prep, err := ptq.Prepare(fm)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	cal, err := ptq.NewCalibrator(prep, cfg.Bins, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	ins := cal.Model().Inputs()
	if len(ins) != 1 || ins[0].DType != tensor.Float32 {
		return fmt.Errorf("%s: quantize calibrates models with one float32 image input, this one has %d inputs", *model, len(ins))
	}
	spec, err := resolveSpec(ins[0], *model, pp)
	if err != nil {
		return err
	}
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		return err
	}
	x := tensor.New(tensor.Float32, ins[0].Shape...)
	// each preprocesses the images into x and passes x to add.
	each := func(items []calibItem, what string, add func(...*tensor.Tensor) error) error {
		for _, it := range items {
			img, err := it.load()
			if err != nil {
				return fmt.Errorf("%s image %s: %w", what, it.name, err)
			}
			pre.Run(img, x.F32)
			if err := add(x); err != nil {
				return fmt.Errorf("%s: %w", it.name, err)
			}
		}
		return nil
	}
	if err := each(items, "calibration", func(x ...*tensor.Tensor) error { return cal.Add(x[0]) }); err != nil {
		return err
	}
	qm, rep, err := cal.Quantize(cfg)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, qm.Marshal(), 0o644); err != nil {
		return err
	}
	// The quantized model takes the same input: keep its preprocessing
	// explicit when it is not what the input shape alone implies.
	if base, err := specFromInput(ins[0]); err == nil && !reflect.DeepEqual(base, spec) {
		if err := preprocess.WriteSidecar(*out, spec); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "calibrated on %d images from %s (method %v", cal.Samples(), src0.desc, cfg.Method)
	if cfg.Method == ptq.Percentile {
		fmt.Fprintf(stdout, " %g%%", cfg.Percentile)
	}
	fmt.Fprintf(stdout, ", preprocessing %s)\n%s\n", spec, rep)
	for _, why := range rep.FloatWhy {
		fmt.Fprintf(stdout, "  kept float: %s\n", why)
	}
	fmt.Fprintf(stdout, "wrote %s\n", *out)
	if *check == 0 {
		return nil
	}
	if len(heldOut) == 0 {
		fmt.Fprintf(stdout, "check: no images left out of calibration (all %d were used); give --samples fewer than the images to check\n", len(items))
		return nil
	}
	k, err := cal.NewChecker(qm)
	if err != nil {
		return err
	}
	defer k.Close()
	held := ptq.Spread(heldOut, *check)
	if err := each(held, "check", k.Add); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "check on %d images not used for calibration: %v\n", len(held), k.Agreement())
	return nil
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// calibItem is one calibration image: a name for messages and its loader.
type calibItem struct {
	name string
	load func() (*preprocess.RGB8, error)
}

// calibSource is the list of calibration images of a folder or a store.
type calibSource struct {
	desc  string
	items []calibItem
	close func()
}

// openCalibSource lists the images of --calib: a folder, or store:DB (the
// train split of the sample store, or every sample if the split is empty).
func openCalibSource(spec string) (*calibSource, error) {
	if path, ok := strings.CutPrefix(spec, "store:"); ok {
		if path == "" {
			return nil, usagef("--calib store: needs the store's database file (store:PATH)")
		}
		st, err := openSamplesStore(path, false, true)
		if err != nil {
			return nil, fmt.Errorf("--calib: %w", err)
		}
		desc := "store " + path + " (train split)"
		list, err := st.Samples(store.Filter{Split: store.Train})
		if err == nil && len(list) == 0 {
			desc = "store " + path
			list, err = st.Samples(store.Filter{})
		}
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("--calib: %w", err)
		}
		if len(list) == 0 {
			st.Close()
			return nil, errors.New("--calib " + spec + ": the store holds no samples")
		}
		src := &calibSource{desc: desc, close: func() { st.Close() }}
		for _, smp := range list {
			id := smp.ID
			src.items = append(src.items, calibItem{
				name: fmt.Sprintf("store %s sample %d", path, id),
				load: func() (*preprocess.RGB8, error) {
					b, err := st.Image(id)
					if err != nil {
						return nil, err
					}
					return preprocess.DecodeBytes(b)
				},
			})
		}
		return src, nil
	}
	files, err := listImages(spec)
	if err != nil {
		return nil, err
	}
	src := &calibSource{desc: spec, close: func() {}}
	for _, f := range files {
		src.items = append(src.items, calibItem{name: f, load: func() (*preprocess.RGB8, error) {
			img, err := preprocess.DecodeFile(f)
			if u := errors.Unwrap(err); u != nil {
				err = u // DecodeFile names the file; the caller does too
			}
			return img, err
		}})
	}
	return src, nil
}

// listImages lists the images under dir, recursively, sorted by path.
func listImages(dir string) ([]string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("--calib: %w", err)
	}
	if !st.IsDir() {
		return nil, usagef("--calib %s is not a folder", dir)
	}
	files, err := preprocess.ListImages(dir, true)
	if err != nil {
		return nil, fmt.Errorf("--calib: %w", err)
	}
	if len(files) == 0 {
		return nil, errors.New("--calib " + dir + ": no images (" + strings.Join(preprocess.ImageExtensions(), ", ") + ") in the folder or below it")
	}
	return files, nil
}
