package ptq

import (
	"fmt"
	"math"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Agreement compares the first output of a quantized model with the float
// model's on the same inputs.
type Agreement struct {
	// Samples is the number of inputs compared; Rows the number of rows of
	// the first output (its last axis is one row: a batch-1 classifier has
	// one row per sample) and Top1 the rows whose largest value has the
	// same index in both models.
	Samples, Rows, Top1 int
	// RMS is the root mean square of the outputs' differences, FloatRMS
	// the float output's own root mean square.
	RMS, FloatRMS float64
}

// String reports the agreement on one line.
func (a Agreement) String() string {
	if a.Rows == 0 {
		return "no samples compared"
	}
	rel := 0.0
	if a.FloatRMS > 0 {
		rel = a.RMS / a.FloatRMS
	}
	return fmt.Sprintf("top-1 agreement with the float model %d/%d (%.1f %%), output RMS error %.3g (%.1f %% of the float output's)",
		a.Top1, a.Rows, 100*float64(a.Top1)/float64(a.Rows), a.RMS, 100*rel)
}

// Checker runs a float model and its quantized version side by side, each
// compiled as nn.Load would (the quantized one on the int8 kernels), and
// accumulates their Agreement.
type Checker struct {
	fs, qs  *nn.Session
	a       Agreement
	se, fsq float64
	n       int
}

// NewChecker compiles the calibrator's prepared float model and quantized
// model qm (normally Calibrator.Quantize's result) for comparison.
func (c *Calibrator) NewChecker(qm *onnxpb.Model) (*Checker, error) {
	compile := func(m *onnxpb.Model, what string) (*nn.Session, error) {
		im, err := onnx.Import(m.Marshal(), &onnx.Options{InputShapes: c.shapes})
		if err != nil {
			return nil, fmt.Errorf("ptq: loading the %s model: %w", what, err)
		}
		mod, err := nn.FromONNX(im, nil)
		if err != nil {
			return nil, fmt.Errorf("ptq: compiling the %s model: %w", what, err)
		}
		return mod.NewSession(), nil
	}
	fs, err := compile(c.prep, "float")
	if err != nil {
		return nil, err
	}
	qs, err := compile(qm, "quantized")
	if err != nil {
		fs.Close()
		return nil, err
	}
	return &Checker{fs: fs, qs: qs}, nil
}

// Add runs both models on one sample (the model's inputs in order).
func (k *Checker) Add(x ...*tensor.Tensor) error {
	fo, err := k.fs.Run(x...)
	if err != nil {
		return fmt.Errorf("ptq: float run: %w", err)
	}
	qo, err := k.qs.Run(x...)
	if err != nil {
		return fmt.Errorf("ptq: quantized run: %w", err)
	}
	f, q := fo[0], qo[0]
	if f.DType != tensor.Float32 || q.DType != tensor.Float32 || len(f.F32) != len(q.F32) || len(f.Shape) == 0 {
		return fmt.Errorf("ptq: first outputs %v %v and %v %v: want float32 outputs of one shape: %w",
			f.DType, f.Shape, q.DType, q.Shape, ErrModel)
	}
	cols := max(f.Shape[len(f.Shape)-1], 1)
	for r := 0; r+cols <= len(f.F32); r += cols {
		k.a.Rows++
		if tensor.Argmax(f.F32[r:r+cols]) == tensor.Argmax(q.F32[r:r+cols]) {
			k.a.Top1++
		}
	}
	for i, v := range f.F32 {
		d := float64(q.F32[i]) - float64(v)
		k.se += d * d
		k.fsq += float64(v) * float64(v)
	}
	k.n += len(f.F32)
	k.a.Samples++
	return nil
}

// Agreement is the comparison so far.
func (k *Checker) Agreement() Agreement {
	a := k.a
	if k.n > 0 {
		a.RMS, a.FloatRMS = math.Sqrt(k.se/float64(k.n)), math.Sqrt(k.fsq/float64(k.n))
	}
	return a
}

// Close releases both sessions.
func (k *Checker) Close() {
	k.fs.Close()
	k.qs.Close()
}
