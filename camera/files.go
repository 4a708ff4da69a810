package camera

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// OpenFolder returns a source that delivers the images of a folder (JPEG, PNG, BMP; by extension, in
// name order), starting over after the last one unless opts.Once. JPEG files are delivered as MJPEG
// frames without decoding them; PNG and BMP files are decoded to RGB24 frames. A file that cannot be
// read or decoded gives an error naming it, and the next call moves on to the next file. Frames are
// paced at opts.FPS (0: as fast as Next is called).
func OpenFolder(dir string, opts Options) (Source, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("camera: folder source: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && preprocess.IsImageFile(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: folder %s holds no %s files", ErrInvalidSpec, dir, strings.Join(preprocess.ImageExtensions(), ", "))
	}
	return openImages(files, opts), nil
}

// imageFiles delivers a list of image files.
type imageFiles struct {
	files []string
	opts  Options
	lc    lifecycle
	pace  pacer
	mu    sync.Mutex
	next  int
	seq   uint64
	buf   []byte
}

func openImages(files []string, opts Options) *imageFiles {
	return &imageFiles{files: files, opts: opts, lc: newLifecycle(), pace: newPacer(opts.FPS)}
}

func (s *imageFiles) Next(ctx context.Context) (Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.lc.check(ctx); err != nil {
		return Frame{}, err
	}
	if s.next == len(s.files) {
		if s.opts.Once {
			return Frame{}, io.EOF
		}
		s.next = 0
	}
	if err := s.pace.wait(ctx, s.lc.closed); err != nil {
		return Frame{}, err
	}
	path := s.files[s.next]
	s.next++
	f, err := s.read(path)
	if err != nil {
		return Frame{}, fmt.Errorf("camera: %s: %w", path, err)
	}
	f.Seq, f.Time = s.seq, time.Now()
	s.seq++
	return f, nil
}

func (s *imageFiles) read(path string) (Frame, error) {
	var err error
	s.buf, err = readFileInto(s.buf[:0], path)
	if err != nil {
		return Frame{}, err
	}
	if len(s.buf) >= 3 && s.buf[0] == 0xff && s.buf[1] == 0xd8 && s.buf[2] == 0xff {
		w, h, err := JPEGSize(s.buf)
		if err != nil {
			return Frame{}, err
		}
		return Frame{Format: MJPEG, W: w, H: h, Data: s.buf}, nil
	}
	img, err := preprocess.DecodeBytes(s.buf)
	if err != nil {
		return Frame{}, err
	}
	return Frame{Format: RGB24, W: img.W, H: img.H, Data: img.Pix}, nil
}

func (s *imageFiles) Close() error {
	s.lc.close()
	return nil
}

// readFileInto appends a file's contents to dst, refusing files over MaxFrameBytes.
func readFileInto(dst []byte, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return dst, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return dst, err
	}
	if st.Size() > MaxFrameBytes {
		return dst, fmt.Errorf("%w: %d bytes is more than %d", ErrBadFrame, st.Size(), MaxFrameBytes)
	}
	n := int(st.Size())
	dst = slices.Grow(dst, n+1)
	for {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, 4096)
		}
		m, err := f.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+m]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
		if len(dst) > MaxFrameBytes {
			return dst, fmt.Errorf("%w: file grew past %d bytes", ErrBadFrame, MaxFrameBytes)
		}
	}
}

// OpenMJPEGFile returns a source that delivers the JPEG images concatenated in a file (an .mjpeg /
// .mjpg file, as `ffmpeg -f mjpeg` writes), starting over at the end unless opts.Once. Bytes between
// images are skipped; a file cut inside an image gives an ErrTruncated error, then starts over.
// Frames are paced at opts.FPS (0: as fast as Next is called).
func OpenMJPEGFile(path string, opts Options) (Source, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("camera: mjpeg source: %w", err)
	}
	var head [3]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || head != [3]byte{0xff, 0xd8, 0xff} {
		f.Close()
		return nil, fmt.Errorf("%w: %s does not start with a JPEG image (first bytes % x)", ErrInvalidSpec, path, head)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("camera: mjpeg source: %w", err)
	}
	return &mjpegFile{path: path, f: f, r: bufio.NewReaderSize(f, 64<<10), opts: opts, lc: newLifecycle(), pace: newPacer(opts.FPS)}, nil
}

