package finetune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
	"github.com/ocellus/ocellus/store"
)

// Evaluate scores model m on the store's samples of split (store.SplitUnset:
// every sample) and returns the figures of a TestReport.
//
// m takes one float32 image (batch 1; spec must produce its input) and has
// one float32 output holding one score per class, in the order of classes
// (len ≥ 2): a trained version (LoadModel), or a base model with its own
// labels (e.g. ImageNet's 1000). The scores are taken as logits unless the
// graph computes probabilities itself: when the node producing the output,
// looking back through Reshape, Identity, Quantize and Dequantize nodes, is
// a Softmax, the outputs are used as probabilities (their logarithm serves
// as logits: softmax(log p) = p), so they are not softmaxed twice. The
// graph is what tells, never the values.
//
// Each sample's stored JPEG is decoded, preprocessed with spec and run;
// the prediction is the class with the largest score (the first on ties).
// threads goroutines (≤ 0: GOMAXPROCS) each run their own session.
//
// A sample's label names the first of classes with that name (ImageNet's
// labels name two classes "crane" and two "maillot"). Samples whose label
// is not one of classes (unknown labels) can only be
// predicted wrong: they count in Samples and against Accuracy, but Loss
// (mean cross-entropy) and AUC (binary, or macro one-vs-rest; NaN when
// undefined) are computed over the samples with a known label only — so
// Loss stays finite; it is NaN only when no sample has a known label.
// The report's shape with u unknown labels:
//
//   - Classes: classes, then the unknown labels (sorted as the store lists
//     its labels, then in order of first appearance);
//   - Confusion: len(Classes) rows (true label) × len(classes) columns
//     (predicted class; a model predicts only its own classes), so it is
//     square exactly when no label is unknown;
//   - Precision and Recall: one value per entry of Classes; both 0 for an
//     unknown label (never predicted, never right); the precision of a
//     model class counts unknown-label samples predicted as it as false
//     positives, and is 0 when nothing was predicted as it.
//
// Reports draws such a matrix with the unknown labels as extra rows.
//
// It fails when the split has no samples, on a sample image that does not
// decode (naming the sample), or when the model's shapes do not fit.
func Evaluate(ctx context.Context, st *store.Store, m *nn.Model, classes []string, spec preprocess.Spec, split store.Split, threads int) (TestReport, error) {
	k := len(classes)
	rep := TestReport{Split: split.String()}
	if split == store.SplitUnset {
		rep.Split = "all"
	}
	if k < 2 {
		return rep, fmt.Errorf("finetune: evaluate needs at least two classes, got %d", k)
	}
	if err := spec.Validate(); err != nil {
		return rep, err
	}
	if len(m.Inputs()) != 1 || len(m.Outputs()) != 1 {
		return rep, fmt.Errorf("finetune: evaluate needs a model with one input and one output, this one has %d and %d", len(m.Inputs()), len(m.Outputs()))
	}
	in, out := m.Inputs()[0], m.Outputs()[0]
	if in.DType != tensor.Float32 || out.DType != tensor.Float32 {
		return rep, fmt.Errorf("finetune: evaluate needs float32 input and output, model input %q is %v and output %q %v", in.Name, in.DType, out.Name, out.DType)
	}
	if n := tensor.NumElems(in.Shape); n != spec.Len() {
		return rep, fmt.Errorf("finetune: preprocessing %s makes %d values, model input %q %v takes %d", spec, spec.Len(), in.Name, in.Shape, n)
	}
	if n := tensor.NumElems(out.Shape); n != k {
		return rep, fmt.Errorf("finetune: model output %q %v has %d values, want one per class (%d classes)", out.Name, out.Shape, n, k)
	}
	probs := OutputIsProbability(m)

	smp, err := st.Samples(store.Filter{Split: split})
	if err != nil {
		return rep, err
	}
	if len(smp) == 0 {
		return rep, fmt.Errorf("finetune: the store has no %s samples to evaluate", rep.Split)
	}
	idx := map[string]int{}
	for i, c := range classes {
		if _, dup := idx[c]; !dup {
			idx[c] = i // a name that appears twice (ImageNet's "crane") means its first class
		}
	}
	// Unknown labels: in the store's label order, then any other.
	var unknown []string
	addUnknown := func(l string) {
		if _, ok := idx[l]; !ok {
			idx[l] = k + len(unknown)
			unknown = append(unknown, l)
		}
	}
	present := map[string]bool{}
	for _, s := range smp {
		present[s.Label] = true
	}
	if labels, err := st.Labels(); err == nil {
		for _, l := range labels {
			if present[l.Name] {
				addUnknown(l.Name)
			}
		}
	}
	for _, s := range smp {
		addUnknown(s.Label)
	}

	logits, err := score(ctx, st, m, spec, smp, k, threads)
	if err != nil {
		return rep, err
	}
	if probs {
		for i, p := range logits {
			logits[i] = float32(math.Log(math.Max(float64(p), math.SmallestNonzeroFloat32)))
		}
	}

	// Known labels: the shared metrics (train.Evaluate, testReport).
	var kl []int
	var kLogits []float32
	pred := make([]int, len(smp))
	for i, s := range smp {
		row := logits[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		pred[i] = best
		if c := idx[s.Label]; c < k {
			kl = append(kl, c)
			kLogits = append(kLogits, row...)
		}
	}
	met := train.Metrics{Loss: math.NaN(), AUC: math.NaN(), Confusion: train.NewConfusion(k, nil, nil)}
	if len(kl) > 0 {
		met = train.Evaluate(train.SoftmaxCrossEntropy, kLogits, k, kl)
	}
	known := testReport(rep.Split, classes, met)
	rep.Loss, rep.AUC = known.Loss, known.AUC
	rep.Samples = len(smp)
	rep.Classes = append(append([]string(nil), classes...), unknown...)
	rep.Confusion = known.Confusion
	for range unknown {
		rep.Confusion = append(rep.Confusion, make([]int, k))
	}
	correct := 0
	for i, s := range smp {
		c := idx[s.Label]
		if c >= k {
			rep.Confusion[c][pred[i]]++
		} else if pred[i] == c {
			correct++
		}
	}
	rep.Accuracy = float64(correct) / float64(len(smp))
	// Precision of a model class counts the unknown-label samples it was
	// given as false positives.
	rep.Precision = make([]float64, len(rep.Classes))
	rep.Recall = make([]float64, len(rep.Classes))
	for j := 0; j < k; j++ {
		col := 0
		for i := range rep.Confusion {
			col += rep.Confusion[i][j]
		}
		if col > 0 {
			rep.Precision[j] = float64(rep.Confusion[j][j]) / float64(col)
		}
		rep.Recall[j] = known.Recall[j]
	}
	return rep, nil
}

// OutputIsProbability reports whether m's first output is computed by a
// Softmax node (looking back through Reshape, Identity, Quantize and
// Dequantize nodes): Evaluate then uses the outputs as probabilities.
func OutputIsProbability(m *nn.Model) bool {
	g := m.Graph()
	if g == nil || len(g.Outputs) == 0 {
		return false
	}
	producer := map[int]*graph.Node{}
	for i := range g.Nodes {
		for _, o := range g.Nodes[i].Outputs {
			if o >= 0 {
				producer[o] = &g.Nodes[i]
			}
		}
	}
	id := g.Outputs[0]
	for range len(g.Nodes) {
		n := producer[id]
		if n == nil || len(n.Inputs) == 0 {
			return false
		}
		switch n.Op {
		case graph.OpSoftmax:
			return true
		case graph.OpReshape, graph.OpIdentity, graph.OpQuantize, graph.OpDequantize:
			id = n.Inputs[0]
		default:
			return false
		}
	}
	return false
}

// score runs m on every sample's image and returns the outputs [n][k].
func score(ctx context.Context, st *store.Store, m *nn.Model, spec preprocess.Spec, smp []store.Sample, k, threads int) ([]float32, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	workers := min(threads, len(smp))
	out := make([]float32, len(smp)*k)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess := m.NewSessionWith(nn.SessionOptions{Threads: 1})
			defer sess.Close()
			x := tensor.New(tensor.Float32, m.Inputs()[0].Shape...)
			for i := range next {
				s := smp[i]
				b, err := st.Image(s.ID)
				if err == nil {
					var img *preprocess.RGB8
					if img, err = preprocess.DecodeBytes(b); err == nil {
						spec.Apply(img, x.F32)
						var outs []*tensor.Tensor
						if outs, err = sess.Run(x); err == nil {
							copy(out[i*k:(i+1)*k], outs[0].F32)
						}
					}
				}
				if err != nil {
					errs[w] = fmt.Errorf("finetune: sample %d (%s): %w", s.ID, s.Label, err)
					cancel()
					for range next { // drain
					}
					return
				}
			}
		}()
	}
feed:
	for i := range smp {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}
