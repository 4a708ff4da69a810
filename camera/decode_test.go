package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// diffStats compares two RGB buffers.
func diffStats(got, want []uint8) (maxAbs int, mean float64, hist map[int]int) {
	hist = map[int]int{}
	sum := 0
	for i := range want {
		d := int(got[i]) - int(want[i])
		hist[d]++
		sum += max(d, -d)
		maxAbs = max(maxAbs, d, -d)
	}
	return maxAbs, float64(sum) / float64(len(want)), hist
}

func decodeFrame(t *testing.T, d *Decoder, dst *preprocess.RGB8, f Frame) *preprocess.RGB8 {
	t.Helper()
	img, err := d.Decode(dst, f)
	if err != nil {
		t.Fatalf("Decode(%v %dx%d, %d bytes): %v", f.Format, f.W, f.H, len(f.Data), err)
	}
	if img.W != fixW || img.H != fixH || len(img.Pix) != fixW*fixH*3 {
		t.Fatalf("decoded %dx%d with %d bytes, want %dx%d", img.W, img.H, len(img.Pix), fixW, fixH)
	}
	return img
}

// The raw decoders against FFmpeg's conversion of the same bytes: bit-exact to its accurate path,
// and 0 to 3 levels above its default table path (which rounds down).
func TestRawDecodersMatchFFmpeg(t *testing.T) {
	for _, c := range []struct {
		format      PixelFormat
		file, ref   string
		defaultRef  string
		defaultDiff [2]int
	}{
		{YUYV, "testsrc2.yuyv", "testsrc2_yuyv.rgb24", "testsrc2_yuyv_default.rgb24", [2]int{0, 3}},
		{NV12, "testsrc2.nv12", "testsrc2_nv12.rgb24", "", [2]int{}},
	} {
		t.Run(c.format.String(), func(t *testing.T) {
			var d Decoder
			var img *preprocess.RGB8
			n := c.format.FrameLen(fixW, fixH)
			for k := 0; k < fixFrames; k++ {
				src := rawFixture(t, c.file, n, k)
				img = decodeFrame(t, &d, img, Frame{Format: c.format, W: fixW, H: fixH, Data: src})
				want := rawFixture(t, c.ref, fixW*fixH*3, k)
				if m, _, hist := diffStats(img.Pix, want); m != 0 {
					t.Errorf("frame %d: differs from FFmpeg's accurate conversion by up to %d (histogram %v)", k, m, hist)
				}
				if c.defaultRef == "" {
					continue
				}
				def := rawFixture(t, c.defaultRef, fixW*fixH*3, k)
				_, _, hist := diffStats(img.Pix, def)
				for dv := range hist {
					if dv < c.defaultDiff[0] || dv > c.defaultDiff[1] {
						t.Errorf("frame %d: ours − FFmpeg default = %d outside [%d, %d] (histogram %v)", k, dv, c.defaultDiff[0], c.defaultDiff[1], hist)
						break
					}
				}
			}
		})
	}
}

// bt601 is the exact limited-range BT.601 conversion in float64, rounded half up.
func bt601(y, u, v uint8) (r, g, b uint8) {
	const kr, kb = 0.299, 0.114
	const kg = 1 - kr - kb
	c := (float64(y) - 16) * 255 / 219
	d := (float64(u) - 128) * 255 / 224
	e := (float64(v) - 128) * 255 / 224
	return round8(c + 2*(1-kr)*e), round8(c - 2*kb*(1-kb)/kg*d - 2*kr*(1-kr)/kg*e), round8(c + 2*(1-kb)*d)
}

func round8(x float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Floor(x+0.5)))) }

