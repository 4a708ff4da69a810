//go:build !purego

package kernels

// dwconvF32_kxk_8x8_avx2 is the AVX2+FMA depthwise kernel
// (dwconv_f32_amd64.s): any tap rectangle, 8 pixels × 8 channels per tile.
//
//go:noescape
func dwconvF32_kxk_8x8_avx2(p *dwconvF32Args)

// dwconvF32_kxk_8x16_avx512 is dwconvF32_kxk_8x8_avx2 on ZMM: 16 channels a block.
//
//go:noescape
func dwconvF32_kxk_8x16_avx512(p *dwconvF32Args)
