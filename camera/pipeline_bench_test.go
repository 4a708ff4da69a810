package camera

import (
	"fmt"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// BenchmarkFrameToTensor is the whole path from a camera frame to a model
// input on one core: decode (MJPEG or YUYV) into a reused image, then
// resize and normalise into a 224×224×3 float tensor (NHWC, the layout
// sessions run), as the daemon's loop does.
func BenchmarkFrameToTensor(b *testing.B) {
	for _, sz := range benchSizes {
		w, h := sz[0], sz[1]
		rgb := benchScene(b, w, h)
		yuyv := make([]byte, w*h*2)
		rgbToYUYV(yuyv, rgb, w, h)
		jpg := benchJPEG(b, rgb, w, h)
		for _, c := range []struct {
			name string
			f    Frame
		}{
			{"mjpeg", Frame{Format: MJPEG, W: w, H: h, Data: jpg}},
			{"yuyv", Frame{Format: YUYV, W: w, H: h, Data: yuyv}},
		} {
			for _, rs := range []preprocess.ResizeMethod{preprocess.BilinearHP, preprocess.Nearest} {
				b.Run(fmt.Sprintf("format=%s/size=%dx%d/resize=%v", c.name, w, h, rs), func(b *testing.B) {
					spec := preprocess.DefaultSpec()
					spec.Layout, spec.Resize = preprocess.NHWC, rs
					pre, err := preprocess.NewPreprocessor(spec)
					if err != nil {
						b.Fatal(err)
					}
					var d Decoder
					img := preprocess.NewRGB8(w, h)
					dst := make([]float32, spec.Len())
					b.ReportAllocs()
					for b.Loop() {
						out, err := d.Decode(img, c.f)
						if err != nil {
							b.Fatal(err)
						}
						pre.Run(out, dst)
					}
					reportFPS(b)
				})
			}
		}
	}
}
