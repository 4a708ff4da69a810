package ptq

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/nn/tensor"
)

// TestChecker: the float model against itself agrees on every row with no
// error; the quantized smallNet differs a little (error above zero, well
// under the output's size) and the counts follow the samples added.
func TestChecker(t *testing.T) {
	cfg := DefaultConfig()
	cfg.FloatActivations, cfg.RangeSearch = 0, false
	prep, q, _, samples := quantizeSmallNet(t, cfg)
	c := calibrate(t, prep, samples...)
	rng := rand.New(rand.NewSource(9))
	var held []*tensor.Tensor
	for i := 0; i < 12; i++ {
		held = append(held, randInput(rng, -1, 1, 1, 3, 12, 12))
	}
	check := func(name string, k *Checker) Agreement {
		t.Helper()
		defer k.Close()
		for _, x := range held {
			if err := k.Add(x); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		a := k.Agreement()
		if a.Samples != len(held) || a.Rows != len(held) {
			t.Errorf("%s: %d samples, %d rows; want %d of each (logits [1, 5])", name, a.Samples, a.Rows, len(held))
		}
		if a.FloatRMS <= 0 {
			t.Errorf("%s: float output RMS %g", name, a.FloatRMS)
		}
		return a
	}
	k, err := c.NewChecker(prep)
	if err != nil {
		t.Fatal(err)
	}
	if a := check("float vs float", k); a.Top1 != a.Rows || a.RMS != 0 {
		t.Errorf("float vs float: %v; want every row and no error", a)
	}
	if k, err = c.NewChecker(q); err != nil {
		t.Fatal(err)
	}
	a := check("int8 vs float", k)
	t.Logf("int8 vs float: %v", a)
	if a.RMS <= 0 || a.RMS > 0.1*a.FloatRMS || a.Top1 < a.Rows/2 {
		t.Errorf("int8 vs float: %v; want a small nonzero error and most rows agreeing", a)
	}
	if s := a.String(); !strings.Contains(s, "top-1 agreement with the float model") {
		t.Errorf("String() = %q", s)
	}
	if s := (Agreement{}).String(); s != "no samples compared" {
		t.Errorf("empty String() = %q", s)
	}
}
