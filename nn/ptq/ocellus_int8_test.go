package ptq

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestOcellusRunsInt8: a small shared float model quantized from a few
// sample images loads in ocellus (nn.Load, default rewrites) as an int8
// graph — most convolutions read a quantized tensor — and its outputs stay
// close to the float model's on images it was not calibrated on.
func TestOcellusRunsInt8(t *testing.T) {
	const name = "st_mobilenet_v2_0.35_128_flowers.onnx"
	src := loadShared(t, name)
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
	var calFiles, evalFiles []string
	for _, f := range []string{"cat.jpg", "grace_hopper.jpg", "hot_dog.jpg", "bird.bmp", "dragonfly.bmp"} {
		calFiles = append(calFiles, fixture.Path(t, "images", f))
	}
	for _, f := range []string{"cat.bmp", "grace_hopper.bmp"} {
		evalFiles = append(evalFiles, fixture.Path(t, "images", f))
	}
	calBatch := imageBatch(t, spec, calFiles)
	n := spec.Len()
	for i := range calFiles {
		if err := cal.Add(tensor.FromF32(calBatch.F32[i*n:(i+1)*n], in.Shape...)); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := cal.Ranges(Percentile, 99.99)
	if err != nil {
		t.Fatal(err)
	}
	fpath := writeModel(t, prep, "f.onnx")
	qm, rep, err := Quantize(prep, ranges, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	qpath := writeModel(t, qm, "q.onnx")
	mod, err := nn.Load(qpath, nil)
	if err != nil {
		t.Fatalf("ocellus cannot load the QDQ model: %v", err)
	}
	g := mod.Graph()
	ops := map[string]int{}
	convs, qconvs := 0, 0
	for _, nd := range g.Nodes {
		ops[nd.Op.String()]++
		if nd.Op != graph.OpConv {
			continue
		}
		convs++
		if g.Tensors[nd.Inputs[0]].Quant != nil {
			qconvs++
		}
	}
	var counts []string
	for k, v := range ops {
		counts = append(counts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(counts)
	t.Logf("%s\ncompiled ops: %s; %d of %d convs int8", rep, strings.Join(counts, ", "), qconvs, convs)
	if convs == 0 || qconvs < convs*9/10 {
		t.Errorf("%d of %d compiled convs read a quantized input: the QDQ model does not run int8", qconvs, convs)
	}
	// What still runs in float: the consumers of each Dequantize.
	readers := map[int][]string{}
	for _, nd := range g.Nodes {
		for _, id := range nd.Inputs {
			if id >= 0 {
				readers[id] = append(readers[id], nd.Op.String())
			}
		}
	}
	for _, nd := range g.Nodes {
		if nd.Op == graph.OpDequantize {
			t.Logf("float after Dequantize %q: %v", nd.Name, readers[nd.Outputs[0]])
		}
	}
	evalBatch := imageBatch(t, spec, evalFiles)
	want := runOcellus(t, fpath, in.Name, evalBatch)
	got := runOcellus(t, qpath, in.Name, evalBatch)
	d, s := maxDiff(want, got)
	t.Logf("int8 vs float on %d images: max |Δ| %.3f, max |y| %.3f", len(evalFiles), d, s)
	if d > 0.2*s {
		t.Errorf("int8 outputs differ from float by %g (max |y| %g)", d, s)
	}
	if fa, qa := argmaxRows(want, len(evalFiles)), argmaxRows(got, len(evalFiles)); fmt.Sprint(fa) != fmt.Sprint(qa) {
		t.Logf("top-1 float %v, int8 %v", fa, qa)
	}
}

// TestFloatFirstLast: Config.FloatFirst/FloatLast keep the first conv and
// the classifier MatMul float (report, QDQ graph, compiled ocellus graph),
// and the model still matches the float one.
func TestFloatFirstLast(t *testing.T) {
	if err := (Config{Method: MinMax, Percentile: 99, Bins: 512, FloatLast: -1}).Validate(); err == nil {
		t.Error("FloatLast -1 accepted")
	}
	src := loadShared(t, "st_mobilenet_v2_0.35_128_flowers.onnx")
	prep, err := Prepare(src)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := NewCalibrator(prep, 512, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := cal.Model().Inputs()[0]
	spec := preprocess.DefaultSpec()
	spec.Height, spec.Width = in.Shape[2], in.Shape[3]
	files := []string{fixture.Path(t, "images", "cat.jpg"), fixture.Path(t, "images", "grace_hopper.jpg")}
	b := imageBatch(t, spec, files)
	n := spec.Len()
	for i := range files {
		if err := cal.Add(tensor.FromF32(b.F32[i*n:(i+1)*n], in.Shape...)); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := cal.Ranges(MinMax, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.FloatFirst, cfg.FloatLast = 1, 2 // the classifier here is MatMul then Add (bias)
	qm, rep, err := Quantize(prep, ranges, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", rep)
	if rep.Float["Conv"] != 1 || rep.Float["MatMul"] != 1 || rep.Float["Add"] != 1 || rep.Quantized["MatMul"] != 0 {
		t.Errorf("report %v / float %v: want the first Conv, the MatMul and its bias Add float", rep.Quantized, rep.Float)
	}
	if outputScale(qm) != 0 {
		t.Error("the logits are still quantized")
	}
	mod, err := nn.Load(writeModel(t, qm, "q.onnx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := mod.Graph()
	var convIn []bool
	for _, nd := range g.Nodes {
		if nd.Op == graph.OpConv {
			convIn = append(convIn, g.Tensors[nd.Inputs[0]].Quant != nil)
		}
	}
	if len(convIn) < 2 || convIn[0] || !convIn[1] {
		t.Errorf("compiled convs int8 %v: want the first float, the next int8", convIn)
	}
	want := runOcellus(t, writeModel(t, prep, "f.onnx"), in.Name, b)
	got := runOcellus(t, writeModel(t, qm, "q2.onnx"), in.Name, b)
	if d, s := maxDiff(want, got); d > 0.2*s {
		t.Errorf("int8 outputs differ from float by %g (max |y| %g)", d, s)
	}
}
