package onnxpb

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// NumElements returns the product of t.Dims (1 for a scalar), or an error
// if a dim is negative or the product does not fit in an int.
func (t *Tensor) NumElements() (int, error) {
	n := 1
	for _, d := range t.Dims {
		if d < 0 {
			return 0, fmt.Errorf("onnxpb: tensor %q: negative dim in %v: %w", t.Name, t.Dims, ErrData)
		}
		if d > math.MaxInt || (d != 0 && n > math.MaxInt/int(d)) {
			return 0, fmt.Errorf("onnxpb: tensor %q: dims %v overflow: %w", t.Name, t.Dims, ErrData)
		}
		n *= int(d)
	}
	return n, nil
}

// check verifies that t holds one of the data types in want and that its
// data is inline, and returns its element count.
func (t *Tensor) check(want ...DataType) (int, error) {
	if t.DataLocation == DataLocationExternal {
		return 0, fmt.Errorf("onnxpb: tensor %s uses external data, not supported: %w", t.Name, ErrUnsupported)
	}
	ok := false
	for _, w := range want {
		ok = ok || t.DataType == w
	}
	if !ok {
		names := make([]string, len(want))
		for i, w := range want {
			names[i] = w.String()
		}
		return 0, fmt.Errorf("onnxpb: tensor %q has data type %v, want %s: %w",
			t.Name, t.DataType, strings.Join(names, " or "), ErrType)
	}
	return t.NumElements()
}

// rawFor returns t.RawData if it is in use, after checking it holds n
// elements of size bytes. It returns nil, nil when the typed field is in
// use, which the caller then checks with typedLen.
func (t *Tensor) rawFor(n, size int, typed string, typedLen int) ([]byte, error) {
	if len(t.RawData) == 0 {
		if typedLen != n {
			return nil, fmt.Errorf("onnxpb: tensor %q (%v%v): %s has %d values, want %d: %w",
				t.Name, t.DataType, t.Dims, typed, typedLen, n, ErrData)
		}
		return nil, nil
	}
	if typedLen != 0 {
		return nil, fmt.Errorf("onnxpb: tensor %q: both raw_data and %s are set: %w", t.Name, typed, ErrData)
	}
	if len(t.RawData)%size != 0 || len(t.RawData)/size != n {
		return nil, fmt.Errorf("onnxpb: tensor %q (%v%v): raw_data has %d bytes, want %d elements of %d bytes: %w",
			t.Name, t.DataType, t.Dims, len(t.RawData), n, size, ErrData)
	}
	return t.RawData, nil
}

// Float32s returns the elements of a FLOAT tensor (raw_data or float_data).
func (t *Tensor) Float32s() ([]float32, error) {
	n, err := t.check(DataTypeFloat)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 4, "float_data", len(t.FloatData))
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	if raw == nil {
		copy(out, t.FloatData)
		return out, nil
	}
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}

// Float64s returns the elements of a DOUBLE tensor (raw_data or double_data).
func (t *Tensor) Float64s() ([]float64, error) {
	n, err := t.check(DataTypeDouble)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 8, "double_data", len(t.DoubleData))
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	if raw == nil {
		copy(out, t.DoubleData)
		return out, nil
	}
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out, nil
}

// Int64s returns the elements of an INT64 tensor (raw_data or int64_data).
func (t *Tensor) Int64s() ([]int64, error) {
	n, err := t.check(DataTypeInt64)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 8, "int64_data", len(t.Int64Data))
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	if raw == nil {
		copy(out, t.Int64Data)
		return out, nil
	}
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out, nil
}

// Int32s returns the elements of an INT32 tensor (raw_data or int32_data).
func (t *Tensor) Int32s() ([]int32, error) {
	n, err := t.check(DataTypeInt32)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 4, "int32_data", len(t.Int32Data))
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	if raw == nil {
		copy(out, t.Int32Data)
		return out, nil
	}
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}

// Uint32s returns the elements of a UINT32 tensor (raw_data or uint64_data).
func (t *Tensor) Uint32s() ([]uint32, error) {
	n, err := t.check(DataTypeUint32)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 4, "uint64_data", len(t.Uint64Data))
	if err != nil {
		return nil, err
	}
	out := make([]uint32, n)
	if raw == nil {
		for i, v := range t.Uint64Data {
			if v > math.MaxUint32 {
				return nil, outOfRange(t, i, int64(min(v, math.MaxInt64)))
			}
			out[i] = uint32(v)
		}
		return out, nil
	}
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(raw[4*i:])
	}
	return out, nil
}

// Uint64s returns the elements of a UINT64 tensor (raw_data or uint64_data).
func (t *Tensor) Uint64s() ([]uint64, error) {
	n, err := t.check(DataTypeUint64)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 8, "uint64_data", len(t.Uint64Data))
	if err != nil {
		return nil, err
	}
	out := make([]uint64, n)
	if raw == nil {
		copy(out, t.Uint64Data)
		return out, nil
	}
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	return out, nil
}

