package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

type scored struct {
	Index int     `json:"index"`
	Label string  `json:"label,omitempty"`
	Score float32 `json:"score"`
	Prob  float32 `json:"prob"`
}

type classifyJSON struct {
	Image string   `json:"image"`
	Top   []scored `json:"top"`
}

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("classify", stderr)
	model := fs.String("model", "", "model file (.onnx), or store:DB[#ID] for a stored model version (the active one without #ID) (required)")
	labels := fs.String("labels", "", "label file, one label per line; line i names class i (default: M.onnx"+LabelsSuffix+" if it exists; a stored version's own classes)")
	base := fs.String("base", "", "with --model store:…: the base model the version was trained from (default: found as 'ocellus models help' says)")
	top := fs.Int("top", 5, "how many classes to print per image")
	asJSON := fs.Bool("json", false, "print one JSON object per image")
	threads := fs.Int("threads", 0, "threads per inference (0: all cores)")
	pp := addPreprocessFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus classify --model M.onnx|store:DB[#ID] [--labels L.txt] [--top 5] [--json] [preprocessing flags] IMAGE...")
		fmt.Fprintln(stderr, "Preprocessing defaults come from the model's input shape, then M.onnx"+preprocess.SidecarSuffix+" if it exists, then the flags;")
		fmt.Fprintln(stderr, "a stored version (store:DB#ID) starts from the preprocessing it was trained with.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" {
		return usagef("--model is required")
	}
	if fs.NArg() == 0 {
		return usagef("no images given")
	}
	if *top < 1 {
		return usagef("--top must be at least 1")
	}
	m, names, err := loadClassifyModel(*model, *base, pp)
	if err != nil {
		return err
	}
	c, err := newClassifier(m, *model, pp, *threads)
	if err != nil {
		return err
	}
	defer c.sess.Close()
	if *labels == "" && names == nil {
		if _, err := os.Stat(*model + LabelsSuffix); err == nil {
			*labels = *model + LabelsSuffix
		}
	}
	if *labels != "" {
		if names, err = readLabels(*labels); err != nil {
			return err
		}
		if len(names) != c.classes {
			fmt.Fprintf(stderr, "ocellus classify: warning: %s has %d labels, the model has %d classes\n", *labels, len(names), c.classes)
		}
	}
	enc := json.NewEncoder(stdout)
	for _, path := range fs.Args() {
		img, err := preprocess.DecodeFile(path)
		if err != nil {
			return err
		}
		res := c.classify(img, *top, names)
		if *asJSON {
			if err := enc.Encode(classifyJSON{Image: path, Top: res}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%s\n", path)
		for i, r := range res {
			fmt.Fprintf(stdout, "  %d. %4d %-28s score %9.4f  p %.4f\n", i+1, r.Index, r.Label, r.Score, r.Prob)
		}
	}
	return nil
}

// classifier runs image classification with one session.
type classifier struct {
	sess     *nn.Session
	pre      *preprocess.Preprocessor
	classes  int
	probs    []float32
	scores   []float32
	real     []float32 // quantized inputs: the image before quantization
	inScale  float32
	inZero   int32
	outQuant *graph.Quant // quantized outputs: dequantized for scores
}

func newClassifier(m *nn.Model, modelPath string, pp *preprocessFlags, threads int) (*classifier, error) {
	if len(m.Inputs()) != 1 || len(m.Outputs()) < 1 {
		return nil, fmt.Errorf("%s: classify needs a model with one input, this one has %d", modelPath, len(m.Inputs()))
	}
	in := m.Inputs()[0]
	quantized := in.Quant != nil && (in.DType == tensor.Uint8 || in.DType == tensor.Int8) && len(in.Quant.Scale) == 1
	if in.DType != tensor.Float32 && !quantized {
		return nil, fmt.Errorf("%s: input %q is %v; classify feeds float32 or quantized 8-bit images", modelPath, in.Name, in.DType)
	}
	spec, err := resolveSpec(in, modelPath, pp)
	if err != nil {
		return nil, err
	}
	// Fill the session's internal input buffer directly: an NCHW model that
	// runs NHWC inside gets NHWC pixels and no transpose.
	fill := spec
	if spec.Layout == preprocess.NCHW && isNHWCPerm(in.Perm) {
		fill.Layout = preprocess.NHWC
	} else if in.Perm != nil {
		return nil, fmt.Errorf("%s: input %q has an internal layout %v that preprocessing cannot fill", modelPath, in.Name, in.Perm)
	}
	pre, err := preprocess.NewPreprocessor(fill)
	if err != nil {
		return nil, err
	}
	out := m.Outputs()[0].Shape
	classes := 1
	if len(out) > 0 {
		classes = out[len(out)-1]
	}
	c := &classifier{sess: m.NewSessionWith(nn.SessionOptions{Threads: threads}), pre: pre, classes: classes, probs: make([]float32, classes)}
	if quantized {
		// The preprocessed image holds real values; quantize them with the
		// input's parameters.
		c.real = make([]float32, spec.Len())
		c.inScale, c.inZero = in.Quant.Scale[0], in.Quant.ZeroPoint[0]
	}
	c.outQuant = m.Outputs()[0].Quant
	c.scores = make([]float32, classes)
	return c, nil
}

func isNHWCPerm(p []int) bool { return len(p) == 4 && p[0] == 0 && p[1] == 2 && p[2] == 3 && p[3] == 1 }

func (c *classifier) classify(img *preprocess.RGB8, k int, names []string) []scored {
	in := c.sess.Input(0)
	if c.real == nil {
		c.pre.Run(img, in.F32)
	} else {
		c.pre.Run(img, c.real)
		lo, hi := float64(-128), float64(127)
		if in.DType == tensor.Uint8 {
			lo, hi = 0, 255
		}
		for i, v := range c.real {
			q := math.Max(lo, math.Min(hi, math.Round(float64(v/c.inScale))+float64(c.inZero)))
			if in.DType == tensor.Uint8 {
				in.U8[i] = uint8(q)
			} else {
				in.I8[i] = int8(q)
			}
		}
	}
	out := c.sess.RunInPlace()[0]
	scores := c.scores
	switch {
	case out.DType == tensor.Float32:
		copy(scores, out.F32)
	case c.outQuant != nil:
		s, z := c.outQuant.Scale[0], c.outQuant.ZeroPoint[0]
		for i := range scores {
			scores[i] = s * float32(int32(intAt(out, i))-z)
		}
	default:
		for i := range scores {
			scores[i] = float32(intAt(out, i))
		}
	}
	toProbs(scores, c.probs)
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var res []scored
	for _, i := range idx[:min(k, len(idx))] {
		r := scored{Index: i, Score: scores[i], Prob: c.probs[i]}
		if i < len(names) {
			r.Label = names[i]
		}
		res = append(res, r)
	}
	return res
}

func intAt(t *tensor.Tensor, i int) int64 {
	switch t.DType {
	case tensor.Uint8:
		return int64(t.U8[i])
	case tensor.Int8:
		return int64(t.I8[i])
	case tensor.Int32:
		return int64(t.I32[i])
	case tensor.Int64:
		return t.I64[i]
	}
	return 0
}

// toProbs writes probabilities: the scores themselves if they already are
// a distribution (a softmax inside the model), else their softmax.
func toProbs(scores, probs []float32) {
	sum, ok := 0.0, true
	for _, v := range scores {
		if v < 0 || v > 1 {
			ok = false
		}
		sum += float64(v)
	}
	if ok && math.Abs(sum-1) < 0.05 { // quantized probabilities sum to 1 within their quanta
		copy(probs, scores)
		return
	}
	kernels.SoftmaxF32(scores, probs, 1, len(scores), 1)
}

func readLabels(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no labels", path)
	}
	return out, nil
}

type preprocessFlags struct {
	spec, resize, norm, order, layout *string
	// base, when set, replaces the spec derived from the input shape and
	// sidecar (a stored model version's own preprocessing).
	base *preprocess.Spec
}

func addPreprocessFlags(fs *flag.FlagSet) *preprocessFlags {
	return &preprocessFlags{
		spec:   fs.String("preprocess", "", "preprocessing settings key=value,... (size, channels, resize, norm, order, layout, scale, offset, mean, std)"),
		resize: fs.String("resize", "", "bilinear_hp | nearest | pil_bilinear | crop256"),
		norm:   fs.String("norm", "", "imagenet ((x/255-mean)/std) | tf (x/127.5-1) | unit (x/255) | raw (x)"),
		order:  fs.String("order", "", "channel order rgb | bgr"),
		layout: fs.String("layout", "", "the model's input layout nchw | nhwc"),
	}
}

// resolveSpec decides the preprocessing: derived from the input shape,
// replaced by the model's sidecar file if there is one, then adjusted by flags.
func resolveSpec(in nn.IOSpec, modelPath string, pp *preprocessFlags) (preprocess.Spec, error) {
	var spec preprocess.Spec
	if pp.base != nil {
		spec = *pp.base
	} else {
		var err error
		if spec, err = specFromInput(in); err != nil {
			return spec, fmt.Errorf("%s: %w", modelPath, err)
		}
		if side, ok, err := preprocess.LoadSidecar(modelPath); err != nil {
			return spec, err
		} else if ok {
			spec = side
		}
	}
	var text []string
	if *pp.spec != "" {
		text = append(text, *pp.spec)
	}
	for k, v := range map[string]string{"resize": *pp.resize, "norm": *pp.norm, "order": *pp.order, "layout": *pp.layout} {
		if v != "" {
			text = append(text, k+"="+v)
		}
	}
	if err := spec.Set(strings.Join(text, ",")); err != nil {
		return spec, usageError{err.Error()}
	}
	want := []int{1, spec.Channels, spec.Height, spec.Width}
	if spec.Layout == preprocess.NHWC {
		want = []int{1, spec.Height, spec.Width, spec.Channels}
	}
	if fmt.Sprint(want) != fmt.Sprint(in.Shape) {
		return spec, fmt.Errorf("%s: preprocessing makes %v (%s) but input %q is %v", modelPath, want, spec.Layout, in.Name, in.Shape)
	}
	return spec, nil
}

// specFromInput guesses preprocessing from an image input's shape: NCHW if
// axis 1 has 1 or 3 channels, else NHWC; ImageNet normalisation for colour,
// x/255 for grey.
func specFromInput(in nn.IOSpec) (preprocess.Spec, error) {
	spec, err := preprocess.SpecForShape(in.Shape)
	if err != nil {
		return spec, fmt.Errorf("input %q: %w", in.Name, err)
	}
	if in.Quant != nil && len(in.Quant.Scale) == 1 {
		// A quantized image input: by default the model gets the pixels
		// themselves, as TFLite classifiers expect (uint8: q = pixel; int8:
		// q = pixel − 128), i.e. real = scale·(pixel − zero point), with
		// the zero point of uint8 space.
		z := float32(in.Quant.ZeroPoint[0])
		if in.DType == tensor.Int8 {
			z += 128
		}
		s := in.Quant.Scale[0]
		spec.Scale, spec.Offset = s, -z*s
		spec.Mean, spec.Std = [3]float32{}, [3]float32{1, 1, 1}
	}
	return spec, spec.Validate()
}
