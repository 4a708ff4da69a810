package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels"
)

// phase2Tail is the MobileNetV2 (ImageNet) last block + Conv_1 + a new
// 2-class head, at batch size batch, with random non-negative features of
// the right shape (the real ones come from the backbone; the cost does not
// depend on the values).
func phase2Tail(b *testing.B, batch, threads int) (*Tail, []float32, []int) {
	m := loadForTraining(b, "mobilenetv2-1.0-imagenet-dequant.onnx")
	g, err := ReplaceHead(m.Graph(), HeadConfig{Classes: 2, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	s, err := SplitAt(g, Cut{LastLayers: 5})
	if err != nil {
		b.Fatal(err)
	}
	tail, err := NewTail(s, TailOptions{Batch: batch, HeadDropout: 0.2, Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	f := randSlice(rng, batch*s.FeatureLen(), 0, 3)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = i % 2
	}
	return tail, f, labels
}

// BenchmarkPhase2Step is one fine-tuning step (forward, loss, backward,
// Adam update) of the last MobileNetV2 block + head at batch 16.
func BenchmarkPhase2Step(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("model=mobilenetv2/batch=16/threads=%d", threads), func(b *testing.B) {
			tail, f, labels := phase2Tail(b, 16, threads)
			adam, err := NewAdam(DefaultAdam(), HeadGroups(tail.Params(), 1e-3, 1e-5, 0)...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tail.TrainStep(f, labels, SoftmaxCrossEntropy)
				adam.Step()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
			b.ReportMetric(16*float64(b.N)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(float64(tail.ArenaBytes())/(1<<20), "arena-MiB")
		})
	}
}

// BenchmarkHeadEpoch is one head-only epoch on cached features: 240
// MobileNetV2 feature vectors (1280 values), batch 16, dropout 0.2, Adam.
func BenchmarkHeadEpoch(b *testing.B) {
	bl := newBuilder(b, rand.New(rand.NewPCG(3, 4)))
	x := bl.input("features", 16, 1280)
	g := bl.output(bl.dense(HeadNode, x, 2, true, kernels.Act{}))
	s, err := SplitAt(g, Cut{Node: HeadNode})
	if err != nil {
		b.Fatal(err)
	}
	tail, err := NewTail(s, TailOptions{Batch: 16, HeadDropout: 0.2})
	if err != nil {
		b.Fatal(err)
	}
	const n = 240
	f := randSlice(bl.rng, n*1280, 0, 3)
	labels := make([]int, n)
	for i := range labels {
		labels[i] = i % 2
	}
	adam, err := NewAdam(DefaultAdam(), HeadGroups(tail.Params(), 1e-3, 0, 0)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tail.TrainEpoch(f, labels, Shuffle(n, 1, i), SoftmaxCrossEntropy, adam)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/epoch")
}
