// Package toonnx converts float TFLite models into ordinary float ONNX
// models (opset 13), so that ONNX tools — ocellus's post-training quantizer
// nn/ptq first of all — can work on them.
//
// The ONNX model is channels-first inside, as an ONNX exporter would write
// it: the NHWC image input is kept as the graph input and transposed once to
// NCHW before the first convolution; filters are transposed at conversion
// (CONV_2D [O,KH,KW,I] → [O,I,KH,KW], DEPTHWISE_CONV_2D [1,KH,KW,C·M] →
// [C·M,1,KH,KW] with group C); TensorFlow's SAME padding becomes explicit
// pads computed from the static shapes; fused activations become Relu or
// Clip nodes. An op whose meaning depends on the memory order (RESHAPE,
// SQUEEZE, FULLY_CONNECTED's flattening, SOFTMAX over the last axis) reads
// its rank-4 input transposed back to NHWC first, and the graph outputs are
// NHWC, so the converted model computes what the TFLite model computes on
// the same NHWC input. An AVERAGE_POOL_2D whose window covers the whole
// image without padding (how Keras classifiers end) becomes
// GlobalAveragePool, which the int8 runtimes quantize.
//
// Covered: CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D,
// FULLY_CONNECTED, RESHAPE, SQUEEZE, SOFTMAX, ADD, SUB, MUL, DIV, RELU,
// RELU6, LOGISTIC, HARD_SWISH (HardSigmoid·x: HardSwish is opset 14), MEAN,
// PAD, PADV2, CONCATENATION, TRANSPOSE. Quantized models are refused
// (ErrQuantized): ocellus runs them natively.
package toonnx

import (
	"fmt"
	"strings"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
)

// Opset is the ONNX opset version of the converted models.
const Opset = 13

// maxElems bounds any one tensor of the model.
const maxElems = 1 << 28

// value is a TFLite tensor as the converter tracks it: its NHWC shape and
// the ONNX values holding it in each layout ("" while not made).
type value struct {
	shape      []int
	nhwc, nchw string
	konst      bool
}

type converter struct {
	m      *fb.Model
	sg     *fb.Subgraph
	g      *onnxpb.Graph
	vals   []value
	names  map[string]bool
	isOut  map[int32]bool
	scalar map[float32]string
}

// ToONNX converts a serialized float TFLite model (its main subgraph) into
// an opset-13 ONNX model with the same inputs and outputs (names, NHWC
// shapes). Errors wrap ErrQuantized, ErrUnsupported (naming the operator
// and its index), ErrInvalid, or the decoder's errors.
func ToONNX(b []byte) (*onnxpb.Model, error) {
	m, err := fb.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("toonnx: %w", err)
	}
	if len(m.Subgraphs) == 0 {
		return nil, fmt.Errorf("toonnx: no subgraphs: %w", ErrInvalid)
	}
	c := &converter{m: m, sg: &m.Subgraphs[0], g: &onnxpb.Graph{Name: "tflite"},
		names: map[string]bool{}, isOut: map[int32]bool{}, scalar: map[float32]string{}}
	if c.sg.Name != "" {
		c.g.Name = c.sg.Name
	}
	if err := c.checkTensors(); err != nil {
		return nil, fmt.Errorf("toonnx: %w", err)
	}
	for _, ti := range c.sg.Outputs {
		c.isOut[ti] = true
	}
	for _, ti := range c.sg.Inputs {
		if err := c.addInput(ti); err != nil {
			return nil, fmt.Errorf("toonnx: input: %w", err)
		}
	}
	for oi := range c.sg.Operators {
		op := &c.sg.Operators[oi]
		code := m.OpCode(op)
		if code == nil {
			return nil, fmt.Errorf("toonnx: operator %d: opcode index %d out of range: %w", oi, op.OpcodeIndex, ErrInvalid)
		}
		name := code.BuiltinCode.String()
		if code.BuiltinCode == fb.OpCustom {
			name = "CUSTOM:" + code.CustomCode
		}
		if err := c.convert(code.BuiltinCode, op); err != nil {
			return nil, fmt.Errorf("toonnx: operator %d (%s): %w", oi, name, err)
		}
	}
	for _, ti := range c.sg.Outputs {
		if err := c.addOutput(ti); err != nil {
			return nil, fmt.Errorf("toonnx: output: %w", err)
		}
	}
	return &onnxpb.Model{
		IRVersion:    7,
		ProducerName: "ocellus toonnx",
		DocString:    m.Description,
		Graph:        c.g,
		OpsetImports: []*onnxpb.OperatorSetID{{Version: Opset}},
	}, nil
}

