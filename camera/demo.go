package camera

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// DemoClass is what a demo frame shows.
type DemoClass uint8

const (
	DemoNone     DemoClass = iota // only the textured background
	DemoCircle                    // a red disc
	DemoSquare                    // a blue square
	DemoTriangle                  // a green triangle
	DemoStripes                   // a square patch of black and yellow stripes
	NumDemoClasses
)

func (c DemoClass) String() string {
	switch c {
	case DemoNone:
		return "none"
	case DemoCircle:
		return "circle"
	case DemoSquare:
		return "square"
	case DemoTriangle:
		return "triangle"
	case DemoStripes:
		return "stripes"
	}
	return fmt.Sprintf("DemoClass(%d)", uint8(c))
}

// DemoClassNames returns the class names in DemoClass order (index = class), e.g. for a model's
// labels file.
func DemoClassNames() []string {
	names := make([]string, NumDemoClasses)
	for c := range NumDemoClasses {
		names[c] = c.String()
	}
	return names
}

// DemoShotFrames is the length of a demo "shot": one object (or none) crossing the frame, moving,
// turning and changing scale. Each run of NumDemoClasses consecutive shots shows every class once,
// in an order drawn from the seed, so the classes are balanced.
const DemoShotFrames = 30

// DemoScene describes a demo frame: its class and where the object is.
type DemoScene struct {
	Class DemoClass
	// X, Y: the object's centre in pixels; R: its radius (half its size) in pixels; Angle: its
	// rotation in radians. Zero for DemoNone.
	X, Y, R, Angle float64
}

// Demo is a source of synthetic scenes for running without a camera, and for training a starter
// model: each frame shows one of the DemoClass objects, or none, on a textured, noisy background,
// moving and changing scale. Frames depend only on the seed, the size and the sequence number — the
// same on every machine (all per-pixel arithmetic is integer) — so Scene(seq) labels Next's frames
// and Render can draw any frame again.
type Demo struct {
	w, h   int
	format PixelFormat
	seed   uint64
	lc     lifecycle
	pace   pacer

	mu      sync.Mutex // guards the fields below; Render and Next take it
	seq     uint64
	rgb     []uint8 // RGB24 frame
	out     []uint8 // the frame in format, when not RGB24
	lattice []int32 // the current shot's background texture
	latShot uint64
	latOK   bool
}

// NewDemo returns a demo source of opts.Width×opts.Height frames (default 320×240, at least 16×16)
// in opts.Format (RGB24 by default; YUYV and GREY too), scenes drawn from opts.Seed, paced at
// opts.FPS (0: as fast as Next is called).
func NewDemo(opts Options) (*Demo, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	w, h := opts.Width, opts.Height
	if w == 0 && h == 0 {
		w, h = DefaultDemoWidth, DefaultDemoHeight
	}
	format := opts.Format
	if format == FormatUnknown {
		format = RGB24
	}
	if format != RGB24 && format != YUYV && format != GREY {
		return nil, fmt.Errorf("%w: demo frames in %v (want rgb24, yuyv or grey)", ErrUnsupported, format)
	}
	if w < 16 || h < 16 || format.FrameLen(w, h) < 0 {
		return nil, fmt.Errorf("%w: demo size %dx%d in %v (at least 16x16, even width for yuyv)", ErrInvalidSpec, w, h, format)
	}
	d := &Demo{w: w, h: h, format: format, seed: uint64(opts.Seed), lc: newLifecycle(), pace: newPacer(opts.FPS),
		rgb: make([]uint8, w*h*3)}
	if format != RGB24 {
		d.out = make([]uint8, format.FrameLen(w, h))
	}
	return d, nil
}

// Size returns the frame size.
func (d *Demo) Size() (w, h int) { return d.w, d.h }

