package train_test

import (
	"log"
	"math"

	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
)

// Example shows phase 1 (a new head on cached backbone features) and
// phase 2 (the last block + head) of a fine-tuning run. images and labels
// stand for the preprocessed training images and their classes. (Compiled,
// not run: it needs a model file.)
func Example() {
	var images []*tensor.Tensor // NCHW [1,3,224,224], preprocessed as `ocellus classify` does
	var labels []int
	m, err := nn.Load("mobilenetv2-1.0-imagenet-dequant.onnx", train.LoadOptions())
	if err != nil {
		log.Fatal(err)
	}
	g, err := train.ReplaceHead(m.Graph(), train.HeadConfig{Classes: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	features := func(s *train.Split) []float32 {
		bb, err := s.BackboneModel(m.Inputs()) // cache the rows under s.BackboneKey()
		if err != nil {
			log.Fatal(err)
		}
		sess := bb.NewSession()
		defer sess.Close()
		fl := s.FeatureLen()
		f := make([]float32, len(images)*fl)
		for i, x := range images {
			outs, err := sess.Run(x)
			if err != nil {
				log.Fatal(err)
			}
			if err := s.Features(outs, f[i*fl:(i+1)*fl]); err != nil {
				log.Fatal(err)
			}
		}
		return f
	}

	// Phase 1: head only.
	s1, err := train.SplitAt(g, train.Cut{Node: train.HeadNode})
	if err != nil {
		log.Fatal(err)
	}
	f1 := features(s1)
	tail, err := train.NewTail(s1, train.TailOptions{Batch: 16, HeadDropout: 0.2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	adam, err := train.NewAdam(train.DefaultAdam(), train.HeadGroups(tail.Params(), 1e-3, 0, 0)...)
	if err != nil {
		log.Fatal(err)
	}
	for epoch := 0; epoch < 10; epoch++ {
		loss := tail.TrainEpoch(f1, labels, train.Shuffle(len(labels), 1, epoch), train.SoftmaxCrossEntropy, adam)
		log.Printf("epoch %d: loss %.4f", epoch+1, loss)
	}

	// Phase 2: last block + head, lr 1e-5, BatchNorm frozen.
	s2, err := train.SplitAt(tail.Export(), train.Cut{LastLayers: 5})
	if err != nil {
		log.Fatal(err)
	}
	f2 := features(s2)
	tail2, err := train.NewTail(s2, train.TailOptions{Batch: 16, HeadDropout: 0.2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	adam2, err := train.NewAdam(train.DefaultAdam(), train.HeadGroups(tail2.Params(), 1e-5, 1e-5, 0)...)
	if err != nil {
		log.Fatal(err)
	}
	// Keep the best epoch by validation loss (valFeats, valLabels: the
	// validation split's cached features) and restore it at the end.
	var valFeats []float32
	var valLabels []int
	best, bestLoss := tail2.Snapshot(), math.Inf(1)
	for epoch := 0; epoch < 50; epoch++ {
		tail2.TrainEpoch(f2, labels, train.Shuffle(len(labels), 1, epoch), train.SoftmaxCrossEntropy, adam2)
		val := train.Evaluate(train.SoftmaxCrossEntropy, tail2.Predict(valFeats, len(valLabels)), tail2.Outputs(), valLabels)
		if val.Loss < bestLoss {
			best, bestLoss = tail2.Snapshot(), val.Loss
		}
	}
	if err := tail2.Restore(best); err != nil {
		log.Fatal(err)
	}
	met := train.Evaluate(train.SoftmaxCrossEntropy, tail2.Predict(f2, len(labels)), tail2.Outputs(), labels)
	log.Printf("accuracy %.3f AUC %.3f confusion %v", met.Accuracy, met.AUC, met.Confusion.Counts)

	// The fine-tuned model for inference.
	if _, err := train.CompileInference(tail2.Export(), m.Inputs()); err != nil {
		log.Fatal(err)
	}
}
