package ptq

import (
	"errors"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/internal/ortpeer"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// smallNet: conv → Relu → depthwise conv → Clip(0,6) → 1×1 conv (linear) →
// Add (residual) → GlobalAveragePool → Flatten → Gemm (transB) → logits
// (output) → Softmax → prob (output). Has BN to fold and a MaxPool.
func smallNet(seed int64) *builder {
	b := newBuilder(13, seed)
	b.input("x", -1, 3, 12, 12) // symbolic batch: ORT runs a batch, ocellus batch 1
	b.rand("w1", -0.5, 0.5, 8, 3, 3, 3)
	b.rand("b1", -0.2, 0.2, 8)
	b.node("Conv", []string{"x", "w1", "b1"}, []string{"c1"}, intsAttr("pads", []int64{1, 1, 1, 1}))
	b.rand("g1", 0.5, 1.5, 8)
	b.rand("be1", -0.3, 0.3, 8)
	b.rand("m1", -0.3, 0.3, 8)
	b.rand("v1", 0.2, 2, 8)
	b.node("BatchNormalization", []string{"c1", "g1", "be1", "m1", "v1"}, []string{"n1"})
	b.node("Relu", []string{"n1"}, []string{"r1"})
	b.node("MaxPool", []string{"r1"}, []string{"p1"}, intsAttr("kernel_shape", []int64{2, 2}), intsAttr("strides", []int64{2, 2}))
	b.rand("w2", -0.8, 0.8, 8, 1, 3, 3)
	b.rand("b2", -0.2, 0.2, 8)
	b.node("Conv", []string{"p1", "w2", "b2"}, []string{"c2"}, intAttr("group", 8), intsAttr("pads", []int64{1, 1, 1, 1}))
	b.init("lo", nil, []float32{0})
	b.init("hi", nil, []float32{6})
	b.node("Clip", []string{"c2", "lo", "hi"}, []string{"r2"})
	b.rand("w3", -0.5, 0.5, 8, 8, 1, 1)
	b.rand("b3", -0.2, 0.2, 8)
	b.node("Conv", []string{"r2", "w3", "b3"}, []string{"c3"})
	b.node("Add", []string{"c3", "p1"}, []string{"a"})
	b.node("GlobalAveragePool", []string{"a"}, []string{"g"})
	b.node("Flatten", []string{"g"}, []string{"f"})
	b.rand("wg", -1, 1, 5, 8)
	b.rand("bg", -0.1, 0.1, 5)
	b.node("Gemm", []string{"f", "wg", "bg"}, []string{"logits"}, intAttr("transB", 1))
	b.node("Softmax", []string{"logits"}, []string{"prob"}, intAttr("axis", -1))
	b.output("logits")
	b.output("prob")
	return b
}

// quantizeSmallNet prepares, calibrates (16 random inputs) and quantizes smallNet.
func quantizeSmallNet(t *testing.T, cfg Config) (prep, q *onnxpb.Model, rep *Report, samples []*tensor.Tensor) {
	t.Helper()
	var err error
	if prep, err = Prepare(smallNet(1).m); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 16; i++ {
		samples = append(samples, randInput(rng, -1, 1, 1, 3, 12, 12))
	}
	c := calibrate(t, prep, samples...)
	ranges, err := c.Ranges(cfg.Method, cfg.Percentile)
	if err != nil {
		t.Fatal(err)
	}
	if q, rep, err = Quantize(prep, ranges, cfg); err != nil {
		t.Fatal(err)
	}
	return prep, q, rep, samples
}

// qgraph indexes a quantized graph for the structure checks.
type qgraph struct {
	t     *testing.T
	g     *onnxpb.Graph
	inits map[string]*onnxpb.Tensor
	prod  map[string]*onnxpb.Node
	cons  map[string][]*onnxpb.Node
}

func newQGraph(t *testing.T, g *onnxpb.Graph) *qgraph {
	q := &qgraph{t: t, g: g, inits: initMap(g), prod: map[string]*onnxpb.Node{}, cons: map[string][]*onnxpb.Node{}}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			q.prod[o] = n
		}
		for _, in := range n.Inputs {
			q.cons[in] = append(q.cons[in], n)
		}
	}
	return q
}

