package tflitefb

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Flatbuffer layout, as read here (little-endian throughout):
//
//	root:    uoffset (uint32) at 0 to the root table; file identifier at 4..8
//	table:   int32 soffset at the table start T; its vtable is at T - soffset
//	vtable:  uint16 vtable size in bytes, uint16 table size in bytes, then one
//	         uint16 per field: the field's offset from T, 0 = absent (default)
//	uoffset: uint32 stored at P, pointing forward to P + value
//	vector:  uint32 element count N at V, elements from V+4
//	string:  a byte vector followed by a NUL byte
//	union:   two fields, a uint8 type tag then a uoffset to a table
//
// Every position is checked against the buffer before it is read. Positions
// are computed in int64 so that uint32 offsets cannot wrap a 32-bit int.

// decoder holds the input and the remaining decode budget.
type decoder struct {
	b []byte
	// budget bounds the bytes that may be decoded. Flatbuffer offsets may
	// share data (many vector entries pointing at one large table), so a
	// small file could otherwise decode to a huge structure. Each table and
	// vector charges its size on the wire (tables at least tableCost);
	// decoding fails when the budget runs out.
	budget int64
	limit  int64 // the initial budget
}

// tableCost is the minimum budget a table costs: a table is at least 4
// bytes on the wire but becomes a Go struct of tens of bytes.
const tableCost = 32

// budgetFor returns the decode budget for a file of n bytes. A file that does
// not share data covers each of its bytes about once (the shared models use
// 97-102% of their size), so 4x leaves a wide margin.
func budgetFor(n int) int64 { return 4*int64(n) + 1<<16 }

