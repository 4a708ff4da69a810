package camera

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// Open returns the source a spec names — what `ocellus serve --camera SPEC` takes:
//
//	demo, demo:SEED          the demo source (NewDemo); SEED overrides opts.Seed
//	http://… or https://…    an HTTP camera, MJPEG stream or snapshots by content type (OpenHTTP)
//	yuyv:WxH:PATH            a raw video file (OpenRawFile); also nv12:, grey: and rgb24:
//	/dev/videoN              a V4L2 device by path (OpenV4L2)
//	v4l2:NAME                a V4L2 device by name
//	a folder                 its images, looping (OpenFolder)
//	FILE.mjpeg or FILE.mjpg  its concatenated JPEGs, looping (OpenMJPEGFile)
//	an image file            that image (.jpg, .jpeg, .png, .bmp), over and over
//	anything else            a V4L2 device name, if no such file exists and it does not look like a path
//
// Open connects (V4L2, HTTP) or opens the file once, so that a wrong spec fails here; the source
// recovers from later failures by itself.
func Open(ctx context.Context, spec string, opts Options) (Source, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	switch {
	case spec == "":
		return nil, fmt.Errorf("%w: empty source spec", ErrInvalidSpec)
	case spec == "demo":
		return NewDemo(opts)
	case strings.HasPrefix(spec, "demo:"):
		seed, err := strconv.ParseInt(strings.TrimPrefix(spec, "demo:"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: the demo seed must be an integer", ErrInvalidSpec, spec)
		}
		opts.Seed = seed
		return NewDemo(opts)
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		return OpenHTTP(ctx, spec, opts)
	case strings.HasPrefix(spec, "v4l2:"):
		return OpenV4L2(ctx, strings.TrimPrefix(spec, "v4l2:"), opts)
	case strings.HasPrefix(spec, "/dev/"):
		return OpenV4L2(ctx, spec, opts)
	}
	if src, ok, err := openRawSpec(spec, opts); ok {
		return src, err
	}
	st, err := os.Stat(spec)
	switch {
	case err == nil && st.IsDir():
		return OpenFolder(spec, opts)
	case err == nil:
		switch ext := strings.ToLower(filepath.Ext(spec)); {
		case ext == ".mjpeg" || ext == ".mjpg":
			return OpenMJPEGFile(spec, opts)
		case preprocess.IsImageFile(spec):
			return openImages([]string{spec}, opts), nil
		}
		return nil, fmt.Errorf("%w: %s: not a folder, an .mjpeg file or an image (for raw video say yuyv:WxH:%s)", ErrInvalidSpec, spec, spec)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("camera: %w", err)
	case strings.ContainsAny(spec, `/\`) || filepath.Ext(spec) != "":
		return nil, fmt.Errorf("%w: %s: no such file or folder", ErrInvalidSpec, spec)
	}
	return OpenV4L2(ctx, spec, opts)
}

// openRawSpec handles FORMAT:WxH:PATH; ok is false when spec does not have that shape.
func openRawSpec(spec string, opts Options) (src Source, ok bool, err error) {
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) != 3 {
		return nil, false, nil
	}
	format, err := ParsePixelFormat(parts[0])
	if err != nil || format == MJPEG {
		return nil, false, nil
	}
	ws, hs, found := strings.Cut(strings.ToLower(parts[1]), "x")
	w, err1 := strconv.Atoi(ws)
	h, err2 := strconv.Atoi(hs)
	if !found || err1 != nil || err2 != nil {
		return nil, true, fmt.Errorf("%w: %q: the size must be WIDTHxHEIGHT, e.g. %s:640x480:%s", ErrInvalidSpec, spec, parts[0], parts[2])
	}
	src, err = OpenRawFile(parts[2], format, w, h, opts)
	return src, true, err
}
