package kernels

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ocellus/ocellus/kernels/internal/ref"
)

// ckConvOut is the output size for explicit trailing padding.
func ckConvOut(in, k, s, d, padBegin, padEnd int) int {
	return (in+padBegin+padEnd-d*(k-1)-1)/s + 1
}

// ckGeom builds a ConvGeom from input, kernel, stride, dilation and the four
// pads.
func ckGeom(n, h, w, c, oc, k, s, d, pt, pl, pb, pr, groups int) ConvGeom {
	return ConvGeom{N: n, H: h, W: w, C: c, OC: oc, KH: k, KW: k, SH: s, SW: s, DH: d, DW: d,
		PadT: pt, PadL: pl, Groups: groups,
		OH: ckConvOut(h, k, s, d, pt, pb), OW: ckConvOut(w, k, s, d, pl, pr)}
}

var ckConvCases = []struct {
	name string
	g    ConvGeom
	algo string
}{
	{"1x1", ckGeom(2, 5, 7, 13, 24, 1, 1, 1, 0, 0, 0, 0, 1), "gemm1x1"},
	{"1x1/c=1", ckGeom(1, 4, 5, 1, 9, 1, 1, 1, 0, 0, 0, 0, 1), "gemm1x1"},
	{"1x1/grouped", ckGeom(1, 3, 6, 12, 24, 1, 1, 1, 0, 0, 0, 0, 3), "gemm1x1"},
	{"1x1/s2", ckGeom(1, 7, 7, 8, 16, 1, 2, 1, 0, 0, 0, 0, 1), "im2col"},
	{"1x1/pad", ckGeom(1, 4, 4, 8, 16, 1, 1, 1, 1, 1, 1, 1, 1), "im2col"},
	{"3x3/s1/c=3", ckGeom(1, 9, 8, 3, 16, 3, 1, 1, 1, 1, 1, 1, 1), "im2col"},
	{"3x3/s2/first", ckGeom(2, 17, 17, 3, 8, 3, 2, 1, 1, 1, 1, 1, 1), "im2col"},
	{"3x3/s2/same", ckGeom(1, 16, 16, 3, 32, 3, 2, 1, 0, 0, 1, 1, 1), "im2col"},
	{"3x3/d2", ckGeom(1, 9, 9, 5, 7, 3, 1, 2, 2, 2, 2, 2, 1), "im2col"},
	{"2x2/pad>k", ckGeom(1, 4, 5, 3, 5, 2, 1, 1, 3, 3, 3, 3, 1), "im2col"},
	{"3x3/out1x1", ckGeom(1, 3, 3, 24, 13, 3, 1, 1, 0, 0, 0, 0, 1), "im2col"},
	{"2x2/s3>k", ckGeom(1, 11, 10, 4, 6, 2, 3, 1, 0, 1, 0, 0, 1), "im2col"},
	{"3x3/grouped", ckGeom(1, 6, 6, 8, 12, 3, 1, 1, 1, 1, 1, 1, 4), "im2col"},
	{"3x3/grouped/ocg2", ckGeom(1, 6, 6, 8, 8, 3, 1, 1, 1, 1, 1, 1, 4), "direct"},
	{"3x3/oc1", ckGeom(2, 5, 6, 7, 1, 3, 1, 1, 1, 1, 1, 1, 1), "direct"},
	{"5x5/k>in", ckGeom(1, 3, 4, 2, 9, 5, 1, 1, 2, 2, 2, 2, 1), "im2col"},
	{"dw3x3s1", ckGeom(2, 7, 9, 13, 13, 3, 1, 1, 1, 1, 1, 1, 13), "dw3x3s1"},
	{"dw3x3s1/c=24", ckGeom(1, 6, 5, 24, 24, 3, 1, 1, 1, 1, 1, 1, 24), "dw3x3s1"},
	{"dw3x3s1/nopad", ckGeom(1, 6, 8, 3, 3, 3, 1, 1, 0, 0, 0, 0, 3), "dw3x3s1"},
	{"dw3x3s2", ckGeom(1, 9, 10, 13, 13, 3, 2, 1, 1, 1, 1, 1, 13), "dw3x3s2"},
	{"dw3x3s2/same", ckGeom(1, 8, 8, 16, 16, 3, 2, 1, 0, 0, 1, 1, 16), "dw3x3s2"},
	{"dw5x5s1", ckGeom(1, 9, 8, 13, 13, 5, 1, 1, 2, 2, 2, 2, 13), "dw5x5s1"},
	{"dw5x5s2", ckGeom(2, 11, 12, 5, 5, 5, 2, 1, 2, 2, 2, 2, 5), "dw5x5s2"},
	{"dw3x3/d2", ckGeom(1, 9, 9, 6, 6, 3, 1, 2, 2, 2, 2, 2, 6), "dw"},
	{"dw7x7", ckGeom(1, 10, 9, 4, 4, 7, 1, 1, 3, 3, 3, 3, 4), "dw"},
	{"dw3x3/s3", ckGeom(1, 10, 10, 4, 4, 3, 3, 1, 1, 1, 1, 1, 4), "dw"},
	{"dw3x3/mult2", ckGeom(1, 5, 6, 3, 6, 3, 1, 1, 1, 1, 1, 1, 3), "dw"},
	{"dw3x3/pad>k", ckGeom(1, 3, 4, 5, 5, 3, 1, 1, 4, 4, 4, 4, 5), "dw3x3s1"},
	{"dw3x3/out1x1", ckGeom(1, 3, 3, 8, 8, 3, 1, 1, 0, 0, 0, 0, 8), "dw3x3s1"},
	{"dw3x3/narrow", ckGeom(1, 5, 2, 7, 7, 3, 1, 1, 1, 1, 1, 1, 7), "dw3x3s1"},
}

