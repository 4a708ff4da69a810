package train

import (
	"fmt"
	"math"
)

// Loss is the training objective applied to a network's logits.
type Loss uint8

const (
	// SoftmaxCrossEntropy is categorical cross-entropy over softmax(logits),
	// labels are class indices; PyTorch's CrossEntropyLoss, Keras'
	// SparseCategoricalCrossentropy(from_logits=True).
	SoftmaxCrossEntropy Loss = iota
	// SigmoidBinaryCrossEntropy is binary cross-entropy over
	// sigmoid(logits), one independent output per class. With one output
	// the label (0 or 1) is the target; with K outputs the target is the
	// one-hot label. PyTorch's BCEWithLogitsLoss, Keras'
	// BinaryCrossentropy(from_logits=True).
	SigmoidBinaryCrossEntropy
)

func (l Loss) String() string {
	switch l {
	case SoftmaxCrossEntropy:
		return "softmax-cross-entropy"
	case SigmoidBinaryCrossEntropy:
		return "sigmoid-binary-cross-entropy"
	}
	return fmt.Sprintf("Loss(%d)", uint8(l))
}

// Eval returns the mean loss of a batch of logits [n][k] against labels
// (len n, class indices in [0, k), or 0/1 for a one-output sigmoid) and,
// when dlogits is not nil, writes the gradient of that mean into it
// (len n·k). The loss is accumulated in float64; both are numerically
// stable for any finite logits (log-sum-exp with the maximum subtracted;
// log(1+e^−|z|) for the sigmoid).
//
// The mean is over the batch for SoftmaxCrossEntropy and over all n·k
// elements for SigmoidBinaryCrossEntropy, as PyTorch and Keras reduce them.
// Eval panics on a label out of range (a caller bug).
func (l Loss) Eval(logits []float32, k int, labels []int, dlogits []float32) float64 {
	n := len(labels)
	if k <= 0 || len(logits) < n*k || dlogits != nil && len(dlogits) < n*k {
		panic(fmt.Sprintf("train: %v: %d labels, %d outputs: logits len %d, dlogits len %d", l, n, k, len(logits), len(dlogits)))
	}
	if n == 0 {
		return 0
	}
	switch l {
	case SoftmaxCrossEntropy:
		return softmaxCE(logits, k, labels, dlogits)
	case SigmoidBinaryCrossEntropy:
		return sigmoidBCE(logits, k, labels, dlogits)
	}
	panic(fmt.Sprintf("train: unknown loss %d", uint8(l)))
}

func checkLabel(l Loss, y, k int) {
	hi := k
	if l == SigmoidBinaryCrossEntropy && k == 1 {
		hi = 2
	}
	if y < 0 || y >= hi {
		panic(fmt.Sprintf("train: %v: label %d out of range [0, %d)", l, y, hi))
	}
}

func softmaxCE(logits []float32, k int, labels []int, dlogits []float32) float64 {
	n := len(labels)
	var total float64
	inv := 1 / float64(n)
	for i, y := range labels {
		checkLabel(SoftmaxCrossEntropy, y, k)
		z := logits[i*k : (i+1)*k]
		m := math.Inf(-1)
		for _, v := range z {
			m = math.Max(m, float64(v))
		}
		var s float64
		for _, v := range z {
			s += math.Exp(float64(v) - m)
		}
		lse := m + math.Log(s)
		total += lse - float64(z[y])
		if dlogits != nil {
			d := dlogits[i*k : (i+1)*k]
			for j, v := range z {
				p := math.Exp(float64(v) - lse)
				if j == y {
					p--
				}
				d[j] = float32(p * inv)
			}
		}
	}
	return total * inv
}

func sigmoidBCE(logits []float32, k int, labels []int, dlogits []float32) float64 {
	n := len(labels)
	var total float64
	inv := 1 / float64(n*k)
	for i, y := range labels {
		checkLabel(SigmoidBinaryCrossEntropy, y, k)
		for j := 0; j < k; j++ {
			t := 0.0
			if k == 1 && y == 1 || k > 1 && j == y {
				t = 1
			}
			z := float64(logits[i*k+j])
			// max(z,0) − z·t + log(1 + e^−|z|)
			total += math.Max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
			if dlogits != nil {
				dlogits[i*k+j] = float32((sigmoid64(z) - t) * inv)
			}
		}
	}
	return total * inv
}

func sigmoid64(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Probabilities converts logits [n][k] to class probabilities as the loss
// sees them: softmax rows for SoftmaxCrossEntropy, elementwise sigmoid for
// SigmoidBinaryCrossEntropy. For a one-output sigmoid it returns two
// columns, P(0) and P(1), so metrics treat every model as k ≥ 2 classes.
func (l Loss) Probabilities(logits []float32, k int) (probs []float64, classes int) {
	n := len(logits) / k
	switch {
	case l == SigmoidBinaryCrossEntropy && k == 1:
		probs = make([]float64, 2*n)
		for i := 0; i < n; i++ {
			p := sigmoid64(float64(logits[i]))
			probs[2*i], probs[2*i+1] = 1-p, p
		}
		return probs, 2
	case l == SigmoidBinaryCrossEntropy:
		probs = make([]float64, n*k)
		for i, v := range logits[:n*k] {
			probs[i] = sigmoid64(float64(v))
		}
		return probs, k
	}
	probs = make([]float64, n*k)
	for i := 0; i < n; i++ {
		z := logits[i*k : (i+1)*k]
		m := math.Inf(-1)
		for _, v := range z {
			m = math.Max(m, float64(v))
		}
		var s float64
		for j, v := range z {
			e := math.Exp(float64(v) - m)
			probs[i*k+j] = e
			s += e
		}
		for j := range z {
			probs[i*k+j] /= s
		}
	}
	return probs, k
}
