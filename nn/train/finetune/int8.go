package finetune

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
	"github.com/ocellus/ocellus/store"
)

// Int8Method and Int8Percentile are how the int8 tail's activation ranges
// are derived from calibration (nn/ptq's default).
const (
	Int8Method     = ptq.Percentile
	Int8Percentile = 99.99
)

// Tails LoadModel can run after an int8 backbone (Int8Report.Tail).
const (
	TailInt8  = "int8"
	TailFloat = "float"
)

// ErrInt8Export: ExportONNX of a version trained on an int8 base that it
// cannot write: a tail that stayed float (Int8Report.Why) longer than the
// head, or a tail op, layout or value with no ONNX form here (the error
// names it). Such versions run in ocellus (LoadModel).
var ErrInt8Export = errors.New("finetune: export of this int8-base version is not supported")

// Int8Report is what happened to the tail of a version trained on an int8
// base, stored in the blob header (BlobHeader.Int8).
type Int8Report struct {
	// Tail is what LoadModel runs after the int8 backbone: TailInt8, or
	// TailFloat when the tail could not be quantized (Why says why).
	Tail string `json:"tail"`
	Why  string `json:"why,omitempty"`
	// Calibration: Method ("percentile 99.99") over Samples training
	// samples; Ranges maps each quantized tail tensor to its [min, max].
	Method  string                `json:"method"`
	Samples int                   `json:"calibration_samples"`
	Ranges  map[string][2]float32 `json:"ranges,omitempty"`
	// On the val split (ValSamples samples): the float tail's and the int8
	// tail's accuracy, the share of samples on which their top-1 agree and
	// the largest logit difference between them.
	ValSamples    int     `json:"val_samples"`
	FloatAccuracy float64 `json:"val_accuracy_float_tail"`
	Int8Accuracy  float64 `json:"val_accuracy_int8_tail"`
	Agreement     float64 `json:"val_top1_agreement"`
	MaxLogitDiff  float64 `json:"val_max_logit_diff"`
}

// trainGraph is the graph a tail is cut from: the model's own graph, or
// the float twin of a quantized one (then q is the quantized graph).
func trainGraph(m *nn.Model) (g, q *graph.Graph, err error) {
	if !train.Quantized(m.Graph()) {
		return m.Graph(), nil, nil
	}
	tw, err := train.FloatTwin(m.Graph())
	if err != nil {
		return nil, nil, fmt.Errorf("finetune: int8 base: %w", err)
	}
	return tw, m.Graph(), nil
}

// backboneKey is the feature-cache identity of s's backbone: with an int8
// base the backbone runs int8, so its features are not the twin's.
func backboneKey(s *train.Split, q *graph.Graph) string {
	if q == nil {
		return s.BackboneKey()
	}
	return "int8:" + s.BackboneKey()
}

// backboneModel compiles the backbone of s: s.BackboneModel for a float
// base, else the quantized graph q up to the tensors the tail reads,
// dequantized.
func backboneModel(s *train.Split, q *graph.Graph, ins []nn.IOSpec) (*nn.Model, error) {
	if q == nil {
		return s.BackboneModel(ins)
	}
	c, cut, err := int8Backbone(q, s.Inputs())
	if err != nil {
		return nil, err
	}
	var outs []nn.IOSpec
	for i := range cut {
		id, err := floatOf(c, cut[i])
		if err != nil {
			return nil, err
		}
		c.Outputs = append(c.Outputs, id)
		t := c.Tensors[id]
		outs = append(outs, nn.IOSpec{Name: t.Name, DType: tensor.Float32, Shape: append([]int(nil), t.Shape...)})
	}
	opt.RemoveDead(c)
	return nn.Compile(c, append([]nn.IOSpec(nil), ins...), outs)
}

