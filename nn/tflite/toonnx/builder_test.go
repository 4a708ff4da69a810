package toonnx_test

// A minimal flatbuffer writer (copied from tflitefb's builder_test.go,
// which other packages cannot import) and a small TFLite model builder on
// top of it, for models that exercise the operators vww_96_float does not.

import (
	"encoding/binary"
	"math"

	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
)

type fbNode interface{}

// fbTable is a table under construction; slot i is field i.
type fbTable struct{ slots []fbSlot }

type fbSlot struct {
	set  bool
	data []byte // inline little-endian scalar
	ref  fbNode // child reached through a uoffset (*fbTable, *fbVec, fbStr)
}

// fbVec is a vector of scalars (data, elem bytes each) or of tables.
type fbVec struct {
	elem     int
	data     []byte
	tables   []*fbTable
	isTables bool
}

type fbStr string

func tbl() *fbTable { return &fbTable{} }

func (t *fbTable) slot(i int) *fbSlot {
	for len(t.slots) <= i {
		t.slots = append(t.slots, fbSlot{})
	}
	return &t.slots[i]
}

func (t *fbTable) raw(i int, data []byte) *fbTable {
	*t.slot(i) = fbSlot{set: true, data: data}
	return t
}

func (t *fbTable) ref(i int, n fbNode) *fbTable {
	*t.slot(i) = fbSlot{set: true, ref: n}
	return t
}

func (t *fbTable) u8(i int, v uint8) *fbTable { return t.raw(i, []byte{v}) }
func (t *fbTable) i8(i int, v int8) *fbTable  { return t.raw(i, []byte{byte(v)}) }
func (t *fbTable) u32(i int, v uint32) *fbTable {
	return t.raw(i, binary.LittleEndian.AppendUint32(nil, v))
}
func (t *fbTable) i32(i int, v int32) *fbTable         { return t.u32(i, uint32(v)) }
func (t *fbTable) f32(i int, v float32) *fbTable       { return t.u32(i, math.Float32bits(v)) }
func (t *fbTable) str(i int, s string) *fbTable        { return t.ref(i, fbStr(s)) }
func (t *fbTable) tbls(i int, ts ...*fbTable) *fbTable { return t.ref(i, vTables(ts...)) }

func vTables(ts ...*fbTable) *fbVec { return &fbVec{elem: 4, tables: ts, isTables: true} }

func vI32(v ...int32) *fbVec {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return &fbVec{elem: 4, data: b}
}

func vBytes(b ...byte) *fbVec { return &fbVec{elem: 1, data: append([]byte{}, b...)} }

// fbWriter serialises a tree of nodes.
type fbWriter struct {
	buf  []byte
	tpos map[*fbTable]int   // table start
	fpos map[*fbTable][]int // absolute position of each field's inline bytes
	vpos map[*fbVec]int     // vector length word
}

// build serialises root with the file identifier ident ("" for none: the
// root table then starts right after the root offset).
func build(root *fbTable, ident string) ([]byte, *fbWriter) {
	w := &fbWriter{tpos: map[*fbTable]int{}, fpos: map[*fbTable][]int{}, vpos: map[*fbVec]int{}}
	w.buf = make([]byte, 4)
	if ident != "" {
		w.buf = append(w.buf, ident...)
	}
	p := w.table(root)
	binary.LittleEndian.PutUint32(w.buf, uint32(p))
	return w.buf, w
}

func (w *fbWriter) pad(a int) {
	for len(w.buf)%a != 0 {
		w.buf = append(w.buf, 0)
	}
}

func (w *fbWriter) put32(p int, v uint32) { binary.LittleEndian.PutUint32(w.buf[p:], v) }

func (w *fbWriter) link(at, target int) { w.put32(at, uint32(target-at)) }

func (w *fbWriter) table(t *fbTable) int {
	offs := make([]int, len(t.slots))
	size := 4
	for i, s := range t.slots {
		if !s.set {
			continue
		}
		sz := len(s.data)
		if s.ref != nil {
			sz = 4
		}
		for size%sz != 0 {
			size++
		}
		offs[i] = size
		size += sz
	}
	w.pad(2)
	vt := len(w.buf)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(4+2*len(t.slots)))
	w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(size))
	for _, o := range offs {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(o))
	}
	w.pad(8)
	tp := len(w.buf)
	w.buf = append(w.buf, make([]byte, size)...)
	w.put32(tp, uint32(int32(tp-vt)))
	w.tpos[t] = tp
	abs := make([]int, len(t.slots))
	for i, s := range t.slots {
		if s.set {
			abs[i] = tp + offs[i]
			copy(w.buf[tp+offs[i]:], s.data)
		}
	}
	w.fpos[t] = abs
	for i, s := range t.slots {
		if s.set && s.ref != nil {
			w.link(tp+offs[i], w.node(s.ref))
		}
	}
	return tp
}

