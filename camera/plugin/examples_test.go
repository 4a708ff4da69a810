package plugin

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// Sizes on and around the edges: one pixel, odd sizes, a column, a row.
var exampleSizes = [][2]int{{1, 1}, {7, 5}, {1, 9}, {13, 1}, {37, 23}, {64, 48}}

// refStretch is the grayscale example's contrast stretch, written independently from the plugin:
// lo and hi are order statistics of the sorted levels, the mapping is rounded in float64.
func refStretch(grey []byte, clip float64) []byte {
	sorted := slices.Clone(grey)
	slices.Sort(sorted)
	k := int(float64(len(grey)) * clip / 100)
	lo, hi := int(sorted[k]), int(sorted[len(sorted)-1-k])
	out := slices.Clone(grey)
	if hi <= lo {
		return out
	}
	for i, v := range grey {
		x := math.Floor(float64(int(v)-lo)*255/float64(hi-lo) + 0.5)
		out[i] = uint8(max(0, min(255, x)))
	}
	return out
}

func TestGrayscaleEqualsPillowLuma(t *testing.T) {
	p := load(t, "grayscale", Options{Params: "stretch=off"})
	for i, sz := range exampleSizes {
		img := randomRGB(uint64(i), sz[0], sz[1], 0, 255)
		out := process(t, p, rgbFrame(img))
		if out.Format != Gray8 || !slices.Equal(out.Shape, []int{sz[1], sz[0], 1}) {
			t.Fatalf("%dx%d: output %v %v, want gray8 [%d %d 1]", sz[0], sz[1], out.Format, out.Shape, sz[1], sz[0])
		}
		if want := img.Luma(nil); !bytes.Equal(out.Pix, want) {
			t.Fatalf("%dx%d (seed %d): plugin grey differs from preprocess.RGB8.Luma", sz[0], sz[1], i)
		}
	}
}

func TestGrayscaleStretch(t *testing.T) {
	for _, clip := range []float64{0, 2, 10} {
		p := load(t, "grayscale", Options{Params: fmt.Sprintf("clip=%g", clip)})
		for i, sz := range exampleSizes {
			img := randomRGB(uint64(100+i), sz[0], sz[1], 60, 180) // low contrast
			out := process(t, p, rgbFrame(img))
			want := refStretch(img.Luma(nil), clip)
			if !bytes.Equal(out.Pix, want) {
				t.Fatalf("clip=%g %dx%d (seed %d): stretched grey differs from the reference", clip, sz[0], sz[1], 100+i)
			}
			if clip == 0 && len(want) > 1 && slices.Min(want) != slices.Max(want) && (slices.Min(out.Pix) != 0 || slices.Max(out.Pix) != 255) {
				t.Fatalf("clip=0: levels span %d…%d, want 0…255", slices.Min(out.Pix), slices.Max(out.Pix))
			}
		}
	}
}

func TestGrayscaleOtherInputs(t *testing.T) {
	p := load(t, "grayscale", Options{})
	img := randomRGB(3, 16, 6, 30, 200)
	grey := img.Luma(nil)
	out := process(t, p, Frame{W: 16, H: 6, Format: Gray8, Pix: grey})
	if !bytes.Equal(out.Pix, refStretch(grey, 0)) {
		t.Fatal("gray8 input: output differs from the stretched input")
	}
	// YUYV: the Y samples (every other byte) are the grey levels.
	yuyv := make([]byte, 2*len(grey))
	for i, v := range grey {
		yuyv[2*i], yuyv[2*i+1] = v, byte(i*37)
	}
	out = process(t, p, Frame{W: 16, H: 6, Format: YUYV, Pix: yuyv})
	if !bytes.Equal(out.Pix, refStretch(grey, 0)) {
		t.Fatal("yuyv input: output differs from the stretched Y samples")
	}
}

func TestGrayscaleTensorOutput(t *testing.T) {
	p := load(t, "grayscale", Options{Params: "out=f32, stretch=off"})
	img := randomRGB(4, 19, 11, 0, 255)
	f, shape, err := p.OutputShape(context.Background(), 19, 11, RGB8)
	if err != nil || f != F32 || !slices.Equal(shape, []int{1, 1, 11, 19}) {
		t.Fatalf("OutputShape = %v %v %v, want f32 [1 1 11 19]", f, shape, err)
	}
	out := process(t, p, rgbFrame(img))
	// The built-in preprocessing of the same frame: grey, no resize, x/255, NCHW.
	spec := preprocess.Spec{Width: 19, Height: 11, Channels: 1, Layout: preprocess.NCHW}
	if err := spec.SetNorm("unit"); err != nil {
		t.Fatal(err)
	}
	want := make([]float32, spec.Len())
	spec.Apply(img, want)
	if !slices.Equal(out.Tensor, want) {
		t.Fatal("f32 output differs from preprocess with a unit-normalised grey spec")
	}
}