// int8Backbone copies q without outputs and finds the runtime tensors
// named names (the tail's inputs).
func int8Backbone(q *graph.Graph, names []string) (*graph.Graph, []int, error) {
	c := &graph.Graph{
		Tensors:    append([]graph.Tensor(nil), q.Tensors...),
		Nodes:      append([]graph.Node(nil), q.Nodes...),
		Inputs:     append([]int(nil), q.Inputs...),
		QuantStyle: q.QuantStyle,
	}
	byName := map[string]int{}
	for i := range c.Tensors {
		if c.Tensors[i].Const == nil {
			byName[c.Tensors[i].Name] = i
		}
	}
	var cut []int
	for _, n := range names {
		id, ok := byName[n]
		if !ok {
			return nil, nil, fmt.Errorf("finetune: int8 base: the tail reads %q, which the quantized graph does not have", n)
		}
		cut = append(cut, id)
	}
	return c, cut, nil
}

// floatOf returns a float32 tensor holding the value of tensor id of c:
// id itself, or a new Dequantize of it.
func floatOf(c *graph.Graph, id int) (int, error) {
	t := c.Tensors[id]
	switch {
	case t.DType == tensor.Float32:
		return id, nil
	case t.Quant != nil:
		y := c.AddTensor(graph.Tensor{Name: t.Name + "#dequant", DType: tensor.Float32, Shape: append([]int(nil), t.Shape...)})
		c.Nodes = append(c.Nodes, graph.Node{Name: t.Name + "#dequant", Op: graph.OpDequantize, Inputs: []int{id}, Outputs: []int{y}})
		return y, nil
	}
	return 0, fmt.Errorf("finetune: int8 base: tail input %q is %v without quantization", t.Name, t.DType)
}

// tailOf returns the trained graph e (Tail.Export) and the number of its
// nodes that are the tail (they are last).
func tailOf(t *train.Tail) (*graph.Graph, int) {
	return t.Export(), len(t.Split().TailNodes())
}

// appendTail appends the last nt nodes of e (a trained tail) to c. in maps
// e's tail-input tensor ids to c's. With ranges nil the tail stays float;
// else it is quantized (see quantizeTail) and in must map to int8 tensors.
// It returns c's id of e's output (float32).
func appendTail(c, e *graph.Graph, nt int, in map[int]int, ranges map[string]ptq.Range) (int, error) {
	m := map[int]int{}
	for k, v := range in {
		m[k] = v
	}
	for _, n := range e.Nodes[len(e.Nodes)-nt:] {
		cp := graph.Node{Name: n.Name, Op: n.Op, Params: n.Params}
		for _, id := range n.Inputs {
			switch {
			case id < 0:
				cp.Inputs = append(cp.Inputs, id)
			case e.Tensors[id].Const != nil:
				cp.Inputs = append(cp.Inputs, c.AddConst(e.Tensors[id].Name, e.Tensors[id].Const))
			default:
				v, ok := m[id]
				if !ok {
					return 0, fmt.Errorf("finetune: tail node %q reads %q, which is not computed before it", n.Name, e.Tensors[id].Name)
				}
				cp.Inputs = append(cp.Inputs, v)
			}
		}
		for _, id := range n.Outputs {
			if id < 0 {
				cp.Outputs = append(cp.Outputs, id)
				continue
			}
			t := e.Tensors[id]
			t.Shape = append([]int(nil), t.Shape...)
			m[id] = c.AddTensor(t)
			cp.Outputs = append(cp.Outputs, m[id])
		}
		c.Nodes = append(c.Nodes, cp)
		if ranges != nil {
			if err := quantizeNode(c, &c.Nodes[len(c.Nodes)-1], ranges); err != nil {
				return 0, err
			}
		}
	}
	out, ok := m[e.Outputs[0]]
	if !ok {
		return 0, fmt.Errorf("finetune: the tail does not compute the output %q", e.Tensors[e.Outputs[0]].Name)
	}
	if ranges == nil {
		return out, nil
	}
	name := e.Tensors[e.Outputs[0]].Name
	c.Tensors[out].Name = name + "#int8"
	y, err := floatOf(c, out)
	if err != nil {
		return 0, err
	}
	c.Tensors[y].Name = name
	return y, nil
}

