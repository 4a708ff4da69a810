package ops

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/ocellus/ocellus/nn/tensor"
)

// PartOp is an op that can compute a share of its output: part of parts,
// bit-identical to Run whatever parts is. Scratch is that part's own.
type PartOp interface {
	Op
	RunPart(in, out []*tensor.Tensor, scratch []float32, part, parts int)
}

// spinFor is how long an idle worker, and the caller waiting for the
// workers, poll before blocking. An inference runs about a hundred ops back
// to back, each a few tens of microseconds; waking a blocked goroutine
// costs about as much as one such op (a futex round trip), which made two
// threads slower than one. Polling for a while keeps the handoff in the
// nanoseconds; between frames everyone blocks.
const spinFor = 100 * time.Microsecond

// Workers is a session's intra-op thread pool: n−1 goroutines started
// once plus the calling goroutine. Running an op hands each a share; no
// goroutine is started and nothing is allocated per op or per frame.
//
// Handoff. The caller publishes the task, sets pending to n−1 and bumps
// gen; a worker polls gen for spinFor after its last share, then announces
// that it sleeps, looks at gen once more and blocks on its wake channel,
// which the caller signals for workers it sees asleep after bumping gen.
// The finish mirrors it: the caller polls pending, then announces that it
// sleeps, looks at pending once more and blocks on done, which the worker
// that brings pending to 0 signals if it sees the caller asleep.
//
// Both announcements are atomic read-modify-writes (announce), not stores: the
// handshake needs the store of each side ordered before its following
// load (Dekker). Go's atomic Store and Load are sequentially consistent,
// and arm64 hardware keeps STLR→LDAR in order, but qemu-user's translation
// of arm64 and arm on an x86 host does not (an STLR;LDAR store-buffering
// test sees both loads read 0 in about a fifth of 200 000 rounds), and
// there a lost wake-up left a worker asleep and the caller spinning.
// Read-modify-writes are full barriers everywhere, emulated too.
type Workers struct {
	n       int
	scratch [][]float32
	gen     atomic.Uint64
	pending atomic.Int32
	wake    []chan struct{}
	asleep  []atomic.Bool
	// waiting is the caller's announcement; done its wake channel.
	waiting atomic.Bool
	done    chan struct{}
	// The task, written by the caller before it bumps gen.
	op      PartOp
	in, out []*tensor.Tensor
	closed  atomic.Bool
}

// NewWorkers starts a pool of n threads (n ≥ 1) with scratch of
// scratchLen float32s each.
func NewWorkers(n, scratchLen int) *Workers {
	n = max(n, 1)
	w := &Workers{n: n, asleep: make([]atomic.Bool, n), done: make(chan struct{}, 1)}
	for i := 0; i < n; i++ {
		w.scratch = append(w.scratch, make([]float32, scratchLen))
		w.wake = append(w.wake, make(chan struct{}, 1))
	}
	for i := 1; i < n; i++ {
		go w.loop(i)
	}
	return w
}

func (w *Workers) loop(part int) {
	var seen uint64
	for {
		idle := time.Now()
		for spins := 0; ; spins++ {
			if g := w.gen.Load(); g != seen {
				seen = g
				break
			}
			if w.closed.Load() {
				return
			}
			if spins&63 != 63 {
				continue
			}
			if time.Since(idle) < spinFor {
				runtime.Gosched()
				continue
			}
			announce(&w.asleep[part])
			if w.gen.Load() == seen && !w.closed.Load() {
				<-w.wake[part]
			}
			w.asleep[part].Store(false)
			idle = time.Now()
		}
		w.op.RunPart(w.in, w.out, w.scratch[part], part, w.n)
		if w.pending.Add(-1) == 0 && w.waiting.Load() {
			select {
			case w.done <- struct{}{}:
			default: // a wake-up is already pending
			}
		}
	}
}

// announce sets b with a full memory barrier, so that the caller's next
// load is not ordered before it (see Workers: a Store is not enough under
// emulation).
func announce(b *atomic.Bool) { b.Swap(true) }

// Threads is the number of threads.
func (w *Workers) Threads() int { return w.n }

// Scratch is the calling thread's scratch.
func (w *Workers) Scratch() []float32 { return w.scratch[0] }

// Run runs op: split over the threads when it can be, else on the caller.
func (w *Workers) Run(x *Exec, op Op, in, out []*tensor.Tensor) {
	p, ok := op.(PartOp)
	if !ok || w.n == 1 || w.closed.Load() {
		op.Run(x, in, out)
		return
	}
	w.op, w.in, w.out = p, in, out
	w.pending.Store(int32(w.n - 1))
	w.gen.Add(1)
	w.signal()
	p.RunPart(in, out, w.scratch[0], 0, w.n)
	w.wait()
	w.op, w.in, w.out = nil, nil, nil
}

// wait returns when every worker has finished its share.
func (w *Workers) wait() {
	start := time.Now()
	for spins := 0; w.pending.Load() != 0; spins++ {
		if spins&63 != 63 || time.Since(start) < spinFor {
			continue
		}
		// A worker is slow or was descheduled: give up the core.
		announce(&w.waiting)
		if w.pending.Load() != 0 {
			<-w.done
		}
		// A wake-up left over from an earlier op (sent after the caller
		// saw pending reach 0 itself) only makes this loop look again.
		w.waiting.Store(false)
		start = time.Now()
	}
}

// signal wakes the workers that went to sleep.
func (w *Workers) signal() {
	for i := 1; i < w.n; i++ {
		if w.asleep[i].Load() {
			select {
			case w.wake[i] <- struct{}{}:
			default: // a wake-up is already pending
			}
		}
	}
}

// Close stops the goroutines. It is idempotent.
func (w *Workers) Close() {
	if w.closed.Swap(true) {
		return
	}
	w.signal()
}
