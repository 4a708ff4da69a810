//go:build purego || !arm64

package kernels

// Stand-ins for the arm64 float32 assembly kernels where they are not
// compiled (other architectures, or the purego build tag). Their Available
// functions report false, so dispatch, tests and benchmarks skip them.

func f32HaveNEON() bool { return false }

func gemmF32_8x8_neon(*gemmF32Args) { panic("kernels: gemmF32_8x8_neon is not compiled in") }

func dwconvF32_kxk_8x8_neon(*dwconvF32Args) {
	panic("kernels: dwconvF32_kxk_8x8_neon is not compiled in")
}

func actF32_neon(*actF32Args) { panic("kernels: actF32_neon is not compiled in") }