func (q *qgraph) floats(name string) []float32 {
	q.t.Helper()
	v, err := q.inits[name].Float32s()
	if err != nil {
		q.t.Fatalf("%s: %v", name, err)
	}
	return v
}

// activationDQ checks that value s is DequantizeLinear(QuantizeLinear(...))
// with a positive scalar scale and a uint8 scalar zero point shared by both;
// it returns the scale and zero point.
func (q *qgraph) activationDQ(s, what string) (float32, uint8) {
	q.t.Helper()
	dq := q.prod[s]
	if dq == nil || dq.OpType != "DequantizeLinear" {
		q.t.Fatalf("%s: %q is not produced by DequantizeLinear", what, s)
	}
	qn := q.prod[dq.Inputs[0]]
	if qn == nil || qn.OpType != "QuantizeLinear" {
		q.t.Fatalf("%s: DequantizeLinear %q does not read a QuantizeLinear", what, dq.Name)
	}
	if qn.Inputs[1] != dq.Inputs[1] || qn.Inputs[2] != dq.Inputs[2] {
		q.t.Errorf("%s: Q and DQ use different parameters", what)
	}
	sc, zp := q.inits[dq.Inputs[1]], q.inits[dq.Inputs[2]]
	if sc == nil || zp == nil || len(sc.Dims) != 0 || len(zp.Dims) != 0 || zp.DataType != onnxpb.DataTypeUint8 {
		q.t.Fatalf("%s: scale/zero point are not scalar float/uint8 initializers", what)
	}
	s32 := q.floats(dq.Inputs[1])[0]
	z, err := zp.Uint8s()
	if err != nil {
		q.t.Fatal(err)
	}
	if !(s32 > 0) || math.IsInf(float64(s32), 0) {
		q.t.Errorf("%s: scale %g", what, s32)
	}
	return s32, z[0]
}

// weightDQ checks that s is DequantizeLinear of an int8 initializer with
// dims like orig, zero points 0 and positive scales along axis (per
// channel) or one scale; it returns the scales and the int8 values.
func (q *qgraph) weightDQ(s string, orig []int64, axis int, perChannel bool, what string) ([]float32, []int8) {
	q.t.Helper()
	dq := q.prod[s]
	if dq == nil || dq.OpType != "DequantizeLinear" {
		q.t.Fatalf("%s: %q is not produced by DequantizeLinear", what, s)
	}
	w := q.inits[dq.Inputs[0]]
	if w == nil || w.DataType != onnxpb.DataTypeInt8 || !slices.Equal(w.Dims, orig) {
		q.t.Fatalf("%s: DequantizeLinear does not read an int8 initializer of dims %v", what, orig)
	}
	wv, _ := w.Int8s()
	for _, v := range wv {
		if v == -128 {
			q.t.Fatalf("%s: weight value -128 (want the restricted range [-127, 127])", what)
		}
	}
	scales := q.floats(dq.Inputs[1])
	zp, err := q.inits[dq.Inputs[2]].Int8s()
	if err != nil {
		q.t.Fatalf("%s: zero point: %v", what, err)
	}
	ax, _ := dq.AttrInt("axis", 1)
	if perChannel {
		if len(scales) != int(orig[axis]) || int(ax) != axis || len(zp) != len(scales) {
			q.t.Errorf("%s: %d scales, axis %d, %d zero points; want %d along axis %d", what, len(scales), ax, len(zp), orig[axis], axis)
		}
	} else if len(scales) != 1 || dq.HasAttr("axis") {
		q.t.Errorf("%s: want one scale and no axis, got %d scales", what, len(scales))
	}
	for i, z := range zp {
		if z != 0 {
			q.t.Errorf("%s: zero point %d = %d", what, i, z)
		}
	}
	for i, sc := range scales {
		if !(sc > 0) {
			q.t.Errorf("%s: scale %d = %g", what, i, sc)
		}
	}
	return scales, wv
}

