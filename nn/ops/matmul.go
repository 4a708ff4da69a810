package ops

import (
	"fmt"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/tensor"
)

// matMulOp is numpy matmul of two runtime tensors with batch broadcasting.
type matMulOp struct {
	m, n, k  int
	yshape   []int
	aOff     []int // per output batch: offset of its A matrix
	bOff     []int
	batchLen int
}

func planMatMul(as, bs []int) (*matMulOp, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("matmul of a scalar (%v × %v)", as, bs)
	}
	a, b := append([]int(nil), as...), append([]int(nil), bs...)
	if len(a) == 1 {
		a = []int{1, a[0]}
	}
	if len(b) == 1 {
		b = []int{b[0], 1}
	}
	m, k := a[len(a)-2], a[len(a)-1]
	k2, n := b[len(b)-2], b[len(b)-1]
	if k != k2 {
		return nil, fmt.Errorf("matmul inner dimensions differ: %v × %v", as, bs)
	}
	ab, bb := a[:len(a)-2], b[:len(b)-2]
	batch, err := kernels.BroadcastShape(ab, bb)
	if err != nil {
		return nil, fmt.Errorf("matmul batch dimensions %v and %v do not broadcast", ab, bb)
	}
	op := &matMulOp{m: m, n: n, k: k, batchLen: tensor.NumElems(batch)}
	// Offsets: walk the broadcast batch index space.
	idx := make([]int, len(batch))
	for i := 0; i < op.batchLen; i++ {
		op.aOff = append(op.aOff, bcastOffset(idx, batch, ab)*m*k)
		op.bOff = append(op.bOff, bcastOffset(idx, batch, bb)*k*n)
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < batch[d] {
				break
			}
			idx[d] = 0
		}
	}
	op.yshape = append([]int(nil), batch...)
	if len(as) > 1 {
		op.yshape = append(op.yshape, m)
	}
	if len(bs) > 1 {
		op.yshape = append(op.yshape, n)
	}
	return op, nil
}

// bcastOffset is the flat index in a tensor of shape s (right-aligned to
// the broadcast shape full) of broadcast index idx.
func bcastOffset(idx, full, s []int) int {
	off := 0
	d := len(full) - len(s)
	for i, n := range s {
		v := idx[d+i]
		if n == 1 {
			v = 0
		}
		off = off*n + v
	}
	return off
}

func (o *matMulOp) ScratchLen() int { return 0 }
func (o *matMulOp) Run(x *Exec, in, out []*tensor.Tensor) {
	a, b, y := in[0].F32, in[1].F32, out[0].F32
	mn := o.m * o.n
	for i := 0; i < o.batchLen; i++ {
		kernels.MatMulF32(o.m, o.n, o.k, a[o.aOff[i]:o.aOff[i]+o.m*o.k], b[o.bOff[i]:o.bOff[i]+o.k*o.n], y[i*mn:(i+1)*mn])
	}
}
