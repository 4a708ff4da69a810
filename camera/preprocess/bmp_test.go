package preprocess

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/ocellus/ocellus/internal/fixture"
	"math/rand/v2"
	"os"
	"testing"
)

// bmpOpts describes a BMP file for the test encoder.
type bmpOpts struct {
	w, h        int
	hsize       int // 40, 52, 56, 108, 124
	bpp         int
	bitfields   bool      // compression 3 (16/32 bpp)
	masks       [3]uint32 // with bitfields
	topDown     bool
	palette     [][3]uint8 // RGB, for bpp ≤ 8
	trimLastPad bool       // omit the last row's padding
}

// encodeBMP writes a BMP whose pixels are given as raw values: palette indices (bpp ≤ 8), 16/32-bit
// words, or RGB triples (24 bpp), row-major top row first.
func encodeBMP(o bmpOpts, vals []uint32) []byte {
	le := binary.LittleEndian
	stride := (o.bpp*o.w + 31) / 32 * 4
	var extra []byte
	if o.bitfields && o.hsize == 40 {
		for _, m := range o.masks {
			extra = le.AppendUint32(extra, m)
		}
	}
	for _, p := range o.palette {
		extra = append(extra, p[2], p[1], p[0], 0)
	}
	off := 14 + o.hsize + len(extra)
	var pix []byte
	for y := range o.h {
		sy := o.h - 1 - y
		if o.topDown {
			sy = y
		}
		row := make([]byte, stride)
		for x := range o.w {
			v := vals[sy*o.w+x]
			switch o.bpp {
			case 1, 4, 8:
				per := 8 / o.bpp
				row[x/per] |= byte(v) << uint(8-o.bpp*(x%per+1))
			case 16:
				le.PutUint16(row[2*x:], uint16(v))
			case 24:
				row[3*x], row[3*x+1], row[3*x+2] = byte(v), byte(v>>8), byte(v>>16) // B, G, R
			case 32:
				le.PutUint32(row[4*x:], v)
			}
		}
		pix = append(pix, row...)
	}
	if o.trimLastPad {
		pix = pix[:len(pix)-stride+(o.bpp*o.w+7)/8]
	}
	b := []byte("BM")
	b = le.AppendUint32(b, uint32(off+len(pix)))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, uint32(off))
	ih := make([]byte, o.hsize)
	le.PutUint32(ih[0:], uint32(o.hsize))
	le.PutUint32(ih[4:], uint32(int32(o.w)))
	hh := int32(o.h)
	if o.topDown {
		hh = -hh
	}
	le.PutUint32(ih[8:], uint32(hh))
	le.PutUint16(ih[12:], 1)
	le.PutUint16(ih[14:], uint16(o.bpp))
	if o.bitfields {
		le.PutUint32(ih[16:], bmpBitfields)
		if o.hsize >= 52 {
			le.PutUint32(ih[40:], o.masks[0])
			le.PutUint32(ih[44:], o.masks[1])
			le.PutUint32(ih[48:], o.masks[2])
		}
	}
	le.PutUint32(ih[20:], uint32(len(pix)))
	le.PutUint32(ih[32:], uint32(len(o.palette)))
	b = append(b, ih...)
	b = append(b, extra...)
	return append(b, pix...)
}

// widen is v·255/max truncated (the documented rule, Pillow's for 5- and 6-bit channels).
func widen(px, m uint32) uint8 {
	sh := 0
	for m>>sh&1 == 0 {
		sh++
	}
	return uint8(uint64(px&m>>sh) * 255 / uint64(m>>sh))
}

// expectBMP computes the RGB pixels a decoder must produce for encodeBMP(o, vals).
func expectBMP(o bmpOpts, vals []uint32) []uint8 {
	out := make([]uint8, 0, 3*len(vals))
	for _, v := range vals {
		switch o.bpp {
		case 1, 4, 8:
			p := [3]uint8{}
			if int(v) < len(o.palette) {
				p = o.palette[v]
			}
			out = append(out, p[0], p[1], p[2])
		case 24:
			out = append(out, uint8(v>>16), uint8(v>>8), uint8(v))
		default:
			m := o.masks
			if !o.bitfields {
				m = [3]uint32{0x7C00, 0x3E0, 0x1F}
				if o.bpp == 32 {
					m = [3]uint32{0xFF0000, 0xFF00, 0xFF}
				}
			}
			out = append(out, widen(v, m[0]), widen(v, m[1]), widen(v, m[2]))
		}
	}
	return out
}

