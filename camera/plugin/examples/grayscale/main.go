// Command grayscale is an example ocellus preprocessing plugin: grey conversion followed by a
// contrast stretch. Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o grayscale.wasm ./camera/plugin/examples/grayscale
//
// Input: RGB8 (grey = Pillow's convert("L"), L = (19595·R + 38470·G + 7471·B + 0x8000) >> 16, the
// formula camera/preprocess uses), Gray8 (as is) or YUYV (the Y samples).
//
// Contrast stretch: the grey levels lo…hi are mapped linearly onto 0…255,
// out = round((v − lo)·255 / (hi − lo)) (halves up), values outside clamped. lo is the smallest
// level with more than k pixels at or below it and hi the largest with more than k pixels at or
// above it, k = floor(W·H·clip/100); clip = 0 makes lo and hi the darkest and brightest levels. A
// frame with hi ≤ lo passes unchanged.
//
// Parameters (comma- or space-separated key=value):
//
//	stretch=on|off   contrast stretch (default on)
//	clip=P           percent of pixels allowed to saturate at each end, 0 ≤ P < 50 (default 0)
//	out=gray8|f32    a W×H grey frame (default), or the float32 tensor [1, 1, H, W] of out/255
package main

import (
	"errors"
	"strconv"

	"github.com/ocellus/ocellus/camera/plugin/guest"
)

func init() { guest.Register(&grayscale{stretch: true}) }

func main() {}

type grayscale struct {
	stretch bool
	clip    float64
	f32     bool

	grey []byte
	out  []float32
}

func (g *grayscale) Configure(params string) error {
	kv, err := guest.ParseParams(params)
	if err != nil {
		return err
	}
	*g = grayscale{stretch: true, grey: g.grey, out: g.out}
	for k, v := range kv {
		switch k {
		case "stretch":
			switch v {
			case "on":
				g.stretch = true
			case "off":
				g.stretch = false
			default:
				return errors.New("stretch=" + strconv.Quote(v) + " (want on or off)")
			}
		case "clip":
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || !(p >= 0 && p < 50) {
				return errors.New("clip=" + strconv.Quote(v) + " (want a percentage, 0 <= P < 50)")
			}
			g.clip = p
		case "out":
			switch v {
			case "gray8":
				g.f32 = false
			case "f32":
				g.f32 = true
			default:
				return errors.New("out=" + strconv.Quote(v) + " (want gray8 or f32)")
			}
		default:
			return errors.New("unknown parameter " + strconv.Quote(k) + " (want stretch, clip, out)")
		}
	}
	return nil
}

func (g *grayscale) OutputShape(w, h int, f guest.Format) (guest.Shape, error) {
	switch f {
	case guest.RGB8, guest.Gray8, guest.YUYV:
	default:
		return guest.Shape{}, errors.New("grayscale: input format " + f.String() + " not supported (want rgb8, gray8 or yuyv)")
	}
	if g.f32 {
		return guest.TensorShape(1, 1, h, w), nil
	}
	return guest.FrameShape(guest.Gray8, w, h), nil
}

func (g *grayscale) Process(in guest.Frame) ([]byte, error) {
	n := in.W * in.H
	if cap(g.grey) < n {
		g.grey = make([]byte, n)
	}
	grey := g.grey[:n]
	switch in.Format {
	case guest.RGB8:
		lumaRGB(grey, in.Pix[:3*n])
	case guest.Gray8:
		copy(grey, in.Pix[:n])
	case guest.YUYV:
		lumaYUYV(grey, in.Pix[:2*n])
	}
	if g.stretch {
		stretch(grey, g.clip)
	}
	if !g.f32 {
		return grey, nil
	}
	if cap(g.out) < n {
		g.out = make([]float32, n)
	}
	out := g.out[:n]
	toUnit(out, grey)
	return guest.F32Bytes(out), nil
}

// The host checks its deadline at every loop iteration of a plugin: wazero's
// WithCloseOnContextDone leaves the compiled code at each loop back-edge (tens of ns), which
// costs more than the work on one pixel. So the loops below handle 16 or 32 pixels per
// iteration, with the per-pixel code written out or in small functions the Go compiler inlines
// (wazero's interpreter allocates on every call). Per 640×480 frame this takes the plugin from
// ~32 ms to ~5 ms of CPU on the test machine.

const block = 32 // pixels per loop iteration

