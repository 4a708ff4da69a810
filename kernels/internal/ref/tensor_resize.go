package ref

import (
	"math"
	"sort"
)

// ResizeParams mirrors the ONNX Resize attributes with their ONNX spellings.
// Scales and Roi are full rank; Roi (starts then ends) only for
// "tf_crop_and_resize".
type ResizeParams struct {
	Mode           string // "nearest", "linear", "cubic"
	Coord          string // "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"
	Nearest        string // "round_prefer_floor", "round_prefer_ceil", "floor", "ceil"
	CubicA         float64
	ExcludeOutside bool
	Extrapolation  float64
	Antialias      bool
	Scales         []float64
	Roi            []float64
}

// Resize follows the ONNX reference implementation (onnx/reference/ops/
// op_resize.py) literally: every output element is interpolated along axis 0
// from values that are themselves interpolated along the remaining axes, and
// each 1-D interpolation takes the n nearest positions of the input padded by
// ⌈n/2⌉ edge elements. It is not separable-by-passes like the kernel, so it
// checks the kernel's pass ordering and table building independently. Two
// deliberate departures from the Python code, both following the ONNX spec
// text: pytorch_half_pixel maps to 0 (not -0.5) and tf_crop_and_resize uses
// the centre formula when the integer output length is 1.
func Resize(x []float32, inShape, outShape []int, p ResizeParams) []float32 {
	r := len(inShape)
	if r == 0 {
		return append([]float32(nil), x...)
	}
	y := make([]float32, tensorSize(outShape))
	oi := make([]int, r)
	base := make([]int, r)
	for o := range y {
		tensorUnravel(o, outShape, oi)
		y[o] = float32(resizeND(x, inShape, outShape, &p, 0, base, oi))
	}
	return y
}

func resizeND(x []float32, in, out []int, p *ResizeParams, d int, base, oi []int) float64 {
	get := func(i int) float64 {
		base[d] = i
		if d == len(in)-1 {
			return float64(x[tensorRavel(base, in)])
		}
		return resizeND(x, in, out, p, d+1, base, oi)
	}
	var r0, r1 float64
	if p.Roi != nil {
		r0, r1 = p.Roi[d], p.Roi[len(in)+d]
	}
	return resize1D(get, in[d], out[d], oi[d], p.Scales[d], r0, r1, p)
}

func resize1D(get func(int) float64, in, outInt, xi int, scale, r0, r1 float64, p *ResizeParams) float64 {
	x := float64(xi)
	fin := float64(in)
	outW := float64(scale * fin) // float64(…): no fused multiply-add (see the kernel)
	var xo float64
	switch p.Coord {
	case "align_corners":
		if outW == 1 {
			xo = 0
		} else {
			xo = x * (fin - 1) / (outW - 1)
		}
	case "asymmetric":
		xo = x / scale
	case "tf_crop_and_resize":
		if outInt == 1 {
			xo = (r1 - r0) * (fin - 1) / 2
		} else {
			xo = x * (r1 - r0) * (fin - 1) / (outW - 1)
		}
		xo += float64(r0 * (fin - 1))
		if xo < 0 || xo > fin-1 {
			return p.Extrapolation
		}
	case "pytorch_half_pixel":
		if outInt == 1 {
			xo = 0
		} else {
			xo = (x+0.5)/scale - 0.5
		}
	case "half_pixel":
		xo = (x+0.5)/scale - 0.5
	case "half_pixel_symmetric":
		adjustment := float64(outInt) / outW
		center := fin / 2
		offset := float64(center * (1 - adjustment))
		xo = offset + (x+0.5)/scale - 0.5
	default:
		panic("ref: unknown coordinate transform " + p.Coord)
	}
	ratio := xo - math.Floor(xo)
	if xo == math.Floor(xo) {
		ratio = 1
	}
	coeffs := resizeCoeffs(ratio, scale, p)
	n := len(coeffs)
	// The n nearest positions to xo in the edge-padded input, ties to the left.
	pw := (n + 1) / 2
	cand := make([]int, 0, in+2*pw)
	for i := -pw; i < in+pw; i++ {
		cand = append(cand, i)
	}
	sort.SliceStable(cand, func(a, b int) bool {
		da, db := math.Abs(xo-float64(cand[a])), math.Abs(xo-float64(cand[b]))
		if da != db {
			return da < db
		}
		return cand[a] < cand[b]
	})
	idx := cand[:n]
	sort.Ints(idx)
	if p.ExcludeOutside && p.Mode != "nearest" { // the kernel ignores it for nearest
		var s float64
		for k, i := range idx {
			if i < 0 || i >= in {
				coeffs[k] = 0
			}
			s += coeffs[k]
		}
		for k := range coeffs {
			coeffs[k] /= s
		}
	}
	var v float64
	for k, i := range idx {
		if coeffs[k] != 0 {
			v += coeffs[k] * get(min(max(i, 0), in-1))
		}
	}
	return v
}

func resizeCoeffs(ratio, scale float64, p *ResizeParams) []float64 {
	a := p.CubicA
	switch p.Mode {
	case "nearest":
		if ratio == 1 {
			return []float64{0, 1}
		}
		var up bool
		switch p.Nearest {
		case "round_prefer_floor", "":
			up = ratio > 0.5
		case "round_prefer_ceil":
			up = ratio >= 0.5
		case "floor":
			up = false
		case "ceil":
			up = true
		}
		if up {
			return []float64{0, 1}
		}
		return []float64{1, 0}
	case "linear":
		if !p.Antialias {
			return []float64{1 - ratio, ratio}
		}
		s := math.Min(scale, 1)
		start := int(math.Floor(-1/s)) + 1
		footprint := 2 - 2*start
		c := make([]float64, footprint)
		var sum float64
		for k := range c {
			arg := (float64(start+k) - ratio) * s
			c[k] = math.Min(math.Max(1-math.Abs(arg), 0), 1)
			sum += c[k]
		}
		for k := range c {
			c[k] /= sum
		}
		return c
	case "cubic":
		if !p.Antialias {
			r := ratio
			return []float64{
				((a*(r+1)-5*a)*(r+1)+8*a)*(r+1) - 4*a,
				((a+2)*r-(a+3))*r*r + 1,
				((a+2)*(1-r)-(a+3))*(1-r)*(1-r) + 1,
				((a*((1-r)+1)-5*a)*((1-r)+1)+8*a)*((1-r)+1) - 4*a,
			}
		}
		s := math.Min(scale, 1)
		iStart := int(math.Floor(-2/s)) + 1
		iEnd := 2 - iStart
		var c []float64
		var sum float64
		for i := iStart; i < iEnd; i++ {
			t := math.Abs(s * (float64(i) - ratio))
			var v float64
			switch {
			case t <= 1:
				v = (a+2)*t*t*t - (a+3)*t*t + 1
			case t < 2:
				v = a*t*t*t - 5*a*t*t + 8*a*t - 4*a
			}
			c = append(c, v)
			sum += v
		}
		for k := range c {
			c[k] /= sum
		}
		return c
	}
	panic("ref: unknown resize mode " + p.Mode)
}