func TestQuantizeStructure(t *testing.T) {
	for _, perChannel := range []bool{true, false} {
		cfg := DefaultConfig()
		cfg.PerChannel = perChannel
		prep, qm, rep, _ := quantizeSmallNet(t, cfg)
		q := newQGraph(t, qm.Graph)
		pinits := initMap(prep.Graph)
		if qm.Opset("") < 13 {
			t.Fatalf("opset %d", qm.Opset(""))
		}
		c := opCounts(qm.Graph)
		if c["Relu"] != 0 || c["Clip"] != 0 || c["BatchNormalization"] != 0 {
			t.Errorf("ops %v: Relu and Clip must fold, BN must be gone", c)
		}
		if rep.Folded != 2 || rep.Quantized["Conv"] != 3 || rep.Quantized["Gemm"] != 1 || rep.Quantized["MaxPool"] != 1 ||
			rep.Quantized["Add"] != 1 || rep.Quantized["GlobalAveragePool"] != 1 || rep.Quantized["Flatten"] != 1 {
			t.Errorf("report %+v", rep)
		}
		if c["QuantizeLinear"] != rep.Activations {
			t.Errorf("%d QuantizeLinear nodes, report says %d pairs", c["QuantizeLinear"], rep.Activations)
		}
		convs := 0
		for _, n := range qm.Graph.Nodes {
			if n.OpType != "Conv" && n.OpType != "Gemm" {
				continue
			}
			convs++
			what := n.OpType + " " + n.Name
			xs, _ := q.activationDQ(n.Inputs[0], what+" input")
			// The original float weights: the DQ's name starts with the initializer's.
			wq := q.inits[q.prod[n.Inputs[1]].Inputs[0]]
			var origW *onnxpb.Tensor
			for name, t := range pinits {
				if name+"_quantized" == wq.Name {
					origW = t
				}
			}
			if origW == nil {
				t.Fatalf("%s: cannot find the float weights of %s", what, wq.Name)
			}
			axis := 0
			if n.OpType == "Gemm" {
				axis = 0 // transB=1: B is [N, K]
			}
			ws, wv := q.weightDQ(n.Inputs[1], origW.Dims, axis, perChannel, what+" weights")
			// Dequantized weights are within half a step of the float ones.
			fw, _ := origW.Float32s()
			ch, _, inner := channelGeom(origW.Dims, axis)
			for i, f := range fw {
				s := ws[0]
				if perChannel {
					s = ws[(i/inner)%ch]
				}
				if d := math.Abs(float64(f) - float64(s)*float64(wv[i])); d > float64(s)/2*1.0001 {
					t.Fatalf("%s: weight %d: %g vs dequantized %g (scale %g)", what, i, f, s*float32(wv[i]), s)
				}
			}
			// Bias: int32, scale = x_scale · w_scale, zero point 0.
			bdq := q.prod[n.Inputs[2]]
			if bdq == nil || bdq.OpType != "DequantizeLinear" || q.inits[bdq.Inputs[0]].DataType != onnxpb.DataTypeInt32 {
				t.Fatalf("%s: bias is not DequantizeLinear of an int32 initializer", what)
			}
			bs := q.floats(bdq.Inputs[1])
			if len(bs) != len(ws) {
				t.Fatalf("%s: %d bias scales, %d weight scales", what, len(bs), len(ws))
			}
			for i := range bs {
				if bs[i] != xs*ws[i] {
					t.Errorf("%s: bias scale %d = %g, want x_scale·w_scale = %g", what, i, bs[i], xs*ws[i])
				}
			}
			bz, _ := q.inits[bdq.Inputs[2]].Int32s()
			for _, z := range bz {
				if z != 0 {
					t.Errorf("%s: bias zero point %d", what, z)
				}
			}
			// The output goes straight into QuantizeLinear (folded activations).
			if cs := q.cons[n.Outputs[0]]; len(cs) != 1 || cs[0].OpType != "QuantizeLinear" {
				t.Errorf("%s: output %q is read by %d nodes, want one QuantizeLinear", what, n.Outputs[0], len(cs))
			}
		}
		if convs != 4 {
			t.Errorf("%d Conv/Gemm nodes, want 4", convs)
		}
		// Folded activations: ReLU output has zero point 0, Clip(0,6) output a range within [0, 6].
		for _, n := range qm.Graph.Nodes {
			if n.OpType != "QuantizeLinear" {
				continue
			}
			s, z := q.activationDQ(q.cons[n.Outputs[0]][0].Outputs[0], n.Name)
			switch n.Inputs[0] {
			case "r1":
				if z != 0 {
					t.Errorf("ReLU output zero point %d, want 0", z)
				}
			case "r2":
				if z != 0 || s*255 > 6*1.0001 {
					t.Errorf("Clip(0,6) output: scale %g zp %d, want zp 0 and max <= 6", s, z)
				}
			}
		}
		// MaxPool shares its input's parameters.
		for _, n := range qm.Graph.Nodes {
			if n.OpType == "MaxPool" {
				s1, z1 := q.activationDQ(n.Inputs[0], "MaxPool input")
				qn := q.cons[n.Outputs[0]][0]
				s2, z2 := q.activationDQ(q.cons[qn.Outputs[0]][0].Outputs[0], "MaxPool output")
				if s1 != s2 || z1 != z2 {
					t.Errorf("MaxPool output (%g, %d) differs from its input (%g, %d)", s2, z2, s1, z1)
				}
			}
		}
		// The graph input is quantized right away; outputs keep their names
		// and float type: logits is dequantized, prob comes from the float Softmax.
		if cs := q.cons["x"]; len(cs) != 1 || cs[0].OpType != "QuantizeLinear" {
			t.Errorf("graph input x is read by %v, want one QuantizeLinear", cs)
		}
		if p := q.prod["logits"]; p == nil || p.OpType != "DequantizeLinear" {
			t.Errorf("output logits is not dequantized")
		}
		if p := q.prod["prob"]; p == nil || p.OpType != "Softmax" {
			t.Errorf("output prob: want the float Softmax")
		}
		// Roundtrip: the encoding decodes to the same model.
		if _, err := onnxpb.DecodeModel(qm.Marshal()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestQuantizeErrors(t *testing.T) {
	b := smallNet(1)
	if _, _, err := Quantize(b.m, nil, DefaultConfig()); err != nil {
		// opset 13 already: the only missing piece is the ranges.
		if !errors.Is(err, ErrNoRange) {
			t.Errorf("no ranges: %v, want ErrNoRange", err)
		}
	} else {
		t.Error("no ranges: no error")
	}
	old := newBuilder(11, 1)
	old.input("x", 1, 2)
	old.node("Relu", []string{"x"}, []string{"y"})
	old.output("y")
	if _, _, err := Quantize(old.m, nil, DefaultConfig()); !errors.Is(err, ErrModel) {
		t.Errorf("opset 11 model: %v, want ErrModel (Prepare first)", err)
	}
	cfg := DefaultConfig()
	cfg.Percentile = 40
	if _, _, err := Quantize(b.m, nil, cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("percentile 40: %v, want ErrConfig", err)
	}
	if _, err := ParseMethod("kl"); !errors.Is(err, ErrConfig) {
		t.Errorf("ParseMethod(kl): %v", err)
	}
	for _, m := range Methods() {
		if p, err := ParseMethod(m.String()); err != nil || p != m {
			t.Errorf("ParseMethod(%v) = %v, %v", m, p, err)
		}
	}
}

// TestQuantizedRunsInORT: ONNX Runtime loads the QDQ model and its output is
// close to the float model's on the calibration inputs (skips without the peer).
func TestQuantizedRunsInORT(t *testing.T) {
	bin := ortpeer.Find(t)
	var f []float32
	for _, m := range Methods() {
		cfg := DefaultConfig()
		cfg.Method = m
		prep, qm, _, samples := quantizeSmallNet(t, cfg)
		batch := tensor.New(tensor.Float32, len(samples), 3, 12, 12)
		for i, s := range samples {
			copy(batch.F32[i*s.Len():], s.F32)
		}
		in := map[string]*npy.Array{"x": npyOf(batch)}
		if f == nil { // the prepared float model is the same for every method
			f = ortpeer.Run(t, bin, writeModel(t, prep, "f.onnx"), in)["logits"].F32
		}
		qv := ortpeer.Run(t, bin, writeModel(t, qm, "q.onnx"), in)["logits"].F32
		if len(f) != 5*len(samples) || len(qv) != len(f) {
			t.Fatalf("ORT logits: %d and %d values, want %d", len(f), len(qv), 5*len(samples))
		}
		d, s := maxDiff(f, qv)
		if d > 0.1*s {
			t.Errorf("%v: int8 logits differ from float by %g (max |logit| %g)", m, d, s)
		}
		t.Logf("%v: max |int8 − float| = %.4f, max |logit| %.3f", m, d, s)
	}
}
