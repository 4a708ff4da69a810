package kernels

import (
	"fmt"
	"math"
)

// PoolGeom is the geometry of a 2-D pooling, NHWC input [N][H][W][C] and
// output [N][OH][OW][C]. Pads are given on all four sides; output positions
// whose window reaches past H+PadB or W+PadR (ONNX ceil_mode) are allowed.
type PoolGeom struct {
	N, H, W, C, OH, OW, KH, KW, SH, SW, DH, DW, PadT, PadL, PadB, PadR int
}

// Check reports whether the geometry is usable: positive sizes, kernel,
// strides and dilations, non-negative pads.
func (g PoolGeom) Check() error {
	if g.N <= 0 || g.H <= 0 || g.W <= 0 || g.C <= 0 || g.OH <= 0 || g.OW <= 0 || g.KH <= 0 || g.KW <= 0 ||
		g.SH <= 0 || g.SW <= 0 || g.DH <= 0 || g.DW <= 0 {
		return fmt.Errorf("kernels: pool geometry %+v: sizes, kernel, strides and dilations must be > 0", g)
	}
	if g.PadT < 0 || g.PadL < 0 || g.PadB < 0 || g.PadR < 0 {
		return fmt.Errorf("kernels: pool geometry %+v: pads must be >= 0", g)
	}
	return nil
}

func (g *PoolGeom) mustCheck(name string, x, y []float32) {
	if err := g.Check(); err != nil {
		panic(err.Error())
	}
	if len(x) < g.N*g.H*g.W*g.C || len(y) < g.N*g.OH*g.OW*g.C {
		panic(fmt.Sprintf("kernels: %s x len %d (want %d), y len %d (want %d)", name,
			len(x), g.N*g.H*g.W*g.C, len(y), g.N*g.OH*g.OW*g.C))
	}
}

// poolTaps returns the kernel indices [k0, k1) whose input coordinate
// o*s - pad + k*d lies in [0, size).
func poolTaps(o, s, pad, k, d, size int) (k0, k1 int) {
	i0 := o*s - pad
	k0 = 0
	if i0 < 0 {
		k0 = (-i0 + d - 1) / d
	}
	k1 = k
	if last := size - 1 - i0; last < 0 {
		k1 = 0
	} else {
		k1 = min(k, last/d+1)
	}
	return k0, max(k1, k0)
}

// MaxPool2DF32 computes NHWC max pooling; padding never wins (it is -Inf).
// A window with no input element gives -Inf.
//
//	y[n][oy][ox][c] = max over ky, kx with 0 <= iy < H, 0 <= ix < W of x[n][iy][ix][c],
//	iy = oy*SH - PadT + ky*DH, ix = ox*SW - PadL + kx*DW
func MaxPool2DF32(g PoolGeom, x, y []float32) {
	g.mustCheck("MaxPool2DF32", x, y)
	maxPool2DF32Rows(&g, x, y, 0, g.N*g.OH)
}

// MaxPool2DF32Rows is MaxPool2DF32 for output rows [r0, r1) only, a row
// being one (n, oy) pair numbered n·OH + oy; the other rows of y are not
// touched. Each output is computed as MaxPool2DF32 computes it, so rows
// split over threads give the same bits.
func MaxPool2DF32Rows(g PoolGeom, x, y []float32, r0, r1 int) {
	g.mustCheck("MaxPool2DF32Rows", x, y)
	g.mustRows("MaxPool2DF32Rows", r0, r1)
	maxPool2DF32Rows(&g, x, y, r0, r1)
}

func maxPool2DF32Rows(g *PoolGeom, x, y []float32, r0, r1 int) {
	C := g.C
	for r := r0; r < r1; r++ {
		n, oy := r/g.OH, r%g.OH
		ky0, ky1 := poolTaps(oy, g.SH, g.PadT, g.KH, g.DH, g.H)
		for ox := 0; ox < g.OW; ox++ {
			kx0, kx1 := poolTaps(ox, g.SW, g.PadL, g.KW, g.DW, g.W)
			yp := y[((n*g.OH+oy)*g.OW+ox)*C:][:C]
			if ky0 >= ky1 || kx0 >= kx1 {
				for i := range yp {
					yp[i] = float32(math.Inf(-1))
				}
				continue
			}
			first := true
			for ky := ky0; ky < ky1; ky++ {
				iy := oy*g.SH - g.PadT + ky*g.DH
				for kx := kx0; kx < kx1; kx++ {
					ix := ox*g.SW - g.PadL + kx*g.DW
					xs := x[((n*g.H+iy)*g.W+ix)*C:][:len(yp)]
					if first {
						copy(yp, xs)
						first = false
						continue
					}
					for i, v := range xs {
						if v > yp[i] {
							yp[i] = v
						}
					}
				}
			}
		}
	}
}

// mustRows panics unless 0 <= r0 <= r1 <= N·OH.
func (g *PoolGeom) mustRows(name string, r0, r1 int) {
	if r0 < 0 || r1 < r0 || r1 > g.N*g.OH {
		panic(fmt.Sprintf("kernels: %s rows [%d, %d) outside [0, %d)", name, r0, r1, g.N*g.OH))
	}
}

