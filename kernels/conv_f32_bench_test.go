package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// ckBenchLayers are MobileNetV2-typical layers (batch 1).
var ckBenchLayers = []struct {
	name string
	g    ConvGeom
}{
	{"112x112x32_1x1_oc16", ckGeom(1, 112, 112, 32, 16, 1, 1, 1, 0, 0, 0, 0, 1)},
	{"56x56x24_1x1_oc144", ckGeom(1, 56, 56, 24, 144, 1, 1, 1, 0, 0, 0, 0, 1)},
	{"14x14x576_1x1_oc96", ckGeom(1, 14, 14, 576, 96, 1, 1, 1, 0, 0, 0, 0, 1)},
	{"7x7x320_1x1_oc1280", ckGeom(1, 7, 7, 320, 1280, 1, 1, 1, 0, 0, 0, 0, 1)},
	{"224x224x3_3x3s2_oc32", ckGeom(1, 224, 224, 3, 32, 3, 2, 1, 0, 0, 1, 1, 1)},
	{"56x56x144_dw3x3s1", ckGeom(1, 56, 56, 144, 144, 3, 1, 1, 1, 1, 1, 1, 144)},
	{"28x28x192_dw3x3s2", ckGeom(1, 28, 28, 192, 192, 3, 2, 1, 0, 0, 1, 1, 192)},
	{"14x14x480_dw5x5s1", ckGeom(1, 14, 14, 480, 480, 5, 1, 1, 2, 2, 2, 2, 480)},
	{"28x28x240_dw5x5s2", ckGeom(1, 28, 28, 240, 240, 5, 2, 1, 1, 1, 2, 2, 240)},
}

func ckReportGFLOPS(b *testing.B, flops int64) {
	b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// ckBenchFLOPS runs f in the benchmark loop and reports GFLOP/s over wall
// time and, where the OS gives it, over the thread's CPU time
// (cpu-GFLOP/s): on a shared, busy machine wall time also counts the time
// the thread waited for a core, CPU time does not.
func ckBenchFLOPS(b *testing.B, flops int64, f func()) {
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := ckThreadCPU()
	for b.Loop() {
		f()
	}
	c1 := ckThreadCPU()
	ckReportGFLOPS(b, flops)
	if c0 >= 0 && c1 > c0 {
		b.ReportMetric(float64(flops)*float64(b.N)/(c1-c0).Seconds()/1e9, "cpu-GFLOP/s")
	}
}

// BenchmarkConvF32 runs every layer with every impl that fits, named
// algo=<Algo()>/impl=<kernel>/<layer>, reporting GFLOP/s (2·MACs).
func BenchmarkConvF32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range ckBenchLayers {
		g := l.g
		w := ckRand(r, g.OC*g.KH*g.KW*g.C/g.Groups)
		bias := ckRand(r, g.OC)
		x := ckRand(r, g.N*g.H*g.W*g.C)
		y := make([]float32, g.N*g.OH*g.OW*g.OC)
		type variant struct {
			impl string
			c    *ConvF32
		}
		var vs []variant
		if g.Groups == g.C {
			for i := range dwconvF32Impls {
				if dw := &dwconvF32Impls[i]; dw.fits(g.KH, g.KW, g.C) {
					vs = append(vs, variant{dw.Name, packConvF32With(g, w, bias, Act{Kind: ActClip, Max: 6}, gemmF32Best(false), dw)})
				}
			}
		} else {
			for i := range gemmF32Impls {
				if gm := &gemmF32Impls[i]; gm.Available() {
					vs = append(vs, variant{gm.Name, packConvF32With(g, w, bias, Act{Kind: ActClip, Max: 6}, gm, nil)})
				}
			}
		}
		for _, v := range vs {
			s := make([]float32, v.c.ScratchLen())
			b.Run(fmt.Sprintf("algo=%s/impl=%s/%s", v.c.Algo(), v.impl, l.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					v.c.Run(x, y, s)
				}
				ckReportGFLOPS(b, 2*g.MACs())
			})
		}
	}
}

// ckBenchGemmSizes are GEMM shapes of 1×1 convolutions and classifier
// heads in MobileNetV2 and EfficientNet-B0 (M = pixels, N = output
// channels, K = input channels), plus a square one.
var ckBenchGemmSizes = [][3]int{
	{196, 96, 576},  // 14×14×576 → 96
	{3136, 24, 144}, // 56×56×144 → 24 (narrow N)
	{3136, 144, 24}, // 56×56×24 → 144 (small K)
	{784, 192, 32},  // 28×28×32 → 192
	{12544, 16, 32}, // 112×112×32 → 16
	{49, 1280, 320}, // 7×7×320 → 1280
	{1, 1000, 1280}, // classifier, batch 1
	{256, 256, 256},
}

