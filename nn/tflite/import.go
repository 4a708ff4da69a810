// Package tflite converts TFLite flatbuffer models into ocellus graphs.
//
// TFLite graphs are NHWC already, so no layout change is needed; quantized
// tensors keep TFLite's parameters (uint8 ones are held as int8 with the
// zero point moved by 128, as in the ONNX importer) and the graph follows
// the TFLite quantization specification (graph.QuantTFLite): fixed-point
// requantization, rounding half away from zero.
package tflite

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/ops"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
)

// ErrUnsupported is wrapped when a model uses an op, option or type the
// importer does not handle.
var ErrUnsupported = errors.New("unsupported")

// ErrInvalid is wrapped when a model is malformed.
var ErrInvalid = errors.New("invalid model")

const maxElems = 1 << 28

// IO describes a model input or output.
type IO struct {
	Name  string
	DType tensor.DType
	Shape []int
	Quant *graph.Quant // nil for float tensors
	ID    int
}

// Model is the result of an import.
type Model struct {
	Graph           *graph.Graph
	Inputs, Outputs []IO
	OpCounts        map[string]int
	Version         uint32
	Description     string
}

// ImportFile reads and imports a .tflite file; errors name the file.
func ImportFile(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Import(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

type importer struct {
	m      *fb.Model
	sg     *fb.Subgraph
	g      *graph.Graph
	ids    []int // TFLite tensor index → graph tensor id (-1: not yet)
	opName string
	seq    int
}

// Import converts a serialized TFLite model (its main subgraph).
func Import(b []byte) (*Model, error) {
	m, err := fb.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("tflite: %w", err)
	}
	if len(m.Subgraphs) == 0 {
		return nil, fmt.Errorf("tflite: no subgraphs: %w", ErrInvalid)
	}
	im := &importer{m: m, sg: &m.Subgraphs[0], g: &graph.Graph{QuantStyle: graph.QuantTFLite}}
	im.ids = make([]int, len(im.sg.Tensors))
	for i := range im.ids {
		im.ids[i] = -1
	}
	res := &Model{Graph: im.g, OpCounts: map[string]int{}, Version: m.Version, Description: m.Description}
	for _, ti := range im.sg.Inputs {
		t, err := im.tensorAt(ti)
		if err != nil {
			return nil, fmt.Errorf("tflite: input: %w", err)
		}
		if t.Buffer != 0 && len(m.Buffers[t.Buffer]) > 0 {
			continue // a constant listed as input
		}
		dt, q, err := im.typeOf(t)
		if err != nil {
			return nil, fmt.Errorf("tflite: input %q: %w", t.Name, err)
		}
		shape := dims(t.Shape)
		id := im.g.AddTensor(graph.Tensor{Name: t.Name, DType: dt, Shape: shape})
		im.g.Inputs = append(im.g.Inputs, id)
		res.Inputs = append(res.Inputs, IO{Name: t.Name, DType: dt, Shape: shape, Quant: q, ID: id})
		im.ids[ti] = id
		if dt == tensor.Uint8 && q != nil {
			// Work in int8: label the input, then shift it.
			im.g.Tensors[id].Quant = q
			sq := &graph.Quant{Scale: q.Scale, ZeroPoint: addAll(q.ZeroPoint, -128), Axis: q.Axis, Shifted: true}
			out, err := im.emit(graph.OpQuantize, nil, []int{id}, graph.Tensor{DType: tensor.Int8, Quant: sq})
			if err != nil {
				return nil, fmt.Errorf("tflite: input %q: %w", t.Name, err)
			}
			im.ids[ti] = out
		} else if dt == tensor.Int8 && q != nil {
			im.g.Tensors[id].Quant = q
		}
	}
	for oi := range im.sg.Operators {
		op := &im.sg.Operators[oi]
		code := m.OpCode(op)
		if code == nil {
			return nil, fmt.Errorf("tflite: operator %d: opcode index %d out of range: %w", oi, op.OpcodeIndex, ErrInvalid)
		}
		name := code.BuiltinCode.String()
		if code.BuiltinCode == fb.OpCustom {
			name = "CUSTOM:" + code.CustomCode
		}
		res.OpCounts[name]++
		im.opName = fmt.Sprintf("%d:%s", oi, name)
		if len(op.Outputs) > 0 && op.Outputs[0] >= 0 && int(op.Outputs[0]) < len(im.sg.Tensors) {
			im.opName = fmt.Sprintf("%s (%s)", im.sg.Tensors[op.Outputs[0]].Name, name)
		}
		if err := im.convert(code.BuiltinCode, op); err != nil {
			return nil, fmt.Errorf("tflite: operator %d %s: %w", oi, im.opName, err)
		}
	}
	for _, ti := range im.sg.Outputs {
		id, err := im.tensor(ti)
		if err != nil {
			return nil, fmt.Errorf("tflite: output: %w", err)
		}
		t := &im.sg.Tensors[ti]
		if q := im.g.Tensors[id].Quant; q != nil && q.Shifted && im.g.Tensors[id].DType == tensor.Int8 {
			q := im.g.Tensors[id].Quant
			uq := &graph.Quant{Scale: q.Scale, ZeroPoint: addAll(q.ZeroPoint, 128), Axis: q.Axis} // uint8 space
			if id, err = im.emit(graph.OpQuantize, nil, []int{id}, graph.Tensor{Name: t.Name, DType: tensor.Uint8, Quant: uq}); err != nil {
				return nil, fmt.Errorf("tflite: output %q: %w", t.Name, err)
			}
		}
		gt := im.g.Tensors[id]
		im.g.Outputs = append(im.g.Outputs, id)
		res.Outputs = append(res.Outputs, IO{Name: t.Name, DType: gt.DType, Shape: append([]int(nil), gt.Shape...), Quant: gt.Quant, ID: id})
	}
	opt.RemoveDead(im.g)
	if err := im.g.Validate(); err != nil {
		return nil, fmt.Errorf("tflite: internal error: %w", err)
	}
	return res, nil
}

func dims(s []int32) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

func addAll(v []int32, d int32) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = x + d
	}
	return out
}

