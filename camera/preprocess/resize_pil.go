package preprocess

import "math"

// Pillow 9.4 Image.resize(size, BILINEAR) for 8-bit images, transcribed from
// src/libImaging/Resample.c (precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResample{Horizontal,Vertical}_8bpc, ImagingResampleInner) with the default box
// (0, 0, in_w, in_h):
//
//	scale = in/out; filterscale = max(scale, 1); support = 1·filterscale
//	for each output xx: center = (xx+0.5)·scale
//	    xmin = max(0, (int)(center − support + 0.5)); xmax = min(in, (int)(center + support + 0.5)) − xmin
//	    w[x] = tri((x + xmin − center + 0.5) / filterscale), tri(t) = max(0, 1−|t|), normalised to sum 1
//	    k[x] = (int)(w[x]·2²² + 0.5)                       (PRECISION_BITS = 22)
//	out = clamp((2²¹ + Σ pix·k) >> 22, 0, 255)
//
// The horizontal pass runs first (only if the width changes) over the source rows the vertical pass
// needs, into an 8-bit intermediate; then the vertical pass (only if the height changes). An axis
// whose size does not change is copied. Computing a crop of the output only evaluates the output
// rows and columns inside it; each output sample depends only on its own coefficients, so the crop
// equals Pillow's full resize followed by Image.crop.

const pilPrecisionBits = 32 - 8 - 2

// pilCoeffs fills bounds (2 per output: xmin, count) and k (ksize per output, fixed point) for the
// outputs first … first+n−1 of an axis resized from in to out samples, and returns ksize.
func (r *resizer) pilCoeffs(bounds, k []int32, in, out, first, n int) ([]int32, []int32, int) {
	scale := float64(in) / float64(out)
	filterscale := max(scale, 1.0)
	support := 1.0 * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	bounds = grow(bounds, 2*n)
	k = grow(k, n*ksize)
	r.kbuf = grow(r.kbuf, ksize)
	ss := 1.0 / filterscale
	for i := range n {
		xx := first + i
		center := (float64(xx) + 0.5) * scale
		xmin := int(center - support + 0.5)
		xmin = max(xmin, 0)
		xmax := int(center + support + 0.5)
		xmax = min(xmax, in)
		xmax -= xmin
		ww := 0.0
		kb := r.kbuf
		for x := range xmax {
			t := float64((float64(x+xmin) - center + 0.5) * ss)
			if t < 0 {
				t = -t
			}
			w := 0.0
			if t < 1.0 {
				w = 1.0 - t
			}
			kb[x] = w
			ww += w
		}
		kr := k[i*ksize : (i+1)*ksize]
		for x := range xmax {
			v := kb[x]
			if ww != 0.0 {
				v /= ww
			}
			// Bilinear weights are never negative; Pillow's negative branch rounds with −0.5.
			if v < 0 {
				kr[x] = int32(-0.5 + v*(1<<pilPrecisionBits))
			} else {
				kr[x] = int32(0.5 + v*(1<<pilPrecisionBits))
			}
		}
		for x := xmax; x < ksize; x++ {
			kr[x] = 0
		}
		bounds[2*i], bounds[2*i+1] = int32(xmin), int32(xmax)
	}
	return bounds, k, ksize
}

func clip8(v int32) uint8 {
	v >>= pilPrecisionBits
	return uint8(min(max(v, 0), 255))
}

// pil writes into dst the cw×ch window at (cx, cy) of the Pillow bilinear resize of the sw×sh,
// c-channel image src to fw×fh.
func (r *resizer) pil(dst, src []uint8, sw, sh, c, fw, fh, cx, cy, cw, ch int) {
	needH, needV := fw != sw, fh != sh
	// Source rows the output window needs.
	yFirst, yLast := cy, cy+ch
	vk := 0
	if needV {
		r.vb, r.vk, vk = r.pilCoeffs(r.vb, r.vk, sh, fh, cy, ch)
		yFirst = int(r.vb[0])
		yLast = int(r.vb[2*(ch-1)] + r.vb[2*(ch-1)+1])
	}
	// The intermediate image: rows yFirst … yLast−1, columns of the output window.
	inter, stride, x0 := src, sw*c, cx*c
	if needH {
		var hk int
		r.hb, r.hk, hk = r.pilCoeffs(r.hb, r.hk, sw, fw, cx, cw)
		rows := yLast - yFirst
		r.tmp = grow(r.tmp, rows*cw*c)
		for y := range rows {
			in := src[(yFirst+y)*sw*c : (yFirst+y+1)*sw*c]
			out := r.tmp[y*cw*c : (y+1)*cw*c]
			pilHorizontal(out, in, r.hb, r.hk, hk, cw, c)
		}
		inter, stride, x0 = r.tmp, cw*c, 0
		// Rows of tmp are numbered from yFirst.
		inter = inter[:rows*stride]
	} else {
		inter = src[yFirst*stride:]
	}
	// inter row j is source row yFirst + j.
	if !needV {
		for y := range ch {
			row := inter[(cy+y-yFirst)*stride+x0:]
			copy(dst[y*cw*c:(y+1)*cw*c], row[:cw*c])
		}
		return
	}
	// Vertical pass, accumulated row by row into int32 sums (the same sums as Pillow's per-pixel
	// loop: integer addition is associative), which walks memory in order.
	const half = 1 << (pilPrecisionBits - 1)
	n := cw * c
	r.acc = grow(r.acc, n)
	acc := r.acc
	for y := range ch {
		ymin, cnt := int(r.vb[2*y])-yFirst, int(r.vb[2*y+1])
		k := r.vk[y*vk : y*vk+cnt]
		for i := range acc {
			acc[i] = half
		}
		for j, kv := range k {
			row := inter[(ymin+j)*stride+x0:]
			row = row[:n]
			for i, v := range row {
				acc[i] += int32(v) * kv
			}
		}
		out := dst[y*n : (y+1)*n]
		for i, v := range acc {
			out[i] = clip8(v)
		}
	}
}

// pilHorizontal resamples one row: out has cw·c samples, in is a full source row.
func pilHorizontal(out, in []uint8, bounds, kk []int32, ksize, cw, c int) {
	const half = 1 << (pilPrecisionBits - 1)
	for xx := range cw {
		xmin, cnt := int(bounds[2*xx]), int(bounds[2*xx+1])
		k := kk[xx*ksize : xx*ksize+cnt]
		if c == 3 {
			s0, s1, s2 := int32(half), int32(half), int32(half)
			p := in[xmin*3 : (xmin+cnt)*3]
			for x, kv := range k {
				s0 += int32(p[3*x]) * kv
				s1 += int32(p[3*x+1]) * kv
				s2 += int32(p[3*x+2]) * kv
			}
			out[3*xx], out[3*xx+1], out[3*xx+2] = clip8(s0), clip8(s1), clip8(s2)
			continue
		}
		s0 := int32(half)
		p := in[xmin : xmin+cnt]
		for x, kv := range k {
			s0 += int32(p[x]) * kv
		}
		out[xx] = clip8(s0)
	}
}
