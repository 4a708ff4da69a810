// Package npy reads and writes NumPy .npy files holding plain numeric
// arrays.
//
// Read accepts format versions 1.0, 2.0 and 3.0, any byte order and
// Fortran or C element order; the Array it returns is always in C order with
// native values. float16 ('<f2') arrays are widened to float32 on reading.
//
// Write produces the same bytes as numpy.save for a C-order little-endian
// array: format 1.0 (2.0 only when the header exceeds 65535 bytes), the
// header dict {'descr': ..., 'fortran_order': False, 'shape': ..., }
// followed by numpy's spare space for growing the first axis, padded with
// spaces so that magic, length, header and the final '\n' fill a multiple
// of 64 bytes.
package npy

import (
	"os"
	"path/filepath"
)

// Array is an n-dimensional array in C (row-major) order. DType is one of
// "float32", "float64", "int8", "uint8", "int16", "uint16", "int32",
// "int64", "uint32", "uint64", "bool", and exactly the matching slice holds
// the product of Shape elements (an empty Shape is a scalar: one element).
type Array struct {
	DType string
	Shape []int
	F32   []float32
	F64   []float64
	I8    []int8
	U8    []uint8
	I16   []int16
	U16   []uint16
	I32   []int32
	I64   []int64
	U32   []uint32
	U64   []uint64
	Bool  []bool
}

// ReadFile reads the .npy file at path. Errors name the file.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Read(f)
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	return a, nil
}

// WriteFile writes a to path as a .npy file. It writes a temporary file in
// the same folder and renames it, so path never holds a partial array.
func WriteFile(path string, a *Array) (err error) {
	if err := a.check(); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = Write(f, a); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
