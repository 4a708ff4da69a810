package preprocess

import (
	"fmt"
	"github.com/ocellus/ocellus/internal/fixture"
	"testing"
)

// BenchmarkPreprocess: one frame → 224×224×3 float32 NCHW, imagenet normalisation, steady state.
func BenchmarkPreprocess(b *testing.B) {
	for _, m := range []ResizeMethod{BilinearHP, Nearest, PILBilinear, Crop256} {
		for _, sz := range [][2]int{{640, 480}, {1280, 720}} {
			b.Run(fmt.Sprintf("resize=%s,src=%dx%d", m, sz[0], sz[1]), func(b *testing.B) {
				s := DefaultSpec()
				s.Resize = m
				p, err := NewPreprocessor(s)
				if err != nil {
					b.Fatal(err)
				}
				img := lcgRGB8(sz[0], sz[1], 1)
				dst := make([]float32, s.Len())
				p.Run(img, dst) // size the scratch buffers
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					p.Run(img, dst)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			})
		}
	}
}

// BenchmarkDecode: the sample files as the daemon would read them.
func BenchmarkDecode(b *testing.B) {
	for _, f := range []string{"cat.bmp", "cat.png", "cat.jpg"} {
		b.Run("file="+f, func(b *testing.B) {
			p := fixture.Path(b, "images/"+f)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeFile(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
