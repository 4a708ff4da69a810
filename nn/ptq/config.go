package ptq

import (
	"fmt"
	"strings"
)

// Method chooses how an activation's quantization range is derived from
// what calibration observed.
type Method uint8

// Range methods.
const (
	// MinMax takes the smallest and largest value seen.
	MinMax Method = iota
	// Percentile drops (100−Percentile)/2 % of the values from each tail
	// of the histogram.
	Percentile
	// Entropy picks the clipping threshold on |x| that minimizes the KL
	// divergence between the histogram and its quantized version
	// (TensorRT's calibrator).
	Entropy
	// MSE picks the range [α·min, α·max] that minimizes the expected squared
	// quantization error (clipping plus rounding) over the histogram.
	MSE
)

var methodNames = [...]string{"minmax", "percentile", "entropy", "mse"}

// Methods lists every method.
func Methods() []Method { return []Method{MinMax, Percentile, Entropy, MSE} }

func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", m)
}

// ParseMethod parses "minmax", "percentile", "entropy" or "mse".
func ParseMethod(s string) (Method, error) {
	for i, n := range methodNames {
		if strings.EqualFold(s, n) {
			return Method(i), nil
		}
	}
	return 0, fmt.Errorf("ptq: method %q: want one of %s: %w", s, strings.Join(methodNames[:], ", "), ErrConfig)
}

// Config selects how a model is quantized.
type Config struct {
	// Method derives activation ranges from calibration.
	Method Method
	// Percentile is the share of values (in percent, in (50, 100]) the
	// Percentile method keeps inside the range.
	Percentile float64
	// PerChannel quantizes weights with one scale per output channel
	// (axis 0 of Conv weights, the output-feature axis of MatMul/Gemm);
	// false gives one scale per weight tensor.
	PerChannel bool
	// Bins is the number of histogram bins on each side of zero that
	// calibration keeps per tensor (even, 128..65536).
	Bins int
	// FloatFirst and FloatLast keep the first and the last that many nodes
	// of quantizable compute types (Conv, MatMul, Gemm, Add, Mul,
	// GlobalAveragePool, AveragePool, Concat; in graph order) in float:
	// they read the dequantized input and write a float output. FloatLast 1
	// on a classifier keeps its final Gemm/MatMul float, so the logits are
	// not rounded to uint8 (the standard "skip the last layer" of
	// post-training quantization); 2 when the bias is a separate Add.
	FloatFirst, FloatLast int
}

// DefaultConfig is per-channel weights, activation ranges keeping 99.99 % of
// the calibration values (the method that kept MobileNetV2's top-1 closest
// to the float model; see the package documentation), 2048 bins a side.
func DefaultConfig() Config {
	return Config{Method: Percentile, Percentile: 99.99, PerChannel: true, Bins: 2048}
}

// Validate checks the fields.
func (c Config) Validate() error {
	if int(c.Method) >= len(methodNames) {
		return fmt.Errorf("ptq: method %d: %w", c.Method, ErrConfig)
	}
	if !(c.Percentile > 50 && c.Percentile <= 100) {
		return fmt.Errorf("ptq: percentile %g: want 50 < p <= 100: %w", c.Percentile, ErrConfig)
	}
	if c.FloatFirst < 0 || c.FloatLast < 0 {
		return fmt.Errorf("ptq: float first/last %d/%d: want >= 0: %w", c.FloatFirst, c.FloatLast, ErrConfig)
	}
	if c.Bins < 128 || c.Bins > 65536 || c.Bins%2 != 0 {
		return fmt.Errorf("ptq: %d bins: want an even number in [128, 65536]: %w", c.Bins, ErrConfig)
	}
	return nil
}
