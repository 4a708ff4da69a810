package nn

import (
	"fmt"
	"runtime"
	"slices"
	"unsafe"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/ops"
	"github.com/ocellus/ocellus/nn/tensor"
)

// Session runs a Model. It owns its memory and is for one goroutine at a
// time. Outputs returned by Run are owned by the session and valid until
// the next Run.
type Session struct {
	m       *Model
	arena   []uint64
	views   []*tensor.Tensor
	nodeIn  [][]*tensor.Tensor
	nodeOut [][]*tensor.Tensor
	exec    ops.Exec
	workers *ops.Workers
	outs    []*tensor.Tensor // results in the model's layout
	inbuf   []*tensor.Tensor // internal input tensors
}

// SessionOptions configure a session. The zero value means defaults.
type SessionOptions struct {
	// Threads is the number of threads one inference uses (intra-op
	// parallelism); 0 means GOMAXPROCS. Results are identical for any value.
	Threads int
}

// NewSession allocates a session's arena and binds every tensor; it uses
// GOMAXPROCS threads. Close it to stop its threads.
func (m *Model) NewSession() *Session { return m.NewSessionWith(SessionOptions{}) }

// NewSessionWith is NewSession with options.
func (m *Model) NewSessionWith(o SessionOptions) *Session {
	g := m.graph
	s := &Session{m: m, arena: make([]uint64, (m.plan.size+7)/8)}
	bytes := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s.arena))), len(s.arena)*8)
	s.views = make([]*tensor.Tensor, len(g.Tensors))
	for id := range g.Tensors {
		t := &g.Tensors[id]
		switch {
		case t.Const != nil:
			s.views[id] = t.Const
		case m.plan.offset[id] >= 0:
			s.views[id] = tensor.View(t.DType, t.Shape, bytes[m.plan.offset[id]:])
		}
	}
	for _, n := range g.Nodes {
		in := make([]*tensor.Tensor, len(n.Inputs))
		for i, id := range n.Inputs {
			if id >= 0 {
				in[i] = s.views[id]
			}
		}
		out := make([]*tensor.Tensor, len(n.Outputs))
		for i, id := range n.Outputs {
			if id >= 0 {
				out[i] = s.views[id]
			}
		}
		s.nodeIn = append(s.nodeIn, in)
		s.nodeOut = append(s.nodeOut, out)
	}
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	s.workers = ops.NewWorkers(threads, m.scratch)
	s.exec.Scratch = s.workers.Scratch()
	for _, spec := range m.inputs {
		s.inbuf = append(s.inbuf, s.views[spec.id])
	}
	for _, spec := range m.outputs {
		v := s.views[spec.id]
		if v == nil || g.Tensors[spec.id].Const != nil || isInput(m, spec.id) || spec.Perm != nil {
			// Constant, pass-through or permuted outputs get their own buffer.
			v = tensor.New(spec.DType, spec.Shape...)
		}
		s.outs = append(s.outs, v)
	}
	return s
}

func isInput(m *Model, id int) bool {
	for _, in := range m.inputs {
		if in.id == id {
			return true
		}
	}
	return false
}

// Close stops the session's threads. It is idempotent; a closed session
// still runs, on the calling goroutine only.
func (s *Session) Close() { s.workers.Close() }

// Threads is the number of threads the session uses.
func (s *Session) Threads() int { return s.workers.Threads() }

// Model returns the session's model.
func (s *Session) Model() *Model { return s.m }

// Input returns the internal tensor of input i (layout IOSpec.PhysShape).
// Write into it and call RunInPlace to skip the copy Run makes.
func (s *Session) Input(i int) *tensor.Tensor { return s.inbuf[i] }

// Run copies the inputs (in the model's layout, one per model input, in
// order) into the session and runs the model.
func (s *Session) Run(inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := s.load(inputs); err != nil {
		return nil, err
	}
	return s.run(nil), nil
}

// load checks the inputs and copies them into the session.
func (s *Session) load(inputs []*tensor.Tensor) error {
	if len(inputs) != len(s.m.inputs) {
		return fmt.Errorf("nn: %d inputs given, model takes %d: %w", len(inputs), len(s.m.inputs), ErrInput)
	}
	for i, x := range inputs {
		spec := s.m.inputs[i]
		if x == nil || x.DType != spec.DType || !slices.Equal(x.Shape, spec.Shape) {
			return fmt.Errorf("nn: input %q is %v, want %v%v: %w", spec.Name, x, spec.DType, spec.Shape, ErrInput)
		}
		dst := s.inbuf[i]
		if dst == nil {
			continue // unused input
		}
		if spec.Perm == nil {
			copy(dst.Bytes(), x.Bytes())
			continue
		}
		permuteInto(x, spec.Perm, dst)
	}
	return nil
}

