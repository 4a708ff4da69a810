package kernels

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// qConvParams draws the quantization of a convolution: input zero point,
// weight zero points (none, one, or per channel, non-zero as in converted
// uint8 models), bias and a requantization whose scale keeps the outputs
// spread over the int8 range.
type qConvParams struct {
	xZero int32
	wZero []int32
	bias  []int32
	rq    Requant
	rrq   ref.Requant
}

func qDrawConv(r *rand.Rand, g ConvGeom, mode RequantMode) qConvParams {
	var p qConvParams
	p.xZero = r.Int32N(256) - 128
	switch r.IntN(3) {
	case 1:
		p.wZero = []int32{r.Int32N(256) - 128}
	case 2:
		p.wZero = qRandI32(r, g.OC, 127)
	}
	k := g.KH * g.KW * g.C / g.Groups
	if r.IntN(4) != 0 {
		p.bias = qRandI32(r, g.OC, int32(2000*math.Sqrt(float64(k))))
	}
	// |x − xZero|, |w − wZero| average ~85 for uniform int8: the sum of k
	// products has a deviation of ~7000·sqrt(k).
	p.rq, p.rrq = qRequant(r, mode, g.OC, 40/(7000*math.Sqrt(float64(k))))
	return p
}

// qRunConv packs with the given impls, runs guarded, compares with the
// reference bit for bit and checks RunPart with 2, 3 and 7 parts.
func qRunConv(t *testing.T, r *rand.Rand, name string, g ConvGeom, mode RequantMode, gm *gemmS8Impl, dw *dwconvS8Impl, wantAlgo string) []int8 {
	t.Helper()
	x := qRandS8(r, g.N*g.H*g.W*g.C)
	w := qRandS8(r, g.OC*g.KH*g.KW*g.C/g.Groups)
	p := qDrawConv(r, g, mode)
	c := packConvS8With(g, w, p.wZero, p.bias, p.xZero, p.rq, gm, dw)
	name = ckName(name, " ", c.Algo(), " ", gm.Name, " ", mode, " wz", len(p.wZero))
	if dw != nil {
		name += " " + dw.Name
	}
	if wantAlgo != "" && c.Algo() != wantAlgo {
		t.Errorf("%s: Algo() = %q, want %q", name, c.Algo(), wantAlgo)
	}
	if c.Geom() != g {
		t.Errorf("%s: Geom() = %+v, want %+v", name, c.Geom(), g)
	}
	ny := g.N * g.OH * g.OW * g.OC
	gd := newQGuard(ny, g.OC%4)
	gs := newQByteGuard(c.ScratchBytes())
	c.Run(x, gd.out(), gs.out())
	gd.check(t, name)
	gs.check(t, name)

	want := make([]int8, ny)
	ref.ConvS8(g.N, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PadT, g.PadL, g.Groups,
		x, p.xZero, w, p.wZero, p.bias, &p.rrq, want)
	qEqual(t, name, gd.out(), want)

	for _, parts := range []int{2, 3, 7} {
		gp := newQGuard(ny, 3)
		for q := parts - 1; q >= 0; q-- {
			c.RunPart(x, gp.out(), gs.out(), q, parts)
		}
		gp.check(t, ckName(name, " parts=", parts))
		qEqual(t, ckName(name, " parts=", parts), gp.out(), want)
	}
	return want
}

func qGemmImpls() []*gemmS8Impl {
	var s []*gemmS8Impl
	for i := range gemmS8Impls {
		if gemmS8Impls[i].Available() {
			s = append(s, &gemmS8Impls[i])
		}
	}
	return s
}

