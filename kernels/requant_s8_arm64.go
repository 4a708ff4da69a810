//go:build !purego

package kernels

// requantS8HaveNEON reports the NEON vector requantization and depthwise
// sums (not yet written for arm64: the Go loops run).
func requantS8HaveNEON() bool { return false }

func requantS8Float_neon(*rqRowsArgs) { panic("kernels: requantS8Float_neon is not compiled in") }

func requantS8Fixed_neon(*rqRowsArgs) { panic("kernels: requantS8Fixed_neon is not compiled in") }

func dwconvS8Acc_neon(*dwS8Args) { panic("kernels: dwconvS8Acc_neon is not compiled in") }