type mjpegFile struct {
	path   string
	f      *os.File
	r      *bufio.Reader
	opts   Options
	lc     lifecycle
	pace   pacer
	mu     sync.Mutex
	seq    uint64
	frames int // frames read since the last rewind
	buf    []byte
}

func (s *mjpegFile) Next(ctx context.Context) (Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.lc.check(ctx); err != nil {
		return Frame{}, err
	}
	if err := s.pace.wait(ctx, s.lc.closed); err != nil {
		return Frame{}, err
	}
	for {
		var err error
		s.buf, err = readJPEG(s.r, s.buf[:0], MaxFrameBytes)
		if err == io.EOF && s.frames > 0 && !s.opts.Once {
			if err := s.rewind(); err != nil {
				return Frame{}, err
			}
			continue
		}
		if err == io.EOF {
			return Frame{}, io.EOF
		}
		if err != nil {
			err = fmt.Errorf("camera: %s, frame %d: %w", s.path, s.frames, err)
			if !s.opts.Once {
				if rerr := s.rewind(); rerr != nil {
					return Frame{}, rerr
				}
			}
			return Frame{}, err
		}
		s.frames++
		w, h, err := JPEGSize(s.buf)
		if err != nil {
			return Frame{}, fmt.Errorf("camera: %s, frame %d: %w", s.path, s.frames-1, err)
		}
		f := Frame{Seq: s.seq, Time: time.Now(), Format: MJPEG, W: w, H: h, Data: s.buf}
		s.seq++
		return f, nil
	}
}

func (s *mjpegFile) rewind() error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("camera: %s: %w", s.path, err)
	}
	s.r.Reset(s.f)
	s.frames = 0
	return nil
}

func (s *mjpegFile) Close() error {
	if !s.lc.close() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

// OpenRawFile returns a source that delivers the w×h frames of a raw video file in a raw pixel format
// (YUYV, GREY, NV12 or RGB24; what `ffmpeg -f rawvideo` writes), starting over at the end unless
// opts.Once. The file must hold a whole number of frames. Frames are paced at opts.FPS.
func OpenRawFile(path string, format PixelFormat, w, h int, opts Options) (Source, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	n := format.FrameLen(w, h)
	if n < 0 {
		return nil, fmt.Errorf("%w: raw %v frames of size %dx%d", ErrInvalidSpec, format, w, h)
	}
	if n > MaxFrameBytes {
		return nil, fmt.Errorf("%w: raw %v frames of size %dx%d are larger than %d bytes", ErrInvalidSpec, format, w, h, MaxFrameBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("camera: raw source: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("camera: raw source: %w", err)
	}
	if st.Size() == 0 || st.Size()%int64(n) != 0 {
		f.Close()
		return nil, fmt.Errorf("%w: %s has %d bytes, not a whole number of %dx%d %v frames (%d bytes each)", ErrTruncated, path, st.Size(), w, h, format, n)
	}
	return &rawFile{path: path, f: f, format: format, w: w, h: h, count: st.Size() / int64(n),
		buf: make([]byte, n), opts: opts, lc: newLifecycle(), pace: newPacer(opts.FPS)}, nil
}

type rawFile struct {
	path         string
	f            *os.File
	format       PixelFormat
	w, h         int
	count, index int64 // frames in the file, next frame
	buf          []byte
	opts         Options
	lc           lifecycle
	pace         pacer
	mu           sync.Mutex
	seq          uint64
}

func (s *rawFile) Next(ctx context.Context) (Frame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.lc.check(ctx); err != nil {
		return Frame{}, err
	}
	if s.index == s.count {
		if s.opts.Once {
			return Frame{}, io.EOF
		}
		s.index = 0
	}
	if err := s.pace.wait(ctx, s.lc.closed); err != nil {
		return Frame{}, err
	}
	if _, err := s.f.ReadAt(s.buf, s.index*int64(len(s.buf))); err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("%w: file shrank", ErrTruncated)
		}
		return Frame{}, fmt.Errorf("camera: %s, frame %d: %w", s.path, s.index, err)
	}
	s.index++
	f := Frame{Seq: s.seq, Time: time.Now(), Format: s.format, W: s.w, H: s.h, Data: s.buf}
	s.seq++
	return f, nil
}

func (s *rawFile) Close() error {
	if !s.lc.close() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