// quantizeNode turns a float tail node of c, whose runtime inputs are
// already int8, into its quantized form (ONNX Runtime arithmetic):
//
//   - Conv and Dense: weights int8, symmetric (zero point 0, [−127, 127]),
//     one scale per output channel (s = max|w|/127); bias int32 with scale
//     x_s·w_s[c]; a fused ReLU or Clip is dropped: the output range,
//     calibrated after it, clamps instead (other activations are refused);
//   - Add, Mul, GlobalAvgPool and activations (a lookup table): output
//     quantized over its calibrated range; constant operands over their own
//     min/max;
//   - Reshape and Identity keep their input's quantization.
//
// Calibrated ranges are widened to include 0 and quantized as uint8 values
// (scale (max−min)/255, zero point round(−min/scale)) held in int8 space.
func quantizeNode(c *graph.Graph, n *graph.Node, ranges map[string]ptq.Range) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("finetune: int8 tail: node %q (%v): %s", n.Name, n.Op, fmt.Sprintf(format, a...))
	}
	x := &c.Tensors[n.Inputs[0]]
	if x.DType != tensor.Int8 || x.Quant == nil || !x.Quant.PerTensor() {
		return fail("input %q is not per-tensor int8", x.Name)
	}
	y := &c.Tensors[n.Outputs[0]]
	setOut := func() error {
		r, ok := ranges[y.Name]
		if !ok {
			return fail("no calibrated range for %q", y.Name)
		}
		y.DType, y.Quant = tensor.Int8, rangeQuant(r)
		return nil
	}
	dropAct := func(a kernels.Act) (kernels.Act, error) {
		switch a.Kind {
		case kernels.ActNone, kernels.ActRelu, kernels.ActClip:
			return kernels.Act{}, nil
		}
		return a, fail("fused %v cannot fold into an int8 output range", a)
	}
	switch n.Op {
	case graph.OpConv, graph.OpDense:
		w := c.Tensors[n.Inputs[1]]
		if w.Const == nil || w.DType != tensor.Float32 {
			return fail("weights are not float constants")
		}
		axis := 0
		if n.Op == graph.OpDense {
			axis = 1
		}
		wq, ws := quantWeights(w.Const, axis)
		n.Inputs[1] = c.AddConst(w.Name+"#int8", wq)
		c.Tensors[n.Inputs[1]].Quant = &graph.Quant{Scale: ws, ZeroPoint: make([]int32, len(ws)), Axis: axis}
		if len(n.Inputs) > 2 && n.Inputs[2] >= 0 {
			b := c.Tensors[n.Inputs[2]].Const
			bq := tensor.New(tensor.Int32, b.Shape...)
			for i, v := range b.F32 {
				s := float64(x.Quant.Scale[0]) * float64(ws[i%len(ws)])
				bq.I32[i] = int32(math.Max(math.MinInt32, math.Min(math.MaxInt32, math.RoundToEven(float64(v)/s))))
			}
			n.Inputs[2] = c.AddConst(c.Tensors[n.Inputs[2]].Name+"#int32", bq)
		}
		if p, ok := n.Params.(*graph.ConvParams); ok {
			q := *p
			a, err := dropAct(q.Act)
			if err != nil {
				return err
			}
			q.Act = a
			n.Params = &q
		} else {
			a, err := dropAct(n.Params.(*graph.DenseParams).Act)
			if err != nil {
				return err
			}
			n.Params = &graph.DenseParams{Act: a}
		}
		return setOut()
	case graph.OpBinary:
		p := *n.Params.(*graph.BinaryParams)
		if p.Op != kernels.OpAdd && p.Op != kernels.OpMul {
			return fail("only Add and Mul run int8")
		}
		a, err := dropAct(p.Act)
		if err != nil {
			return err
		}
		p.Act = a
		n.Params = &p
		for j, id := range n.Inputs {
			t := c.Tensors[id]
			if t.Const != nil {
				n.Inputs[j] = quantConst(c, t)
			} else if t.DType != tensor.Int8 {
				return fail("operand %q is not int8", t.Name)
			}
		}
		return setOut()
	case graph.OpGlobalAvgPool, graph.OpUnary:
		return setOut()
	case graph.OpReshape, graph.OpIdentity:
		y.DType, y.Quant = tensor.Int8, x.Quant
		n.Outputs = n.Outputs[:1]
		return nil
	}
	return fail("no int8 form")
}

