package kernels

import (
	"fmt"
	"math"
	"slices"
)

// ResizeMode is ONNX Resize's mode attribute.
type ResizeMode uint8

// Resize interpolation modes.
const (
	ResizeNearest ResizeMode = iota
	ResizeLinear
	ResizeCubic
)

// CoordTransform is ONNX Resize's coordinate_transformation_mode: how an
// output coordinate maps to an input coordinate on each axis.
type CoordTransform uint8

// Coordinate transformations; the formulas are in the ResizeParams comment.
const (
	HalfPixel CoordTransform = iota
	HalfPixelSymmetric
	PytorchHalfPixel
	AlignCorners
	Asymmetric
	TFCropAndResize
)

// NearestMode is ONNX Resize's nearest_mode: how ResizeNearest rounds the
// input coordinate.
type NearestMode uint8

// Nearest rounding modes.
const (
	RoundPreferFloor NearestMode = iota
	RoundPreferCeil
	Floor
	Ceil
)

// ResizeParams are the attributes of an ONNX Resize-19 node, resolved by the
// caller to full rank (the axes attribute and keep_aspect_ratio_policy are
// applied before planning: an axis that is not resized has scale 1 and equal
// input and output lengths).
//
// With scale s = Scales[a], input length L, output length O, and
// O_f = s·L (the possibly fractional output length), an output coordinate x
// maps to the input coordinate
//
//	HalfPixel:          (x+0.5)/s - 0.5
//	HalfPixelSymmetric: L/2·(1 - O/O_f) + (x+0.5)/s - 0.5
//	PytorchHalfPixel:   O > 1 ? (x+0.5)/s - 0.5 : 0
//	AlignCorners:       O > 1 ? x·(L-1)/(O_f-1) : 0
//	Asymmetric:         x/s
//	TFCropAndResize:    O > 1 ? r0·(L-1) + x·(r1-r0)·(L-1)/(O_f-1) : (r0+r1)/2·(L-1)
//
// where r0 = Roi[a] and r1 = Roi[rank+a]. AlignCorners and TFCropAndResize use
// O_f, as the ONNX reference implementation (and its conformance data) does;
// the two agree when sizes were given. For TFCropAndResize an input coordinate
// outside [0, L-1] on any axis yields Extrapolation for that output element.
//
// Sampling follows the ONNX reference: neighbours outside the input take the
// edge value; ResizeLinear uses the triangle filter and ResizeCubic the Keys
// cubic with coefficient CubicA; with Antialias and s < 1 both filters are
// stretched by 1/s (a footprint of 2/s or 4/s taps) and renormalised;
// ExcludeOutside zeroes the weights of neighbours outside the input and
// renormalises (linear and cubic; it is ignored for nearest, where the
// reference would divide by zero). Antialias is ignored for nearest.
type ResizeParams struct {
	Mode    ResizeMode
	Coord   CoordTransform
	Nearest NearestMode
	// CubicA is the cubic coefficient; 0 means the ONNX default -0.75.
	CubicA         float32
	ExcludeOutside bool
	Extrapolation  float32
	Antialias      bool
	// Scales has one entry per axis: the scale used in the coordinate
	// transform (the "scales" input, or output/input when "sizes" was given).
	// When Scales[a] is exactly the float32 rounding of outShape[a]/inShape[a],
	// the exact ratio is used, so a plan built from sizes reproduces the
	// reference's float64 arithmetic (nearest rounding at ties included).
	Scales []float32
	// Roi holds the region of interest, starts then ends (len 2·rank), for
	// TFCropAndResize only; it is ignored otherwise.
	Roi []float32
}

// ResizePlan is a Resize precomputed for fixed input and output shapes:
// per-axis source indices and weights, and the order in which the resized
// axes are processed. It is immutable after PlanResize and safe for
// concurrent RunF32 calls that use different scratch buffers.
type ResizePlan struct {
	inShape, outShape []int
	inN, outN         int
	passes            []resizePass
	scratchA          int // length of the first ping-pong buffer
	scratchB          int // length of the second
	extrapolation     float32
	nhwc              *resizeNHWC // 2-D bilinear over axes 1,2 of a rank-4 tensor
}

// resizeAxis holds, for one axis, taps source indices (already clamped into
// the input) and weights per output coordinate.
type resizeAxis struct {
	in, out, taps int
	idx           []int32
	w             []float32
	extrap        []bool // nil unless some output coordinate extrapolates
}

// resizePass applies one axis table to a buffer viewed as [outer, in, inner].
type resizePass struct {
	ax           resizeAxis
	outer, inner int
}