// RunInPlace runs the model on what the internal input tensors hold.
func (s *Session) RunInPlace() []*tensor.Tensor {
	return s.run(nil)
}

// Observer sees every tensor a node produces, right after the node ran:
// name is the graph tensor's name (the source model's value name where the
// value survived import), t its internal (channels-last) tensor, valid only
// during the call. An observer may change t's values in place: the nodes
// that read t later see the change (ptq's tests use it to simulate other
// activation precisions).
type Observer func(name string, t *tensor.Tensor)

// RunObserve is Run with an observer called after every node (for
// calibration and debugging; it may be slow).
func (s *Session) RunObserve(obs Observer, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := s.load(inputs); err != nil {
		return nil, err
	}
	return s.run(obs), nil
}

func (s *Session) run(obs Observer) []*tensor.Tensor {
	g := s.m.graph
	for i, op := range s.m.ops {
		s.workers.Run(&s.exec, op, s.nodeIn[i], s.nodeOut[i])
		if obs != nil {
			for j, id := range g.Nodes[i].Outputs {
				if id >= 0 {
					obs(g.Tensors[id].Name, s.nodeOut[i][j])
				}
			}
		}
	}
	for i, spec := range s.m.outputs {
		src := s.views[spec.id]
		if src == s.outs[i] {
			continue
		}
		if spec.Perm != nil {
			permuteInto(src, inversePerm(spec.Perm), s.outs[i])
			continue
		}
		if src != nil {
			copy(s.outs[i].Bytes(), src.Bytes())
		} else if c := g.Tensors[spec.id].Const; c != nil {
			copy(s.outs[i].Bytes(), c.Bytes())
		}
	}
	return s.outs
}

func inversePerm(p []int) []int {
	q := make([]int, len(p))
	for i, a := range p {
		q[a] = i
	}
	return q
}

// permuteInto writes src transposed by perm into dst.
func permuteInto(src *tensor.Tensor, perm []int, dst *tensor.Tensor) {
	switch src.DType {
	case tensor.Float32:
		kernels.Transpose(src.F32, src.Shape, perm, dst.F32)
	case tensor.Uint8:
		kernels.Transpose(src.U8, src.Shape, perm, dst.U8)
	case tensor.Int8:
		kernels.Transpose(src.I8, src.Shape, perm, dst.I8)
	case tensor.Int32:
		kernels.Transpose(src.I32, src.Shape, perm, dst.I32)
	case tensor.Int64:
		kernels.Transpose(src.I64, src.Shape, perm, dst.I64)
	case tensor.Bool:
		kernels.Transpose(src.Bool, src.Shape, perm, dst.Bool)
	}
}

// Pool shares one Model between goroutines: each Run borrows a session.
// Its sessions are single-threaded: the pool's concurrency is its callers'.
type Pool struct {
	m    *Model
	free chan *Session
}

// NewPool makes a pool of at most size idle sessions.
func NewPool(m *Model, size int) *Pool {
	return &Pool{m: m, free: make(chan *Session, max(size, 1))}
}

// Close closes the idle sessions.
func (p *Pool) Close() {
	for {
		select {
		case s := <-p.free:
			s.Close()
		default:
			return
		}
	}
}

// Run runs the model and copies its results into outs (one tensor per
// output, shaped as Model.Outputs says). Safe for concurrent use.
func (p *Pool) Run(outs []*tensor.Tensor, inputs ...*tensor.Tensor) error {
	var s *Session
	select {
	case s = <-p.free:
	default:
		s = p.m.NewSessionWith(SessionOptions{Threads: 1})
	}
	res, err := s.Run(inputs...)
	if err == nil {
		if len(outs) != len(res) {
			err = fmt.Errorf("nn: %d output buffers for %d outputs: %w", len(outs), len(res), ErrInput)
		}
		for i := 0; err == nil && i < len(res); i++ {
			err = outs[i].CopyFrom(res[i])
		}
	}
	select {
	case p.free <- s:
	default:
		s.Close()
	}
	return err
}