// checkTensors refuses quantized and unsupported tensor types and checks
// every shape, so that later steps can trust them.
func (c *converter) checkTensors() error {
	c.vals = make([]value, len(c.sg.Tensors))
	for i := range c.sg.Tensors {
		t := &c.sg.Tensors[i]
		switch t.Type {
		case fb.TypeFloat32:
			if t.Quantization.Quantized() {
				return fmt.Errorf("tensor %q is FLOAT32 with quantization parameters: %w", t.Name, ErrQuantized)
			}
		case fb.TypeInt8, fb.TypeUint8, fb.TypeInt16, fb.TypeInt4, fb.TypeUint16:
			return fmt.Errorf("tensor %q is %s: %w", t.Name, t.Type, ErrQuantized)
		case fb.TypeInt32, fb.TypeInt64:
			// shapes, axes, paddings
		default:
			return fmt.Errorf("tensor %q has type %s: %w", t.Name, t.Type, ErrUnsupported)
		}
		if t.Sparse {
			return fmt.Errorf("tensor %q is sparse: %w", t.Name, ErrUnsupported)
		}
		n, ok := t.NumElements()
		if !ok || n > maxElems {
			return fmt.Errorf("tensor %q has shape %v: %w", t.Name, t.Shape, ErrInvalid)
		}
		c.vals[i].shape = make([]int, len(t.Shape))
		for k, d := range t.Shape {
			c.vals[i].shape[k] = int(d)
		}
		c.vals[i].konst = len(t.Data(c.m)) > 0
	}
	return nil
}

func (c *converter) tensorAt(ti int32) (*fb.Tensor, error) {
	if ti < 0 || int(ti) >= len(c.sg.Tensors) {
		return nil, fmt.Errorf("tensor index %d out of range: %w", ti, ErrInvalid)
	}
	return &c.sg.Tensors[ti], nil
}

// unique returns base, or base with a suffix, never handed out before.
func (c *converter) unique(base string) string {
	if base == "" {
		base = "t"
	}
	name := base
	for k := 1; c.names[name]; k++ {
		name = fmt.Sprintf("%s_%d", base, k)
	}
	c.names[name] = true
	return name
}

func tensorName(t *fb.Tensor, ti int32) string {
	if t.Name == "" {
		return fmt.Sprintf("tensor%d", ti)
	}
	return t.Name
}

func valueInfo(name string, shape []int) *onnxpb.ValueInfo {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	return onnxpb.TensorValueInfo(name, onnxpb.DataTypeFloat, dims...)
}

func (c *converter) addInput(ti int32) error {
	t, err := c.tensorAt(ti)
	if err != nil {
		return err
	}
	if c.vals[ti].konst {
		return nil // a constant listed as input
	}
	if t.Type != fb.TypeFloat32 {
		return fmt.Errorf("input %q is %s, want FLOAT32: %w", t.Name, t.Type, ErrUnsupported)
	}
	if c.vals[ti].nhwc != "" {
		return fmt.Errorf("input %q listed twice: %w", t.Name, ErrInvalid)
	}
	name := c.unique(tensorName(t, ti))
	c.g.Inputs = append(c.g.Inputs, valueInfo(name, c.vals[ti].shape))
	c.vals[ti].nhwc = name
	return nil
}

func (c *converter) addOutput(ti int32) error {
	t, err := c.tensorAt(ti)
	if err != nil {
		return err
	}
	v := &c.vals[ti]
	if v.nhwc == "" && v.nchw == "" {
		return fmt.Errorf("output %q is not computed by any operator: %w", t.Name, ErrUnsupported)
	}
	name, err := c.nhwcOf(ti)
	if err != nil {
		return err
	}
	for _, o := range c.g.Outputs {
		if o.Name == name {
			return fmt.Errorf("output %q listed twice: %w", t.Name, ErrUnsupported)
		}
	}
	c.g.Outputs = append(c.g.Outputs, valueInfo(name, v.shape))
	return nil
}

// outName names the ONNX value an operator writes for TFLite tensor ti. A
// graph output written channels-first gets a suffix: its own name is kept
// for the NHWC value the graph returns.
func (c *converter) outName(ti int32, nchw bool) string {
	t := &c.sg.Tensors[ti]
	base := tensorName(t, ti)
	if nchw && c.isOut[ti] && len(c.vals[ti].shape) == 4 {
		base += "/nchw"
	}
	return c.unique(base)
}

func (c *converter) node(op string, ins, outs []string, attrs ...*onnxpb.Attribute) {
	c.g.Nodes = append(c.g.Nodes, &onnxpb.Node{OpType: op, Name: outs[0] + "/" + op, Inputs: ins, Outputs: outs, Attributes: attrs})
}