// ckConvRandom draws a random geometry (small, any algorithm).
func ckConvRandom(r *rand.Rand) ConvGeom {
	for {
		k, s, d := 1+r.IntN(4), 1+r.IntN(3), 1+r.IntN(2)
		h, w := 1+r.IntN(9), 1+r.IntN(9)
		groups := 1 + r.IntN(3)
		cg, ocg := 1+r.IntN(6), 1+r.IntN(9)
		if r.IntN(3) == 0 { // depthwise
			groups, cg = 1+r.IntN(13), 1
			ocg = 1 + r.IntN(2)
		}
		g := ckGeom(1+r.IntN(2), h, w, groups*cg, groups*ocg, k, s, d,
			r.IntN(4), r.IntN(4), r.IntN(4), r.IntN(4), groups)
		g.KW = 1 + r.IntN(4)
		g.OW = ckConvOut(w, g.KW, s, d, g.PadL, r.IntN(3))
		if g.OH > 0 && g.OW > 0 {
			return g
		}
	}
}

// ckRunConv packs with the given impls, runs guarded, compares with ref and
// checks RunPart with 2, 3 and 7 parts against Run bit for bit.
// Tolerance: 1e-5·Σ|terms| (·1.5 for the activation) + 1e-6.
func ckRunConv(t *testing.T, r *rand.Rand, name string, g ConvGeom, act Act, gm *gemmF32Impl, dw *dwconvF32Impl, wantAlgo string) {
	t.Helper()
	x := ckRand(r, g.N*g.H*g.W*g.C)
	w := ckRand(r, g.OC*g.KH*g.KW*g.C/g.Groups)
	bias := ckRand(r, g.OC)
	if g.OC%2 == 0 {
		bias = nil
	}
	c := packConvF32With(g, w, bias, act, gm, dw)
	name = ckName(name, " ", c.Algo(), " ", gm.Name, " ", act)
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
	gd := newCKGuard(ny, g.OC%4)
	gs := newCKGuard(c.ScratchLen(), 0)
	c.Run(x, gd.out(), gs.out())
	gd.check(t, name)
	gs.check(t, name+" scratch")

	want := make([]float32, ny)
	ref.Conv2D(g.N, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PadT, g.PadL, g.Groups,
		x, w, bias, want, ckRefAct(act))
	bound := make([]float32, ny)
	ref.Conv2D(g.N, g.H, g.W, g.C, g.OH, g.OW, g.OC, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PadT, g.PadL, g.Groups,
		ckAbs(x), ckAbs(w), ckAbs(bias), bound, ref.Act{})
	ckCompare(t, name, gd.out(), want, bound, 1.5e-5, 1e-6)

	for _, parts := range []int{2, 3, 7} {
		gp := newCKGuard(ny, 3)
		for p := parts - 1; p >= 0; p-- { // any order
			c.RunPart(x, gp.out(), gs.out(), p, parts)
		}
		gp.check(t, ckName(name, " parts=", parts))
		ckBitsEqual(t, ckName(name, " parts=", parts), gp.out(), gd.out())
	}
}

