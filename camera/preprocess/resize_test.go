package preprocess

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refBilinearHP is the documented bilinear_hp formula written out per output sample, float64:
// s = (d+0.5)·in/out − 0.5 clamped to [0, in−1], neighbours floor(s) and min(floor(s)+1, in−1),
// blended in x then y, floor(v+0.5) clamped to [0, 255].
func refBilinearHP(src []uint8, sw, sh, c, w, h int) []uint8 {
	coord := func(d, in, out int) (int, int, float64) {
		s := (float64(d)+0.5)*float64(in)/float64(out) - 0.5
		s = math.Max(0, math.Min(s, float64(in-1)))
		i0 := int(math.Floor(s))
		return i0, min(i0+1, in-1), s - float64(i0)
	}
	at := func(x, y, k int) float64 { return float64(src[(y*sw+x)*c+k]) }
	out := make([]uint8, w*h*c)
	for y := range h {
		y0, y1, fy := coord(y, sh, h)
		for x := range w {
			x0, x1, fx := coord(x, sw, w)
			for k := range c {
				top := float64(at(x0, y0, k)*(1-fx)) + float64(at(x1, y0, k)*fx)
				bot := float64(at(x0, y1, k)*(1-fx)) + float64(at(x1, y1, k)*fx)
				v := math.Floor(float64(top*(1-fy)) + float64(bot*fy) + 0.5)
				out[(y*w+x)*c+k] = uint8(math.Max(0, math.Min(v, 255)))
			}
		}
	}
	return out
}

// refNearest: src = floor((2d+1)·in / (2·out)) in exact integer arithmetic, clamped to in−1.
func refNearest(src []uint8, sw, sh, c, w, h int) []uint8 {
	out := make([]uint8, w*h*c)
	for y := range h {
		sy := min((2*y+1)*sh/(2*h), sh-1)
		for x := range w {
			sx := min((2*x+1)*sw/(2*w), sw-1)
			copy(out[(y*w+x)*c:(y*w+x+1)*c], src[(sy*sw+sx)*c:])
		}
	}
	return out
}

// resizeSizes draws source/destination sizes around the interesting edges: 1, equal, ±1, ×2, /2,
// non-integer factors up and down.
func resizeSizes(rng *rand.Rand, n int) [][4]int {
	fixed := [][4]int{{1, 1, 1, 1}, {1, 1, 5, 3}, {5, 3, 1, 1}, {7, 5, 7, 5}, {7, 5, 8, 6}, {8, 6, 7, 5},
		{16, 16, 8, 8}, {8, 8, 16, 16}, {640, 480, 224, 224}, {33, 17, 224, 224}, {512, 341, 224, 224}, {3, 100, 100, 3}}
	for range n {
		fixed = append(fixed, [4]int{1 + rng.IntN(90), 1 + rng.IntN(90), 1 + rng.IntN(90), 1 + rng.IntN(90)})
	}
	return fixed
}

func TestBilinearHPMatchesFormula(t *testing.T) {
	seed := uint64(rand.Uint32())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	var r resizer // reused across sizes, as a Preprocessor does
	for _, sz := range resizeSizes(rng, 60) {
		for _, c := range []int{1, 3} {
			sw, sh, w, h := sz[0], sz[1], sz[2], sz[3]
			src := lcgImage(sw, sh, c, uint32(sw*1000+sh))
			got := make([]uint8, w*h*c)
			r.resize(got, w, h, src, sw, sh, c, BilinearHP)
			if want := refBilinearHP(src, sw, sh, c, w, h); !bytes.Equal(got, want) {
				t.Fatalf("bilinear_hp %dx%dx%d → %dx%d differs from the formula (seed %d)", sw, sh, c, w, h, seed)
			}
		}
	}
}

