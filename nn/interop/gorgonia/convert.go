package gorgonia

import (
	"fmt"
	"math"

	ocellus "github.com/ocellus/ocellus/nn/tensor"
	"gorgonia.org/tensor"
)

// ToDense wraps t's elements as a row-major *tensor.Dense of the same shape.
// The Dense and t share memory; the shape is copied. A rank-0 t becomes a
// gorgonia scalar. It returns ErrDType for a dtype gorgonia cannot hold,
// ErrEmpty for a zero-element t and ErrInvalid for a nil t, a negative
// dimension or a data slice whose length does not match the shape.
func ToDense(t *ocellus.Tensor) (*tensor.Dense, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil *tensor.Tensor", ErrInvalid)
	}
	if err := ocellus.CheckShape(t.Shape, math.MaxInt); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var backing any
	var have int
	switch t.DType {
	case ocellus.Float32:
		backing, have = t.F32, len(t.F32)
	case ocellus.Uint8:
		backing, have = t.U8, len(t.U8)
	case ocellus.Int8:
		backing, have = t.I8, len(t.I8)
	case ocellus.Int32:
		backing, have = t.I32, len(t.I32)
	case ocellus.Int64:
		backing, have = t.I64, len(t.I64)
	case ocellus.Bool:
		backing, have = t.Bool, len(t.Bool)
	default:
		return nil, fmt.Errorf("%w: ocellus dtype %v has no gorgonia counterpart", ErrDType, t.DType)
	}
	n := ocellus.NumElems(t.Shape)
	if n == 0 {
		return nil, fmt.Errorf("%w: ocellus %v tensor of shape %v", ErrEmpty, t.DType, t.Shape)
	}
	if have != n {
		return nil, fmt.Errorf("%w: %v tensor of shape %v holds %d elements, want %d",
			ErrInvalid, t.DType, t.Shape, have, n)
	}
	// tensor.New panics on a length/shape mismatch; both were checked above.
	// WithShape() with no dims makes a scalar Dense.
	return tensor.New(tensor.WithBacking(backing), tensor.WithShape(t.Shape...)), nil
}

// FromDense wraps d's elements as an ocellus tensor of the same dtype and
// shape. The tensor and d share memory; the shape is copied. d must hold one
// contiguous row-major run of Go memory: transposed, strided, column-major
// and masked Denses return ErrLayout (Materialize them first). A contiguous
// slice view (whole rows) is accepted and shares its parent's memory. It
// returns ErrDType for a dtype ocellus does not compute with (float64, int,
// …), ErrEmpty for a zero-element d and ErrInvalid for a nil d.
func FromDense(d *tensor.Dense) (*ocellus.Tensor, error) {
	if d == nil {
		return nil, fmt.Errorf("%w: nil *tensor.Dense", ErrInvalid)
	}
	shape := d.Shape()
	var dt ocellus.DType
	switch d.Dtype() {
	case tensor.Float32:
		dt = ocellus.Float32
	case tensor.Uint8:
		dt = ocellus.Uint8
	case tensor.Int8:
		dt = ocellus.Int8
	case tensor.Int32:
		dt = ocellus.Int32
	case tensor.Int64:
		dt = ocellus.Int64
	case tensor.Bool:
		dt = ocellus.Bool
	default:
		return nil, fmt.Errorf("%w: gorgonia dtype %v of shape %v has no ocellus counterpart",
			ErrDType, d.Dtype(), shape)
	}
	n := shape.TotalSize() // 1 for a scalar
	if n == 0 {
		return nil, fmt.Errorf("%w: gorgonia %v Dense of shape %v", ErrEmpty, d.Dtype(), shape)
	}
	if err := checkLayout(d); err != nil {
		return nil, err
	}

	t := &ocellus.Tensor{DType: dt, Shape: append([]int(nil), shape...)}
	// The typed accessors (Float32s …) are promoted from the Dense's storage
	// header: they reinterpret the backing bytes without copying, and unlike
	// Data() they return a slice for scalars too. A contiguous view's backing
	// starts at its first element.
	var have int
	switch dt {
	case ocellus.Float32:
		s := d.Float32s()
		have = len(s)
		if have >= n {
			t.F32 = s[:n:n]
		}
	case ocellus.Uint8:
		s := d.Uint8s()
		have = len(s)
		if have >= n {
			t.U8 = s[:n:n]
		}
	case ocellus.Int8:
		s := d.Int8s()
		have = len(s)
		if have >= n {
			t.I8 = s[:n:n]
		}
	case ocellus.Int32:
		s := d.Int32s()
		have = len(s)
		if have >= n {
			t.I32 = s[:n:n]
		}
	case ocellus.Int64:
		s := d.Int64s()
		have = len(s)
		if have >= n {
			t.I64 = s[:n:n]
		}
	case ocellus.Bool:
		s := d.Bools()
		have = len(s)
		if have >= n {
			t.Bool = s[:n:n]
		}
	}
	if have < n {
		return nil, fmt.Errorf("%w: gorgonia %v Dense of shape %v has %d elements of backing, want %d",
			ErrInvalid, d.Dtype(), shape, have, n)
	}
	return t, nil
}

// checkLayout reports ErrLayout unless d's elements are one contiguous
// row-major run of Go-addressable memory. The flag checks give a precise
// message; the stride check backs them up independently of gorgonia's flags.
// The DataOrder's Transposed bit is deliberately ignored (see below).
func checkLayout(d *tensor.Dense) error {
	shape := d.Shape()
	o := d.DataOrder()
	var why string
	switch {
	case !d.IsNativelyAccessible():
		why = "memory is not addressable from Go"
	case o.IsColMajor():
		why = "column-major (Fortran) order"
	case d.IsMaterializable() && !d.IsView():
		// T() without Transpose(). DataOrder().IsTransposed() cannot be used:
		// in v0.9.24 the flag stays set after Transpose() has moved the data,
		// and is copied into the results of arithmetic on such a Dense.
		why = "transposed without moving data; call Transpose() or Materialize() first"
	case o.IsNotContiguous():
		why = "a non-contiguous (strided) view; call Materialize() first"
	case d.IsMasked():
		why = "masked; the mask cannot be carried over"
	case d.RequiresIterator():
		why = "elements must be visited with an iterator"
	}
	if why == "" {
		strides := d.Strides()
		if len(strides) != len(shape) && len(shape) > 0 {
			why = fmt.Sprintf("strides %v do not match rank %d", strides, len(shape))
		} else {
			want := 1
			for i := len(shape) - 1; i >= 0; i-- {
				if shape[i] != 1 && strides[i] != want {
					why = fmt.Sprintf("strides %v are not row-major", strides)
					break
				}
				want *= shape[i]
			}
		}
	}
	if why != "" {
		return fmt.Errorf("%w: %v Dense of shape %v: %s", ErrLayout, d.Dtype(), shape, why)
	}
	return nil
}
