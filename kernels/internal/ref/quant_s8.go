package ref

import (
	"math"
	"math/big"
)

// Scalar references of the int8 kernels: the TFLite reference-kernel
// arithmetic (gemmlowp fixed point, written the way gemmlowp writes it, with
// branches and 64-bit products) and ONNX Runtime's float arithmetic (float32
// products computed exactly in float64 and rounded once, which is what the
// float32 instructions do).

// SRDHM is gemmlowp's SaturatingRoundingDoublingHighMul.
func SRDHM(a, b int32) int32 {
	overflow := a == b && a == math.MinInt32
	ab := int64(a) * int64(b)
	var nudge int64 = 1 << 30
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	hi := (ab + nudge) / (int64(1) << 31)
	if overflow {
		return math.MaxInt32
	}
	return int32(hi)
}

// RDBPOT is gemmlowp's RoundingDivideByPOT.
func RDBPOT(x int32, exponent int) int32 {
	mask := int64(1)<<exponent - 1
	rem := int64(x) & mask
	thr := mask >> 1
	if x < 0 {
		thr++
	}
	r := int64(x) >> exponent
	if rem > thr {
		r++
	}
	return int32(r)
}

// MBQM is TFLite's MultiplyByQuantizedMultiplier (double rounding).
func MBQM(x, mult int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	return RDBPOT(SRDHM(int32(int64(x)*(int64(1)<<left)), mult), right)
}

// MulF32 is the float32 product a·b, correctly rounded.
func MulF32(a, b float32) float32 { return float32(float64(a) * float64(b)) }

// FMAF32 is the float32 fused multiply-add a·b+c rounded once, computed
// exactly with math/big (300 bits hold any float32 product plus addend).
func FMAF32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(300).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(300).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(300).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

// RoundHalfEven rounds to nearest, ties to even.
func RoundHalfEven(v float64) float64 { return math.RoundToEven(v) }

// Requant is the reference requantization (see kernels.Requant).
type Requant struct {
	Float    bool
	Mult     []int32
	Shift    []int32
	Scale    []float32
	Zero     int32
	Min, Max int32
}

func pick[T any](s []T, c int) T {
	if len(s) == 1 {
		return s[0]
	}
	return s[c]
}

// Apply requantizes acc of output channel c.
func (r *Requant) Apply(acc int32, c int) int8 {
	var v int64
	if r.Float {
		f := MulF32(float32(acc), pick(r.Scale, c))
		v = int64(RoundHalfEven(float64(f))) + int64(r.Zero)
	} else {
		v = int64(MBQM(acc, pick(r.Mult, c), int(pick(r.Shift, c)))) + int64(r.Zero)
	}
	return int8(min(max(v, int64(r.Min)), int64(r.Max)))
}

// ConvS8 is the reference int8 2-D grouped convolution, NHWC/OHWI as
// kernels.ConvGeom describes it:
//
//	acc = bias[oc] + Σ_{taps inside the input, ci} (x − xZero)·(w − wZero[oc])
//	y = requant(acc, oc)
//
// Taps in the padding contribute nothing (they hold the zero point).
// wZero and bias may be nil (zero); wZero may hold one value.
func ConvS8(n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, padT, padL, groups int,
	x []int8, xZero int32, wt []int8, wZero []int32, bias []int32, rq *Requant, y []int8) {
	cg, ocg := c/groups, oc/groups
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for o := 0; o < oc; o++ {
					g := o / ocg
					var acc int64
					if bias != nil {
						acc = int64(bias[o])
					}
					var wz int32
					if wZero != nil {
						wz = pick(wZero, o)
					}
					for ky := 0; ky < kh; ky++ {
						iy := oy*sh - padT + ky*dh
						if iy < 0 || iy >= h {
							continue
						}
						for kx := 0; kx < kw; kx++ {
							ix := ox*sw - padL + kx*dw
							if ix < 0 || ix >= w {
								continue
							}
							for ci := 0; ci < cg; ci++ {
								xv := int64(x[((b*h+iy)*w+ix)*c+g*cg+ci]) - int64(xZero)
								wv := int64(wt[((o*kh+ky)*kw+kx)*cg+ci]) - int64(wz)
								acc += xv * wv
							}
						}
					}
					y[((b*oh+oy)*ow+ox)*oc+o] = rq.Apply(int32(acc), o)
				}
			}
		}
	}
}

