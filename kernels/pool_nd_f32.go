package kernels

import (
	"fmt"
	"math"
)

// PoolNDGeom is the geometry of an N-d pooling, channels last:
// x [N][In…][C], y [N][Out…][C]. All per-dimension slices have the same
// length k (1 ≤ k ≤ 8); a nil PadEnd means no trailing padding.
type PoolNDGeom struct {
	N, C                                                int
	In, Out, Kernel, Stride, Dilation, PadBegin, PadEnd []int
}

func (g *PoolNDGeom) shape(name string, x, y []float32) ndShape {
	s := newNDShape(name, g.In, g.Out, g.Kernel, g.Stride, g.Dilation, g.PadBegin, g.PadEnd)
	if g.N <= 0 || g.C <= 0 || len(x) < g.N*s.inSize*g.C || len(y) < g.N*s.outSize*g.C {
		panic(fmt.Sprintf("kernels: %s N=%d C=%d: x len %d (want %d), y len %d (want %d)",
			name, g.N, g.C, len(x), g.N*s.inSize*g.C, len(y), g.N*s.outSize*g.C))
	}
	return s
}

// MaxPoolNDF32 is N-d max pooling; padding never wins, a window with no
// input element gives -Inf (and index -1). indices is nil or receives, per
// output element, the flat index of the chosen input element in the logical
// NCHW… layout (ONNX MaxPool "Indices", storage_order=0):
// ((n·C + c)·In[0] + i0)·In[1] + i1 …; ties go to the first element in
// window scan order.
func MaxPoolNDF32(g PoolNDGeom, x, y []float32, indices []int64) {
	s := g.shape("MaxPoolNDF32", x, y)
	C := g.C
	if indices != nil && len(indices) < g.N*s.outSize*C {
		panic(fmt.Sprintf("kernels: MaxPoolNDF32 indices len %d, want %d", len(indices), g.N*s.outSize*C))
	}
	for n := 0; n < g.N; n++ {
		for op := 0; op < s.outSize; op++ {
			o := (n*s.outSize + op) * C
			yp := y[o:][:C]
			var ix []int64
			if indices != nil {
				ix = indices[o:][:C]
			}
			first := true
			for kp := 0; kp < s.kerSize; kp++ {
				ip, ok := s.inputIndex(op, kp)
				if !ok {
					continue
				}
				xs := x[(n*s.inSize+ip)*C:][:C]
				base := int64(n*C*s.inSize + ip)
				stride := int64(s.inSize)
				if first {
					first = false
					copy(yp, xs)
					for c := range ix {
						ix[c] = base + int64(c)*stride
					}
					continue
				}
				if ix == nil {
					for c, v := range xs {
						if v > yp[c] {
							yp[c] = v
						}
					}
				} else {
					for c, v := range xs {
						if v > yp[c] {
							yp[c] = v
							ix[c] = base + int64(c)*stride
						}
					}
				}
			}
			if first {
				for c := range yp {
					yp[c] = float32(math.Inf(-1))
				}
				for c := range ix {
					ix[c] = -1
				}
			}
		}
	}
}

// AvgPoolNDF32 is N-d average pooling with ONNX semantics: the divisor counts
// the window positions inside the input (countIncludePad=false) or inside
// the padded extent [−PadBegin, In+PadEnd) (true); positions beyond that
// never count. A zero divisor gives 0.
func AvgPoolNDF32(g PoolNDGeom, x, y []float32, countIncludePad bool) {
	s := g.shape("AvgPoolNDF32", x, y)
	C := g.C
	for n := 0; n < g.N; n++ {
		for op := 0; op < s.outSize; op++ {
			yp := y[(n*s.outSize+op)*C:][:C]
			clear(yp)
			cnt := 1
			var opos [ndMaxDims]int
			r := op
			for d := s.k - 1; d >= 0; d-- {
				opos[d] = r % s.out[d]
				r /= s.out[d]
			}
			for d := 0; d < s.k; d++ {
				size, pad := s.in[d], s.padB[d]
				if countIncludePad {
					pe := 0
					if g.PadEnd != nil {
						pe = g.PadEnd[d]
					}
					size, pad = s.in[d]+s.padB[d]+pe, 0
				}
				a, b := poolTaps(opos[d], s.str[d], pad, s.ker[d], s.dil[d], size)
				cnt *= b - a
			}
			for kp := 0; kp < s.kerSize; kp++ {
				ip, ok := s.inputIndex(op, kp)
				if !ok {
					continue
				}
				xs := x[(n*s.inSize+ip)*C:][:C]
				for c, v := range xs {
					yp[c] += v
				}
			}
			if cnt > 0 {
				inv := 1 / float32(cnt)
				for c := range yp {
					yp[c] *= inv
				}
			}
		}
	}
}
