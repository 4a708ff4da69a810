package ptq

import "errors"

// Errors returned (wrapped, with the node, tensor or file concerned) by this package.
var (
	// ErrModel: the model is malformed or uses something the quantizer
	// cannot rewrite (an opset older than 7, a graph cycle, an op whose
	// semantics changed before opset 13 and that the upgrade does not convert).
	ErrModel = errors.New("model not supported")
	// ErrConfig: a Config field is out of range.
	ErrConfig = errors.New("bad quantization config")
	// ErrNoRange: a tensor that needs a QuantizeLinear has no calibrated range.
	ErrNoRange = errors.New("no calibration range")
	// ErrNoSamples: Ranges was asked for before any calibration sample.
	ErrNoSamples = errors.New("no calibration samples")
)
