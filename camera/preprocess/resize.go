package preprocess

import (
	"fmt"
	"math"
)

// ResizeMethod selects how an image is brought to the model's size (see the package comment).
type ResizeMethod uint8

const (
	BilinearHP  ResizeMethod = iota // "bilinear_hp": half-pixel bilinear, no antialiasing, float64, round half up
	Nearest                         // "nearest": src = floor((dst+0.5)·in/out)
	PILBilinear                     // "pil_bilinear": Pillow 9.4 Image.resize(BILINEAR), antialiased
	Crop256                         // "crop256": Pillow bilinear, shorter side to Width·256/224, centre crop
)

var resizeNames = [...]string{BilinearHP: "bilinear_hp", Nearest: "nearest", PILBilinear: "pil_bilinear", Crop256: "crop256"}

// String returns the CLI / JSON name of m.
func (m ResizeMethod) String() string {
	if int(m) < len(resizeNames) {
		return resizeNames[m]
	}
	return fmt.Sprintf("ResizeMethod(%d)", uint8(m))
}

// ParseResizeMethod parses "bilinear_hp", "nearest", "pil_bilinear" or "crop256".
func ParseResizeMethod(s string) (ResizeMethod, error) {
	for i, n := range resizeNames {
		if s == n {
			return ResizeMethod(i), nil
		}
	}
	return 0, fmt.Errorf("%w: resize method %q (want bilinear_hp, nearest, pil_bilinear or crop256)", ErrInvalidSpec, s)
}