func ints(name string, v ...int) *onnxpb.Attribute {
	a := &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInts}
	for _, x := range v {
		a.Ints = append(a.Ints, int64(x))
	}
	return a
}

func intAttr(name string, v int) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInt, I: int64(v)}
}

func floatAttr(name string, v float32) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeFloat, F: v}
}

// initF32 adds a float initializer and returns its name.
func (c *converter) initF32(base string, shape []int, data []float32) string {
	name := c.unique(base)
	t := &onnxpb.Tensor{Name: name, DataType: onnxpb.DataTypeFloat, FloatData: data}
	t.Dims = make([]int64, len(shape))
	for i, d := range shape {
		t.Dims[i] = int64(d)
	}
	c.g.Initializers = append(c.g.Initializers, t)
	return name
}

// initI64 adds a 1-D int64 initializer and returns its name.
func (c *converter) initI64(base string, data []int64) string {
	name := c.unique(base)
	c.g.Initializers = append(c.g.Initializers, &onnxpb.Tensor{Name: name, DataType: onnxpb.DataTypeInt64,
		Dims: []int64{int64(len(data))}, Int64Data: data})
	return name
}

// scalarF32 returns a shared scalar float initializer.
func (c *converter) scalarF32(v float32) string {
	if n, ok := c.scalar[v]; ok {
		return n
	}
	n := c.initF32(strings.ReplaceAll(fmt.Sprintf("const_%g", v), "+", ""), nil, []float32{v})
	c.scalar[v] = n
	return n
}

// floats returns the data of constant float tensor ti.
func (c *converter) floats(ti int32) ([]float32, []int, error) {
	t, err := c.tensorAt(ti)
	if err != nil {
		return nil, nil, err
	}
	if !c.vals[ti].konst {
		return nil, nil, fmt.Errorf("tensor %q must be constant: %w", t.Name, ErrUnsupported)
	}
	d, err := t.Float32s(c.m)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return d, c.vals[ti].shape, nil
}

