//go:build !purego

package kernels

// dwconvS8Acc_neon sums the taps of a depthwise run (dwS8Args,
// dwconv_s8_arm64.s).
//
//go:noescape
func dwconvS8Acc_neon(p *dwS8Args)
