// Package ops implements the IR ops: shape inference (Infer), preparation
// (Compile: checks, weight packing — the only step that returns errors) and
// execution (Op.Run: no allocation, no goroutines).
package ops

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// ErrShape is wrapped by shape and dtype mismatches found at load time.
var ErrShape = errors.New("shape mismatch")

// ErrUnsupported is wrapped when an op is used with a configuration the
// runtime does not implement.
var ErrUnsupported = errors.New("unsupported")

// Exec is the per-session execution context handed to every Op.Run.
type Exec struct {
	// Scratch holds at least the largest ScratchLen of the session's ops.
	Scratch []float32
}

// Op is a compiled node. It is immutable after Compile and may be shared by
// sessions running concurrently, each with its own Exec and tensors.
type Op interface {
	Run(x *Exec, in, out []*tensor.Tensor)
	// ScratchLen is the number of float32 scratch values Run needs.
	ScratchLen() int
}

// Packer is an Op that copied the data of some constant inputs into its
// own packed form at Compile and never reads those inputs when it runs.
type Packer interface {
	// PackedInputs lists the input positions.
	PackedInputs() []int
}

func nodeErr(n *graph.Node, format string, args ...any) error {
	return fmt.Errorf("node %q (%v): "+format, append([]any{n.Name, n.Op}, args...)...)
}

func in(g *graph.Graph, n *graph.Node, i int) *graph.Tensor {
	if i >= len(n.Inputs) || n.Inputs[i] < 0 {
		return nil
	}
	return &g.Tensors[n.Inputs[i]]
}

func out(g *graph.Graph, n *graph.Node, i int) *graph.Tensor {
	if i >= len(n.Outputs) || n.Outputs[i] < 0 {
		return nil
	}
	return &g.Tensors[n.Outputs[i]]
}

// setOut sets output i's dtype and shape, or checks them against what an
// importer already declared.
func setOut(g *graph.Graph, n *graph.Node, i int, dt tensor.DType, shape []int) error {
	o := out(g, n, i)
	if o == nil {
		return nil
	}
	if o.DType != tensor.Invalid && o.Shape == nil && o.DType == dt {
		o.Shape = append([]int(nil), shape...) // dtype declared, shape left to inference
		return nil
	}
	if o.DType != tensor.Invalid {
		if o.DType != dt || !slices.Equal(o.Shape, shape) {
			return nodeErr(n, "output %q declared %v%v, computed %v%v: %w", o.Name, o.DType, o.Shape, dt, shape, ErrShape)
		}
		return nil
	}
	o.DType = dt
	o.Shape = append([]int(nil), shape...)
	return nil
}

func needInputs(g *graph.Graph, n *graph.Node, min, max int) error {
	if len(n.Inputs) < min || len(n.Inputs) > max {
		return nodeErr(n, "has %d inputs, want %d to %d", len(n.Inputs), min, max)
	}
	for i := 0; i < min; i++ {
		if in(g, n, i) == nil {
			return nodeErr(n, "input %d is missing", i)
		}
	}
	return nil
}

func needF32(n *graph.Node, t *graph.Tensor) error {
	if t.DType != tensor.Float32 {
		return nodeErr(n, "input %q is %v, want float32: %w", t.Name, t.DType, ErrUnsupported)
	}
	return nil
}
