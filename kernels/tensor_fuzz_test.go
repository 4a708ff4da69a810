package kernels

import (
	"math"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// tsFuzzBytes hands out small integers from fuzzer input, 0 when exhausted.
type tsFuzzBytes []byte

func (b *tsFuzzBytes) next(n int) int {
	if len(*b) == 0 || n <= 0 {
		return 0
	}
	v := int((*b)[0]) % n
	*b = (*b)[1:]
	return v
}

// FuzzResize draws a shape, output sizes and every Resize attribute from the
// input and compares the plan with the literal reference.
func FuzzResize(f *testing.F) {
	f.Add([]byte{2, 3, 4, 5, 6, 1, 0, 0, 0, 0})
	f.Add([]byte{4, 1, 5, 3, 1, 2, 7, 1, 4, 1, 2, 1, 1, 1, 0, 0})
	f.Add([]byte{3, 6, 2, 5, 4, 9, 1, 2, 5, 3, 1, 0, 1, 1, 40, 200, 10, 30, 90, 250})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := tsFuzzBytes(data)
		rank := b.next(5)
		in := make([]int, rank)
		out := make([]int, rank)
		for a := range in {
			in[a] = 1 + b.next(7)
			out[a] = 1 + b.next(12)
		}
		p := ResizeParams{
			Mode:           ResizeMode(b.next(3)),
			Coord:          CoordTransform(b.next(6)),
			Nearest:        NearestMode(b.next(4)),
			ExcludeOutside: b.next(2) == 1,
			Antialias:      b.next(2) == 1,
			Extrapolation:  float32(b.next(5)),
		}
		if b.next(2) == 1 {
			p.CubicA = -0.5
		}
		sc := make([]float64, rank)
		p.Scales = make([]float32, rank)
		for a := range sc {
			sc[a] = float64(out[a]) / float64(in[a])
			p.Scales[a] = float32(sc[a])
		}
		if p.Coord == TFCropAndResize {
			p.Roi = make([]float32, 2*rank)
			for i := range p.Roi {
				p.Roi[i] = float32(b.next(256))/200 - 0.1
			}
		}
		x := make([]float32, tsNumel(in))
		for i := range x {
			x[i] = float32(math.Sin(float64(i)*1.7)) * 3
		}
		got := tsRunResize(t, x, in, out, p)
		want := ref.Resize(x, in, out, tsRefResizeParams(p, sc))
		tsClose(t, "Resize", got, want, 1e-4, 0)
	})
}

// FuzzPad draws shapes, signed pads and a mode and compares with the reference.
func FuzzPad(f *testing.F) {
	f.Add([]byte{3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{1, 5, 0, 9, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		b := tsFuzzBytes(data)
		mode := PadMode(b.next(4))
		rank := b.next(5)
		shape := make([]int, rank)
		begin := make([]int, rank)
		end := make([]int, rank)
		for a := range shape {
			shape[a] = 1 + b.next(5)
			begin[a] = b.next(9) - 4
			end[a] = b.next(9) - 4
			out := shape[a] + begin[a] + end[a]
			l := shape[a] - max(-begin[a], 0) - max(-end[a], 0)
			if out < 0 || (mode != PadConstant && l <= 0 && out > 0) {
				return // invalid for this mode: Pad panics by contract
			}
		}
		x := make([]int16, tsNumel(shape))
		for i := range x {
			x[i] = int16(i + 1)
		}
		want, _ := ref.Pad(x, shape, begin, end, int(mode), -1)
		y := make([]int16, len(want))
		Pad(x, shape, begin, end, mode, -1, y)
		tsEqual(t, "Pad", y, want)
	})
}
