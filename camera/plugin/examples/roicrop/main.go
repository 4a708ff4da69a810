// Command roicrop is an example ocellus preprocessing plugin: it crops a region of interest.
// Build it as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o roicrop.wasm ./camera/plugin/examples/roicrop
//
// Parameters (comma- or space-separated key=value, in pixels):
//
//	x=X, y=Y   top-left corner of the region (default 0, 0)
//	w=W, h=H   its size (default: up to the right and bottom edges)
//
// The region is clipped to the frame; a region that misses the frame entirely is an error for
// that frame size. Input RGB8 or Gray8; the output has the input's format.
package main

import (
	"errors"
	"strconv"

	"github.com/ocellus/ocellus/camera/plugin/guest"
)

func init() { guest.Register(&roiCrop{}) }

func main() {}

type roiCrop struct {
	x, y, w, h int // w, h = 0: to the edge
	out        []byte
}

func (r *roiCrop) Configure(params string) error {
	kv, err := guest.ParseParams(params)
	if err != nil {
		return err
	}
	*r = roiCrop{out: r.out}
	for k, v := range kv {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New(k + "=" + strconv.Quote(v) + " (want a whole number of pixels >= 0)")
		}
		switch k {
		case "x":
			r.x = n
		case "y":
			r.y = n
		case "w":
			r.w = n
		case "h":
			r.h = n
		default:
			return errors.New("unknown parameter " + strconv.Quote(k) + " (want x, y, w, h)")
		}
	}
	return nil
}

// rect is the region clipped to a fw×fh frame.
func (r *roiCrop) rect(fw, fh int) (x0, y0, x1, y1 int, err error) {
	x0, y0 = r.x, r.y
	x1, y1 = fw, fh
	if r.w > 0 {
		x1 = min(x1, x0+r.w)
	}
	if r.h > 0 {
		y1 = min(y1, y0+r.h)
	}
	if x0 >= x1 || y0 >= y1 {
		itoa := strconv.Itoa
		return 0, 0, 0, 0, errors.New("roicrop: region x=" + itoa(r.x) + " y=" + itoa(r.y) + " w=" + itoa(r.w) + " h=" + itoa(r.h) +
			" lies outside the " + itoa(fw) + "x" + itoa(fh) + " frame")
	}
	return x0, y0, x1, y1, nil
}

func (r *roiCrop) OutputShape(w, h int, f guest.Format) (guest.Shape, error) {
	if f != guest.RGB8 && f != guest.Gray8 {
		return guest.Shape{}, errors.New("roicrop: input format " + f.String() + " not supported (want rgb8 or gray8)")
	}
	x0, y0, x1, y1, err := r.rect(w, h)
	if err != nil {
		return guest.Shape{}, err
	}
	return guest.FrameShape(f, x1-x0, y1-y0), nil
}

func (r *roiCrop) Process(in guest.Frame) ([]byte, error) {
	x0, y0, x1, y1, err := r.rect(in.W, in.H)
	if err != nil {
		return nil, err
	}
	bpp := 3
	if in.Format == guest.Gray8 {
		bpp = 1
	}
	row := (x1 - x0) * bpp
	n := row * (y1 - y0)
	if cap(r.out) < n {
		r.out = make([]byte, n)
	}
	out := r.out[:n]
	for y := y0; y < y1; y++ {
		o := (y*in.W + x0) * bpp
		copy(out[(y-y0)*row:], in.Pix[o:o+row])
	}
	return out, nil
}