// bmpCases enumerates header sizes × pixel formats × row orders × widths around the 4-byte padding.
func bmpCases(rng *rand.Rand) (cases []bmpOpts, vals [][]uint32) {
	greyPal := make([][3]uint8, 256)
	for i := range greyPal {
		greyPal[i] = [3]uint8{uint8(i), uint8(i), uint8(i)}
	}
	for _, hsize := range []int{40, 52, 56, 108, 124} {
		for _, f := range []struct {
			bpp       int
			bitfields bool
			masks     [3]uint32
			pal       int // palette entries (-1: grey ramp of 256)
		}{
			{1, false, [3]uint32{}, 2}, {4, false, [3]uint32{}, 16}, {4, false, [3]uint32{}, 5},
			{8, false, [3]uint32{}, -1}, {8, false, [3]uint32{}, 200},
			{16, false, [3]uint32{}, 0}, {16, true, [3]uint32{0xF800, 0x07E0, 0x001F}, 0},
			{24, false, [3]uint32{}, 0},
			{32, false, [3]uint32{}, 0}, {32, true, [3]uint32{0xFF0000, 0xFF00, 0xFF}, 0},
			{32, true, [3]uint32{0xFF, 0xFF00, 0xFF0000}, 0}, {32, true, [3]uint32{0x3FF00000, 0xFFC00, 0x3FF}, 0},
		} {
			for _, topDown := range []bool{false, true} {
				for w := 1; w <= 9; w += 2 {
					o := bmpOpts{w: w, h: 1 + rng.IntN(3), hsize: hsize, bpp: f.bpp, bitfields: f.bitfields, masks: f.masks, topDown: topDown}
					switch {
					case f.pal < 0:
						o.palette = greyPal
					case f.pal > 0:
						for range f.pal {
							o.palette = append(o.palette, [3]uint8{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32())})
						}
					}
					o.trimLastPad = w == 9
					v := make([]uint32, o.w*o.h)
					for i := range v {
						switch o.bpp {
						case 1, 4, 8:
							v[i] = rng.Uint32N(1 << o.bpp) // may exceed a short palette: decodes black
						case 16:
							v[i] = rng.Uint32N(1 << 16)
						case 24:
							v[i] = rng.Uint32N(1 << 24)
						default:
							v[i] = rng.Uint32()
						}
					}
					cases, vals = append(cases, o), append(vals, v)
				}
			}
		}
	}
	return cases, vals
}

func (o bmpOpts) String() string {
	return fmt.Sprintf("%dx%d hdr=%d bpp=%d bitfields=%v masks=%x topdown=%v pal=%d trim=%v",
		o.w, o.h, o.hsize, o.bpp, o.bitfields, o.masks, o.topDown, len(o.palette), o.trimLastPad)
}

func TestBMPFormats(t *testing.T) {
	seed := uint64(rand.Uint32())
	t.Logf("seed %d", seed)
	cases, vals := bmpCases(rand.New(rand.NewPCG(seed, 4)))
	for i, o := range cases {
		data := encodeBMP(o, vals[i])
		img, err := DecodeBytes(data)
		if err != nil {
			t.Fatalf("%v: %v", o, err)
		}
		if img.W != o.w || img.H != o.h {
			t.Fatalf("%v: decoded %dx%d", o, img.W, img.H)
		}
		if want := expectBMP(o, vals[i]); !bytes.Equal(img.Pix, want) {
			t.Fatalf("%v (seed %d): pixels\n got %v\nwant %v", o, seed, img.Pix, want)
		}
		wantGray := len(o.palette) == 256 && o.palette[7] == [3]uint8{7, 7, 7}
		if img.Gray != wantGray {
			t.Fatalf("%v: Gray = %v", o, img.Gray)
		}
	}
}

