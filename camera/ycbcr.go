package camera

import "image"

// ycbcrToRGB converts a decoded JPEG (m.Rect.Min at the origin) to packed RGB in dst, with exactly
// color.YCbCrToRGB's arithmetic (yy1 = Y·0x10101; R = yy1 + 91881·(Cr−128), G = yy1 − 22554·(Cb−128)
// − 46802·(Cr−128), B = yy1 + 116130·(Cb−128); each >> 16 and clamped) (JFIF full-range BT.601, 16-bit fixed point) and nearest-neighbour
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
			o := d[3*x : 3*x+3 : 3*x+3]
			// jfifRGB, written out (as a call it does not inline).
			yy1 := int32(yv) * 0x10101
			cb1 := int32(cb[c]) - 128
			cr1 := int32(cr[c]) - 128
			r := yy1 + 91881*cr1
			g := yy1 - 22554*cb1 - 46802*cr1
			b := yy1 + 116130*cb1
			o[0], o[1], o[2] = clamp16(r), clamp16(g), clamp16(b)
		}
	}
}

// clamp16 is color.YCbCrToRGB's final step (Go 1.26): v >> 16 clamped to 0–255.
func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