func TestGrayscaleBadParams(t *testing.T) {
	for _, params := range []string{"clip=60", "out=rgb", "colour=blue", "stretch"} {
		_, err := testHost.Load(context.Background(), pluginWasm(t, "grayscale"), Options{Name: "grayscale", Params: params})
		wantError(t, err, ErrFailed, "configure", "grayscale")
	}
}

func TestROICropEqualsSlice(t *testing.T) {
	// slice crops img the way roicrop documents: the region clipped to the frame.
	slice := func(img *preprocess.RGB8, x, y, w, h int) *preprocess.RGB8 {
		x1, y1 := img.W, img.H
		if w > 0 {
			x1 = min(x1, x+w)
		}
		if h > 0 {
			y1 = min(y1, y+h)
		}
		out := preprocess.NewRGB8(x1-x, y1-y)
		for r := y; r < y1; r++ {
			copy(out.Pix[(r-y)*out.W*3:], img.Pix[(r*img.W+x)*3:(r*img.W+x1)*3])
		}
		return out
	}
	img := randomRGB(5, 40, 30, 0, 255)
	for _, roi := range [][4]int{{0, 0, 40, 30}, {3, 5, 17, 9}, {39, 29, 1, 1}, {30, 20, 50, 50}, {0, 10, 0, 0}, {12, 0, 1, 30}} {
		params := fmt.Sprintf("x=%d,y=%d,w=%d,h=%d", roi[0], roi[1], roi[2], roi[3])
		p := load(t, "roicrop", Options{Params: params})
		want := slice(img, roi[0], roi[1], roi[2], roi[3])
		out := process(t, p, rgbFrame(img))
		if out.Format != RGB8 || !slices.Equal(out.Shape, []int{want.H, want.W, 3}) {
			t.Fatalf("%s: output %v %v, want rgb8 [%d %d 3]", params, out.Format, out.Shape, want.H, want.W)
		}
		if !bytes.Equal(out.Pix, want.Pix) {
			t.Fatalf("%s: crop differs from slicing the image", params)
		}
		// The same region of the grey image.
		grey := img.Luma(nil)
		out = process(t, p, Frame{W: 40, H: 30, Format: Gray8, Pix: grey})
		if wantGrey := want.Luma(nil); !bytes.Equal(out.Pix, wantGrey) {
			t.Fatalf("%s: gray8 crop differs from slicing the grey image", params)
		}
	}
}

func TestROICropOutsideFrame(t *testing.T) {
	p := load(t, "roicrop", Options{Params: "x=50,y=0,w=8,h=8"})
	var out Output
	err := p.Process(context.Background(), rgbFrame(randomRGB(6, 40, 30, 0, 255)), &out)
	wantError(t, err, ErrFailed, "output_shape", "outside the 40x30 frame")
	// A frame the region fits in still works: the failure was about that frame size only.
	img := randomRGB(7, 64, 16, 0, 255)
	got := process(t, p, rgbFrame(img))
	if !slices.Equal(got.Shape, []int{8, 8, 3}) || !bytes.Equal(got.Pix[:24], img.Pix[150:174]) {
		t.Fatalf("64x16 frame: shape %v, first row %v", got.Shape, got.Pix[:24])
	}
	if s := p.Stats(); s.Frames != 2 || s.Failures != 1 || s.Restarts != 0 {
		t.Fatalf("stats %+v, want 2 frames, 1 failure, no restart", s)
	}
	if err := p.Process(context.Background(), Frame{W: 4, H: 4, Format: YUYV, Pix: make([]byte, 32)}, &out); err == nil {
		t.Fatal("yuyv input: no error")
	} else {
		wantError(t, err, ErrFailed, "input format yuyv not supported")
	}
}

func TestInvertWAT(t *testing.T) {
	p, err := testHost.Load(context.Background(), watWasm(t, "invert"), Options{Name: "invert"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if ma, mi := p.ABIVersion(); ma != 1 || mi != 0 {
		t.Fatalf("ABI %d.%d, want 1.0", ma, mi)
	}
	for i, sz := range exampleSizes {
		img := randomRGB(uint64(200+i), sz[0], sz[1], 0, 255)
		out := process(t, p, rgbFrame(img))
		for j, v := range out.Pix {
			if v != 255-img.Pix[j] {
				t.Fatalf("%dx%d: byte %d = %d, want %d", sz[0], sz[1], j, v, 255-img.Pix[j])
			}
		}
	}
	var out Output
	err = p.Process(context.Background(), Frame{W: 2, H: 2, Format: YUYV, Pix: make([]byte, 8)}, &out)
	wantError(t, err, ErrFailed, "invert: input must be rgb8 or gray8")
}
