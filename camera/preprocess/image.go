package preprocess

import (
	"fmt"
	"image"
	"image/color"
)

// MaxSide and MaxPixels bound the images the decoders accept (ErrTooLarge beyond them), so that a
// hostile header cannot make the decoder allocate gigabytes.
const (
	MaxSide   = 1 << 15
	MaxPixels = 1 << 26
)

// RGB8 is an 8-bit RGB image: Pix holds W·H pixels row-major, three bytes R, G, B each, no padding.
// Gray reports that every pixel has R = G = B (the source was a grey image); it is a hint only —
// code that ignores it still computes the right result.
type RGB8 struct {
	W, H int
	Pix  []uint8
	Gray bool
}

// NewRGB8 returns a black w×h image.
func NewRGB8(w, h int) *RGB8 {
	if w < 0 || h < 0 {
		panic(fmt.Sprintf("preprocess: NewRGB8(%d, %d): negative size", w, h))
	}
	return &RGB8{W: w, H: h, Pix: make([]uint8, w*h*3)}
}

// At returns the pixel at (x, y).
func (m *RGB8) At(x, y int) (r, g, b uint8) {
	i := (y*m.W + x) * 3
	return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
}

// check panics unless m is a usable image (a caller bug).
func (m *RGB8) check() {
	if m == nil {
		panic("preprocess: nil image")
	}
	if m.W <= 0 || m.H <= 0 || len(m.Pix) < m.W*m.H*3 {
		panic(fmt.Sprintf("preprocess: image %dx%d has %d bytes of pixels, want %d", m.W, m.H, len(m.Pix), m.W*m.H*3))
	}
}

// lumaPillow is Pillow's convert("L"): ITU-R 601-2 luma in 16-bit fixed point, rounded.
func lumaPillow(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// Luma writes the grey version of m (Pillow's convert("L"), see the package comment) into dst,
// reusing its storage when large enough, and returns dst[:W·H].
func (m *RGB8) Luma(dst []uint8) []uint8 {
	n := m.W * m.H
	if cap(dst) < n {
		dst = make([]uint8, n)
	}
	dst = dst[:n]
	pix := m.Pix[:n*3]
	if m.Gray {
		for i := range dst {
			dst[i] = pix[3*i]
		}
		return dst
	}
	for i := range dst {
		p := pix[3*i : 3*i+3 : 3*i+3]
		dst[i] = lumaPillow(p[0], p[1], p[2])
	}
	return dst
}

// FromImage converts any image.Image to RGB8, reusing dst's storage when it is non-nil and large
// enough, and returns the result. Alpha is dropped without compositing (as Pillow's convert("RGB")
// does); 16-bit samples keep their high byte. *image.YCbCr is converted with color.YCbCrToRGB per
// pixel, nearest-neighbour chroma (what image/jpeg's At does) — libjpeg's "fancy" chroma upsampling,
// which Pillow uses, is not reproduced, so JPEG pixels differ slightly from Pillow's.
func FromImage(dst *RGB8, src image.Image) *RGB8 {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if dst == nil {
		dst = &RGB8{}
	}
	n := w * h * 3
	if cap(dst.Pix) < n {
		dst.Pix = make([]uint8, n)
	}
	dst.W, dst.H, dst.Pix, dst.Gray = w, h, dst.Pix[:n], false
	out := dst.Pix
	switch s := src.(type) {
	case *image.RGBA:
		// Premultiplied; an opaque image (what image/png returns for RGB files) is copied as is.
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[y*w*3:]
			for x := 0; x < w; x++ {
				r, g, bl, a := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				if a != 255 && a != 0 {
					r, g, bl = unpremul(r, a), unpremul(g, a), unpremul(bl, a)
				}
				o[3*x], o[3*x+1], o[3*x+2] = r, g, bl
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[y*w*3:]
			for x := 0; x < w; x++ {
				o[3*x], o[3*x+1], o[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[y*w*3:]
			for x := 0; x < w; x++ {
				v := row[x]
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
		dst.Gray = true
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			o := out[y*w*3:]
			for x := 0; x < w; x++ {
				yi := s.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := s.COffset(b.Min.X+x, b.Min.Y+y)
				o[3*x], o[3*x+1], o[3*x+2] = color.YCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		grey := true
		for i, c := range s.Palette {
			if i == 256 {
				break
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
			grey = grey && n.R == n.G && n.G == n.B
		}
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			o := out[y*w*3:]
			for x := 0; x < w; x++ {
				p := lut[row[x]]
				o[3*x], o[3*x+1], o[3*x+2] = p[0], p[1], p[2]
			}
		}
		dst.Gray = grey
	default:
		grey := false
		switch src.ColorModel() {
		case color.GrayModel, color.Gray16Model:
			grey = true
		}
		for y := 0; y < h; y++ {
			o := out[y*w*3:]
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				o[3*x], o[3*x+1], o[3*x+2] = c.R, c.G, c.B
			}
		}
		dst.Gray = grey
	}
	return dst
}

// unpremul undoes alpha premultiplication of one 8-bit sample.
func unpremul(v, a uint8) uint8 {
	u := (uint32(v)*255 + uint32(a)/2) / uint32(a)
	if u > 255 {
		u = 255
	}
	return uint8(u)
}
