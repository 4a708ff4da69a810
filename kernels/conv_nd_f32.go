package kernels

import "fmt"

// ConvNDGeom is the geometry of an N-d convolution, channels last:
// x [N][In[0]]…[In[k-1]][C], y [N][Out…][OC], w [OC][Kernel…][C/Groups].
// All the per-dimension slices have the same length k (1 ≤ k ≤ 8).
type ConvNDGeom struct {
	N, C, OC, Groups                            int
	In, Out, Kernel, Stride, Dilation, PadBegin []int
}

// ndMaxDims bounds the spatial rank so coordinates live in stack arrays.
const ndMaxDims = 8

type ndShape struct {
	k                            int
	in, out, ker, str, dil, padB [ndMaxDims]int
	inSize, outSize, kerSize     int
}

func newNDShape(name string, in, out, kernel, stride, dilation, padBegin, padEnd []int) ndShape {
	k := len(in)
	if k < 1 || k > ndMaxDims || len(out) != k || len(kernel) != k || len(stride) != k ||
		len(dilation) != k || len(padBegin) != k || (padEnd != nil && len(padEnd) != k) {
		panic(fmt.Sprintf("kernels: %s needs 1..%d spatial dims of equal length: in %v out %v kernel %v stride %v dilation %v pads %v %v",
			name, ndMaxDims, in, out, kernel, stride, dilation, padBegin, padEnd))
	}
	s := ndShape{k: k, inSize: 1, outSize: 1, kerSize: 1}
	for d := 0; d < k; d++ {
		if in[d] <= 0 || out[d] <= 0 || kernel[d] <= 0 || stride[d] <= 0 || dilation[d] <= 0 || padBegin[d] < 0 ||
			(padEnd != nil && padEnd[d] < 0) {
			panic(fmt.Sprintf("kernels: %s dim %d: in %d out %d kernel %d stride %d dilation %d padBegin %d: sizes must be > 0, pads >= 0",
				name, d, in[d], out[d], kernel[d], stride[d], dilation[d], padBegin[d]))
		}
		s.in[d], s.out[d], s.ker[d], s.str[d], s.dil[d], s.padB[d] = in[d], out[d], kernel[d], stride[d], dilation[d], padBegin[d]
		s.inSize *= in[d]
		s.outSize *= out[d]
		s.kerSize *= kernel[d]
	}
	return s
}

// inputIndex maps output position op and kernel position kp (flat indices)
// to the flat spatial input index; ok is false if the tap is in padding.
func (s *ndShape) inputIndex(op, kp int) (ip int, ok bool) {
	var opos, kpos [ndMaxDims]int
	for d := s.k - 1; d >= 0; d-- {
		opos[d] = op % s.out[d]
		op /= s.out[d]
		kpos[d] = kp % s.ker[d]
		kp /= s.ker[d]
	}
	for d := 0; d < s.k; d++ {
		i := opos[d]*s.str[d] - s.padB[d] + kpos[d]*s.dil[d]
		if i < 0 || i >= s.in[d] {
			return 0, false
		}
		ip = ip*s.in[d] + i
	}
	return ip, true
}

// ConvNDF32 is the generic N-d grouped convolution (1-D and 3-D models and
// odd cases; correctness over speed). bias may be nil.
//
//	y[n][o…][oc] = act(bias[oc] + Σ_{k…, ci} x[n][o·Stride − PadBegin + k·Dilation][g·cg+ci] · w[oc][k…][ci])
//
// with g = oc/(OC/Groups), cg = C/Groups; taps in padding are skipped.
func ConvNDF32(g ConvNDGeom, x, w, bias, y []float32, act Act) {
	s := newNDShape("ConvNDF32", g.In, g.Out, g.Kernel, g.Stride, g.Dilation, g.PadBegin, nil)
	if g.N <= 0 || g.C <= 0 || g.OC <= 0 || g.Groups <= 0 || g.C%g.Groups != 0 || g.OC%g.Groups != 0 {
		panic(fmt.Sprintf("kernels: ConvNDF32 N=%d C=%d OC=%d Groups=%d: want positive, C and OC multiples of Groups",
			g.N, g.C, g.OC, g.Groups))
	}
	mustCheckAct(act)
	cg, ocg := g.C/g.Groups, g.OC/g.Groups
	if len(x) < g.N*s.inSize*g.C || len(w) < g.OC*s.kerSize*cg || len(y) < g.N*s.outSize*g.OC ||
		(bias != nil && len(bias) < g.OC) {
		panic(fmt.Sprintf("kernels: ConvNDF32 short slice: x %d/%d w %d/%d y %d/%d bias %d/%d",
			len(x), g.N*s.inSize*g.C, len(w), g.OC*s.kerSize*cg, len(y), g.N*s.outSize*g.OC, len(bias), g.OC))
	}
	for n := 0; n < g.N; n++ {
		for op := 0; op < s.outSize; op++ {
			yp := y[(n*s.outSize+op)*g.OC:][:g.OC]
			if bias != nil {
				copy(yp, bias)
			} else {
				clear(yp)
			}
			for kp := 0; kp < s.kerSize; kp++ {
				ip, ok := s.inputIndex(op, kp)
				if !ok {
					continue
				}
				xp := x[(n*s.inSize+ip)*g.C:][:g.C]
				for oc := range yp {
					xs := xp[oc/ocg*cg:][:cg]
					ws := w[(oc*s.kerSize+kp)*cg:][:cg]
					var d float32
					for ci, xv := range xs {
						d += xv * ws[ci]
					}
					yp[oc] += d
				}
			}
			ApplyAct(act, yp)
		}
	}
}
