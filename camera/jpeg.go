package camera

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// The Huffman tables of ITU-T T.81 Annex K.3 (Tables K.3–K.6): BITS (how many codes of each length
// 1–16) and HUFFVAL (the symbols in code order) for DC and AC, luminance and chrominance. Motion-JPEG
// streams that carry no DHT segment (AVI1 / UVC MJPEG, most USB webcams) are coded with exactly these;
// the Linux uvc tools, libjpeg's MJPEG helpers and FFmpeg's mjpeg decoder insert or assume them.
const (
	dcLumBits = "\x00\x01\x05\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00"
	dcLumVals = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
	dcChrBits = "\x00\x03\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x00\x00\x00\x00"
	dcChrVals = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
	acLumBits = "\x00\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00\x01\x7d"
	acLumVals = "\x01\x02\x03\x00\x04\x11\x05\x12\x21\x31\x41\x06\x13\x51\x61\x07" +
		"\x22\x71\x14\x32\x81\x91\xa1\x08\x23\x42\xb1\xc1\x15\x52\xd1\xf0" +
		"\x24\x33\x62\x72\x82\x09\x0a\x16\x17\x18\x19\x1a\x25\x26\x27\x28" +
		"\x29\x2a\x34\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48\x49" +
		"\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68\x69" +
		"\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x83\x84\x85\x86\x87\x88\x89" +
		"\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5\xa6\xa7" +
		"\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3\xc4\xc5" +
		"\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xe1\xe2" +
		"\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8" +
		"\xf9\xfa"
	acChrBits = "\x00\x02\x01\x02\x04\x04\x03\x04\x07\x05\x04\x04\x00\x01\x02\x77"
	acChrVals = "\x00\x01\x02\x03\x11\x04\x05\x21\x31\x06\x12\x41\x51\x07\x61\x71" +
		"\x13\x22\x32\x81\x08\x14\x42\x91\xa1\xb1\xc1\x09\x23\x33\x52\xf0" +
		"\x15\x62\x72\xd1\x0a\x16\x24\x34\xe1\x25\xf1\x17\x18\x19\x1a\x26" +
		"\x27\x28\x29\x2a\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47\x48" +
		"\x49\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67\x68" +
		"\x69\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x82\x83\x84\x85\x86\x87" +
		"\x88\x89\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5" +
		"\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3" +
		"\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda" +
		"\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf2\xf3\xf4\xf5\xf6\xf7\xf8" +
		"\xf9\xfa"
)

// stdDHT is one DHT segment (marker, length 418, then the four tables: class/id 0x00 DC luma, 0x01 DC
// chroma, 0x10 AC luma, 0x11 AC chroma) holding the Annex K tables — 420 bytes, the segment FFmpeg
// writes with -huffman default.
const stdDHT = "\xff\xc4\x01\xa2" +
	"\x00" + dcLumBits + dcLumVals +
	"\x01" + dcChrBits + dcChrVals +
	"\x10" + acLumBits + acLumVals +
	"\x11" + acChrBits + acChrVals

// jpegInfo is what scanJPEG learns from the segments before the first scan.
type jpegInfo struct {
	w, h int
	// sos is the offset of the first SOS marker, firstDHT the offset of the first DHT marker (-1 if
	// none before the first scan).
	sos, firstDHT int
	// missing reports that the first scan uses a Huffman table no DHT before it defines.
	missing bool
}

// errJPEG builds an ErrBadFrame error about JPEG data.
func errJPEG(format string, args ...any) error {
	return fmt.Errorf("%w: jpeg: %s", ErrBadFrame, fmt.Sprintf(format, args...))
}

