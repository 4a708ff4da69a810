// Package train fine-tunes the trainable tail of a model on the device:
// backward passes, a tape over a sub-graph of the IR, losses, optimizers,
// metrics, and the export of the trained weights back into a graph.
//
// # The recipe
//
// The transfer-learning recipe it serves: a pretrained backbone, a new
// classifier head trained on the frozen backbone's features (phase 1),
// then the last block unfrozen and fine-tuned at a low learning rate with
// BatchNorm kept frozen (phase 2). In code:
//
//	m, _ := nn.Load(path, train.LoadOptions()) // BatchNorm not folded
//	g, _ := train.ReplaceHead(m.Graph(), train.HeadConfig{Classes: 2, Seed: 1})
//
//	// Phase 1: the tail is the head; features are computed once per sample
//	// (cache them under s1.BackboneKey()).
//	s1, _ := train.SplitAt(g, train.Cut{Node: train.HeadNode})
//	bb, _ := s1.BackboneModel(m.Inputs())          // run it per image, then s1.Features(outs, row)
//	tail, _ := train.NewTail(s1, train.TailOptions{Batch: 16, HeadDropout: 0.2, Seed: 1})
//	adam, _ := train.NewAdam(train.DefaultAdam(), train.HeadGroups(tail.Params(), 1e-3, 0, 0)...)
//	for epoch := range epochs {
//		loss := tail.TrainEpoch(feats, labels, train.Shuffle(n, seed, epoch), train.SoftmaxCrossEntropy, adam)
//		val := train.Evaluate(train.SoftmaxCrossEntropy, tail.Predict(valFeats, nVal), 2, valLabels)
//		// early stopping on val.Loss; keep tail.Snapshot() of the best epoch, Restore it at the end
//	}
//	g1 := tail.Export()
//
//	// Phase 2: the last block + head (5 Conv/Dense layers), from the trained head.
//	s2, _ := train.SplitAt(g1, train.Cut{LastLayers: 5})   // or Cut{Node: "block_16_expand"}
//	tail2, _ := train.NewTail(s2, train.TailOptions{Batch: 16, HeadDropout: 0.2})
//	adam2, _ := train.NewAdam(train.DefaultAdam(), train.HeadGroups(tail2.Params(), 1e-5, 1e-5, 0)...)
//	// … the same loop on s2's features …
//	model, _ := train.CompileInference(tail2.Export(), m.Inputs()) // BatchNorm folded for inference
//
// # Splits, heads and cuts
//
// A Split divides a graph (nodes in topological order) at a Cut into a
// frozen backbone (the nodes before it) and a trainable tail (the nodes
// from it on). The tensors the tail reads from the backbone are its
// inputs; one sample's values of them, concatenated, are its feature
// vector (Split.FeatureLen float32s), which is what a feature cache stores
// and what Tail.Forward takes as rows. The backbone is compiled for
// inference by Split.BackboneModel, BatchNorm folded: it never trains.
//
// ReplaceHead finds the model's classifier (the Dense, or 1×1 Conv on a
// 1×1 map, before the output, past any bias Add, activation, Reshape or
// Softmax) and replaces it with a fresh Dense(Classes) named HeadNode:
// Glorot-uniform weights, zero bias (Keras' defaults), no activation — the
// output is logits and the Loss applies softmax or sigmoid.
//
// # The tape
//
// NewTail re-infers the tail's shapes for its batch size (ops.Infer on the
// tail's nodes with the inputs' batch axis replaced; Reshapes must keep the
// batch axis first) and lays out one buffer per activation, plus gradient
// buffers for the activations that need one: those downstream of a
// parameter (or of the inputs, with TailOptions.InputGrad). Backward
// therefore stops at the first parameterised layer: the input gradient of the tail's first convolution (one of the
// largest GEMMs of a step) is never computed. Each node becomes one or two steps:
//
//   - Conv (1-d and 2-d, any stride, dilation, padding, groups): forward with
//     kernels.PackConvF32 (weights repacked every forward, as they change
//     every step); backward db = column sums, dW_g = dY_gᵀ·im2col(x)_g,
//     dx = col2im(dY_g·W_g), the GEMMs on kernels.PackDenseF32 (whichever
//     kernel is fastest on the CPU, assembly included). A 1×1 stride-1
//     convolution uses x itself as the im2col matrix. Depthwise convolutions
//     (one output per input channel) take direct loops with the channel
//     axis innermost.
//   - Dense: the same GEMMs (dW = xᵀ·dy, dx = dy·wᵀ).
//   - BatchNorm: frozen, y = x·scale + shift with the running statistics
//     (ops.BatchNormAffine); dx = dy·scale; no parameter is trained.
//   - Activations, standalone or fused into a Conv, Dense or Binary node (a
//     fused one becomes its own step, so the pre-activation is kept): ReLU,
//     Clip (ReLU6), sigmoid, hard-sigmoid, hard-swish, swish. At the kinks
//     the derivative follows PyTorch (ReLU: x > 0; Clip: Min < x < Max;
//     hard-swish: x/3 + ½ on [−3, 3]).
//   - Add, Sub, Mul, Div with numpy broadcasting (the squeeze-excite
//     multiply [N,H,W,C]×[N,1,1,C]); the gradient of a broadcast operand is
//     summed over the broadcast axes.
//   - GlobalAvgPool, ReduceMean, Reshape, Identity (inference Dropout).
//   - Dropout before HeadNode (TailOptions.HeadDropout): inverted dropout,
//     masks from a PCG generator seeded by TailOptions.Seed, kept for the
//     backward pass; off in inference mode (Predict, Forward(…, false)).
//
// Other ops in a tail (pooling windows, Concat, Pad, Softmax, …) fail with
// ErrUnsupported, naming the node.
//
// # Numerics
//
// Activations and gradients are float32. Gradients accumulate (+=) in
// float32 until ZeroGrad; weight gradients are sums over the batch and the
// pixels formed by the GEMM kernels. Losses and metrics accumulate in
// float64; the losses are the numerically stable forms (log-sum-exp with
// the maximum subtracted, log1p(e^−|z|)), averaged over the batch.
//
// Every backward pass is checked against central finite differences, and
// a small last-block + head network against gradients computed by PyTorch
// (testdata/gen_golden.py): they agree to 1e-6 of each tensor's largest
// value. Head training with the same initial weights, batch order and
// optimizer settings as PyTorch gives the same per-epoch losses to 1e-6
// (Adam, AdamW, Adam with L2, SGD with momentum and L2).
//
// # Threads
//
// A step splits its GEMMs, convolutions and elementwise loops over
// TailOptions.Threads goroutines (started per call; a step makes a few
// dozen such calls). Every split gives each thread a disjoint part of the
// output computed with the same arithmetic, so results are bit-identical
// for any thread count. A Tail is for one goroutine at a time.
//
// # Optimizers
//
// Adam (bias-corrected; ε placed as PyTorch does, or as Keras does with
// AdamConfig.KerasEpsilon) and SGD with momentum (PyTorch's formulation,
// optionally Nesterov). Parameters are organised in ParamGroups with their
// own learning rate and weight decay (HeadGroups: head vs the rest). Weight
// decay is decoupled for DefaultAdam (AdamW: p −= lr·wd·p) and L2 for
// DefaultSGD (wd·p added to the gradient); both optimizers offer both.
package train