func (im *importer) tensorAt(i int32) (*fb.Tensor, error) {
	if i < 0 || int(i) >= len(im.sg.Tensors) {
		return nil, fmt.Errorf("tensor index %d out of range: %w", i, ErrInvalid)
	}
	return &im.sg.Tensors[i], nil
}

// typeOf maps a TFLite tensor type and quantization. uint8 parameters are
// returned as stored (uint8 space); callers shift.
func (im *importer) typeOf(t *fb.Tensor) (tensor.DType, *graph.Quant, error) {
	var dt tensor.DType
	switch t.Type {
	case fb.TypeFloat32:
		dt = tensor.Float32
	case fb.TypeUint8:
		dt = tensor.Uint8
	case fb.TypeInt8:
		dt = tensor.Int8
	case fb.TypeInt32:
		dt = tensor.Int32
	case fb.TypeInt64:
		dt = tensor.Int64
	case fb.TypeBool:
		dt = tensor.Bool
	default:
		return 0, nil, fmt.Errorf("tensor %q has type %v: %w", t.Name, t.Type, ErrUnsupported)
	}
	if t.Sparse {
		return 0, nil, fmt.Errorf("tensor %q is sparse: %w", t.Name, ErrUnsupported)
	}
	if !t.Quantization.Quantized() || dt == tensor.Float32 {
		return dt, nil, nil
	}
	qp := t.Quantization
	if qp.DetailsType != 0 {
		return 0, nil, fmt.Errorf("tensor %q has custom quantization details: %w", t.Name, ErrUnsupported)
	}
	q := &graph.Quant{Scale: append([]float32(nil), qp.Scale...), Axis: int(qp.QuantizedDimension)}
	for i := range qp.Scale {
		z := int64(0)
		if i < len(qp.ZeroPoint) {
			z = qp.ZeroPoint[i]
		} else if len(qp.ZeroPoint) == 1 {
			z = qp.ZeroPoint[0]
		}
		if z < math.MinInt32 || z > math.MaxInt32 {
			return 0, nil, fmt.Errorf("tensor %q: zero point %d: %w", t.Name, z, ErrInvalid)
		}
		q.ZeroPoint = append(q.ZeroPoint, int32(z))
		if !(qp.Scale[i] > 0) {
			return 0, nil, fmt.Errorf("tensor %q: scale %g: %w", t.Name, qp.Scale[i], ErrInvalid)
		}
	}
	if len(q.Scale) == 1 {
		q.Axis = 0
	}
	return dt, q, nil
}