// The fixed-point formula against the exact one: at most one level apart, and rarely off at all.
// R depends on (Y, Cr) and B on (Y, Cb), so both are checked for every input; G, which depends on all
// three, for every (Cb, Cr) at 16 luma values (the ends of the range and a spread between) and for
// every luma at 256 (Cb, Cr) pairs — an exhaustive run of all 2^24 inputs takes 70 s under qemu-arm.
func TestYUVFormulaAllInputs(t *testing.T) {
	src := make([]uint8, 4)
	dst := make([]uint8, 6)
	off, total := 0, 0
	check := func(y, u, v int, channels ...int) {
		src[0], src[1], src[2], src[3] = uint8(y), uint8(u), uint8(y), uint8(v)
		YUYVToRGB(dst, src, 2, 1)
		r, g, b := bt601(uint8(y), uint8(u), uint8(v))
		want := [3]uint8{r, g, b}
		for _, i := range channels {
			d := int(dst[i]) - int(want[i])
			if d < -1 || d > 1 {
				t.Fatalf("Y=%d Cb=%d Cr=%d channel %d: got %d, exact %d", y, u, v, i, dst[i], want[i])
			}
			if d != 0 {
				off++
			}
			total++
		}
	}
	for y := 0; y < 256; y++ {
		for c := 0; c < 256; c++ {
			check(y, 128, c, 0) // R(Y, Cr)
			check(y, c, 128, 2) // B(Y, Cb)
			check(y, c, (c*97+31)%256, 1)
		}
	}
	for _, y := range []int{0, 15, 16, 17, 30, 60, 90, 120, 128, 150, 180, 210, 234, 235, 236, 255} {
		for u := 0; u < 256; u++ {
			for v := 0; v < 256; v++ {
				check(y, u, v, 1)
			}
		}
	}
	// Ties and the rounding of the coefficients to 16 bits move a tiny share of values by one.
	if float64(off) > 1e-3*float64(total) {
		t.Errorf("%d of %d values differ from the exact conversion (want < 0.1%%)", off, total)
	}
	t.Logf("%d of %d values one level off the exact conversion", off, total)
}

func TestGreyAndRGB24(t *testing.T) {
	grey := rawFixture(t, "testsrc2.gray", fixW*fixH, 1)
	var d Decoder
	img := decodeFrame(t, &d, nil, Frame{Format: GREY, W: fixW, H: fixH, Data: grey})
	if !img.Gray {
		t.Error("GREY frame decoded without Gray set")
	}
	for i, v := range grey {
		if p := img.Pix[3*i : 3*i+3]; p[0] != v || p[1] != v || p[2] != v {
			t.Fatalf("pixel %d: %v, want grey %d", i, p, v)
		}
	}
	rgb := rawFixture(t, "testsrc2_yuyv.rgb24", fixW*fixH*3, 2)
	img = decodeFrame(t, &d, img, Frame{Format: RGB24, W: fixW, H: fixH, Data: rgb})
	if img.Gray || !bytes.Equal(img.Pix, rgb) {
		t.Error("RGB24 frame not copied as is (or Gray left set)")
	}
}

// MJPEG frames against FFmpeg's decoding: the IDCTs differ (Go's image/jpeg and FFmpeg's simple
// IDCT), so the pixels may differ by a few levels, rarely more near sharp edges.
func TestMJPEGMatchesFFmpeg(t *testing.T) {
	var d Decoder
	var img *preprocess.RGB8
	for k, frame := range fixtureJPEGs(t) {
		img = decodeFrame(t, &d, img, Frame{Format: MJPEG, W: fixW, H: fixH, Data: frame})
		for _, ref := range []string{"testsrc2_mjpeg.rgb24", "testsrc2_mjpeg_default.rgb24"} {
			want := rawFixture(t, ref, fixW*fixH*3, k)
			m, mean, hist := diffStats(img.Pix, want)
			within2 := hist[-2] + hist[-1] + hist[0] + hist[1] + hist[2]
			t.Logf("frame %d vs %s: max |diff| %d, mean %.3f, %.2f%% within ±2", k, ref, m, mean, 100*float64(within2)/float64(len(want)))
			if mean > 0.4 || float64(within2) < 0.999*float64(len(want)) || m > 4 {
				t.Errorf("frame %d vs %s: max |diff| %d, mean %.3f, within ±2: %d of %d; want max ≤ 4, mean ≤ 0.4, 99.9%% within ±2 (histogram %v)",
					k, ref, m, mean, within2, len(want), hist)
			}
		}
	}
}

