package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
)

var benchSizes = [][2]int{{640, 480}, {1280, 720}}

// benchScene renders a demo frame of the given size (textured, noisy: a fair stand-in for a camera
// frame when encoded as JPEG).
func benchScene(b *testing.B, w, h int) []byte {
	d, err := NewDemo(Options{Width: w, Height: h, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	rgb := make([]byte, w*h*3)
	d.Render(rgb, 15)
	return rgb
}

// benchJPEG encodes an RGB frame with image/jpeg (quality 80, 4:2:0 — UVC cameras send 4:2:2).
func benchJPEG(b *testing.B, rgb []byte, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:4*i+3], rgb[3*i:3*i+3])
		img.Pix[4*i+3] = 255
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func reportFPS(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkDecode: Frame → *preprocess.RGB8 per format and size, into a reused image.
func BenchmarkDecode(b *testing.B) {
	for _, sz := range benchSizes {
		w, h := sz[0], sz[1]
		rgb := benchScene(b, w, h)
		yuyv := make([]byte, w*h*2)
		rgbToYUYV(yuyv, rgb, w, h)
		nv12 := make([]byte, w*h*3/2) // content does not matter for the speed of the conversion
		copy(nv12, yuyv)
		jpg := benchJPEG(b, rgb, w, h)
		noDHT := stripDHT(b, jpg, nil)
		for _, c := range []struct {
			name string
			f    Frame
		}{
			{"yuyv", Frame{Format: YUYV, W: w, H: h, Data: yuyv}},
			{"nv12", Frame{Format: NV12, W: w, H: h, Data: nv12}},
			{"mjpeg", Frame{Format: MJPEG, W: w, H: h, Data: jpg}},
			{"mjpeg-nodht", Frame{Format: MJPEG, W: w, H: h, Data: noDHT}},
		} {
			b.Run(fmt.Sprintf("format=%s/size=%dx%d", c.name, w, h), func(b *testing.B) {
				var d Decoder
				dst := preprocess.NewRGB8(w, h)
				b.ReportAllocs()
				b.SetBytes(int64(len(c.f.Data)))
				for b.Loop() {
					if _, err := d.Decode(dst, c.f); err != nil {
						b.Fatal(err)
					}
				}
				reportFPS(b)
			})
		}
	}
}

// BenchmarkAddHuffmanTables: the cost of making a UVC frame decodable (a copy of the frame).
func BenchmarkAddHuffmanTables(b *testing.B) {
	w, h := 640, 480
	noDHT := stripDHT(b, benchJPEG(b, benchScene(b, w, h), w, h), nil)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, _, err = AddHuffmanTables(buf, noDHT)
		if err != nil {
			b.Fatal(err)
		}
	}
	reportFPS(b)
}

// BenchmarkDemo: rendering demo frames.
func BenchmarkDemo(b *testing.B) {
	for _, sz := range [][2]int{{320, 240}, {640, 480}} {
		b.Run(fmt.Sprintf("size=%dx%d", sz[0], sz[1]), func(b *testing.B) {
			d, err := NewDemo(Options{Width: sz[0], Height: sz[1]})
			if err != nil {
				b.Fatal(err)
			}
			ctx := b.Context()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Next(ctx); err != nil {
					b.Fatal(err)
				}
			}
			reportFPS(b)
		})
	}
}