func outOfRange(t *Tensor, i int, v int64) error {
	return fmt.Errorf("onnxpb: tensor %q: element %d = %d is out of range for %v: %w", t.Name, i, v, t.DataType, ErrData)
}

// small reads a tensor whose elements live in int32_data (or raw_data with
// size bytes each) and must lie in [lo, hi].
func small[T int8 | uint8 | int16 | uint16](t *Tensor, dt DataType, size int, lo, hi int32, fromRaw func([]byte) T) ([]T, error) {
	n, err := t.check(dt)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, size, "int32_data", len(t.Int32Data))
	if err != nil {
		return nil, err
	}
	out := make([]T, n)
	if raw == nil {
		for i, v := range t.Int32Data {
			if v < lo || v > hi {
				return nil, outOfRange(t, i, int64(v))
			}
			out[i] = T(v)
		}
		return out, nil
	}
	for i := range out {
		out[i] = fromRaw(raw[size*i:])
	}
	return out, nil
}

// Uint8s returns the elements of a UINT8 tensor (raw_data or int32_data).
func (t *Tensor) Uint8s() ([]uint8, error) {
	return small(t, DataTypeUint8, 1, 0, math.MaxUint8, func(b []byte) uint8 { return b[0] })
}

// Int8s returns the elements of an INT8 tensor (raw_data or int32_data).
func (t *Tensor) Int8s() ([]int8, error) {
	return small(t, DataTypeInt8, 1, math.MinInt8, math.MaxInt8, func(b []byte) int8 { return int8(b[0]) })
}

// Uint16s returns the elements of a UINT16 tensor (raw_data or int32_data).
func (t *Tensor) Uint16s() ([]uint16, error) {
	return small(t, DataTypeUint16, 2, 0, math.MaxUint16, binary.LittleEndian.Uint16)
}

// Int16s returns the elements of an INT16 tensor (raw_data or int32_data).
func (t *Tensor) Int16s() ([]int16, error) {
	return small(t, DataTypeInt16, 2, math.MinInt16, math.MaxInt16, func(b []byte) int16 {
		return int16(binary.LittleEndian.Uint16(b))
	})
}

// Bools returns the elements of a BOOL tensor (raw_data, one byte per
// element, or int32_data); any non-zero value is true.
func (t *Tensor) Bools() ([]bool, error) {
	n, err := t.check(DataTypeBool)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 1, "int32_data", len(t.Int32Data))
	if err != nil {
		return nil, err
	}
	out := make([]bool, n)
	if raw == nil {
		for i, v := range t.Int32Data {
			out[i] = v != 0
		}
		return out, nil
	}
	for i, v := range raw {
		out[i] = v != 0
	}
	return out, nil
}

// Float16Bits returns the raw 16-bit patterns of a FLOAT16 or BFLOAT16
// tensor (raw_data or int32_data).
func (t *Tensor) Float16Bits() ([]uint16, error) {
	n, err := t.check(DataTypeFloat16, DataTypeBFloat16)
	if err != nil {
		return nil, err
	}
	raw, err := t.rawFor(n, 2, "int32_data", len(t.Int32Data))
	if err != nil {
		return nil, err
	}
	out := make([]uint16, n)
	if raw == nil {
		for i, v := range t.Int32Data {
			if v < 0 || v > math.MaxUint16 {
				return nil, outOfRange(t, i, int64(v))
			}
			out[i] = uint16(v)
		}
		return out, nil
	}
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return out, nil
}

// Float16sAsFloat32 returns the elements of a FLOAT16 or BFLOAT16 tensor
// widened exactly to float32.
func (t *Tensor) Float16sAsFloat32() ([]float32, error) {
	bits, err := t.Float16Bits()
	if err != nil {
		return nil, err
	}
	conv := Float16ToFloat32
	if t.DataType == DataTypeBFloat16 {
		conv = BFloat16ToFloat32
	}
	out := make([]float32, len(bits))
	for i, h := range bits {
		out[i] = conv(h)
	}
	return out, nil
}

// Strings returns the elements of a STRING tensor (string_data).
func (t *Tensor) Strings() ([][]byte, error) {
	n, err := t.check(DataTypeString)
	if err != nil {
		return nil, err
	}
	if len(t.StringData) != n {
		return nil, fmt.Errorf("onnxpb: tensor %q (%v%v): string_data has %d values, want %d: %w",
			t.Name, t.DataType, t.Dims, len(t.StringData), n, ErrData)
	}
	return t.StringData, nil
}

// Float16ToFloat32 converts an IEEE 754 binary16 bit pattern to float32
// (exact: every half value is a float32 value; NaN payloads are kept).
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case 0: // zero, subnormal: man * 2^-24
		f := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// BFloat16ToFloat32 converts a bfloat16 bit pattern (the top half of a
// float32) to float32.
func BFloat16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}
