package camera

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// Decoder turns frames into RGB images. It keeps a scratch buffer for MJPEG frames that need their
// Huffman tables inserted, so decoding raw formats into a reused image allocates nothing; MJPEG
// decoding allocates what image/jpeg allocates (the planes of each image). A Decoder is not safe for
// concurrent use; the zero value is ready.
type Decoder struct {
	jpegBuf []byte
}

// Decode converts f to packed RGB, reusing dst's storage when dst is non-nil and large enough, and
// returns the image. Raw formats go through YUYVToRGB, NV12ToRGB and GreyToRGB (GREY frames come out
// with Gray set); MJPEG frames get the standard Huffman tables if they lack them (AddHuffmanTables)
// and are decoded by image/jpeg, whose YCbCr→RGB conversion is JFIF full range (color.YCbCrToRGB)
// with nearest-neighbour chroma. Errors wrap ErrBadFrame (bytes that do not fit the format and size,
// malformed JPEG data), ErrTruncated or ErrUnsupported, and never leave dst half written for raw
// formats.
func (d *Decoder) Decode(dst *preprocess.RGB8, f Frame) (*preprocess.RGB8, error) {
	if f.Format == MJPEG {
		return d.decodeJPEG(dst, f.Data)
	}
	need := f.Format.FrameLen(f.W, f.H)
	if need < 0 {
		if f.Format == FormatUnknown || f.Format > RGB24 {
			return nil, fmt.Errorf("%w: pixel format %v", ErrUnsupported, f.Format)
		}
		return nil, fmt.Errorf("%w: %v frame of size %dx%d", ErrBadFrame, f.Format, f.W, f.H)
	}
	if f.W > preprocess.MaxSide || f.H > preprocess.MaxSide || f.W*f.H > preprocess.MaxPixels {
		return nil, fmt.Errorf("%w: %v frame of size %dx%d is too large", ErrBadFrame, f.Format, f.W, f.H)
	}
	if len(f.Data) < need {
		return nil, fmt.Errorf("%w: %v %dx%d frame has %d bytes, want %d", ErrBadFrame, f.Format, f.W, f.H, len(f.Data), need)
	}
	dst = resize(dst, f.W, f.H)
	switch f.Format {
	case YUYV:
		YUYVToRGB(dst.Pix, f.Data, f.W, f.H)
	case NV12:
		NV12ToRGB(dst.Pix, f.Data, f.W, f.H)
	case GREY:
		GreyToRGB(dst.Pix, f.Data, f.W, f.H)
		dst.Gray = true
	case RGB24:
		copy(dst.Pix, f.Data)
	}
	return dst, nil
}

// resize makes dst a w×h image, reusing its storage.
func resize(dst *preprocess.RGB8, w, h int) *preprocess.RGB8 {
	if dst == nil {
		dst = &preprocess.RGB8{}
	}
	n := w * h * 3
	if cap(dst.Pix) < n {
		dst.Pix = make([]uint8, n)
	}
	dst.W, dst.H, dst.Pix, dst.Gray = w, h, dst.Pix[:n], false
	return dst
}

func (d *Decoder) decodeJPEG(dst *preprocess.RGB8, data []byte) (*preprocess.RGB8, error) {
	info, err := scanJPEG(data)
	if err != nil {
		return nil, err
	}
	if info.w <= 0 || info.h <= 0 || info.w > preprocess.MaxSide || info.h > preprocess.MaxSide || info.w*info.h > preprocess.MaxPixels {
		return nil, fmt.Errorf("%w: jpeg: frame size %dx%d", ErrBadFrame, info.w, info.h)
	}
	if info.missing {
		data, _, err = AddHuffmanTables(d.jpegBuf, data)
		if err != nil {
			return nil, err
		}
		d.jpegBuf = data
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: jpeg: %v", ErrBadFrame, err)
	}
	if m, ok := img.(*image.YCbCr); ok && m.Rect.Min == (image.Point{}) {
		dst = resize(dst, m.Rect.Dx(), m.Rect.Dy())
		ycbcrToRGB(dst.Pix, m)
		return dst, nil
	}
	return preprocess.FromImage(dst, img), nil
}
