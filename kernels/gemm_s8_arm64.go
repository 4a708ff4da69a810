//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// gemmS8HaveNEON reports Advanced SIMD (always present on arm64 Linux, but
// read from the feature flags like every other kernel choice).
func gemmS8HaveNEON() bool { return cpu.ARM64.HasASIMD }

// gemmS8HaveSDOT reports the dot product instructions (ARMv8.2 DotProd:
// Cortex-A55/A76 and later; not the Cortex-A72 of the Raspberry Pi 4).
func gemmS8HaveSDOT() bool { return cpu.ARM64.HasASIMD && cpu.ARM64.HasASIMDDP }

// dotS8_4x2_neon is the widening multiply-accumulate dot kernel
// (gemm_s8_arm64.s, s16 layout): SXTL, SMLAL/SMLAL2.
//
//go:noescape
func dotS8_4x2_neon(p *gemmS8Args)

// dotS8_4x2_sdot is the SDOT dot kernel (gemm_s8_arm64.s, s8 layout).
//
//go:noescape
func dotS8_4x2_sdot(p *gemmS8Args)
