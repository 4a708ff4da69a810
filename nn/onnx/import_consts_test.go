package onnx

import (
	"testing"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/opt"
)

// TestImportKeepsOnlyReadConstants: a conv's OIHW initializer is replaced
// by its channels-last copy; the graph must not keep both (for a real model
// that is every weight twice while it is compiled).
func TestImportKeepsOnlyReadConstants(t *testing.T) {
	w := floatInit("w", []int64{3, 2, 3, 3}, 54)
	b := floatInit("b", []int64{3}, 3)
	unused := floatInit("unused", []int64{5}, 5)
	m, err := Import(tiny("Conv", nil, []*onnxpb.Tensor{w, b, unused}, []string{"x", "w", "b"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	read := opt.Read(g)
	consts := 0
	for id := range g.Tensors {
		if c := g.Tensors[id].Const; c != nil {
			consts += c.Len()
			if !read[id] {
				t.Errorf("constant %q %v is read by no node", g.Tensors[id].Name, g.Tensors[id].Shape)
			}
		}
	}
	if consts != 54+3 {
		t.Errorf("graph constants hold %d elements, want 57 (weights and bias once)", consts)
	}
}