func (w *fbWriter) node(n fbNode) int {
	switch n := n.(type) {
	case *fbTable:
		return w.table(n)
	case fbStr:
		w.pad(4)
		p := len(w.buf)
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(n)))
		w.buf = append(append(w.buf, n...), 0)
		return p
	case *fbVec:
		w.pad(4)
		if n.elem == 8 && (len(w.buf)+4)%8 != 0 {
			w.buf = append(w.buf, 0, 0, 0, 0)
		}
		p := len(w.buf)
		w.vpos[n] = p
		if !n.isTables {
			w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(n.data)/n.elem))
			w.buf = append(w.buf, n.data...)
			return p
		}
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(len(n.tables)))
		w.buf = append(w.buf, make([]byte, 4*len(n.tables))...)
		for k, t := range n.tables {
			w.link(p+4+4*k, w.table(t))
		}
		return p
	}
	panic("fbWriter: unknown node")
}

// tfModel builds a one-subgraph TFLite model.
type tfModel struct {
	tensors, buffers, ops []*fbTable
	codes                 []fb.BuiltinOperator
	inputs, outputs       []int32
}

func newTFModel() *tfModel { return &tfModel{buffers: []*fbTable{tbl()}} }

func i32s(v []int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// tensor adds a tensor without data and returns its index.
func (m *tfModel) tensor(name string, typ fb.TensorType, shape ...int) int32 {
	m.tensors = append(m.tensors, tbl().ref(0, vI32(i32s(shape)...)).i8(1, int8(typ)).str(3, name))
	return int32(len(m.tensors) - 1)
}

func (m *tfModel) withData(ti int32, data []byte) int32 {
	m.buffers = append(m.buffers, tbl().ref(0, vBytes(data...)))
	m.tensors[ti].u32(2, uint32(len(m.buffers)-1))
	return ti
}

func (m *tfModel) constF32(name string, data []float32, shape ...int) int32 {
	var b []byte
	for _, x := range data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return m.withData(m.tensor(name, fb.TypeFloat32, shape...), b)
}

func (m *tfModel) constI32(name string, data []int32, shape ...int) int32 {
	var b []byte
	for _, x := range data {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return m.withData(m.tensor(name, fb.TypeInt32, shape...), b)
}

// op adds an operator; opts may be nil (no options table).
func (m *tfModel) op(code fb.BuiltinOperator, ins, outs []int32, typ fb.OptionsType, opts *fbTable) {
	k := -1
	for i, c := range m.codes {
		if c == code {
			k = i
		}
	}
	if k < 0 {
		m.codes = append(m.codes, code)
		k = len(m.codes) - 1
	}
	t := tbl().u32(0, uint32(k)).ref(1, vI32(ins...)).ref(2, vI32(outs...))
	if typ != fb.OptionsNone {
		t.u8(3, uint8(typ))
		if opts != nil {
			t.ref(4, opts)
		}
	}
	m.ops = append(m.ops, t)
}

func (m *tfModel) bytes() []byte {
	var codes []*fbTable
	for _, c := range m.codes {
		ct := tbl().i32(2, 1).i32(3, int32(c))
		if c < fb.OpPlaceholderForGreaterOpCodes {
			ct.i8(0, int8(c))
		} else {
			ct.i8(0, int8(fb.OpPlaceholderForGreaterOpCodes))
		}
		codes = append(codes, ct)
	}
	sg := tbl().tbls(0, m.tensors...).ref(1, vI32(m.inputs...)).ref(2, vI32(m.outputs...)).tbls(3, m.ops...).str(4, "main")
	root := tbl().u32(0, 3).tbls(1, codes...).tbls(2, sg).str(3, "test").tbls(4, m.buffers...)
	b, _ := build(root, fb.Identifier)
	return b
}