// TestConvS8 runs the edge-case geometries of the float32 tests (every
// algorithm, pads larger than the kernel, 1×1 outputs, stride > kernel,
// dilation 2, channel counts 1, 3, 13, 24) with every GEMM impl, every
// fitting depthwise impl and both requantization modes.
func TestConvS8(t *testing.T) {
	r := ckRNG(t)
	var all []int8
	for _, tc := range ckConvCases {
		for _, gm := range qGemmImpls() {
			for _, mode := range qModes {
				all = append(all, qRunConv(t, r, tc.name, tc.g, mode, gm, nil, tc.algo)...)
				if strings.HasPrefix(tc.algo, "dw") && tc.g.OC == tc.g.C {
					for j := range dwconvS8Impls {
						if dw := &dwconvS8Impls[j]; dw.fits(tc.g.KH, tc.g.KW) {
							qRunConv(t, r, tc.name, tc.g, mode, gm, dw, tc.algo)
						}
					}
				}
			}
		}
	}
	qSpread(t, "all outputs", all)
}

// TestConvS8TileEdges sweeps pixel counts and channel counts around the
// GEMM tiles (MR rows, NR columns: tile, tile±1, multiples) for the 1×1 and
// im2col paths, K around the SWAR block lengths, and channel counts around
// the depthwise block.
func TestConvS8TileEdges(t *testing.T) {
	r := ckRNG(t)
	for _, gm := range qGemmImpls() {
		for _, px := range []int{1, gm.MR - 1, gm.MR, gm.MR + 1, 2 * gm.MR, 3*gm.MR + 1} {
			for _, oc := range []int{3, gm.NR + 1, 2 * gm.NR, 2*gm.NR + 1, 13, 24} {
				for _, ch := range []int{1, 3, 13, 24} {
					if px < 1 || oc < 3 {
						continue
					}
					mode := qModes[(px+oc+ch)%2]
					qRunConv(t, r, "edge 1x1", ckGeom(1, 1, px, ch, oc, 1, 1, 1, 0, 0, 0, 0, 1), mode, gm, nil, "gemm1x1")
					qRunConv(t, r, "edge 3x3", ckGeom(1, 1, px, ch, oc, 3, 1, 1, 1, 1, 1, 1, 1), mode, gm, nil, "im2col")
				}
			}
		}
		// K at and around the 63- and 32-product lane blocks.
		for _, k := range []int{31, 32, 33, 62, 63, 64, 126, 127, 200} {
			for _, mode := range qModes {
				qRunConv(t, r, "edge K", ckGeom(1, 2, 3, k, 7, 1, 1, 1, 0, 0, 0, 0, 1), mode, gm, nil, "gemm1x1")
			}
		}
	}
	gm := gemmS8Best()
	for _, ch := range []int{2, 3, 13, 24, 33, dwS8Block - 1, dwS8Block, dwS8Block + 1, 2*dwS8Block + 3} {
		for j := range dwconvS8Impls {
			dw := &dwconvS8Impls[j]
			for _, k := range []int{3, 5} {
				for _, s := range []int{1, 2} {
					if dw.fits(k, k) {
						qRunConv(t, r, "edge dw", ckGeom(1, 7, 8, ch, ch, k, s, 1, k/2, k/2, k/2, k/2, ch), qModes[ch%2], gm, dw, "")
					}
				}
			}
		}
	}
}

// TestConvS8Random draws random geometries (printed seed).
func TestConvS8Random(t *testing.T) {
	r := ckRNG(t)
	for it := 0; it < 120; it++ {
		g := ckConvRandom(r)
		for _, gm := range qGemmImpls() {
			qRunConv(t, r, ckName("random ", g), g, qModes[it%2], gm, nil, "")
		}
	}
}