// DenseS8 is the reference int8 fully connected layer / matrix product with
// B [K][N] row-major:
//
//	y[m][n] = requant(bias[n] + Σ_k (x[m][k] − xZero)·(w[k][n] − wZero[n]), n)
func DenseS8(M, K, N int, x []int8, xZero int32, w []int8, wZero []int32, bias []int32, rq *Requant, y []int8) {
	for m := 0; m < M; m++ {
		for n := 0; n < N; n++ {
			var acc int64
			if bias != nil {
				acc = int64(bias[n])
			}
			var wz int32
			if wZero != nil {
				wz = pick(wZero, n)
			}
			for k := 0; k < K; k++ {
				acc += (int64(x[m*K+k]) - int64(xZero)) * (int64(w[k*N+n]) - int64(wz))
			}
			y[m*N+n] = rq.Apply(int32(acc), n)
		}
	}
}

// AvgPool2DS8 is TFLite's int8 AVERAGE_POOL_2D (reference_integer_ops):
// the sum of the window elements inside the input, in the model's domain
// (x + offset), divided by their count rounding half away from zero, clamped
// to [lo, hi] (model domain), shifted back by offset.
func AvgPool2DS8(n, h, w, c, oh, ow, kh, kw, sh, sw, padT, padL int, x []int8, y []int8, offset, lo, hi int32) {
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for ch := 0; ch < c; ch++ {
					var acc, cnt int32
					for ky := 0; ky < kh; ky++ {
						iy := oy*sh - padT + ky
						if iy < 0 || iy >= h {
							continue
						}
						for kx := 0; kx < kw; kx++ {
							ix := ox*sw - padL + kx
							if ix < 0 || ix >= w {
								continue
							}
							acc += int32(x[((b*h+iy)*w+ix)*c+ch]) + offset
							cnt++
						}
					}
					var v int32
					if cnt > 0 {
						if acc > 0 {
							v = (acc + cnt/2) / cnt
						} else {
							v = (acc - cnt/2) / cnt
						}
					}
					v = min(max(v, lo), hi)
					y[((b*oh+oy)*ow+ox)*c+ch] = int8(v - offset)
				}
			}
		}
	}
}

// MaxPool2DS8 is the int8 max pooling (padding never wins; an empty window
// gives -128).
func MaxPool2DS8(n, h, w, c, oh, ow, kh, kw, sh, sw, padT, padL int, x []int8, y []int8) {
	for b := 0; b < n; b++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				for ch := 0; ch < c; ch++ {
					m := int8(-128)
					for ky := 0; ky < kh; ky++ {
						iy := oy*sh - padT + ky
						if iy < 0 || iy >= h {
							continue
						}
						for kx := 0; kx < kw; kx++ {
							ix := ox*sw - padL + kx
							if ix < 0 || ix >= w {
								continue
							}
							m = max(m, x[((b*h+iy)*w+ix)*c+ch])
						}
					}
					y[((b*oh+oy)*ow+ox)*c+ch] = m
				}
			}
		}
	}
}

// GlobalAvgPoolS8 averages over HW per image and channel. acc = Σ (x − xZero);
// ORT (float): y = requant(acc) with the scale xs/(ys·HW); TFLite MEAN
// (fixed): t = MBQM(acc), t = t/HW rounded half away from zero, y = clamp(t + zero).
func GlobalAvgPoolS8(N, HW, C int, x []int8, xZero int32, rq *Requant, y []int8) {
	for b := 0; b < N; b++ {
		for ch := 0; ch < C; ch++ {
			var acc int32
			for p := 0; p < HW; p++ {
				acc += int32(x[(b*HW+p)*C+ch]) - xZero
			}
			if rq.Float {
				y[b*C+ch] = rq.Apply(acc, 0)
				continue
			}
			t := MBQM(acc, rq.Mult[0], int(rq.Shift[0]))
			n := int32(HW)
			if t > 0 {
				t = (t + n/2) / n
			} else {
				t = (t - n/2) / n
			}
			t += rq.Zero
			y[b*C+ch] = int8(min(max(t, rq.Min), rq.Max))
		}
	}
}

// QuantizeS8 is the float→int8 quantization: x/scale in float32, rounded
// half to even (ORT) or half away from zero (TFLite), plus zero, saturated;
// NaN gives -128.
func QuantizeS8(halfEven bool, x []float32, scale float32, zero int32, y []int8) {
	for i, v := range x {
		q := float64(float32(float64(v) / float64(scale))) // correctly rounded float32 quotient
		if math.IsNaN(q) {
			y[i] = -128
			continue
		}
		var r float64
		if halfEven {
			r = math.RoundToEven(q)
		} else {
			r = math.Round(q)
		}
		r += float64(zero)
		y[i] = int8(math.Min(math.Max(r, -128), 127))
	}
}