// intConst returns the data of constant integer tensor ti.
func (c *converter) intConst(ti int32) ([]int64, error) {
	t, err := c.tensorAt(ti)
	if err != nil {
		return nil, err
	}
	if !c.vals[ti].konst {
		return nil, fmt.Errorf("tensor %q must be constant: %w", t.Name, ErrUnsupported)
	}
	switch t.Type {
	case fb.TypeInt32:
		v, err := t.Int32s(c.m)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		out := make([]int64, len(v))
		for i, x := range v {
			out[i] = int64(x)
		}
		return out, nil
	case fb.TypeInt64:
		v, err := t.Int64s(c.m)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("tensor %q is %s, want an integer constant: %w", t.Name, t.Type, ErrInvalid)
}

// Axis permutations between the layouts: toNCHW[i] is the NHWC axis at
// NCHW position i; nchwPos[a] is the NCHW position of NHWC axis a.
var (
	toNCHW  = [4]int{0, 3, 1, 2}
	toNHWC  = [4]int{0, 2, 3, 1}
	nchwPos = [4]int{0, 2, 3, 1}
)

// permute returns data of the given shape with its axes permuted: axis i of
// the result is axis perm[i] of the input.
func permute(data []float32, shape, perm []int) ([]float32, []int) {
	r := len(shape)
	out := make([]float32, len(data))
	oshape := make([]int, r)
	for i, p := range perm {
		oshape[i] = shape[p]
	}
	stride := make([]int, r) // input strides
	s := 1
	for i := r - 1; i >= 0; i-- {
		stride[i] = s
		s *= shape[i]
	}
	idx := make([]int, r) // output index
	for k := range out {
		off := 0
		for i := range r {
			off += idx[i] * stride[perm[i]]
		}
		out[k] = data[off]
		for i := r - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < oshape[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out, oshape
}

// nhwcOf returns the ONNX value holding tensor ti in TFLite's own layout.
func (c *converter) nhwcOf(ti int32) (string, error) {
	t, err := c.tensorAt(ti)
	if err != nil {
		return "", err
	}
	v := &c.vals[ti]
	switch {
	case v.nhwc != "":
	case v.konst:
		if t.Type != fb.TypeFloat32 {
			return "", fmt.Errorf("tensor %q (%s) as an operand: %w", t.Name, t.Type, ErrUnsupported)
		}
		d, shape, err := c.floats(ti)
		if err != nil {
			return "", err
		}
		v.nhwc = c.initF32(tensorName(t, ti), shape, d)
	case v.nchw != "":
		v.nhwc = c.unique(tensorName(t, ti))
		c.node("Transpose", []string{v.nchw}, []string{v.nhwc}, ints("perm", toNHWC[:]...))
	default:
		return "", fmt.Errorf("tensor %q is read before any operator writes it: %w", t.Name, ErrInvalid)
	}
	return v.nhwc, nil
}

// nchwOf returns the ONNX value holding rank-4 tensor ti channels-first. A
// constant of lower rank is broadcast to rank 4 first (as an operand of an
// elementwise op with a rank-4 tensor).
func (c *converter) nchwOf(ti int32) (string, error) {
	t, err := c.tensorAt(ti)
	if err != nil {
		return "", err
	}
	v := &c.vals[ti]
	if v.nchw != "" {
		return v.nchw, nil
	}
	if len(v.shape) > 4 || len(v.shape) != 4 && !v.konst {
		return "", fmt.Errorf("tensor %q has shape %v, want rank 4: %w", t.Name, v.shape, ErrInvalid)
	}
	switch {
	case v.konst:
		if t.Type != fb.TypeFloat32 {
			return "", fmt.Errorf("tensor %q (%s) as an operand: %w", t.Name, t.Type, ErrUnsupported)
		}
		d, shape, err := c.floats(ti)
		if err != nil {
			return "", err
		}
		s4 := append(make([]int, 4-len(shape)), shape...)
		for i := range 4 - len(shape) {
			s4[i] = 1
		}
		pd, ps := permute(d, s4, toNCHW[:])
		v.nchw = c.initF32(tensorName(t, ti)+"/nchw", ps, pd)
	default:
		x, err := c.nhwcOf(ti)
		if err != nil {
			return "", err
		}
		v.nchw = c.unique(tensorName(t, ti) + "/nchw")
		c.node("Transpose", []string{x}, []string{v.nchw}, ints("perm", toNCHW[:]...))
	}
	return v.nchw, nil
}

// checkAct rejects fused activations the converter cannot express.
func checkAct(a fb.Activation) error {
	switch a {
	case fb.ActNone, fb.ActRelu, fb.ActRelu6, fb.ActReluN1To1:
		return nil
	}
	return fmt.Errorf("fused activation %v: %w", a, ErrUnsupported)
}

// preAct returns the name the operator itself should write: out when there
// is no fused activation, else a fresh name that emitAct reads.
func (c *converter) preAct(a fb.Activation, out string) string {
	if a == fb.ActNone {
		return out
	}
	return c.unique(out + "/pre_act")
}

// emitAct writes activation a of x into out (nothing when a is none).
func (c *converter) emitAct(a fb.Activation, x, out string) {
	switch a {
	case fb.ActRelu:
		c.node("Relu", []string{x}, []string{out})
	case fb.ActRelu6:
		c.node("Clip", []string{x, c.scalarF32(0), c.scalarF32(6)}, []string{out})
	case fb.ActReluN1To1:
		c.node("Clip", []string{x, c.scalarF32(-1), c.scalarF32(1)}, []string{out})
	}
}

// setOut records that ONNX value name holds tensor ti in the given layout.
func (c *converter) setOut(ti int32, name string, nchw bool) {
	if nchw {
		c.vals[ti].nchw = name
	} else {
		c.vals[ti].nhwc = name
	}
}

// output checks operator op's first output and returns its index.
func (c *converter) output(op *fb.Operator) (int32, error) {
	if len(op.Outputs) != 1 {
		return 0, fmt.Errorf("%d outputs, want 1: %w", len(op.Outputs), ErrInvalid)
	}
	ti := op.Outputs[0]
	t, err := c.tensorAt(ti)
	if err != nil {
		return 0, err
	}
	if c.vals[ti].konst || c.vals[ti].nhwc != "" || c.vals[ti].nchw != "" {
		return 0, fmt.Errorf("output %q is written twice or is a constant: %w", t.Name, ErrInvalid)
	}
	if t.Type != fb.TypeFloat32 {
		return 0, fmt.Errorf("output %q is %s: %w", t.Name, t.Type, ErrUnsupported)
	}
	return ti, nil
}

// inputs checks that op has at least n inputs, the first n present.
func inputs(op *fb.Operator, n int) error {
	if len(op.Inputs) < n {
		return fmt.Errorf("%d inputs, want %d: %w", len(op.Inputs), n, ErrInvalid)
	}
	for _, ti := range op.Inputs[:n] {
		if ti < 0 {
			return fmt.Errorf("required input missing: %w", ErrInvalid)
		}
	}
	return nil
}
