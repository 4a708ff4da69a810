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
