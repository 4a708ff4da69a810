package gorgonia

import "errors"

// Errors returned by ToDense and FromDense, wrapped with the dtype, shape or
// layout that caused them.
var (
	// ErrDType: the element type has no counterpart on the other side.
	ErrDType = errors.New("gorgonia interop: unsupported dtype")
	// ErrEmpty: the tensor has zero elements (see the package doc).
	ErrEmpty = errors.New("gorgonia interop: zero-element tensor")
	// ErrLayout: the Dense's elements are not one contiguous row-major run of
	// Go memory (transposed, strided view, column-major, masked or
	// non-native memory).
	ErrLayout = errors.New("gorgonia interop: not a contiguous row-major Dense")
	// ErrInvalid: a nil tensor, a negative dimension, or a data slice whose
	// length does not match the shape.
	ErrInvalid = errors.New("gorgonia interop: invalid tensor")
)
