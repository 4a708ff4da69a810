package nn_test

import (
	"errors"
	"math/rand"
	"sync"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/opt"
	"github.com/ocellus/ocellus/nn/tensor"
)

func loadShared(t testing.TB, name string, o *opt.Options) *nn.Model {
	t.Helper()
	m, err := nn.Load(fixture.Path(t, "models", "onnx", name), &nn.LoadOptions{Optimize: o})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomInput(seed int64, spec nn.IOSpec) *tensor.Tensor {
	r := rand.New(rand.NewSource(seed))
	x := tensor.New(spec.DType, spec.Shape...)
	for i := range x.F32 {
		x.F32[i] = float32(r.Float64()*2 - 1)
	}
	return x
}

func TestSessionSteadyStateAllocatesNothing(t *testing.T) {
	m := loadShared(t, "mobilenet_v3_small_random.onnx", nil)
	s := m.NewSession()
	x := randomInput(1, m.Inputs()[0])
	if _, err := s.Run(x); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := s.Run(x); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("steady-state Run allocates %.0f times", allocs)
	}
}

func TestInputLayoutIsNHWCInside(t *testing.T) {
	m := loadShared(t, "mobilenet_v2_random.onnx", nil)
	in := m.Inputs()[0]
	if got := in.PhysShape(); len(got) != 4 || got[3] != 3 || in.Perm == nil {
		t.Fatalf("input %q: internal shape %v perm %v, want NHWC [1 224 224 3]", in.Name, got, in.Perm)
	}
	// Every op of the compiled graph is layout-native: no transposes.
	st := m.Stats()
	if st.Nodes["Transpose"] != 0 {
		t.Fatalf("compiled graph still has %d transposes: %v", st.Nodes["Transpose"], st.Nodes)
	}
	if st.Nodes["BatchNorm"] != 0 {
		t.Fatalf("batch norms not folded: %v", st.Nodes)
	}
	// Filling the internal NHWC buffer directly gives the same result as Run.
	x := randomInput(2, in)
	s := m.NewSession()
	want, err := s.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	ref := want[0].Clone()
	nhwc := s.Input(0)
	shape := in.Shape // N C H W
	for c := 0; c < shape[1]; c++ {
		for h := 0; h < shape[2]; h++ {
			for w := 0; w < shape[3]; w++ {
				nhwc.F32[(h*shape[3]+w)*shape[1]+c] = x.F32[(c*shape[2]+h)*shape[3]+w]
			}
		}
	}
	got := s.RunInPlace()
	for i := range ref.F32 {
		if got[0].F32[i] != ref.F32[i] {
			t.Fatalf("RunInPlace differs from Run at %d: %g vs %g", i, got[0].F32[i], ref.F32[i])
		}
	}
}