type resizeNHWC struct {
	n, h, w, c, oh, ow int
	ay, ax             resizeAxis
}

// PlanResize validates the shapes and parameters and precomputes the plan.
// It allocates and is meant to run once at model load; it panics on caller
// bugs (mismatched ranks, non-positive scales, missing Roi).
func PlanResize(inShape, outShape []int, p ResizeParams) *ResizePlan {
	const what = "PlanResize"
	r := len(inShape)
	inN := tensorNumel(what, inShape)
	outN := tensorNumel(what, outShape)
	if len(outShape) != r {
		panic(fmt.Sprintf("kernels: %s: input rank %d, output rank %d", what, r, len(outShape)))
	}
	if len(p.Scales) != r {
		panic(fmt.Sprintf("kernels: %s: len(Scales) = %d, rank %d", what, len(p.Scales), r))
	}
	if p.Mode > ResizeCubic || p.Coord > TFCropAndResize || p.Nearest > Ceil {
		panic(fmt.Sprintf("kernels: %s: bad mode %d, coordinate transform %d or nearest mode %d",
			what, p.Mode, p.Coord, p.Nearest))
	}
	if p.Coord == TFCropAndResize && len(p.Roi) != 2*r {
		panic(fmt.Sprintf("kernels: %s: TFCropAndResize needs len(Roi) = %d, got %d", what, 2*r, len(p.Roi)))
	}
	for a := 0; a < r; a++ {
		s := p.Scales[a]
		if !(s > 0) || math.IsInf(float64(s), 0) {
			panic(fmt.Sprintf("kernels: %s: scale %g on axis %d is not positive and finite", what, s, a))
		}
		if inShape[a] == 0 && outShape[a] > 0 && outN > 0 {
			panic(fmt.Sprintf("kernels: %s: axis %d is empty in the input but not in the output", what, a))
		}
	}
	rp := &ResizePlan{
		inShape:       slices.Clone(inShape),
		outShape:      slices.Clone(outShape),
		inN:           inN,
		outN:          outN,
		extrapolation: p.Extrapolation,
	}
	if outN == 0 {
		return rp
	}
	axes := make([]resizeAxis, r)
	var resized []int
	for a := 0; a < r; a++ {
		scale := float64(p.Scales[a])
		if exact := float64(outShape[a]) / float64(inShape[a]); float32(exact) == p.Scales[a] {
			scale = exact
		}
		var r0, r1 float64
		if p.Coord == TFCropAndResize {
			r0, r1 = float64(p.Roi[a]), float64(p.Roi[r+a])
		}
		axes[a] = planResizeAxis(inShape[a], outShape[a], scale, r0, r1, &p)
		if !axes[a].isIdentity() {
			resized = append(resized, a)
		}
	}

	// NHWC bilinear fast path: rank 4, axes 0 and 3 untouched, 2 taps on 1 and 2.
	if r == 4 && p.Mode == ResizeLinear && len(resized) > 0 && !slices.Contains(resized, 0) &&
		!slices.Contains(resized, 3) && axes[1].taps == 2 && axes[2].taps == 2 {
		rp.nhwc = &resizeNHWC{
			n: inShape[0], h: inShape[1], w: inShape[2], c: inShape[3],
			oh: outShape[1], ow: outShape[2],
			ay: axes[1], ax: axes[2],
		}
		rp.scratchA = 2 * outShape[2] * outShape[3]
		return rp
	}

	// Shrink first: process the axes in increasing order of out/in so the
	// intermediate buffers stay small.
	slices.SortStableFunc(resized, func(a, b int) int {
		ra := float64(outShape[a]) / float64(inShape[a])
		rb := float64(outShape[b]) / float64(inShape[b])
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	})
	cur := slices.Clone(inShape)
	for i, a := range resized {
		outer, inner := 1, 1
		for k := 0; k < a; k++ {
			outer *= cur[k]
		}
		for k := a + 1; k < r; k++ {
			inner *= cur[k]
		}
		rp.passes = append(rp.passes, resizePass{ax: axes[a], outer: outer, inner: inner})
		cur[a] = outShape[a]
		if i < len(resized)-1 { // intermediate result lives in scratch
			n := outer * outShape[a] * inner
			if i%2 == 0 {
				rp.scratchA = max(rp.scratchA, n)
			} else {
				rp.scratchB = max(rp.scratchB, n)
			}
		}
	}
	return rp
}