// TestConvS8Saturation uses huge and tiny scales and extreme zero points so
// that the clamps, the left shifts (multipliers > 1) and the float
// clamping before rounding are exercised.
func TestConvS8Saturation(t *testing.T) {
	r := ckRNG(t)
	g := ckGeom(1, 5, 6, 13, 24, 3, 1, 1, 1, 1, 1, 1, 1)
	gdw := ckGeom(1, 5, 6, 13, 13, 3, 1, 1, 1, 1, 1, 1, 13)
	for _, gg := range []ConvGeom{g, gdw} {
		for _, scale := range []float64{1e-9, 1e-4, 0.5, 3, 700} {
			for _, mode := range qModes {
				x := qRandS8(r, gg.N*gg.H*gg.W*gg.C)
				w := qRandS8(r, gg.OC*gg.KH*gg.KW*gg.C/gg.Groups)
				rq, rrq := qRequant(r, mode, gg.OC, scale)
				xz := []int32{-128, 127, 0}[r.IntN(3)]
				c := PackConvS8(gg, w, nil, nil, xz, rq)
				got := make([]int8, gg.N*gg.OH*gg.OW*gg.OC)
				c.Run(x, got, make([]byte, c.ScratchBytes()))
				want := make([]int8, len(got))
				ref.ConvS8(gg.N, gg.H, gg.W, gg.C, gg.OH, gg.OW, gg.OC, gg.KH, gg.KW, gg.SH, gg.SW, gg.DH, gg.DW,
					gg.PadT, gg.PadL, gg.Groups, x, xz, w, nil, nil, &rrq, want)
				qEqual(t, ckName("saturation ", c.Algo(), " ", mode, " scale ", scale), got, want)
			}
		}
	}
}

func TestConvS8Allocs(t *testing.T) {
	r := ckRNG(t)
	for _, tc := range ckConvCases {
		for _, gm := range qGemmImpls() {
			g := tc.g
			p := qDrawConv(r, g, qModes[len(tc.name)%2])
			c := packConvS8With(g, qRandS8(r, g.OC*g.KH*g.KW*g.C/g.Groups), p.wZero, p.bias, p.xZero, p.rq, gm, nil)
			x, y := qRandS8(r, g.N*g.H*g.W*g.C), make([]int8, g.N*g.OH*g.OW*g.OC)
			s := make([]byte, c.ScratchBytes())
			if n := testing.AllocsPerRun(5, func() { c.RunPart(x, y, s, 1, 2) }); n != 0 {
				t.Errorf("%s (%s, %s): RunPart allocates %v times", tc.name, c.Algo(), gm.Name, n)
			}
		}
	}
}

func TestConvS8Panics(t *testing.T) {
	g := ckGeom(1, 4, 4, 3, 8, 3, 1, 1, 1, 1, 1, 1, 1)
	rq := Requant{Mode: RequantFloat, Scale: []float32{0.01}, Min: -128, Max: 127}
	c := PackConvS8(g, make([]int8, 8*9*3), nil, nil, 0, rq)
	s := make([]byte, c.ScratchBytes())
	for name, f := range map[string]func(){
		"short x":       func() { c.Run(make([]int8, 10), make([]int8, 128), s) },
		"short y":       func() { c.Run(make([]int8, 48), make([]int8, 127), s) },
		"short scratch": func() { c.Run(make([]int8, 48), make([]int8, 128), nil) },
		"bad part":      func() { c.RunPart(make([]int8, 48), make([]int8, 128), s, 2, 2) },
		"short w":       func() { PackConvS8(g, make([]int8, 10), nil, nil, 0, rq) },
		"bad geom":      func() { PackConvS8(ConvGeom{}, nil, nil, nil, 0, rq) },
		"short bias":    func() { PackConvS8(g, make([]int8, 8*9*3), nil, make([]int32, 3), 0, rq) },
		"wzero len":     func() { PackConvS8(g, make([]int8, 8*9*3), make([]int32, 3), nil, 0, rq) },
		"wzero range":   func() { PackConvS8(g, make([]int8, 8*9*3), []int32{200}, nil, 0, rq) },
		"xzero range":   func() { PackConvS8(g, make([]int8, 8*9*3), nil, nil, -129, rq) },
		"scale len": func() {
			PackConvS8(g, make([]int8, 8*9*3), nil, nil, 0, Requant{Mode: RequantFloat, Scale: []float32{1, 2}, Min: -128, Max: 127})
		},
		"nan scale": func() {
			PackConvS8(g, make([]int8, 8*9*3), nil, nil, 0, Requant{Mode: RequantFloat, Scale: []float32{float32(math.NaN())}, Min: -128, Max: 127})
		},
		"bad clamp": func() {
			PackConvS8(g, make([]int8, 8*9*3), nil, nil, 0, Requant{Mode: RequantFloat, Scale: []float32{1}, Min: 5, Max: 4})
		},
		"bad shift": func() {
			PackConvS8(g, make([]int8, 8*9*3), nil, nil, 0, Requant{Mult: []int32{1 << 30}, Shift: []int32{31}, Min: -128, Max: 127})
		},
		"neg mult": func() {
			PackConvS8(g, make([]int8, 8*9*3), nil, nil, 0, Requant{Mult: []int32{-5}, Shift: []int32{0}, Min: -128, Max: 127})
		},
		"bad mode": func() {
			PackConvS8(g, make([]int8, 8*9*3), nil, nil, 0, Requant{Mode: 7, Min: -128, Max: 127})
		},
	} {
		qMustPanic(t, name, f)
	}
}

func qMustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if e := recover(); e == nil {
			t.Errorf("%s: no panic", name)
		} else if s, _ := e.(string); !strings.HasPrefix(s, "kernels: ") {
			t.Errorf("%s: panic %v, want a \"kernels: \" message", name, e)
		}
	}()
	f()
}

// FuzzConvS8 draws a geometry from the fuzzer's bytes and compares every
// GEMM impl with the reference (go test -fuzz=FuzzConvS8 ./kernels).
func FuzzConvS8(f *testing.F) {
	f.Add(uint64(1), []byte{3, 3, 2, 5, 1, 1, 1, 1, 0, 0, 1})
	f.Add(uint64(2), []byte{7, 6, 4, 4, 3, 2, 2, 1, 1, 0, 4})
	f.Fuzz(func(t *testing.T, seed uint64, p []byte) {
		at := func(i, mod int) int {
			if i < len(p) {
				return int(p[i]) % mod
			}
			return 0
		}
		groups := 1 + at(4, 4)
		g := ckGeom(1, 1+at(0, 10), 1+at(1, 10), groups*(1+at(2, 6)), groups*(1+at(3, 9)),
			1+at(5, 5), 1+at(6, 3), 1+at(7, 2), at(8, 4), at(9, 4), at(8, 4), at(9, 4), groups)
		if at(10, 2) == 1 {
			g.C, g.Groups = groups, groups
			g.OC = groups * (1 + at(3, 2))
		}
		if g.OH <= 0 || g.OW <= 0 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 1))
		for _, gm := range qGemmImpls() {
			qRunConv(t, r, "fuzz", g, qModes[seed%2], gm, nil, "")
		}
	})
}

// TestConvS8Concurrent runs the parts of one convolution on goroutines,
// each with its own scratch, and checks the result against Run.
func TestConvS8Concurrent(t *testing.T) {
	r := ckRNG(t)
	for _, tc := range ckConvCases {
		g := tc.g
		p := qDrawConv(r, g, RequantFixedPoint)
		c := PackConvS8(g, qRandS8(r, g.OC*g.KH*g.KW*g.C/g.Groups), p.wZero, p.bias, p.xZero, p.rq)
		x := qRandS8(r, g.N*g.H*g.W*g.C)
		want := make([]int8, g.N*g.OH*g.OW*g.OC)
		c.Run(x, want, make([]byte, c.ScratchBytes()))
		got := make([]int8, len(want))
		const parts = 4
		var wg sync.WaitGroup
		for q := 0; q < parts; q++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.RunPart(x, got, make([]byte, c.ScratchBytes()), q, parts)
			}()
		}
		wg.Wait()
		qEqual(t, tc.name+" concurrent", got, want)
	}
}