// The DHT segment FFmpeg writes with -huffman default is the Annex K table set this package inserts.
func TestStandardDHTMatchesFFmpeg(t *testing.T) {
	frame := fixtureJPEGs(t)[0]
	i := bytes.Index(frame, []byte{0xff, 0xc4})
	if i < 0 {
		t.Fatal("fixture frame has no DHT")
	}
	if len(stdDHT) != 420 {
		t.Fatalf("stdDHT is %d bytes, want 420", len(stdDHT))
	}
	if got := frame[i : i+len(stdDHT)]; string(got) != stdDHT {
		t.Fatalf("fixture DHT differs from the Annex K tables:\n got % x\nwant % x", got, []byte(stdDHT))
	}
	for _, tab := range []struct{ bits, vals string }{{dcLumBits, dcLumVals}, {dcChrBits, dcChrVals}, {acLumBits, acLumVals}, {acChrBits, acChrVals}} {
		n := 0
		for _, c := range []byte(tab.bits) {
			n += int(c)
		}
		if len(tab.bits) != 16 || n != len(tab.vals) {
			t.Errorf("table with %d BITS entries counts %d codes but has %d values", len(tab.bits), n, len(tab.vals))
		}
	}
}

// A frame stripped of its Huffman tables (as UVC cameras send it) decodes exactly like the original.
func TestMJPEGWithoutDHTDecodesLikeOriginal(t *testing.T) {
	var d Decoder
	for k, frame := range fixtureJPEGs(t) {
		orig := decodeFrame(t, &d, nil, Frame{Format: MJPEG, W: fixW, H: fixH, Data: frame})
		for _, c := range []struct {
			name string
			keep func(byte) bool
		}{
			{"no tables", nil},
			{"luma tables only", func(id byte) bool { return id&15 == 0 }},
			{"AC tables only", func(id byte) bool { return id>>4 == 1 }},
		} {
			stripped := stripDHT(t, frame, c.keep)
			if len(stripped) >= len(frame) {
				t.Fatalf("frame %d, %s: stripping did not shrink the frame", k, c.name)
			}
			if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
				t.Fatalf("frame %d, %s: image/jpeg decodes the stripped frame by itself; the test proves nothing", k, c.name)
			}
			fixed, inserted, err := AddHuffmanTables(nil, stripped)
			if err != nil || !inserted || len(fixed) != len(stripped)+len(stdDHT) {
				t.Fatalf("frame %d, %s: AddHuffmanTables: inserted %v, %d bytes, err %v", k, c.name, inserted, len(fixed), err)
			}
			got := decodeFrame(t, &d, nil, Frame{Format: MJPEG, W: fixW, H: fixH, Data: stripped})
			if !bytes.Equal(got.Pix, orig.Pix) {
				m, _, _ := diffStats(got.Pix, orig.Pix)
				t.Errorf("frame %d, %s: decodes differently from the original (max |diff| %d)", k, c.name, m)
			}
		}
		// A complete frame is returned as is.
		out, inserted, err := AddHuffmanTables(make([]byte, 0, 10), frame)
		if err != nil || inserted || &out[0] != &frame[0] || len(out) != len(frame) {
			t.Errorf("frame %d: AddHuffmanTables on a complete frame: inserted %v, err %v, copied %v", k, inserted, err, len(out) > 0 && &out[0] != &frame[0])
		}
	}
}

func TestJPEGSize(t *testing.T) {
	w, h, err := JPEGSize(fixtureJPEGs(t)[1])
	if err != nil || w != fixW || h != fixH {
		t.Errorf("JPEGSize = %d, %d, %v; want %d, %d", w, h, err, fixW, fixH)
	}
}

