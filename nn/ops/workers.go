package ops

import "github.com/ocellus/ocellus/nn/tensor"

// PartOp is an op that can compute a share of its output: part of parts,
// bit-identical to Run whatever parts is. Scratch is that part's own.
type PartOp interface {
	Op
	RunPart(in, out []*tensor.Tensor, scratch []float32, part, parts int)
}

// Workers is a session's intra-op thread pool: n−1 goroutines started
// once plus the calling goroutine. Running an op hands each a share; no
// goroutine is started and nothing is allocated per op or per frame.
type Workers struct {
	n       int
	scratch [][]float32
	start   []chan struct{}
	done    chan struct{}
	// The task, written by the caller before it signals the workers.
	op      PartOp
	in, out []*tensor.Tensor
	closed  bool
}

// NewWorkers starts a pool of n threads (n ≥ 1) with scratch of
// scratchLen float32s each.
func NewWorkers(n, scratchLen int) *Workers {
	n = max(n, 1)
	w := &Workers{n: n, done: make(chan struct{}, n)}
	for i := 0; i < n; i++ {
		w.scratch = append(w.scratch, make([]float32, scratchLen))
	}
	for i := 1; i < n; i++ {
		c := make(chan struct{})
		w.start = append(w.start, c)
		go w.loop(i, c)
	}
	return w
}

func (w *Workers) loop(part int, start chan struct{}) {
	for range start {
		w.op.RunPart(w.in, w.out, w.scratch[part], part, w.n)
		w.done <- struct{}{}
	}
}

// Threads is the number of threads.
func (w *Workers) Threads() int { return w.n }

// Scratch is the calling thread's scratch.
func (w *Workers) Scratch() []float32 { return w.scratch[0] }

// Run runs op: split over the threads when it can be, else on the caller.
func (w *Workers) Run(x *Exec, op Op, in, out []*tensor.Tensor) {
	p, ok := op.(PartOp)
	if !ok || w.n == 1 || w.closed {
		op.Run(x, in, out)
		return
	}
	w.op, w.in, w.out = p, in, out
	for _, c := range w.start {
		c <- struct{}{}
	}
	p.RunPart(in, out, w.scratch[0], 0, w.n)
	for range w.start {
		<-w.done
	}
	w.op, w.in, w.out = nil, nil, nil
}

// Close stops the goroutines. It is idempotent.
func (w *Workers) Close() {
	if w.closed {
		return
	}
	w.closed = true
	for _, c := range w.start {
		close(c)
	}
}
