package tflitefb

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Data returns the constant data of t (a sub-slice of the decoded input), or
// nil when t has none (buffer 0, an empty buffer, or an index out of range).
func (t *Tensor) Data(m *Model) []byte {
	if uint64(t.Buffer) >= uint64(len(m.Buffers)) {
		return nil
	}
	return m.Buffers[t.Buffer]
}

// NumElements returns the product of t.Shape (1 for a scalar). ok is false
// when a dimension is negative or the product does not fit in an int.
func (t *Tensor) NumElements() (n int, ok bool) {
	p := int64(1)
	for _, d := range t.Shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && p > math.MaxInt/int64(d) {
			return 0, false
		}
		p *= int64(d)
	}
	return int(p), true
}

// Float32s returns a copy of the constant data of a FLOAT32 tensor. The
// typed readers check the tensor type and that the data holds exactly one
// element per shape entry; errors wrap ErrData.
func (t *Tensor) Float32s(m *Model) ([]float32, error) {
	return read(t, m, TypeFloat32, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
}

// Int32s returns a copy of the constant data of an INT32 tensor.
func (t *Tensor) Int32s(m *Model) ([]int32, error) {
	return read(t, m, TypeInt32, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) })
}

// Int64s returns a copy of the constant data of an INT64 tensor.
func (t *Tensor) Int64s(m *Model) ([]int64, error) {
	return read(t, m, TypeInt64, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) })
}

// Int16s returns a copy of the constant data of an INT16 tensor.
func (t *Tensor) Int16s(m *Model) ([]int16, error) {
	return read(t, m, TypeInt16, func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) })
}

// Int8s returns a copy of the constant data of an INT8 tensor.
func (t *Tensor) Int8s(m *Model) ([]int8, error) {
	return read(t, m, TypeInt8, func(b []byte) int8 { return int8(b[0]) })
}

// Uint8s returns a copy of the constant data of a UINT8 tensor.
func (t *Tensor) Uint8s(m *Model) ([]uint8, error) {
	return read(t, m, TypeUint8, func(b []byte) uint8 { return b[0] })
}

func read[T any](t *Tensor, m *Model, want TensorType, conv func([]byte) T) ([]T, error) {
	if t.Type != want {
		return nil, fmt.Errorf("tflitefb: tensor %q is %s, not %s: %w", t.Name, t.Type, want, ErrData)
	}
	if t.Sparse {
		return nil, fmt.Errorf("tflitefb: tensor %q is sparse: %w", t.Name, ErrData)
	}
	n, ok := t.NumElements()
	if !ok {
		return nil, fmt.Errorf("tflitefb: tensor %q has invalid shape %v: %w", t.Name, t.Shape, ErrData)
	}
	data := t.Data(m)
	size := want.Size()
	if len(data) == 0 && n > 0 {
		return nil, fmt.Errorf("tflitefb: tensor %q (buffer %d) has no constant data: %w", t.Name, t.Buffer, ErrData)
	}
	if n > len(data)/size || len(data) != n*size {
		return nil, fmt.Errorf("tflitefb: tensor %q: shape %v needs %d elements of %d bytes, buffer %d holds %d bytes: %w",
			t.Name, t.Shape, n, size, t.Buffer, len(data), ErrData)
	}
	out := make([]T, n)
	for i := range out {
		out[i] = conv(data[i*size:])
	}
	return out, nil
}
