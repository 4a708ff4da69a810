package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func qReportGOPS(b *testing.B, ops int64) {
	b.ReportMetric(float64(ops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOP/s")
}

// BenchmarkConvS8 runs the MobileNetV2 layers of BenchmarkConvF32 in int8
// with every GEMM or depthwise impl that fits and both requantization
// modes, named algo=<Algo()>/impl=<kernel>/mode=<mode>/<layer>, reporting
// GOP/s (2·MACs) to set beside the float32 GFLOP/s.
func BenchmarkConvS8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range ckBenchLayers {
		g := l.g
		w := qRandS8(r, g.OC*g.KH*g.KW*g.C/g.Groups)
		x := qRandS8(r, g.N*g.H*g.W*g.C)
		y := make([]int8, g.N*g.OH*g.OW*g.OC)
		bias := qRandI32(r, g.OC, 5000)
		for _, mode := range qModes {
			rq, _ := qRequant(r, mode, g.OC, 40/(7000*math.Sqrt(float64(g.KH*g.KW*g.C/g.Groups))))
			rq.Min, rq.Max = rq.ZeroPoint, 127
			type variant struct {
				impl string
				c    *ConvS8
			}
			var vs []variant
			if g.Groups == g.C {
				for i := range dwconvS8Impls {
					if dw := &dwconvS8Impls[i]; dw.fits(g.KH, g.KW) {
						vs = append(vs, variant{dw.Name, packConvS8With(g, w, nil, bias, 3, rq, gemmS8Best(), dw)})
					}
				}
			} else {
				for _, gm := range qGemmImpls() {
					vs = append(vs, variant{gm.Name, packConvS8With(g, w, nil, bias, 3, rq, gm, nil)})
				}
			}
			for _, v := range vs {
				s := make([]byte, v.c.ScratchBytes())
				b.Run(fmt.Sprintf("algo=%s/impl=%s/mode=%s/%s", v.c.Algo(), v.impl, mode, l.name), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						v.c.Run(x, y, s)
					}
					qReportGOPS(b, 2*g.MACs())
				})
			}
		}
	}
}

// BenchmarkDenseS8 measures the classifier-sized fully connected layer
// (batch 1: the one-row kernel) and a batched one.
func BenchmarkDenseS8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, gm := range qGemmImpls() {
		for _, s := range [][3]int{{1, 1280, 1000}, {16, 256, 256}} {
			M, K, N := s[0], s[1], s[2]
			rq, _ := qRequant(r, RequantFixedPoint, N, 1e-4)
			d := packDenseS8With(K, N, qRandS8(r, K*N), true, nil, nil, 0, rq, gm)
			x, y := qRandS8(r, M*K), make([]int8, M*N)
			b.Run(fmt.Sprintf("impl=%s/m=%d,k=%d,n=%d", gm.Name, M, K, N), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					d.Run(x, M, y)
				}
				qReportGOPS(b, int64(2*M*K*N))
			})
		}
	}
}

// BenchmarkBinaryS8 measures the tabulated Add on a MobileNetV2 residual
// (56×56×24) and the squeeze-excite Mul broadcast.
func BenchmarkBinaryS8(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	p, _ := qAddFixed(r)
	tab := NewBinaryS8(p.Eval)
	a, c := qRandS8(r, 56*56*24), qRandS8(r, 56*56*24)
	y := make([]int8, len(a))
	sh := []int{1, 56, 56, 24}
	b.Run("add/56x56x24", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(a)))
		for b.Loop() {
			tab.Run(a, sh, c, sh, y, sh)
		}
	})
	se := qRandS8(r, 24)
	b.Run("mul_se/56x56x24", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(a)))
		for b.Loop() {
			tab.Run(a, sh, se, []int{1, 1, 1, 24}, y, sh)
		}
	})
	b.Run("table", func(b *testing.B) {
		for b.Loop() {
			NewBinaryS8(p.Eval)
		}
	})
}
