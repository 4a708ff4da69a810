// Package graph is ocellus's intermediate representation: a closed set of
// ops (OpKind), a typed params struct per op, tensors named by integer ids,
// and nodes in topological order.
//
// Layout convention: spatial ops (Conv, Pool, GlobalAvgPool, BatchNorm) are
// channels-last: an activation is [N, spatial..., C] (NHWC for images).
// Importers convert channels-first models when they build the graph, so the
// runtime never transposes between layers.
package graph

import (
	"fmt"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/tensor"
)

// OpKind names an op of the IR.
type OpKind uint8

// The ops of the IR. Each has a params type (see the *Params structs).
const (
	OpInvalid        OpKind = iota
	OpConv                  // ConvParams; inputs x, w [OC][k...][C/G] (const), bias [OC] (const, optional)
	OpBatchNorm             // BatchNormParams; inputs x, scale, bias, mean, var (consts), channel = last axis
	OpBatchNormTrain        // BatchNormParams; as OpBatchNorm with batch statistics; outputs y, running mean, running var
	OpUnary                 // UnaryParams
	OpBinary                // BinaryParams; numpy broadcasting
	OpDense                 // DenseParams; inputs x [M,K], w [K,N] (const), bias [N] (const, optional)
	OpMatMul                // no params; numpy matmul of two runtime tensors
	OpPool                  // PoolParams; outputs y and optionally indices (int64)
	OpGlobalAvgPool         // no params; [N, spatial..., C] → [N, 1..., C]
	OpSoftmax               // SoftmaxParams
	OpTranspose             // TransposeParams
	OpReshape               // no params: the output shape is the tensor's shape
	OpConcat                // ConcatParams
	OpPad                   // PadParams
	OpReduceMean            // ReduceParams
	OpGather                // GatherParams; inputs data, indices (int64)
	OpResize                // ResizeParams
	OpCast                  // no params: converts to the output tensor's dtype
	OpIdentity              // no params; copies (outputs: y, optional bool mask filled with true for Dropout)
	OpQuantize              // float32 → quantized, or quantized → quantized with other parameters (requantize)
	OpDequantize            // quantized (int8, uint8, int32) → float32
	// OpConvInteger is ONNX ConvInteger: ConvParams (Act none); inputs x
	// (int8/uint8), w [OC][k...][C/G] (int8/uint8 const), x zero point
	// (scalar, optional), w zero point (const, 1 or OC values, optional);
	// output int32 accumulators.
	OpConvInteger
	// OpMatMulInteger is ONNX MatMulInteger: numpy matmul of int8/uint8 a
	// and b minus zero points (optional inputs 2 and 3: per tensor, per row
	// of a, per column of b); output int32.
	OpMatMulInteger
	// OpDynamicQuantize is ONNX DynamicQuantizeLinear: float32 x → uint8 y,
	// float32 scale [], uint8 zero point [] computed from x's range.
	OpDynamicQuantize
	numOps
)

var opNames = [...]string{"Invalid", "Conv", "BatchNorm", "BatchNormTrain", "Unary", "Binary", "Dense", "MatMul",
	"Pool", "GlobalAvgPool", "Softmax", "Transpose", "Reshape", "Concat", "Pad", "ReduceMean", "Gather",
	"Resize", "Cast", "Identity", "Quantize", "Dequantize", "ConvInteger", "MatMulInteger", "DynamicQuantize"}

func (k OpKind) String() string {
	if int(k) < len(opNames) {
		return opNames[k]
	}
	return fmt.Sprintf("op(%d)", uint8(k))
}

// Params is implemented by the typed params struct of each op.
type Params interface{ params() }

// ConvParams are the attributes of an N-d channels-last convolution.
// Spatial slices have one entry per spatial axis.
type ConvParams struct {
	Strides, Dilations []int
	PadBegin, PadEnd   []int
	Groups             int
	Act                kernels.Act // fused activation
}

// BatchNormParams: y = (x - mean) / sqrt(var + Epsilon) * scale + bias.
type BatchNormParams struct {
	Epsilon  float32
	Momentum float32 // OpBatchNormTrain only
}

// UnaryParams is an elementwise activation.
type UnaryParams struct{ Act kernels.Act }

// BinaryParams is an elementwise arithmetic op with an optional fused activation.
type BinaryParams struct {
	Op  kernels.BinOp
	Act kernels.Act
}

// DenseParams is a fully connected layer with a fused activation.
type DenseParams struct{ Act kernels.Act }

// PoolKind is max or average pooling.
type PoolKind uint8

// Pool kinds.
const (
	MaxPool PoolKind = iota
	AvgPool
)