func luma(r, g, b byte) byte {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// lumaRGB converts len(grey) RGB pixels to grey, 16 per iteration.
func lumaRGB(grey, pix []byte) {
	i, n := 0, len(grey)
	for ; i+16 <= n; i += 16 {
		g, p := grey[i:i+16:i+16], pix[3*i:3*i+48:3*i+48]
		g[0] = luma(p[0], p[1], p[2])
		g[1] = luma(p[3], p[4], p[5])
		g[2] = luma(p[6], p[7], p[8])
		g[3] = luma(p[9], p[10], p[11])
		g[4] = luma(p[12], p[13], p[14])
		g[5] = luma(p[15], p[16], p[17])
		g[6] = luma(p[18], p[19], p[20])
		g[7] = luma(p[21], p[22], p[23])
		g[8] = luma(p[24], p[25], p[26])
		g[9] = luma(p[27], p[28], p[29])
		g[10] = luma(p[30], p[31], p[32])
		g[11] = luma(p[33], p[34], p[35])
		g[12] = luma(p[36], p[37], p[38])
		g[13] = luma(p[39], p[40], p[41])
		g[14] = luma(p[42], p[43], p[44])
		g[15] = luma(p[45], p[46], p[47])
	}
	for ; i < n; i++ {
		grey[i] = luma(pix[3*i], pix[3*i+1], pix[3*i+2])
	}
}

func y8(g, p []byte) {
	g, p = g[:8:8], p[:16:16]
	g[0], g[1], g[2], g[3] = p[0], p[2], p[4], p[6]
	g[4], g[5], g[6], g[7] = p[8], p[10], p[12], p[14]
}

// lumaYUYV copies the Y samples of len(grey) YUYV pixels.
func lumaYUYV(grey, pix []byte) {
	i, n := 0, len(grey)
	for ; i+block <= n; i += block {
		g, p := grey[i:i+block], pix[2*i:2*(i+block)]
		y8(g[0:], p[0:])
		y8(g[8:], p[16:])
		y8(g[16:], p[32:])
		y8(g[24:], p[48:])
	}
	for ; i < n; i++ {
		grey[i] = pix[2*i]
	}
}

func lut8(g []byte, lut *[256]byte) {
	g = g[:8:8]
	g[0], g[1], g[2], g[3] = lut[g[0]], lut[g[1]], lut[g[2]], lut[g[3]]
	g[4], g[5], g[6], g[7] = lut[g[4]], lut[g[5]], lut[g[6]], lut[g[7]]
}

// applyLUT replaces every level v of grey by lut[v].
func applyLUT(grey []byte, lut *[256]byte) {
	i, n := 0, len(grey)
	for ; i+block <= n; i += block {
		g := grey[i : i+block]
		lut8(g[0:], lut)
		lut8(g[8:], lut)
		lut8(g[16:], lut)
		lut8(g[24:], lut)
	}
	for ; i < n; i++ {
		grey[i] = lut[grey[i]]
	}
}

func count8(hist *[256]int, g []byte) {
	g = g[:8:8]
	hist[g[0]]++
	hist[g[1]]++
	hist[g[2]]++
	hist[g[3]]++
	hist[g[4]]++
	hist[g[5]]++
	hist[g[6]]++
	hist[g[7]]++
}

// histogram counts the levels of grey.
func histogram(hist *[256]int, grey []byte) {
	i, n := 0, len(grey)
	for ; i+block <= n; i += block {
		g := grey[i : i+block]
		count8(hist, g[0:])
		count8(hist, g[8:])
		count8(hist, g[16:])
		count8(hist, g[24:])
	}
	for ; i < n; i++ {
		hist[grey[i]]++
	}
}

func unit4(o []float32, g []byte) {
	o, g = o[:4:4], g[:4:4]
	o[0], o[1], o[2], o[3] = float32(g[0])/255, float32(g[1])/255, float32(g[2])/255, float32(g[3])/255
}

// toUnit writes grey/255 as float32 (the division camera/preprocess's "unit" normalisation does).
func toUnit(out []float32, grey []byte) {
	i, n := 0, len(grey)
	for ; i+16 <= n; i += 16 {
		o, g := out[i:i+16], grey[i:i+16]
		unit4(o[0:], g[0:])
		unit4(o[4:], g[4:])
		unit4(o[8:], g[8:])
		unit4(o[12:], g[12:])
	}
	for ; i < n; i++ {
		out[i] = float32(grey[i]) / 255
	}
}

// stretch maps the grey levels lo…hi of grey onto 0…255 in place (see the package comment).
func stretch(grey []byte, clip float64) {
	var hist [256]int
	histogram(&hist, grey)
	k := int(float64(len(grey)) * clip / 100)
	lo, hi := 0, 255
	for c := 0; lo < 255; lo++ {
		if c += hist[lo]; c > k {
			break
		}
	}
	for c := 0; hi > 0; hi-- {
		if c += hist[hi]; c > k {
			break
		}
	}
	if hi <= lo {
		return
	}
	var lut [256]byte
	d := hi - lo
	for v := range lut {
		switch {
		case v <= lo:
			lut[v] = 0
		case v >= hi:
			lut[v] = 255
		default:
			lut[v] = uint8(((v-lo)*510 + d) / (2 * d))
		}
	}
	applyLUT(grey, &lut)
}
