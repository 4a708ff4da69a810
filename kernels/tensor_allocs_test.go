package kernels

import "testing"

// TestTensorKernelsDoNotAllocate checks the steady-state no-allocation rule
// for every data-movement kernel on its main paths.
func TestTensorKernelsDoNotAllocate(t *testing.T) {
	rng := tsRNG(t)
	nchw, nhwc := []int{2, 3, 5, 7}, []int{2, 5, 7, 3}
	x := tsRandF32(rng, tsNumel(nchw))
	y := make([]float32, len(x))
	se := []int{2, 1, 1, 3}
	w := tsRandF32(rng, 6)
	perm, axes := []int{0, 2, 3, 1}, []int{1, 2}
	big := make([]float32, 2*3*8*10)
	begin, end := []int{0, 0, 1, -1}, []int{0, 1, 2, 0}
	idx, ishape := []int64{2, -1, 0}, []int{3}
	gy := make([]float32, 2*3*3*7)
	inputs, shapes := [][]float32{x, x}, [][]int{nchw, nchw}
	cat := make([]float32, 2*len(x))
	cases := map[string]func(){
		"Transpose":       func() { Transpose(x, nchw, perm, y) },
		"Transpose/gen":   func() { Transpose(x, nchw, []int{2, 0, 3, 1}, y) },
		"BinaryF32/se":    func() { BinaryF32(OpMul, x, nhwc, w, se, y, nhwc) },
		"BinaryInt":       func() { BinaryInt(OpDiv, []int32{1, 2}, []int{2}, []int32{0}, []int{1}, []int32{0, 0}, []int{2}) },
		"SoftmaxF32":      func() { SoftmaxF32(x, y, 2, 3, 35) },
		"ReduceMeanF32":   func() { ReduceMeanF32(x, nhwc, axes, y[:6]) },
		"ReduceMean/walk": func() { ReduceMeanF32(x, nchw, []int{0, 2}, y[:21]) },
		"Pad":             func() { Pad(x, nchw, begin, end, PadReflect, 0, big[:2*4*8*6]) },
		"Gather":          func() { Gather(x, nchw, 2, idx, ishape, gy[:2*3*3*7]) },
		"Concat":          func() { Concat(inputs, shapes, 1, cat) },
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(10, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}
