package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// descrOf returns the descr numpy writes for an Array.DType, or "".
func descrOf(dtype string) string {
	switch dtype {
	case "float32":
		return "<f4"
	case "float64":
		return "<f8"
	case "int8":
		return "|i1"
	case "uint8":
		return "|u1"
	case "int16":
		return "<i2"
	case "uint16":
		return "<u2"
	case "int32":
		return "<i4"
	case "int64":
		return "<i8"
	case "uint32":
		return "<u4"
	case "uint64":
		return "<u8"
	case "bool":
		return "|b1"
	}
	return ""
}

// lens returns the length of each element slice of a, by DType name.
func (a *Array) lens() map[string]int {
	return map[string]int{
		"float32": len(a.F32), "float64": len(a.F64),
		"int8": len(a.I8), "uint8": len(a.U8), "int16": len(a.I16), "uint16": len(a.U16),
		"int32": len(a.I32), "int64": len(a.I64), "uint32": len(a.U32), "uint64": len(a.U64),
		"bool": len(a.Bool),
	}
}

// check verifies that a is a consistent array Write can encode.
func (a *Array) check() error {
	if a == nil {
		return fmt.Errorf("%w: nil array", ErrArray)
	}
	if descrOf(a.DType) == "" {
		return fmt.Errorf("%w: unknown dtype %q", ErrArray, a.DType)
	}
	n := 1
	for _, d := range a.Shape {
		if d < 0 {
			return fmt.Errorf("%w: negative dimension in shape %v", ErrArray, a.Shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return fmt.Errorf("%w: shape product overflow for shape %v", ErrArray, a.Shape)
		}
		n *= d
	}
	for name, l := range a.lens() {
		if name == a.DType && l != n {
			return fmt.Errorf("%w: %s data has %d elements, shape %v needs %d", ErrArray, name, l, a.Shape, n)
		}
		if name != a.DType && l != 0 {
			return fmt.Errorf("%w: dtype is %s but %s data is set too", ErrArray, a.DType, name)
		}
	}
	return nil
}

// header returns the bytes numpy.save writes before the data of a C-order
// array with the given descr and shape (numpy's _write_array_header and
// _wrap_header).
func header(descr string, shape []int) []byte {
	var d strings.Builder
	d.WriteString("{'descr': '")
	d.WriteString(descr)
	d.WriteString("', 'fortran_order': False, 'shape': (")
	for i, s := range shape {
		if i > 0 {
			d.WriteString(", ")
		}
		d.WriteString(strconv.Itoa(s))
	}
	if len(shape) == 1 {
		d.WriteByte(',') // Python's one-element tuple
	}
	d.WriteString("), }")
	// Spare room so numpy can grow axis 0 in place: 21 digits in all.
	if len(shape) > 0 {
		if pad := 21 - len(strconv.Itoa(shape[0])); pad > 0 {
			d.WriteString(strings.Repeat(" ", pad))
		}
	}
	dict := d.String()
	// Version 1.0 stores the header length in 2 bytes, 2.0 in 4. Magic,
	// version, length, dict, padding and '\n' fill a multiple of 64 bytes;
	// numpy adds a full 64 spaces when the rest is already aligned.
	hlen := len(dict) + 1
	lenSize := 2
	pad := 64 - (8+lenSize+hlen)%64
	if hlen+pad > math.MaxUint16 {
		lenSize = 4
		pad = 64 - (8+lenSize+hlen)%64
	}
	out := make([]byte, 0, 8+lenSize+hlen+pad)
	out = append(out, magic...)
	if lenSize == 2 {
		out = append(out, 1, 0)
		out = binary.LittleEndian.AppendUint16(out, uint16(hlen+pad))
	} else {
		out = append(out, 2, 0)
		out = binary.LittleEndian.AppendUint32(out, uint32(hlen+pad))
	}
	out = append(out, dict...)
	for range pad {
		out = append(out, ' ')
	}
	return append(out, '\n')
}

// Write writes a to w in .npy format 1.0 (2.0 for a header over 64 KiB),
// byte for byte as numpy.save does.
func Write(w io.Writer, a *Array) error {
	if err := a.check(); err != nil {
		return err
	}
	if _, err := w.Write(header(descrOf(a.DType), a.Shape)); err != nil {
		return err
	}
	le := binary.LittleEndian
	switch a.DType {
	case "float32":
		return writeLE(w, a.F32, 4, func(b []byte, v float32) { le.PutUint32(b, math.Float32bits(v)) })
	case "float64":
		return writeLE(w, a.F64, 8, func(b []byte, v float64) { le.PutUint64(b, math.Float64bits(v)) })
	case "int8":
		return writeLE(w, a.I8, 1, func(b []byte, v int8) { b[0] = byte(v) })
	case "uint8":
		return writeLE(w, a.U8, 1, func(b []byte, v uint8) { b[0] = v })
	case "int16":
		return writeLE(w, a.I16, 2, func(b []byte, v int16) { le.PutUint16(b, uint16(v)) })
	case "uint16":
		return writeLE(w, a.U16, 2, le.PutUint16)
	case "int32":
		return writeLE(w, a.I32, 4, func(b []byte, v int32) { le.PutUint32(b, uint32(v)) })
	case "int64":
		return writeLE(w, a.I64, 8, func(b []byte, v int64) { le.PutUint64(b, uint64(v)) })
	case "uint32":
		return writeLE(w, a.U32, 4, le.PutUint32)
	case "uint64":
		return writeLE(w, a.U64, 8, le.PutUint64)
	default: // bool
		return writeLE(w, a.Bool, 1, func(b []byte, v bool) {
			b[0] = 0
			if v {
				b[0] = 1
			}
		})
	}
}

// writeLE encodes vs with put, size bytes each, in chunks of at most 64 KiB.
func writeLE[T any](w io.Writer, vs []T, size int, put func([]byte, T)) error {
	per := (64 << 10) / size
	buf := make([]byte, min(len(vs), per)*size)
	for len(vs) > 0 {
		k := min(len(vs), per)
		b := buf[:k*size]
		for i, v := range vs[:k] {
			put(b[i*size:], v)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		vs = vs[k:]
	}
	return nil
}