// ScratchLen is the minimum length of the scratch slice RunF32 needs (possibly 0).
func (rp *ResizePlan) ScratchLen() int { return rp.scratchA + rp.scratchB }

// RunF32 resizes x (the plan's input shape) into y (its output shape). scratch
// must hold at least ScratchLen elements; x, y and scratch must not overlap.
// It does not allocate.
func (rp *ResizePlan) RunF32(x, y, scratch []float32) {
	const what = "ResizePlan.RunF32"
	tensorCheckLen(what, "x", len(x), rp.inN)
	tensorCheckLen(what, "y", len(y), rp.outN)
	if len(scratch) < rp.ScratchLen() {
		panic(fmt.Sprintf("kernels: %s: len(scratch) = %d, want at least %d", what, len(scratch), rp.ScratchLen()))
	}
	if rp.outN == 0 {
		return
	}
	if rp.nhwc != nil {
		rp.nhwc.run(x, y, scratch[:rp.scratchA], rp.extrapolation)
		return
	}
	if len(rp.passes) == 0 {
		copy(y, x)
		return
	}
	bufA := scratch[:rp.scratchA]
	bufB := scratch[rp.scratchA : rp.scratchA+rp.scratchB]
	src := x
	for i := range rp.passes {
		ps := &rp.passes[i]
		n := ps.outer * ps.ax.out * ps.inner
		var dst []float32
		switch {
		case i == len(rp.passes)-1:
			dst = y
		case i%2 == 0:
			dst = bufA[:n]
		default:
			dst = bufB[:n]
		}
		ps.run(src, dst, rp.extrapolation)
		src = dst
	}
}

// planResizeAxis builds the table of one axis.
func planResizeAxis(in, out int, scale, r0, r1 float64, p *ResizeParams) resizeAxis {
	ax := resizeAxis{in: in, out: out}
	if out == 0 || in == 0 {
		return ax
	}
	cubicA := float64(p.CubicA)
	if cubicA == 0 {
		cubicA = -0.75
	}
	// Filter scale: antialiasing stretches the kernel when downsampling.
	fs := 1.0
	if p.Antialias && p.Mode != ResizeNearest && scale < 1 {
		fs = scale
	}
	start := 0 // offset of the first tap relative to base = ceil(x)-1
	switch p.Mode {
	case ResizeNearest:
		ax.taps = 1
	case ResizeLinear:
		start = int(math.Floor(-1/fs)) + 1
		ax.taps = 2 - 2*start
	case ResizeCubic:
		start = int(math.Floor(-2/fs)) + 1
		ax.taps = 2 - 2*start
	}
	ax.idx = make([]int32, out*ax.taps)
	ax.w = make([]float32, out*ax.taps)
	wt := make([]float64, max(ax.taps, 2))
	// Explicit float64 conversions round products before the following
	// addition: without them arm64 fuses multiply-adds (the Go spec allows it)
	// and a coordinate a rounding away from an integer lands in another tap
	// window than on amd64 and in the reference.
	outF := float64(scale * float64(in))
	fin := float64(in)
	for o := 0; o < out; o++ {
		xo := float64(o)
		var x float64
		switch p.Coord {
		case HalfPixel:
			x = (xo+0.5)/scale - 0.5
		case HalfPixelSymmetric:
			adj := float64(out) / outF
			x = float64(fin/2*(1-adj)) + (xo+0.5)/scale - 0.5
		case PytorchHalfPixel:
			if out > 1 {
				x = (xo+0.5)/scale - 0.5
			}
		case AlignCorners:
			if out > 1 {
				x = xo * (fin - 1) / (outF - 1)
			}
		case Asymmetric:
			x = xo / scale
		case TFCropAndResize:
			if out > 1 {
				x = float64(r0*(fin-1)) + xo*(r1-r0)*(fin-1)/(outF-1)
			} else {
				x = float64(0.5 * (r0 + r1) * (fin - 1))
			}
			if x < 0 || x > fin-1 || x != x {
				if ax.extrap == nil {
					ax.extrap = make([]bool, out)
				}
				ax.extrap[o] = true
				continue // weights stay 0
			}
		}
		// Keep far-out coordinates (degenerate scales) from overflowing int.
		x = min(max(x, -fin-8), 2*fin+8)
		// The reference takes the neighbours of x preferring the left one, so
		// the fractional part lies in (0, 1]: base = ceil(x) - 1.
		base := int(math.Ceil(x)) - 1
		ratio := x - float64(base)
		n := ax.taps
		if p.Mode == ResizeNearest {
			n = 2 // a window of two, one of which is picked
		}
		// The reference pads the input by n/2 edge elements and takes the n
		// nearest positions of the padded axis; for far-out coordinates that
		// window slides to the padded end while the weights stay put.
		ws := base + start
		if p.Mode == ResizeNearest {
			ws = base
		}
		half := n / 2
		ws = min(max(ws, -half), in-half)
		if p.Mode == ResizeNearest {
			k := 0
			switch {
			case ratio == 1, p.Nearest == Ceil:
				k = 1
			case p.Nearest == RoundPreferFloor:
				if ratio > 0.5 {
					k = 1
				}
			case p.Nearest == RoundPreferCeil:
				if ratio >= 0.5 {
					k = 1
				}
			}
			ax.idx[o] = int32(min(max(ws+k, 0), in-1))
			ax.w[o] = 1
			continue
		}
		var sum float64
		for k := 0; k < n; k++ {
			d := fs * (float64(start+k) - ratio)
			var v float64
			if p.Mode == ResizeLinear {
				v = max(0, 1-math.Abs(d))
			} else {
				v = resizeCubicKernel(d, cubicA)
			}
			wt[k] = v
			sum += v
		}
		if p.Antialias && sum != 0 {
			for k := range n {
				wt[k] /= sum
			}
		}
		if p.ExcludeOutside {
			sum = 0
			for k := 0; k < n; k++ {
				if i := ws + k; i < 0 || i >= in {
					wt[k] = 0
				}
				sum += wt[k]
			}
			if sum != 0 {
				for k := range n {
					wt[k] /= sum
				}
			}
		}
		for k := 0; k < n; k++ {
			ax.idx[o*n+k] = int32(min(max(ws+k, 0), in-1))
			ax.w[o*n+k] = float32(wt[k])
		}
	}
	return ax
}

