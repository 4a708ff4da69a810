package nn_test

import (
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
)

// benchModels are the float models of ../shared/models/onnx.
var benchModels = []string{
	"mobilenet_v2_random.onnx", "efficientnet_b0_random.onnx", "mobilenet_v3_small_random.onnx",
	"mobilenetv2-1.0-imagenet-dequant.onnx", "st_mobilenet_v2_0.35_128_flowers.onnx",
	"st_mobilenet_v2_0.5_128_person.onnx", "mnist-8.onnx", "mobilenetv2-12-int8.onnx",
}

// BenchmarkSession measures one inference (ms/op) per shared model, in
// steady state (the session's arena is reused; 0 allocs/op expected).
func BenchmarkSession(b *testing.B) {
	for _, name := range benchModels {
		b.Run("model="+name, func(b *testing.B) {
			m, err := nn.Load(fixture.Path(b, "models", "onnx", name), nil)
			if err != nil {
				b.Fatal(err)
			}
			s := m.NewSession()
			x := randomInput(1, m.Inputs()[0])
			if _, err := s.Run(x); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Run(x)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/inference")
		})
	}
}

// BenchmarkLoad measures import + rewrite + compile (weight packing).
func BenchmarkLoad(b *testing.B) {
	for _, name := range benchModels[:3] {
		b.Run("model="+name, func(b *testing.B) {
			p := fixture.Path(b, "models", "onnx", name)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := nn.Load(p, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
