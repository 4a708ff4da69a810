//go:build !purego

package kernels

// actF32_avx2 and actF32_avx512 are the sigmoid/swish passes
// (act_f32_amd64.s), 8 and 16 floats a step.
//
//go:noescape
func actF32_avx2(p *actF32Args)

//go:noescape
func actF32_avx512(p *actF32Args)
