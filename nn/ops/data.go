package ops

import (
	"math"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

// copyOp copies its input (Reshape, Identity); a second output, if any, is
// a bool mask set to true (Dropout in inference).
type copyOp struct{}

func (copyOp) ScratchLen() int { return 0 }
func (copyOp) Run(x *Exec, in, out []*tensor.Tensor) {
	copy(out[0].Bytes(), in[0].Bytes())
	if len(out) > 1 && out[1] != nil {
		for i := range out[1].Bool {
			out[1].Bool[i] = true
		}
	}
}

type softmaxOp struct{ outer, axis, inner int }

func (o *softmaxOp) ScratchLen() int { return 0 }
func (o *softmaxOp) Run(x *Exec, in, out []*tensor.Tensor) {
	kernels.SoftmaxF32(in[0].F32, out[0].F32, o.outer, o.axis, o.inner)
}

// RunPart runs a range of the outer slices (each normalized on its own);
// tensors below minPartElems or with one outer slice run whole in part 0.
func (o *softmaxOp) RunPart(in, out []*tensor.Tensor, _ []float32, part, parts int) {
	plane := o.axis * o.inner
	if o.outer < 2 || o.outer*plane < minPartElems {
		if part == 0 {
			o.Run(nil, in, out)
		}
		return
	}
	lo, hi := splitRange(o.outer, 1, part, parts)
	if lo < hi {
		kernels.SoftmaxF32(in[0].F32[lo*plane:hi*plane], out[0].F32[lo*plane:hi*plane], hi-lo, o.axis, o.inner)
	}
}

type transposeOp struct{ shape, perm []int }

func (o *transposeOp) ScratchLen() int { return 0 }
func (o *transposeOp) Run(x *Exec, in, out []*tensor.Tensor) {
	a, y := in[0], out[0]
	switch a.DType {
	case tensor.Float32:
		kernels.Transpose(a.F32, o.shape, o.perm, y.F32)
	case tensor.Uint8:
		kernels.Transpose(a.U8, o.shape, o.perm, y.U8)
	case tensor.Int8:
		kernels.Transpose(a.I8, o.shape, o.perm, y.I8)
	case tensor.Int32:
		kernels.Transpose(a.I32, o.shape, o.perm, y.I32)
	case tensor.Int64:
		kernels.Transpose(a.I64, o.shape, o.perm, y.I64)
	case tensor.Bool:
		kernels.Transpose(a.Bool, o.shape, o.perm, y.Bool)
	}
}

type concatOp struct {
	axis   int
	shapes [][]int
}

func (o *concatOp) ScratchLen() int { return 0 }
func (o *concatOp) Run(x *Exec, in, out []*tensor.Tensor) {
	switch out[0].DType {
	case tensor.Float32:
		kernels.Concat(collect(in, func(t *tensor.Tensor) []float32 { return t.F32 }), o.shapes, o.axis, out[0].F32)
	case tensor.Uint8:
		kernels.Concat(collect(in, func(t *tensor.Tensor) []uint8 { return t.U8 }), o.shapes, o.axis, out[0].U8)
	case tensor.Int8:
		kernels.Concat(collect(in, func(t *tensor.Tensor) []int8 { return t.I8 }), o.shapes, o.axis, out[0].I8)
	case tensor.Int32:
		kernels.Concat(collect(in, func(t *tensor.Tensor) []int32 { return t.I32 }), o.shapes, o.axis, out[0].I32)
	case tensor.Int64:
		kernels.Concat(collect(in, func(t *tensor.Tensor) []int64 { return t.I64 }), o.shapes, o.axis, out[0].I64)
	case tensor.Bool:
		kernels.Concat(collect(in, func(t *tensor.Tensor) []bool { return t.Bool }), o.shapes, o.axis, out[0].Bool)
	}
}

// collect gathers the typed slices of ts. It allocates a small slice header
// array; concat runs only at load time or on tiny shape tensors in practice.
func collect[T any](ts []*tensor.Tensor, f func(*tensor.Tensor) []T) [][]T {
	r := make([][]T, len(ts))
	for i, t := range ts {
		r[i] = f(t)
	}
	return r
}

type padOp struct {
	shape []int
	p     *graph.PadParams
}

func (o *padOp) ScratchLen() int { return 0 }
func (o *padOp) Run(x *Exec, in, out []*tensor.Tensor) {
	a, y, p := in[0], out[0], o.p
	switch a.DType {
	case tensor.Float32:
		kernels.Pad(a.F32, o.shape, p.Begin, p.End, p.Mode, float32(p.Value), y.F32)
	case tensor.Uint8:
		kernels.Pad(a.U8, o.shape, p.Begin, p.End, p.Mode, uint8(p.Value), y.U8)
	case tensor.Int8:
		kernels.Pad(a.I8, o.shape, p.Begin, p.End, p.Mode, int8(p.Value), y.I8)
	case tensor.Int32:
		kernels.Pad(a.I32, o.shape, p.Begin, p.End, p.Mode, int32(p.Value), y.I32)
	case tensor.Int64:
		kernels.Pad(a.I64, o.shape, p.Begin, p.End, p.Mode, int64(p.Value), y.I64)
	case tensor.Bool:
		kernels.Pad(a.Bool, o.shape, p.Begin, p.End, p.Mode, p.Value != 0, y.Bool)
	}
}

type reduceMeanOp struct{ shape, axes []int }

func (o *reduceMeanOp) ScratchLen() int { return 0 }
func (o *reduceMeanOp) Run(x *Exec, in, out []*tensor.Tensor) {
	kernels.ReduceMeanF32(in[0].F32, o.shape, o.axes, out[0].F32)
}

type gatherOp struct {
	shape, ishape []int
	axis          int
}

func (o *gatherOp) ScratchLen() int { return 0 }
func (o *gatherOp) Run(x *Exec, in, out []*tensor.Tensor) {
	a, y := in[0], out[0]
	idx := in[1].I64
	switch a.DType {
	case tensor.Float32:
		kernels.Gather(a.F32, o.shape, o.axis, idx, o.ishape, y.F32)
	case tensor.Uint8:
		kernels.Gather(a.U8, o.shape, o.axis, idx, o.ishape, y.U8)
	case tensor.Int8:
		kernels.Gather(a.I8, o.shape, o.axis, idx, o.ishape, y.I8)
	case tensor.Int32:
		kernels.Gather(a.I32, o.shape, o.axis, idx, o.ishape, y.I32)
	case tensor.Int64:
		kernels.Gather(a.I64, o.shape, o.axis, idx, o.ishape, y.I64)
	case tensor.Bool:
		kernels.Gather(a.Bool, o.shape, o.axis, idx, o.ishape, y.Bool)
	}
}

type resizeOp struct{ plan *kernels.ResizePlan }

func compileResize(g *graph.Graph, n *graph.Node) (Op, error) {
	p := n.Params.(*graph.ResizeParams)
	return &resizeOp{plan: kernels.PlanResize(in(g, n, 0).Shape, out(g, n, 0).Shape, p.ResizeParams)}, nil
}

func (o *resizeOp) ScratchLen() int { return o.plan.ScratchLen() }
func (o *resizeOp) Run(x *Exec, in, out []*tensor.Tensor) {
	o.plan.RunF32(in[0].F32, out[0].F32, x.Scratch)
}

// castOp converts between dtypes. Float to integer truncates toward zero,
// then wraps to the target width as C does; NaN becomes 0.
type castOp struct{}

func (castOp) ScratchLen() int { return 0 }
func (castOp) Run(x *Exec, in, out []*tensor.Tensor) {
	a, y := in[0], out[0]
	if a.DType == y.DType {
		copy(y.Bytes(), a.Bytes())
		return
	}
	n := a.Len()
	for i := 0; i < n; i++ {
		var f float64
		var iv int64
		isInt := true
		switch a.DType {
		case tensor.Float32:
			f, isInt = float64(a.F32[i]), false
		case tensor.Uint8:
			iv = int64(a.U8[i])
		case tensor.Int8:
			iv = int64(a.I8[i])
		case tensor.Int32:
			iv = int64(a.I32[i])
		case tensor.Int64:
			iv = a.I64[i]
		case tensor.Bool:
			if a.Bool[i] {
				iv = 1
			}
		}
		if isInt {
			f = float64(iv)
		} else if !math.IsNaN(f) {
			iv = int64(math.Max(math.Min(math.Trunc(f), 9.2e18), -9.2e18))
		}
		switch y.DType {
		case tensor.Float32:
			y.F32[i] = float32(f)
		case tensor.Uint8:
			y.U8[i] = uint8(iv)
		case tensor.Int8:
			y.I8[i] = int8(iv)
		case tensor.Int32:
			y.I32[i] = int32(iv)
		case tensor.Int64:
			y.I64[i] = iv
		case tensor.Bool:
			y.Bool[i] = f != 0
		}
	}
}