// Next renders the next frame. Its Data is valid until the next call to Next or Render.
func (d *Demo) Next(ctx context.Context) (Frame, error) {
	if err := d.lc.check(ctx); err != nil {
		return Frame{}, err
	}
	if err := d.pace.wait(ctx, d.lc.closed); err != nil {
		return Frame{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	seq := d.seq
	d.seq++
	d.render(d.rgb, seq)
	data := d.rgb
	switch d.format {
	case YUYV:
		rgbToYUYV(d.out, d.rgb, d.w, d.h)
		data = d.out
	case GREY:
		rgbToGrey(d.out, d.rgb)
		data = d.out
	}
	return Frame{Seq: seq, Time: time.Now(), Format: d.format, W: d.w, H: d.h, Data: data}, nil
}

// Close stops the source; Render and Scene still work.
func (d *Demo) Close() error {
	d.lc.close()
	return nil
}

// Class returns the class of frame seq.
func (d *Demo) Class(seq uint64) DemoClass { return d.shot(seq / DemoShotFrames).class }

// Scene returns the class and geometry of frame seq.
func (d *Demo) Scene(seq uint64) DemoScene {
	sh := d.shot(seq / DemoShotFrames)
	if sh.class == DemoNone {
		return DemoScene{}
	}
	g := sh.at(seq % DemoShotFrames)
	return DemoScene{Class: sh.class, X: float64(g.x) / 16, Y: float64(g.y) / 16, R: float64(g.r) / 16,
		Angle: math.Atan2(float64(g.sin), float64(g.cos))}
}

// Render draws frame seq as RGB24 into dst (at least W·H·3 bytes), the frame Next delivers for seq
// before any format conversion.
func (d *Demo) Render(dst []uint8, seq uint64) {
	if len(dst) < d.w*d.h*3 {
		panic(fmt.Sprintf("camera: Demo.Render: dst has %d bytes, want %d", len(dst), d.w*d.h*3))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.render(dst, seq)
}

// mix64 is SplitMix64's finaliser: a bijective hash of 64 bits.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rnd returns a hash of (seed, a, b, c) reduced to [0, n).
func (d *Demo) rnd(a, b, c uint64, n int) int {
	return int(mix64(d.seed^mix64(a^mix64(b^mix64(c)))) % uint64(n))
}

// Fixed-point units: positions and sizes in 1/16 pixel, cos and sin in 1/4096.
const (
	demoSub   = 16
	demoTrig  = 4096
	demoCell  = 24 // background texture cell, pixels
	demoNoise = 10 // sensor noise amplitude, levels
)

// demoShot is one shot's draw: its class, colours and the object's path.
type demoShot struct {
	class          DemoClass
	shot           uint64
	bg             [3]int32 // background base colour
	fg, fg2        [3]int32 // object colours (stripes use both)
	x0, y0, x1, y1 int64    // centre at the first and last frame, 1/16 px
	r0, r1         int64    // radius at the first and last frame, 1/16 px
	a0, a1         int      // angle at the first and last frame, 1/4096 turn
}

func (d *Demo) shot(s uint64) demoShot {
	sh := demoShot{shot: s}
	// A seeded permutation of the classes per block of NumDemoClasses shots.
	block, pos := s/uint64(NumDemoClasses), int(s%uint64(NumDemoClasses))
	var perm [NumDemoClasses]DemoClass
	for i := range perm {
		perm[i] = DemoClass(i)
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := d.rnd(1, block, uint64(i), i+1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	sh.class = perm[pos]
	// Background: a muted colour, grey 70–180 with a tint of ±20.
	grey := int32(70 + d.rnd(2, s, 0, 111))
	for c := range sh.bg {
		sh.bg[c] = grey + int32(d.rnd(2, s, uint64(c+1), 41)) - 20
	}
	// Object colours, jittered ±24 around the class colour.
	base := [NumDemoClasses][2][3]int32{
		DemoCircle:   {{215, 40, 40}},
		DemoSquare:   {{40, 70, 215}},
		DemoTriangle: {{45, 185, 60}},
		DemoStripes:  {{235, 205, 40}, {25, 25, 30}},
	}[sh.class]
	for c := 0; c < 3; c++ {
		sh.fg[c] = clampLevel(base[0][c] + int32(d.rnd(3, s, uint64(c), 49)) - 24)
		sh.fg2[c] = clampLevel(base[1][c] + int32(d.rnd(3, s, uint64(c+3), 17)) - 8)
	}
	// Size: radius 12–26 % of the shorter side, scaled by 0.8–1.2 at each end of the shot.
	side := int64(min(d.w, d.h)) * demoSub
	r := side * int64(12+d.rnd(4, s, 0, 15)) / 100
	sh.r0 = r * int64(80+d.rnd(4, s, 1, 41)) / 100
	sh.r1 = r * int64(80+d.rnd(4, s, 2, 41)) / 100
	// Path: from one point to another, keeping the object (largest radius, plus a margin) in frame.
	rmax := max(sh.r0, sh.r1) * 11 / 10
	place := func(k uint64, extent int) int64 {
		lo, hi := rmax, int64(extent)*demoSub-rmax
		if hi <= lo {
			return int64(extent) * demoSub / 2
		}
		return lo + int64(d.rnd(5, s, k, int(hi-lo+1)))
	}
	sh.x0, sh.y0, sh.x1, sh.y1 = place(0, d.w), place(1, d.h), place(2, d.w), place(3, d.h)
	// Rotation: any start angle, turning by up to ±1/8 turn over the shot.
	sh.a0 = d.rnd(6, s, 0, demoTrig)
	sh.a1 = sh.a0 + d.rnd(6, s, 1, demoTrig/4+1) - demoTrig/8
	return sh
}

func clampLevel(v int32) int32 { return min(max(v, 0), 255) }

// demoGeom is the object's geometry in one frame.
type demoGeom struct {
	x, y, r  int64 // 1/16 px
	cos, sin int64 // 1/4096
}

func (sh *demoShot) at(k uint64) demoGeom {
	n := int64(DemoShotFrames - 1)
	t := int64(k)
	lerp := func(a, b int64) int64 { return a + (b-a)*t/n }
	a := lerp(int64(sh.a0), int64(sh.a1))
	// The angle is quantised to 1/4096 turn and its cosine and sine to 1/4096 before any pixel is
	// drawn, so that the per-pixel arithmetic is integer and the frames are the same everywhere.
	rad := 2 * math.Pi * float64(a) / demoTrig
	return demoGeom{
		x: lerp(sh.x0, sh.x1), y: lerp(sh.y0, sh.y1), r: lerp(sh.r0, sh.r1),
		cos: int64(math.Round(math.Cos(rad) * demoTrig)), sin: int64(math.Round(math.Sin(rad) * demoTrig)),
	}
}

func (d *Demo) render(dst []uint8, seq uint64) {
	sh := d.shot(seq / DemoShotFrames)
	d.background(dst, &sh, seq)
	if sh.class != DemoNone {
		d.object(dst, &sh, sh.at(seq%DemoShotFrames), seq)
	}
}

// background draws the shot's texture (value noise on a demoCell grid, ±36 levels per channel,
// bilinearly interpolated) plus per-frame sensor noise.
func (d *Demo) background(dst []uint8, sh *demoShot, seq uint64) {
	gw, gh := d.w/demoCell+2, d.h/demoCell+2
	if !d.latOK || d.latShot != sh.shot {
		if cap(d.lattice) < gw*gh*3 {
			d.lattice = make([]int32, gw*gh*3)
		}
		d.lattice = d.lattice[:gw*gh*3]
		for i := range d.lattice {
			d.lattice[i] = sh.bg[i%3] + int32(d.rnd(7, sh.shot, uint64(i), 73)) - 36
		}
		d.latShot, d.latOK = sh.shot, true
	}
	lat := d.lattice
	for y := 0; y < d.h; y++ {
		gy, fy := y/demoCell, int32(y%demoCell)
		row0, row1 := lat[gy*gw*3:], lat[(gy+1)*gw*3:]
		out := dst[y*d.w*3 : (y+1)*d.w*3]
		for x := 0; x < d.w; x++ {
			gx, fx := x/demoCell, int32(x%demoCell)
			nz := mix64(d.seed ^ mix64(seq<<24^uint64(y*d.w+x)))
			for c := 0; c < 3; c++ {
				a, b := row0[gx*3+c], row0[gx*3+3+c]
				e, f := row1[gx*3+c], row1[gx*3+3+c]
				top := a*(demoCell-fx) + b*fx
				bot := e*(demoCell-fx) + f*fx
				v := (top*(demoCell-fy) + bot*fy + demoCell*demoCell/2) / (demoCell * demoCell)
				out[3*x+c] = uint8(clampLevel(v + noise(nz>>(16*c))))
			}
		}
	}
}

// noise maps 16 random bits to a roughly triangular value in [−demoNoise, demoNoise].
func noise(h uint64) int32 {
	a, b := int32(h&0xff), int32(h>>8&0xff)
	return (a + b - 255) * demoNoise / 255
}

// object draws the shot's object over the background, lit from the top (±10 % brightness), with
// sensor noise.
func (d *Demo) object(dst []uint8, sh *demoShot, g demoGeom, seq uint64) {
	ext := g.r*3/2/demoSub + 2 // bounding box half-size, pixels
	cx, cy := g.x/demoSub, g.y/demoSub
	x0, x1 := max(cx-ext, 0), min(cx+ext, int64(d.w-1))
	y0, y1 := max(cy-ext, 0), min(cy+ext, int64(d.h-1))
	const sqrt3 = 7094  // √3 · 4096
	rc := g.r * 11 / 10 // triangle circumradius
	half := g.r * 85 / 100
	period := max(g.r*35/100, demoSub)
	for y := y0; y <= y1; y++ {
		py := y*demoSub + demoSub/2 - g.y
		out := dst[int(y)*d.w*3 : int(y+1)*d.w*3]
		for x := x0; x <= x1; x++ {
			px := x*demoSub + demoSub/2 - g.x
			// Object coordinates (u, v): the pixel centre rotated by −angle, 1/16 px.
			u := (px*g.cos + py*g.sin) / demoTrig
			v := (py*g.cos - px*g.sin) / demoTrig
			col := &sh.fg
			switch sh.class {
			case DemoCircle:
				if u*u+v*v > g.r*g.r {
					continue
				}
			case DemoSquare:
				if u < -half || u > half || v < -half || v > half {
					continue
				}
			case DemoTriangle:
				if 2*v > rc || sqrt3*u-demoTrig*v > demoTrig*rc || -sqrt3*u-demoTrig*v > demoTrig*rc {
					continue
				}
			case DemoStripes:
				if u < -half || u > half || v < -half || v > half {
					continue
				}
				if ((u+16*period)/period)%2 == 1 {
					col = &sh.fg2
				}
			}
			shade := int32(100 - v*10/max(g.r, 1)) // 90–110 %, brighter at the top
			nz := mix64(d.seed ^ mix64(seq<<24^uint64(int(y)*d.w+int(x))^1<<63))
			for c := 0; c < 3; c++ {
				out[3*x+int64(c)] = uint8(clampLevel(col[c]*shade/100 + noise(nz>>(16*c))))
			}
		}
	}
}

// rgbToYUYV converts packed RGB to YUYV with the BT.601 limited-range matrix (the inverse of
// YUYVToRGB's), averaging the chroma of each pixel pair.
func rgbToYUYV(dst, src []uint8, w, h int) {
	for i := 0; i < w*h/2; i++ {
		p := src[6*i : 6*i+6 : 6*i+6]
		y0 := (16829*int32(p[0]) + 33039*int32(p[1]) + 6416*int32(p[2]) + 32768 + 16<<16) >> 16
		y1 := (16829*int32(p[3]) + 33039*int32(p[4]) + 6416*int32(p[5]) + 32768 + 16<<16) >> 16
		r, g, b := int32(p[0])+int32(p[3]), int32(p[1])+int32(p[4]), int32(p[2])+int32(p[5])
		u := (-9714*r - 19070*g + 28784*b + 65536 + 128<<17) >> 17
		v := (28784*r - 24103*g - 4681*b + 65536 + 128<<17) >> 17
		o := dst[4*i : 4*i+4 : 4*i+4]
		o[0], o[1], o[2], o[3] = uint8(y0), uint8(clampLevel(u)), uint8(y1), uint8(clampLevel(v))
	}
}

// rgbToGrey converts packed RGB to full-range grey (BT.601 luma, what preprocess uses).
func rgbToGrey(dst, src []uint8) {
	for i := range dst {
		p := src[3*i : 3*i+3 : 3*i+3]
		dst[i] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 0x8000) >> 16)
	}
}
