package opt

import (
	"slices"
	"testing"

	"github.com/ocellus/ocellus/nn/graph"
)

// TestRead: node inputs and graph outputs are read; a node's output that
// nothing reads, an optional (−1) input and an unused tensor are not.
func TestRead(t *testing.T) {
	g := &graph.Graph{
		Tensors: make([]graph.Tensor, 6),
		Nodes: []graph.Node{
			{Inputs: []int{0, 1, -1}, Outputs: []int{2}},
			{Inputs: []int{2}, Outputs: []int{3, 4}},
		},
		Inputs:  []int{0},
		Outputs: []int{3},
	}
	want := []bool{true, true, true, true, false, false}
	if got := Read(g); !slices.Equal(got, want) {
		t.Errorf("Read = %v, want %v", got, want)
	}
}