// rangeQuant is the uint8-style asymmetric quantization of r (0 included),
// held in int8 space.
func rangeQuant(r ptq.Range) *graph.Quant {
	lo, hi := math.Min(float64(r.Min), 0), math.Max(float64(r.Max), 0)
	s := (hi - lo) / 255
	if s == 0 {
		s = 1
	}
	z := math.Max(0, math.Min(255, math.RoundToEven(-lo/s)))
	return &graph.Quant{Scale: []float32{float32(s)}, ZeroPoint: []int32{int32(z) - 128}, Shifted: true}
}

// quantConst adds an int8 copy of float constant t over its own min/max.
func quantConst(c *graph.Graph, t graph.Tensor) int {
	r := ptq.Range{}
	for _, v := range t.Const.F32 {
		r.Min, r.Max = min(r.Min, v), max(r.Max, v)
	}
	q := rangeQuant(r)
	v := tensor.New(tensor.Int8, t.Const.Shape...)
	for i, f := range t.Const.F32 {
		v.I8[i] = int8(math.Max(-128, math.Min(127, math.RoundToEven(float64(f/q.Scale[0]))+float64(q.ZeroPoint[0]))))
	}
	id := c.AddConst(t.Name+"#int8", v)
	c.Tensors[id].Quant = q
	return id
}

// quantWeights quantizes w symmetrically per channel along axis.
func quantWeights(w *tensor.Tensor, axis int) (*tensor.Tensor, []float32) {
	nc := w.Shape[axis]
	stride := tensor.NumElems(w.Shape[axis+1:])
	amax := make([]float64, nc)
	for i, v := range w.F32 {
		ch := (i / stride) % nc
		amax[ch] = math.Max(amax[ch], math.Abs(float64(v)))
	}
	scales := make([]float32, nc)
	for ch, a := range amax {
		scales[ch] = float32(a / 127)
		if !(scales[ch] > 0) {
			scales[ch] = 1
		}
	}
	q := tensor.New(tensor.Int8, w.Shape...)
	for i, v := range w.F32 {
		ch := (i / stride) % nc
		q.I8[i] = int8(math.Max(-127, math.Min(127, math.RoundToEven(float64(v)/float64(scales[ch])))))
	}
	return q, scales
}

