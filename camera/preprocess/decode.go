package preprocess

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
)

// DecodeFile reads and decodes a BMP, JPEG or PNG file. Errors name the file.
func DecodeFile(path string) (*RGB8, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	img, err := DecodeBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Decode reads r to the end and decodes the BMP, JPEG or PNG image it holds.
func Decode(r io.Reader) (*RGB8, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(data)
}

// DecodeBytes decodes a BMP, JPEG or PNG image, chosen by the file's magic bytes. BMP is decoded by
// this package (see DecodeBMP); JPEG and PNG by the standard library, after their header has been
// checked against MaxSide and MaxPixels.
func DecodeBytes(data []byte) (*RGB8, error) {
	switch {
	case bytes.HasPrefix(data, []byte("BM")):
		return DecodeBMP(data)
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return decodeStd(data, "jpeg", jpeg.DecodeConfig, jpeg.Decode)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return decodeStd(data, "png", png.DecodeConfig, png.Decode)
	}
	n := min(len(data), 8)
	return nil, fmt.Errorf("%w: first bytes %q are not BMP, JPEG or PNG", ErrUnknownFormat, data[:n])
}

func decodeStd(data []byte, name string, config func(io.Reader) (image.Config, error), decode func(io.Reader) (image.Image, error)) (*RGB8, error) {
	cfg, err := config(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidImage, name, err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidImage, name, err)
	}
	return FromImage(nil, img), nil
}

// checkSize rejects empty images and images beyond MaxSide / MaxPixels.
func checkSize(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: size %dx%d", ErrInvalidImage, w, h)
	}
	if w > MaxSide || h > MaxSide || w*h > MaxPixels {
		return fmt.Errorf("%w: %dx%d (limits: side %d, %d pixels)", ErrTooLarge, w, h, MaxSide, MaxPixels)
	}
	return nil
}