// TestConvF32 runs the table of edge-case geometries (every algorithm, pads
// larger than the kernel, 1×1 outputs, stride > kernel, dilation 2, odd
// channel counts 1, 3, 13, 24) with every available GEMM impl and, for
// depthwise, every depthwise impl that fits.
func TestConvF32(t *testing.T) {
	r := ckRNG(t)
	for ci, tc := range ckConvCases {
		for i := range gemmF32Impls {
			gm := &gemmF32Impls[i]
			if !gm.Available() {
				continue
			}
			act := ckActs[(ci+i)%len(ckActs)]
			ckRunConv(t, r, tc.name, tc.g, act, gm, nil, tc.algo)
			if strings.HasPrefix(tc.algo, "dw") && tc.g.OC == tc.g.C {
				for j := range dwconvF32Impls {
					dw := &dwconvF32Impls[j]
					if dw.fits(tc.g.KH, tc.g.KW, tc.g.C) {
						ckRunConv(t, r, tc.name, tc.g, act, gm, dw, tc.algo)
					}
				}
			}
		}
	}
}

// TestConvF32Random draws random geometries with a printed seed.
func TestConvF32Random(t *testing.T) {
	r := ckRNG(t)
	for it := 0; it < 150; it++ {
		g := ckConvRandom(r)
		for i := range gemmF32Impls {
			if gm := &gemmF32Impls[i]; gm.Available() {
				ckRunConv(t, r, ckName("random ", g), g, ckActs[it%len(ckActs)], gm, nil, "")
			}
		}
	}
}

// TestConvF32TileEdges sweeps the pixel count and channel counts around the
// GEMM tile for the 1×1 and im2col paths, and the channel count for the
// depthwise kernels.
func TestConvF32TileEdges(t *testing.T) {
	r := ckRNG(t)
	for i := range gemmF32Impls {
		gm := &gemmF32Impls[i]
		if !gm.Available() {
			continue
		}
		for _, px := range []int{1, gm.MR - 1, gm.MR, gm.MR + 1, 2 * gm.MR, 3*gm.MR + 1} {
			for _, ch := range []int{1, 3, 13, 24} {
				if px < 1 {
					continue
				}
				oc := max(ch, 3) + gm.NR // > 2, else "direct"
				ckRunConv(t, r, "edge 1x1", ckGeom(1, 1, px, ch, oc, 1, 1, 1, 0, 0, 0, 0, 1), Act{}, gm, nil, "gemm1x1")
				ckRunConv(t, r, "edge 3x3", ckGeom(1, 1, px, ch, oc, 3, 1, 1, 1, 1, 1, 1, 1), Act{Kind: ActRelu}, gm, nil, "im2col")
			}
			if px < gm.MR {
				// Squeeze-excite shape: fewer pixels than a strip, several
				// column panels (the parts split the channels), odd OC
				// (with bias).
				ckRunConv(t, r, "se 1x1", ckGeom(1, 1, px, 48, 4*gm.NR+5, 1, 1, 1, 0, 0, 0, 0, 1), Act{Kind: ActSwish}, gm, nil, "gemm1x1")
			}
		}
	}
	// Depthwise: channel tails around the 8-channel block (1–9, 13, 16, 17,
	// 24, 33), interior runs around the 8- and 4-pixel tiles (1, 4, 7, 8, 9,
	// 17 pixels at stride 1), 3×3 and 5×5 at strides 1 and 2.
	gm := gemmF32Best(false)
	it := 0
	for _, ch := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 24, 33, 64, 79} {
		for j := range dwconvF32Impls {
			dw := &dwconvF32Impls[j]
			for _, k := range []int{3, 5} {
				if !dw.fits(k, k, ch) {
					continue
				}
				for _, s := range []int{1, 2} {
					for _, run := range []int{1, 4, 7, 8, 9, 17} {
						w := run + 2*(k/2)
						act := ckActs[it%len(ckActs)]
						it++
						algo := ckName("dw", k, "x", k, "s", s)
						if ch == 1 {
							algo = "direct" // one group of one channel is not depthwise
						}
						ckRunConv(t, r, "edge dw", ckGeom(1, k+1, w, ch, ch, k, s, 1, k/2, k/2, k/2, k/2, ch), act, gm, dw, algo)
					}
				}
			}
		}
	}
}

func TestConvF32Allocs(t *testing.T) {
	r := ckRNG(t)
	for _, tc := range ckConvCases {
		for i := range gemmF32Impls {
			gm := &gemmF32Impls[i]
			if !gm.Available() {
				continue
			}
			g := tc.g
			c := packConvF32With(g, ckRand(r, g.OC*g.KH*g.KW*g.C/g.Groups), ckRand(r, g.OC), Act{Kind: ActHardSwish}, gm, nil)
			x, y := ckRand(r, g.N*g.H*g.W*g.C), make([]float32, g.N*g.OH*g.OW*g.OC)
			s := make([]float32, c.ScratchLen())
			if n := testing.AllocsPerRun(5, func() { c.RunPart(x, y, s, 1, 2) }); n != 0 {
				t.Errorf("%s (%s, %s): RunPart allocates %v times", tc.name, c.Algo(), gm.Name, n)
			}
		}
	}
}