// Hand-computed channel widening for 16-bit pixels (the same values Pillow's BGR;15 / BGR;16
// unpackers give).
func TestBMP16BitValues(t *testing.T) {
	for _, tc := range []struct {
		masks [3]uint32
		px    uint32
		want  [3]uint8
	}{
		{[3]uint32{0x7C00, 0x3E0, 0x1F}, 0x7FFF, [3]uint8{255, 255, 255}},
		{[3]uint32{0x7C00, 0x3E0, 0x1F}, 0x4210, [3]uint8{131, 131, 131}}, // 16·255/31 = 131.6
		{[3]uint32{0xF800, 0x7E0, 0x1F}, 0x8410, [3]uint8{131, 129, 131}}, // g: 32·255/63 = 129.5
		{[3]uint32{0xF800, 0x7E0, 0x1F}, 0x0821, [3]uint8{8, 4, 8}},
	} {
		o := bmpOpts{w: 1, h: 1, hsize: 40, bpp: 16, bitfields: tc.masks != [3]uint32{0x7C00, 0x3E0, 0x1F}, masks: tc.masks}
		img, err := DecodeBMP(encodeBMP(o, []uint32{tc.px}))
		if err != nil {
			t.Fatal(err)
		}
		if r, g, b := img.At(0, 0); [3]uint8{r, g, b} != tc.want {
			t.Errorf("masks %x px %#x: %d,%d,%d want %v", tc.masks, tc.px, r, g, b, tc.want)
		}
	}
}