// BenchmarkGemmF32 measures the packed-B GEMM driver per impl, named
// impl=<kernel>/m=,n=,k=, reporting GFLOP/s (2·M·N·K).
func BenchmarkGemmF32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range gemmF32Impls {
		im := &gemmF32Impls[i]
		if !im.Available() {
			continue
		}
		for _, s := range ckBenchGemmSizes {
			m, n, k := s[0], s[1], s[2]
			a, bb, c := ckRand(r, m*k), ckRand(r, k*n), make([]float32, m*n)
			bp := make([]float32, gemmF32PackedLen(k, n, im.NR))
			im.pack(k, n, bb, n, 1, bp)
			b.Run(fmt.Sprintf("impl=%s/m=%d,n=%d,k=%d", im.Name, m, n, k), func(b *testing.B) {
				ckBenchFLOPS(b, int64(2*m*n*k), func() {
					gemmF32Packed(im, m, n, k, a, k, bp, nil, c, n, Act{})
				})
			})
		}
	}
}

// ckBenchDWLayers are depthwise layers of MobileNetV2 (3×3) and
// EfficientNet-B0 (5×5), batch 1, "same" padding.
var ckBenchDWLayers = []struct {
	name string
	g    ConvGeom
}{
	{"112x112x32_3x3s1", ckGeom(1, 112, 112, 32, 32, 3, 1, 1, 1, 1, 1, 1, 32)},
	{"112x112x96_3x3s2", ckGeom(1, 112, 112, 96, 96, 3, 2, 1, 0, 0, 1, 1, 96)},
	{"56x56x144_3x3s1", ckGeom(1, 56, 56, 144, 144, 3, 1, 1, 1, 1, 1, 1, 144)},
	{"28x28x192_3x3s2", ckGeom(1, 28, 28, 192, 192, 3, 2, 1, 0, 0, 1, 1, 192)},
	{"14x14x576_3x3s1", ckGeom(1, 14, 14, 576, 576, 3, 1, 1, 1, 1, 1, 1, 576)},
	{"7x7x960_3x3s1", ckGeom(1, 7, 7, 960, 960, 3, 1, 1, 1, 1, 1, 1, 960)},
	{"28x28x240_5x5s2", ckGeom(1, 28, 28, 240, 240, 5, 2, 1, 1, 1, 2, 2, 240)},
	{"14x14x480_5x5s1", ckGeom(1, 14, 14, 480, 480, 5, 1, 1, 2, 2, 2, 2, 480)},
	{"7x7x1152_5x5s1", ckGeom(1, 7, 7, 1152, 1152, 5, 1, 1, 2, 2, 2, 2, 1152)},
}

// BenchmarkDWConvF32 runs the depthwise layers (borders included) with
// every impl that fits, with bias and relu6, named impl=<kernel>/<layer>,
// reporting GFLOP/s (2·MACs, padded taps counted).
func BenchmarkDWConvF32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range ckBenchDWLayers {
		g := l.g
		w := ckRand(r, g.OC*g.KH*g.KW)
		bias := ckRand(r, g.OC)
		x := ckRand(r, g.N*g.H*g.W*g.C)
		y := make([]float32, g.N*g.OH*g.OW*g.OC)
		for i := range dwconvF32Impls {
			dw := &dwconvF32Impls[i]
			if !dw.fits(g.KH, g.KW, g.C) {
				continue
			}
			c := packConvF32With(g, w, bias, Act{Kind: ActClip, Max: 6}, gemmF32Best(false), dw)
			b.Run(fmt.Sprintf("impl=%s/%s", dw.Name, l.name), func(b *testing.B) {
				ckBenchFLOPS(b, 2*g.MACs(), func() { c.Run(x, y, nil) })
			})
		}
	}
}

// BenchmarkMatMulF32 measures the exported runtime-operand GEMM.
func BenchmarkMatMulF32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{64, 64, 64}, {196, 96, 576}} {
		m, n, k := s[0], s[1], s[2]
		a, bb, c := ckRand(r, m*k), ckRand(r, k*n), make([]float32, m*n)
		b.Run(fmt.Sprintf("m=%d,n=%d,k=%d", m, n, k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				MatMulF32(m, n, k, a, bb, c)
			}
			ckReportGFLOPS(b, int64(2*m*n*k))
		})
	}
}

// BenchmarkDenseF32 measures a classifier head (M=1, the GEMV path) and a
// batched layer.
func BenchmarkDenseF32(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range [][3]int{{1, 1000, 1280}, {32, 256, 512}} {
		m, n, k := s[0], s[1], s[2]
		d := PackDenseF32(k, n, ckRand(r, k*n), ckRand(r, n), Act{})
		x, y := ckRand(r, m*k), make([]float32, m*n)
		b.Run(fmt.Sprintf("m=%d,n=%d,k=%d", m, n, k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Run(x, m, y)
			}
			ckReportGFLOPS(b, int64(2*m*n*k))
		})
	}
}
