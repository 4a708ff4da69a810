package ops

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/tensor"
)

// TestElementwisePartsMatchRun checks that the float32 activation and binary
// ops computed in shares over 1–5 parts (and through a Workers pool) equal a
// whole run bit for bit, with broadcasting on either side and split axes of
// every kind.
func TestElementwisePartsMatchRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(shape ...int) *tensor.Tensor {
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.F32 {
			x.F32[i] = rng.Float32()*4 - 2
		}
		return x
	}
	cases := []struct{ a, b []int }{
		{[]int{1, 37, 5, 700}, []int{1, 1, 1, 700}}, // squeeze-excite multiply
		{[]int{1, 1, 1, 700}, []int{1, 37, 5, 700}},
		{[]int{1, 29, 23, 31}, []int{1, 29, 23, 31}}, // residual add
		{[]int{3, 50, 1, 130}, []int{3, 1, 7, 1}},    // split on axis 0
		{[]int{1, 1, 1, 20000}, []int{1, 1, 1, 1}},   // split on the last axis
		{[]int{37, 700}, []int{1, 700}},
	}
	for _, c := range cases {
		yshape := make([]int, len(c.a))
		for i := range yshape {
			yshape[i] = max(c.a[i], c.b[i])
		}
		a, b := fill(c.a...), fill(c.b...)
		for _, op := range []kernels.BinOp{kernels.OpAdd, kernels.OpMul, kernels.OpDiv} {
			o := &binaryOp{op: op, act: kernels.Act{Kind: kernels.ActRelu}, ashape: c.a, bshape: c.b, yshape: yshape,
				partShapes: make([]int, maxBinaryParts*3*len(yshape))}
			want := tensor.New(tensor.Float32, yshape...)
			o.Run(nil, []*tensor.Tensor{a, b}, []*tensor.Tensor{want})
			for parts := 1; parts <= 5; parts++ {
				got := tensor.New(tensor.Float32, yshape...)
				for i := range got.F32 {
					got.F32[i] = -99
				}
				for p := range parts {
					o.RunPart([]*tensor.Tensor{a, b}, []*tensor.Tensor{got}, nil, p, parts)
				}
				if !slices.Equal(got.F32, want.F32) {
					t.Fatalf("%v op %d %v: %d parts differ from a whole run", c.a, op, c.b, parts)
				}
			}
			w := NewWorkers(3, 0)
			got := tensor.New(tensor.Float32, yshape...)
			w.Run(nil, o, []*tensor.Tensor{a, b}, []*tensor.Tensor{got})
			w.Close()
			if !slices.Equal(got.F32, want.F32) {
				t.Fatalf("%v op %d %v: the pool's run differs from a whole run", c.a, op, c.b)
			}
		}
	}
	x := fill(1, 61, 17, 33)
	u := &unaryOp{act: kernels.Act{Kind: kernels.ActSwish}}
	want := tensor.New(tensor.Float32, x.Shape...)
	u.Run(nil, []*tensor.Tensor{x}, []*tensor.Tensor{want})
	for parts := 1; parts <= 5; parts++ {
		got := tensor.New(tensor.Float32, x.Shape...)
		for p := range parts {
			u.RunPart([]*tensor.Tensor{x}, []*tensor.Tensor{got}, nil, p, parts)
		}
		if !slices.Equal(got.F32, want.F32) {
			t.Fatalf("swish: %d parts differ from a whole run", parts)
		}
	}
}

// stampOp writes, for each element of its output share, the op's sequence
// number; shares whose part is slow sleep first, so the caller outwaits
// its polling and blocks.
type stampOp struct {
	seq  float32
	slow int // part that sleeps (-1: none)
}

func (o *stampOp) Run(_ *Exec, in, out []*tensor.Tensor) { o.RunPart(in, out, nil, 0, 1) }

func (o *stampOp) ScratchLen() int { return 0 }

func (o *stampOp) RunPart(_, out []*tensor.Tensor, _ []float32, part, parts int) {
	if part == o.slow {
		time.Sleep(2 * spinFor)
	}
	y := out[0].F32
	lo, hi := part*len(y)/parts, (part+1)*len(y)/parts
	for i := lo; i < hi; i++ {
		y[i] = o.seq
	}
}

// TestWorkersHandoff runs thousands of ops through pools of 2–4 threads,
// with pauses between some ops long enough for the workers to go to sleep
// and slow shares that make the caller sleep, and checks that every op ran
// every share exactly once before Run returned. A lost wake-up hangs it
// (the pool used to lose one under qemu; see Workers). It also runs with
// GOMAXPROCS 1, where the caller and the workers share one thread.
func TestWorkersHandoff(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, procs := range []int{0, 1} {
		if procs > 0 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		}
		for n := 2; n <= 4; n++ {
			w := NewWorkers(n, 0)
			y := tensor.New(tensor.Float32, 1, 101)
			op := &stampOp{slow: -1}
			for i := 1; i <= 1000; i++ {
				op.seq = float32(i)
				// Gaps around spinFor: the workers decide to sleep just as
				// the next op arrives.
				gap := time.Duration(float64(spinFor) * (0.7 + 0.6*rng.Float64()))
				for t0 := time.Now(); time.Since(t0) < gap; {
				}
				switch {
				case i%97 == 0:
					time.Sleep(3 * spinFor) // the workers go to sleep
				case i%89 == 0:
					op.slow = i % n // the caller (0) or a worker is slow
				default:
					op.slow = -1
				}
				w.Run(nil, op, nil, []*tensor.Tensor{y})
				for j, v := range y.F32 {
					if v != op.seq {
						t.Fatalf("GOMAXPROCS %d, %d threads, op %d: element %d is %v after Run", runtime.GOMAXPROCS(0), n, i, j, v)
					}
				}
			}
			w.Close()
			w.Close()
		}
	}
}

// TestAnnounceOrder is the store-buffering litmus test on announce, the
// handshake the pool's sleep and wake-up rest on: each side announces its
// flag, then loads the other's; at least one must see the other's flag.
// With atomic Store instead of announce, qemu-user on x86 fails this in
// about a fifth of the rounds.
func TestAnnounceOrder(t *testing.T) {
	const rounds = 20000
	var a, b atomic.Bool
	var start, done atomic.Int32
	var seenA bool
	go func() {
		for i := int32(1); i <= rounds; i++ {
			for start.Load() != i {
			}
			announce(&b)
			seenA = a.Load()
			done.Store(i)
		}
	}()
	for i := int32(1); i <= rounds; i++ {
		a.Store(false)
		b.Store(false)
		start.Store(i)
		announce(&a)
		seenB := b.Load()
		for done.Load() != i {
			runtime.Gosched()
		}
		if !seenA && !seenB {
			t.Fatalf("round %d: neither side saw the other's announcement", i)
		}
	}
}