func TestNearestMatchesFormula(t *testing.T) {
	seed := uint64(rand.Uint32())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	var r resizer
	for _, sz := range resizeSizes(rng, 60) {
		for _, c := range []int{1, 3} {
			sw, sh, w, h := sz[0], sz[1], sz[2], sz[3]
			src := lcgImage(sw, sh, c, uint32(sw*1000+sh))
			got := make([]uint8, w*h*c)
			r.resize(got, w, h, src, sw, sh, c, Nearest)
			if want := refNearest(src, sw, sh, c, w, h); !bytes.Equal(got, want) {
				t.Fatalf("nearest %dx%dx%d → %dx%d differs from the formula (seed %d)", sw, sh, c, w, h, seed)
			}
		}
	}
}

// Same-size resizes are the identity for every method but crop256 (which upscales to 256 and crops).
func TestResizeIdentity(t *testing.T) {
	src := lcgRGB8(13, 9, 7)
	for _, m := range []ResizeMethod{BilinearHP, Nearest, PILBilinear} {
		if got := ResizeRGB8(src, 13, 9, m); !bytes.Equal(got.Pix, src.Pix) {
			t.Errorf("%s: same-size resize is not the identity", m)
		}
	}
}

func TestCropGeometry(t *testing.T) {
	for _, tc := range []struct{ w, h, sw, sh, fw, fh, cx, cy int }{
		{224, 224, 512, 341, 384, 256, 80, 16}, // cat.bmp: 512·256/341 = 384.37
		{224, 224, 512, 600, 256, 300, 16, 38}, // grace_hopper.bmp: 600·256/512 = 300
		{224, 224, 256, 256, 256, 256, 16, 16},
		{224, 224, 28, 28, 256, 256, 16, 16},
		{128, 128, 300, 200, 219, 146, 45, 9}, // t = round(128·8/7) = 146; 300·146/200 = 219
		{160, 96, 300, 200, 274, 183, 57, 43}, // t = round(160·8/7) = 183; 300·183/200 = 274.5 → 274 (half-even)
	} {
		fw, fh, cx, cy := cropGeometry(tc.w, tc.h, tc.sw, tc.sh)
		if fw != tc.fw || fh != tc.fh || cx != tc.cx || cy != tc.cy {
			t.Errorf("cropGeometry(%d,%d,%d,%d) = %d,%d,%d,%d, want %d,%d,%d,%d", tc.w, tc.h, tc.sw, tc.sh, fw, fh, cx, cy, tc.fw, tc.fh, tc.cx, tc.cy)
		}
	}
}

// Computing only the crop window of a Pillow resize equals resizing fully and cropping.
func TestPILCropWindowEqualsFullResize(t *testing.T) {
	seed := uint64(rand.Uint32())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	var r resizer
	for range 40 {
		c := []int{1, 3}[rng.IntN(2)]
		sw, sh := 1+rng.IntN(60), 1+rng.IntN(60)
		fw, fh := 1+rng.IntN(60), 1+rng.IntN(60)
		if rng.IntN(4) == 0 {
			fw = sw // no horizontal pass
		}
		if rng.IntN(4) == 0 {
			fh = sh // no vertical pass
		}
		cw, ch := 1+rng.IntN(fw), 1+rng.IntN(fh)
		cx, cy := rng.IntN(fw-cw+1), rng.IntN(fh-ch+1)
		src := lcgImage(sw, sh, c, uint32(rng.Uint32()))
		full := make([]uint8, fw*fh*c)
		r.pil(full, src, sw, sh, c, fw, fh, 0, 0, fw, fh)
		want := make([]uint8, 0, cw*ch*c)
		for y := cy; y < cy+ch; y++ {
			want = append(want, full[(y*fw+cx)*c:(y*fw+cx+cw)*c]...)
		}
		got := make([]uint8, cw*ch*c)
		r.pil(got, src, sw, sh, c, fw, fh, cx, cy, cw, ch)
		if !bytes.Equal(got, want) {
			t.Fatalf("%dx%dx%d → %dx%d window %dx%d+%d+%d differs from full resize + crop (seed %d)", sw, sh, c, fw, fh, cw, ch, cx, cy, seed)
		}
	}
}

