package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// Shared helpers of the compute-kernel tests (prefixed ck to stay clear of
// the tensor_* tests in the same package).

// ckRNG returns a seeded generator and logs the seed; OCELLUS_SEED replays.
func ckRNG(t testing.TB) *rand.Rand {
	seed := uint64(rand.Int64())
	if s := os.Getenv("OCELLUS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("OCELLUS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with OCELLUS_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, 0x0ce11a5))
}

func ckRand(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

func ckAbs(s []float32) []float32 {
	if s == nil {
		return nil
	}
	a := make([]float32, len(s))
	for i, v := range s {
		a[i] = float32(math.Abs(float64(v)))
	}
	return a
}

// ckGuard is an output buffer with sentinel guards on both sides and an
// alignment offset, so writes outside the output are caught.
type ckGuard struct {
	buf      []float32
	off, n   int
	sentinel float32
}

const ckGuardLen = 17

func newCKGuard(n, align int) *ckGuard {
	g := &ckGuard{buf: make([]float32, n+2*ckGuardLen+align), off: ckGuardLen + align, n: n, sentinel: -7.8125e19}
	for i := range g.buf {
		g.buf[i] = g.sentinel
	}
	return g
}

// out is the output slice, with capacity ending at its length.
func (g *ckGuard) out() []float32 { return g.buf[g.off : g.off+g.n : g.off+g.n] }

func (g *ckGuard) check(t testing.TB, name string) {
	t.Helper()
	for i, v := range g.buf {
		if (i < g.off || i >= g.off+g.n) && math.Float32bits(v) != math.Float32bits(g.sentinel) {
			t.Fatalf("%s: guard element %d (output is [%d, %d)) overwritten with %v", name, i, g.off, g.off+g.n, v)
		}
	}
}

// ckRefAct converts an Act to the reference package's description.
func ckRefAct(a Act) ref.Act {
	return ref.Act{Kind: int(a.Kind), Min: float64(a.Min), Max: float64(a.Max),
		Alpha: float64(a.Alpha), Beta: float64(a.Beta)}
}

// ckActs is the set of activations the kernel tests cycle through.
var ckActs = []Act{
	{}, {Kind: ActRelu}, {Kind: ActClip, Min: 0, Max: 0.5}, {Kind: ActSigmoid},
	{Kind: ActHardSigmoid, Alpha: 0.2, Beta: 0.5}, {Kind: ActHardSwish}, {Kind: ActSwish},
}

// ckCompare checks |got-want| <= rel·bound + abs element-wise, where bound
// is the reference computed on absolute values (Σ|terms|). Activations are
// at most 1.5-Lipschitz (hard-swish), which the caller folds into rel.
func ckCompare(t testing.TB, name string, got, want, bound []float32, rel, abs float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	bad := 0
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		tol := abs
		if bound != nil {
			tol += rel * float64(bound[i])
		}
		if !(math.Abs(g-w) <= tol) && !(math.IsInf(g, 0) && g == w) {
			if bad < 5 {
				t.Errorf("%s: element %d = %v, want %v (tol %.3g)", name, i, g, w, tol)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d elements out of tolerance", name, bad, len(got))
	}
}

func ckBitsEqual(t testing.TB, name string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, want bit-identical %v", name, i, got[i], want[i])
		}
	}
}

func ckName(parts ...any) string { return fmt.Sprint(parts...) }
