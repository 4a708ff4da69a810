package plugin

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
)

func mustSpec(t *testing.T, text string) preprocess.Spec {
	t.Helper()
	s, err := preprocess.ParseSpec(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func builtin(t *testing.T, spec preprocess.Spec, img *preprocess.RGB8) []float32 {
	t.Helper()
	dst := make([]float32, spec.Len())
	spec.Apply(img, dst)
	return dst
}

func runPipeline(t *testing.T, pl *Pipeline, img *preprocess.RGB8, n int) []float32 {
	t.Helper()
	dst := make([]float32, n)
	o, err := pl.Run(context.Background(), img, dst)
	if err != nil || o != Processed {
		t.Fatalf("Run = %v, %v; want processed", o, err)
	}
	return dst
}

// A grey model fed through the grayscale plugin (no stretch) gets exactly what the built-in grey
// preprocessing gives, for every resize method.
func TestPipelineGrayscaleEqualsBuiltin(t *testing.T) {
	p := load(t, "grayscale", Options{Params: "stretch=off"})
	img := randomRGB(10, 45, 31, 0, 255)
	for _, text := range []string{
		"size=16x12x1,resize=bilinear_hp,norm=imagenet",
		"size=20x20x1,resize=pil_bilinear,norm=tf,layout=nhwc",
		"size=45x31x1,resize=nearest,norm=unit",
		"size=16x16x1,resize=crop256,norm=raw",
	} {
		spec := mustSpec(t, text)
		pl, err := NewPipeline(p, spec, Drop)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := runPipeline(t, pl, img, spec.Len()), builtin(t, spec, img); !slices.Equal(got, want) {
			t.Fatalf("%s: pipeline differs from the built-in preprocessing", text)
		}
	}
}

// A colour model fed through roicrop gets what the built-in preprocessing gives for the cropped
// image.
func TestPipelineROICropEqualsBuiltin(t *testing.T) {
	p := load(t, "roicrop", Options{Params: "x=5,y=3,w=24,h=20"})
	img := randomRGB(11, 40, 30, 0, 255)
	crop := preprocess.NewRGB8(24, 20)
	for y := range 20 {
		copy(crop.Pix[y*24*3:(y+1)*24*3], img.Pix[((y+3)*40+5)*3:])
	}
	for _, text := range []string{"size=12x10,resize=bilinear_hp", "size=24x20,order=bgr,layout=nhwc,norm=tf"} {
		spec := mustSpec(t, text)
		pl, err := NewPipeline(p, spec, Fallback)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := runPipeline(t, pl, img, spec.Len()), builtin(t, spec, crop); !slices.Equal(got, want) {
			t.Fatalf("%s: pipeline differs from the built-in preprocessing of the crop", text)
		}
	}
}

// A plugin that outputs the tensor itself: it must fit the model input.
func TestPipelineTensorOutput(t *testing.T) {
	p := load(t, "grayscale", Options{Params: "stretch=off,out=f32"})
	img := randomRGB(12, 18, 14, 0, 255)
	spec := mustSpec(t, "size=18x14x1,norm=unit")
	pl, err := NewPipeline(p, spec, Drop)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runPipeline(t, pl, img, spec.Len()), builtin(t, spec, img); !slices.Equal(got, want) {
		t.Fatal("tensor output differs from the built-in grey unit-normalised preprocessing")
	}
	// NHWC is the same memory for one channel.
	spec = mustSpec(t, "size=18x14x1,norm=unit,layout=nhwc")
	if pl, err = NewPipeline(p, spec, Drop); err != nil {
		t.Fatal(err)
	}
	runPipeline(t, pl, img, spec.Len())
	// A colour model does not fit a [1 1 14 18] tensor.
	spec = mustSpec(t, "size=18x14x3,norm=unit")
	pl, err = NewPipeline(p, spec, Fallback)
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, spec.Len())
	o, err := pl.Run(context.Background(), img, dst)
	wantError(t, err, ErrBadOutput, "tensor [1 1 14 18] does not fit the model input")
	if o != FellBack || !slices.Equal(dst, builtin(t, spec, img)) {
		t.Fatalf("outcome %v; want fell back with the built-in result", o)
	}
}

func TestPipelinePolicies(t *testing.T) {
	spec := mustSpec(t, "size=8x6,resize=bilinear_hp")
	good := randomRGB(13, 10, 8, 0, 200) // first byte < 0xF1: the bad plugin copies it
	bad := randomRGB(13, 10, 8, 0, 200)
	bad.Pix[0] = 0xF1 // trap
	nan := float32(math.NaN())
	for _, policy := range []Policy{Drop, Fallback} {
		t.Run(policy.String(), func(t *testing.T) {
			p := load(t, "bad", Options{})
			pl, err := NewPipeline(p, spec, policy)
			if err != nil {
				t.Fatal(err)
			}
			dst := make([]float32, spec.Len())
			for i := range dst {
				dst[i] = nan
			}
			o, err := pl.Run(context.Background(), bad, dst)
			wantError(t, err, ErrTrap, "out of bounds")
			switch policy {
			case Drop:
				if o != Dropped || !math.IsNaN(float64(dst[0])) {
					t.Fatalf("outcome %v, dst[0] = %v; want dropped, dst untouched", o, dst[0])
				}
			case Fallback:
				if want := builtin(t, spec, bad); o != FellBack || !slices.Equal(dst, want) {
					t.Fatalf("outcome %v; want fell back with the built-in result", o)
				}
			}
			if got, want := runPipeline(t, pl, good, spec.Len()), builtin(t, spec, good); !slices.Equal(got, want) {
				t.Fatal("the frame after the trap differs from the built-in preprocessing")
			}
			// An inconsistent frame is dropped whatever the policy: there is nothing to fall back on.
			o, err = pl.Run(context.Background(), &preprocess.RGB8{W: 10, H: 8, Pix: good.Pix[:10]}, dst)
			wantError(t, err, ErrInvalidFrame)
			if o != Dropped {
				t.Fatalf("invalid frame: outcome %v, want dropped", o)
			}
		})
	}
}

func TestParsePolicyAndEngine(t *testing.T) {
	for _, s := range []string{"drop", "fallback"} {
		if p, err := ParsePolicy(s); err != nil || p.String() != s {
			t.Errorf("ParsePolicy(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"auto", "compiler", "interpreter"} {
		if e, err := ParseEngine(s); err != nil || e.String() != s {
			t.Errorf("ParseEngine(%q) = %v, %v", s, e, err)
		}
	}
	if _, err := ParsePolicy("retry"); err == nil {
		t.Error("ParsePolicy(retry): no error")
	}
	if _, err := ParseEngine("jit"); err == nil {
		t.Error("ParseEngine(jit): no error")
	}
	if _, err := NewPipeline(nil, preprocess.DefaultSpec(), Policy(7)); err == nil {
		t.Error("NewPipeline with policy 7: no error")
	}
}
