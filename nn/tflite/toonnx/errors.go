package toonnx

import "errors"

// Errors returned (wrapped) by ToONNX.
var (
	// ErrQuantized: the model has quantized or integer activations or
	// weights. ocellus runs quantized TFLite models natively (nn.Load);
	// ToONNX converts float models only.
	ErrQuantized = errors.New("quantized TFLite model (ocellus runs it natively; ToONNX converts float models)")
	// ErrUnsupported: an operator, option or tensor type the converter does
	// not handle.
	ErrUnsupported = errors.New("unsupported")
	// ErrInvalid: the model is malformed or inconsistent (shapes that do
	// not fit the operator, missing constant data).
	ErrInvalid = errors.New("invalid model")
)