// resizeCubicKernel is the Keys cubic convolution kernel with coefficient a.
func resizeCubicKernel(d, a float64) float64 {
	d = math.Abs(d)
	switch {
	case d <= 1:
		return ((a+2)*d-(a+3))*d*d + 1
	case d < 2:
		return ((a*d-5*a)*d+8*a)*d - 4*a
	}
	return 0
}

// isIdentity reports whether the axis table copies its input unchanged.
func (ax *resizeAxis) isIdentity() bool {
	if ax.in != ax.out || ax.extrap != nil {
		return false
	}
	for o := 0; o < ax.out; o++ {
		var self float32
		for k := 0; k < ax.taps; k++ {
			w := ax.w[o*ax.taps+k]
			if int(ax.idx[o*ax.taps+k]) == o {
				self += w
			} else if w != 0 {
				return false
			}
		}
		if self != 1 {
			return false
		}
	}
	return true
}

// run resizes one axis of src, viewed as [outer, in, inner], into dst.
func (ps *resizePass) run(src, dst []float32, extrap float32) {
	ax := &ps.ax
	in, out, taps, inner := ax.in, ax.out, ax.taps, ps.inner
	for ob := 0; ob < ps.outer; ob++ {
		s := src[ob*in*inner : (ob+1)*in*inner]
		d := dst[ob*out*inner : (ob+1)*out*inner]
		if inner == 1 {
			resizeRow(ax, s, d, extrap)
			continue
		}
		for o := 0; o < out; o++ {
			dr := d[o*inner : (o+1)*inner]
			if ax.extrap != nil && ax.extrap[o] {
				for i := range dr {
					dr[i] = extrap
				}
				continue
			}
			idx := ax.idx[o*taps : (o+1)*taps]
			w := ax.w[o*taps : (o+1)*taps]
			if taps == 1 {
				copy(dr, s[int(idx[0])*inner:])
				continue
			}
			if taps == 2 {
				s0 := s[int(idx[0])*inner : int(idx[0])*inner+inner]
				s1 := s[int(idx[1])*inner : int(idx[1])*inner+inner]
				w0, w1 := w[0], w[1]
				for i := range dr {
					dr[i] = w0*s0[i] + w1*s1[i]
				}
				continue
			}
			s0 := s[int(idx[0])*inner : int(idx[0])*inner+inner]
			w0 := w[0]
			for i := range dr {
				dr[i] = w0 * s0[i]
			}
			for k := 1; k < taps; k++ {
				if w[k] == 0 {
					continue
				}
				sk := s[int(idx[k])*inner : int(idx[k])*inner+inner]
				wk := w[k]
				for i := range dr {
					dr[i] += wk * sk[i]
				}
			}
		}
	}
}

