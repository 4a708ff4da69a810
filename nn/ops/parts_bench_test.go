package ops

import (
	"fmt"
	"testing"

	"github.com/ocellus/ocellus/nn/tensor"
)

// nopPartOp does nothing in every part: it measures the pool's handoff.
type nopPartOp struct{}

func (nopPartOp) ScratchLen() int                                             { return 0 }
func (nopPartOp) Run(*Exec, []*tensor.Tensor, []*tensor.Tensor)               {}
func (nopPartOp) RunPart(_, _ []*tensor.Tensor, _ []float32, part, parts int) {}

// BenchmarkPartSplit times ops split by RunPart at sizes around
// minPartElems, run whole (threads=1) and through a 2-thread pool, plus the
// pool's bare handoff (op=nop): the threshold should sit where the 2-thread
// time stops being worse than 1. On a loaded machine the 2-thread times
// measure the load, not the pool.
func BenchmarkPartSplit(b *testing.B) {
	type bop struct {
		name    string
		op      Op
		in, out []*tensor.Tensor
	}
	var cases []bop
	cases = append(cases, bop{"nop", nopPartOp{}, nil, nil})
	for _, elems := range []int{1 << 12, 1 << 13, 1 << 14, 1 << 16, 1 << 18} {
		c := 32
		hw := elems / c
		x := tensor.New(tensor.Float32, 1, hw, c)
		cases = append(cases, bop{fmt.Sprintf("gap/elems=%d", elems), &gapOp{n: 1, hw: hw, c: c},
			[]*tensor.Tensor{x}, []*tensor.Tensor{tensor.New(tensor.Float32, 1, c)}})
		xq := tensor.New(tensor.Uint8, elems)
		q := &quantizeOp{inScale: []float32{0.02}, inZero: []int32{128}, scale: []float32{0.02}, zero: []int32{0},
			channels: 1, inner: 1, lo: -128, hi: 127}
		q.buildTable(tensor.Uint8)
		cases = append(cases, bop{fmt.Sprintf("requant-u8/elems=%d", elems), q,
			[]*tensor.Tensor{xq}, []*tensor.Tensor{tensor.New(tensor.Int8, elems)}})
		xf := tensor.New(tensor.Float32, elems)
		qf := &quantizeOp{fromFloat: true, scale: []float32{0.02}, zero: []int32{3}, channels: 1, inner: 1, lo: -128, hi: 127, halfEven: true}
		cases = append(cases, bop{fmt.Sprintf("quantize-f32/elems=%d", elems), qf,
			[]*tensor.Tensor{xf}, []*tensor.Tensor{tensor.New(tensor.Int8, elems)}})
	}
	for _, c := range cases {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("op=%s/threads=%d", c.name, threads), func(b *testing.B) {
				w := NewWorkers(threads, 0)
				defer w.Close()
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					w.Run(nil, c.op, c.in, c.out)
				}
			})
		}
	}
}
