package onnxpb

import (
	"errors"
	"github.com/ocellus/ocellus/internal/fixture"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedModels are small valid models for the fuzz corpora: tinyModel, a
// few minimal ones, and the smallest ONNX node-test models when the shared
// fixtures are present.
func seedModels() [][]byte {
	seeds := [][]byte{
		tinyModel().Marshal(),
		(&Model{IRVersion: 3, OpsetImports: []*OperatorSetID{{Version: 8}}, Graph: &Graph{
			Nodes:   []*Node{{Inputs: []string{"x"}, Outputs: []string{"y"}, OpType: "Relu"}},
			Inputs:  []*ValueInfo{{Name: "x", Type: tensorType(DataTypeFloat, 1, 3)}},
			Outputs: []*ValueInfo{{Name: "y", Type: tensorType(DataTypeFloat, 1, 3)}},
		}}).Marshal(),
		{},
	}
	root := fixture.Dir()
	for _, d := range []string{"test_conv_with_strides_padding", "test_gemm_all_attributes", "test_quantizelinear", "test_reshape_extended_dims"} {
		if b, err := os.ReadFile(filepath.Join(root, "onnx-node-tests", "node", d, "model.onnx")); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

func FuzzDecodeModel(f *testing.F) {
	for _, s := range seedModels() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeModel(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnsupported", err)
			}
			if !strings.HasPrefix(err.Error(), "onnxpb: ") {
				t.Fatalf("error %q lacks the onnxpb: prefix", err)
			}
			return
		}
		m2, err := DecodeModel(m.Marshal())
		if err != nil {
			t.Fatalf("re-encoded model does not decode: %v", err)
		}
		if d := sameBits(m, m2); d != "" {
			t.Fatalf("decode(encode(m)) != m at Model%s", d)
		}
		if m.Graph != nil {
			exercise(m.Graph)
		}
	})
}

// exercise calls the typed accessors and attribute helpers on everything in
// g; they may fail but must not panic.
func exercise(g *Graph) {
	for _, x := range g.Initializers {
		readAny(x)
	}
	for _, n := range g.Nodes {
		for _, a := range n.Attributes {
			n.AttrInt(a.Name, 0)
			n.AttrFloat(a.Name, 0)
			n.AttrString(a.Name, "")
			n.AttrInts(a.Name, nil)
			n.AttrFloats(a.Name, nil)
			n.AttrStrings(a.Name)
			if x, err := n.AttrTensor(a.Name); err == nil && x != nil {
				readAny(x)
			}
			if sub, err := n.AttrGraph(a.Name); err == nil && sub != nil {
				exercise(sub)
			}
			for _, sub := range a.Graphs {
				exercise(sub)
			}
		}
	}
}

func FuzzDecodeTensor(f *testing.F) {
	for _, x := range tinyModel().Graph.Initializers {
		f.Add(x.Marshal())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeTensor(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		y, err := DecodeTensor(x.Marshal())
		if err != nil {
			t.Fatalf("re-encoded tensor does not decode: %v", err)
		}
		if d := sameBits(x, y); d != "" {
			t.Fatalf("decode(encode(t)) != t at Tensor%s", d)
		}
		if n, err := readAny(x); err == nil && n >= 0 {
			if want, _ := x.NumElements(); n != want {
				t.Fatalf("read %d elements, dims say %d", n, want)
			}
		}
	})
}
