//go:build !purego

package kernels

// dwconvF32_kxk_8x8_neon is the NEON depthwise kernel (dwconv_f32_arm64.s):
// any tap rectangle, 8 pixels × 8 channels per tile.
//
//go:noescape
func dwconvF32_kxk_8x8_neon(p *dwconvF32Args)
