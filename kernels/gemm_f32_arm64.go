//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// f32HaveNEON reports Advanced SIMD (always present on arm64 Linux, but
// read from the feature flags like every other kernel choice).
func f32HaveNEON() bool { return cpu.ARM64.HasASIMD }

// gemmF32_8x8_neon is the NEON strip kernel (gemm_f32_arm64.s): 8 rows,
// 8-wide panels.
//
//go:noescape
func gemmF32_8x8_neon(p *gemmF32Args)