func parseMethod(t *testing.T, s string) ResizeMethod {
	t.Helper()
	m, err := ParseResizeMethod(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Synthetic noise images through every variant, against Pillow 9.4 / the numpy reference.
func TestResizeAgainstPillow(t *testing.T) {
	ref := loadRef(t)
	srcs := map[string]struct {
		w, h, c int
		seed    uint32
	}{"rgb37x23": {37, 23, 3, 1}, "gray37x23": {37, 23, 1, 2}, "rgb300x200": {300, 200, 3, 3}, "rgb200x300": {200, 300, 3, 4}}
	var r resizer
	checked := map[string]int{}
	for _, e := range ref.Synthetic {
		s, ok := srcs[e.Src]
		if !ok {
			t.Fatalf("unknown synthetic source %q", e.Src)
		}
		src := lcgImage(s.w, s.h, s.c, s.seed)
		var got []uint8
		if e.Variant == "luma" {
			got = (&RGB8{W: s.w, H: s.h, Pix: src}).Luma(nil)
		} else {
			got = make([]uint8, e.W*e.H*s.c)
			r.resize(got, e.W, e.H, src, s.w, s.h, s.c, parseMethod(t, e.Variant))
		}
		name := fmt.Sprintf("%s %s → %dx%d", e.Variant, e.Src, e.W, e.H)
		if sha(got) != e.SHA256 {
			msg := ""
			if e.Hex != "" {
				want, _ := hex.DecodeString(e.Hex)
				if len(want) == len(got) {
					m, mean := maxAbsDiff(got, want)
					msg = fmt.Sprintf(" (max |diff| %d, mean %.3f)", m, mean)
				}
			}
			t.Errorf("%s: sha256 differs from Pillow/numpy%s", name, msg)
		}
		checked[e.Variant]++
	}
	for _, v := range []string{"bilinear_hp", "nearest", "pil_bilinear", "crop256", "luma"} {
		if checked[v] == 0 {
			t.Errorf("reference has no %s cases", v)
		}
	}
	t.Logf("checked %v", checked)
}

// cat.bmp → 224×224 with each variant, against the reference script run with Pillow 9.4: all four
// are bit-exact (the brief allowed ±1 for pil_bilinear; the crop comparison reports the size of any
// difference before the whole-image hash is checked).
func TestCat224AgainstPillow(t *testing.T) {
	ref := loadRef(t)
	cat := decodeFixture(t, "images/cat.bmp")
	if len(ref.Cat224) != 4 {
		t.Fatalf("reference has %d cat224 variants, want 4", len(ref.Cat224))
	}
	for _, e := range ref.Cat224 {
		got := ResizeRGB8(cat, 224, 224, parseMethod(t, e.Variant))
		want, _ := hex.DecodeString(e.CropHex)
		c := cropRGB(got, e.Crop[0], e.Crop[1], e.Crop[2], e.Crop[3])
		if m, mean := maxAbsDiff(c, want); m != 0 {
			t.Errorf("%s: 32x24 crop differs from Pillow: max |diff| %d, mean %.3f", e.Variant, m, mean)
		}
		if sha(got.Pix) != e.SHA256 {
			t.Errorf("%s: 224x224 sha256 differs from Pillow", e.Variant)
		}
	}
}

func TestResizeRGB8KeepsGray(t *testing.T) {
	img := decodeFixture(t, "images/person.bmp")
	if !img.Gray {
		t.Fatal("person.bmp not flagged grey")
	}
	out := ResizeRGB8(img, 50, 70, PILBilinear)
	if !out.Gray {
		t.Error("resized grey image lost its Gray flag")
	}
	for i := 0; i < len(out.Pix); i += 3 {
		if out.Pix[i] != out.Pix[i+1] || out.Pix[i] != out.Pix[i+2] {
			t.Fatalf("pixel %d of a resized grey image is not grey", i/3)
		}
	}
}

func TestResizeMethodText(t *testing.T) {
	for m := range ResizeMethod(4) {
		b, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back ResizeMethod
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("%s: round trip gave %v, %v", m, back, err)
		}
	}
	if _, err := ResizeMethod(9).MarshalText(); err == nil {
		t.Error("MarshalText of an unknown method succeeded")
	}
	if _, err := ParseResizeMethod("bicubic"); err == nil {
		t.Error("ParseResizeMethod(bicubic) succeeded")
	}
}
