package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

var (
	tsRefResizeModes  = [...]string{"nearest", "linear", "cubic"}
	tsRefCoordModes   = [...]string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"}
	tsRefNearestModes = [...]string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}
)

// tsRefResizeParams converts kernel parameters to the reference's spellings,
// with scales as float64 values sc.
func tsRefResizeParams(p ResizeParams, sc []float64) ref.ResizeParams {
	a := float64(p.CubicA)
	if a == 0 {
		a = -0.75
	}
	rp := ref.ResizeParams{
		Mode:           tsRefResizeModes[p.Mode],
		Coord:          tsRefCoordModes[p.Coord],
		Nearest:        tsRefNearestModes[p.Nearest],
		CubicA:         a,
		ExcludeOutside: p.ExcludeOutside,
		Extrapolation:  float64(p.Extrapolation),
		Antialias:      p.Antialias && p.Mode != ResizeNearest,
		Scales:         sc,
	}
	for _, v := range p.Roi {
		rp.Roi = append(rp.Roi, float64(v))
	}
	return rp
}

// tsRunResize plans and runs the kernel with tsGuarded output and scratch.
func tsRunResize(t *testing.T, x []float32, inShape, outShape []int, p ResizeParams) []float32 {
	t.Helper()
	plan := PlanResize(inShape, outShape, p)
	y, checkY := tsGuarded(t, tsNumel(outShape), float32(-4242))
	scratch, checkS := tsGuarded(t, plan.ScratchLen(), float32(-4343))
	plan.RunF32(x, y, scratch)
	checkY()
	checkS()
	return y
}

func tsRandResizeParams(rng *rand.Rand, rank int) ResizeParams {
	p := ResizeParams{
		Mode:    ResizeMode(rng.IntN(3)),
		Coord:   CoordTransform(rng.IntN(6)),
		Nearest: NearestMode(rng.IntN(4)),
	}
	if rng.IntN(3) == 0 {
		p.CubicA = -0.5
	}
	p.ExcludeOutside = rng.IntN(3) == 0
	p.Antialias = rng.IntN(3) == 0
	p.Extrapolation = float32(rng.IntN(5)) - 2
	if p.Coord == TFCropAndResize {
		p.Roi = make([]float32, 2*rank)
		for a := 0; a < rank; a++ {
			r0, r1 := rng.Float32()*1.4-0.2, rng.Float32()*1.4-0.2
			if rng.IntN(4) == 0 {
				r0, r1 = 0, 1
			}
			p.Roi[a], p.Roi[rank+a] = r0, r1
		}
	}
	return p
}

func TestResizeRandom(t *testing.T) {
	rng := tsRNG(t)
	for iter := 0; iter < 500; iter++ {
		rank := rng.IntN(5)
		in := tsRandShape(rng, rank, 1, 7)
		out := make([]int, rank)
		sc := make([]float64, rank)
		p := tsRandResizeParams(rng, rank)
		p.Scales = make([]float32, rank)
		bySizes := rng.IntN(2) == 0
		for a := 0; a < rank; a++ {
			switch {
			case rng.IntN(4) == 0: // axis untouched
				out[a], sc[a] = in[a], 1
			case bySizes:
				out[a] = 1 + rng.IntN(12)
				sc[a] = float64(out[a]) / float64(in[a])
			default:
				sc[a] = float64(float32(0.3 + 2.7*rng.Float64()))
				out[a] = int(sc[a] * float64(in[a]))
				if out[a] == 0 {
					out[a], sc[a] = 1, float64(float32(1)/float32(in[a]))
				}
			}
			p.Scales[a] = float32(sc[a])
		}
		x := tsRandF32(rng, tsNumel(in))
		got := tsRunResize(t, x, in, out, p)
		want := ref.Resize(x, in, out, tsRefResizeParams(p, sc))
		if t.Failed() {
			return
		}
		for i := range got {
			if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-4) {
				t.Fatalf("iter %d: %+v in %v out %v scales %v: element %d = %v, want %v",
					iter, p, in, out, sc, i, got[i], want[i])
			}
		}
	}
}

