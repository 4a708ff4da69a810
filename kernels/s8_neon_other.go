//go:build purego || !arm64

package kernels

// Stand-ins for the arm64 int8 assembly kernels where they are not compiled
// (other architectures, or the purego build tag). Their Available functions
// report false, so dispatch, tests and benchmarks skip them.

func gemmS8HaveNEON() bool { return false }

func gemmS8HaveSDOT() bool { return false }

func dotS8_4x2_neon(*gemmS8Args) { panic("kernels: dotS8_4x2_neon is not compiled in") }

func dotS8_4x2_sdot(*gemmS8Args) { panic("kernels: dotS8_4x2_sdot is not compiled in") }

func requantS8HaveNEON() bool { return false }

func requantS8Float_neon(*rqRowsArgs) { panic("kernels: requantS8Float_neon is not compiled in") }

func requantS8Fixed_neon(*rqRowsArgs) { panic("kernels: requantS8Fixed_neon is not compiled in") }

func dwconvS8Acc_neon(*dwS8Args) { panic("kernels: dwconvS8Acc_neon is not compiled in") }
