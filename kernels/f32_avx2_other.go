//go:build purego || !amd64

package kernels

// Stand-ins for the amd64 float32 assembly kernels where they are not
// compiled (other architectures, or the purego build tag). Their Available
// functions report false, so dispatch, tests and benchmarks skip them.

func f32HaveAVX2() bool { return false }

func gemmF32_6x16_avx2(*gemmF32Args) { panic("kernels: gemmF32_6x16_avx2 is not compiled in") }

func dwconvF32_kxk_8x8_avx2(*dwconvF32Args) {
	panic("kernels: dwconvF32_kxk_8x8_avx2 is not compiled in")
}

func f32HaveAVX512() bool { return false }

func gemmF32_6x32_avx512(*gemmF32Args) { panic("kernels: gemmF32_6x32_avx512 is not compiled in") }

func dwconvF32_kxk_8x16_avx512(*dwconvF32Args) {
	panic("kernels: dwconvF32_kxk_8x16_avx512 is not compiled in")
}

func actF32_avx2(*actF32Args) { panic("kernels: actF32_avx2 is not compiled in") }

func actF32_avx512(*actF32Args) { panic("kernels: actF32_avx512 is not compiled in") }
