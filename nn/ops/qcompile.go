package ops

import "github.com/ocellus/ocellus/nn/graph"

// compileQuantized prepares an op on quantized tensors.
func compileQuantized(g *graph.Graph, n *graph.Node) (Op, error) {
	return nil, nodeErr(n, "int8 kernels for %v: %w", n.Op, ErrUnsupported)
}
