package camera

import (
	"bytes"
	"context"
	"hash/fnv"
	"math"
	"testing"
)

func newDemo(t *testing.T, opts Options) *Demo {
	t.Helper()
	d, err := NewDemo(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDemoDeterministic(t *testing.T) {
	ctx := context.Background()
	a := newDemo(t, Options{Seed: 7, Width: 96, Height: 64})
	b := newDemo(t, Options{Seed: 7, Width: 96, Height: 64})
	c := newDemo(t, Options{Seed: 8, Width: 96, Height: 64})
	buf := make([]byte, 96*64*3)
	for i := 0; i < 70; i++ {
		fa, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fb, _ := b.Next(ctx)
		fc, _ := c.Next(ctx)
		if fa.Seq != uint64(i) || fa.Format != RGB24 || fa.W != 96 || fa.H != 64 || len(fa.Data) != 96*64*3 {
			t.Fatalf("frame %d: seq %d %v %dx%d %d bytes", i, fa.Seq, fa.Format, fa.W, fa.H, len(fa.Data))
		}
		if !bytes.Equal(fa.Data, fb.Data) {
			t.Fatalf("frame %d differs between two demos with the same seed", i)
		}
		if bytes.Equal(fa.Data, fc.Data) {
			t.Fatalf("frame %d is the same for seeds 7 and 8", i)
		}
		a.Render(buf, uint64(i))
		if !bytes.Equal(buf, fa.Data) {
			t.Fatalf("Render(%d) differs from Next's frame", i)
		}
	}
	// Consecutive frames differ (noise and motion).
	a.Render(buf, 3)
	f4 := make([]byte, len(buf))
	a.Render(f4, 4)
	if bytes.Equal(buf, f4) {
		t.Fatal("frames 3 and 4 are identical")
	}
}

// The frames are the same on every architecture: this golden hash is checked natively and under
// qemu (arm64, armv7).
func TestDemoGolden(t *testing.T) {
	d := newDemo(t, Options{Seed: 1, Width: 80, Height: 60})
	buf := make([]byte, 80*60*3)
	h := fnv.New64a()
	for _, seq := range []uint64{0, 13, 29, 30, 47, 61, 95, 122, 149, 151} {
		d.Render(buf, seq)
		h.Write(buf)
	}
	const want = 0x50e1cfd31c49ba34
	if got := h.Sum64(); got != want {
		t.Errorf("demo frames hash to %#x, want %#x", got, uint64(want))
	}
}

func TestDemoClasses(t *testing.T) {
	const w, h = 160, 120
	d := newDemo(t, Options{Seed: 3, Width: w, Height: h})
	buf := make([]byte, w*h*3)
	const blocks = 8
	var count [NumDemoClasses]int
	for shot := uint64(0); shot < blocks*uint64(NumDemoClasses); shot++ {
		first := shot * DemoShotFrames
		class := d.Class(first)
		count[class]++
		for k := uint64(0); k < DemoShotFrames; k += 7 {
			if c := d.Class(first + k); c != class || d.Scene(first+k).Class != class {
				t.Fatalf("shot %d changes class within the shot", shot)
			}
		}
		sc := d.Scene(first + DemoShotFrames/2)
		if class == DemoNone {
			if sc != (DemoScene{}) {
				t.Fatalf("shot %d: a DemoNone scene with geometry %+v", shot, sc)
			}
			continue
		}
		if sc.R < 0.08*h || sc.R > 0.35*h || sc.X-sc.R < 0 || sc.X+sc.R > w || sc.Y-sc.R < 0 || sc.Y+sc.R > h {
			t.Fatalf("shot %d: object %+v not inside the %dx%d frame", shot, sc, w, h)
		}
		// Count the pixels of the class colour around the object and compare with its area.
		d.Render(buf, first+DemoShotFrames/2)
		var area float64
		match := func(r, g, b int) bool { return false }
		switch class {
		case DemoCircle:
			area = math.Pi * sc.R * sc.R
			match = func(r, g, b int) bool { return r > 140 && g < 100 && b < 100 }
		case DemoSquare:
			area = 1.7 * 1.7 * sc.R * sc.R
			match = func(r, g, b int) bool { return b > 140 && r < 100 && g < 120 }
		case DemoTriangle:
			rc := 1.1 * sc.R
			area = 3 * math.Sqrt(3) / 4 * rc * rc
			match = func(r, g, b int) bool { return g > 120 && r < 100 && b < 110 }
		case DemoStripes:
			area = 1.7 * 1.7 * sc.R * sc.R / 2 // the yellow half
			match = func(r, g, b int) bool { return r > 170 && g > 140 && b < 100 }
		}
		n := 0
		for y := max(0, int(sc.Y-1.6*sc.R)); y < min(h, int(sc.Y+1.6*sc.R)); y++ {
			for x := max(0, int(sc.X-1.6*sc.R)); x < min(w, int(sc.X+1.6*sc.R)); x++ {
				p := buf[(y*w+x)*3:]
				if match(int(p[0]), int(p[1]), int(p[2])) {
					n++
				}
			}
		}
		if float64(n) < 0.7*area || float64(n) > 1.3*area {
			t.Errorf("shot %d (%v, %+v): %d pixels of the class colour, want about %.0f", shot, class, sc, n, area)
		}
	}
	for c, n := range count {
		if n != blocks {
			t.Errorf("class %v appears in %d shots, want %d (balanced)", DemoClass(c), n, blocks)
		}
	}
	if names := DemoClassNames(); len(names) != int(NumDemoClasses) || names[DemoTriangle] != "triangle" {
		t.Errorf("DemoClassNames() = %v", names)
	}
}

func TestDemoFormats(t *testing.T) {
	ctx := context.Background()
	rgbSrc := newDemo(t, Options{Seed: 5, Width: 64, Height: 32})
	want, _ := rgbSrc.Next(ctx)
	var dec Decoder
	for _, p := range []PixelFormat{YUYV, GREY} {
		d := newDemo(t, Options{Seed: 5, Width: 64, Height: 32, Format: p})
		f, err := d.Next(ctx)
		if err != nil || f.Format != p || len(f.Data) != p.FrameLen(64, 32) {
			t.Fatalf("%v demo: %v %d bytes, err %v", p, f.Format, len(f.Data), err)
		}
		img, err := dec.Decode(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		if p == GREY {
			continue
		}
		_, mean, _ := diffStats(img.Pix, want.Data)
		if mean > 4 {
			t.Errorf("%v demo frame decodes %.2f levels away from the RGB frame on average", p, mean)
		}
	}
	if _, err := NewDemo(Options{Format: NV12}); err == nil {
		t.Error("NV12 demo accepted")
	}
	if _, err := NewDemo(Options{Width: 8, Height: 8}); err == nil {
		t.Error("8x8 demo accepted")
	}
}

// Steady-state demo capture allocates nothing.
func TestDemoNoAlloc(t *testing.T) {
	d := newDemo(t, Options{Width: 64, Height: 48})
	ctx := context.Background()
	d.Next(ctx)
	if n := testing.AllocsPerRun(10, func() { d.Next(ctx) }); n != 0 {
		t.Errorf("%v allocations per Next", n)
	}
}