// tailModel compiles the tail of e alone: float feature rows in (one graph
// input per tail input, channels-last [1, ...]), float logits out. With
// ranges the tail is int8: the inputs are quantized as the int8 backbone
// quantizes them (q's tensors of the same names).
func tailModel(e *graph.Graph, nt int, s *train.Split, q *graph.Graph, ranges map[string]ptq.Range) (*nn.Model, error) {
	c := &graph.Graph{QuantStyle: graph.QuantONNX}
	if q != nil {
		c.QuantStyle = q.QuantStyle
	}
	in := map[int]int{}
	var ins []nn.IOSpec
	byName := map[string]int{}
	for i := range e.Tensors {
		if e.Tensors[i].Const == nil {
			byName[e.Tensors[i].Name] = i
		}
	}
	var qt map[string]*graph.Tensor
	if ranges != nil {
		qt = map[string]*graph.Tensor{}
		for i := range q.Tensors {
			if q.Tensors[i].Const == nil {
				qt[q.Tensors[i].Name] = &q.Tensors[i]
			}
		}
	}
	for _, name := range s.Inputs() {
		eid := byName[name]
		t := e.Tensors[eid]
		id := c.AddTensor(graph.Tensor{Name: name, DType: tensor.Float32, Shape: append([]int(nil), t.Shape...)})
		c.Inputs = append(c.Inputs, id)
		ins = append(ins, nn.IOSpec{Name: name, DType: tensor.Float32, Shape: append([]int(nil), t.Shape...)})
		in[eid] = id
		if ranges != nil {
			src := qt[name]
			quant := rangeQuant(ranges[name])
			if src != nil && src.Quant != nil {
				quant = src.Quant
			} else if _, ok := ranges[name]; !ok {
				return nil, fmt.Errorf("finetune: int8 tail: no range for its input %q", name)
			}
			y := c.AddTensor(graph.Tensor{Name: name + "#q", DType: tensor.Int8, Shape: append([]int(nil), t.Shape...), Quant: quant})
			c.Nodes = append(c.Nodes, graph.Node{Name: name + "#quantize", Op: graph.OpQuantize, Inputs: []int{id}, Outputs: []int{y}})
			in[eid] = y
		}
	}
	out, err := appendTail(c, e, nt, in, ranges)
	if err != nil {
		return nil, err
	}
	c.Outputs = []int{out}
	t := c.Tensors[out]
	return nn.Compile(c, ins, []nn.IOSpec{{Name: t.Name, DType: tensor.Float32, Shape: append([]int(nil), t.Shape...)}})
}

// int8Model compiles the whole trained model on an int8 base: q's nodes up
// to the tail's inputs, then the trained tail of t, int8 (ranges set) or
// float (ranges nil).
func int8Model(q *graph.Graph, t *train.Tail, ins []nn.IOSpec, ranges map[string]ptq.Range) (*nn.Model, error) {
	c, err := int8Graph(q, t, ranges)
	if err != nil {
		return nil, err
	}
	out := c.Outputs[0]
	opt.RemoveDead(c)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("finetune: int8 model: %w", err)
	}
	o := c.Tensors[out]
	return nn.Compile(c, append([]nn.IOSpec(nil), ins...), []nn.IOSpec{{Name: o.Name, DType: tensor.Float32, Shape: append([]int(nil), o.Shape...)}})
}

// int8Graph is int8Model's graph before dead nodes are removed: all of
// q's nodes, then (from index len(q.Nodes) on) those that feed the tail
// and the tail's, the single output last.
func int8Graph(q *graph.Graph, t *train.Tail, ranges map[string]ptq.Range) (*graph.Graph, error) {
	s := t.Split()
	e, nt := tailOf(t)
	c, cut, err := int8Backbone(q, s.Inputs())
	if err != nil {
		return nil, err
	}
	byName := map[string]int{}
	for i := range e.Tensors {
		if e.Tensors[i].Const == nil {
			byName[e.Tensors[i].Name] = i
		}
	}
	in := map[int]int{}
	for i, name := range s.Inputs() {
		id := cut[i]
		if ranges == nil {
			if id, err = floatOf(c, id); err != nil {
				return nil, err
			}
		} else if c.Tensors[id].DType != tensor.Int8 {
			r, ok := ranges[name]
			if !ok {
				return nil, fmt.Errorf("finetune: int8 tail: no range for its input %q", name)
			}
			y := c.AddTensor(graph.Tensor{Name: name + "#q", DType: tensor.Int8, Shape: append([]int(nil), c.Tensors[id].Shape...), Quant: rangeQuant(r)})
			c.Nodes = append(c.Nodes, graph.Node{Name: name + "#quantize", Op: graph.OpQuantize, Inputs: []int{id}, Outputs: []int{y}})
			id = y
		}
		in[byName[name]] = id
	}
	out, err := appendTail(c, e, nt, in, ranges)
	if err != nil {
		return nil, err
	}
	c.Outputs = []int{out}
	return c, nil
}

