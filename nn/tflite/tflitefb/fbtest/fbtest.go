// Package fbtest is a minimal flatbuffer writer for tests of the TFLite
// decoder and of the code built on it (tflitefb, toonnx). Unlike the
// official builder, which writes back to front, it lays a table out first
// and its children after it, so every uoffset points forward as the format
// requires. It records where each table, field and vector landed so tests
// can corrupt precise bytes.
package fbtest

import (
	"encoding/binary"
	"math"
	"math/rand"
)

// Node is what a field can point to: *Table, *Vec or Str.
type Node interface{}

// Table is a table under construction; slot i is field i.
type Table struct{ slots []slot }

type slot struct {
	set  bool
	data []byte // inline little-endian scalar
	ref  Node   // child reached through a uoffset (*Table, *Vec, Str)
}

// Vec is a vector of scalars (data, elem bytes each) or of tables.
type Vec struct {
	elem     int
	data     []byte
	tables   []*Table
	isTables bool
}

// Str is a string.
type Str string

// Tbl starts an empty table.
func Tbl() *Table { return &Table{} }

func (t *Table) at(i int) *slot {
	for len(t.slots) <= i {
		t.slots = append(t.slots, slot{})
	}
	return &t.slots[i]
}

// Unset clears field i (absent: the reader sees its default).
func (t *Table) Unset(i int) *Table {
	*t.at(i) = slot{}
	return t
}

// Raw sets field i to inline little-endian bytes.
func (t *Table) Raw(i int, data []byte) *Table {
	*t.at(i) = slot{set: true, data: data}
	return t
}

// Ref points field i at n.
func (t *Table) Ref(i int, n Node) *Table {
	*t.at(i) = slot{set: true, ref: n}
	return t
}

// U8, I8, U32, I32, U64 and F32 set field i to a scalar; Str points it
// at a string, Tbls at a vector of tables.
func (t *Table) U8(i int, v uint8) *Table { return t.Raw(i, []byte{v}) }
func (t *Table) I8(i int, v int8) *Table  { return t.Raw(i, []byte{byte(v)}) }
func (t *Table) U32(i int, v uint32) *Table {
	return t.Raw(i, binary.LittleEndian.AppendUint32(nil, v))
}
func (t *Table) I32(i int, v int32) *Table { return t.U32(i, uint32(v)) }
func (t *Table) U64(i int, v uint64) *Table {
	return t.Raw(i, binary.LittleEndian.AppendUint64(nil, v))
}
func (t *Table) F32(i int, v float32) *Table     { return t.U32(i, math.Float32bits(v)) }
func (t *Table) Str(i int, s string) *Table      { return t.Ref(i, Str(s)) }
func (t *Table) Tbls(i int, ts ...*Table) *Table { return t.Ref(i, VTables(ts...)) }

// VTables, VI32, VF32, VI64 and VBytes are vectors.
func VTables(ts ...*Table) *Vec { return &Vec{elem: 4, tables: ts, isTables: true} }

func VI32(v ...int32) *Vec {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return &Vec{elem: 4, data: b}
}

func VF32(v ...float32) *Vec {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return &Vec{elem: 4, data: b}
}

func VI64(v ...int64) *Vec {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return &Vec{elem: 8, data: b}
}

func VBytes(b ...byte) *Vec { return &Vec{elem: 1, data: append([]byte{}, b...)} }

// Writer serialises a tree of nodes.
type Writer struct {
	Buf  []byte
	TPos map[*Table]int   // table start
	FPos map[*Table][]int // absolute position of each field's inline bytes
	VPos map[*Vec]int     // vector length word
}

// Build serialises root with the file identifier ident ("" for none: the
// root table then starts right after the root offset).
func Build(root *Table, ident string) ([]byte, *Writer) {
	w := &Writer{TPos: map[*Table]int{}, FPos: map[*Table][]int{}, VPos: map[*Vec]int{}}
	w.Buf = make([]byte, 4)
	if ident != "" {
		w.Buf = append(w.Buf, ident...)
	}
	p := w.table(root)
	binary.LittleEndian.PutUint32(w.Buf, uint32(p))
	return w.Buf, w
}

func (w *Writer) pad(a int) {
	for len(w.Buf)%a != 0 {
		w.Buf = append(w.Buf, 0)
	}
}

func (w *Writer) put32(p int, v uint32) { binary.LittleEndian.PutUint32(w.Buf[p:], v) }

func (w *Writer) link(at, target int) { w.put32(at, uint32(target-at)) }

func (w *Writer) table(t *Table) int {
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
	vt := len(w.Buf)
	w.Buf = binary.LittleEndian.AppendUint16(w.Buf, uint16(4+2*len(t.slots)))
	w.Buf = binary.LittleEndian.AppendUint16(w.Buf, uint16(size))
	for _, o := range offs {
		w.Buf = binary.LittleEndian.AppendUint16(w.Buf, uint16(o))
	}
	w.pad(8)
	tp := len(w.Buf)
	w.Buf = append(w.Buf, make([]byte, size)...)
	w.put32(tp, uint32(int32(tp-vt)))
	w.TPos[t] = tp
	abs := make([]int, len(t.slots))
	for i, s := range t.slots {
		if s.set {
			abs[i] = tp + offs[i]
			copy(w.Buf[tp+offs[i]:], s.data)
		}
	}
	w.FPos[t] = abs
	for i, s := range t.slots {
		if s.set && s.ref != nil {
			w.link(tp+offs[i], w.node(s.ref))
		}
	}
	return tp
}

func (w *Writer) node(n Node) int {
	switch n := n.(type) {
	case *Table:
		return w.table(n)
	case Str:
		w.pad(4)
		p := len(w.Buf)
		w.Buf = binary.LittleEndian.AppendUint32(w.Buf, uint32(len(n)))
		w.Buf = append(append(w.Buf, n...), 0)
		return p
	case *Vec:
		w.pad(4)
		if n.elem == 8 && (len(w.Buf)+4)%8 != 0 {
			w.Buf = append(w.Buf, 0, 0, 0, 0)
		}
		p := len(w.Buf)
		w.VPos[n] = p
		if !n.isTables {
			w.Buf = binary.LittleEndian.AppendUint32(w.Buf, uint32(len(n.data)/n.elem))
			w.Buf = append(w.Buf, n.data...)
			return p
		}
		w.Buf = binary.LittleEndian.AppendUint32(w.Buf, uint32(len(n.tables)))
		w.Buf = append(w.Buf, make([]byte, 4*len(n.tables))...)
		for k, t := range n.tables {
			w.link(p+4+4*k, w.table(t))
		}
		return p
	}
	panic("fbtest: unknown node")
}

// Mutate returns a copy of b with one to six bytes replaced by random or
// boundary values or with a bit flipped: corrupt files for robustness tests.
func Mutate(rng *rand.Rand, b []byte) []byte {
	c := append([]byte(nil), b...)
	for range 1 + rng.Intn(6) {
		i := rng.Intn(len(c))
		switch rng.Intn(4) {
		case 0:
			c[i] = byte(rng.Intn(256))
		case 1:
			c[i] = 0xff
		case 2:
			c[i] = 0
		default:
			c[i] ^= 1 << rng.Intn(8)
		}
	}
	return c
}