// PoolParams are the attributes of an N-d channels-last pooling.
type PoolParams struct {
	Kind                       PoolKind
	Kernel, Strides, Dilations []int
	PadBegin, PadEnd           []int
	CountIncludePad            bool
	CeilMode                   bool // output size rounds up (ONNX ceil_mode)
	// IndicesColMajor numbers max-pool indices with the spatial axes in
	// column-major order (ONNX storage_order=1).
	IndicesColMajor bool
}

// SoftmaxParams: softmax over Axis (non-negative), or over all axes from
// Axis on when ToEnd is set (ONNX opset < 13 semantics).
type SoftmaxParams struct {
	Axis  int
	ToEnd bool
}

// TransposeParams: output axis i is input axis Perm[i].
type TransposeParams struct{ Perm []int }

// ConcatParams: concatenation along Axis (non-negative).
type ConcatParams struct{ Axis int }

// PadParams: per-axis padding (negative crops).
type PadParams struct {
	Begin, End []int
	Mode       kernels.PadMode
	Value      float64
}

// ReduceParams: mean over Axes (sorted, unique, non-negative).
type ReduceParams struct {
	Axes     []int
	KeepDims bool
}

// GatherParams: gather along Axis (non-negative).
type GatherParams struct{ Axis int }

// ResizeParams wraps the kernel's resize description.
type ResizeParams struct{ kernels.ResizeParams }

func (*ConvParams) params()      {}
func (*BatchNormParams) params() {}
func (*UnaryParams) params()     {}
func (*BinaryParams) params()    {}
func (*DenseParams) params()     {}
func (*PoolParams) params()      {}
func (*SoftmaxParams) params()   {}
func (*TransposeParams) params() {}
func (*ConcatParams) params()    {}
func (*PadParams) params()       {}
func (*ReduceParams) params()    {}
func (*GatherParams) params()    {}
func (*ResizeParams) params()    {}

// Quant describes an affine-quantized integer tensor:
// real = Scale[c] · (q − ZeroPoint[c]), per tensor (one scale) or per
// channel along Axis.
type Quant struct {
	Scale     []float32
	ZeroPoint []int32
	Axis      int
	// Shifted marks an int8 tensor holding a source model's uint8 values
	// minus 128 (zero points moved likewise). The numbers are the same;
	// kernels whose rounding depends on the source domain (TFLite average
	// pooling, ONNX Runtime's QLinearAdd) need to know.
	Shifted bool
}

// PerTensor reports whether q has a single scale and zero point (true for
// nil: no parameters along any axis).
func (q *Quant) PerTensor() bool { return q == nil || len(q.Scale) == 1 }

// Equal reports whether q and r describe the same quantization.
func (q *Quant) Equal(r *Quant) bool {
	if q == nil || r == nil {
		return q == r
	}
	if len(q.Scale) != len(r.Scale) || len(q.ZeroPoint) != len(r.ZeroPoint) || q.Axis != r.Axis && !q.PerTensor() || q.Shifted != r.Shifted {
		return false
	}
	for i := range q.Scale {
		if q.Scale[i] != r.Scale[i] {
			return false
		}
	}
	for i := range q.ZeroPoint {
		if q.ZeroPoint[i] != r.ZeroPoint[i] {
			return false
		}
	}
	return true
}

// Tensor describes one value of the graph. Const is set for weights and
// folded constants; Quant for quantized integer tensors.
type Tensor struct {
	Name  string
	DType tensor.DType
	Shape []int
	Const *tensor.Tensor
	Quant *Quant
}

// QuantStyle is the arithmetic quantized ops follow, which differs between
// the runtimes models come from.
type QuantStyle uint8

// Quantization styles.
const (
	// QuantONNX follows ONNX Runtime (MLAS): float requantization scales,
	// rounding half to even.
	QuantONNX QuantStyle = iota
	// QuantTFLite follows the TFLite quantization specification:
	// fixed-point multipliers, rounding half away from zero.
	QuantTFLite
)

// Node is one op application. Inputs and Outputs are tensor ids; -1 marks
// an absent optional input or output.
type Node struct {
	Name    string
	Op      OpKind
	Params  Params
	Inputs  []int
	Outputs []int
}

// Graph is a model: tensors, nodes in topological order, and the ids of the
// graph inputs and outputs.
type Graph struct {
	Tensors []Tensor
	Nodes   []Node
	Inputs  []int
	Outputs []int
	// QuantStyle says how quantized ops round.
	QuantStyle QuantStyle
}

// AddTensor appends a tensor and returns its id.
func (g *Graph) AddTensor(t Tensor) int {
	g.Tensors = append(g.Tensors, t)
	return len(g.Tensors) - 1
}

