package preprocess

import "errors"

// Sentinel errors. Decoders and parsers wrap them with %w and the context a user needs (file name,
// header field, offset), so callers can test with errors.Is.
var (
	// ErrUnknownFormat: the data is not a BMP, JPEG or PNG file (judged by its first bytes).
	ErrUnknownFormat = errors.New("preprocess: unknown image format")
	// ErrInvalidImage: the file is malformed (truncated, inconsistent header fields, …).
	ErrInvalidImage = errors.New("preprocess: invalid image")
	// ErrUnsupportedImage: the file is well formed but uses a feature this package does not decode
	// (e.g. RLE-compressed BMP).
	ErrUnsupportedImage = errors.New("preprocess: unsupported image")
	// ErrTooLarge: the image has more than MaxPixels pixels or a side longer than MaxSide.
	ErrTooLarge = errors.New("preprocess: image too large")
	// ErrInvalidSpec: a Spec (or the text/JSON it was parsed from) is invalid.
	ErrInvalidSpec = errors.New("preprocess: invalid spec")
)
