//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// requantS8HaveNEON reports Advanced SIMD for the vector requantization
// and the depthwise sums (dwconv_s8_arm64.s).
func requantS8HaveNEON() bool { return cpu.ARM64.HasASIMD }

// requantS8Float_neon is the float requantization of rqRowsArgs rows
// (requant_s8_arm64.s).
//
//go:noescape
func requantS8Float_neon(p *rqRowsArgs)

// requantS8Fixed_neon is the fixed-point (no left shift) requantization of
// rqRowsArgs rows (requant_s8_arm64.s).
//
//go:noescape
func requantS8Fixed_neon(p *rqRowsArgs)
