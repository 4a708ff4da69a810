package ref

import "math"

// MaxPoolND is the reference N-d max pooling, channels last
// (x [n][in…][c], y [n][out…][c]). Padding never wins. If indices is not
// nil it receives, per output element, the flat index of the chosen input in
// the logical NCHW… layout, ((b·c + ch)·in[0] + i0)·in[1] + i1 …; ties go to
// the first element in window scan order. A window with no input element
// gives -Inf and index -1.
func MaxPoolND(n, c int, in, out, kernel, stride, dilation, padBegin []int,
	x, y []float32, indices []int64) {
	nd := len(in)
	inSize, outSize, kSize := prod(in), prod(out), prod(kernel)
	opos := make([]int, nd)
	kpos := make([]int, nd)
	for b := 0; b < n; b++ {
		for op := 0; op < outSize; op++ {
			unflatten(op, out, opos)
			for ch := 0; ch < c; ch++ {
				best, bestIdx := math.Inf(-1), -1
				for kp := 0; kp < kSize; kp++ {
					unflatten(kp, kernel, kpos)
					ip, ok := 0, true
					for d := 0; d < nd; d++ {
						i := opos[d]*stride[d] - padBegin[d] + kpos[d]*dilation[d]
						if i < 0 || i >= in[d] {
							ok = false
							break
						}
						ip = ip*in[d] + i
					}
					if !ok {
						continue
					}
					v := float64(x[(b*inSize+ip)*c+ch])
					if bestIdx < 0 || v > best {
						best, bestIdx = v, ip
					}
				}
				o := (b*outSize+op)*c + ch
				y[o] = float32(best)
				if indices != nil {
					if bestIdx < 0 {
						indices[o] = -1
					} else {
						indices[o] = int64((b*c+ch)*inSize + bestIdx)
					}
				}
			}
		}
	}
}

// AvgPoolND is the reference N-d average pooling with ONNX semantics: the
// divisor counts the window positions inside the input
// (countIncludePad=false) or inside the padded extent
// [−padBegin, in+padEnd) (true); positions beyond that never count. A window
// with a zero divisor gives 0.
func AvgPoolND(n, c int, in, out, kernel, stride, dilation, padBegin, padEnd []int,
	x, y []float32, countIncludePad bool) {
	nd := len(in)
	inSize, outSize, kSize := prod(in), prod(out), prod(kernel)
	opos := make([]int, nd)
	kpos := make([]int, nd)
	for b := 0; b < n; b++ {
		for op := 0; op < outSize; op++ {
			unflatten(op, out, opos)
			for ch := 0; ch < c; ch++ {
				sum, cnt := 0.0, 0
				for kp := 0; kp < kSize; kp++ {
					unflatten(kp, kernel, kpos)
					ip, inside, padded := 0, true, true
					for d := 0; d < nd; d++ {
						i := opos[d]*stride[d] - padBegin[d] + kpos[d]*dilation[d]
						if i < -padBegin[d] || i >= in[d]+padEnd[d] {
							padded = false
						}
						if i < 0 || i >= in[d] {
							inside = false
						} else {
							ip = ip*in[d] + i
						}
					}
					if inside {
						sum += float64(x[(b*inSize+ip)*c+ch])
					}
					if inside || (countIncludePad && padded) {
						cnt++
					}
				}
				v := 0.0
				if cnt > 0 {
					v = sum / float64(cnt)
				}
				y[(b*outSize+op)*c+ch] = float32(v)
			}
		}
	}
}

// GlobalAvgPool is the reference global average: y[b][ch] = mean over hw of
// x[b][p][ch].
func GlobalAvgPool(n, hw, c int, x, y []float32) {
	for b := 0; b < n; b++ {
		for ch := 0; ch < c; ch++ {
			sum := 0.0
			for p := 0; p < hw; p++ {
				sum += float64(x[(b*hw+p)*c+ch])
			}
			y[b*c+ch] = float32(sum / float64(hw))
		}
	}
}