// TestRewritesPreserveResults runs each shared model with and without the
// graph rewrites (BN folding, pad and activation fusion).
func TestRewritesPreserveResults(t *testing.T) {
	for _, name := range []string{"efficientnet_b0_random.onnx", "mobilenet_v3_small_random.onnx", "st_mobilenet_v2_0.35_128_flowers.onnx"} {
		t.Run(name, func(t *testing.T) {
			none := opt.Options{}
			plain := loadShared(t, name, &none)
			fast := loadShared(t, name, nil)
			ps, fs := plain.Stats(), fast.Stats()
			if len(fast.Graph().Nodes) >= len(plain.Graph().Nodes) {
				t.Fatalf("rewrites removed nothing: %d nodes before, %d after", len(plain.Graph().Nodes), len(fast.Graph().Nodes))
			}
			t.Logf("nodes %d → %d; %v → %v", len(plain.Graph().Nodes), len(fast.Graph().Nodes), ps.Nodes, fs.Nodes)
			x := randomInput(3, plain.Inputs()[0])
			a, err := plain.NewSession().Run(x)
			if err != nil {
				t.Fatal(err)
			}
			b, err := fast.NewSession().Run(x)
			if err != nil {
				t.Fatal(err)
			}
			var maxAbs, maxDiff float64
			for i := range a[0].F32 {
				maxAbs = max(maxAbs, abs64(float64(a[0].F32[i])))
				maxDiff = max(maxDiff, abs64(float64(a[0].F32[i]-b[0].F32[i])))
			}
			if maxDiff > 1e-4*maxAbs {
				t.Fatalf("rewritten graph differs: max diff %g (max |y| %g)", maxDiff, maxAbs)
			}
		})
	}
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestPoolConcurrentRuns(t *testing.T) {
	m := loadShared(t, "mnist-8.onnx", nil)
	p := nn.NewPool(m, 2)
	var inputs []*tensor.Tensor
	var want [][]float32
	s := m.NewSession()
	for i := 0; i < 8; i++ {
		x := randomInput(int64(10+i), m.Inputs()[0])
		y, err := s.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, x)
		want = append(want, append([]float32(nil), y[0].F32...))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			out := []*tensor.Tensor{tensor.New(tensor.Float32, m.Outputs()[0].Shape...)}
			for r := 0; r < 16; r++ {
				i := (g + r) % len(inputs)
				if err := p.Run(out, inputs[i]); err != nil {
					errs <- err
					return
				}
				for j, v := range out[0].F32 {
					if v != want[i][j] {
						errs <- errors.New("concurrent run gave a different result")
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestRunRejectsBadInputs(t *testing.T) {
	m := loadShared(t, "mnist-8.onnx", nil)
	s := m.NewSession()
	cases := map[string][]*tensor.Tensor{
		"none":        nil,
		"wrong shape": {tensor.New(tensor.Float32, 1, 1, 28, 27)},
		"wrong dtype": {tensor.New(tensor.Int64, 1, 1, 28, 28)},
		"too many":    {tensor.New(tensor.Float32, 1, 1, 28, 28), tensor.New(tensor.Float32, 1)},
		"nil":         {nil},
	}
	for name, in := range cases {
		if _, err := s.Run(in...); !errors.Is(err, nn.ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", name, err)
		}
	}
}

func TestRunObserveSeesEveryNode(t *testing.T) {
	m := loadShared(t, "mnist-8.onnx", nil)
	s := m.NewSession()
	x := randomInput(4, m.Inputs()[0])
	seen := map[string]int{}
	var last []float32
	res, err := s.RunObserve(func(name string, v *tensor.Tensor) {
		seen[name] = v.Len()
		last = append(last[:0], v.F32...)
	}, x)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(m.Graph().Nodes) {
		t.Fatalf("observed %d tensors for %d nodes", len(seen), len(m.Graph().Nodes))
	}
	if seen["Plus214_Output_0"] != 10 {
		t.Fatalf("the output logits were not observed under their ONNX name: %v", seen)
	}
	for i, v := range res[0].F32 {
		if last[i] != v {
			t.Fatalf("last observed tensor differs from the output at %d", i)
		}
	}
}

// TestThreadsGiveIdenticalResults runs a model with 1, 2 and 3 threads:
// the outputs must be bit-identical, and steady state allocation-free.
func TestThreadsGiveIdenticalResults(t *testing.T) {
	m := loadShared(t, "mobilenet_v3_small_random.onnx", nil)
	x := randomInput(5, m.Inputs()[0])
	var ref []float32
	for _, threads := range []int{1, 2, 3} {
		s := m.NewSessionWith(nn.SessionOptions{Threads: threads})
		if s.Threads() != threads {
			t.Fatalf("session has %d threads, want %d", s.Threads(), threads)
		}
		out, err := s.Run(x)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref = append([]float32(nil), out[0].F32...)
		} else {
			for i, v := range out[0].F32 {
				if v != ref[i] {
					t.Fatalf("%d threads: output %d = %g, 1 thread gave %g", threads, i, v, ref[i])
				}
			}
		}
		if allocs := testing.AllocsPerRun(3, func() { s.Run(x) }); allocs != 0 {
			t.Fatalf("%d threads: %.0f allocations per run", threads, allocs)
		}
		s.Close()
		s.Close() // idempotent
		if _, err := s.Run(x); err != nil {
			t.Fatalf("a closed session must still run (single-threaded): %v", err)
		}
	}
}
