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
		pix := in.Pix[:3*n]
		for i := range grey {
			p := pix[3*i : 3*i+3 : 3*i+3]
			grey[i] = uint8((uint32(p[0])*19595 + uint32(p[1])*38470 + uint32(p[2])*7471 + 0x8000) >> 16)
		}
	case guest.Gray8:
		copy(grey, in.Pix[:n])
	case guest.YUYV:
		pix := in.Pix[:2*n]
		for i := range grey {
			grey[i] = pix[2*i]
		}
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
	for i, v := range grey {
		out[i] = float32(v) / 255
	}
	return guest.F32Bytes(out), nil
}

// stretch maps the grey levels lo…hi of grey onto 0…255 in place (see the package comment).
func stretch(grey []byte, clip float64) {
	var hist [256]int
	for _, v := range grey {
		hist[v]++
	}
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
	for i, v := range grey {
		grey[i] = lut[v]
	}
}
