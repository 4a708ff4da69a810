package kernels

import (
	"fmt"
	"math"
)

func (g *PoolGeom) mustCheckS8(name string, x, y []int8) {
	if err := g.Check(); err != nil {
		panic(err.Error())
	}
	if len(x) < g.N*g.H*g.W*g.C || len(y) < g.N*g.OH*g.OW*g.C {
		panic(fmt.Sprintf("kernels: %s x len %d (want %d), y len %d (want %d)", name,
			len(x), g.N*g.H*g.W*g.C, len(y), g.N*g.OH*g.OW*g.C))
	}
}

// poolS8Block is the channel block of the int8 pools' stack accumulators.
const poolS8Block = 64

// MaxPool2DS8 computes NHWC int8 max pooling; padding never wins and an
// empty window gives -128. It is the same in every runtime.
func MaxPool2DS8(g PoolGeom, x, y []int8) {
	g.mustCheckS8("MaxPool2DS8", x, y)
	C := g.C
	for n := 0; n < g.N; n++ {
		for oy := 0; oy < g.OH; oy++ {
			ky0, ky1 := poolTaps(oy, g.SH, g.PadT, g.KH, g.DH, g.H)
			for ox := 0; ox < g.OW; ox++ {
				kx0, kx1 := poolTaps(ox, g.SW, g.PadL, g.KW, g.DW, g.W)
				yp := y[((n*g.OH+oy)*g.OW+ox)*C:][:C]
				fillS8(yp, -128)
				for ky := ky0; ky < ky1; ky++ {
					iy := oy*g.SH - g.PadT + ky*g.DH
					for kx := kx0; kx < kx1; kx++ {
						ix := ox*g.SW - g.PadL + kx*g.DW
						xs := x[((n*g.H+iy)*g.W+ix)*C:][:len(yp)]
						for i, v := range xs {
							yp[i] = max(yp[i], v)
						}
					}
				}
			}
		}
	}
}

// AvgPool2DS8 is TFLite's int8 AVERAGE_POOL_2D (reference_integer_ops;
// input and output share their quantization): the sum of the window
// elements inside the input, divided by their count rounding half away
// from zero, clamped to [min, max]. The rounding happens in the model's
// domain x + offset: offset is 128 for a uint8 model converted to int8
// (its uint8 sums are never negative, so the rounding direction of the
// shifted sum would differ), 0 otherwise; min and max are in the int8
// domain. A window with no input element gives the clamped 0.
func AvgPool2DS8(g PoolGeom, x, y []int8, offset, min8, max8 int32) {
	AvgPool2DS8Rows(g, x, y, offset, min8, max8, 0, g.N*g.OH)
}

// AvgPool2DS8Rows is AvgPool2DS8 for output rows [r0, r1) only (row
// n·OH + oy), bit-identical to the whole run on those rows; the other rows
// of y are not touched.
func AvgPool2DS8Rows(g PoolGeom, x, y []int8, offset, min8, max8 int32, r0, r1 int) {
	g.mustCheckS8("AvgPool2DS8", x, y)
	g.mustRows("AvgPool2DS8", r0, r1)
	if offset != 0 && offset != 128 {
		panic(fmt.Sprintf("kernels: AvgPool2DS8 offset %d, want 0 or 128", offset))
	}
	if min8 < -128 || max8 > 127 || min8 > max8 {
		panic(fmt.Sprintf("kernels: AvgPool2DS8 clamp [%d, %d] not within [-128, 127]", min8, max8))
	}
	C := g.C
	lo, hi := min8+offset, max8+offset
	var acc [poolS8Block]int32
	for r := r0; r < r1; r++ {
		n, oy := r/g.OH, r%g.OH
		ky0, ky1 := poolTaps(oy, g.SH, g.PadT, g.KH, g.DH, g.H)
		for ox := 0; ox < g.OW; ox++ {
			kx0, kx1 := poolTaps(ox, g.SW, g.PadL, g.KW, g.DW, g.W)
			cnt := int32((ky1 - ky0) * (kx1 - kx0))
			base := offset * cnt
			for c0 := 0; c0 < C; c0 += poolS8Block {
				cb := min(poolS8Block, C-c0)
				a := acc[:cb]
				for i := range a {
					a[i] = base
				}
				for ky := ky0; ky < ky1; ky++ {
					iy := oy*g.SH - g.PadT + ky*g.DH
					for kx := kx0; kx < kx1; kx++ {
						ix := ox*g.SW - g.PadL + kx*g.DW
						xs := x[((n*g.H+iy)*g.W+ix)*C+c0:][:cb]
						for i, v := range xs {
							a[i] += int32(v)
						}
					}
				}
				yp := y[((n*g.OH+oy)*g.OW+ox)*C+c0:][:cb]
				if cnt == 0 {
					for i := range yp {
						yp[i] = int8(min(max(0, lo), hi) - offset)
					}
					continue
				}
				half := cnt / 2
				for i, s := range a {
					// Round half away from zero with C's truncating division.
					if s > 0 {
						s = (s + half) / cnt
					} else {
						s = (s - half) / cnt
					}
					yp[i] = int8(min(max(s, lo), hi) - offset)
				}
			}
		}
	}
}

