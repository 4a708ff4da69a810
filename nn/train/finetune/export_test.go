package finetune

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/internal/ortpeer"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
	"github.com/ocellus/ocellus/store"
)

// bnModel is a small NCHW classifier with unfolded BatchNorm in its tail:
// Conv3×3(4) → BN → Relu → Conv1×1(6, no bias) → BN → Clip(0,6) →
// GlobalAveragePool → Flatten → Gemm(5 classes, transB) → Softmax.
func bnModel(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 3))
	u := func(n int, lo, hi float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(lo + (hi-lo)*rng.Float64())
		}
		return v
	}
	b := newONNX("image", 1, 3, 8, 8)
	pads := intsAttr("pads", 1, 1, 1, 1)
	c1 := b.node("Conv", "conv1", []*onnxpb.Attribute{intsAttr("kernel_shape", 3, 3), pads}, "image",
		b.init("conv1.w", u(4*3*9, -0.5, 0.5), 4, 3, 3, 3), b.init("conv1.b", u(4, -0.1, 0.1), 4))
	bn := func(name, x string, c int) string {
		return b.node("BatchNormalization", name, nil, x, b.init(name+".g", u(c, 0.5, 1.5), int64(c)), b.init(name+".b", u(c, -0.2, 0.2), int64(c)),
			b.init(name+".m", u(c, -0.2, 0.2), int64(c)), b.init(name+".v", u(c, 0.5, 1.5), int64(c)))
	}
	r1 := b.node("Relu", "relu1", nil, bn("bn1", c1, 4))
	c2 := b.node("Conv", "conv2", nil, r1, b.init("conv2.w", u(6*4, -0.8, 0.8), 6, 4, 1, 1))
	cl := b.node("Clip", "clip2", nil, bn("bn2", c2, 6), b.init("lo", []float32{0}), b.init("hi", []float32{6}))
	gap := b.node("GlobalAveragePool", "gap", nil, cl)
	flat := b.node("Flatten", "flat", nil, gap)
	fc := b.node("Gemm", "fc", []*onnxpb.Attribute{intAttr("transB", 1)}, flat, b.init("fc.w", u(5*6, -1, 1), 5, 6), b.init("fc.b", u(5, -0.1, 0.1), 5))
	return b.output(b.node("Softmax", "prob", []*onnxpb.Attribute{intAttr("axis", 1)}, fc))
}

