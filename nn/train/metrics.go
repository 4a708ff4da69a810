package train

import (
	"fmt"
	"math"
	"sort"
)

// Argmax returns the index of the largest value of each row of probs [n][k]
// (the first one on ties).
func Argmax(probs []float64, k int) []int {
	n := len(probs) / k
	pred := make([]int, n)
	for i := range pred {
		row := probs[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		pred[i] = best
	}
	return pred
}

// Accuracy is the fraction of pred equal to labels (0 for no samples).
func Accuracy(pred, labels []int) float64 {
	if len(pred) != len(labels) {
		panic(fmt.Sprintf("train: Accuracy of %d predictions against %d labels", len(pred), len(labels)))
	}
	if len(labels) == 0 {
		return 0
	}
	ok := 0
	for i, p := range pred {
		if p == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(labels))
}

// ROCAUC is the exact area under the ROC curve of scores for telling the
// positive samples from the others. Tied scores form one diagonal step of
// the curve (the trapezoidal rule), which equals the Mann–Whitney U
// statistic with average ranks and scikit-learn's roc_auc_score. It fails
// with ErrOneClass when there are no positives or no negatives.
func ROCAUC(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("train: ROCAUC of %d scores with %d labels", len(scores), len(positive))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg, area float64 // area: Σ over positives of the negatives ranked below (ties ½)
	for i := 0; i < len(idx); {
		j := i
		var p, q float64
		for ; j < len(idx) && scores[idx[j]] == scores[idx[i]]; j++ {
			if positive[idx[j]] {
				p++
			} else {
				q++
			}
		}
		area += p*neg + 0.5*p*q
		pos += p
		neg += q
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("train: ROC AUC of %d positives and %d negatives: %w", int(pos), int(neg), ErrOneClass)
	}
	return area / (pos * neg), nil
}

// MacroAUC is the ROC AUC of class probabilities probs [n][k] (k ≥ 2)
// against labels: for k = 2 the AUC of P(class 1); for more classes the
// unweighted mean of the one-vs-rest AUCs of the classes that occur and do
// not cover every sample (scikit-learn's roc_auc_score(multi_class="ovr",
// average="macro") when every class occurs). ErrOneClass when no class
// qualifies.
func MacroAUC(probs []float64, k int, labels []int) (float64, error) {
	if k < 2 || len(probs) != len(labels)*k {
		return 0, fmt.Errorf("train: MacroAUC of %d probabilities, %d classes, %d labels", len(probs), k, len(labels))
	}
	scores := make([]float64, len(labels))
	pos := make([]bool, len(labels))
	col := func(c int) {
		for i, y := range labels {
			scores[i] = probs[i*k+c]
			pos[i] = y == c
		}
	}
	if k == 2 {
		col(1)
		return ROCAUC(scores, pos)
	}
	var sum float64
	used := 0
	for c := 0; c < k; c++ {
		col(c)
		a, err := ROCAUC(scores, pos)
		if err != nil {
			continue
		}
		sum += a
		used++
	}
	if used == 0 {
		return 0, fmt.Errorf("train: macro AUC over %d classes: %w", k, ErrOneClass)
	}
	return sum / float64(used), nil
}

// Confusion is a confusion matrix: Counts[t*Classes+p] samples of true
// class t were predicted as p.
type Confusion struct {
	Classes int
	Counts  []int
}

// NewConfusion counts labels against predictions (both in [0, k)).
func NewConfusion(k int, labels, pred []int) Confusion {
	if len(labels) != len(pred) {
		panic(fmt.Sprintf("train: confusion of %d labels and %d predictions", len(labels), len(pred)))
	}
	c := Confusion{Classes: k, Counts: make([]int, k*k)}
	for i, t := range labels {
		p := pred[i]
		if t < 0 || t >= k || p < 0 || p >= k {
			panic(fmt.Sprintf("train: confusion: label %d or prediction %d out of [0, %d)", t, p, k))
		}
		c.Counts[t*k+p]++
	}
	return c
}

// At is the number of samples of true class t predicted as p.
func (c Confusion) At(t, p int) int { return c.Counts[t*c.Classes+p] }

// Total is the number of samples.
func (c Confusion) Total() int {
	s := 0
	for _, v := range c.Counts {
		s += v
	}
	return s
}

// Accuracy is the fraction on the diagonal (0 for no samples).
func (c Confusion) Accuracy() float64 {
	ok := 0
	for k := 0; k < c.Classes; k++ {
		ok += c.At(k, k)
	}
	if t := c.Total(); t > 0 {
		return float64(ok) / float64(t)
	}
	return 0
}

// Precision of class k: true positives over predicted positives, 0 when
// nothing was predicted as k (scikit-learn's zero_division=0).
func (c Confusion) Precision(k int) float64 {
	col := 0
	for t := 0; t < c.Classes; t++ {
		col += c.At(t, k)
	}
	if col == 0 {
		return 0
	}
	return float64(c.At(k, k)) / float64(col)
}

// Recall of class k: true positives over actual positives, 0 when the
// class does not occur.
func (c Confusion) Recall(k int) float64 {
	row := 0
	for p := 0; p < c.Classes; p++ {
		row += c.At(k, p)
	}
	if row == 0 {
		return 0
	}
	return float64(c.At(k, k)) / float64(row)
}

// Metrics summarise a model's outputs on a set of samples.
type Metrics struct {
	Loss     float64
	Accuracy float64
	// AUC is MacroAUC of the probabilities, NaN when it is undefined (the
	// labels hold a single class); encode it with care (JSON has no NaN).
	AUC       float64
	Confusion Confusion
}

// Evaluate computes the loss, accuracy, AUC and confusion matrix of logits
// [n][k] against labels under loss l.
func Evaluate(l Loss, logits []float32, k int, labels []int) Metrics {
	m := Metrics{Loss: l.Eval(logits, k, labels, nil)}
	probs, classes := l.Probabilities(logits[:len(labels)*k], k)
	pred := Argmax(probs, classes)
	m.Accuracy = Accuracy(pred, labels)
	m.Confusion = NewConfusion(classes, labels, pred)
	auc, err := MacroAUC(probs, classes, labels)
	if err != nil {
		auc = math.NaN()
	}
	m.AUC = auc
	return m
}