// TestResizeCropNoFusedRounding replays the case a randomized run found on
// arm64: 3/7·7 rounds to 3 when multiplied alone but a fused multiply-add of
// 3/7·7 − 1 does not, which moved a crop coordinate across a tap window.
func TestResizeCropNoFusedRounding(t *testing.T) {
	p := ResizeParams{Mode: ResizeCubic, Coord: TFCropAndResize, CubicA: -0.5, Antialias: true,
		Scales: []float32{1, 0.42857143, 1.3333334}, Roi: []float32{0, 0, 0.75069165, 1, 1, 0.34523433}}
	in, out := []int{7, 7, 3}, []int{7, 3, 4}
	sc := []float64{1, 3.0 / 7, 4.0 / 3}
	x := make([]float32, tsNumel(in))
	for i := range x {
		x[i] = float32(i%11) - 5
	}
	got := tsRunResize(t, x, in, out, p)
	want := ref.Resize(x, in, out, tsRefResizeParams(p, sc))
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-4) {
			t.Fatalf("element %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestResizeNHWCFastPath(t *testing.T) {
	rng := tsRNG(t)
	cases := []struct{ in, out []int }{
		{[]int{1, 48, 64, 3}, []int{1, 22, 22, 3}}, // downscale
		{[]int{2, 5, 7, 4}, []int{2, 13, 9, 4}},    // upscale, batch 2
		{[]int{1, 6, 6, 1}, []int{1, 6, 11, 1}},    // one axis only, C = 1
		{[]int{1, 9, 4, 13}, []int{1, 4, 9, 13}},
	}
	for _, c := range cases {
		for _, ct := range []CoordTransform{HalfPixel, AlignCorners, Asymmetric, PytorchHalfPixel, TFCropAndResize} {
			p := ResizeParams{Mode: ResizeLinear, Coord: ct, Extrapolation: 7}
			sc := make([]float64, 4)
			p.Scales = make([]float32, 4)
			for a := range sc {
				sc[a] = float64(c.out[a]) / float64(c.in[a])
				p.Scales[a] = float32(sc[a])
			}
			if ct == TFCropAndResize {
				p.Roi = []float32{0, -0.1, 0.2, 0, 1, 0.9, 1.1, 1}
			}
			plan := PlanResize(c.in, c.out, p)
			if plan.nhwc == nil {
				t.Fatalf("%v → %v %v: NHWC fast path not taken", c.in, c.out, ct)
			}
			x := tsRandF32(rng, tsNumel(c.in))
			got := tsRunResize(t, x, c.in, c.out, p)
			want := ref.Resize(x, c.in, c.out, tsRefResizeParams(p, sc))
			tsClose(t, "NHWC bilinear", got, want, 1e-5, 0)
		}
	}
}

func TestResizeIdentityAndAllocs(t *testing.T) {
	in := []int{2, 3, 4}
	p := ResizeParams{Mode: ResizeCubic, Scales: []float32{1, 1, 1}}
	plan := PlanResize(in, in, p)
	if len(plan.passes) != 0 || plan.ScratchLen() != 0 {
		t.Fatalf("scale 1 should plan no pass, got %d passes", len(plan.passes))
	}
	x := tsRandF32(tsRNG(t), 24)
	y := make([]float32, 24)
	plan.RunF32(x, y, nil)
	tsEqual(t, "identity", y, x)

	in, out := []int{1, 3, 40, 50}, []int{1, 3, 17, 90}
	p = ResizeParams{Mode: ResizeCubic, Antialias: true, Scales: []float32{1, 1, 17.0 / 40, 90.0 / 50}}
	plan = PlanResize(in, out, p)
	x = tsRandF32(tsRNG(t), tsNumel(in))
	y = make([]float32, tsNumel(out))
	scratch := make([]float32, plan.ScratchLen())
	if n := testing.AllocsPerRun(5, func() { plan.RunF32(x, y, scratch) }); n != 0 {
		t.Fatalf("RunF32 allocates %v times", n)
	}
}

func TestResizePanics(t *testing.T) {
	tsMustPanic(t, "scales len", func() { PlanResize([]int{2}, []int{4}, ResizeParams{}) })
	tsMustPanic(t, "zero scale", func() { PlanResize([]int{2}, []int{4}, ResizeParams{Scales: []float32{0}}) })
	tsMustPanic(t, "roi", func() {
		PlanResize([]int{2}, []int{4}, ResizeParams{Coord: TFCropAndResize, Scales: []float32{2}})
	})
	tsMustPanic(t, "rank", func() { PlanResize([]int{2}, []int{4, 1}, ResizeParams{Scales: []float32{2}}) })
	plan := PlanResize([]int{2, 2}, []int{4, 4}, ResizeParams{Scales: []float32{2, 2}})
	tsMustPanic(t, "scratch", func() {
		plan.RunF32(make([]float32, 4), make([]float32, 16), make([]float32, plan.ScratchLen()-1))
	})
}
