package preprocess

import (
	"bytes"
	"encoding/hex"
	"errors"
	"github.com/ocellus/ocellus/internal/fixture"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Sizes from shared/ASSETS.md §4.
var sampleSizes = map[string][2]int{
	"cat.bmp": {512, 341}, "bird.bmp": {512, 343}, "sunflower.bmp": {512, 340}, "dragonfly.bmp": {512, 418},
	"resized_cat.bmp": {224, 224}, "grace_hopper.bmp": {512, 600},
	"parrot.jpg": {512, 929}, "owl.jpg": {512, 384}, "hot_dog.jpg": {512, 384},
	"mnist_nine.bmp": {28, 28}, "person.bmp": {96, 96}, "no_person.bmp": {96, 96},
	"cat.jpg": {512, 341}, "grace_hopper.jpg": {512, 600}, "cat.png": {512, 341}, "grace_hopper.png": {512, 600},
}

// Every sample image decodes to its documented size; BMP and PNG pixels equal Pillow's exactly; JPEG
// pixels (decoded by image/jpeg, which differs from libjpeg-turbo in IDCT and chroma upsampling)
// stay close to Pillow's on a 32×24 centre crop.
func TestDecodeSamples(t *testing.T) {
	ref := loadRef(t)
	dir := filepath.Dir(fixture.Path(t, "images/cat.bmp"))
	seen := map[string]bool{}
	for _, e := range ref.Images {
		seen[e.File] = true
		img, err := DecodeFile(filepath.Join(dir, e.File))
		if err != nil {
			t.Errorf("%s: %v", e.File, err)
			continue
		}
		if img.W != e.W || img.H != e.H || len(img.Pix) != e.W*e.H*3 {
			t.Errorf("%s: %dx%d (%d bytes), Pillow says %dx%d", e.File, img.W, img.H, len(img.Pix), e.W, e.H)
			continue
		}
		if sz, ok := sampleSizes[e.File]; ok && (sz[0] != img.W || sz[1] != img.H) {
			t.Errorf("%s: %dx%d, ASSETS.md says %dx%d", e.File, img.W, img.H, sz[0], sz[1])
		}
		if img.Gray != (e.Mode == "L") {
			t.Errorf("%s: Gray = %v, Pillow mode %s", e.File, img.Gray, e.Mode)
		}
		if e.Format == "JPEG" {
			want, _ := hex.DecodeString(e.CropHex)
			m, mean := maxAbsDiff(cropRGB(img, e.Crop[0], e.Crop[1], e.Crop[2], e.Crop[3]), want)
			t.Logf("%s: vs Pillow on the centre crop: max |diff| %d, mean %.2f", e.File, m, mean)
			if m > 24 || mean > 2.5 {
				t.Errorf("%s: far from Pillow's decode: max |diff| %d, mean %.2f", e.File, m, mean)
			}
			continue
		}
		if sha(img.Pix) != e.SHA256 {
			t.Errorf("%s: pixels differ from Pillow's", e.File)
		}
	}
	for f := range sampleSizes {
		if !seen[f] {
			t.Errorf("reference lacks %s", f)
		}
	}
	if len(ref.Images) != len(sampleSizes)+7 {
		t.Errorf("reference has %d images, want %d (16 samples + 7 imprinting)", len(ref.Images), len(sampleSizes)+7)
	}
}

// The PNG conversions are pixel-identical to their BMPs; the JPEGs are close.
func TestConversionsMatchBMP(t *testing.T) {
	for _, base := range []string{"cat", "grace_hopper"} {
		bmp := decodeFixture(t, "images/"+base+".bmp")
		pngImg := decodeFixture(t, "images/"+base+".png")
		if pngImg.W != bmp.W || pngImg.H != bmp.H || !bytes.Equal(pngImg.Pix, bmp.Pix) {
			t.Errorf("%s.png differs from %s.bmp", base, base)
		}
		jpg := decodeFixture(t, "images/"+base+".jpg")
		m, mean := maxAbsDiff(jpg.Pix, bmp.Pix)
		t.Logf("%s.jpg vs .bmp: max |diff| %d, mean %.2f", base, m, mean)
		if mean > 4 {
			t.Errorf("%s.jpg is far from %s.bmp: mean |diff| %.2f", base, base, mean)
		}
	}
}

func TestDecodeReader(t *testing.T) {
	data, err := os.ReadFile(fixture.Path(t, "images/mnist_nine.bmp"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := decodeFixture(t, "images/mnist_nine.bmp")
	if !bytes.Equal(a.Pix, b.Pix) || !a.Gray {
		t.Error("Decode(reader) differs from DecodeFile")
	}
	// The digit is white on black: the centre column has bright pixels, the corner is black.
	if r, _, _ := a.At(0, 0); r != 0 {
		t.Errorf("corner pixel %d, want 0", r)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want error
	}{
		{nil, ErrUnknownFormat},
		{[]byte("GIF89a......"), ErrUnknownFormat},
		{[]byte("\xff\xd8\xff\xe0 not really"), ErrInvalidImage},
		{[]byte("\x89PNG\r\n\x1a\n"), ErrInvalidImage},
		{[]byte("BM"), ErrInvalidImage},
	} {
		if _, err := DecodeBytes(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("DecodeBytes(%q) = %v, want %v", tc.data, err, tc.want)
		}
	}
	if _, err := DecodeFile(filepath.Join(t.TempDir(), "none.bmp")); err == nil {
		t.Error("DecodeFile of a missing file succeeded")
	}
	// A PNG header announcing a huge image is refused before decoding.
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	b[16], b[17], b[18], b[19] = 0, 1, 0, 0 // IHDR width = 65536 (the CRC is not checked by DecodeConfig)
	if _, err := DecodeBytes(b); !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrInvalidImage) {
		t.Errorf("huge PNG: %v", err)
	}
}

// FromImage converts each image type the standard decoders produce.
func TestFromImage(t *testing.T) {
	want := []uint8{10, 20, 30, 40, 50, 60}
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	nrgba.Pix = []uint8{10, 20, 30, 128, 40, 50, 60, 0}
	rgba := image.NewRGBA(image.Rect(0, 0, 2, 1))
	rgba.Pix = []uint8{10, 20, 30, 255, 40, 50, 60, 255}
	half := image.NewRGBA(image.Rect(0, 0, 1, 1))
	half.Pix = []uint8{50, 100, 25, 127} // premultiplied at alpha 127 → 100, 201, 50
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{40, 50, 60, 255}})
	pal.Pix = []uint8{0, 1}
	rgba64 := image.NewRGBA64(image.Rect(0, 0, 2, 1))
	rgba64.SetRGBA64(0, 0, color.RGBA64{10 << 8, 20 << 8, 30 << 8, 0xffff})
	rgba64.SetRGBA64(1, 0, color.RGBA64{40<<8 | 0xff, 50 << 8, 60 << 8, 0xffff})
	// A sub-image exercises the bounds offset.
	big := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	big.SetNRGBA(2, 1, color.NRGBA{10, 20, 30, 255})
	big.SetNRGBA(3, 1, color.NRGBA{40, 50, 60, 255})
	sub := big.SubImage(image.Rect(2, 1, 4, 2))
	for name, tc := range map[string]struct {
		img  image.Image
		want []uint8
		gray bool
	}{
		"nrgba":    {nrgba, want, false},
		"rgba":     {rgba, want, false},
		"rgba-pre": {half, []uint8{100, 201, 50}, false},
		"paletted": {pal, want, false},
		"rgba64":   {rgba64, want, false},
		"subimage": {sub, want, false},
		"gray":     {&image.Gray{Pix: []uint8{7, 9}, Stride: 2, Rect: image.Rect(0, 0, 2, 1)}, []uint8{7, 7, 7, 9, 9, 9}, true},
		"gray16":   {&image.Gray16{Pix: []uint8{7, 200, 9, 1}, Stride: 4, Rect: image.Rect(0, 0, 2, 1)}, []uint8{7, 7, 7, 9, 9, 9}, true},
	} {
		got := FromImage(nil, tc.img)
		if got.W != tc.img.Bounds().Dx() || !bytes.Equal(got.Pix, tc.want) || got.Gray != tc.gray {
			t.Errorf("%s: got %v gray=%v, want %v gray=%v", name, got.Pix, got.Gray, tc.want, tc.gray)
		}
	}
	// YCbCr: agrees with image.YCbCr.At, and the destination buffer is reused.
	ycc := image.NewYCbCr(image.Rect(0, 0, 5, 3), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i * 17)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(100+i*9), uint8(200-i*13)
	}
	dst := NewRGB8(8, 8)
	p0 := &dst.Pix[0]
	got := FromImage(dst, ycc)
	if got != dst || &got.Pix[0] != p0 {
		t.Error("FromImage did not reuse dst")
	}
	for y := range 3 {
		for x := range 5 {
			c := color.RGBAModel.Convert(ycc.At(x, y)).(color.RGBA)
			if r, g, b := got.At(x, y); r != c.R || g != c.G || b != c.B {
				t.Fatalf("YCbCr (%d,%d): %d,%d,%d want %d,%d,%d", x, y, r, g, b, c.R, c.G, c.B)
			}
		}
	}
	// And a real JPEG round trip through DecodeBytes.
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, ycc, nil); err != nil {
		t.Fatal(err)
	}
	if img, err := DecodeBytes(buf.Bytes()); err != nil || img.W != 5 || img.H != 3 {
		t.Errorf("jpeg: %v", err)
	}
}

func TestLuma(t *testing.T) {
	img := &RGB8{W: 5, H: 1, Pix: []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 200, 200, 200}}
	// Pillow 9.4 convert("L") of these pixels (checked with Pillow): 76, 150, 29, 2, 200.
	if got := img.Luma(nil); !bytes.Equal(got, []uint8{76, 150, 29, 2, 200}) {
		t.Errorf("Luma = %v", got)
	}
	g := &RGB8{W: 2, H: 1, Pix: []uint8{9, 9, 9, 4, 4, 4}, Gray: true}
	buf := make([]uint8, 0, 10)
	if got := g.Luma(buf); !bytes.Equal(got, []uint8{9, 4}) || &got[:1][0] != &buf[:1][0] {
		t.Errorf("grey Luma = %v (or did not reuse dst)", got)
	}
}
