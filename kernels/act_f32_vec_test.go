package kernels

import (
	"math"
	"testing"
)

// TestActF32Vec runs every available activation-pass kernel on sigmoid and
// swish over rows around its step (1 … 2·Step+1 floats, 1–3 rows, padded
// row stride, guards, offsets 0–3) on values that cover the clamps of exp
// (±87.3, ±88.7), saturation, zero, tiny values, ±Inf and NaN, and compares
// with Act.Eval. Tolerance: 2e-6 relative + 1e-37 (a few float32 ulps).
func TestActF32Vec(t *testing.T) {
	r := ckRNG(t)
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-8, -1e-8, 0.5, -0.5, 3, -3, 20, -20, 80, -80, 87.3, -87.3, 87.4, -87.4,
		88.7, -88.7, 88.8, -88.8, 100, -100, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for i := range actF32Impls {
		im := &actF32Impls[i]
		if !im.Available() {
			t.Logf("%s: not available on this CPU", im.Name)
			continue
		}
		for _, a := range []Act{{Kind: ActSigmoid}, {Kind: ActSwish}} {
			for _, n := range []int{1, im.Step - 1, im.Step, im.Step + 1, 2*im.Step + 1, 3 * im.Step, 40} {
				if n < 1 {
					continue
				}
				for _, rows := range []int{1, 3} {
					ld := n + 2
					name := ckName(im.Name, " ", a, " n=", n, " rows=", rows)
					gd := newCKGuard((rows-1)*ld+n, (n+rows)%4)
					x := gd.out()
					for j := range x {
						x[j] = float32(r.NormFloat64() * 8)
						if r.IntN(4) == 0 {
							x[j] = special[r.IntN(len(special))]
						}
					}
					in := append([]float32(nil), x...)
					im.applyRows(a, x, rows, n, ld)
					gd.check(t, name)
					for row := 0; row < rows; row++ {
						for j := 0; j < ld && row*ld+j < len(x); j++ {
							k := row*ld + j
							if j >= n { // row padding stays untouched
								if math.Float32bits(x[k]) != math.Float32bits(in[k]) {
									t.Fatalf("%s: padding (%d, %d) changed", name, row, j)
								}
								continue
							}
							got, want := float64(x[k]), float64(a.Eval(in[k]))
							if math.IsNaN(want) || math.IsNaN(got) {
								if math.IsNaN(want) != math.IsNaN(got) {
									t.Fatalf("%s: f(%v) = %v, want %v", name, in[k], got, want)
								}
								continue
							}
							if !(math.Abs(got-want) <= 2e-6*math.Abs(want)+1e-37) && got != want {
								t.Fatalf("%s: f(%v) = %v, want %v", name, in[k], got, want)
							}
						}
					}
				}
			}
		}
	}
}
