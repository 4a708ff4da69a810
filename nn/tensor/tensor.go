// Package tensor defines ocellus's concrete tensor type: a dtype, a shape and
// one typed slice. There is no reflection and no interface{} data: exactly
// one of the typed slices is set, the one named by DType.
package tensor

import (
	"fmt"
	"unsafe"

	"github.com/ocellus/ocellus/kernels"
)

// DType is an element type.
type DType uint8

// The element types ocellus computes with.
const (
	Invalid DType = iota
	Float32
	Uint8
	Int8
	Int32
	Int64
	Bool
)

var dtypeNames = [...]string{"invalid", "float32", "uint8", "int8", "int32", "int64", "bool"}
var dtypeSizes = [...]int{0, 4, 1, 1, 4, 8, 1}

func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Size is the size of one element in bytes (0 for Invalid).
func (d DType) Size() int {
	if int(d) < len(dtypeSizes) {
		return dtypeSizes[d]
	}
	return 0
}

// Tensor is a dense, row-major (C order) n-dimensional array.
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	U8    []uint8
	I8    []int8
	I32   []int32
	I64   []int64
	Bool  []bool
}

// NumElems is the product of shape (1 for a scalar).
func NumElems(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// CheckShape reports an error if a dimension is negative or the element
// count would overflow maxElems.
func CheckShape(shape []int, maxElems int) error {
	n := 1
	for i, d := range shape {
		if d < 0 {
			return fmt.Errorf("tensor: negative dimension %d at axis %d of shape %v", d, i, shape)
		}
		if d != 0 && n > maxElems/d {
			return fmt.Errorf("tensor: shape %v has more than %d elements", shape, maxElems)
		}
		n *= d
	}
	return nil
}

// New allocates a zeroed tensor.
func New(dt DType, shape ...int) *Tensor {
	t := &Tensor{DType: dt, Shape: append([]int(nil), shape...)}
	n := NumElems(shape)
	switch dt {
	case Float32:
		t.F32 = make([]float32, n)
	case Uint8:
		t.U8 = make([]uint8, n)
	case Int8:
		t.I8 = make([]int8, n)
	case Int32:
		t.I32 = make([]int32, n)
	case Int64:
		t.I64 = make([]int64, n)
	case Bool:
		t.Bool = make([]bool, n)
	default:
		panic("tensor: New with invalid dtype " + dt.String())
	}
	return t
}

// FromF32 wraps data (not copied) as a float32 tensor.
func FromF32(data []float32, shape ...int) *Tensor {
	if len(data) != NumElems(shape) {
		panic(fmt.Sprintf("tensor: %d values for shape %v", len(data), shape))
	}
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), F32: data}
}

// FromI64 wraps data (not copied) as an int64 tensor.
func FromI64(data []int64, shape ...int) *Tensor {
	if len(data) != NumElems(shape) {
		panic(fmt.Sprintf("tensor: %d values for shape %v", len(data), shape))
	}
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), I64: data}
}

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElems(t.Shape) }

// Bytes returns the tensor's backing memory as bytes (a view, not a copy).
func (t *Tensor) Bytes() []byte {
	switch t.DType {
	case Float32:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.F32))), 4*len(t.F32))
	case Uint8:
		return t.U8
	case Int8:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.I8))), len(t.I8))
	case Int32:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.I32))), 4*len(t.I32))
	case Int64:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.I64))), 8*len(t.I64))
	case Bool:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.Bool))), len(t.Bool))
	}
	return nil
}

// View makes a tensor of the given dtype and shape over buf, which must be
// aligned for dtype and hold at least NumElems(shape)*dt.Size() bytes. The
// runtime uses it to place tensors in a preplanned arena.
func View(dt DType, shape []int, buf []byte) *Tensor {
	n := NumElems(shape)
	if len(buf) < n*dt.Size() {
		panic(fmt.Sprintf("tensor: View of %v %v needs %d bytes, have %d", dt, shape, n*dt.Size(), len(buf)))
	}
	t := &Tensor{DType: dt, Shape: append([]int(nil), shape...)}
	if n == 0 {
		t.setEmpty()
		return t
	}
	p := unsafe.Pointer(unsafe.SliceData(buf))
	if uintptr(p)%uintptr(dt.Size()) != 0 {
		panic("tensor: View of misaligned buffer")
	}
	switch dt {
	case Float32:
		t.F32 = unsafe.Slice((*float32)(p), n)
	case Uint8:
		t.U8 = unsafe.Slice((*uint8)(p), n)
	case Int8:
		t.I8 = unsafe.Slice((*int8)(p), n)
	case Int32:
		t.I32 = unsafe.Slice((*int32)(p), n)
	case Int64:
		t.I64 = unsafe.Slice((*int64)(p), n)
	case Bool:
		t.Bool = unsafe.Slice((*bool)(p), n)
	default:
		panic("tensor: View with invalid dtype " + dt.String())
	}
	return t
}

