package kernels

import "fmt"

// PadMode selects how Pad fills the border, as ONNX Pad's mode attribute.
type PadMode uint8

// Pad modes.
const (
	PadConstant PadMode = iota // fill with value
	PadReflect                 // mirror without repeating the edge: 3 2 | 1 2 3 4 | 3 2
	PadEdge                    // repeat the edge element: 1 1 | 1 2 3 4 | 4 4
	PadWrap                    // periodic, numpy "wrap": 3 4 | 1 2 3 4 | 1 2
)

// String returns the ONNX attribute spelling.
func (m PadMode) String() string {
	switch m {
	case PadConstant:
		return "constant"
	case PadReflect:
		return "reflect"
	case PadEdge:
		return "edge"
	case PadWrap:
		return "wrap"
	}
	return fmt.Sprintf("PadMode(%d)", uint8(m))
}

// Pad pads (or crops) x of shape shape into y, as ONNX Pad-19 does. begin[a]
// and end[a] are the counts added before and after axis a; a negative count
// removes that many elements (crops). The output shape is
// shape[a]+begin[a]+end[a], which must not be negative; len(y) must be its
// element count.
//
// As in the ONNX reference, negative pads crop first and the positive pads
// are then filled from the cropped tensor: with c the coordinate in the
// cropped axis of length L,
//   - PadConstant: value outside [0, L);
//   - PadEdge: x[clamp(c, 0, L-1)];
//   - PadReflect: mirror about the first and last elements (period 2(L-1));
//     an axis of length 1 repeats its element (ONNX rejects it, numpy allows);
//     pads wider than L-1 keep mirroring (ONNX rejects, numpy allows);
//   - PadWrap: x[c mod L].
//
// An axis cropped to nothing (L ≤ 0) can only be padded in constant mode;
// other modes panic when asked to pad such an axis.
func Pad[T any](x []T, shape []int, begin, end []int, mode PadMode, value T, y []T) {
	const what = "Pad"
	n := tensorNumel(what, shape)
	tensorCheckLen(what, "x", len(x), n)
	r := len(shape)
	if len(begin) != r || len(end) != r {
		panic(fmt.Sprintf("kernels: %s: len(begin) = %d, len(end) = %d, rank %d", what, len(begin), len(end), r))
	}
	if mode > PadWrap {
		panic(fmt.Sprintf("kernels: %s: unknown mode %d", what, uint8(mode)))
	}
	var ax [tensorMaxRank]tensorPadAxis
	outN := 1
	last := -1 // last axis with a non-zero pad
	for a := 0; a < r; a++ {
		p := tensorPadAxis{padB: max(begin[a], 0), crop: max(-begin[a], 0)}
		p.l = shape[a] - p.crop - max(-end[a], 0)
		p.out = shape[a] + begin[a] + end[a]
		if p.out < 0 {
			panic(fmt.Sprintf("kernels: %s: axis %d of length %d padded by (%d, %d) is negative",
				what, a, shape[a], begin[a], end[a]))
		}
		if mode != PadConstant && p.l <= 0 && p.out > 0 {
			panic(fmt.Sprintf("kernels: %s: %v mode cannot pad axis %d: length %d after cropping (%d, %d)",
				what, mode, a, max(p.l, 0), begin[a], end[a]))
		}
		if begin[a] != 0 || end[a] != 0 {
			last = a
		}
		ax[a] = p
		outN *= p.out
	}
	tensorCheckLen(what, "y", len(y), outN)
	if outN == 0 {
		return
	}
	if last < 0 {
		copy(y, x)
		return
	}
	// View the tensor as axes 0..last followed by one contiguous block of the
	// unpadded trailing axes.
	inner := 1
	for a := last + 1; a < r; a++ {
		inner *= shape[a]
	}
	var st [tensorMaxRank]int // input strides of axes 0..last
	acc := inner
	for a := last; a >= 0; a-- {
		st[a] = acc
		acc *= shape[a]
	}
	k := ax[last]
	rowOut := k.out * inner
	rows := outN / rowOut
	var idx [tensorMaxRank]int
	for row := 0; row < rows; row++ {
		yr := y[row*rowOut : (row+1)*rowOut]
		// Source offset of this row, or -1 if a padded outer coordinate is constant.
		src := 0
		for a := 0; a < last; a++ {
			c := ax[a].source(idx[a], mode)
			if c < 0 {
				src = -1
				break
			}
			src += c * st[a]
		}
		if src < 0 {
			for i := range yr {
				yr[i] = value
			}
		} else {
			xr := x[src : src+shape[last]*inner]
			// Middle: one contiguous copy of the cropped axis.
			mid0, mid1 := k.padB, k.padB+max(k.l, 0)
			if mid1 > mid0 {
				copy(yr[mid0*inner:mid1*inner], xr[k.crop*inner:(k.crop+k.l)*inner])
			}
			for j := 0; j < k.out; j++ {
				if j == mid0 && mid1 > mid0 {
					j = mid1 - 1
					continue
				}
				dst := yr[j*inner : (j+1)*inner]
				c := k.source(j, mode)
				if c < 0 {
					for i := range dst {
						dst[i] = value
					}
					continue
				}
				copy(dst, xr[c*inner:(c+1)*inner])
			}
		}
		for a := last - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < ax[a].out {
				break
			}
			idx[a] = 0
		}
	}
}

// tensorPadAxis describes one axis of Pad: padB elements are added in front, crop
// elements removed from the front, l is the length left after cropping, out
// the output length.
type tensorPadAxis struct {
	padB, crop, l, out int
}

// source maps output coordinate o to the input coordinate it copies, or -1
// for the constant value.
func (p tensorPadAxis) source(o int, mode PadMode) int {
	c := o - p.padB
	if c >= 0 && c < p.l {
		return c + p.crop
	}
	switch mode {
	case PadEdge:
		c = min(max(c, 0), p.l-1)
	case PadReflect:
		if p.l == 1 {
			c = 0
			break
		}
		period := 2 * (p.l - 1)
		c %= period
		if c < 0 {
			c += period
		}
		if c >= p.l {
			c = period - c
		}
	case PadWrap:
		c %= p.l
		if c < 0 {
			c += p.l
		}
	default:
		return -1
	}
	return c + p.crop
}
