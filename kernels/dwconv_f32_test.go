package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDWConvF32Run calls every available depthwise kernel directly on runs
// of output pixels: channel counts around the 8- and 16-channel blocks and
// the 4-block groups of single pixels (32 or 64 channels), run lengths
// around the 8- and 4-pixel tiles, strides 1 and 2, the whole kernel and
// (for kernels that take any rectangle) border-like sub-rectangles of it,
// with x, w and y at alignment offsets 0–3 and guards around y. The
// expected values are float64 sums. Tolerance: 1e-5·Σ|terms| (·1.5 for the
// activation) + 1e-6.
func TestDWConvF32Run(t *testing.T) {
	r := ckRNG(t)
	it := 0
	for i := range dwconvF32Impls {
		im := &dwconvF32Impls[i]
		for _, k := range []int{3, 5} {
			for _, c := range []int{1, 2, 3, 5, 7, 8, 9, 13, 16, 24, 33, 48, 64, 79} {
				if !im.fits(k, k, c) {
					continue
				}
				rects := [][4]int{{0, 0, k, k}} // ky0, kx0, kh, kw
				if im.Asm != dwconvF32AsmNone || im.KH == 0 {
					rects = append(rects, [4]int{1, 0, k - 1, k}, [4]int{0, 1, k, k - 1}, [4]int{k / 2, k / 2, 1, 1}, [4]int{0, 2, k - 1, k - 2})
				}
				for _, s := range []int{1, 2} {
					for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17} {
						for _, rc := range rects {
							it++
							dwRunCheck(t, r.Uint64(), im, k, c, s, n, rc, ckActs[it%len(ckActs)], it%4)
						}
					}
				}
			}
		}
	}
}

func dwRunCheck(t *testing.T, seed uint64, im *dwconvF32Impl, k, c, s, n int, rc [4]int, act Act, off int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	ky0, kx0, kh, kw := rc[0], rc[1], rc[2], rc[3]
	wIn := (n-1)*s + k // input columns
	name := ckName(im.Name, " k=", k, " c=", c, " s=", s, " n=", n, " rect=", rc, " ", act, " off=", off)
	x := ckRand(r, k*wIn*c+off)[off:]
	w := ckRand(r, k*k*c+off)[off:]
	var bias []float32
	if n%2 == 1 {
		bias = ckRand(r, c)
	}
	gd := newCKGuard(n*c, (off+1)%4)
	y := gd.out()
	row := dwRowF32{C: c, N: n, PixStep: s * c, TapY: wIn * c, TapX: c, KH: kh, KW: kw, WRow: k * c, Act: act}
	xs := x[(ky0*wIn+kx0)*c:]
	ws := w[(ky0*k+kx0)*c:]
	im.run(xs, ws, bias, y, row)
	gd.check(t, name)
	want := make([]float32, n*c)
	bound := make([]float32, n*c)
	ra := ckRefAct(act)
	for p := 0; p < n; p++ {
		for ch := 0; ch < c; ch++ {
			var sum, abs float64
			if bias != nil {
				sum, abs = float64(bias[ch]), math.Abs(float64(bias[ch]))
			}
			for ky := 0; ky < kh; ky++ {
				for kx := 0; kx < kw; kx++ {
					v := float64(xs[p*row.PixStep+ky*row.TapY+kx*row.TapX+ch]) * float64(ws[ky*row.WRow+kx*c+ch])
					sum += v
					abs += math.Abs(v)
				}
			}
			want[p*c+ch] = float32(ra.Eval(sum))
			bound[p*c+ch] = float32(abs)
		}
	}
	ckCompare(t, name, y, want, bound, 1.5e-5, 1e-6)
}
