//go:build purego || !amd64

package kernels

// Stand-ins for the amd64 int8 assembly kernels where they are not compiled
// (other architectures, or the purego build tag). Their Available functions
// report false, so dispatch, tests and benchmarks skip them.

func gemmS8HaveAVX2() bool { return false }

func dotS8_4x2_avx2(*gemmS8Args) { panic("kernels: dotS8_4x2_avx2 is not compiled in") }

func gemmS8HaveVNNI() bool { return false }

func dotS8_4x2_vnni(*gemmS8Args) { panic("kernels: dotS8_4x2_vnni is not compiled in") }

func requantS8HaveAVX2() bool { return false }

func requantS8Float_avx2(*rqRowsArgs) { panic("kernels: requantS8Float_avx2 is not compiled in") }

func requantS8Fixed_avx2(*rqRowsArgs) { panic("kernels: requantS8Fixed_avx2 is not compiled in") }

func dwconvS8Acc_avx2(*dwS8Args) { panic("kernels: dwconvS8Acc_avx2 is not compiled in") }

func gemmS8Bcast_6x16_avx2(*gemmS8BcastArgs) {
	panic("kernels: gemmS8Bcast_6x16_avx2 is not compiled in")
}

func gemmS8Bcast_6x16_vnni(*gemmS8BcastArgs) {
	panic("kernels: gemmS8Bcast_6x16_vnni is not compiled in")
}

func gemmS8BcastU8_6x16_vnni(*gemmS8BcastU8Args) {
	panic("kernels: gemmS8BcastU8_6x16_vnni is not compiled in")
}

func gemmS8BcastU8F_6x16_vnni(*gemmS8BcastU8Args) {
	panic("kernels: gemmS8BcastU8F_6x16_vnni is not compiled in")
}

func gemmS8BcastU8FM_6x16_vnni(*gemmS8BcastMArgs) {
	panic("kernels: gemmS8BcastU8FM_6x16_vnni is not compiled in")
}

func gemmS8HaveAVX512() bool { return false }

func gemmS8BcastU8FM_6x32_avx512(*gemmS8BcastMArgs) {
	panic("kernels: gemmS8BcastU8FM_6x32_avx512 is not compiled in")
}

func quantizeS8Float_avx2(*float32, int, float32, float32, float32, int32, *int8) {
	panic("kernels: quantizeS8Float_avx2 is not compiled in")
}

func dwconvS8Pairs_vnni(*dwS8PairArgs) { panic("kernels: dwconvS8Pairs_vnni is not compiled in") }

func dwconvS8Pairs_avx2(*dwS8PairArgs) { panic("kernels: dwconvS8Pairs_avx2 is not compiled in") }
