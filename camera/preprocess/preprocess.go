package preprocess

import (
	"fmt"
	"math"
)

// Preprocessor runs one Spec over many images. It owns the scratch buffers (grey plane, resized
// pixels, resize coefficients) and the normalisation tables, so Run allocates nothing once it has
// seen a frame of a given size. A Preprocessor is not safe for concurrent use; make one per goroutine.
type Preprocessor struct {
	spec Spec
	lut  [3][256]float32
	gray []uint8
	buf  []uint8
	rs   resizer
}

// NewPreprocessor validates s and builds the normalisation tables.
func NewPreprocessor(s Spec) (*Preprocessor, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	p := &Preprocessor{spec: s}
	for c := range s.Channels {
		p.lut[c] = normTable(s.Scale, s.Offset, s.Mean[c], s.Std[c])
	}
	return p, nil
}

// Spec returns the spec p was built with.
func (p *Preprocessor) Spec() Spec { return p.spec }

// normTable returns (v·scale + offset − mean) / std for v = 0…255, each operation rounded to float32.
// When 1/scale is a whole or half-integer d with float32(1/d) == scale, v·scale is computed as v/d,
// which reproduces numpy's x/255 and x/127.5 bit for bit.
func normTable(scale, offset, mean, std float32) [256]float32 {
	d := float32(math.Round(2/float64(scale)) / 2)
	useDiv := d != 0 && float32(1/float64(d)) == scale
	var t [256]float32
	for v := range t {
		x := float32(v)
		if useDiv {
			x = x / d
		} else {
			x = float32(x * scale) // the conversion forbids fusing with the addition below
		}
		x = x + offset
		x = x - mean
		t[v] = x / std
	}
	return t
}

// Run preprocesses img into dst, which must have exactly Spec().Len() elements. It panics on a
// nil or inconsistent image or a wrongly sized dst (caller bugs).
//
// Steps: grey conversion if the spec has one channel; resize (skipped when the image already has the
// model's size and the method is not Crop256 — every other method is the identity then); table lookup
// per channel in the chosen order and layout.
func (p *Preprocessor) Run(img *RGB8, dst []float32) {
	img.check()
	s := &p.spec
	if len(dst) != s.Len() {
		panic(fmt.Sprintf("preprocess: dst has %d elements, spec %dx%dx%d needs %d", len(dst), s.Width, s.Height, s.Channels, s.Len()))
	}
	c := s.Channels
	src := img.Pix[:img.W*img.H*3]
	if c == 1 {
		p.gray = img.Luma(p.gray)
		src = p.gray
	}
	pix := src
	if img.W != s.Width || img.H != s.Height || s.Resize == Crop256 {
		p.buf = grow(p.buf, s.Len())
		p.rs.resize(p.buf, s.Width, s.Height, src, img.W, img.H, c, s.Resize)
		pix = p.buf
	}
	p.normalize(dst, pix)
}

// normalize maps the Width·Height·Channels interleaved bytes of pix to dst.
func (p *Preprocessor) normalize(dst []float32, pix []uint8) {
	n := p.spec.Width * p.spec.Height
	if p.spec.Channels == 1 {
		l := &p.lut[0]
		pix = pix[:n]
		for i, v := range pix {
			dst[i] = l[v]
		}
		return
	}
	pix = pix[:3*n]
	for ch := range 3 {
		sc := ch
		if p.spec.Order == BGR {
			sc = 2 - ch
		}
		l := &p.lut[ch]
		if p.spec.Layout == NCHW {
			plane := dst[ch*n : (ch+1)*n]
			for i := range plane {
				plane[i] = l[pix[3*i+sc]]
			}
			continue
		}
		for i := range n {
			dst[3*i+ch] = l[pix[3*i+sc]]
		}
	}
}

// Apply preprocesses img into dst (exactly s.Len() elements) with a throw-away Preprocessor. It panics
// if s is invalid; use NewPreprocessor to get the error instead, and to reuse buffers across frames.
func (s Spec) Apply(img *RGB8, dst []float32) {
	p, err := NewPreprocessor(s)
	if err != nil {
		panic(err.Error())
	}
	p.Run(img, dst)
}