// calibrateTail runs the trained float tail over n feature rows and
// returns the activation range of every tail tensor (and of the tail's
// inputs).
func calibrateTail(t *train.Tail, feats []float32, n int) (map[string]ptq.Range, error) {
	s := t.Split()
	e, nt := tailOf(t)
	m, err := tailModel(e, nt, s, nil, nil)
	if err != nil {
		return nil, err
	}
	hists := map[string]*ptq.Histogram{}
	add := func(name string, v []float32) {
		h := hists[name]
		if h == nil {
			h = ptq.NewHistogram(ptq.DefaultConfig().Bins)
			hists[name] = h
		}
		h.Add(v)
	}
	sess := m.NewSession()
	defer sess.Close()
	fl := s.FeatureLen()
	shapes := s.InputShapes()
	for i := 0; i < n; i++ {
		row := feats[i*fl : (i+1)*fl]
		var xs []*tensor.Tensor
		off := 0
		for j, sh := range shapes {
			k := tensor.NumElems(sh)
			xs = append(xs, tensor.FromF32(append([]float32(nil), row[off:off+k]...), append([]int{1}, sh...)...))
			add(s.Inputs()[j], row[off:off+k])
			off += k
		}
		if _, err := sess.RunObserve(func(name string, v *tensor.Tensor) {
			if v.DType == tensor.Float32 {
				add(name, v.F32)
			}
		}, xs...); err != nil {
			return nil, err
		}
	}
	ranges := map[string]ptq.Range{}
	for name, h := range hists {
		r, err := h.Range(Int8Method, Int8Percentile)
		if err != nil {
			return nil, err
		}
		ranges[name] = r
	}
	return ranges, nil
}

// runTail runs a tail model over n feature rows and returns the logits.
func runTail(m *nn.Model, s *train.Split, feats []float32, n int) ([]float32, error) {
	sess := m.NewSession()
	defer sess.Close()
	fl := s.FeatureLen()
	shapes := s.InputShapes()
	var out []float32
	for i := 0; i < n; i++ {
		row := feats[i*fl : (i+1)*fl]
		var xs []*tensor.Tensor
		off := 0
		for _, sh := range shapes {
			k := tensor.NumElems(sh)
			xs = append(xs, tensor.FromF32(append([]float32(nil), row[off:off+k]...), append([]int{1}, sh...)...))
			off += k
		}
		o, err := sess.Run(xs...)
		if err != nil {
			return nil, err
		}
		out = append(out, o[0].F32...)
	}
	return out, nil
}