// resizeRow resizes one contiguous row s (length in) into d (length out).
func resizeRow(ax *resizeAxis, s, d []float32, extrap float32) {
	taps := ax.taps
	switch taps {
	case 1:
		for o := range d {
			d[o] = s[ax.idx[o]]
		}
	case 2:
		w := ax.w[:2*len(d)]
		idx := ax.idx[:2*len(d)]
		for o := range d {
			d[o] = w[2*o]*s[idx[2*o]] + w[2*o+1]*s[idx[2*o+1]]
		}
	default:
		for o := range d {
			idx := ax.idx[o*taps : (o+1)*taps]
			w := ax.w[o*taps : (o+1)*taps]
			var acc float32
			for k, i := range idx {
				acc += w[k] * s[i]
			}
			d[o] = acc
		}
	}
	if ax.extrap != nil {
		for o, e := range ax.extrap {
			if e {
				d[o] = extrap
			}
		}
	}
}

// run is the NHWC bilinear fast path: each output row blends two source rows,
// each first interpolated horizontally into a cached scratch row.
func (p *resizeNHWC) run(x, y, scratch []float32, extrap float32) {
	c := p.c
	rowIn := p.w * c
	rowOut := p.ow * c
	rows := [2][]float32{scratch[:rowOut], scratch[rowOut : 2*rowOut]}
	for b := 0; b < p.n; b++ {
		img := x[b*p.h*rowIn : (b+1)*p.h*rowIn]
		out := y[b*p.oh*rowOut : (b+1)*p.oh*rowOut]
		ids := [2]int{-1, -1} // source row held by each scratch row
		for oy := 0; oy < p.oh; oy++ {
			dr := out[oy*rowOut : (oy+1)*rowOut]
			if p.ay.extrap != nil && p.ay.extrap[oy] {
				for i := range dr {
					dr[i] = extrap
				}
				continue
			}
			y0, y1 := int(p.ay.idx[2*oy]), int(p.ay.idx[2*oy+1])
			w0, w1 := p.ay.w[2*oy], p.ay.w[2*oy+1]
			s0 := slices.Index(ids[:], y0)
			if s0 < 0 {
				s0 = 0
				if ids[0] == y1 { // keep the row y1 needs
					s0 = 1
				}
				p.hrow(img[y0*rowIn:(y0+1)*rowIn], rows[s0], extrap)
				ids[s0] = y0
			}
			s1 := slices.Index(ids[:], y1)
			if s1 < 0 {
				s1 = 1 - s0
				p.hrow(img[y1*rowIn:(y1+1)*rowIn], rows[s1], extrap)
				ids[s1] = y1
			}
			r0, r1 := rows[s0][:rowOut], rows[s1][:rowOut]
			for i := range dr {
				dr[i] = w0*r0[i] + w1*r1[i]
			}
		}
	}
}

// hrow interpolates one NHWC source row horizontally.
func (p *resizeNHWC) hrow(src, dst []float32, extrap float32) {
	c := p.c
	ax := &p.ax
	w := ax.w[:2*p.ow]
	idx := ax.idx[:2*p.ow]
	switch c {
	case 1:
		dst = dst[:p.ow]
		for o := range dst {
			dst[o] = w[2*o]*src[idx[2*o]] + w[2*o+1]*src[idx[2*o+1]]
		}
	case 3:
		dst = dst[:3*p.ow]
		for o := 0; o < p.ow; o++ {
			i0, i1 := 3*int(idx[2*o]), 3*int(idx[2*o+1])
			a0, a1 := src[i0:i0+3:i0+3], src[i1:i1+3:i1+3]
			w0, w1 := w[2*o], w[2*o+1]
			d := dst[3*o : 3*o+3 : 3*o+3]
			d[0] = w0*a0[0] + w1*a1[0]
			d[1] = w0*a0[1] + w1*a1[1]
			d[2] = w0*a0[2] + w1*a1[2]
		}
	default:
		for o := 0; o < p.ow; o++ {
			d := dst[o*c : (o+1)*c]
			i0, i1 := int(idx[2*o])*c, int(idx[2*o+1])*c
			a0, a1 := src[i0:i0+c], src[i1:i1+c]
			w0, w1 := w[2*o], w[2*o+1]
			for i := range d {
				d[i] = w0*a0[i] + w1*a1[i]
			}
		}
	}
	if ax.extrap != nil {
		for o, e := range ax.extrap {
			if e {
				d := dst[o*c : (o+1)*c]
				for i := range d {
					d[i] = extrap
				}
			}
		}
	}
}
