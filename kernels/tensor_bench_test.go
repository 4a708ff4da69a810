package kernels

import (
	"math/rand/v2"
	"testing"
)

func tsBenchF32(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	return tsRandF32(rng, n)
}

func BenchmarkTranspose(b *testing.B) {
	b.Run("perm=nchw_to_nhwc/shape=1x3x224x224", func(b *testing.B) {
		shape := []int{1, 3, 224, 224}
		x := tsBenchF32(tsNumel(shape))
		y := make([]float32, len(x))
		b.SetBytes(int64(8 * len(x)))
		b.ReportAllocs()
		for b.Loop() {
			Transpose(x, shape, []int{0, 2, 3, 1}, y)
		}
	})
	b.Run("perm=nhwc_to_nchw/shape=1x56x56x64", func(b *testing.B) {
		shape := []int{1, 56, 56, 64}
		x := tsBenchF32(tsNumel(shape))
		y := make([]float32, len(x))
		b.SetBytes(int64(8 * len(x)))
		b.ReportAllocs()
		for b.Loop() {
			Transpose(x, shape, []int{0, 3, 1, 2}, y)
		}
	})
}

func BenchmarkBinaryF32(b *testing.B) {
	b.Run("op=mul/se/a=1x14x14x576/b=1x1x1x576", func(b *testing.B) {
		as, bs := []int{1, 14, 14, 576}, []int{1, 1, 1, 576}
		a := tsBenchF32(tsNumel(as))
		w := tsBenchF32(tsNumel(bs))
		y := make([]float32, len(a))
		b.SetBytes(int64(8 * len(a)))
		b.ReportAllocs()
		for b.Loop() {
			BinaryF32(OpMul, a, as, w, bs, y, as)
		}
	})
	b.Run("op=add/equal/n=150528", func(b *testing.B) {
		s := []int{1, 224, 224, 3}
		a, c := tsBenchF32(tsNumel(s)), tsBenchF32(tsNumel(s))
		y := make([]float32, len(a))
		b.SetBytes(int64(12 * len(a)))
		b.ReportAllocs()
		for b.Loop() {
			BinaryF32(OpAdd, a, s, c, s, y, s)
		}
	})
}

func BenchmarkSoftmaxF32(b *testing.B) {
	b.Run("n=1000", func(b *testing.B) {
		x := tsBenchF32(1000)
		y := make([]float32, len(x))
		b.SetBytes(int64(8 * len(x)))
		b.ReportAllocs()
		for b.Loop() {
			SoftmaxF32(x, y, 1, 1000, 1)
		}
	})
}

func BenchmarkReduceMeanF32(b *testing.B) {
	b.Run("nhwc_global/shape=1x14x14x576", func(b *testing.B) {
		s := []int{1, 14, 14, 576}
		x := tsBenchF32(tsNumel(s))
		y := make([]float32, 576)
		b.SetBytes(int64(4 * len(x)))
		b.ReportAllocs()
		for b.Loop() {
			ReduceMeanF32(x, s, []int{1, 2}, y)
		}
	})
}

func BenchmarkResizeF32(b *testing.B) {
	bench := func(b *testing.B, in, out []int, p ResizeParams) {
		p.Scales = make([]float32, len(in))
		for i := range in {
			p.Scales[i] = float32(out[i]) / float32(in[i])
		}
		plan := PlanResize(in, out, p)
		x := tsBenchF32(tsNumel(in))
		y := make([]float32, tsNumel(out))
		scratch := make([]float32, plan.ScratchLen())
		b.ReportAllocs()
		for b.Loop() {
			plan.RunF32(x, y, scratch)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	}
	b.Run("mode=bilinear/nhwc/480x640x3_to_224x224x3", func(b *testing.B) {
		bench(b, []int{1, 480, 640, 3}, []int{1, 224, 224, 3}, ResizeParams{Mode: ResizeLinear})
	})
	b.Run("mode=bilinear/nchw/3x480x640_to_3x224x224", func(b *testing.B) {
		bench(b, []int{1, 3, 480, 640}, []int{1, 3, 224, 224}, ResizeParams{Mode: ResizeLinear})
	})
	b.Run("mode=cubic_antialias/nhwc/480x640x3_to_224x224x3", func(b *testing.B) {
		bench(b, []int{1, 480, 640, 3}, []int{1, 224, 224, 3}, ResizeParams{Mode: ResizeCubic, Antialias: true})
	})
}