// quantizeTail calibrates the trained tail of an int8 base on the training
// features (nTrain rows), builds its int8 form (returned as a model of the
// tail alone, feature rows in; nil if the tail cannot be quantized) and
// compares it with the float tail on the val features. A tail that cannot
// be quantized is reported (Tail TailFloat, Why) rather than failing the
// run.
func quantizeTail(t *train.Tail, q *graph.Graph, trFeats []float32, nTrain int, vaFeats []float32, vaLabels []int, k int) (Int8Report, *nn.Model, error) {
	rep := Int8Report{Tail: TailFloat, Method: fmt.Sprintf("%v %g", Int8Method, Int8Percentile), Samples: nTrain, ValSamples: len(vaLabels)}
	ranges, err := calibrateTail(t, trFeats, nTrain)
	if err != nil {
		return rep, nil, err
	}
	rep.Ranges = map[string][2]float32{}
	for name, r := range ranges {
		rep.Ranges[name] = [2]float32{r.Min, r.Max}
	}
	s := t.Split()
	e, nt := tailOf(t)
	fm, err := tailModel(e, nt, s, q, nil)
	if err != nil {
		return rep, nil, err
	}
	qm, err := tailModel(e, nt, s, q, ranges)
	if err != nil {
		rep.Why = err.Error()
		return rep, nil, nil
	}
	rep.Tail = TailInt8
	if len(vaLabels) == 0 {
		return rep, qm, nil
	}
	fl, err := runTail(fm, s, vaFeats, len(vaLabels))
	if err != nil {
		return rep, nil, err
	}
	ql, err := runTail(qm, s, vaFeats, len(vaLabels))
	if err != nil {
		return rep, nil, err
	}
	agree, fOK, qOK := 0, 0, 0
	for i, l := range vaLabels {
		a, b := tensor.Argmax(fl[i*k:(i+1)*k]), tensor.Argmax(ql[i*k:(i+1)*k])
		if a == b {
			agree++
		}
		if a == l {
			fOK++
		}
		if b == l {
			qOK++
		}
		for j := i * k; j < (i+1)*k; j++ {
			rep.MaxLogitDiff = math.Max(rep.MaxLogitDiff, math.Abs(float64(fl[j]-ql[j])))
		}
	}
	n := float64(len(vaLabels))
	rep.Agreement, rep.FloatAccuracy, rep.Int8Accuracy = float64(agree)/n, float64(fOK)/n, float64(qOK)/n
	return rep, qm, nil
}

// rangesOf converts stored ranges back.
func rangesOf(r map[string][2]float32) map[string]ptq.Range {
	out := map[string]ptq.Range{}
	for k, v := range r {
		out[k] = ptq.Range{Min: v[0], Max: v[1]}
	}
	return out
}

// Int8Ops counts the nodes of m that compute on int8 tensors (an output
// or a runtime input of dtype int8), by op: what proves that a model runs
// int8.
func Int8Ops(m *nn.Model) map[string]int {
	g := m.Graph()
	out := map[string]int{}
	for _, n := range g.Nodes {
		for _, id := range n.Outputs {
			if id >= 0 && g.Tensors[id].DType == tensor.Int8 {
				out[n.Op.String()]++
				break
			}
		}
	}
	return out
}

// LoadModelFloatTail is LoadModel with the tail in float32: for a version
// trained on an int8 base, the int8 backbone followed by the trained float
// tail (the model training evaluated); for a float base, LoadModel.
func LoadModelFloatTail(blob []byte, basePath string) (*nn.Model, BlobHeader, error) {
	return loadModel(blob, basePath, true)
}

// quantizeFinal re-quantizes the final tail of a run on an int8 base
// (quantizeTail, calibrated on the training split's features: the plain
// ones, or the first augmented variant), records the report in res.Int8
// and returns the eval split's logits of the model LoadModel will run
// (logits, the float tail's, when the tail stays float).
func quantizeFinal(t *train.Tail, q *graph.Graph, sets map[store.Split]*data, evalSet store.Split, k int, logits []float32, progress io.Writer, res *Result) ([]float32, error) {
	tr, va := sets[store.Train], sets[store.Val]
	feats := tr.feats
	if feats == nil && len(tr.variants) > 0 {
		feats = tr.variants[0]
	}
	rep, qm, err := quantizeTail(t, q, feats, len(tr.ids), va.feats, va.labels, k)
	if err != nil {
		return nil, err
	}
	res.Int8 = &rep
	if qm == nil {
		fmt.Fprintf(progress, "int8 base: the tail stays float: %s\n", rep.Why)
		return logits, nil
	}
	fmt.Fprintf(progress, "int8 tail (%s, %d train samples): val accuracy %.4f (float tail %.4f), top-1 agreement %.4f, max |Δlogit| %.3g\n",
		rep.Method, rep.Samples, rep.Int8Accuracy, rep.FloatAccuracy, rep.Agreement, rep.MaxLogitDiff)
	ev := sets[evalSet]
	return runTail(qm, t.Split(), ev.feats, len(ev.ids))
}