// scanJPEG walks the marker segments of a JPEG from SOI to the first SOS: it finds the frame size,
// the first DHT and which Huffman tables the first scan needs. It reads only headers (tens of bytes
// for a camera frame), never the entropy-coded data, and allocates nothing.
func scanJPEG(b []byte) (jpegInfo, error) {
	info := jpegInfo{sos: -1, firstDHT: -1}
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		n := min(len(b), 4)
		return info, errJPEG("no start-of-image marker (first bytes % x)", b[:n])
	}
	var defined [2][4]bool // [class: 0 DC, 1 AC][table id]
	sof := false
	i := 2
	for {
		// A marker is 0xFF, optional 0xFF fill bytes, then the marker code.
		if i >= len(b) {
			return info, fmt.Errorf("%w: jpeg: data ends at byte %d before the first scan", ErrTruncated, i)
		}
		if b[i] != 0xff {
			return info, errJPEG("byte %d is %#02x, want a marker", i, b[i])
		}
		start := i
		for i < len(b) && b[i] == 0xff {
			i++
		}
		if i >= len(b) {
			return info, fmt.Errorf("%w: jpeg: data ends at byte %d before the first scan", ErrTruncated, i)
		}
		m := b[i]
		i++
		switch {
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7): // TEM, RSTn: no length
			continue
		case m == 0xd8:
			return info, errJPEG("second start-of-image marker at byte %d", start)
		case m == 0xd9:
			return info, errJPEG("end-of-image marker at byte %d before any scan", start)
		case m == 0x00:
			return info, errJPEG("invalid marker 0xff00 at byte %d", start)
		}
		if i+2 > len(b) {
			return info, fmt.Errorf("%w: jpeg: segment %#02x at byte %d has no length", ErrTruncated, m, start)
		}
		n := int(b[i])<<8 | int(b[i+1])
		if n < 2 {
			return info, errJPEG("segment %#02x at byte %d has length %d", m, start, n)
		}
		if i+n > len(b) {
			return info, fmt.Errorf("%w: jpeg: segment %#02x at byte %d needs %d bytes, %d left", ErrTruncated, m, start, n, len(b)-i)
		}
		seg := b[i+2 : i+n]
		i += n
		switch {
		case m == 0xc4: // DHT: one or more tables
			if info.firstDHT < 0 {
				info.firstDHT = start
			}
			for len(seg) > 0 {
				if len(seg) < 17 {
					return info, errJPEG("DHT at byte %d is truncated", start)
				}
				tc, th := seg[0]>>4, seg[0]&15
				if tc > 1 || th > 3 {
					return info, errJPEG("DHT at byte %d: bad table class/id %#02x", start, seg[0])
				}
				count := 0
				for _, c := range seg[1:17] {
					count += int(c)
				}
				if count > 256 || 17+count > len(seg) {
					return info, errJPEG("DHT at byte %d: table %#02x has %d codes, %d bytes left", start, seg[0], count, len(seg)-17)
				}
				defined[tc][th] = true
				seg = seg[17+count:]
			}
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc: // SOFn
			if len(seg) < 6 {
				return info, errJPEG("SOF at byte %d is truncated", start)
			}
			info.h = int(seg[1])<<8 | int(seg[2])
			info.w = int(seg[3])<<8 | int(seg[4])
			sof = true
		case m == 0xda: // SOS: the Huffman tables its components name must be defined by now.
			if !sof {
				return info, errJPEG("scan at byte %d before the frame header", start)
			}
			if len(seg) < 1 || len(seg) < 1+2*int(seg[0]) {
				return info, errJPEG("SOS at byte %d is truncated", start)
			}
			for c := 0; c < int(seg[0]); c++ {
				td, ta := seg[2+2*c]>>4, seg[2+2*c]&15
				if td > 3 || ta > 3 {
					return info, errJPEG("SOS at byte %d: bad table selector %#02x", start, seg[2+2*c])
				}
				if defined[0][td] && defined[1][ta] {
					continue
				}
				if td > 1 || ta > 1 { // the standard set has tables 0 and 1 only
					return info, errJPEG("scan at byte %d uses Huffman tables DC%d/AC%d, which no DHT defines", start, td, ta)
				}
				info.missing = true
			}
			info.sos = start
			return info, nil
		}
	}
}

// JPEGSize returns the width and height a JPEG's frame header declares, reading only its headers.
func JPEGSize(b []byte) (w, h int, err error) {
	info, err := scanJPEG(b)
	return info.w, info.h, err
}

