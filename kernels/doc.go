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
//
// Design notes (float32 compute kernels):
//
//   - GEMM: B (the weights) is packed once into column panels of the
//     micro-kernel width NR, A (pixels × channels) is read in place with a
//     row stride, so a 1×1 convolution needs no copy at all. The driver
//     blocks K by 256 and M by whole strips of MR rows; bias is written
//     first and the activation applied to each finished block while it is
//     in cache.
//   - The pure-Go micro-kernels are 6×1 (first) and 4×2. Wider register
//     tiles (4×4, 4×8, 8×1) were measured 2–3× slower: the Go compiler on
//     amd64 has 15 usable X registers and schedules every product of the
//     loop body before the adds, so accumulators spill.
//   - Bit-identical parts: every output element is formed by the same
//     operations whatever the split — partial sums start from zero in k
//     order per K block, partial tiles use an edge kernel with the same
//     per-element arithmetic, and M is split at multiples of MR.
//   - Depthwise: weights packed tap-major [KH·KW][C], interior pixels go to
//     a branch-free kernel over contiguous channels, border pixels to a
//     per-pixel loop; both sum bias then taps in (ky, kx) order.
//   - Tests compare with internal/ref (float64 accumulation) within
//     1e-5 × Σ|terms| (computed by running the reference on absolute values)
//     plus a small absolute slack; pools' max is exact.
package kernels