func TestDecodeErrors(t *testing.T) {
	jpg := fixtureJPEGs(t)[0]
	sos := bytes.Index(jpg, []byte{0xff, 0xda})
	huge := append([]byte(nil), jpg...)
	sof := bytes.Index(huge, []byte{0xff, 0xc0})
	huge[sof+5], huge[sof+6], huge[sof+7], huge[sof+8] = 0xff, 0xff, 0xff, 0xff
	for _, c := range []struct {
		name string
		f    Frame
		want error
		text string
	}{
		{"yuyv short", Frame{Format: YUYV, W: 4, H: 2, Data: make([]byte, 15)}, ErrBadFrame, "has 15 bytes, want 16"},
		{"yuyv odd width", Frame{Format: YUYV, W: 3, H: 2, Data: make([]byte, 12)}, ErrBadFrame, "yuyv frame of size 3x2"},
		{"nv12 odd height", Frame{Format: NV12, W: 4, H: 3, Data: make([]byte, 18)}, ErrBadFrame, "nv12 frame of size 4x3"},
		{"zero size", Frame{Format: GREY, W: 0, H: 2, Data: nil}, ErrBadFrame, "size 0x2"},
		{"unknown format", Frame{Format: FormatUnknown, W: 2, H: 2}, ErrUnsupported, "pixel format unknown"},
		{"not a jpeg", Frame{Format: MJPEG, Data: []byte("hello")}, ErrBadFrame, "no start-of-image"},
		{"headers cut", Frame{Format: MJPEG, Data: jpg[:sos-10]}, ErrTruncated, "needs 17 bytes, 7 left"},
		{"scan cut", Frame{Format: MJPEG, Data: jpg[:sos+40]}, ErrBadFrame, "jpeg"},
		{"huge header", Frame{Format: MJPEG, Data: huge}, ErrBadFrame, "frame size 65535x65535"},
	} {
		var d Decoder
		dst := preprocess.NewRGB8(2, 2)
		before := append([]byte(nil), dst.Pix...)
		_, err := d.Decode(dst, c.f)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: err %v; want %v containing %q", c.name, err, c.want, c.text)
		}
		if !bytes.Equal(dst.Pix, before) || dst.W != 2 {
			t.Errorf("%s: a failed Decode changed dst", c.name)
		}
	}
}

// Raw decoding into a reused image allocates nothing.
func TestDecodeRawNoAlloc(t *testing.T) {
	var d Decoder
	for _, p := range []PixelFormat{YUYV, NV12, GREY, RGB24} {
		f := Frame{Format: p, W: 32, H: 16, Data: make([]byte, p.FrameLen(32, 16))}
		dst, _ := d.Decode(nil, f)
		if n := testing.AllocsPerRun(20, func() { d.Decode(dst, f) }); n != 0 {
			t.Errorf("%v: %v allocations per Decode", p, n)
		}
	}
}

