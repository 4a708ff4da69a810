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
	// RefineSamples is the number of calibration samples (spread over
	// those added) that the refinements below run through the quantized
	// model (Calibrator.Quantize).
	RefineSamples int
	// BiasCorrection is the number of empirical bias-correction passes
	// (0: none). A pass goes through the Conv and Gemm nodes in graph
	// order, the corrections of the earlier ones in place, and subtracts
	// from each bias the mean error of the node's output per channel (int8
	// execution minus float, before the activation).
	BiasCorrection int
	// FloatActivations (mixed precision) keeps that many activations float:
	// each activation is quantized alone, the distance of the outputs from
	// the float model's measured, and the most sensitive ones get no Q/DQ
	// pair (their producers write float, their readers read float).
	FloatActivations int
	// RangeSearch chooses each activation's range among minmax, percentile
	// 99.9/99.99/99.999, entropy and MSE by the error of the model's outputs
	// on RefineSamples calibration samples (in graph order, the
	// activations before it quantized, those after it float), instead of
	// Method for all.
	RangeSearch bool
	// Objective is the distance from the float model's outputs that the
	// range search and the sensitivity pass minimize. On MobileNetV2 with
	// no float activation, ObjectiveKL varies less with the calibration
	// set than ObjectiveMSE (worst top-1 agreement over three sets 375/397
	// against 358/397) but is not better on every set (BENCHMARKS.md,
	// "Earlier PTQ measurements", session 3).
	Objective Objective
}

// Objective is how the refinements measure a quantized model's outputs
// against the float model's.
type Objective uint8

// Objectives.
const (
	// ObjectiveMSE is the mean squared difference of all outputs relative
	// to their mean square.
	ObjectiveMSE Objective = iota
	// ObjectiveKL is the mean KL divergence of the softmax over each
	// output's last axis (for classifiers that output logits).
	ObjectiveKL
)

// DefaultConfig is the configuration that kept MobileNetV2's top-1 closest
// to the float model (package documentation, BENCHMARKS.md): per-channel weights,
// entropy activation ranges refined per activation by the range search,
// the 4 most sensitive activations kept float, 16 refinement samples,
// both measured by the outputs' squared error (ObjectiveMSE), no bias
// correction, 2048 histogram bins a side.
func DefaultConfig() Config {
	return Config{Method: Entropy, Percentile: 99.99, PerChannel: true, Bins: 2048,
		RefineSamples: 16, RangeSearch: true, FloatActivations: 4}
}

// Validate checks the fields.
func (c Config) Validate() error {
	if int(c.Method) >= len(methodNames) {
		return fmt.Errorf("ptq: method %d: %w", c.Method, ErrConfig)
	}
	if !(c.Percentile > 50 && c.Percentile <= 100) {
		return fmt.Errorf("ptq: percentile %g: want 50 < p <= 100: %w", c.Percentile, ErrConfig)
	}
	if c.BiasCorrection < 0 || c.BiasCorrection > 10 {
		return fmt.Errorf("ptq: %d bias-correction passes: want 0..10: %w", c.BiasCorrection, ErrConfig)
	}
	if c.FloatActivations < 0 || c.RefineSamples < 0 {
		return fmt.Errorf("ptq: float activations %d, refine samples %d: want >= 0: %w", c.FloatActivations, c.RefineSamples, ErrConfig)
	}
	if c.Objective > ObjectiveKL {
		return fmt.Errorf("ptq: objective %d: %w", c.Objective, ErrConfig)
	}
	if c.FloatFirst < 0 || c.FloatLast < 0 {
		return fmt.Errorf("ptq: float first/last %d/%d: want >= 0: %w", c.FloatFirst, c.FloatLast, ErrConfig)
	}
	if c.Bins < 128 || c.Bins > 65536 || c.Bins%2 != 0 {
		return fmt.Errorf("ptq: %d bins: want an even number in [128, 65536]: %w", c.Bins, ErrConfig)
	}
	return nil
}
