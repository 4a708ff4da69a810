//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// gemmS8HaveAVX2 reports AVX2 (with OS support for the YMM state, which
// x/sys/cpu folds into HasAVX2).
func gemmS8HaveAVX2() bool { return cpu.X86.HasAVX2 }

// dotS8_4x2_avx2 is the AVX2 dot kernel (gemm_s8_amd64.s, s16 layout):
// VPMOVSXBW + VPMADDWD, which cannot saturate.
//
//go:noescape
func dotS8_4x2_avx2(p *gemmS8Args)

// gemmS8HaveVNNI reports AVX512_VNNI with 256-bit EVEX forms (AVX512VL).
func gemmS8HaveVNNI() bool {
	return cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
}

// dotS8_4x2_vnni is dotS8_4x2_avx2 with VPDPWSSD (gemm_s8_amd64.s).
//
//go:noescape
func dotS8_4x2_vnni(p *gemmS8Args)

// requantS8HaveAVX2 reports AVX2 for the vector requantization.
func requantS8HaveAVX2() bool { return cpu.X86.HasAVX2 }

// requantS8Float_avx2 is the float (ONNX Runtime) requantization of
// rqRowsArgs rows (requant_s8_amd64.s).
//
//go:noescape
func requantS8Float_avx2(p *rqRowsArgs)

// requantS8Fixed_avx2 is the fixed-point (TFLite, no left shift)
// requantization of rqRowsArgs rows (requant_s8_amd64.s).
//
//go:noescape
func requantS8Fixed_avx2(p *rqRowsArgs)

// dwconvS8Acc_avx2 sums the taps of a depthwise run (dwS8Args) into int32
// (dwconv_s8_amd64.s).
//
//go:noescape
func dwconvS8Acc_avx2(p *dwS8Args)

// gemmS8Bcast_6x16_avx2 is the broadcast kernel (gemm_s8_bcast.go) with
// VPMADDWD + VPADDD (gemm_s8_amd64.s).
//
//go:noescape
func gemmS8Bcast_6x16_avx2(p *gemmS8BcastArgs)

// gemmS8Bcast_6x16_vnni is the broadcast kernel with VPDPWSSD.
//
//go:noescape
func gemmS8Bcast_6x16_vnni(p *gemmS8BcastArgs)

// gemmS8BcastU8_6x16_vnni is the u8 broadcast kernel with VPDPBUSD
// (gemm_s8_bcast.go, gemm_s8_amd64.s).
//
//go:noescape
func gemmS8BcastU8_6x16_vnni(p *gemmS8BcastU8Args)

// gemmS8BcastU8F_6x16_vnni is gemmS8BcastU8_6x16_vnni with the float
// requantization fused into its store (an int8 tile).
//
//go:noescape
func gemmS8BcastU8F_6x16_vnni(p *gemmS8BcastU8Args)

// gemmS8BcastU8FM_6x16_vnni is gemmS8BcastU8F_6x16_vnni over whole strips
// and panels (gemmS8BcastMArgs).
//
//go:noescape
func gemmS8BcastU8FM_6x16_vnni(p *gemmS8BcastMArgs)

// gemmS8HaveAVX512 reports AVX512_VNNI with ZMM registers and the byte and
// word forms (AVX512BW, for VPMOVSDB of a ZMM) besides gemmS8HaveVNNI's.
func gemmS8HaveAVX512() bool {
	return gemmS8HaveVNNI() && cpu.X86.HasAVX512BW
}

// gemmS8BcastU8FM_6x32_avx512 is gemmS8BcastU8FM_6x16_vnni on a 6×32 ZMM
// tile: np is the number of pairs of adjacent panels.
//
//go:noescape
func gemmS8BcastU8FM_6x32_avx512(p *gemmS8BcastMArgs)

// quantizeS8Float_avx2 is QuantizeS8's float loop for n (a multiple of 8)
// values (requant_s8_amd64.s).
//
//go:noescape
func quantizeS8Float_avx2(x *float32, n int, scale, lo, hi float32, zero int32, y *int8)

// dwconvS8Pairs_vnni and dwconvS8Pairs_avx2 are the depthwise pair
// kernels (dwconv_s8_vec.go, dwconv_s8_amd64.s).
//
//go:noescape
func dwconvS8Pairs_vnni(p *dwS8PairArgs)

//go:noescape
func dwconvS8Pairs_avx2(p *dwS8PairArgs)
