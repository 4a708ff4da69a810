package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	magic = "\x93NUMPY"
	// maxHeaderLen bounds the header a file may declare before it is read.
	maxHeaderLen = 1 << 20
	// readChunk is the most data read ahead of what the input has shown
	// to hold, so a header claiming a huge shape costs no huge allocation.
	readChunk = 1 << 20
)

// dtype describes an on-disk element type.
type dtype struct {
	kind  byte // 'f', 'i', 'u', 'b'
	size  int
	order binary.ByteOrder
	name  string // Array.DType of the result
}

// parseDescr parses a numpy descr such as "<f4", "|u1", ">i8", "f8".
func parseDescr(descr string) (dtype, error) {
	bad := fmt.Errorf("%w dtype '%s'", ErrUnsupported, descr)
	s := descr
	var order binary.ByteOrder = binary.LittleEndian
	explicit := false
	if s != "" {
		switch s[0] {
		case '<':
			order, explicit = binary.LittleEndian, true
		case '>':
			order, explicit = binary.BigEndian, true
		case '=':
			order, explicit = binary.NativeEndian, true
		case '|':
			explicit = true
		}
		if explicit {
			s = s[1:]
		} else {
			order = binary.NativeEndian
		}
	}
	if len(s) < 2 {
		return dtype{}, bad
	}
	size, err := strconv.Atoi(s[1:])
	if err != nil {
		return dtype{}, bad
	}
	d := dtype{kind: s[0], size: size, order: order}
	switch {
	case d.kind == 'f' && size == 2, d.kind == 'f' && size == 4:
		d.name = "float32"
	case d.kind == 'f' && size == 8:
		d.name = "float64"
	case d.kind == 'i' && (size == 1 || size == 2 || size == 4 || size == 8):
		d.name = "int" + strconv.Itoa(8*size)
	case d.kind == 'u' && (size == 1 || size == 2 || size == 4 || size == 8):
		d.name = "uint" + strconv.Itoa(8*size)
	case d.kind == 'b' && size == 1:
		d.name = "bool"
	default:
		return dtype{}, bad
	}
	return d, nil
}

// Read reads one .npy array from r. r must hold exactly the array: bytes
// after the array data are an error.
func Read(r io.Reader) (*Array, error) {
	descr, fortran, shape, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	dt, err := parseDescr(descr)
	if err != nil {
		return nil, err
	}
	n, err := numElements(shape)
	if err != nil {
		return nil, err
	}
	if n > math.MaxInt/dt.size {
		return nil, fmt.Errorf("%w: shape %v of %d-byte elements overflows", ErrFormat, shape, dt.size)
	}
	data, err := readData(r, n*dt.size)
	if err != nil {
		return nil, err
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k > 0 {
		return nil, fmt.Errorf("%w: trailing bytes after %d bytes of array data", ErrFormat, n*dt.size)
	}
	a := &Array{DType: dt.name, Shape: shape}
	decode(a, dt, data, n)
	if fortran {
		toCOrder(a)
	}
	return a, nil
}

// readHeader reads magic, version and header dict.
func readHeader(r io.Reader) (descr string, fortran bool, shape []int, err error) {
	var pre [10]byte
	if k, err := io.ReadFull(r, pre[:8]); err != nil {
		if k == 0 && err == io.EOF {
			return "", false, nil, fmt.Errorf("%w: empty input", ErrFormat)
		}
		return "", false, nil, fmt.Errorf("%w: short header (%d bytes)", ErrFormat, k)
	}
	if string(pre[:6]) != magic {
		return "", false, nil, fmt.Errorf("%w: bad magic %q, want \"\\x93NUMPY\"", ErrFormat, pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return "", false, nil, fmt.Errorf("%w: short header length", ErrFormat)
		}
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	case (major == 2 || major == 3) && minor == 0:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return "", false, nil, fmt.Errorf("%w: short header length", ErrFormat)
		}
		v := binary.LittleEndian.Uint32(l[:])
		if v > maxHeaderLen {
			return "", false, nil, fmt.Errorf("%w: header length %d exceeds %d bytes", ErrFormat, v, maxHeaderLen)
		}
		hlen = int(v)
	default:
		return "", false, nil, fmt.Errorf("%w format version %d.%d", ErrUnsupported, major, minor)
	}
	h := make([]byte, hlen)
	if k, err := io.ReadFull(r, h); err != nil {
		return "", false, nil, fmt.Errorf("%w: short header: want %d bytes got %d", ErrFormat, hlen, k)
	}
	var header string
	if major == 3 {
		if !utf8.Valid(h) {
			return "", false, nil, fmt.Errorf("%w: version 3.0 header is not UTF-8", ErrFormat)
		}
		header = string(h)
	} else {
		// Latin-1: every byte is the code point of the same value; only
		// ASCII can be meaningful in a numeric header, so keep the bytes.
		header = string(h)
	}
	return parseDict(header)
}