// AddFixedS8 is TFLite's int8 ADD of one pair (reference_integer_ops::AddFunc).
func AddFixedS8(a, b int8, aZero, bZero, leftShift, aMult, aShift, bMult, bShift, outMult, outShift, outZero, lo, hi int32) int8 {
	av := (int32(a) - aZero) * (1 << leftShift)
	bv := (int32(b) - bZero) * (1 << leftShift)
	sa := MBQM(av, aMult, int(aShift))
	sb := MBQM(bv, bMult, int(bShift))
	out := MBQM(sa+sb, outMult, int(outShift)) + outZero
	return int8(min(max(out, lo), hi))
}

// MulFixedS8 is TFLite's int8 MUL of one pair (reference_integer_ops::MulElementwise).
func MulFixedS8(a, b int8, aZero, bZero, outMult, outShift, outZero, lo, hi int32) int8 {
	p := (int32(a) - aZero) * (int32(b) - bZero)
	out := MBQM(p, outMult, int(outShift)) + outZero
	return int8(min(max(out, lo), hi))
}

// cvtps is x86 CVTPS2DQ: round half to even, INT32_MIN for NaN and out of range.
func cvtps(v float32) int64 {
	if !(v > -2147483648.0 && v < 2147483648.0) {
		return math.MinInt32
	}
	return int64(math.RoundToEven(float64(v)))
}

// AddFloatS8 is ONNX Runtime's QLinearAdd of one pair on x86 (MLAS AVX2):
// the model's values are x + offset, y = sat(cvt(fma(a, ra, fma(b, rb, fixed)))).
func AddFloatS8(a, b int8, ra, rb, fixed float32, offset int32) int8 {
	av := float32(int32(a) + offset)
	bv := float32(int32(b) + offset)
	r := cvtps(FMAF32(av, ra, FMAF32(bv, rb, fixed)))
	r = min(max(r, int64(-128+offset)), int64(127+offset))
	return int8(r - int64(offset))
}

// MulFloatS8 is ONNX Runtime's QLinearMul of one pair on x86 (MLAS SSE2):
// y = sat(cvt(float32(prod)·ratio + czero)), prod = (a − aZero)(b − bZero).
func MulFloatS8(a, b int8, aZero, bZero int32, ratio, cZero float32, offset int32) int8 {
	p := (int32(a) - aZero) * (int32(b) - bZero)
	v := float32(float64(MulF32(float32(p), ratio)) + float64(cZero))
	r := cvtps(v)
	r = min(max(r, int64(-128+offset)), int64(127+offset))
	return int8(r - int64(offset))
}

// BroadcastS8 applies f elementwise with numpy broadcasting (shapes
// right-aligned; yshape is the broadcast shape).
func BroadcastS8(a []int8, ashape []int, b []int8, bshape []int, y []int8, yshape []int, f func(a, b int8) int8) {
	r := len(yshape)
	pos := make([]int, r)
	n := prod(yshape)
	idx := func(shape []int) int {
		off := r - len(shape)
		i := 0
		for d, s := range shape {
			p := pos[off+d]
			if s == 1 {
				p = 0
			}
			i = i*s + p
		}
		return i
	}
	for i := 0; i < n; i++ {
		unflatten(i, yshape, pos)
		y[i] = f(a[idx(ashape)], b[idx(bshape)])
	}
}

// SoftmaxS8 is TFLite's int8 softmax as its optimized kernel computes it on
// x86 (float table of exp(-input_scale·beta·d) for d = max − x, float32
// sum in order, probabilities scaled by 1/(sum·output_scale) and rounded
// half away from zero), over rows of length n.
func SoftmaxS8(rows, n int, x []int8, inScale, beta, outScale float32, outZero int32, y []int8) {
	scale := -inScale * beta
	var table [256]float32
	for d := 0; d < 256; d++ {
		table[d] = float32(math.Exp(float64(float32(scale * float32(d)))))
	}
	for r := 0; r < rows; r++ {
		xr, yr := x[r*n:(r+1)*n], y[r*n:(r+1)*n]
		mx := int32(-128)
		for _, v := range xr {
			mx = max(mx, int32(v))
		}
		var sum float32
		for _, v := range xr {
			sum += table[mx-int32(v)]
		}
		inv := 1 / (sum * outScale)
		for j, v := range xr {
			p := table[mx-int32(v)] * inv
			q := int32(math.Round(float64(p))) + outZero
			yr[j] = int8(min(max(q, -128), 127))
		}
	}
}
