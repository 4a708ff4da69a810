//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// f32HaveAVX2 reports AVX2 and FMA (and OS support for the YMM state,
// which x/sys/cpu folds into HasAVX2).
func f32HaveAVX2() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// gemmF32_6x16_avx2 is the AVX2+FMA strip kernel (gemm_f32_amd64.s): 6
// rows, 16-wide panels, columns in steps of 8.
//
//go:noescape
func gemmF32_6x16_avx2(p *gemmF32Args)

// f32HaveAVX512 reports AVX-512F (and OS support for the ZMM state).
func f32HaveAVX512() bool { return cpu.X86.HasAVX512F }

// gemmF32_6x32_avx512 is the AVX-512F strip kernel (gemm_f32_amd64.s): 6
// rows, 32-wide panels, columns in steps of 8.
//
//go:noescape
func gemmF32_6x32_avx512(p *gemmF32Args)