// AvgPool2DF32 computes NHWC average pooling with ONNX semantics: the sum of
// the window elements inside the input divided by the count of window
// positions inside the input (countIncludePad=false) or inside the padded
// extent [−PadT, H+PadB) × [−PadL, W+PadR) (true); positions beyond that
// (ceil_mode) never count. A zero count gives 0.
func AvgPool2DF32(g PoolGeom, x, y []float32, countIncludePad bool) {
	g.mustCheck("AvgPool2DF32", x, y)
	avgPool2DF32Rows(&g, x, y, countIncludePad, 0, g.N*g.OH)
}

// AvgPool2DF32Rows is AvgPool2DF32 for output rows [r0, r1) only (row
// n·OH + oy), bit-identical to the whole run on those rows; the other rows
// of y are not touched.
func AvgPool2DF32Rows(g PoolGeom, x, y []float32, countIncludePad bool, r0, r1 int) {
	g.mustCheck("AvgPool2DF32Rows", x, y)
	g.mustRows("AvgPool2DF32Rows", r0, r1)
	avgPool2DF32Rows(&g, x, y, countIncludePad, r0, r1)
}

func avgPool2DF32Rows(g *PoolGeom, x, y []float32, countIncludePad bool, r0, r1 int) {
	C := g.C
	for r := r0; r < r1; r++ {
		n, oy := r/g.OH, r%g.OH
		ky0, ky1 := poolTaps(oy, g.SH, g.PadT, g.KH, g.DH, g.H)
		cy := ky1 - ky0
		if countIncludePad {
			a, b := poolTaps(oy, g.SH, 0, g.KH, g.DH, g.H+g.PadT+g.PadB)
			cy = b - a
		}
		for ox := 0; ox < g.OW; ox++ {
			kx0, kx1 := poolTaps(ox, g.SW, g.PadL, g.KW, g.DW, g.W)
			cx := kx1 - kx0
			if countIncludePad {
				a, b := poolTaps(ox, g.SW, 0, g.KW, g.DW, g.W+g.PadL+g.PadR)
				cx = b - a
			}
			yp := y[((n*g.OH+oy)*g.OW+ox)*C:][:C]
			clear(yp)
			for ky := ky0; ky < ky1; ky++ {
				iy := oy*g.SH - g.PadT + ky*g.DH
				for kx := kx0; kx < kx1; kx++ {
					ix := ox*g.SW - g.PadL + kx*g.DW
					xs := x[((n*g.H+iy)*g.W+ix)*C:][:len(yp)]
					for i, v := range xs {
						yp[i] += v
					}
				}
			}
			if cnt := cy * cx; cnt > 0 {
				inv := 1 / float32(cnt)
				for i := range yp {
					yp[i] *= inv
				}
			}
		}
	}
}

// GlobalAvgPoolF32 averages over the HW positions of each image and channel:
// y[n][c] = Σ_p x[n][p][c] / HW, summed in float64 (64 channels at a time in
// a stack buffer, so nothing is allocated).
func GlobalAvgPoolF32(N, HW, C int, x, y []float32) {
	GlobalAvgPoolF32Channels(N, HW, C, 0, C, x, y)
}

// GlobalAvgPoolF32Channels is GlobalAvgPoolF32 for channels [c0, c1) of
// every image only; the other channels of y are not touched. Each channel
// is summed alone, so channel ranges split over threads give the same bits
// as a whole run.
func GlobalAvgPoolF32Channels(N, HW, C, c0, c1 int, x, y []float32) {
	if N < 0 || HW <= 0 || C < 0 || len(x) < N*HW*C || len(y) < N*C || c0 < 0 || c1 < c0 || c1 > C {
		panic(fmt.Sprintf("kernels: GlobalAvgPoolF32 N=%d HW=%d C=%d channels [%d, %d): x len %d, y len %d", N, HW, C, c0, c1, len(x), len(y)))
	}
	const blk = 64
	var acc [blk]float64
	inv := 1 / float64(HW)
	for n := 0; n < N; n++ {
		for cb0 := c0; cb0 < c1; cb0 += blk {
			cb := min(blk, c1-cb0)
			a := acc[:cb]
			clear(a)
			xn := x[n*HW*C+cb0:]
			p := 0
			// Four positions per pass, added left to right: the same
			// float64 additions in the same order as one position at a
			// time, with a quarter of the accumulator loads and stores.
			for ; p+4 <= HW; p += 4 {
				x0, x1 := xn[p*C:][:cb], xn[(p+1)*C:][:cb]
				x2, x3 := xn[(p+2)*C:][:cb], xn[(p+3)*C:][:cb]
				for i := range a {
					a[i] = a[i] + float64(x0[i]) + float64(x1[i]) + float64(x2[i]) + float64(x3[i])
				}
			}
			for ; p < HW; p++ {
				xs := xn[p*C:][:cb]
				for i := range a {
					a[i] += float64(xs[i])
				}
			}
			ys := y[n*C+cb0:][:cb]
			for i, s := range a {
				ys[i] = float32(s * inv)
			}
		}
	}
}
