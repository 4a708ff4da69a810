package camera

import "fmt"

// Raw pixel converters. They take slices and sizes, never allocate and never return errors: a caller
// bug (a slice too short, an odd width for YUYV) panics with a "camera: …" message. Decoder.Decode
// checks frames before calling them and returns errors instead.
//
// # YUV to RGB
//
// YUYV and NV12 from cameras are BT.601 "limited range" (studio swing: Y in 16–235, Cb and Cr in
// 16–240 centred on 128), the matrix V4L2 and FFmpeg assume for them. With C = Y − 16, D = Cb − 128,
// E = Cr − 128 the conversion is
//
//	R = 1.164383·C             + 1.596027·E
//	G = 1.164383·C − 0.391762·D − 0.812968·E
//	B = 1.164383·C + 2.017232·D
//
// computed in 16-bit fixed point (coefficients ×65536, rounded) with int32 arithmetic, rounded half
// up and clamped to 0–255:
//
//	R = clamp((76309·C             + 104597·E + 32768) >> 16)
//	G = clamp((76309·C −  25675·D −  53279·E + 32768) >> 16)
//	B = clamp((76309·C + 132201·D             + 32768) >> 16)
//
// This is the BT.601 conversion rounded to nearest: the tests compare it with float64 arithmetic
// (every input for R and B, 1.2 million for G) and find it one level off for 0.03 % of the values, never
// more. Chroma is not interpolated: each Cb/Cr sample colours the two pixels (YUYV) or the 2×2
// block (NV12) it was sampled for. The result is bit-identical to FFmpeg's swscale with
// -sws_flags full_chroma_int+neighbor+accurate_rnd+bitexact; FFmpeg's default `-pix_fmt rgb24` path
// uses 8-bit tables that round down, 0 to 3 levels below these values (testdata/gen.sh).

const (
	yuvY  = 76309  // 1.164383 · 2^16
	yuvRV = 104597 // 1.596027 · 2^16
	yuvGU = 25675  // 0.391762 · 2^16
	yuvGV = 53279  // 0.812968 · 2^16
	yuvBU = 132201 // 2.017232 · 2^16
)

// clamp8 clamps v to 0–255 without a branch on the common path.
func clamp8(v int32) uint8 {
	if uint32(v) > 255 {
		return uint8(^(v >> 31)) // 0 for negative v, 255 for large v
	}
	return uint8(v)
}

// YUYVToRGB converts a w×h YUYV 4:2:2 frame (src: w·h·2 bytes, Y0 Cb Y1 Cr per pixel pair) to packed
// RGB (dst: w·h·3 bytes). w must be even. See the package comment for the formula.
func YUYVToRGB(dst, src []uint8, w, h int) {
	if w <= 0 || h <= 0 || w%2 != 0 {
		panic(fmt.Sprintf("camera: YUYVToRGB: size %dx%d (width must be even and positive)", w, h))
	}
	if len(src) < w*h*2 || len(dst) < w*h*3 {
		panic(fmt.Sprintf("camera: YUYVToRGB: %dx%d needs %d source and %d destination bytes, have %d and %d", w, h, w*h*2, w*h*3, len(src), len(dst)))
	}
	n := w * h / 2 // pixel pairs
	src, dst = src[:n*4], dst[:n*6]
	for i := 0; i < n; i++ {
		// The pair's arithmetic is written out in both converters: as a function it does not inline.
		s := src[4*i : 4*i+4 : 4*i+4]
		d := dst[6*i : 6*i+6 : 6*i+6]
		y0, cb, y1, cr := s[0], s[1], s[2], s[3]
		u, v := int32(cb)-128, int32(cr)-128
		rv, guv, bu := yuvRV*v, yuvGU*u+yuvGV*v, yuvBU*u
		c0 := yuvY*(int32(y0)-16) + 32768
		c1 := yuvY*(int32(y1)-16) + 32768
		d[0] = clamp8((c0 + rv) >> 16)
		d[1] = clamp8((c0 - guv) >> 16)
		d[2] = clamp8((c0 + bu) >> 16)
		d[3] = clamp8((c1 + rv) >> 16)
		d[4] = clamp8((c1 - guv) >> 16)
		d[5] = clamp8((c1 + bu) >> 16)
	}
}

// NV12ToRGB converts a w×h NV12 frame (src: a w·h luma plane, then w·h/2 bytes of interleaved Cb Cr
// for each 2×2 block) to packed RGB (dst: w·h·3 bytes). w and h must be even.
func NV12ToRGB(dst, src []uint8, w, h int) {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 {
		panic(fmt.Sprintf("camera: NV12ToRGB: size %dx%d (width and height must be even and positive)", w, h))
	}
	if len(src) < w*h*3/2 || len(dst) < w*h*3 {
		panic(fmt.Sprintf("camera: NV12ToRGB: %dx%d needs %d source and %d destination bytes, have %d and %d", w, h, w*h*3/2, w*h*3, len(src), len(dst)))
	}
	luma, chroma := src[:w*h], src[w*h:w*h*3/2]
	for y := 0; y < h; y++ {
		yr := luma[y*w : y*w+w]
		ch := chroma[(y/2)*w : (y/2)*w+w]
		row := dst[y*w*3 : y*w*3+w*3]
		for x := 0; x < w/2; x++ {
			c := ch[2*x : 2*x+2 : 2*x+2]
			l := yr[2*x : 2*x+2 : 2*x+2]
			d := row[6*x : 6*x+6 : 6*x+6]
			y0, y1, cb, cr := l[0], l[1], c[0], c[1]
			u, v := int32(cb)-128, int32(cr)-128
			rv, guv, bu := yuvRV*v, yuvGU*u+yuvGV*v, yuvBU*u
			c0 := yuvY*(int32(y0)-16) + 32768
			c1 := yuvY*(int32(y1)-16) + 32768
			d[0] = clamp8((c0 + rv) >> 16)
			d[1] = clamp8((c0 - guv) >> 16)
			d[2] = clamp8((c0 + bu) >> 16)
			d[3] = clamp8((c1 + rv) >> 16)
			d[4] = clamp8((c1 - guv) >> 16)
			d[5] = clamp8((c1 + bu) >> 16)
		}
	}
}

// GreyToRGB expands a w×h 8-bit grey frame (src: w·h bytes) to packed RGB with R = G = B = the grey
// value (dst: w·h·3 bytes). The value is used as is: V4L2 GREY is full range.
func GreyToRGB(dst, src []uint8, w, h int) {
	if w <= 0 || h <= 0 || len(src) < w*h || len(dst) < w*h*3 {
		panic(fmt.Sprintf("camera: GreyToRGB: %dx%d needs %d source and %d destination bytes, have %d and %d", w, h, w*h, w*h*3, len(src), len(dst)))
	}
	n := w * h
	src, dst = src[:n], dst[:n*3]
	for i, v := range src {
		d := dst[3*i : 3*i+3 : 3*i+3]
		d[0], d[1], d[2] = v, v, v
	}
}
