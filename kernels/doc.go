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
// all read; dispatch takes the first available entry. The pure-Go
// implementations in the *_generic.go files are always compiled; assembly
// twins (*_amd64.s, *_arm64.s) are chosen at run time from
// golang.org/x/sys/cpu feature flags (AVX-512F, AVX2+FMA, ASIMD) and
// switched off by the purego build tag, under which (and on other
// architectures) the f32_*_other.go stand-ins report them unavailable. The
// scalar reference implementations the tests compare against live in
// internal/ref.
//
// Design notes (float32 compute kernels):
//
//   - GEMM: B (the weights) is packed once, by the impl's Pack, into column
//     panels of the micro-kernel width NR, A (pixels × channels) is read in
//     place with a row stride, so a 1×1 convolution needs no copy at all.
//     The driver blocks K by KC = 256; M is blocked by whole strips of MR
//     rows only when K spans several blocks.
//   - Assembly GEMM kernels (gemmF32_6x32_avx512, gemmF32_6x16_avx2,
//     gemmF32_8x8_neon) take an argument block (asmargs_f32.go), walk the
//     rows strip by strip and the columns panel by panel themselves, start
//     the accumulators from the bias (or from C for later K blocks) and
//     apply relu, clip, hard-sigmoid or hard-swish before the one store;
//     sigmoid and swish get an ApplyAct pass. Columns go in steps of 8
//     (whole panels, then half and quarter panels on AVX-512); a tail
//     narrower than 8 goes through a stack tile. A partial last strip
//     repeats its last row and stores only the real ones. They are called
//     through a switch, not a func value, so the argument block stays on
//     the stack (0 allocations).
//   - The pure-Go micro-kernels are 6×1 (first) and 4×2. Wider register
//     tiles (4×4, 4×8, 8×1) were measured 2–3× slower: the Go compiler on
//     amd64 has 15 usable X registers and schedules every product of the
//     loop body before the adds, so accumulators spill.
//   - Bit-identical parts: every output element is formed by the same
//     operations whatever the split — partial sums in k order per K block
//     (one FMA chain in the assembly kernels, a zero-started sum in the Go
//     ones), partial tiles computed with the same per-element arithmetic,
//     M split at multiples of MR (Dense with M < MR: N at multiples of NR).
//   - Depthwise: weights packed tap-major [KH·KW][C]. The Go kernels take
//     interior pixels (whole kernel inside the input) and leave borders to a
//     per-pixel loop. The assembly kernels (dwconvF32_kxk_8x16_avx512,
//     dwconvF32_kxk_8x8_avx2, dwconvF32_kxk_8x8_neon: tiles of 8 pixels ×
//     16 or 8 channels) take any rectangle of taps, so a border pixel is a
//     run of one with the taps that fall inside the input and nothing goes
//     through the slow path; runs go by 8, 4 and 1 pixels, single pixels 4
//     channel blocks at a time; bias, taps in (ky, kx) order as FMAs, the
//     activation fused. The last channel block overlaps the one before
//     instead of being masked (outputs are written, so recomputing a
//     channel stores the same bits); fewer channels than a block go to the
//     Go kernels.
//   - Sigmoid and swish (EfficientNet) are not fused: a vector pass
//     (actF32_avx512/avx2/neon, expf as in expF32 with FMAs, a true
//     division) runs over each block right after the kernel wrote it.
//   - Tests compare with internal/ref (float64 accumulation) within
//     1e-5 × Σ|terms| (computed by running the reference on absolute values)
//     plus a small absolute slack, which covers FMA rounding as well; pools'
//     max is exact. Every registered impl available on the machine is
//     tested at tile edges with guarded outputs; CI also runs the arm64
//     kernels under qemu (cortex-a72 and max) and the pure-Go ones on armv7.
//
// Design notes (int8 kernels, *_s8.go and quant.go):
//
//   - Activations are int8 with a per-tensor zero point (the importer turns
//     uint8 into int8 exactly), weights int8 with per-channel zero points,
//     sums int32. A Requant turns sums into int8 with TFLite's fixed-point
//     arithmetic or ONNX Runtime's float32 one; package nn/quant computes
//     its parameters as each runtime does. Every int8 kernel is bit-exact to
//     its scalar reference in internal/ref, on every architecture (integer
//     sums are exact, and float32 steps are written so that the compiler
//     cannot fuse them into FMAs).
//   - Zero points are folded at pack time: w' = w − wZero, and the bias
//     becomes bias − xZero·Σw' with padding holding xZero, so the inner
//     loops are plain Σ x·w'. Weights with a non-zero zero point need
//     |w'| <= 255, which only shortens the SWAR blocks below.
//   - GEMM: the pure-Go kernel packs three weight columns into the 21-bit
//     lanes of an int64, so one 64-bit multiply does three int8 MACs
//     (blocks of at most 63 products keep each lane within ±2^20, then the
//     lanes are unpacked into int32 sums). It runs at about the speed of
//     the pure-Go float32 GEMM; a plain int32 kernel is preferred on 32-bit
//     targets. Requantization is fused into the tile epilogue; the two
//     roundings of TFLite's MultiplyByQuantizedMultiplier are folded into
//     one 64-bit shift (see fixedRequant).
//   - GEMM in assembly, broadcast kernels (gemm_s8_bcast.go, preferred on
//     amd64): a 6×16 tile whose accumulators are whole output columns.
//     gemmS8_6x16_vnni8 (AVX512_VNNI + VL) multiplies four k per VPDPBUSD:
//     A's sign bit is flipped (a+128 as an unsigned byte) and each panel
//     starts with the column sums −128·Σ_k w' that the accumulators start
//     from, so the sums are exact; it needs int8 weights (Narrow), others
//     go to gemmS8_6x16_vnni / _avx2, which broadcast int16 pairs of A
//     (VPBROADCASTW + VPMOVSXBW) against k-pair packed int16 weights
//     (VPDPWSSD, or VPMADDWD + VPADDD). With a float requantization the
//     VPDPBUSD kernel requantizes in its store (VCVTDQ2PS, one VMULPS,
//     clamp, VCVTPS2DQ, VPMOVSDB), and one call covers every whole strip
//     and panel of a layer (gemmS8Impl.Strips); a partial last panel goes
//     through a tile. With AVX-512 F/BW/VL/VNNI, gemmS8_6x32_avx512 runs
//     those strips on a 6×32 ZMM tile (two neighbouring 16-column panels of
//     the same packing, VPXORD with a broadcast operand for the sign flip,
//     the bias folded into the accumulators' start; an odd last panel goes
//     to the 6×16 kernel): twice the outputs per instruction in the
//     requantizing store, which bound the small-K 1×1 layers. Im2col rows are padded with zeros to the impl's KPad
//     so no kernel needs a Go K tail.
//   - GEMM in assembly, "dot" kernels (gemm_s8_dot.go; arm64, and the
//     amd64 fallbacks): 4×2 tiles whose accumulators are vectors of
//     partial sums along k (16 k per step), reduced once per panel. AVX2
//     sign-extends A to int16 (VPMOVSXBW) and uses VPMADDWD, or VPDPWSSD
//     with AVX512_VNNI: int16 pairs never saturate, unlike VPMADDUBSW, and
//     weights with a zero point (|w'| <= 255) still fit. NEON without dot
//     product widens (SXTL) and uses SMLAL/SMLAL2; with FEAT_DotProd SDOT
//     multiplies int8 weights directly, so that impl is Narrow and weights
//     with a zero point go to the widening one.
//   - Requantization in assembly (requant_s8.go, requantS8Impls):
//     requantPlan.rows requantizes rows of int32 sums 8 channels at a time
//     (a last partial block overlaps the one before). Float: int32→float32,
//     one multiply, clamp, round-to-nearest-even conversion (the Go
//     runtime's default rounding; NEON's FCVTNS), as rqFloat. Fixed point
//     without left shifts: 64-bit lanes, (acc·m + 2^30 + rnd − [u<0]·2^31)
//     shifted right by 31+e — NEON with SSHL, AVX2 (which has no 64-bit
//     arithmetic shift) by a logical shift of the sign-flipped value and a
//     correction modulo 2^32 (fixedVec). Left shifts stay in Go.
//   - Depthwise in assembly (dwconv_s8_vec.go): the pair kernels (amd64)
//     sign-extend two taps' inputs to int16, interleave them per channel
//     (VPUNPCK[LH]WD) and multiply-add both taps at once against weights
//     packed per 16-channel block and tap pair (VPDPWSSD or VPMADDWD), the
//     float requantization fused into the store; the int32 kernels
//     (dwconvS8Acc_avx2, dwconvS8Acc_neon: SXTL twice, MLA) sum into a
//     scratch buffer that requantPlan.rows turns into int8. Border pixels
//     run the same kernels on a band of the input copied to scratch with
//     the padding set to xZero (equal to skipping those taps, since the
//     corrected bias counts padding as xZero).
//   - Elementwise Add and Mul are tables of all 65536 input pairs built
//     from the runtime's scalar formula, so TFLite's three-multiplier ADD and
//     ORT's FMA-ordered QLinearAdd cost one lookup per element.
//   - ONNX Runtime mode is proven against ORT 1.30 outputs stored in
//     testdata/ort (see nn/quant's TestONNXRuntimeBitExact).
package kernels