func (t *Tensor) setEmpty() {
	switch t.DType {
	case Float32:
		t.F32 = []float32{}
	case Uint8:
		t.U8 = []uint8{}
	case Int8:
		t.I8 = []int8{}
	case Int32:
		t.I32 = []int32{}
	case Int64:
		t.I64 = []int64{}
	case Bool:
		t.Bool = []bool{}
	}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...)}
	c.F32 = append([]float32(nil), t.F32...)
	c.U8 = append([]uint8(nil), t.U8...)
	c.I8 = append([]int8(nil), t.I8...)
	c.I32 = append([]int32(nil), t.I32...)
	c.I64 = append([]int64(nil), t.I64...)
	c.Bool = append([]bool(nil), t.Bool...)
	if c.Len() == 0 || c.nilData() {
		c.setEmpty()
	}
	return c
}

func (t *Tensor) nilData() bool {
	return t.F32 == nil && t.U8 == nil && t.I8 == nil && t.I32 == nil && t.I64 == nil && t.Bool == nil
}

// CopyFrom copies src's elements into t. Dtypes and element counts must match.
func (t *Tensor) CopyFrom(src *Tensor) error {
	if t.DType != src.DType || t.Len() != src.Len() {
		return fmt.Errorf("tensor: cannot copy %v %v into %v %v", src.DType, src.Shape, t.DType, t.Shape)
	}
	copy(t.Bytes(), src.Bytes())
	return nil
}

// Reshaped returns a tensor sharing t's data with another shape of the same size.
func (t *Tensor) Reshaped(shape ...int) *Tensor {
	if NumElems(shape) != t.Len() {
		panic(fmt.Sprintf("tensor: cannot reshape %v to %v", t.Shape, shape))
	}
	c := *t
	c.Shape = append([]int(nil), shape...)
	return &c
}

// AsInt64s returns the values of an integer tensor widened to int64 (a copy).
func (t *Tensor) AsInt64s() ([]int64, error) {
	out := make([]int64, t.Len())
	switch t.DType {
	case Int64:
		copy(out, t.I64)
	case Int32:
		for i, v := range t.I32 {
			out[i] = int64(v)
		}
	case Int8:
		for i, v := range t.I8 {
			out[i] = int64(v)
		}
	case Uint8:
		for i, v := range t.U8 {
			out[i] = int64(v)
		}
	default:
		return nil, fmt.Errorf("tensor: %v is not an integer type", t.DType)
	}
	return out, nil
}

// AsFloat32s returns the values converted to float32 (a copy).
func (t *Tensor) AsFloat32s() []float32 {
	out := make([]float32, t.Len())
	switch t.DType {
	case Float32:
		copy(out, t.F32)
	case Uint8:
		for i, v := range t.U8 {
			out[i] = float32(v)
		}
	case Int8:
		for i, v := range t.I8 {
			out[i] = float32(v)
		}
	case Int32:
		for i, v := range t.I32 {
			out[i] = float32(v)
		}
	case Int64:
		for i, v := range t.I64 {
			out[i] = float32(v)
		}
	case Bool:
		for i, v := range t.Bool {
			if v {
				out[i] = 1
			}
		}
	}
	return out
}

// String is a short description: dtype and shape.
func (t *Tensor) String() string { return fmt.Sprintf("%v%v", t.DType, t.Shape) }

// Transposed returns a copy of t with its axes permuted: output axis i is
// input axis perm[i].
func (t *Tensor) Transposed(perm []int) *Tensor {
	shape := make([]int, len(perm))
	for i, a := range perm {
		shape[i] = t.Shape[a]
	}
	out := New(t.DType, shape...)
	switch t.DType {
	case Float32:
		kernels.Transpose(t.F32, t.Shape, perm, out.F32)
	case Uint8:
		kernels.Transpose(t.U8, t.Shape, perm, out.U8)
	case Int8:
		kernels.Transpose(t.I8, t.Shape, perm, out.I8)
	case Int32:
		kernels.Transpose(t.I32, t.Shape, perm, out.I32)
	case Int64:
		kernels.Transpose(t.I64, t.Shape, perm, out.I64)
	case Bool:
		kernels.Transpose(t.Bool, t.Shape, perm, out.Bool)
	}
	return out
}

// Argmax is the index of the first largest value of v (0 for an empty v);
// a NaN counts as smaller than any number.
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] || v[best] != v[best] && x == x {
			best = i
		}
	}
	return best
}