func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension in shape %v", ErrFormat, shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("%w: shape product overflow for shape %v", ErrFormat, shape)
		}
		n *= d
	}
	return n, nil
}

// readData reads exactly size bytes, growing the buffer as data arrives.
func readData(r io.Reader, size int) ([]byte, error) {
	buf := make([]byte, 0, min(size, readChunk))
	for len(buf) < size {
		chunk := min(size-len(buf), max(len(buf), readChunk))
		if cap(buf)-len(buf) < chunk {
			nb := make([]byte, len(buf), len(buf)+chunk)
			copy(nb, buf)
			buf = nb
		}
		k, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk])
		buf = buf[:len(buf)+k]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: short data: want %d bytes got %d", ErrFormat, size, len(buf))
			}
			return nil, err
		}
	}
	return buf, nil
}

func conv[T any](data []byte, size, n int, get func([]byte) T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = get(data[i*size:])
	}
	return out
}

// decode converts data (n elements of type dt) into a's slice.
func decode(a *Array, dt dtype, data []byte, n int) {
	o := dt.order
	switch {
	case dt.kind == 'f' && dt.size == 2:
		a.F32 = conv(data, 2, n, func(b []byte) float32 { return halfToFloat32(o.Uint16(b)) })
	case dt.kind == 'f' && dt.size == 4:
		a.F32 = conv(data, 4, n, func(b []byte) float32 { return math.Float32frombits(o.Uint32(b)) })
	case dt.kind == 'f':
		a.F64 = conv(data, 8, n, func(b []byte) float64 { return math.Float64frombits(o.Uint64(b)) })
	case dt.kind == 'b':
		a.Bool = conv(data, 1, n, func(b []byte) bool { return b[0] != 0 })
	case dt.kind == 'i' && dt.size == 1:
		a.I8 = conv(data, 1, n, func(b []byte) int8 { return int8(b[0]) })
	case dt.kind == 'u' && dt.size == 1:
		a.U8 = conv(data, 1, n, func(b []byte) uint8 { return b[0] })
	case dt.kind == 'i' && dt.size == 2:
		a.I16 = conv(data, 2, n, func(b []byte) int16 { return int16(o.Uint16(b)) })
	case dt.kind == 'u' && dt.size == 2:
		a.U16 = conv(data, 2, n, o.Uint16)
	case dt.kind == 'i' && dt.size == 4:
		a.I32 = conv(data, 4, n, func(b []byte) int32 { return int32(o.Uint32(b)) })
	case dt.kind == 'u' && dt.size == 4:
		a.U32 = conv(data, 4, n, o.Uint32)
	case dt.kind == 'i':
		a.I64 = conv(data, 8, n, func(b []byte) int64 { return int64(o.Uint64(b)) })
	default:
		a.U64 = conv(data, 8, n, o.Uint64)
	}
}

// halfToFloat32 widens an IEEE 754 binary16 value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch exp {
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case 0:
		f := float32(man) / (1 << 24)
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
}

