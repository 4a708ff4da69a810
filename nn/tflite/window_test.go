package tflite

import (
	"errors"
	"strings"
	"testing"

	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
	"github.com/ocellus/ocellus/nn/tflite/tflitetest"
)

// TestImportWindows: convolutions and pools whose window fits import; a
// VALID window larger than its input and an unknown padding scheme are
// refused with ErrInvalid, naming the padding and the shapes.
func TestImportWindows(t *testing.T) {
	// model is a 5×5×2 input → 2-channel conv (k×k, stride 1) → pool (k×k).
	model := func(convPad, poolPad fb.Padding, k int) []byte {
		m := tflitetest.NewModel()
		f := fb.TypeFloat32
		x := m.Tensor("input", f, 1, 5, 5, 2)
		m.Inputs = []int32{x}
		w := m.ConstF32("w", make([]float32, 2*k*k*2), 2, k, k, 2)
		c := m.Tensor("conv", f, 1, 5, 5, 2)
		m.Op(fb.OpConv2D, []int32{x, w}, []int32{c}, fb.OptionsConv2D,
			fbtest.Tbl().I8(0, int8(convPad)).I32(1, 1).I32(2, 1))
		p := m.Tensor("pool", f, 1, 5, 5, 2)
		m.Op(fb.OpAveragePool2D, []int32{c}, []int32{p}, fb.OptionsPool2D,
			fbtest.Tbl().I8(0, int8(poolPad)).I32(1, 1).I32(2, 1).I32(3, int32(k)).I32(4, int32(k)))
		m.Outputs = []int32{p}
		return m.Bytes()
	}
	if _, err := Import(model(fb.PaddingSame, fb.PaddingSame, 3)); err != nil {
		t.Errorf("SAME 3×3: %v", err)
	}
	for _, c := range []struct {
		name             string
		convPad, poolPad fb.Padding
		k                int
		want             []string
	}{
		{"VALID conv 7×7 on 5×5", fb.PaddingValid, fb.PaddingSame, 7, []string{"VALID window 7x7", "[1 5 5 2]"}},
		{"unknown conv padding", fb.Padding(5), fb.PaddingSame, 3, []string{"padding Padding(5): want SAME or VALID"}},
		{"unknown pool padding", fb.PaddingSame, fb.Padding(9), 3, []string{"padding Padding(9): want SAME or VALID"}},
	} {
		_, err := Import(model(c.convPad, c.poolPad, c.k))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
			continue
		}
		t.Logf("%s: %v", c.name, err)
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", c.name, err, w)
			}
		}
	}
}