// tensor returns the graph id of TFLite tensor i, creating constants from
// buffers on first use. uint8 quantized constants become shifted int8.
func (im *importer) tensor(i int32) (int, error) {
	t, err := im.tensorAt(i)
	if err != nil {
		return 0, err
	}
	if id := im.ids[i]; id >= 0 {
		return id, nil
	}
	data := t.Data(im.m)
	if len(data) == 0 {
		return 0, fmt.Errorf("tensor %q is read before any operator writes it: %w", t.Name, ErrInvalid)
	}
	dt, q, err := im.typeOf(t)
	if err != nil {
		return 0, err
	}
	shape := dims(t.Shape)
	if err := tensor.CheckShape(shape, maxElems); err != nil {
		return 0, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	c := &tensor.Tensor{DType: dt, Shape: shape}
	switch dt {
	case tensor.Float32:
		c.F32, err = t.Float32s(im.m)
	case tensor.Uint8:
		c.U8, err = t.Uint8s(im.m)
	case tensor.Int8:
		c.I8, err = t.Int8s(im.m)
	case tensor.Int32:
		c.I32, err = t.Int32s(im.m)
	case tensor.Int64:
		c.I64, err = t.Int64s(im.m)
	default:
		err = fmt.Errorf("constant of type %v: %w", dt, ErrUnsupported)
	}
	if err != nil {
		return 0, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if c.Len() != tensor.NumElems(shape) {
		return 0, fmt.Errorf("tensor %q: %d values for shape %v: %w", t.Name, c.Len(), shape, ErrInvalid)
	}
	if dt == tensor.Uint8 && q != nil {
		s := tensor.New(tensor.Int8, shape...)
		for k, v := range c.U8 {
			s.I8[k] = int8(int32(v) - 128)
		}
		c, q = s, &graph.Quant{Scale: q.Scale, ZeroPoint: addAll(q.ZeroPoint, -128), Axis: q.Axis, Shifted: true}
	}
	id := im.g.AddConst(t.Name, c)
	im.g.Tensors[id].Quant = q
	im.ids[i] = id
	return id, nil
}

// outTensor declares TFLite tensor i as the output of the next node.
func (im *importer) outDecl(i int32) (graph.Tensor, error) {
	t, err := im.tensorAt(i)
	if err != nil {
		return graph.Tensor{}, err
	}
	dt, q, err := im.typeOf(t)
	if err != nil {
		return graph.Tensor{}, err
	}
	if dt == tensor.Uint8 && q != nil {
		dt, q = tensor.Int8, &graph.Quant{Scale: q.Scale, ZeroPoint: addAll(q.ZeroPoint, -128), Axis: q.Axis, Shifted: true}
	}
	return graph.Tensor{Name: t.Name, DType: dt, Quant: q}, nil
}

// emit adds a node (or folds it when all inputs are constant) and returns
// its first output.
func (im *importer) emit(op graph.OpKind, p graph.Params, inputs []int, outs ...graph.Tensor) (int, error) {
	im.seq++
	n := graph.Node{Name: fmt.Sprintf("%s#%d", im.opName, im.seq), Op: op, Params: p, Inputs: inputs}
	for i, t := range outs {
		if t.Name == "" {
			t.Name = fmt.Sprintf("%s:%d", n.Name, i)
		}
		n.Outputs = append(n.Outputs, im.g.AddTensor(t))
	}
	if err := ops.Infer(im.g, &n); err != nil {
		return 0, err
	}
	allConst := true
	for _, id := range inputs {
		if id >= 0 && im.g.Tensors[id].Const == nil {
			allConst = false
		}
	}
	if allConst {
		vals, err := ops.Eval(im.g, &n)
		if err != nil {
			return 0, err
		}
		for i, id := range n.Outputs {
			im.g.Tensors[id].Const = vals[i]
		}
	} else {
		im.g.Nodes = append(im.g.Nodes, n)
	}
	return n.Outputs[0], nil
}

// finish binds TFLite output tensor i to graph tensor id, reshaping when
// the op's natural shape differs from the declared one.
func (im *importer) finish(i int32, id int) error {
	t, err := im.tensorAt(i)
	if err != nil {
		return err
	}
	want := dims(t.Shape)
	got := im.g.Tensors[id].Shape
	if tensor.NumElems(want) != tensor.NumElems(got) {
		return fmt.Errorf("output %q: computed %v, model says %v: %w", t.Name, got, want, ErrInvalid)
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		gt := im.g.Tensors[id]
		if id, err = im.emit(graph.OpReshape, nil, []int{id}, graph.Tensor{Name: t.Name, DType: gt.DType, Shape: want, Quant: gt.Quant}); err != nil {
			return err
		}
	}
	im.ids[i] = id
	return nil
}

func act(a fb.Activation) (kernels.Act, error) {
	switch a {
	case fb.ActNone:
		return kernels.Act{}, nil
	case fb.ActRelu:
		return kernels.Act{Kind: kernels.ActRelu}, nil
	case fb.ActRelu6:
		return kernels.Act{Kind: kernels.ActClip, Min: 0, Max: 6}, nil
	case fb.ActReluN1To1:
		return kernels.Act{Kind: kernels.ActClip, Min: -1, Max: 1}, nil
	}
	return kernels.Act{}, fmt.Errorf("fused activation %v: %w", a, ErrUnsupported)
}

func (im *importer) inputs(op *fb.Operator, n int) ([]int, error) {
	if len(op.Inputs) < n {
		return nil, fmt.Errorf("%d inputs, want %d: %w", len(op.Inputs), n, ErrInvalid)
	}
	ids := make([]int, len(op.Inputs))
	for i, ti := range op.Inputs {
		if ti < 0 {
			ids[i] = -1
			continue
		}
		id, err := im.tensor(ti)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}
