package ptq

import (
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/internal/ortpeer"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// sharedFloatModels are the float models of ../shared/models/onnx.
var sharedFloatModels = []string{
	"mobilenetv2-1.0-imagenet-dequant.onnx",
	"mobilenet_v2_random.onnx",
	"mobilenet_v3_small_random.onnx",
	"efficientnet_b0_random.onnx",
	"st_mobilenet_v2_0.35_128_flowers.onnx",
	"st_mobilenet_v2_0.5_128_person.onnx",
	"mnist-8.onnx",
}

func loadShared(t *testing.T, name string) *onnxpb.Model {
	t.Helper()
	b, err := os.ReadFile(fixture.Path(t, "models", "onnx", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnxpb.DecodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSharedModels: on every shared float model, Prepare keeps the outputs
// (ocellus runs both; BatchNorm folded in the torchvision and ST models),
// and Quantize gives every Conv quantized inputs, int8 weights and a
// quantized output.
func TestSharedModels(t *testing.T) {
	for _, name := range sharedFloatModels {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(name, "st_") && name != "mnist-8.onnx" {
				t.Skip("-short: the 224×224 models run in the full test")
			}
			src := loadShared(t, name)
			prep, err := Prepare(src)
			if err != nil {
				t.Fatal(err)
			}
			if c := opCounts(prep.Graph); c["BatchNormalization"] != 0 || c["Identity"] != 0 {
				t.Errorf("prepared ops %v: BatchNormalization or Identity left", c)
			}
			cal, err := NewCalibrator(prep, 512, nil)
			if err != nil {
				t.Fatal(err)
			}
			in := cal.Model().Inputs()[0]
			rng := rand.New(rand.NewSource(1))
			x := randInput(rng, -1, 1, in.Shape...)
			want := runNN(t, src, x)[0]
			got := runNN(t, prep, x)[0]
			if d, s := maxDiff(want.F32, got.F32); d > 1e-4*max(1, s) {
				t.Errorf("prepared model differs by %g (max |y| %g)", d, s)
			}
			if err := cal.Add(randInput(rng, -1, 1, in.Shape...)); err != nil {
				t.Fatal(err)
			}
			ranges, err := cal.Ranges(Percentile, 99.99)
			if err != nil {
				t.Fatal(err)
			}
			qm, rep, err := Quantize(prep, ranges, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			q := newQGraph(t, qm.Graph)
			convs := 0
			for _, n := range qm.Graph.Nodes {
				if n.OpType != "Conv" {
					continue
				}
				convs++
				q.activationDQ(n.Inputs[0], n.Name+" input")
				if w := q.prod[n.Inputs[1]]; w == nil || w.OpType != "DequantizeLinear" || q.inits[w.Inputs[0]].DataType != onnxpb.DataTypeInt8 {
					t.Errorf("%s: weights are not int8 through DequantizeLinear", n.Name)
				}
				if cs := q.cons[n.Outputs[0]]; len(cs) != 1 || cs[0].OpType != "QuantizeLinear" {
					t.Errorf("%s: output not quantized", n.Name)
				}
			}
			if convs == 0 || rep.Quantized["Conv"] != convs {
				t.Errorf("%d convs, report %v", convs, rep.Quantized)
			}
			t.Logf("%s", rep)
		})
	}
}

// TestSharedModelInORT: ONNX Runtime runs the prepared MobileNetV2 like the
// original, and the quantized one on its own random inputs close to the
// float model (skips without the peer).
func TestSharedModelInORT(t *testing.T) {
	bin := ortpeer.Find(t)
	src := loadShared(t, "mobilenetv2-1.0-imagenet-dequant.onnx")
	prep, err := Prepare(src)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := NewCalibrator(prep, 512, nil)
	if err != nil {
		t.Fatal(err)
	}
	// ortrun's random input: uniform in [-1, 1), the same range calibrated here.
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 4; i++ {
		if err := cal.Add(randInput(rng, -1, 1, 1, 3, 224, 224)); err != nil {
			t.Fatal(err)
		}
	}
	ranges, err := cal.Ranges(MinMax, 0)
	if err != nil {
		t.Fatal(err)
	}
	qm, _, err := Quantize(prep, ranges, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	fl := ortpeer.Run(t, bin, writeModel(t, prep, "f.onnx"), nil)
	x := fl["input"]
	qo := ortpeer.Run(t, bin, writeModel(t, qm, "q.onnx"), map[string]*npy.Array{"input": x})["output"].F32
	fo := fl["output"].F32
	// Prepare keeps the function: ORT gives the original model the same outputs.
	orig := ortpeer.Run(t, bin, fixture.Path(t, "models", "onnx", "mobilenetv2-1.0-imagenet-dequant.onnx"),
		map[string]*npy.Array{"input": x})["output"].F32
	if d, s := maxDiff(orig, fo); d > 1e-4*s {
		t.Errorf("ORT: prepared model differs from the original by %g", d)
	}
	// The float model in ocellus agrees with ORT on the same input.
	got := runNN(t, prep, tensor.FromF32(x.F32, x.Shape...))[0].F32
	if d, s := maxDiff(fo, got); d > 1e-3*s {
		t.Errorf("ocellus float vs ORT float: %g", d)
	}
	d, s := maxDiff(fo, qo)
	t.Logf("ORT int8 vs float on ortrun's random input: max |Δ| %.3f, max |y| %.3f", d, s)
	if d > 0.25*s {
		t.Errorf("int8 output differs from float by %g (max |y| %g)", d, s)
	}
}
