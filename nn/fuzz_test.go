package nn

import (
	"os"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/tflite"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
)

// FuzzONNXModel: an ONNX model that imports either fails to compile with
// an error or compiles and runs on a zero input; nothing panics.
//
//	go test -run '^$' -fuzz FuzzONNXModel -fuzztime 3m -fuzzminimizetime 2s ./nn
func FuzzONNXModel(f *testing.F) {
	if b, err := os.ReadFile(fixture.Dir() + "/models/onnx/mnist-8.onnx"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := onnx.Import(b, nil)
		if err != nil {
			return
		}
		if m, err := FromONNX(im, nil); err == nil {
			runZeros(m)
		}
	})
}

// runZeros runs m once on zero inputs of at most 1M elements each.
func runZeros(m *Model) {
	var xs []*tensor.Tensor
	for _, in := range m.Inputs() {
		if tensor.NumElems(in.Shape) > 1<<20 {
			return
		}
		xs = append(xs, tensor.New(in.DType, in.Shape...))
	}
	s := m.NewSession()
	defer s.Close()
	s.Run(xs...)
}

// FuzzTFLiteModel: a TFLite model that imports either fails to compile with
// an error or compiles and runs on a zero input; nothing panics.
//
//	go test -run '^$' -fuzz FuzzTFLiteModel -fuzztime 3m -fuzzminimizetime 2s ./nn
func FuzzTFLiteModel(f *testing.F) {
	f.Add(tflitetest.FloatOps())
	if b, err := os.ReadFile(fixture.Dir() + "/models/tflite/person_detect.tflite"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tm, err := tflite.Import(b)
		if err != nil {
			return
		}
		if m, err := FromTFLite(tm, nil); err == nil {
			runZeros(m)
		}
	})
}