// AddConst appends a constant tensor and returns its id.
func (g *Graph) AddConst(name string, c *tensor.Tensor) int {
	return g.AddTensor(Tensor{Name: name, DType: c.DType, Shape: append([]int(nil), c.Shape...), Const: c})
}

// Validate checks the structure: ids in range, every non-constant tensor
// produced exactly once before it is read (topological order), graph inputs
// not produced by nodes, params of the right type.
func (g *Graph) Validate() error {
	produced := make([]bool, len(g.Tensors))
	for _, id := range g.Inputs {
		if id < 0 || id >= len(g.Tensors) {
			return fmt.Errorf("graph: input id %d out of range", id)
		}
		if g.Tensors[id].Const != nil {
			return fmt.Errorf("graph: input %q is a constant", g.Tensors[id].Name)
		}
		produced[id] = true
	}
	for i := range g.Tensors {
		t := &g.Tensors[i]
		if t.Const != nil {
			if t.Const.DType != t.DType || tensor.NumElems(t.Const.Shape) != tensor.NumElems(t.Shape) {
				return fmt.Errorf("graph: constant %q is %v, declared %v%v", t.Name, t.Const, t.DType, t.Shape)
			}
			produced[i] = true
		}
	}
	for ni := range g.Nodes {
		n := &g.Nodes[ni]
		if n.Op == OpInvalid || n.Op >= numOps {
			return fmt.Errorf("graph: node %q: invalid op %v", n.Name, n.Op)
		}
		if err := checkParams(n); err != nil {
			return err
		}
		for _, id := range n.Inputs {
			if id == -1 {
				continue
			}
			if id < 0 || id >= len(g.Tensors) {
				return fmt.Errorf("graph: node %q (%v): input id %d out of range", n.Name, n.Op, id)
			}
			if !produced[id] {
				return fmt.Errorf("graph: node %q (%v): input %q is read before it is produced", n.Name, n.Op, g.Tensors[id].Name)
			}
		}
		for _, id := range n.Outputs {
			if id == -1 {
				continue
			}
			if id < 0 || id >= len(g.Tensors) {
				return fmt.Errorf("graph: node %q (%v): output id %d out of range", n.Name, n.Op, id)
			}
			if produced[id] {
				return fmt.Errorf("graph: node %q (%v): output %q is produced twice", n.Name, n.Op, g.Tensors[id].Name)
			}
			produced[id] = true
		}
	}
	for _, id := range g.Outputs {
		if id < 0 || id >= len(g.Tensors) {
			return fmt.Errorf("graph: output id %d out of range", id)
		}
		if !produced[id] {
			return fmt.Errorf("graph: output %q is never produced", g.Tensors[id].Name)
		}
	}
	return nil
}

func checkParams(n *Node) error {
	ok := false
	switch n.Op {
	case OpConv, OpConvInteger:
		_, ok = n.Params.(*ConvParams)
	case OpBatchNorm, OpBatchNormTrain:
		_, ok = n.Params.(*BatchNormParams)
	case OpUnary:
		_, ok = n.Params.(*UnaryParams)
	case OpBinary:
		_, ok = n.Params.(*BinaryParams)
	case OpDense:
		_, ok = n.Params.(*DenseParams)
	case OpPool:
		_, ok = n.Params.(*PoolParams)
	case OpSoftmax:
		_, ok = n.Params.(*SoftmaxParams)
	case OpTranspose:
		_, ok = n.Params.(*TransposeParams)
	case OpConcat:
		_, ok = n.Params.(*ConcatParams)
	case OpPad:
		_, ok = n.Params.(*PadParams)
	case OpReduceMean:
		_, ok = n.Params.(*ReduceParams)
	case OpGather:
		_, ok = n.Params.(*GatherParams)
	case OpResize:
		_, ok = n.Params.(*ResizeParams)
	default:
		ok = n.Params == nil
	}
	if !ok {
		return fmt.Errorf("graph: node %q: op %v has params of type %T", n.Name, n.Op, n.Params)
	}
	return nil
}

// Consumers returns, for each tensor id, the indices of the nodes reading it.
func (g *Graph) Consumers() [][]int {
	c := make([][]int, len(g.Tensors))
	for ni, n := range g.Nodes {
		for _, id := range n.Inputs {
			if id >= 0 {
				c[id] = append(c[id], ni)
			}
		}
	}
	return c
}

// IsOutput reports whether tensor id is a graph output.
func (g *Graph) IsOutput(id int) bool {
	for _, o := range g.Outputs {
		if o == id {
			return true
		}
	}
	return false
}