// MarshalText implements encoding.TextMarshaler (JSON sidecars store the name).
func (m ResizeMethod) MarshalText() ([]byte, error) {
	if int(m) >= len(resizeNames) {
		return nil, fmt.Errorf("%w: resize method %d", ErrInvalidSpec, uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *ResizeMethod) UnmarshalText(b []byte) error {
	v, err := ParseResizeMethod(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// cropGeometry returns, for Crop256 with a model of w×h and a source of sw×sh, the size of the full
// Pillow resize (fw×fh) and the top-left corner (cx, cy) of the w×h centre crop. It follows the
// reference script: t = round(max(w,h)·256/224); s = t/min(sw,sh) (float64);
// fw = max(t, round(sw·s)), fh = max(t, round(sh·s)) with round-half-even; cx = (fw-w)/2, cy = (fh-h)/2.
func cropGeometry(w, h, sw, sh int) (fw, fh, cx, cy int) {
	t := (max(w, h)*256 + 112) / 224 // ·8/7 is never a half, so round-half-up = round-half-even
	s := float64(t) / float64(min(sw, sh))
	fw = max(t, int(math.RoundToEven(float64(sw)*s)))
	fh = max(t, int(math.RoundToEven(float64(sh)*s)))
	return fw, fh, (fw - w) / 2, (fh - h) / 2
}

// resizer holds the scratch buffers of the resize variants so that repeated resizes of same-sized
// frames allocate nothing.
type resizer struct {
	// bilinear_hp / nearest: per output column and row, source indices and fractions.
	x0, x1, y0, y1 []int
	fx, fy         []float64
	// pil_bilinear: per output column and row, first source index, tap count and fixed-point taps.
	hb, vb []int32
	hk, vk []int32
	kbuf   []float64
	tmp    []uint8 // horizontal pass output
	acc    []int32 // vertical pass sums
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// resize writes the w×h result of method m applied to the sw×sh, c-channel image src into dst
// (len w·h·c). For Crop256 the result is the w×h centre crop.
func (r *resizer) resize(dst []uint8, w, h int, src []uint8, sw, sh, c int, m ResizeMethod) {
	if w <= 0 || h <= 0 || sw <= 0 || sh <= 0 || (c != 1 && c != 3) {
		panic(fmt.Sprintf("preprocess: resize %dx%dx%d to %dx%d", sw, sh, c, w, h))
	}
	if len(dst) < w*h*c || len(src) < sw*sh*c {
		panic(fmt.Sprintf("preprocess: resize buffers too short: dst %d < %d or src %d < %d", len(dst), w*h*c, len(src), sw*sh*c))
	}
	switch m {
	case BilinearHP:
		r.bilinearHP(dst, w, h, src, sw, sh, c)
	case Nearest:
		r.nearest(dst, w, h, src, sw, sh, c)
	case PILBilinear:
		r.pil(dst, src, sw, sh, c, w, h, 0, 0, w, h)
	case Crop256:
		fw, fh, cx, cy := cropGeometry(w, h, sw, sh)
		r.pil(dst, src, sw, sh, c, fw, fh, cx, cy, w, h)
	default:
		panic(fmt.Sprintf("preprocess: unknown resize method %d", m))
	}
}

// hpCoords computes, for each of n output positions on an axis of in source samples,
// s = (d+0.5)·in/n − 0.5 clamped to [0, in−1], i0 = floor(s), i1 = min(i0+1, in−1), f = s − i0,
// with the same float64 operations, in the same order, as the numpy reference.
func hpCoords(i0, i1 []int, f []float64, in, n int) {
	for d := range n {
		s := (float64(d)+0.5)*float64(in)/float64(n) - 0.5
		s = min(max(s, 0), float64(in-1))
		a := int(s) // s ≥ 0: truncation is floor
		i0[d], i1[d], f[d] = a, min(a+1, in-1), s-float64(a)
	}
}

// bilinearHP: top = p00·(1−fx) + p01·fx, bot = p10·(1−fx) + p11·fx, v = top·(1−fy) + bot·fy, all
// float64 and each product rounded on its own (the explicit conversions forbid FMA fusion), then
// floor(v + 0.5) clamped to [0, 255].
func (r *resizer) bilinearHP(dst []uint8, w, h int, src []uint8, sw, sh, c int) {
	r.x0, r.x1, r.fx = grow(r.x0, w), grow(r.x1, w), grow(r.fx, w)
	r.y0, r.y1, r.fy = grow(r.y0, h), grow(r.y1, h), grow(r.fy, h)
	hpCoords(r.x0, r.x1, r.fx, sw, w)
	hpCoords(r.y0, r.y1, r.fy, sh, h)
	for y := range h {
		row0 := src[r.y0[y]*sw*c : (r.y0[y]+1)*sw*c]
		row1 := src[r.y1[y]*sw*c : (r.y1[y]+1)*sw*c]
		fy := r.fy[y]
		gy := 1 - fy
		out := dst[y*w*c : (y+1)*w*c]
		if c == 3 {
			for x := range w {
				a, b := r.x0[x]*3, r.x1[x]*3
				fx := r.fx[x]
				gx := 1 - fx
				p00, p01 := row0[a:a+3:a+3], row0[b:b+3:b+3]
				p10, p11 := row1[a:a+3:a+3], row1[b:b+3:b+3]
				o := out[3*x : 3*x+3 : 3*x+3]
				for k := range 3 {
					top := float64(float64(p00[k])*gx) + float64(float64(p01[k])*fx)
					bot := float64(float64(p10[k])*gx) + float64(float64(p11[k])*fx)
					v := float64(top*gy) + float64(bot*fy) + 0.5
					o[k] = uint8(min(max(int(v), 0), 255))
				}
			}
			continue
		}
		for x := range w {
			a, b := r.x0[x], r.x1[x]
			fx := r.fx[x]
			gx := 1 - fx
			top := float64(float64(row0[a])*gx) + float64(float64(row0[b])*fx)
			bot := float64(float64(row1[a])*gx) + float64(float64(row1[b])*fx)
			v := float64(top*gy) + float64(bot*fy) + 0.5
			out[x] = uint8(min(max(int(v), 0), 255))
		}
	}
}

// nearestIndex returns min(floor((d+0.5)·in/n), in−1) computed as the numpy reference does
// (float64 (d+0.5)·in, divided by n).
func nearestIndex(d, in, n int) int {
	return min(int((float64(d)+0.5)*float64(in)/float64(n)), in-1)
}

func (r *resizer) nearest(dst []uint8, w, h int, src []uint8, sw, sh, c int) {
	r.x0 = grow(r.x0, w)
	for x := range w {
		r.x0[x] = nearestIndex(x, sw, w) * c
	}
	for y := range h {
		row := src[nearestIndex(y, sh, h)*sw*c:]
		out := dst[y*w*c : (y+1)*w*c]
		if c == 3 {
			for x := range w {
				s := row[r.x0[x] : r.x0[x]+3 : r.x0[x]+3]
				out[3*x], out[3*x+1], out[3*x+2] = s[0], s[1], s[2]
			}
			continue
		}
		for x := range w {
			out[x] = row[r.x0[x]]
		}
	}
}

// ResizeRGB8 resizes src to w×h with method m (for Crop256: to the w×h centre crop of the scaled
// image) and returns a new image. It allocates; use a Preprocessor for repeated work.
func ResizeRGB8(src *RGB8, w, h int, m ResizeMethod) *RGB8 {
	src.check()
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("preprocess: ResizeRGB8 to %dx%d", w, h))
	}
	out := NewRGB8(w, h)
	out.Gray = src.Gray
	var r resizer
	r.resize(out.Pix, w, h, src.Pix, src.W, src.H, 3, m)
	return out
}