// toCOrder reorders a's elements, read in Fortran (column-major) order, to
// C order.
func toCOrder(a *Array) {
	switch {
	case a.F32 != nil:
		a.F32 = fortranToC(a.F32, a.Shape)
	case a.F64 != nil:
		a.F64 = fortranToC(a.F64, a.Shape)
	case a.I8 != nil:
		a.I8 = fortranToC(a.I8, a.Shape)
	case a.U8 != nil:
		a.U8 = fortranToC(a.U8, a.Shape)
	case a.I16 != nil:
		a.I16 = fortranToC(a.I16, a.Shape)
	case a.U16 != nil:
		a.U16 = fortranToC(a.U16, a.Shape)
	case a.I32 != nil:
		a.I32 = fortranToC(a.I32, a.Shape)
	case a.I64 != nil:
		a.I64 = fortranToC(a.I64, a.Shape)
	case a.U32 != nil:
		a.U32 = fortranToC(a.U32, a.Shape)
	case a.U64 != nil:
		a.U64 = fortranToC(a.U64, a.Shape)
	case a.Bool != nil:
		a.Bool = fortranToC(a.Bool, a.Shape)
	}
}

// fortranToC returns src (column-major, first index fastest) in row-major
// order: out[i0,...,ik] = src[i0 + d0*(i1 + d1*(i2 + ...))].
func fortranToC[T any](src []T, shape []int) []T {
	if len(shape) < 2 || len(src) == 0 {
		return src
	}
	k := len(shape)
	stride := make([]int, k) // Fortran strides
	stride[0] = 1
	for i := 1; i < k; i++ {
		stride[i] = stride[i-1] * shape[i-1]
	}
	idx := make([]int, k)
	out := make([]T, len(src))
	off := 0
	for i := range out {
		out[i] = src[off]
		// Advance the C-order index (last axis fastest).
		for j := k - 1; j >= 0; j-- {
			idx[j]++
			off += stride[j]
			if idx[j] < shape[j] {
				break
			}
			off -= shape[j] * stride[j]
			idx[j] = 0
		}
	}
	return out
}

// parseDict parses the header's Python dict literal, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 1000), }
func parseDict(h string) (descr string, fortran bool, shape []int, err error) {
	p := &parser{s: h}
	fail := func(what string) error {
		return fmt.Errorf("%w: bad header %q: %s at offset %d", ErrFormat, clip(h), what, p.i)
	}
	p.space()
	if !p.eat('{') {
		return "", false, nil, fail("want '{'")
	}
	seen := map[string]bool{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return "", false, nil, fail("want a quoted key")
		}
		if seen[key] {
			return "", false, nil, fail("duplicate key '" + key + "'")
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return "", false, nil, fail("want ':'")
		}
		p.space()
		switch key {
		case "descr":
			if p.peek() == '[' || p.peek() == '(' {
				return "", false, nil, fmt.Errorf("%w structured dtype in header %q", ErrUnsupported, clip(h))
			}
			if descr, ok = p.str(); !ok {
				return "", false, nil, fail("want a quoted descr")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				fortran = true
			case p.word("False"):
				fortran = false
			default:
				return "", false, nil, fail("want True or False")
			}
		case "shape":
			if shape, ok = p.tuple(); !ok {
				return "", false, nil, fail("want a tuple of non-negative integers")
			}
		default:
			return "", false, nil, fail("unexpected key '" + key + "'")
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return "", false, nil, fail("want ',' or '}'")
		}
		break
	}
	p.space()
	if p.i != len(p.s) {
		return "", false, nil, fail("unexpected text after '}'")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return "", false, nil, fmt.Errorf("%w: header %q lacks key '%s'", ErrFormat, clip(h), k)
		}
	}
	if shape == nil {
		shape = []int{}
	}
	return descr, fortran, shape, nil
}

func clip(s string) string {
	s = strings.TrimRight(s, " \n")
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

type parser struct {
	s string
	i int
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str parses a '...' or "..." literal without escapes.
func (p *parser) str() (string, bool) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", false
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsAny(v, "\\\n") {
		return "", false
	}
	p.i += end + 2
	return v, true
}

// tuple parses (), (3,), (2, 3) and Python 2's (2L, 3L).
func (p *parser) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	shape := []int{}
	for {
		p.space()
		if p.eat(')') {
			return shape, true
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start || p.i-start > 19 {
			return nil, false
		}
		d, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, false
		}
		shape = append(shape, d)
		if !p.eat('L') {
			p.eat('l')
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if p.eat(')') {
			return shape, true
		}
		return nil, false
	}
}
