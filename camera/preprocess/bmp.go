package preprocess

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// BMP compression codes (biCompression).
const (
	bmpRGB            = 0
	bmpRLE8           = 1
	bmpRLE4           = 2
	bmpBitfields      = 3
	bmpJPEG           = 4
	bmpPNG            = 5
	bmpAlphaBitfields = 6
)

// DecodeBMP decodes a Windows BMP file held in data.
//
// Supported: info headers of 40 (BITMAPINFOHEADER), 52, 56 (V2/V3), 108 (V4) and 124 (V5) bytes;
// 1-, 4- and 8-bit palettised, 16-bit (5-5-5 or bit fields), 24-bit and 32-bit (BGRX or bit fields)
// uncompressed pixels; bottom-up and top-down row order; rows padded to 4 bytes (the last row's
// padding may be missing). Alpha is ignored. Palette indices past the palette decode as black.
// Sub-8-bit bit-field channels are widened as Pillow does: v·255/max, truncated.
// Not supported (ErrUnsupportedImage): OS/2 headers, RLE, embedded JPEG/PNG.
//
// Every offset and size is checked against len(data) before use; malformed input gives an error
// wrapping ErrInvalidImage (or ErrTooLarge), never a panic.
func DecodeBMP(data []byte) (*RGB8, error) {
	h, err := parseBMPHeader(data)
	if err != nil {
		return nil, err
	}
	img := &RGB8{W: h.w, H: h.h, Pix: make([]uint8, h.w*h.h*3), Gray: h.gray}
	h.decodeRows(data, img)
	return img, nil
}

// bmpField extracts one colour channel from a 16- or 32-bit pixel: v = (px >> shift) & max,
// widened to 8 bits as v·255/max.
type bmpField struct {
	shift uint
	max   uint32
}

func (f bmpField) get(px uint32) uint8 {
	v := (px >> f.shift) & f.max
	if f.max == 255 {
		return uint8(v)
	}
	return uint8(uint64(v) * 255 / uint64(f.max))
}

type bmpHeader struct {
	w, h       int
	topDown    bool
	bpp        int
	dataOff    int
	stride     int
	palette    [256][3]uint8 // RGB; entries past the file's palette stay black
	gray       bool
	r, g, b    bmpField
	standard32 bool // 32-bit with masks 0xFF0000, 0xFF00, 0xFF (BGRX)
}

func bmpErr(format string, args ...any) error {
	return fmt.Errorf("%w: bmp: %s", ErrInvalidImage, fmt.Sprintf(format, args...))
}

func parseBMPHeader(data []byte) (*bmpHeader, error) {
	const fileHeaderLen = 14
	if len(data) < fileHeaderLen+4 {
		return nil, bmpErr("file is %d bytes, shorter than the 18-byte minimum header", len(data))
	}
	if data[0] != 'B' || data[1] != 'M' {
		return nil, fmt.Errorf("%w: bmp: magic %q is not \"BM\"", ErrInvalidImage, data[:2])
	}
	le := binary.LittleEndian
	dataOff := uint64(le.Uint32(data[10:]))
	hsize := int(le.Uint32(data[14:]))
	switch hsize {
	case 40, 52, 56, 108, 124:
	case 12, 16, 64:
		return nil, fmt.Errorf("%w: bmp: OS/2 info header (%d bytes)", ErrUnsupportedImage, hsize)
	default:
		return nil, bmpErr("info header size %d (want 40, 52, 56, 108 or 124)", hsize)
	}
	if len(data) < fileHeaderLen+hsize {
		return nil, bmpErr("truncated: %d-byte info header needs %d bytes, file has %d", hsize, fileHeaderLen+hsize, len(data))
	}
	ih := data[fileHeaderLen : fileHeaderLen+hsize]
	width := int64(int32(le.Uint32(ih[4:])))
	height := int64(int32(le.Uint32(ih[8:])))
	planes := le.Uint16(ih[12:])
	bpp := int(le.Uint16(ih[14:]))
	compression := le.Uint32(ih[16:])
	clrUsed := le.Uint32(ih[32:])

	h := &bmpHeader{bpp: bpp}
	if height < 0 {
		h.topDown, height = true, -height
	}
	if width <= 0 || height <= 0 {
		return nil, bmpErr("size %dx%d", width, height)
	}
	if width > MaxSide || height > MaxSide || width*height > MaxPixels {
		return nil, fmt.Errorf("%w: bmp: %dx%d (limits: side %d, %d pixels)", ErrTooLarge, width, height, MaxSide, MaxPixels)
	}
	h.w, h.h = int(width), int(height)
	if planes != 1 {
		return nil, bmpErr("planes = %d, want 1", planes)
	}
	switch compression {
	case bmpRGB, bmpBitfields, bmpAlphaBitfields:
	case bmpRLE8, bmpRLE4:
		return nil, fmt.Errorf("%w: bmp: RLE compression (%d)", ErrUnsupportedImage, compression)
	case bmpJPEG, bmpPNG:
		return nil, fmt.Errorf("%w: bmp: embedded JPEG/PNG (compression %d)", ErrUnsupportedImage, compression)
	default:
		return nil, bmpErr("unknown compression %d", compression)
	}
	bitfields := compression != bmpRGB
	switch bpp {
	case 1, 4, 8, 24:
		if bitfields {
			return nil, bmpErr("bit-field compression with %d bits per pixel", bpp)
		}
	case 16, 32:
	default:
		return nil, bmpErr("%d bits per pixel (want 1, 4, 8, 16, 24 or 32)", bpp)
	}

	// Everything after the info header up to the pixels: bit masks (40-byte header) and palette.
	extra := fileHeaderLen + hsize
	if bpp == 16 || bpp == 32 {
		var rm, gm, bm uint32
		switch {
		case !bitfields && bpp == 16:
			rm, gm, bm = 0x7C00, 0x03E0, 0x001F
		case !bitfields:
			rm, gm, bm = 0xFF0000, 0xFF00, 0xFF
		case hsize >= 52:
			rm, gm, bm = le.Uint32(ih[40:]), le.Uint32(ih[44:]), le.Uint32(ih[48:])
		default:
			n := 12
			if compression == bmpAlphaBitfields {
				n = 16
			}
			if len(data) < extra+n {
				return nil, bmpErr("truncated: bit masks need %d bytes, file has %d", extra+n, len(data))
			}
			rm, gm, bm = le.Uint32(data[extra:]), le.Uint32(data[extra+4:]), le.Uint32(data[extra+8:])
			extra += n
		}
		var err error
		if h.r, err = parseBMPMask("red", rm, bpp); err != nil {
			return nil, err
		}
		if h.g, err = parseBMPMask("green", gm, bpp); err != nil {
			return nil, err
		}
		if h.b, err = parseBMPMask("blue", bm, bpp); err != nil {
			return nil, err
		}
		h.standard32 = bpp == 32 && rm == 0xFF0000 && gm == 0xFF00 && bm == 0xFF
	}
	if bpp <= 8 {
		n := uint64(clrUsed)
		if n == 0 {
			n = 1 << bpp
		}
		if n > 256 {
			return nil, bmpErr("palette of %d colours (at most 256)", n)
		}
		if uint64(len(data)) < uint64(extra)+4*n {
			return nil, bmpErr("truncated: %d-colour palette at offset %d needs %d bytes, file has %d", n, extra, uint64(extra)+4*n, len(data))
		}
		n = min(n, 1<<bpp) // entries no index can reach are ignored
		h.gray = true
		for i := 0; i < int(n); i++ {
			e := data[extra+4*i:]
			h.palette[i] = [3]uint8{e[2], e[1], e[0]}
			h.gray = h.gray && e[0] == e[1] && e[1] == e[2]
		}
		extra += 4 * int(n)
	}
	if dataOff < uint64(fileHeaderLen+hsize) {
		return nil, bmpErr("pixel data offset %d lies inside the %d-byte headers", dataOff, fileHeaderLen+hsize)
	}
	rowBytes := (uint64(bpp)*uint64(h.w) + 7) / 8
	h.stride = int((uint64(bpp)*uint64(h.w) + 31) / 32 * 4)
	need := uint64(h.stride)*uint64(h.h-1) + rowBytes
	if dataOff+need > uint64(len(data)) {
		return nil, bmpErr("truncated: %dx%d pixels at %d bits need %d bytes from offset %d, file has %d",
			h.w, h.h, bpp, need, dataOff, len(data))
	}
	h.dataOff = int(dataOff)
	return h, nil
}