// synthBlob makes a BlobFormat blob for base as Run would store it, with
// the tail's parameters (cut) moved off the base's by noise·(their
// largest |value|) at random.
func synthBlob(t testing.TB, base string, classes []string, cut train.Cut, noise float64) []byte {
	t.Helper()
	raw, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	m, err := nn.Load(base, train.LoadOptions())
	if err != nil {
		t.Fatal(err)
	}
	g, err := train.ReplaceHead(m.Graph(), train.HeadConfig{Classes: len(classes), Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	s, err := train.SplitAt(g, cut)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := train.NewTail(s, train.TailOptions{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, p := range tail.Params() {
		mx := 0.0
		for _, v := range p.Value {
			mx = math.Max(mx, math.Abs(float64(v)))
		}
		for i := range p.Value {
			p.Value[i] += float32((2*rng.Float64() - 1) * noise * math.Max(mx, 0.1))
		}
	}
	spec := preprocess.DefaultSpec()
	blob, err := encodeBlob(tail, BlobHeader{BaseModel: filepath.Base(base), BaseSHA256: hex.EncodeToString(sum[:]),
		Classes: classes, HeadSeed: 9, Preprocess: spec.String(), CutNode: cut.Node, LastLayers: cut.LastLayers})
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// compareExport exports blob, loads the result with our importer and
// checks that it gives LoadModel's outputs (within 1e-5 of the largest
// |output|) on the images; with OCELLUS_ORTRUN set, ONNX Runtime too.
// It returns the exported bytes.
func compareExport(t *testing.T, blob []byte, base string, spec preprocess.Spec, images []*preprocess.RGB8) []byte {
	t.Helper()
	out, err := ExportONNX(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := writeFile(t, dir, "exported.onnx", out)
	em, err := nn.Load(path, nil)
	if err != nil {
		t.Fatalf("our importer on the exported model: %v", err)
	}
	lm, h, err := LoadModel(blob, base)
	if err != nil {
		t.Fatal(err)
	}
	if s := em.Outputs()[0].Shape; len(s) != 2 || s[1] != len(h.Classes) {
		t.Fatalf("exported output shape %v, want [1 %d]", s, len(h.Classes))
	}
	if n := em.Outputs()[0].Name; n != train.HeadOutput {
		t.Errorf("exported output is %q, want %q", n, train.HeadOutput)
	}
	if fmt.Sprint(em.Inputs()[0].Shape) != fmt.Sprint(lm.Inputs()[0].Shape) {
		t.Fatalf("exported input %v, base %v", em.Inputs()[0].Shape, lm.Inputs()[0].Shape)
	}
	es, ls := em.NewSession(), lm.NewSession()
	defer es.Close()
	defer ls.Close()
	x := tensor.New(tensor.Float32, lm.Inputs()[0].Shape...)
	var inputs [][]float32
	var want [][]float32
	worst := 0.0
	for _, img := range images {
		spec.Apply(img, x.F32)
		inputs = append(inputs, append([]float32(nil), x.F32...))
		a, err := es.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		ao := append([]float32(nil), a[0].F32...)
		b, err := ls.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		bo := b[0].F32
		d := relDiff(ao, bo)
		worst = math.Max(worst, d)
		want = append(want, append([]float32(nil), bo...))
	}
	t.Logf("exported vs LoadModel: max |diff| / max |output| = %.3g over %d images", worst, len(images))
	if !(worst <= 1e-5) {
		t.Errorf("exported model differs from LoadModel by %.3g of the largest output, want ≤ 1e-5", worst)
	}
	if ort := os.Getenv("OCELLUS_ORTRUN"); ort != "" {
		compareORT(t, ort, path, em.Inputs()[0], em.Outputs()[0].Name, inputs, want)
	} else {
		t.Log("OCELLUS_ORTRUN not set: ONNX Runtime comparison skipped")
	}
	return out
}

func relDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d, mx := 0.0, 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		mx = math.Max(mx, math.Abs(float64(b[i])))
	}
	return d / math.Max(mx, 1e-30)
}

// compareORT runs the exported model with ONNX Runtime (ortrun) on each
// input and checks its outputs against want.
func compareORT(t *testing.T, ortrun, model string, in nn.IOSpec, out string, inputs, want [][]float32) {
	t.Helper()
	worstAbs, worst := 0.0, 0.0
	for i, x := range inputs {
		res := ortpeer.Run(t, ortrun, model, map[string]*npy.Array{in.Name: {DType: "float32", Shape: in.Shape, F32: x}})
		o, ok := res[out]
		if !ok {
			t.Fatalf("ortrun %s wrote no output %q", model, out)
		}
		got := o.F32
		d := relDiff(got, want[i])
		worst = math.Max(worst, d)
		for j := range got {
			worstAbs = math.Max(worstAbs, math.Abs(float64(got[j])-float64(want[i][j])))
		}
	}
	t.Logf("ONNX Runtime vs LoadModel: max abs diff %.3g, relative %.3g over %d images", worstAbs, worst, len(inputs))
	if !(worst <= 1e-5) {
		t.Errorf("ONNX Runtime differs from LoadModel by %.3g of the largest output, want ≤ 1e-5", worst)
	}
}

func randomImages(n int) []*preprocess.RGB8 {
	rng := rand.New(rand.NewPCG(5, 6))
	var out []*preprocess.RGB8
	for range n {
		w, h := 9+rng.IntN(20), 9+rng.IntN(20)
		img := &preprocess.RGB8{W: w, H: h, Pix: make([]uint8, 3*w*h)}
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(256))
		}
		out = append(out, img)
	}
	return out
}

// TestExportTiny: a tiny base with BatchNorm in the trained tail (the last
// two layers: conv2 and the head), synthetic trained weights.
func TestExportTiny(t *testing.T) {
	base := writeFile(t, t.TempDir(), "bn.onnx", bnModel(1))
	spec := tinySpec(t)
	classes := []string{"a", "b", "c"}
	blob := synthBlob(t, base, classes, train.Cut{LastLayers: 2}, 0.3)
	out := compareExport(t, blob, base, spec, randomImages(6))
	// The trained weights matter: the untouched tail gives other outputs.
	{
		em := loadBytes(t, out, nil)
		um, _, err := LoadModel(synthBlob(t, base, classes, train.Cut{LastLayers: 2}, 0), base)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(tensor.Float32, em.Inputs()[0].Shape...)
		spec.Apply(randomImages(1)[0], x.F32)
		a, _ := em.NewSession().Run(x)
		b, _ := um.NewSession().Run(x)
		if d := relDiff(a[0].F32, b[0].F32); d < 1e-2 {
			t.Errorf("exported model differs from the untrained tail by %.3g only: the trained weights were not written", d)
		}
	}

	om, err := onnxpb.DecodeModel(out)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, n := range om.Graph.Nodes {
		ops[n.OpType]++
	}
	// BatchNorm kept, the old classifier and Softmax gone, one new Gemm.
	if ops["BatchNormalization"] != 2 || ops["Softmax"] != 0 || ops["Gemm"] != 1 || ops["Flatten"] != 2 {
		t.Errorf("exported ops %v, want 2 BatchNormalization, no Softmax, 1 Gemm, 2 Flatten", ops)
	}
	for _, in := range om.Graph.Initializers {
		if in.Name == "fc.w" || in.Name == "conv2.w" {
			t.Errorf("exported model keeps the replaced initializer %q", in.Name)
		}
	}
	meta := map[string]string{}
	for _, e := range om.MetadataProps {
		meta[e.Key] = e.Value
	}
	var got []string
	if err := json.Unmarshal([]byte(meta[MetaClasses]), &got); err != nil || strings.Join(got, ",") != "a,b,c" {
		t.Errorf("metadata %s = %q (%v), want the classes", MetaClasses, meta[MetaClasses], err)
	}
	if meta[MetaPreprocess] == "" {
		t.Errorf("no %s metadata", MetaPreprocess)
	}

	// A trained version from Run on the same base (phase 2 at a high
	// learning rate so the tail's convolution really moves).
	st := colourStore(t, map[store.Split]map[string][]string{
		store.Train: {"red": repeat("red", 4), "green": repeat("green", 4), "blue": repeat("blue", 4)},
		store.Val:   {"red": repeat("red", 2), "green": repeat("green", 2), "blue": repeat("blue", 2)},
	})
	res, err := Run(context.Background(), st, Config{ModelPath: base, Spec: &spec, HeadEpochs: 5, Epochs: 5, LR: 0.05, Phase2: true, UnfreezeLast: 2, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := st.ModelBlob(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	compareExport(t, rb, base, spec, randomImages(3))
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	base := writeFile(t, dir, "bn.onnx", bnModel(1))
	other := writeFile(t, dir, "other.onnx", bnModel(2))
	blob := synthBlob(t, base, []string{"a", "b"}, train.Cut{LastLayers: 2}, 0.1)
	for _, c := range []struct {
		name string
		blob []byte
		base string
		want string
	}{
		{"wrong base", blob, other, "SHA-256"},
		{"missing base", blob, filepath.Join(dir, "nope.onnx"), "nope.onnx"},
		{"truncated blob", blob[:len(blob)-4], base, "truncated"},
		{"not a blob", []byte("hello"), base, "header"},
	} {
		_, err := ExportONNX(c.blob, c.base)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	// A blob whose tail does not match the base's (a different cut).
	h, vals, err := DecodeBlob(blob)
	if err != nil {
		t.Fatal(err)
	}
	h.LastLayers = 1
	hb, _ := json.Marshal(h)
	bad := append(append(hb, '\n'), blob[bytes.IndexByte(blob, '\n')+1:]...)
	if _, err := ExportONNX(bad, base); err == nil || !strings.Contains(err.Error(), "tensors") {
		t.Errorf("mismatched cut: error %v, want one about the tensors (%d in the blob)", err, len(vals))
	}
}

// TestExportMobileNetV2: the shared ImageNet MobileNetV2 (BatchNorm folded
// in the file) and a MobileNetV2 with BatchNorm nodes in its last block,
// each with a synthetic trained last block and head, on real images.
func TestExportMobileNetV2(t *testing.T) {
	if testing.Short() {
		t.Skip("real models: skipped with -short")
	}
	var images []*preprocess.RGB8
	for _, n := range []string{"cat.jpg", "grace_hopper.jpg", "hot_dog.jpg", "parrot.jpg"} {
		img, err := preprocess.DecodeFile(fixture.Path(t, "images", n))
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, img)
	}
	for _, name := range []string{"mobilenetv2-1.0-imagenet-dequant.onnx", "mobilenet_v2_random.onnx"} {
		t.Run(name, func(t *testing.T) {
			base := fixture.Path(t, "models", "onnx", name)
			blob := synthBlob(t, base, []string{"ants", "bees"}, train.Cut{LastLayers: 5}, 0.05)
			out := compareExport(t, blob, base, preprocess.DefaultSpec(), images)
			om, err := onnxpb.DecodeModel(out)
			if err != nil {
				t.Fatal(err)
			}
			bns := 0
			for _, n := range om.Graph.Nodes {
				if n.OpType == "BatchNormalization" {
					bns++
				}
			}
			t.Logf("exported %d bytes, %d nodes, %d BatchNormalization", len(out), len(om.Graph.Nodes), bns)
		})
	}
}