// The real sample files: V5 24-bit bottom-up and 40-byte 8-bit grey.
func TestBMPSampleHeaders(t *testing.T) {
	for _, tc := range []struct {
		file  string
		hsize uint32
		bpp   uint16
	}{{"images/cat.bmp", 124, 24}, {"images/mnist_nine.bmp", 40, 8}, {"images/person.bmp", 40, 8}} {
		data, err := os.ReadFile(fixture.Path(t, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if h, b := binary.LittleEndian.Uint32(data[14:]), binary.LittleEndian.Uint16(data[28:]); h != tc.hsize || b != tc.bpp {
			t.Errorf("%s: header %d bpp %d, ASSETS.md says %d / %d", tc.file, h, b, tc.hsize, tc.bpp)
		}
		if _, err := DecodeBMP(data); err != nil {
			t.Errorf("%s: %v", tc.file, err)
		}
	}
}

// Every prefix of a valid file that cuts into the headers, palette or pixels is an error, never a
// panic (a cut that only removes the last row's padding is allowed to decode).
func TestBMPTruncated(t *testing.T) {
	files := map[string][]byte{}
	rng := rand.New(rand.NewPCG(1, 5))
	cases, vals := bmpCases(rng)
	for i := 0; i < len(cases); i += 7 {
		files[cases[i].String()] = encodeBMP(cases[i], vals[i])
	}
	if data, err := os.ReadFile(fixture.Path(t, "images/mnist_nine.bmp")); err == nil {
		files["mnist_nine.bmp"] = data
	}
	for name, data := range files {
		full, err := DecodeBMP(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		bpp := int(binary.LittleEndian.Uint16(data[28:]))
		pad := (bpp*full.W+31)/32*4 - (bpp*full.W+7)/8
		for n := range len(data) {
			_, err := DecodeBMP(data[:n])
			if err == nil && n < len(data)-pad {
				t.Fatalf("%s: prefix of %d/%d bytes decoded without error", name, n, len(data))
			}
			if err != nil && !errors.Is(err, ErrInvalidImage) {
				t.Fatalf("%s: prefix %d: error %v does not wrap ErrInvalidImage", name, n, err)
			}
		}
	}
}

// Corrupt header fields give the right sentinel error.
func TestBMPBadHeaders(t *testing.T) {
	base := encodeBMP(bmpOpts{w: 3, h: 2, hsize: 40, bpp: 24}, make([]uint32, 6))
	pal := encodeBMP(bmpOpts{w: 3, h: 2, hsize: 40, bpp: 8, palette: [][3]uint8{{1, 2, 3}}}, make([]uint32, 6))
	bf := encodeBMP(bmpOpts{w: 3, h: 2, hsize: 124, bpp: 32, bitfields: true, masks: [3]uint32{0xFF0000, 0xFF00, 0xFF}}, make([]uint32, 6))
	le := binary.LittleEndian
	for _, tc := range []struct {
		name string
		src  []byte
		edit func(b []byte)
		want error
	}{
		{"magic", base, func(b []byte) { b[1] = 'X' }, ErrInvalidImage},
		{"header size 41", base, func(b []byte) { le.PutUint32(b[14:], 41) }, ErrInvalidImage},
		{"header size huge", base, func(b []byte) { le.PutUint32(b[14:], 0xFFFFFFF0) }, ErrInvalidImage},
		{"OS/2 header", base, func(b []byte) { le.PutUint32(b[14:], 12) }, ErrUnsupportedImage},
		{"zero width", base, func(b []byte) { le.PutUint32(b[18:], 0) }, ErrInvalidImage},
		{"negative width", base, func(b []byte) { le.PutUint32(b[18:], 0xFFFFFFFD) }, ErrInvalidImage},
		{"zero height", base, func(b []byte) { le.PutUint32(b[22:], 0) }, ErrInvalidImage},
		{"min int32 height", base, func(b []byte) { le.PutUint32(b[22:], 0x80000000) }, ErrTooLarge},
		{"huge", base, func(b []byte) { le.PutUint32(b[18:], 30000); le.PutUint32(b[22:], 30000) }, ErrTooLarge},
		{"wide", base, func(b []byte) { le.PutUint32(b[18:], MaxSide+1) }, ErrTooLarge},
		{"height too big for data", base, func(b []byte) { le.PutUint32(b[22:], 3) }, ErrInvalidImage},
		{"planes", base, func(b []byte) { le.PutUint16(b[26:], 2) }, ErrInvalidImage},
		{"bpp 2", base, func(b []byte) { le.PutUint16(b[28:], 2) }, ErrInvalidImage},
		{"bpp 0", base, func(b []byte) { le.PutUint16(b[28:], 0) }, ErrInvalidImage},
		{"RLE8", pal, func(b []byte) { le.PutUint32(b[30:], 1) }, ErrUnsupportedImage},
		{"PNG inside", base, func(b []byte) { le.PutUint32(b[30:], 5) }, ErrUnsupportedImage},
		{"compression 99", base, func(b []byte) { le.PutUint32(b[30:], 99) }, ErrInvalidImage},
		{"bitfields on 24 bpp", base, func(b []byte) { le.PutUint32(b[30:], 3) }, ErrInvalidImage},
		{"data offset in header", base, func(b []byte) { le.PutUint32(b[10:], 20) }, ErrInvalidImage},
		{"data offset past end", base, func(b []byte) { le.PutUint32(b[10:], 0xFFFFFFFF) }, ErrInvalidImage},
		{"palette of 257", pal, func(b []byte) { le.PutUint32(b[46:], 257) }, ErrInvalidImage},
		{"palette past end", pal, func(b []byte) { le.PutUint32(b[46:], 256) }, ErrInvalidImage},
		{"zero mask", bf, func(b []byte) { le.PutUint32(b[14+40:], 0) }, ErrInvalidImage},
		{"split mask", bf, func(b []byte) { le.PutUint32(b[14+44:], 0xF0F0) }, ErrInvalidImage},
	} {
		b := bytes.Clone(tc.src)
		tc.edit(b)
		if _, err := DecodeBMP(b); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	// 16-bit masks must fit in 16 bits; the 40-byte header's masks follow it.
	b16 := encodeBMP(bmpOpts{w: 2, h: 1, hsize: 40, bpp: 16, bitfields: true, masks: [3]uint32{0x1F0000, 0x7E0, 0x1F}}, []uint32{0, 0})
	if _, err := DecodeBMP(b16); !errors.Is(err, ErrInvalidImage) {
		t.Errorf("16-bit mask beyond 16 bits: %v", err)
	}
}

// FuzzDecodeBMP: arbitrary bytes never panic; a successful decode is consistent. Run with
// go test -fuzz=FuzzDecodeBMP ./camera/preprocess
func FuzzDecodeBMP(f *testing.F) {
	cases, vals := bmpCases(rand.New(rand.NewPCG(2, 6)))
	for i := 0; i < len(cases); i += 11 {
		f.Add(encodeBMP(cases[i], vals[i]))
	}
	if data, err := os.ReadFile(fixture.Path(f, "images/mnist_nine.bmp")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeBMP(data)
		if err != nil {
			if img != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		if img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H*3 {
			t.Fatalf("inconsistent image %dx%d with %d bytes", img.W, img.H, len(img.Pix))
		}
		if img.Gray {
			for i := 0; i < len(img.Pix); i += 3 {
				if img.Pix[i] != img.Pix[i+1] || img.Pix[i] != img.Pix[i+2] {
					t.Fatal("Gray image with a coloured pixel")
				}
			}
		}
	})
}
