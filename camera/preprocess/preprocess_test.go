package preprocess

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// A 2×2 image with distinct samples through every layout/order, raw normalisation.
func TestLayoutAndOrder(t *testing.T) {
	img := &RGB8{W: 2, H: 2, Pix: []uint8{
		1, 2, 3, 4, 5, 6,
		7, 8, 9, 10, 11, 12,
	}}
	for _, tc := range []struct {
		spec string
		want []float32
	}{
		{"order=rgb,layout=nchw", []float32{1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12}},
		{"order=bgr,layout=nchw", []float32{3, 6, 9, 12, 2, 5, 8, 11, 1, 4, 7, 10}},
		{"order=rgb,layout=nhwc", []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
		{"order=bgr,layout=nhwc", []float32{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}},
		// Mean and Std apply per output channel: after BGR, channel 0 is blue.
		{"order=bgr,layout=nhwc,mean=1/2/3,std=1/2/4", []float32{2, 0, -0.5, 5, 1.5, 0.25, 8, 3, 1, 11, 4.5, 1.75}},
		{"order=rgb,layout=nchw,mean=1/2/3,std=1/2/4", []float32{0, 3, 6, 9, 0, 1.5, 3, 4.5, 0, 0.75, 1.5, 2.25}},
		{"scale=2,offset=1", []float32{3, 9, 15, 21, 5, 11, 17, 23, 7, 13, 19, 25}},
		// One channel: Pillow luma of (1,2,3)=2, (4,5,6)=5, (7,8,9)=8, (10,11,12)=11.
		{"channels=1,layout=nhwc", []float32{2, 5, 8, 11}},
		{"channels=1,layout=nchw,order=bgr,mean=1,std=2", []float32{0.5, 2, 3.5, 5}},
	} {
		s, err := ParseSpec("size=2x2,norm=raw," + tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, s.Len())
		s.Apply(img, dst)
		if !slices.Equal(dst, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.spec, dst, tc.want)
		}
	}
}

// The presets reproduce numpy's float32 expressions exactly: (x/255 − mean)/std, x/127.5 − 1, x/255, x.
func TestNormTableExact(t *testing.T) {
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	for _, norm := range NormPresets() {
		s, _ := ParseSpec("size=256x1,layout=nhwc,norm=" + norm)
		img := NewRGB8(256, 1)
		for v := range 256 {
			img.Pix[3*v], img.Pix[3*v+1], img.Pix[3*v+2] = uint8(v), uint8(v), uint8(v)
		}
		dst := make([]float32, s.Len())
		s.Apply(img, dst)
		for v := range 256 {
			x := float32(v)
			for c := range 3 {
				var want float32
				switch norm {
				case "imagenet":
					want = (x/255 - mean[c]) / std[c]
				case "tf":
					want = x/127.5 - 1
				case "unit":
					want = x / 255
				case "raw":
					want = x
				}
				if got := dst[3*v+c]; got != want {
					t.Fatalf("%s v=%d c=%d: %v (%08x), want %v (%08x)", norm, v, c, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
		}
		if norm == "tf" && (dst[0] != -1 || dst[3*255] != 1) {
			t.Errorf("tf range [%v, %v]", dst[0], dst[3*255])
		}
	}
	// A scale that is not 1/(half-integer) uses the product.
	tab := normTable(0.1, 0, 0, 1)
	if tab[3] != float32(3)*float32(0.1) {
		t.Errorf("scale 0.1: %v", tab[3])
	}
}

// Whole tensors against eval_preprocess.py's float32 NCHW inputs (sha256 of the bytes), i.e. exactly
// what the shared models' expected labels were measured with.
func TestTensorsAgainstReference(t *testing.T) {
	ref := loadRef(t)
	if len(ref.Tensors) < 9 {
		t.Fatalf("reference has %d tensors", len(ref.Tensors))
	}
	for _, e := range ref.Tensors {
		s, err := ParseSpec(e.Spec)
		if err != nil {
			t.Fatal(err)
		}
		p, err := NewPreprocessor(s)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, s.Len())
		p.Run(decodeFixture(t, "images/"+e.File), dst)
		if floatsSHA(dst) != e.SHA256 {
			t.Errorf("%s %s: tensor differs from eval_preprocess.py's", e.File, e.Spec)
		}
	}
}

// One Preprocessor across frames of changing sizes gives the same result as fresh ones, and steady
// state allocates nothing.
func TestPreprocessorReuse(t *testing.T) {
	for _, m := range []string{"bilinear_hp", "nearest", "pil_bilinear", "crop256"} {
		for _, ch := range []int{1, 3} {
			s, _ := ParseSpec(fmt.Sprintf("size=64x48x%d,resize=%s", ch, m))
			p, err := NewPreprocessor(s)
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]float32, s.Len())
			want := make([]float32, s.Len())
			for i, sz := range [][2]int{{640, 480}, {33, 21}, {64, 48}, {1280, 720}, {640, 480}} {
				img := lcgRGB8(sz[0], sz[1], uint32(i))
				p.Run(img, dst)
				s.Apply(img, want)
				if !slices.Equal(dst, want) {
					t.Fatalf("%s c=%d: reused Preprocessor differs on frame %d (%dx%d)", m, ch, i, sz[0], sz[1])
				}
			}
			img := lcgRGB8(640, 480, 9)
			if n := testing.AllocsPerRun(5, func() { p.Run(img, dst) }); n != 0 {
				t.Errorf("%s c=%d: %v allocations per Run in steady state", m, ch, n)
			}
		}
	}
}