// GlobalAvgPoolS8 averages over the HW positions of each image and channel
// of NHWC x [N][HW][C] into y [N][C]. With acc = Σ_p (x − xZero):
//
//	RequantFloat (ONNX Runtime's QLinearGlobalAveragePool, MLAS):
//	    y = clamp(roundHalfEven(float32(acc)·Scale) + ZeroPoint, Min, Max)
//	    Scale = float32(xScale / float32(yScale·float32(HW)))
//	RequantFixedPoint (TFLite MEAN over H and W, reference_integer_ops::Mean):
//	    t = MBQM(acc, Mult, Shift)       // multiplier of xScale/yScale
//	    t = t/HW rounded half away from zero
//	    y = clamp(t + ZeroPoint, Min, Max)
//
// rq holds one value (per tensor).
func GlobalAvgPoolS8(N, HW, C int, x []int8, xZero int32, y []int8, rq Requant) {
	GlobalAvgPoolS8Channels(N, HW, C, 0, C, x, xZero, y, rq)
}

// GlobalAvgPoolS8Channels is GlobalAvgPoolS8 for channels [c0, c1) of every
// image only; the other channels of y are not touched. Each channel is
// summed and requantized alone, so channel ranges split over threads give
// the same bits as a whole run.
func GlobalAvgPoolS8Channels(N, HW, C, c0, c1 int, x []int8, xZero int32, y []int8, rq Requant) {
	if N < 0 || HW <= 0 || C < 0 || len(x) < N*HW*C || len(y) < N*C || c0 < 0 || c1 < c0 || c1 > C {
		panic(fmt.Sprintf("kernels: GlobalAvgPoolS8 N=%d HW=%d C=%d channels [%d, %d): x len %d, y len %d", N, HW, C, c0, c1, len(x), len(y)))
	}
	if xZero < -128 || xZero > 127 || HW > math.MaxInt32/256 {
		panic(fmt.Sprintf("kernels: GlobalAvgPoolS8 input zero point %d or HW %d out of range", xZero, HW))
	}
	q := newRequant1("kernels: GlobalAvgPoolS8", &rq)
	bias := -xZero * int32(HW)
	cnt, half := int32(HW), int32(HW/2)
	var acc [poolS8Block]int32
	for n := 0; n < N; n++ {
		for cb0 := c0; cb0 < c1; cb0 += poolS8Block {
			cb := min(poolS8Block, c1-cb0)
			a := acc[:cb]
			for i := range a {
				a[i] = bias
			}
			for p := 0; p < HW; p++ {
				xs := x[(n*HW+p)*C+cb0:][:cb]
				for i, v := range xs {
					a[i] += int32(v)
				}
			}
			ys := y[n*C+cb0:][:cb]
			if q.mode == RequantFloat {
				for i, s := range a {
					ys[i] = q.one(s)
				}
				continue
			}
			for i, s := range a {
				t := fixedRequant(s, &q.fx)
				if t > 0 {
					t = (t + half) / cnt
				} else {
					t = (t - half) / cnt
				}
				ys[i] = int8(min(max(t+q.zp, q.min), q.max))
			}
		}
	}
}