// The kernels write exactly w·h·3 bytes: sentinels around the output stay untouched, for sizes on
// and around the pair boundary and source offsets 0–3.
func TestKernelsGuarded(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const guard = 16
	for _, k := range []struct {
		format PixelFormat
		fn     func(dst, src []uint8, w, h int)
	}{{YUYV, YUYVToRGB}, {NV12, NV12ToRGB}, {GREY, GreyToRGB}} {
		for _, sz := range [][2]int{{2, 2}, {4, 2}, {6, 4}, {14, 6}, {16, 10}, {2, 14}} {
			w, h := sz[0], sz[1]
			for off := 0; off < 4; off++ {
				n := k.format.FrameLen(w, h)
				buf := make([]uint8, off+n)
				for i := range buf {
					buf[i] = uint8(rng.IntN(256))
				}
				src := buf[off:]
				dst := make([]uint8, guard+w*h*3+guard)
				for i := range dst {
					dst[i] = 0xa5
				}
				k.fn(dst[guard:guard+w*h*3], src, w, h)
				for i := 0; i < guard; i++ {
					if dst[i] != 0xa5 || dst[len(dst)-1-i] != 0xa5 {
						t.Fatalf("%v %dx%d: guard byte overwritten", k.format, w, h)
					}
				}
				// Spot-check against the per-pixel definition.
				out := dst[guard:]
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						var r, g, b uint8
						switch k.format {
						case YUYV:
							p := src[(y*w+x&^1)*2:]
							r, g, b = bt601Fixed(p[(x&1)*2], p[1], p[3])
						case NV12:
							c := src[w*h+(y/2)*w+(x&^1):]
							r, g, b = bt601Fixed(src[y*w+x], c[0], c[1])
						case GREY:
							v := src[y*w+x]
							r, g, b = v, v, v
						}
						if o := out[(y*w+x)*3:]; o[0] != r || o[1] != g || o[2] != b {
							t.Fatalf("%v %dx%d pixel (%d,%d): %v, want %d %d %d", k.format, w, h, x, y, o[:3], r, g, b)
						}
					}
				}
			}
		}
	}
}

// bt601Fixed is the documented fixed-point formula, written out per pixel.
func bt601Fixed(y, u, v uint8) (r, g, b uint8) {
	c := 76309*(int64(y)-16) + 32768
	d, e := int64(u)-128, int64(v)-128
	cl := func(x int64) uint8 { return uint8(min(255, max(0, x>>16))) }
	return cl(c + 104597*e), cl(c - 25675*d - 53279*e), cl(c + 132201*d)
}

func TestKernelPanics(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func()
		text string
	}{
		{"yuyv odd", func() { YUYVToRGB(make([]byte, 100), make([]byte, 100), 3, 2) }, "camera: YUYVToRGB: size 3x2"},
		{"yuyv short dst", func() { YUYVToRGB(make([]byte, 10), make([]byte, 100), 4, 2) }, "camera: YUYVToRGB: 4x2 needs"},
		{"nv12 short src", func() { NV12ToRGB(make([]byte, 100), make([]byte, 5), 2, 2) }, "camera: NV12ToRGB: 2x2 needs"},
		{"grey short", func() { GreyToRGB(make([]byte, 5), make([]byte, 4), 2, 2) }, "camera: GreyToRGB"},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), c.text) {
					t.Errorf("%s: panic %v, want %q", c.name, r, c.text)
				}
			}()
			c.fn()
		}()
	}
}

// ycbcrToRGB gives the pixels preprocess.FromImage gives, for every subsampling image/jpeg produces,
// at odd sizes.
func TestYCbCrToRGBMatchesFromImage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		for _, sz := range [][2]int{{1, 1}, {7, 5}, {16, 9}, {13, 13}} {
			m := image.NewYCbCr(image.Rect(0, 0, sz[0], sz[1]), ratio)
			for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
				for i := range p {
					p[i] = uint8(rng.IntN(256))
				}
			}
			want := preprocess.FromImage(nil, m)
			got := make([]uint8, sz[0]*sz[1]*3)
			ycbcrToRGB(got, m)
			if !bytes.Equal(got, want.Pix) {
				t.Errorf("%v %dx%d: differs from preprocess.FromImage", ratio, sz[0], sz[1])
			}
		}
	}
}

func FuzzScanJPEG(f *testing.F) {
	for _, fr := range fixtureJPEGs(f) {
		f.Add(fr[:min(len(fr), 700)])
		f.Add(stripDHT(f, fr, nil)[:200])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, inserted, err := AddHuffmanTables(nil, b)
		if err != nil {
			return
		}
		if inserted != (len(out) == len(b)+len(stdDHT)) || (!inserted && len(out) != len(b)) {
			t.Fatalf("inserted %v but %d bytes became %d", inserted, len(b), len(out))
		}
		if info, err := scanJPEG(out); err != nil || info.missing {
			t.Fatalf("after insertion: missing %v, err %v", info.missing, err)
		}
	})
}
