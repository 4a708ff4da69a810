// Package kernels holds the numeric kernels of ocellus on plain slices:
// float32 convolution (packed GEMM, depthwise, im2col), fully connected
// layers, matrix multiplication, pooling and fused activations, plus the
// data-movement kernels in the tensor_*.go files.
//
// Layout is NHWC (channels last) throughout. Convolution weights are OHWI:
// [OC][KH][KW][C/Groups].
//
// Conventions:
//
//   - Kernels take slices and sizes, never allocate in the hot path and never
//     return errors; a caller bug (short slice, inconsistent geometry) panics
//     with a "kernels: ..." message.
//   - Weights are packed once (PackConvF32, PackDenseF32) into an immutable
//     value that may be run concurrently; each concurrent caller brings its
//     own scratch slice of ScratchLen float32s.
//   - RunPart(…, part, parts) computes a disjoint share of the output so a
//     worker pool can split one layer; the results are bit-identical for any
//     number of parts.
//
// Every kernel family keeps one registration list (a slice of impl structs
// with Name, Available and the function) that dispatch, tests and benchmarks
// all read. The pure-Go implementations in the *_generic.go files are always
// compiled; assembly twins selected by CPU feature flags are added next to
// them and switched off by the purego build tag. The scalar reference
// implementations the tests compare against live in internal/ref.
package kernels