// Run writes exactly its output: sentinels around dst stay untouched, at every alignment offset.
func TestRunGuards(t *testing.T) {
	s, _ := ParseSpec("size=17x13,resize=pil_bilinear,layout=nchw")
	p, _ := NewPreprocessor(s)
	img := lcgRGB8(40, 30, 3)
	want := make([]float32, s.Len())
	p.Run(img, want)
	const guard = 8
	sentinel := float32(-12345.5)
	for off := range 4 {
		buf := make([]float32, off+s.Len()+2*guard)
		for i := range buf {
			buf[i] = sentinel
		}
		dst := buf[off+guard : off+guard+s.Len()]
		p.Run(img, dst)
		if !slices.Equal(dst, want) {
			t.Errorf("offset %d: output differs", off)
		}
		for i, v := range buf {
			if (i < off+guard || i >= off+guard+s.Len()) && v != sentinel {
				t.Fatalf("offset %d: guard element %d overwritten", off, i)
			}
		}
	}
}

func TestRunPanics(t *testing.T) {
	s := DefaultSpec()
	p, _ := NewPreprocessor(s)
	img := lcgRGB8(8, 8, 1)
	for name, f := range map[string]func(){
		"short dst":   func() { p.Run(img, make([]float32, s.Len()-1)) },
		"long dst":    func() { p.Run(img, make([]float32, s.Len()+1)) },
		"nil image":   func() { p.Run(nil, make([]float32, s.Len())) },
		"empty image": func() { p.Run(&RGB8{}, make([]float32, s.Len())) },
		"short pix":   func() { p.Run(&RGB8{W: 8, H: 8, Pix: make([]uint8, 10)}, make([]float32, s.Len())) },
		"bad spec":    func() { Spec{}.Apply(img, nil) },
		"resize to 0": func() { ResizeRGB8(img, 0, 5, Nearest) },
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s: no panic", name)
				} else if !strings.HasPrefix(fmt.Sprint(r), "preprocess: ") {
					t.Errorf("%s: panic %q lacks the package prefix", name, r)
				}
			}()
			f()
		}()
	}
}

// A grey image fed to an RGB model gives three equal planes; fed to a grey model, the same plane.
func TestGrayImage(t *testing.T) {
	img := decodeFixture(t, "images/person.bmp")
	rgb, _ := ParseSpec("size=128x128,norm=tf,resize=pil_bilinear")
	grey, _ := ParseSpec("size=128x128x1,norm=tf,resize=pil_bilinear")
	a := make([]float32, rgb.Len())
	b := make([]float32, grey.Len())
	rgb.Apply(img, a)
	grey.Apply(img, b)
	n := 128 * 128
	if !slices.Equal(a[:n], b) || !slices.Equal(a[n:2*n], b) || !slices.Equal(a[2*n:], b) {
		t.Error("grey image: RGB planes differ from the one-channel output")
	}
}