// parseBMPMask checks that m is a non-empty contiguous run of bits within a bpp-bit pixel.
func parseBMPMask(name string, m uint32, bpp int) (bmpField, error) {
	if m == 0 {
		return bmpField{}, bmpErr("%s bit mask is zero", name)
	}
	if bpp == 16 && m > 0xFFFF {
		return bmpField{}, bmpErr("%s bit mask %#x exceeds a 16-bit pixel", name, m)
	}
	shift := uint(bits.TrailingZeros32(m))
	v := m >> shift
	if v&(v+1) != 0 {
		return bmpField{}, bmpErr("%s bit mask %#x is not contiguous", name, m)
	}
	return bmpField{shift: shift, max: v}, nil
}

// decodeRows converts the (already bounds-checked) pixel rows into img.
func (h *bmpHeader) decodeRows(data []byte, img *RGB8) {
	le := binary.LittleEndian
	rowBytes := (h.bpp*h.w + 7) / 8
	for y := 0; y < h.h; y++ {
		sy := h.h - 1 - y
		if h.topDown {
			sy = y
		}
		off := h.dataOff + sy*h.stride
		row := data[off : off+rowBytes]
		out := img.Pix[y*h.w*3 : (y+1)*h.w*3]
		switch h.bpp {
		case 1, 4, 8:
			per := 8 / h.bpp
			mask := byte(1<<h.bpp - 1)
			for x := 0; x < h.w; x++ {
				sh := uint(8 - h.bpp*(x%per+1))
				p := h.palette[(row[x/per]>>sh)&mask]
				out[3*x], out[3*x+1], out[3*x+2] = p[0], p[1], p[2]
			}
		case 24:
			for x := 0; x < h.w; x++ {
				out[3*x], out[3*x+1], out[3*x+2] = row[3*x+2], row[3*x+1], row[3*x]
			}
		case 16:
			for x := 0; x < h.w; x++ {
				px := uint32(le.Uint16(row[2*x:]))
				out[3*x], out[3*x+1], out[3*x+2] = h.r.get(px), h.g.get(px), h.b.get(px)
			}
		case 32:
			if h.standard32 {
				for x := 0; x < h.w; x++ {
					out[3*x], out[3*x+1], out[3*x+2] = row[4*x+2], row[4*x+1], row[4*x]
				}
				continue
			}
			for x := 0; x < h.w; x++ {
				px := le.Uint32(row[4*x:])
				out[3*x], out[3*x+1], out[3*x+2] = h.r.get(px), h.g.get(px), h.b.get(px)
			}
		}
	}
}