func TestConvGeomCheck(t *testing.T) {
	good := ckGeom(1, 4, 4, 6, 6, 3, 1, 1, 1, 1, 1, 1, 2)
	if err := good.Check(); err != nil {
		t.Fatalf("valid geometry: %v", err)
	}
	for name, mut := range map[string]func(*ConvGeom){
		"C%Groups":  func(g *ConvGeom) { g.C = 5 },
		"OC%Groups": func(g *ConvGeom) { g.OC = 7 },
		"zero H":    func(g *ConvGeom) { g.H = 0 },
		"zero SW":   func(g *ConvGeom) { g.SW = 0 },
		"zero DH":   func(g *ConvGeom) { g.DH = 0 },
		"neg pad":   func(g *ConvGeom) { g.PadL = -1 },
		"zero OW":   func(g *ConvGeom) { g.OW = 0 },
		"groups 0":  func(g *ConvGeom) { g.Groups = 0 },
	} {
		g := good
		mut(&g)
		if g.Check() == nil {
			t.Errorf("%s: Check accepted %+v", name, g)
		}
	}
	if got, want := good.MACs(), int64(1*4*4*6*3*3*3); got != want {
		t.Errorf("MACs = %d, want %d", got, want)
	}
}

func TestConvF32Panics(t *testing.T) {
	g := ckGeom(1, 4, 4, 3, 8, 3, 1, 1, 1, 1, 1, 1, 1)
	c := PackConvF32(g, make([]float32, 8*9*3), nil, Act{})
	for name, f := range map[string]func(){
		"short x":       func() { c.Run(make([]float32, 10), make([]float32, 128), make([]float32, c.ScratchLen())) },
		"short y":       func() { c.Run(make([]float32, 48), make([]float32, 127), make([]float32, c.ScratchLen())) },
		"short scratch": func() { c.Run(make([]float32, 48), make([]float32, 128), nil) },
		"bad part":      func() { c.RunPart(make([]float32, 48), make([]float32, 128), make([]float32, c.ScratchLen()), 2, 2) },
		"short w":       func() { PackConvF32(g, make([]float32, 10), nil, Act{}) },
		"bad geom":      func() { PackConvF32(ConvGeom{}, nil, nil, Act{}) },
		"bad act":       func() { PackConvF32(g, make([]float32, 8*9*3), nil, Act{Kind: 99}) },
	} {
		func() {
			defer func() {
				if e := recover(); e == nil {
					t.Errorf("%s: no panic", name)
				} else if s, _ := e.(string); !strings.HasPrefix(s, "kernels: ") {
					t.Errorf("%s: panic %v, want a \"kernels: \" message", name, e)
				}
			}()
			f()
		}()
	}
}

// FuzzConvF32 draws a geometry from the fuzzer's bytes and compares every
// impl with the reference (go test -fuzz=FuzzConvF32 ./kernels).
func FuzzConvF32(f *testing.F) {
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
		if at(10, 2) == 1 { // depthwise
			g.C, g.Groups = groups, groups
			g.OC = groups * (1 + at(3, 2))
		}
		if g.OH <= 0 || g.OW <= 0 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 1))
		for i := range gemmF32Impls {
			if gm := &gemmF32Impls[i]; gm.Available() {
				ckRunConv(t, r, "fuzz", g, ckActs[int(seed%uint64(len(ckActs)))], gm, nil, "")
			}
		}
	})
}

// TestConvF32Concurrent runs the parts of one convolution on goroutines,
// each with its own scratch, as a worker pool would, and checks the result
// against Run bit for bit.
func TestConvF32Concurrent(t *testing.T) {
	r := ckRNG(t)
	for _, tc := range ckConvCases {
		g := tc.g
		c := PackConvF32(g, ckRand(r, g.OC*g.KH*g.KW*g.C/g.Groups), ckRand(r, g.OC), Act{Kind: ActSwish})
		x := ckRand(r, g.N*g.H*g.W*g.C)
		want := make([]float32, g.N*g.OH*g.OW*g.OC)
		c.Run(x, want, make([]float32, c.ScratchLen()))
		got := make([]float32, len(want))
		const parts = 4
		var wg sync.WaitGroup
		for p := 0; p < parts; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.RunPart(x, got, make([]float32, c.ScratchLen()), p, parts)
			}()
		}
		wg.Wait()
		ckBitsEqual(t, tc.name+" concurrent", got, want)
	}
}