func malformed(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

func fieldErr(name, format string, args ...any) error {
	return &Error{Path: name, Msg: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

// charge takes n bytes from the budget; name is the field being decoded.
func (d *decoder) charge(n int64, name string) error {
	d.budget -= n
	if d.budget < 0 {
		return fieldErr(name, "decoded size exceeds %d bytes for a %d-byte file (offsets share or overlap data)",
			d.limit, len(d.b))
	}
	return nil
}

func (d *decoder) u16(p int) int        { return int(binary.LittleEndian.Uint16(d.b[p:])) }
func (d *decoder) u32(p int) uint32     { return binary.LittleEndian.Uint32(d.b[p:]) }
func (d *decoder) u64(p int) uint64     { return binary.LittleEndian.Uint64(d.b[p:]) }
func (d *decoder) fits(p, n int64) bool { return p >= 0 && n >= 0 && p <= int64(len(d.b))-n }

// table is a located, checked table.
type table struct {
	pos  int // table start (its soffset)
	vt   int // vtable start
	vlen int // vtable size in bytes (>= 4, even)
	size int // inline table size in bytes (>= 4)
}

// tableAt checks the table starting at pos and its vtable.
func (d *decoder) tableAt(pos int) (table, error) {
	if !d.fits(int64(pos), 4) {
		return table{}, malformed("table at %d out of range (file is %d bytes)", pos, len(d.b))
	}
	vt := int64(pos) - int64(int32(d.u32(pos)))
	if !d.fits(vt, 4) {
		return table{}, malformed("vtable of table at %d is at %d, out of range (file is %d bytes)", pos, vt, len(d.b))
	}
	t := table{pos: pos, vt: int(vt), vlen: d.u16(int(vt)), size: d.u16(int(vt) + 2)}
	if t.vlen < 4 || t.vlen%2 != 0 {
		return table{}, malformed("vtable at %d has invalid size %d", vt, t.vlen)
	}
	if !d.fits(vt, int64(t.vlen)) {
		return table{}, malformed("vtable at %d of %d bytes runs past the end (file is %d bytes)", vt, t.vlen, len(d.b))
	}
	if t.size < 4 || !d.fits(int64(pos), int64(t.size)) {
		return table{}, malformed("table at %d of %d bytes does not fit (file is %d bytes)", pos, t.size, len(d.b))
	}
	return t, d.charge(int64(max(t.size, tableCost)), "")
}

// slot returns the offset of field i inside t, 0 if the field is absent.
func (d *decoder) slot(t table, i int) int {
	e := 4 + 2*i
	if e+2 > t.vlen {
		return 0
	}
	return d.u16(t.vt + e)
}

// scalarAt returns the position of field i of the given size, or -1 when
// the field is absent.
func (d *decoder) scalarAt(t table, i, size int, name string) (int, error) {
	o := d.slot(t, i)
	if o == 0 {
		return -1, nil
	}
	if o < 4 || o+size > t.size {
		return -1, fieldErr(name, "field at offset %d (%d bytes) lies outside its %d-byte table", o, size, t.size)
	}
	return t.pos + o, nil
}

// ref follows the uoffset in field i; it returns -1 when the field is absent.
func (d *decoder) ref(t table, i int, name string) (int, error) {
	p, err := d.scalarAt(t, i, 4, name)
	if p < 0 {
		return -1, err
	}
	return d.follow(p, name)
}

// follow reads the uoffset stored at p and returns its target.
func (d *decoder) follow(p int, name string) (int, error) {
	u := d.u32(p)
	if u == 0 || u > math.MaxInt32 {
		return -1, fieldErr(name, "invalid offset %d at %d", u, p)
	}
	target := int64(p) + int64(u)
	if target >= int64(len(d.b)) {
		return -1, fieldErr(name, "offset %d out of range (at %d, points to %d; file is %d bytes)", u, p, target, len(d.b))
	}
	return int(target), nil
}

// subtable returns the table that field i refers to; ok is false when the
// field is absent.
func (d *decoder) subtable(t table, i int, name string) (table, bool, error) {
	p, err := d.ref(t, i, name)
	if p < 0 {
		return table{}, false, err
	}
	st, err := d.tableAt(p)
	if err != nil {
		return table{}, false, within(err, name)
	}
	return st, true, nil
}

// vector returns the position of the first element and the element count of
// the vector that field i refers to (n = 0 and start = -1 when absent). The
// count is checked against the bytes left before anything is allocated.
func (d *decoder) vector(t table, i, elem int, name string) (start, n int, err error) {
	p, err := d.ref(t, i, name)
	if p < 0 {
		return -1, 0, err
	}
	return d.vectorAt(p, elem, name)
}

func (d *decoder) vectorAt(p, elem int, name string) (start, n int, err error) {
	if !d.fits(int64(p), 4) {
		return -1, 0, fieldErr(name, "vector length at %d out of range (file is %d bytes)", p, len(d.b))
	}
	count := int64(d.u32(p))
	start = p + 4
	left := int64(len(d.b) - start)
	if count*int64(elem) > left {
		return -1, 0, fieldErr(name, "vector of %d elements of %d bytes at %d needs %d bytes, only %d remain",
			count, elem, p, count*int64(elem), left)
	}
	if err := d.charge(4+count*int64(elem), name); err != nil {
		return -1, 0, err
	}
	return start, int(count), nil
}

// fields reads the fields of one table, keeping the first error so that a
// table's fields can be read one after the other and checked once.
type fields struct {
	d   *decoder
	t   table
	err error
}

func (d *decoder) fields(t table) *fields { return &fields{d: d, t: t} }

func (f *fields) at(i, size int, name string) int {
	if f.err != nil {
		return -1
	}
	p, err := f.d.scalarAt(f.t, i, size, name)
	if err != nil {
		f.err = err
	}
	return p
}

func (f *fields) u8(i int, name string, def uint8) uint8 {
	if p := f.at(i, 1, name); p >= 0 {
		return f.d.b[p]
	}
	return def
}

func (f *fields) i8(i int, name string, def int8) int8 { return int8(f.u8(i, name, uint8(def))) }

func (f *fields) boolean(i int, name string, def bool) bool {
	var d uint8
	if def {
		d = 1
	}
	return f.u8(i, name, d) != 0
}

func (f *fields) u32(i int, name string, def uint32) uint32 {
	if p := f.at(i, 4, name); p >= 0 {
		return f.d.u32(p)
	}
	return def
}

func (f *fields) i32(i int, name string, def int32) int32 { return int32(f.u32(i, name, uint32(def))) }

func (f *fields) f32(i int, name string, def float32) float32 {
	if p := f.at(i, 4, name); p >= 0 {
		return math.Float32frombits(f.d.u32(p))
	}
	return def
}

func (f *fields) u64(i int, name string, def uint64) uint64 {
	if p := f.at(i, 8, name); p >= 0 {
		return f.d.u64(p)
	}
	return def
}

// vec locates the vector in field i; start is -1 when it is absent.
func (f *fields) vec(i, elem int, name string) (start, n int) {
	if f.err != nil {
		return -1, 0
	}
	start, n, err := f.d.vector(f.t, i, elem, name)
	if err != nil {
		f.err = err
		return -1, 0
	}
	return start, n
}

// int32s returns the [int] vector in field i, nil when absent.
func (f *fields) int32s(i int, name string) []int32 {
	start, n := f.vec(i, 4, name)
	if start < 0 {
		return nil
	}
	v := make([]int32, n)
	for k := range v {
		v[k] = int32(f.d.u32(start + 4*k))
	}
	return v
}

func (f *fields) float32s(i int, name string) []float32 {
	start, n := f.vec(i, 4, name)
	if start < 0 {
		return nil
	}
	v := make([]float32, n)
	for k := range v {
		v[k] = math.Float32frombits(f.d.u32(start + 4*k))
	}
	return v
}

func (f *fields) int64s(i int, name string) []int64 {
	start, n := f.vec(i, 8, name)
	if start < 0 {
		return nil
	}
	v := make([]int64, n)
	for k := range v {
		v[k] = int64(f.d.u64(start + 8*k))
	}
	return v
}

func (f *fields) bools(i int, name string) []bool {
	start, n := f.vec(i, 1, name)
	if start < 0 {
		return nil
	}
	v := make([]bool, n)
	for k := range v {
		v[k] = f.d.b[start+k] != 0
	}
	return v
}

// bytes returns the [ubyte] vector in field i as a sub-slice of the input
// (capacity clipped so appends cannot write into the input).
func (f *fields) bytes(i int, name string) []byte {
	start, n := f.vec(i, 1, name)
	if start < 0 {
		return nil
	}
	return f.d.b[start : start+n : start+n]
}

// str returns the string in field i, "" when absent. The NUL terminator the
// format requires is checked.
func (f *fields) str(i int, name string) string {
	start, n := f.vec(i, 1, name)
	if start < 0 {
		return ""
	}
	if start+n >= len(f.d.b) || f.d.b[start+n] != 0 {
		f.err = fieldErr(name, "string of %d bytes at %d is not NUL-terminated", n, start-4)
		return ""
	}
	return string(f.d.b[start : start+n])
}

// table returns the table in field i; ok is false when absent.
func (f *fields) table(i int, name string) (t table, ok bool) {
	if f.err != nil {
		return table{}, false
	}
	t, ok, err := f.d.subtable(f.t, i, name)
	if err != nil {
		f.err = err
	}
	return t, ok
}

// tables calls fn for each table of the vector in field i, naming element k
// elem[k] in errors.
func (f *fields) tables(i int, name, elem string, fn func(k int, t table) error) {
	start, n := f.vec(i, 4, name)
	for k := 0; k < n && f.err == nil; k++ {
		p, err := f.d.follow(start+4*k, "")
		if err == nil {
			var t table
			if t, err = f.d.tableAt(p); err == nil {
				err = fn(k, t)
			}
		}
		if err != nil {
			f.err = within(err, fmt.Sprintf("%s[%d]", elem, k))
		}
	}
}

// external returns the n bytes at file offset off (schema 3c: data stored
// after the flatbuffer in models over 2 GB).
func (d *decoder) external(off, n uint64, name string) ([]byte, error) {
	if off > uint64(len(d.b)) || n > uint64(len(d.b))-off {
		return nil, fieldErr(name, "%d bytes at file offset %d out of range (file is %d bytes)", n, off, len(d.b))
	}
	return d.b[off : off+n : off+n], nil
}
