package ops

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/nn/tensor"
)

// TestQuantizeHalfEvenFastPath compares the per-tensor float → int8/uint8
// fast path of quantizeOp.Run with its general loop on random values,
// exact ties (k + 0.5 quanta), values beyond the range, ±Inf and NaN
// (which gives the low bound, as in ONNX Runtime's MLAS).
func TestQuantizeHalfEvenFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	scale := float32(0.0173)
	var x []float32
	for i := 0; i < 4000; i++ {
		x = append(x, float32(r.NormFloat64()*3))
	}
	for k := -300; k <= 300; k++ {
		x = append(x, (float32(k)+0.5)*scale, float32(k)*scale)
	}
	x = append(x, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, float32(math.Copysign(0, -1)), 1e30, -1e30)
	for _, dt := range []tensor.DType{tensor.Int8, tensor.Uint8} {
		for _, zero := range []int32{-128, -3, 0, 17, 127, 200, 255} {
			lo, hi := int32(-128), int32(127)
			if dt == tensor.Uint8 {
				lo, hi = 0, 255
			}
			if zero < lo || zero > hi {
				continue
			}
			o := &quantizeOp{fromFloat: true, scale: []float32{scale}, zero: []int32{zero}, channels: 1, inner: 1,
				lo: lo, hi: hi, halfEven: true}
			in := &tensor.Tensor{DType: tensor.Float32, Shape: []int{len(x)}, F32: x}
			fast := &tensor.Tensor{DType: dt, Shape: []int{len(x)}, I8: make([]int8, len(x)), U8: make([]uint8, len(x))}
			o.Run(nil, []*tensor.Tensor{in}, []*tensor.Tensor{fast})
			slow := &tensor.Tensor{DType: dt, Shape: []int{len(x)}, I8: make([]int8, len(x)), U8: make([]uint8, len(x))}
			o.channels = 2 // forces the general loop (inner = len(x): channel 0 only)
			o.scale, o.zero = []float32{scale, scale}, []int32{zero, zero}
			o.inner = len(x)
			o.Run(nil, []*tensor.Tensor{in}, []*tensor.Tensor{slow})
			for i := range x {
				if x[i] != x[i] {
					var q int32
					if dt == tensor.Int8 {
						q = int32(fast.I8[i])
					} else {
						q = int32(fast.U8[i])
					}
					if q != lo {
						t.Errorf("%v zero %d: NaN → %d, want %d (MLAS)", dt, zero, q, lo)
					}
				}
				var a, b int32
				if dt == tensor.Int8 {
					a, b = int32(fast.I8[i]), int32(slow.I8[i])
				} else {
					a, b = int32(fast.U8[i]), int32(slow.U8[i])
				}
				if a != b {
					t.Fatalf("%v zero %d: x=%v: fast %d, general %d", dt, zero, x[i], a, b)
				}
			}
		}
	}
}
