package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// Shared helpers of the int8 kernel tests (prefixed q).

func qRandS8(r *rand.Rand, n int) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(r.IntN(256) - 128)
	}
	return s
}

func qRandI32(r *rand.Rand, n int, lim int32) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = r.Int32N(2*lim+1) - lim
	}
	return s
}

// qMultiplier splits a positive real multiplier into a Q31 multiplier and a
// shift (TFLite's QuantizeMultiplier, kept local: nn/quant imports kernels).
func qMultiplier(real float64) (int32, int32) {
	f, e := math.Frexp(real)
	q := int64(math.Round(f * (1 << 31)))
	if q == 1<<31 {
		q /= 2
		e++
	}
	if e < -31 {
		return 0, 0
	}
	return int32(q), int32(e)
}

// qRequant draws a requantization for n channels whose real scales are
// around scale (per channel or per tensor), with a random zero point and
// sometimes an activation clamp.
func qRequant(r *rand.Rand, mode RequantMode, n int, scale float64) (Requant, ref.Requant) {
	k := n
	if r.IntN(3) == 0 {
		k = 1
	}
	rq := Requant{Mode: mode, ZeroPoint: r.Int32N(256) - 128, Min: -128, Max: 127}
	switch r.IntN(4) {
	case 0:
		rq.Min = rq.ZeroPoint // relu
	case 1:
		rq.Min, rq.Max = -100+r.Int32N(50), 60+r.Int32N(60)
	}
	for i := 0; i < k; i++ {
		s := scale * math.Exp2(r.Float64()*2-1)
		if mode == RequantFloat {
			rq.Scale = append(rq.Scale, float32(s))
		} else {
			m, sh := qMultiplier(s)
			rq.Mult = append(rq.Mult, m)
			rq.Shift = append(rq.Shift, sh)
		}
	}
	return rq, qRefRequant(rq)
}

func qRefRequant(rq Requant) ref.Requant {
	return ref.Requant{Float: rq.Mode == RequantFloat, Mult: rq.Mult, Shift: rq.Shift, Scale: rq.Scale,
		Zero: rq.ZeroPoint, Min: rq.Min, Max: rq.Max}
}

var qModes = []RequantMode{RequantFixedPoint, RequantFloat}

// qGuard is an int8 output buffer with sentinel guards on both sides and an
// alignment offset.
type qGuard struct {
	buf    []int8
	off, n int
}

const qSentinel = int8(0x5a)

func newQGuard(n, align int) *qGuard {
	g := &qGuard{buf: make([]int8, n+2*ckGuardLen+align), off: ckGuardLen + align, n: n}
	for i := range g.buf {
		g.buf[i] = qSentinel
	}
	return g
}

func (g *qGuard) out() []int8 { return g.buf[g.off : g.off+g.n : g.off+g.n] }

func (g *qGuard) check(t testing.TB, name string) {
	t.Helper()
	for i, v := range g.buf {
		if (i < g.off || i >= g.off+g.n) && v != qSentinel {
			t.Fatalf("%s: guard element %d (output is [%d, %d)) overwritten with %d", name, i, g.off, g.off+g.n, v)
		}
	}
}

// qByteGuard is a scratch buffer with guards.
type qByteGuard struct {
	buf []byte
	n   int
}

func newQByteGuard(n int) *qByteGuard {
	g := &qByteGuard{buf: make([]byte, n+2*ckGuardLen), n: n}
	for i := range g.buf {
		g.buf[i] = 0xa5
	}
	return g
}

func (g *qByteGuard) out() []byte { return g.buf[ckGuardLen : ckGuardLen+g.n : ckGuardLen+g.n] }

func (g *qByteGuard) check(t testing.TB, name string) {
	t.Helper()
	for i, v := range g.buf {
		if (i < ckGuardLen || i >= ckGuardLen+g.n) && v != 0xa5 {
			t.Fatalf("%s: scratch guard byte %d overwritten", name, i)
		}
	}
}

func qEqual(t testing.TB, name string, got, want []int8) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	bad := 0
	for i := range got {
		if got[i] != want[i] {
			if bad < 5 {
				t.Errorf("%s: element %d = %d, want %d", name, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d elements differ", name, bad, len(got))
	}
}

// qHistogramSpread fails when the outputs are almost all one value (a test
// whose scales saturate everything would prove little).
func qSpread(t testing.TB, name string, y []int8) {
	t.Helper()
	if len(y) < 64 {
		return
	}
	var seen [256]bool
	distinct := 0
	for _, v := range y {
		if !seen[uint8(v)] {
			seen[uint8(v)] = true
			distinct++
		}
	}
	if distinct < 4 {
		t.Errorf("%s: only %d distinct output values in %d: test scales are off", name, distinct, len(y))
	}
}
