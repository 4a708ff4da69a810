//go:build !purego

package kernels

// actF32_neon is the sigmoid/swish pass (act_f32_arm64.s), 4 floats a step.
//
//go:noescape
func actF32_neon(p *actF32Args)
