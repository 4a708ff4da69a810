// Package onnx converts ONNX models into ocellus graphs.
//
// The importer decodes the protobuf (package onnxpb), evaluates everything
// that is constant at load time (weights, the Shape/Gather/Concat arithmetic
// exporters emit), and converts channels-first (NCHW) regions to channels
// last (NHWC) as it goes: every value carries a permutation from its
// physical axes to the ONNX (logical) axes, layout-agnostic ops keep it,
// axis-taking ops remap their axes, and a transpose is emitted only where a
// value really has to change layout (normally nowhere inside a CNN).
package onnx

import (
	"errors"
	"fmt"
	"os"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/ops"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

// ErrUnsupported is wrapped when a model uses an op, attribute or type the
// importer does not handle.
var ErrUnsupported = errors.New("unsupported")

// ErrInvalid is wrapped when a model is malformed.
var ErrInvalid = errors.New("invalid model")

// maxElems bounds the size of any one tensor the importer will create.
const maxElems = 1 << 28

// Options adjust the import. The zero value (or nil) is the default.
type Options struct {
	// InputShapes sets the shape of named inputs, overriding the model's
	// declaration (e.g. a batch size). Symbolic dimensions default to 1.
	InputShapes map[string][]int
	// Constants freezes named graph inputs to the given values: the
	// model is specialized for them (shape, axes and pads inputs of ops
	// that need them at load time).
	Constants map[string]*tensor.Tensor
}

// NotConstError says that an op needs one of its inputs at load time and
// it is computed at run time. Input names the ONNX value; giving it in
// Options.Constants (if it is a graph input) resolves the error.
type NotConstError struct {
	Input, What string
}

func (e *NotConstError) Error() string {
	return fmt.Sprintf("%s (input %q) must be constant at load time", e.What, e.Input)
}

func (e *NotConstError) Unwrap() error { return ErrUnsupported }

// IO describes a model input or output.
type IO struct {
	Name  string
	DType tensor.DType
	// Shape is the shape in the ONNX model's own (logical) layout.
	Shape []int
	// Perm is the physical layout of the graph tensor: its axis i is
	// logical axis Perm[i]. Nil means the same layout as Shape.
	Perm []int
	// ID is the graph tensor id.
	ID int
}

// Model is the result of an import.
type Model struct {
	Graph           *graph.Graph
	Inputs, Outputs []IO
	// OpCounts counts the ONNX ops of the source graph by op type.
	OpCounts map[string]int
	Opset    int64
	Producer string
}

// ImportFile reads and imports an ONNX file. Errors name the file.
func ImportFile(path string, opts *Options) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := Import(b, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Import converts a serialized ONNX model.
func Import(b []byte, opts *Options) (*Model, error) {
	if opts == nil {
		opts = &Options{}
	}
	pm, err := onnxpb.DecodeModel(b)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if pm.Graph == nil {
		return nil, fmt.Errorf("onnx: model has no graph: %w", ErrInvalid)
	}
	im := &importer{g: &graph.Graph{QuantStyle: graph.QuantONNX}, values: map[string]value{}, opset: pm.Opset(""), opts: opts,
		twin: map[int]value{}, users: map[string][]*onnxpb.Node{},
		isGraphOutput: map[string]bool{}, done: map[*onnxpb.Node]bool{}}
	// Other opset domains may be imported; a node that uses one of them is
	// reported when it is converted.
	if im.opset == 0 {
		im.opset = 1
	}
	if im.opset > 25 {
		return nil, fmt.Errorf("onnx: opset %d is newer than supported (<= 25): %w", im.opset, ErrUnsupported)
	}
	res := &Model{Graph: im.g, OpCounts: map[string]int{}, Opset: im.opset, Producer: pm.ProducerName}
	if err := im.run(pm.Graph, res); err != nil {
		return nil, err
	}
	if err := im.g.Validate(); err != nil {
		return nil, fmt.Errorf("onnx: internal error: %w", err)
	}
	return res, nil
}

// value is an ONNX value as the importer tracks it: a graph tensor and the
// permutation from its physical axes to the logical (ONNX) axes.
type value struct {
	id   int
	perm []int // nil: physical == logical
}

type importer struct {
	g      *graph.Graph
	values map[string]value
	opset  int64
	opts   *Options
	node   *onnxpb.Node // the node being converted, for names
	seq    int

	// Quantized models (see quant.go).
	twin          map[int]value // float tensor made by DequantizeLinear → its quantized source
	users         map[string][]*onnxpb.Node
	isGraphOutput map[string]bool
	done          map[*onnxpb.Node]bool // QuantizeLinear nodes already folded into their producer
}

func (im *importer) run(pg *onnxpb.Graph, res *Model) error {
	for _, t := range pg.Initializers {
		c, err := TensorFromProto(t)
		if err != nil {
			return fmt.Errorf("onnx: initializer %q: %w", t.Name, err)
		}
		// The decoded model is the importer's own: its copy of the data
		// goes as soon as the tensor exists, so the file's weights are not
		// held twice while the rest is converted.
		releaseData(t)
		im.values[t.Name] = value{id: im.g.AddConst(t.Name, c)}
	}
	for _, vi := range pg.Inputs {
		if _, isInit := im.values[vi.Name]; isInit {
			continue
		}
		dt, shape, err := im.inputType(vi)
		if err != nil {
			return fmt.Errorf("onnx: input %q: %w", vi.Name, err)
		}
		if c, ok := im.opts.Constants[vi.Name]; ok {
			if c.DType != dt || len(c.Shape) != len(shape) {
				return fmt.Errorf("onnx: constant for input %q is %v, input is %v%v: %w", vi.Name, c, dt, shape, ErrInvalid)
			}
			im.values[vi.Name] = value{id: im.g.AddConst(vi.Name, c)}
			continue
		}
		id := im.g.AddTensor(graph.Tensor{Name: vi.Name, DType: dt, Shape: shape})
		im.g.Inputs = append(im.g.Inputs, id)
		im.values[vi.Name] = value{id: id}
		res.Inputs = append(res.Inputs, IO{Name: vi.Name, DType: dt, Shape: shape, ID: id})
	}
	for _, n := range pg.Nodes {
		for _, in := range n.Inputs {
			im.users[in] = append(im.users[in], n)
		}
	}
	for _, o := range pg.Outputs {
		im.isGraphOutput[o.Name] = true
	}
	for _, n := range pg.Nodes {
		im.node = n
		res.OpCounts[opName(n)]++
		if im.done[n] {
			continue
		}
		if err := im.convert(n); err != nil {
			name := n.Name
			if name == "" && len(n.Outputs) > 0 {
				name = n.Outputs[0]
			}
			return fmt.Errorf("onnx: node %q (%s): %w", name, opName(n), err)
		}
	}
	im.node = nil
	for _, vi := range pg.Outputs {
		v, ok := im.values[vi.Name]
		if !ok {
			return fmt.Errorf("onnx: output %q is not produced by any node: %w", vi.Name, ErrInvalid)
		}
		id, err := im.toPerm(v, nil)
		if err != nil {
			return fmt.Errorf("onnx: output %q: %w", vi.Name, err)
		}
		if im.isShifted(id) {
			// An ONNX uint8 output held as int8: shift back.
			q := im.g.Tensors[id].Quant
			uq := &graph.Quant{Scale: q.Scale, ZeroPoint: addAll(q.ZeroPoint, 128), Axis: q.Axis} // uint8 space
			ids, err := im.emitDeclared(graph.OpQuantize, nil, []int{id}, []graph.Tensor{{Name: vi.Name, DType: tensor.Uint8, Quant: uq}})
			if err != nil {
				return fmt.Errorf("onnx: output %q: %w", vi.Name, err)
			}
			id = ids[0]
		}
		t := im.g.Tensors[id]
		im.g.Outputs = append(im.g.Outputs, id)
		res.Outputs = append(res.Outputs, IO{Name: vi.Name, DType: t.DType, Shape: append([]int(nil), t.Shape...), ID: id})
	}
	im.absorbInputTransposes(res)
	opt.RemoveDead(im.g)
	dropUnusedConsts(im.g)
	return nil
}

// releaseData drops t's element data (it has been converted).
func releaseData(t *onnxpb.Tensor) {
	t.RawData, t.FloatData, t.DoubleData = nil, nil, nil
	t.Int32Data, t.Int64Data, t.Uint64Data, t.StringData = nil, nil, nil, nil
}

// dropUnusedConsts clears, in place, the value of every constant tensor
// that no node reads and that is not a graph output: initializers replaced
// by a converted copy (conv weights transposed to channels last, constants
// folded at load time) would otherwise stay in memory as long as the graph,
// i.e. a model's weights twice while it is compiled. Tensor ids do not
// change; the cleared tensors keep their name, type and shape (nn.FromONNX
// removes them from its copy).
func dropUnusedConsts(g *graph.Graph) {
	for id, used := range opt.Read(g) {
		if !used {
			g.Tensors[id].Const = nil
		}
	}
}

func opName(n *onnxpb.Node) string {
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return n.Domain + "." + n.OpType
	}
	return n.OpType
}

func (im *importer) inputType(vi *onnxpb.ValueInfo) (tensor.DType, []int, error) {
	if !vi.Type.IsTensor() {
		return 0, nil, fmt.Errorf("not a tensor: %w", ErrUnsupported)
	}
	dt, err := dtypeOf(vi.Type.Tensor.ElemType)
	if err != nil {
		return 0, nil, err
	}
	if s, ok := im.opts.InputShapes[vi.Name]; ok {
		if err := tensor.CheckShape(s, maxElems); err != nil {
			return 0, nil, err
		}
		return dt, append([]int(nil), s...), nil
	}
	if vi.Type.Tensor.Shape == nil {
		return 0, nil, fmt.Errorf("rank unknown; give its shape explicitly: %w", ErrInvalid)
	}
	var shape []int
	for _, d := range vi.Type.Tensor.Shape.Dims {
		switch {
		case d.HasValue && d.Value >= 0:
			shape = append(shape, int(d.Value))
		case d.HasValue:
			return 0, nil, fmt.Errorf("negative dimension %d: %w", d.Value, ErrInvalid)
		default:
			shape = append(shape, 1) // symbolic (batch) dimension
		}
	}
	if err := tensor.CheckShape(shape, maxElems); err != nil {
		return 0, nil, err
	}
	return dt, shape, nil
}

func dtypeOf(d onnxpb.DataType) (tensor.DType, error) {
	switch d {
	case onnxpb.DataTypeFloat:
		return tensor.Float32, nil
	case onnxpb.DataTypeUint8:
		return tensor.Uint8, nil
	case onnxpb.DataTypeInt8:
		return tensor.Int8, nil
	case onnxpb.DataTypeInt32:
		return tensor.Int32, nil
	case onnxpb.DataTypeInt64:
		return tensor.Int64, nil
	case onnxpb.DataTypeBool:
		return tensor.Bool, nil
	}
	return 0, fmt.Errorf("element type %v: %w", d, ErrUnsupported)
}

// TensorFromProto turns a TensorProto into a tensor. DOUBLE and FLOAT16 data
// become float32.
func TensorFromProto(t *onnxpb.Tensor) (*tensor.Tensor, error) {
	shape := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		if d < 0 || d > maxElems {
			return nil, fmt.Errorf("dimension %d out of range: %w", d, ErrInvalid)
		}
		shape[i] = int(d)
	}
	if err := tensor.CheckShape(shape, maxElems); err != nil {
		return nil, err
	}
	r := &tensor.Tensor{Shape: shape}
	var err error
	switch t.DataType {
	case onnxpb.DataTypeFloat:
		r.DType = tensor.Float32
		r.F32, err = t.Float32s()
	case onnxpb.DataTypeDouble:
		var f []float64
		f, err = t.Float64s()
		r.DType, r.F32 = tensor.Float32, make([]float32, len(f))
		for i, v := range f {
			r.F32[i] = float32(v)
		}
	case onnxpb.DataTypeFloat16:
		r.DType = tensor.Float32
		r.F32, err = t.Float16sAsFloat32()
	case onnxpb.DataTypeUint8:
		r.DType = tensor.Uint8
		r.U8, err = t.Uint8s()
	case onnxpb.DataTypeInt8:
		r.DType = tensor.Int8
		r.I8, err = t.Int8s()
	case onnxpb.DataTypeInt32:
		r.DType = tensor.Int32
		r.I32, err = t.Int32s()
	case onnxpb.DataTypeInt64:
		r.DType = tensor.Int64
		r.I64, err = t.Int64s()
	case onnxpb.DataTypeBool:
		r.DType = tensor.Bool
		r.Bool, err = t.Bools()
	default:
		return nil, fmt.Errorf("element type %v: %w", t.DataType, ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	if r.Len() == 0 {
		r = tensor.New(r.DType, shape...)
	}
	return r, nil
}

// ---- layout helpers ----

// logicalShape is v's shape in ONNX axis order.
func (im *importer) logicalShape(v value) []int {
	ps := im.g.Tensors[v.id].Shape
	if v.perm == nil {
		return append([]int(nil), ps...)
	}
	ls := make([]int, len(ps))
	for k, a := range v.perm {
		ls[a] = ps[k]
	}
	return ls
}

func (im *importer) dtype(v value) tensor.DType { return im.g.Tensors[v.id].DType }

func (im *importer) isConst(v value) bool { return im.g.Tensors[v.id].Const != nil }

// constOf returns v's constant value in logical layout, or nil.
func (im *importer) constOf(v value) *tensor.Tensor {
	c := im.g.Tensors[v.id].Const
	if c == nil || v.perm == nil {
		return c
	}
	return transposeConst(c, inverse(v.perm))
}

// transposeConst returns c transposed: output axis i is input axis perm[i].
func transposeConst(c *tensor.Tensor, perm []int) *tensor.Tensor { return c.Transposed(perm) }

func inverse(p []int) []int {
	q := make([]int, len(p))
	for i, a := range p {
		q[a] = i
	}
	return q
}

func identity(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

func normPerm(p []int) []int {
	for i, a := range p {
		if i != a {
			return p
		}
	}
	return nil
}

// channelsLast is the physical layout of a channels-first value of rank r
// stored channels last: [N, spatial..., C].
func channelsLast(r int) []int {
	p := []int{0}
	for i := 2; i < r; i++ {
		p = append(p, i)
	}
	return append(p, 1)
}

// physAxis is the physical axis holding logical axis a.
func physAxis(perm []int, a int) int {
	for k, x := range perm {
		if x == a {
			return k
		}
	}
	return a
}

// toPerm returns the id of a tensor holding v in layout target (nil:
// logical). It emits a transpose if the data has to move, a reshape if only
// unit axes move, nothing if the layout is already right.
func (im *importer) toPerm(v value, target []int) (int, error) {
	target = normPerm(target)
	src := v.perm
	r := len(im.g.Tensors[v.id].Shape)
	if src == nil {
		src = identity(r)
	}
	tgt := target
	if tgt == nil {
		tgt = identity(r)
	}
	if len(tgt) != r {
		return 0, fmt.Errorf("internal: layout %v for rank %d", target, r)
	}
	same := true
	for i := range src {
		if src[i] != tgt[i] {
			same = false
		}
	}
	if same {
		return v.id, nil
	}
	ls := im.logicalShape(v)
	tshape := make([]int, r)
	for k, a := range tgt {
		tshape[k] = ls[a]
	}
	// out axis i = logical tgt[i] = physical axis physAxis(src, tgt[i]).
	perm := make([]int, r)
	for i, a := range tgt {
		perm[i] = physAxis(src, a)
	}
	if movesOnlyUnitAxes(im.g.Tensors[v.id].Shape, perm) {
		ids, err := im.emitDeclared(graph.OpReshape, nil, []int{v.id}, []graph.Tensor{{DType: im.dtype(v), Shape: tshape}})
		if err != nil {
			return 0, err
		}
		return ids[0], nil
	}
	ids, err := im.emit(graph.OpTranspose, &graph.TransposeParams{Perm: perm}, []int{v.id}, 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// movesOnlyUnitAxes reports whether transposing shape by perm leaves the
// data in the same order (only size-1 axes move).
func movesOnlyUnitAxes(shape, perm []int) bool {
	last := -1
	for _, a := range perm {
		if shape[a] == 1 {
			continue
		}
		if a < last {
			return false
		}
		last = a
	}
	return true
}

// ---- emission ----

func (im *importer) newName() string {
	im.seq++
	base := "node"
	if im.node != nil {
		base = im.node.Name
		if base == "" && len(im.node.Outputs) > 0 {
			base = im.node.Outputs[0]
		}
	}
	return fmt.Sprintf("%s#%d", base, im.seq)
}

// emit adds a node with nOut fresh outputs whose shapes ops.Infer computes;
// a node whose inputs are all constant is evaluated now instead.
func (im *importer) emit(op graph.OpKind, p graph.Params, inputs []int, nOut int) ([]int, error) {
	outs := make([]graph.Tensor, nOut)
	return im.emitDeclared(op, p, inputs, outs)
}

// emitDeclared is emit with output tensors declared by the caller (DType
// Invalid: inferred). An output with an empty Name gets a generated one.
func (im *importer) emitDeclared(op graph.OpKind, p graph.Params, inputs []int, outs []graph.Tensor) ([]int, error) {
	name := im.newName()
	n := graph.Node{Name: name, Op: op, Params: p, Inputs: inputs}
	var srcQuant *graph.Quant
	if quantPassthrough[op] && len(inputs) > 0 && inputs[0] >= 0 {
		srcQuant = im.g.Tensors[inputs[0]].Quant
		if op == graph.OpPool && p.(*graph.PoolParams).Kind != graph.MaxPool {
			srcQuant = nil
		}
	}
	for i, t := range outs {
		if t.Name == "" {
			t.Name = fmt.Sprintf("%s:%d", name, i)
		}
		if i == 0 && t.Quant == nil && srcQuant != nil && (t.DType == tensor.Invalid || t.DType == im.g.Tensors[inputs[0]].DType) {
			t.Quant = srcQuant
		}
		n.Outputs = append(n.Outputs, im.g.AddTensor(t))
	}
	if err := ops.Infer(im.g, &n); err != nil {
		return nil, err
	}
	for _, id := range n.Outputs {
		if err := tensor.CheckShape(im.g.Tensors[id].Shape, maxElems); err != nil {
			return nil, err
		}
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
			return nil, err
		}
		for i, id := range n.Outputs {
			im.g.Tensors[id].Const = vals[i]
		}
		return n.Outputs, nil
	}
	im.g.Nodes = append(im.g.Nodes, n)
	return n.Outputs, nil
}

// ---- dead code and input layout ----

// absorbInputTransposes gives a graph input the layout its consumers want
// when all of them transpose it the same way (an NCHW image input feeding
// convolutions): the input becomes NHWC and the transposes disappear. An
// elementwise op in between (the QuantizeLinear of a quantized model) is
// looked through: it then works in the new layout.
func (im *importer) absorbInputTransposes(res *Model) {
	g := im.g
	cons := g.Consumers()
	for ii := range res.Inputs {
		io := &res.Inputs[ii]
		if g.IsOutput(io.ID) {
			continue
		}
		chain := []int{io.ID} // tensors whose layout changes
		users := cons[io.ID]
		if len(users) == 1 {
			n := &g.Nodes[users[0]]
			if ew := n.Op == graph.OpQuantize || n.Op == graph.OpUnary; ew && g.Tensors[n.Outputs[0]].Quant.PerTensor() && !g.IsOutput(n.Outputs[0]) {
				chain = append(chain, n.Outputs[0])
				users = cons[n.Outputs[0]]
			}
		}
		perm := transposesOf(g, users)
		if perm == nil {
			continue
		}
		for _, id := range chain {
			t := &g.Tensors[id]
			shape := make([]int, len(perm))
			for i, a := range perm {
				shape[i] = t.Shape[a]
			}
			t.Shape = shape
		}
		io.Perm = append([]int(nil), perm...)
		last := chain[len(chain)-1]
		for _, ni := range users {
			old := g.Nodes[ni].Outputs[0]
			replaceUses(g, old, last)
			g.Nodes[ni].Outputs[0] = -1 // dead; removed below
		}
	}
}

// transposesOf returns the common permutation if every node in users is a
// Transpose with the same one, else nil.
func transposesOf(g *graph.Graph, users []int) []int {
	var perm []int
	for _, ni := range users {
		n := &g.Nodes[ni]
		if n.Op != graph.OpTranspose {
			return nil
		}
		p := n.Params.(*graph.TransposeParams).Perm
		if perm == nil {
			perm = p
		} else if fmt.Sprint(perm) != fmt.Sprint(p) {
			return nil
		}
	}
	return perm
}

func replaceUses(g *graph.Graph, old, new int) {
	for ni := range g.Nodes {
		for i, id := range g.Nodes[ni].Inputs {
			if id == old {
				g.Nodes[ni].Inputs[i] = new
			}
		}
	}
	for i, id := range g.Outputs {
		if id == old {
			g.Outputs[i] = new
		}
	}
}

// isShifted reports whether tensor id holds an ONNX uint8 value as int8.
func (im *importer) isShifted(id int) bool {
	q := im.g.Tensors[id].Quant
	return q != nil && q.Shifted && im.g.Tensors[id].DType == tensor.Int8
}

// ---- small utilities ----

func normAxis(a int64, rank int) (int, error) {
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d: %w", a, rank, ErrInvalid)
	}
	return int(a), nil
}

func normAxes(as []int64, rank int) ([]int, error) {
	out := make([]int, 0, len(as))
	seen := map[int]bool{}
	for _, a := range as {
		x, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[x] {
			return nil, fmt.Errorf("axis %d repeated: %w", a, ErrInvalid)
		}
		seen[x] = true
		out = append(out, x)
	}
	return out, nil
}

func ints(v []int64) []int {
	r := make([]int, len(v))
	for i, x := range v {
		r[i] = int(x)
	}
	return r
}
