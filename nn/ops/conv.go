package ops

import (
	"math"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

type conv2DOp struct{ k *kernels.ConvF32 }

func (o *conv2DOp) PackedInputs() []int { return []int{1, 2} }
func (o *conv2DOp) ScratchLen() int     { return o.k.ScratchLen() }
func (o *conv2DOp) Run(x *Exec, in, out []*tensor.Tensor) {
	o.k.Run(in[0].F32, out[0].F32, x.Scratch)
}
func (o *conv2DOp) RunPart(in, out []*tensor.Tensor, scratch []float32, part, parts int) {
	o.k.RunPart(in[0].F32, out[0].F32, scratch, part, parts)
}

type convNDOp struct {
	g       kernels.ConvNDGeom
	w, bias []float32
	act     kernels.Act
}

func (o *convNDOp) PackedInputs() []int { return []int{1, 2} }
func (o *convNDOp) ScratchLen() int     { return 0 }
func (o *convNDOp) Run(x *Exec, in, out []*tensor.Tensor) {
	kernels.ConvNDF32(o.g, in[0].F32, o.w, o.bias, out[0].F32, o.act)
}

// ConvGeom2D returns the 2-D kernel geometry of a rank-3 (1-D) or rank-4
// (2-D) channels-last convolution node; ok is false for other ranks.
func ConvGeom2D(g *graph.Graph, n *graph.Node) (geom kernels.ConvGeom, ok bool) {
	x, w, y := in(g, n, 0), in(g, n, 1), out(g, n, 0)
	p := n.Params.(*graph.ConvParams)
	switch len(x.Shape) {
	case 4:
		return kernels.ConvGeom{N: x.Shape[0], H: x.Shape[1], W: x.Shape[2], C: x.Shape[3],
			OH: y.Shape[1], OW: y.Shape[2], OC: y.Shape[3], KH: w.Shape[1], KW: w.Shape[2],
			SH: p.Strides[0], SW: p.Strides[1], DH: p.Dilations[0], DW: p.Dilations[1],
			PadT: p.PadBegin[0], PadL: p.PadBegin[1], Groups: p.Groups}, true
	case 3:
		return kernels.ConvGeom{N: x.Shape[0], H: 1, W: x.Shape[1], C: x.Shape[2],
			OH: 1, OW: y.Shape[1], OC: y.Shape[2], KH: 1, KW: w.Shape[1],
			SH: 1, SW: p.Strides[0], DH: 1, DW: p.Dilations[0],
			PadL: p.PadBegin[0], Groups: p.Groups}, true
	}
	return kernels.ConvGeom{}, false
}

func compileConv(g *graph.Graph, n *graph.Node) (Op, error) {
	p := n.Params.(*graph.ConvParams)
	w := in(g, n, 1).Const.F32
	var bias []float32
	if b := in(g, n, 2); b != nil {
		bias = b.Const.F32
	}
	if geom, ok := ConvGeom2D(g, n); ok {
		if err := geom.Check(); err != nil {
			return nil, nodeErr(n, "%v", err)
		}
		return &conv2DOp{k: kernels.PackConvF32(geom, w, bias, p.Act)}, nil
	}
	x, y := in(g, n, 0), out(g, n, 0)
	r := len(x.Shape)
	geom := kernels.ConvNDGeom{N: x.Shape[0], C: x.Shape[r-1], OC: y.Shape[r-1], Groups: p.Groups,
		In: x.Shape[1 : r-1], Out: y.Shape[1 : r-1], Kernel: in(g, n, 1).Shape[1 : r-1],
		Stride: p.Strides, Dilation: p.Dilations, PadBegin: p.PadBegin}
	return &convNDOp{g: geom, w: w, bias: bias, act: p.Act}, nil
}

// bnOp is frozen (inference) batch normalisation as a per-channel affine map.
type bnOp struct{ scale, shift []float32 }

func compileBatchNorm(g *graph.Graph, n *graph.Node) (Op, error) {
	eps := n.Params.(*graph.BatchNormParams).Epsilon
	scale, shift := BatchNormAffine(in(g, n, 1).Const.F32, in(g, n, 2).Const.F32, in(g, n, 3).Const.F32, in(g, n, 4).Const.F32, eps)
	return &bnOp{scale: scale, shift: shift}, nil
}

// BatchNormAffine turns frozen batch-norm parameters into y = x*scale + shift:
// scale = gamma / sqrt(var + eps), shift = beta - mean*scale.
func BatchNormAffine(gamma, beta, mean, variance []float32, eps float32) (scale, shift []float32) {
	scale = make([]float32, len(gamma))
	shift = make([]float32, len(gamma))
	for c := range gamma {
		s := float64(gamma[c]) / math.Sqrt(float64(variance[c])+float64(eps))
		scale[c] = float32(s)
		shift[c] = float32(float64(beta[c]) - float64(mean[c])*s)
	}
	return scale, shift
}

func (o *bnOp) PackedInputs() []int { return []int{1, 2, 3, 4} }
func (o *bnOp) ScratchLen() int     { return 0 }
func (o *bnOp) Run(x *Exec, in, out []*tensor.Tensor) {
	src, dst := in[0].F32, out[0].F32
	c := len(o.scale)
	for i := 0; i+c <= len(src); i += c {
		s, d := src[i:i+c], dst[i:i+c]
		for j := range s {
			d[j] = s[j]*o.scale[j] + o.shift[j]
		}
	}
}

// bnTrainOp is batch normalisation with batch statistics (ONNX training_mode).
type bnTrainOp struct{ eps, momentum float32 }

func (o *bnTrainOp) ScratchLen() int { return 0 }
func (o *bnTrainOp) Run(x *Exec, in, out []*tensor.Tensor) {
	src, dst := in[0].F32, out[0].F32
	gamma, beta, rmean, rvar := in[1].F32, in[2].F32, in[3].F32, in[4].F32
	c := len(gamma)
	rows := len(src) / c
	for ch := 0; ch < c; ch++ {
		var sum float64
		for r := 0; r < rows; r++ {
			sum += float64(src[r*c+ch])
		}
		mean := sum / float64(rows)
		var ss float64
		for r := 0; r < rows; r++ {
			d := float64(src[r*c+ch]) - mean
			ss += d * d
		}
		variance := ss / float64(rows)
		inv := 1 / math.Sqrt(variance+float64(o.eps))
		for r := 0; r < rows; r++ {
			dst[r*c+ch] = float32((float64(src[r*c+ch])-mean)*inv*float64(gamma[ch]) + float64(beta[ch]))
		}
		m := float64(o.momentum)
		if len(out) > 1 && out[1] != nil {
			out[1].F32[ch] = float32(float64(rmean[ch])*m + mean*(1-m))
		}
		if len(out) > 2 && out[2] != nil {
			out[2].F32[ch] = float32(float64(rvar[ch])*m + variance*(1-m))
		}
	}
}

type denseOp struct{ k *kernels.DenseF32 }

func compileDense(g *graph.Graph, n *graph.Node) (Op, error) {
	w := in(g, n, 1)
	if w.Const == nil {
		return nil, nodeErr(n, "weights %q must be constant: %w", w.Name, ErrUnsupported)
	}
	var bias []float32
	if b := in(g, n, 2); b != nil {
		if b.Const == nil {
			return nil, nodeErr(n, "bias %q must be constant: %w", b.Name, ErrUnsupported)
		}
		bias = b.Const.F32
	}
	return &denseOp{k: kernels.PackDenseF32(w.Shape[0], w.Shape[1], w.Const.F32, bias, n.Params.(*graph.DenseParams).Act)}, nil
}

func (o *denseOp) PackedInputs() []int { return []int{1, 2} }
func (o *denseOp) ScratchLen() int     { return 0 }
func (o *denseOp) Run(x *Exec, in, out []*tensor.Tensor) {
	o.RunPart(in, out, nil, 0, 1)
}
func (o *denseOp) RunPart(in, out []*tensor.Tensor, scratch []float32, part, parts int) {
	k := in[0].Shape[len(in[0].Shape)-1]
	m := 0
	if k > 0 {
		m = len(in[0].F32) / k
	}
	o.k.RunPart(in[0].F32, m, out[0].F32, part, parts)
}
