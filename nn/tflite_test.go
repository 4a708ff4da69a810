package nn_test

import (
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
)

// topK returns the k best classes of a uint8 or float output.
func scoresOf(t *testing.T, out *tensor.Tensor, spec nn.IOSpec) []float32 {
	s := make([]float32, out.Len())
	switch out.DType {
	case tensor.Float32:
		copy(s, out.F32)
	case tensor.Uint8:
		for i, v := range out.U8 {
			s[i] = spec.Quant.Scale[0] * float32(int32(v)-spec.Quant.ZeroPoint[0])
		}
	case tensor.Int8:
		for i, v := range out.I8 {
			s[i] = spec.Quant.Scale[0] * float32(int32(v)-spec.Quant.ZeroPoint[0])
		}
	default:
		t.Fatalf("output dtype %v", out.DType)
	}
	return s
}

func inTopK(s []float32, class, k int) bool {
	better := 0
	for _, v := range s {
		if v > s[class] {
			better++
		}
	}
	return better < k
}

// TestTFLiteCoralLabels reproduces libcoral's classification tests
// (model_test_cases.bzl): cat.bmp resized bilinear (half-pixel) and fed as
// uint8, the expected class among the top 3 with at least the given score.
func TestTFLiteCoralLabels(t *testing.T) {
	cases := []struct {
		model    string
		class    int
		minScore float32
	}{
		{"mobilenet_v1_0.25_128_quant.tflite", 283, 0.25}, // tiger cat
		{"mobilenet_v2_1.0_224_quant.tflite", 286, 0.7},   // Egyptian cat
		{"tf2_mobilenet_v2_1.0_224_ptq.tflite", 286, 0.6}, // Egyptian cat
	}
	img, err := preprocess.DecodeFile(fixture.Path(t, "images", "cat.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		m, err := nn.Load(fixture.Path(t, "models", "tflite", c.model), nil)
		if err != nil {
			t.Fatal(err)
		}
		in := m.Inputs()[0]
		if in.DType != tensor.Uint8 {
			t.Fatalf("%s: input %v, want uint8", c.model, in.DType)
		}
		r := preprocess.ResizeRGB8(img, in.Shape[2], in.Shape[1], preprocess.BilinearHP)
		x := &tensor.Tensor{DType: tensor.Uint8, Shape: in.Shape, U8: r.Pix}
		s := m.NewSession()
		out, err := s.Run(x)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		sc := scoresOf(t, out[0], m.Outputs()[0])
		if !inTopK(sc, c.class, 3) || sc[c.class] < c.minScore {
			t.Errorf("%s: class %d score %.4f (top-3: %v), want top-3 with score >= %.2f", c.model, c.class, sc[c.class], inTopK(sc, c.class, 3), c.minScore)
		}
		t.Logf("%s: class %d score %.4f", c.model, c.class, sc[c.class])
	}
}

// TestTFLitePersonDetect reproduces tflite-micro's person_detection_test:
// the 8-bit grey bytes of each BMP copied unchanged into the int8 input;
// person.bmp must score person > notperson and no_person.bmp the reverse.
func TestTFLitePersonDetect(t *testing.T) {
	m, err := nn.Load(fixture.Path(t, "models", "tflite", "person_detect.tflite"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewSession()
	defer s.Close()
	for _, c := range []struct {
		image  string
		person bool
	}{{"person.bmp", true}, {"no_person.bmp", false}} {
		img, err := preprocess.DecodeFile(fixture.Path(t, "images", c.image))
		if err != nil {
			t.Fatal(err)
		}
		grey := img.Luma(nil)
		x := tensor.New(tensor.Int8, 1, 96, 96, 1)
		for i, v := range grey {
			x.I8[i] = int8(v) // memcpy of the bytes, as upstream does
		}
		out, err := s.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		sc := scoresOf(t, out[0], m.Outputs()[0])
		t.Logf("%s: notperson %.4f person %.4f", c.image, sc[0], sc[1])
		if (sc[1] > sc[0]) != c.person {
			t.Errorf("%s: notperson %.4f person %.4f", c.image, sc[0], sc[1])
		}
	}
}
