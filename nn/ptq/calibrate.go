package ptq

import (
	"fmt"
	"sort"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Calibrator runs a prepared float model on sample inputs with the ocellus
// runtime and records a Histogram for every tensor whose range the quantized
// model needs.
//
// The model is compiled with every graph rewrite off: a ReLU fused into its
// convolution would hide the convolution's output, and BatchNorm is already
// folded by Prepare. Each value is observed under its ONNX name
// (Session.RunObserve); a value the importer did not materialize (a Reshape
// or Transpose that only relabels its input) takes its input's range.
type Calibrator struct {
	model   *nn.Model
	sess    *nn.Session
	hists   map[string]*Histogram
	inputs  map[string]bool // graph inputs among hists
	prod    map[string]*onnxpb.Node
	samples int
	bins    int
	// For Calibrator.Quantize: the prepared model, copies of the samples,
	// the input shapes.
	prep   *onnxpb.Model
	kept   [][]*tensor.Tensor
	shapes map[string][]int
}

// NewCalibrator compiles a prepared model (see Prepare) for calibration;
// bins is the number of histogram bins on each side of zero (Config.Bins).
// inputShapes overrides input shapes as nn.LoadOptions.InputShapes does (nil: the model's).
func NewCalibrator(m *onnxpb.Model, bins int, inputShapes map[string][]int) (*Calibrator, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("ptq: model has no graph: %w", ErrModel)
	}
	if bins < 2 || bins%2 != 0 {
		return nil, fmt.Errorf("ptq: %d bins: want an even number: %w", bins, ErrConfig)
	}
	im, err := onnx.Import(m.Marshal(), &onnx.Options{InputShapes: inputShapes})
	if err != nil {
		return nil, fmt.Errorf("ptq: loading the model for calibration: %w", err)
	}
	mod, err := nn.FromONNX(im, &opt.Options{})
	if err != nil {
		return nil, fmt.Errorf("ptq: compiling the model for calibration: %w", err)
	}
	p := makePlan(m.Graph, 0, 0)
	c := &Calibrator{model: mod, sess: mod.NewSession(), hists: map[string]*Histogram{},
		inputs: map[string]bool{}, prod: map[string]*onnxpb.Node{}, bins: bins,
		prep: m, shapes: inputShapes}
	for _, name := range p.calibrated() {
		c.hists[name] = NewHistogram(bins)
	}
	// Track the inputs of alias ops too, so that a missing alias can fall
	// back on them.
	for _, n := range m.Graph.Nodes {
		for _, o := range n.Outputs {
			c.prod[o] = n
		}
	}
	for name := range c.hists {
		for n := c.prod[name]; n != nil && isDefault(n) && aliasOp(n.OpType) && len(n.Inputs) > 0; n = c.prod[n.Inputs[0]] {
			if c.hists[n.Inputs[0]] == nil {
				c.hists[n.Inputs[0]] = NewHistogram(bins)
			}
		}
	}
	for _, in := range mod.Inputs() {
		if c.hists[in.Name] != nil {
			c.inputs[in.Name] = true
		}
	}
	return c, nil
}

// Model is the compiled float model (its Inputs say what Add takes).
func (c *Calibrator) Model() *nn.Model { return c.model }

// Samples is the number of samples added.
func (c *Calibrator) Samples() int { return c.samples }

// Add runs one sample: one tensor per model input, in the model's own
// layout (as nn.Session.Run takes them). The calibrator keeps a copy of the
// inputs for the passes of Calibrator.Quantize (a 224×224 RGB image is
// 600 KB).
func (c *Calibrator) Add(inputs ...*tensor.Tensor) error {
	for i, spec := range c.model.Inputs() {
		if i < len(inputs) && inputs[i] != nil && c.inputs[spec.Name] && inputs[i].DType == tensor.Float32 {
			c.hists[spec.Name].Add(inputs[i].F32)
		}
	}
	_, err := c.sess.RunObserve(func(name string, t *tensor.Tensor) {
		if t.DType != tensor.Float32 {
			return
		}
		if h := c.hists[name]; h != nil {
			h.Add(t.F32)
		}
	}, inputs...)
	if err != nil {
		return fmt.Errorf("ptq: calibration run: %w", err)
	}
	c.samples++
	keep := make([]*tensor.Tensor, len(inputs))
	for i, x := range inputs {
		if x != nil {
			keep[i] = x.Clone()
		}
	}
	c.kept = append(c.kept, keep)
	return nil
}

// Histograms returns the recorded histograms by ONNX value name (the
// calibrator's own; do not modify them while calibrating).
func (c *Calibrator) Histograms() map[string]*Histogram { return c.hists }

// Ranges derives the activation ranges method m gives (percentile for the
// Percentile method). A tensor that was never observed takes the range of
// the input of the alias op (Reshape, Transpose, ...) that produced it; if it
// has none, Ranges fails with ErrNoRange naming it.
func (c *Calibrator) Ranges(m Method, percentile float64) (map[string]Range, error) {
	if c.samples == 0 {
		return nil, ErrNoSamples
	}
	out := map[string]Range{}
	names := make([]string, 0, len(c.hists))
	for k := range c.hists {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		h := c.hists[name]
		src := name
		for h.N == 0 {
			n := c.prod[src]
			if n == nil || !isDefault(n) || !aliasOp(n.OpType) || len(n.Inputs) == 0 || c.hists[n.Inputs[0]] == nil {
				what := "a graph input"
				if n != nil {
					what = fmt.Sprintf("the output of %s node %q", n.OpType, nodeBase(n))
				}
				return nil, fmt.Errorf("ptq: tensor %q (%s) was never observed during calibration: %w", name, what, ErrNoRange)
			}
			src = n.Inputs[0]
			h = c.hists[src]
		}
		r, err := h.Range(m, percentile)
		if err != nil {
			return nil, err
		}
		out[name] = r
	}
	return out, nil
}

// Spread picks n items evenly spaced over items (all of them if there are
// no more than n): calibration samples from a sorted class-per-folder
// dataset then come from every class.
func Spread[T any](items []T, n int) []T {
	picked, _ := SpreadSplit(items, n)
	return picked
}

// SpreadSplit is Spread that also returns the items it did not pick, in
// their order (held-out samples for checking a quantized model).
func SpreadSplit[T any](items []T, n int) (picked, rest []T) {
	if len(items) <= n {
		return items, nil
	}
	picked = make([]T, 0, n)
	next := 0 // the next pick's index
	for i, it := range items {
		if len(picked) < n && i == next {
			picked = append(picked, it)
			next = len(picked) * len(items) / n
			continue
		}
		rest = append(rest, it)
	}
	return picked, rest
}
