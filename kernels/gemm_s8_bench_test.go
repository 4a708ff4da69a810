package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemmS8 runs 1×1 convolutions of MobileNetV2 shapes (m pixels,
// k input channels, n output channels, int8 weights without zero point)
// with every available GEMM impl, reporting GOP/s (2·m·k·n per run,
// requantization included).
func BenchmarkGemmS8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{3136, 24, 144}, {3136, 144, 24}, {784, 32, 192}, {196, 64, 384}, {196, 576, 96}, {49, 960, 320}, {49, 320, 1280}} {
		m, k, n := s[0], s[1], s[2]
		g := ckGeom(1, 1, m, k, n, 1, 1, 1, 0, 0, 0, 0, 1)
		w := qRandS8(r, n*k)
		x := qRandS8(r, m*k)
		y := make([]int8, m*n)
		rq, _ := qRequant(r, RequantFixedPoint, n, 40/(7000*math.Sqrt(float64(k))))
		for _, gm := range qGemmImpls() {
			c := packConvS8With(g, w, nil, qRandI32(r, n, 5000), 3, rq, gm, nil)
			b.Run(fmt.Sprintf("impl=%s/m=%d,k=%d,n=%d", c.gemm.Name, m, k, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c.Run(x, y, nil)
				}
				qReportGOPS(b, int64(2*m*k*n))
			})
		}
	}
}
