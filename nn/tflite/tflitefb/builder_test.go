package tflitefb

import (
	"encoding/binary"
	"math"
)

// A minimal flatbuffer writer for tests. Unlike the official builder, which
// writes back to front, it lays a table out first and its children after it,
// so every uoffset points forward as the format requires. It records where
// each table and field landed so tests can corrupt precise bytes.

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
func (t *fbTable) i32(i int, v int32) *fbTable { return t.u32(i, uint32(v)) }
func (t *fbTable) u64(i int, v uint64) *fbTable {
	return t.raw(i, binary.LittleEndian.AppendUint64(nil, v))
}
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

func vF32(v ...float32) *fbVec {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return &fbVec{elem: 4, data: b}
}

func vI64(v ...int64) *fbVec {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return &fbVec{elem: 8, data: b}
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

// tinyModel holds a small model and handles on some of its tables.
type tinyModel struct {
	root, sg, weights, input *fbTable
	conv, custom             *fbTable
	shape                    *fbVec
}

// newTiny builds a small int8 model that touches most of the schema: old-
// and new-style operator codes, a custom op, per-tensor and per-axis
// quantization, constant buffers, an absent optional input, an options tag
// without a table, unsupported options, metadata and a signature.
func newTiny() *tinyModel {
	tm := &tinyModel{}
	tm.shape = vI32(1, 2, 2, 2)
	tm.input = tbl().ref(0, tm.shape).i8(1, int8(TypeInt8)).str(3, "input").
		ref(4, tbl().ref(2, vF32(0.5)).ref(3, vI64(-1)))
	tm.weights = tbl().ref(0, vI32(2, 1, 1, 2)).i8(1, int8(TypeInt8)).u32(2, 1).str(3, "weights").
		ref(4, tbl().ref(2, vF32(0.1, 0.2)).ref(3, vI64(0, 0)).i32(6, 0))
	bias := tbl().ref(0, vI32(2)).i8(1, int8(TypeInt32)).u32(2, 2).str(3, "bias").
		ref(4, tbl().ref(2, vF32(0.05, 0.1)).ref(3, vI64(0, 0)))
	convOut := tbl().ref(0, vI32(1, 2, 2, 2)).i8(1, int8(TypeInt8)).str(3, "conv_out").
		ref(4, tbl().ref(0, vF32(-6)).ref(1, vF32(6)).ref(2, vF32(0.05)).ref(3, vI64(3)))
	output := tbl().ref(0, vI32(1, 2, 2, 2)).i8(1, int8(TypeInt8)).str(3, "output").
		ref(4, tbl().ref(2, vF32(1.0/256)).ref(3, vI64(-128)))
	custOut := tbl().ref(0, vI32(1, 2, 2, 2)).str(3, "custom_out").ref(7, vI32(-1, 2, 2, 2)).u8(8, 1)

	tm.conv = tbl().u32(0, 0).ref(1, vI32(0, 1, 2)).ref(2, vI32(3)).u8(3, uint8(OptionsConv2D)).
		ref(4, tbl().i8(0, int8(PaddingValid)).i32(1, 1).i32(2, 2).i8(3, int8(ActRelu6)))
	softmax := tbl().u32(0, 1).ref(1, vI32(3)).ref(2, vI32(4)).u8(3, uint8(OptionsSoftmax)).
		ref(4, tbl().f32(0, 1))
	tm.custom = tbl().u32(0, 2).ref(1, vI32(3, -1)).ref(2, vI32(5)).ref(5, vBytes(1, 2, 3))
	gelu := tbl().u32(0, 3).ref(1, vI32(3)).ref(2, vI32(5)).u8(3, uint8(OptionsGelu)).ref(4, tbl().u8(0, 1))
	// Conv2DOptions tag without a table: all defaults.
	convDefault := tbl().u32(0, 0).ref(1, vI32(0, 1)).ref(2, vI32(3)).u8(3, uint8(OptionsConv2D))
	// LocalResponseNormalizationOptions (13) is not decoded.
	lrn := tbl().u32(0, 1).ref(1, vI32(3)).ref(2, vI32(4)).u8(3, 13).ref(4, tbl().i32(0, 5))

	tm.sg = tbl().tbls(0, tm.input, tm.weights, bias, convOut, output, custOut).
		ref(1, vI32(0)).ref(2, vI32(4)).
		tbls(3, tm.conv, softmax, tm.custom, gelu, convDefault, lrn).
		str(4, "main")

	codes := []*fbTable{
		tbl().i8(0, int8(OpConv2D)).i32(2, 2), // pre-3a: only the byte field
		tbl().i8(0, int8(OpSoftmax)).i32(3, int32(OpSoftmax)),
		tbl().i8(0, int8(OpCustom)).str(1, "MyOp").i32(3, int32(OpCustom)),
		tbl().i8(0, int8(OpPlaceholderForGreaterOpCodes)).i32(3, int32(OpGelu)),
	}
	buffers := []*fbTable{
		tbl(),
		tbl().ref(0, vBytes(1, 0xff, 2, 0xfe)),
		tbl().ref(0, vBytes(10, 0, 0, 0, 0xf6, 0xff, 0xff, 0xff)),
		tbl().ref(0, vBytes('1', '.', '5', '.', '0')),
	}
	sig := tbl().tbls(0, tbl().str(0, "in").u32(1, 0)).tbls(1, tbl().str(0, "out").u32(1, 4)).
		str(2, "serving_default").u32(4, 0)
	tm.root = tbl().u32(0, 3).tbls(1, codes...).tbls(2, tm.sg).str(3, "tiny").tbls(4, buffers...).
		tbls(6, tbl().str(0, "min_runtime_version").u32(1, 3)).tbls(7, sig)
	return tm
}

func (tm *tinyModel) bytes() ([]byte, *fbWriter) { return build(tm.root, Identifier) }