// AddHuffmanTables makes a Motion-JPEG frame decodable by a standard JPEG decoder: if its first scan
// uses Huffman tables that no DHT segment defines (as UVC cameras send them), it appends to dst[:0]
// the frame with the standard tables of ITU-T T.81 Annex K.3 inserted — before the frame's own first
// DHT if it has one (so its own tables still win), else just before the first SOS — and returns that.
// A frame that defines its tables is returned as is (no copy), with inserted false.
func AddHuffmanTables(dst, frame []byte) (out []byte, inserted bool, err error) {
	info, err := scanJPEG(frame)
	if err != nil {
		return nil, false, err
	}
	if !info.missing {
		return frame, false, nil
	}
	at := info.sos
	if info.firstDHT >= 0 {
		at = info.firstDHT
	}
	out = append(dst[:0], frame[:at]...)
	out = append(out, stdDHT...)
	out = append(out, frame[at:]...)
	return out, true, nil
}

// readJPEG appends to dst one JPEG image read from r — from its SOI marker through its EOI marker,
// following the segment lengths and scanning the entropy-coded data for markers, so it works on
// concatenated JPEGs (an MJPEG file) and on multipart parts without a Content-Length. Bytes before the
// SOI (padding between frames) are skipped, at most max of them. It returns io.EOF if r ends before
// an SOI, and an ErrTruncated error if it ends inside the image.
func readJPEG(r *bufio.Reader, dst []byte, max int) ([]byte, error) {
	// Find SOI.
	skipped := 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && skipped == 0 {
				return dst, io.EOF
			}
			if err == io.EOF {
				return dst, fmt.Errorf("%w: %d bytes after the last JPEG hold no image", ErrBadFrame, skipped)
			}
			return dst, err
		}
		if c == 0xff {
			c2, err := r.ReadByte()
			if err != nil {
				return dst, truncated(err, "jpeg: data ends after 0xff")
			}
			if c2 == 0xd8 {
				break
			}
			if err := r.UnreadByte(); err != nil {
				return dst, err
			}
		}
		if skipped++; skipped > max {
			return dst, fmt.Errorf("%w: no JPEG start-of-image marker in %d bytes", ErrBadFrame, max)
		}
	}
	dst = append(dst, 0xff, 0xd8)
	start := len(dst) - 2
	inScan := false
	for {
		if len(dst)-start > max {
			return dst, fmt.Errorf("%w: JPEG longer than %d bytes", ErrBadFrame, max)
		}
		if inScan {
			// Entropy-coded data: copy up to the next 0xff, then look at what follows it.
			chunk, err := r.ReadSlice(0xff)
			dst = append(dst, chunk...)
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil {
				return dst, truncated(err, "jpeg: data ends inside a scan")
			}
		} else {
			c, err := r.ReadByte()
			if err != nil {
				return dst, truncated(err, "jpeg: data ends between segments")
			}
			if c != 0xff {
				return dst, fmt.Errorf("%w: jpeg: byte %#02x where a marker should be", ErrBadFrame, c)
			}
			dst = append(dst, c)
		}
		// dst ends with 0xff: read the marker code, skipping fill bytes.
		m, err := r.ReadByte()
		for err == nil && m == 0xff {
			dst = append(dst, m)
			m, err = r.ReadByte()
		}
		if err != nil {
			return dst, truncated(err, "jpeg: data ends after 0xff")
		}
		dst = append(dst, m)
		switch {
		case inScan && (m == 0x00 || (m >= 0xd0 && m <= 0xd7)): // stuffed 0xff, restart marker
			continue
		case m == 0xd9: // EOI
			return dst, nil
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7):
			continue
		case m == 0x00 || m == 0xd8:
			return dst, fmt.Errorf("%w: jpeg: unexpected marker 0xff%02x", ErrBadFrame, m)
		}
		// A segment with a length: copy it whole.
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return dst, truncated(err, "jpeg: segment length missing")
		}
		n := int(l[0])<<8 | int(l[1])
		if n < 2 {
			return dst, fmt.Errorf("%w: jpeg: segment 0xff%02x has length %d", ErrBadFrame, m, n)
		}
		dst = append(dst, l[0], l[1])
		at := len(dst)
		dst = append(dst, make([]byte, n-2)...)
		if got, err := io.ReadFull(r, dst[at:]); err != nil {
			return dst[:at+got], truncated(err, "jpeg: segment cut short")
		}
		inScan = m == 0xda
	}
}

// truncated turns an unexpected end of data into an ErrTruncated error; other errors pass through.
func truncated(err error, what string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: %s", ErrTruncated, what)
	}
	return err
}
