package ops

import (
	"strings"
	"testing"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestCompileRejectsBadWeightScale: an int8 fully connected layer in TFLite
// arithmetic whose weight scale is 0 (a corrupt model) fails to compile with
// an error naming the node, for per-tensor uint8 (legacy) and per-channel
// int8 weights; it used to compile with a zero requantization.
func TestCompileRejectsBadWeightScale(t *testing.T) {
	for _, shifted := range []bool{true, false} {
		g := &graph.Graph{QuantStyle: graph.QuantTFLite}
		q := func(s float32) *graph.Quant {
			return &graph.Quant{Scale: []float32{s}, ZeroPoint: []int32{0}, Shifted: shifted}
		}
		x := g.AddTensor(graph.Tensor{Name: "x", DType: tensor.Int8, Shape: []int{1, 4}, Quant: q(0.1)})
		wq := q(0)
		if !shifted {
			wq = &graph.Quant{Scale: []float32{0.02, 0, 0.03}, ZeroPoint: []int32{0, 0, 0}}
		}
		w := g.AddConst("w", tensor.New(tensor.Int8, 3, 4))
		g.Tensors[w].Quant = wq
		y := g.AddTensor(graph.Tensor{Name: "y", DType: tensor.Int8, Shape: []int{1, 3}, Quant: q(0.1)})
		n := graph.Node{Name: "fc", Op: graph.OpDense, Params: &graph.DenseParams{}, Inputs: []int{x, w, -1}, Outputs: []int{y}}
		_, err := Compile(g, &n)
		if err == nil || !strings.Contains(err.Error(), `"fc"`) {
			t.Errorf("shifted %v: Compile = %v, want an error naming node \"fc\"", shifted, err)
		}
	}
}
