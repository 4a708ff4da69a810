package camera

import "image"

// ycbcrToRGB converts a decoded JPEG (m.Rect.Min at the origin) to packed RGB in dst, with exactly
// color.YCbCrToRGB's arithmetic (JFIF full-range BT.601, 16-bit fixed point) and nearest-neighbour
// chroma — the same pixels as preprocess.FromImage, without a method call per pixel.
func ycbcrToRGB(dst []uint8, m *image.YCbCr) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	var hs, vs uint // chroma subsampling shifts
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	}
	cw := (w + (1 << hs) - 1) >> hs
	for y := 0; y < h; y++ {
		yr := m.Y[y*m.YStride : y*m.YStride+w]
		co := (y >> vs) * m.CStride
		cb, cr := m.Cb[co:co+cw], m.Cr[co:co+cw]
		d := dst[y*w*3 : y*w*3+w*3]
		for x, yv := range yr {
			c := x >> hs
			r, g, b := jfifRGB(yv, cb[c], cr[c])
			o := d[3*x : 3*x+3 : 3*x+3]
			o[0], o[1], o[2] = r, g, b
		}
	}
}

// jfifRGB is color.YCbCrToRGB (Go 1.26), copied so that it inlines.
func jfifRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	if uint32(r)&0xff000000 == 0 {
		r >>= 16
	} else {
		r = ^(r >> 31)
	}
	g := yy1 - 22554*cb1 - 46802*cr1
	if uint32(g)&0xff000000 == 0 {
		g >>= 16
	} else {
		g = ^(g >> 31)
	}
	b := yy1 + 116130*cb1
	if uint32(b)&0xff000000 == 0 {
		b >>= 16
	} else {
		b = ^(b >> 31)
	}
	return uint8(r), uint8(g), uint8(b)
}
