// Package ptq quantizes float ONNX models after training, on the device:
// a float model and a few hundred calibration images in, a standard ONNX
// QDQ model out (int8 weights, uint8 activations) that ONNX Runtime and
// ocellus's int8 runtime both run.
//
// Three steps, each a plain function on onnxpb messages:
//
//	prep, err := ptq.Prepare(model)                 // BN folding, opset 13, cleanup
//	cal, err := ptq.NewCalibrator(prep, cfg.Bins, nil)
//	for each sample { cal.Add(x) }                  // runs the float model, records histograms
//	q, report, err := cal.Quantize(cfg)             // ranges, refinements, QDQ model
//
// (cal.Ranges and ptq.Quantize are the two halves of cal.Quantize without
// the refinements that rerun samples: range search, mixed precision, bias
// correction.)
//
// `ocellus quantize` wraps them with the image preprocessing of `ocellus
// classify`.
//
// # Design
//
// Everything happens at the ONNX protobuf level (package onnxpb), so the
// result is an ordinary ONNX file: what ONNX Runtime's own quantizer would
// write, with Q/DQ placement following its conventions (weights stored as
// int8 initializers read through DequantizeLinear, one Q/DQ pair per
// activation shared by all its readers, Relu/Clip folded into the
// producer's output range, pass-through ops sharing their input's scale).
//
// Calibration runs the prepared float model with the ocellus runtime and
// every graph rewrite off (opt.Options{}): with activation fusion on, a
// Conv followed by Relu becomes one node whose output carries the Relu's
// name and the Conv's own output is never seen. BatchNorm needs no runtime
// folding because Prepare already folded it into the weights. Each ONNX
// value is observed under its own name through Session.RunObserve; values
// the importer does not materialize (a Reshape that only relabels its input)
// take their input's range.
//
// One histogram per tensor (2·Bins bins over [−R, R), R doubling as larger
// values arrive, bins merged exactly in pairs) serves every range method, so
// one calibration pass can be exported with several methods.
//
// # Choosing a configuration
//
// DefaultConfig is the configuration that kept MobileNetV2's top-1 closest
// to the float model's over four sessions of measurements (BENCHMARKS.md,
// "Post-training quantization", has every table and the commands):
//
//   - Ranges: Method derives one range per activation from its histogram.
//     Min/max loses about 6 points of agreement to every robust method
//     (percentile, entropy, MSE); among those the differences are a few
//     near-tie images. Entropy is the default method.
//   - Range search (Config.RangeSearch) then chooses, activation by
//     activation in graph order (earlier ones quantized with their chosen
//     range, later ones float), the range among minmax, percentile
//     99.9/99.99/99.999, entropy and MSE that gives the smallest error of
//     the model's outputs on RefineSamples calibration samples (ocellus's
//     int8 runtime, bit-exact with ONNX Runtime's). Six compilations and
//     runs per activation: minutes for MobileNetV2.
//   - Mixed precision (Config.FloatActivations) measures each activation's
//     sensitivity (the output error with only it quantized) and keeps the
//     most sensitive ones float: their producers write float and their
//     readers read float. The first conv's output, the early blocks'
//     expansion outputs and the last blocks' depthwise outputs come first.
//     The default keeps 4; more do not help steadily.
//   - Config.Objective KL makes both passes minimize the KL divergence of
//     the logits' softmax instead of their squared error: better for
//     all-int8 models, not with float activations; an option.
//   - Bias correction (Config.BiasCorrection: layer by layer, the mean
//     int8-minus-float pre-activation error per channel subtracted from
//     the bias) lowered the agreement on MobileNetV2, whose weights are
//     exactly on an int8 grid (it is the model zoo's int8 model,
//     dequantized): the mean errors come from activations the ranges clip.
//     Off by default. For the same reason weight clipping, analytical bias
//     correction and AdaRound would have nothing to correct there, and are
//     not implemented.
//   - FloatFirst/FloatLast keep the first/last quantizable nodes float
//     (FloatLast 1: a classifier's logits are not rounded to uint8). They
//     gain 0–3 images, within the noise; both default to 0.
//
// With no float node ocellus's int8 execution of the QDQ file is bit-exact
// with ONNX Runtime's. With float nodes the runtimes round the float
// convolutions' outputs differently before quantizing them, and a flipped
// rounding propagates.
//
// # The accuracy limit
//
// On MobileNetV2 and the hymenoptera images the default agrees with the
// float model's top-1 on 98.7 % of val (151/153) and 99.3 % of the train
// images calibration did not use (143/144); the figure moves by a few
// images with the calibration set (92–99 % over three sets). The images
// that disagree are near-ties: the float model's smallest top-2 logit
// margins on val are 0.026 and 0.029, seven are under 0.12, and uint8
// activations move the logits by 0.26 RMS. TestActivationBits rounds the
// int8 model's activations to more bits over the same ranges: unclipped
// ranges need 11–12 bits to agree on 99 % of the images, and every clipped
// range stops at its clipping floor below 99 % however many bits it gets.
// So 99 % on these images needs about 12-bit activations throughout
// (int16 activations with int8 weights, a runtime path ocellus does not
// have), not a better choice of 8-bit ranges. `ocellus quantize --check`
// (Calibrator.NewChecker) reports the agreement on held-out images, so a
// user sees where their own model and data land.
//
// Reproduce with ONNX Runtime's peer (../shared/peer) built in /tmp/ort-peer:
//
//	OCELLUS_PTQ_AGREEMENT=1 go test -run TestAgreementORT -v -timeout 30m ./nn/ptq
//
// (OCELLUS_PTQ_ONLY=float-last runs only the variants whose label contains
// the string; OCELLUS_PTQ_ALL=1 also reports all images;
// OCELLUS_PTQ_OBJECTIVE=kl runs every variant with ObjectiveKL.) The mixed
// precision sweep, which can cache the searched ranges and also run ONNX
// Runtime: see TestMixedPrecisionSweep.
//
// # What stays float
//
// Conv, MatMul, Gemm, Add, Mul, GlobalAveragePool, AveragePool and Concat
// are quantized, and the data-movement ops after a quantized value (MaxPool,
// Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Resize, Slice, Split,
// Gather, Pad, DepthToSpace, SpaceToDepth). Everything else — Softmax,
// Sigmoid, HardSigmoid, HardSwish, ConvTranspose, BatchNormalization not
// after a Conv, ops of other domains — runs in float between a
// DequantizeLinear and the next QuantizeLinear. A Gemm keeps a float bias
// when alpha or beta is not 1. Report lists what stayed float and why.
package ptq
