// Package guest is the plugin side of the ocellus WASM plugin ABI (camera/plugin/ABI.md) for
// plugins written in Go. A plugin is a main package that registers one Plugin from an init
// function and is built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o grayscale.wasm ./examples/grayscale
//
// -buildmode=c-shared is required (Go 1.24 or later): it makes a reactor that exports _initialize
// (runtime and package initialisation, called once by the host) and leaves main unused. Without it
// Go builds a WASI command, which exports _start, runs main and exits; the host refuses those.
//
// The exported functions live in a file built only for wasip1; the rest of the package is plain Go
// and builds (and is tested) on any platform.
//
// A Plugin reuses its output buffers: the host copies the output before it calls the plugin again,
// and a plugin that allocates nothing per frame runs no garbage collection. Its per-pixel loops
// should do several pixels per iteration: the host pays a deadline check at every loop iteration
// (ABI.md, "Performance"; the grayscale example shows how).
//
// The package does not import fmt (nor do the examples): fmt brings reflect and os, which make a
// module ~40% larger and its compilation on the board as much slower.
package guest

import (
	"errors"
	"strconv"
	"strings"
	"unsafe"
)

// ABI version implemented by this package: ABIMajor<<16 | ABIMinor is what ocellus_abi_version
// returns.
const (
	ABIMajor = 1
	ABIMinor = 0
)

// Format is a pixel or tensor format code of the ABI.
type Format uint32

const (
	RGB8  Format = 1 // 3 bytes per pixel, R G B, rows top to bottom, no padding
	Gray8 Format = 2 // 1 byte per pixel
	YUYV  Format = 3 // YUYV 4:2:2, 2 bytes per pixel, even width (input only)
	F32   Format = 4 // little-endian float32 tensor (output only)
)

func (f Format) String() string {
	switch f {
	case RGB8:
		return "rgb8"
	case Gray8:
		return "gray8"
	case YUYV:
		return "yuyv"
	case F32:
		return "f32"
	}
	return "Format(" + strconv.FormatUint(uint64(f), 10) + ")"
}

// Frame is the input of one call: W×H pixels in Format. Pix aliases memory the host writes the next
// frame into; copy what must outlive the call.
type Frame struct {
	W, H   int
	Format Format
	Pix    []byte
}

// Shape is what a plugin produces: a frame (RGB8 or Gray8, Dims = [H, W, C]) or a tensor (F32,
// one to four Dims).
type Shape struct {
	Format Format
	Dims   []int
}

// FrameShape is the Shape of a w×h frame in format f (RGB8 or Gray8).
func FrameShape(f Format, w, h int) Shape {
	c := 3
	if f == Gray8 {
		c = 1
	}
	return Shape{Format: f, Dims: []int{h, w, c}}
}

// TensorShape is the Shape of a float32 tensor.
func TensorShape(dims ...int) Shape { return Shape{Format: F32, Dims: dims} }

// Bytes is the size in bytes of an output of this shape.
func (s Shape) Bytes() int {
	n := 1
	for _, d := range s.Dims {
		n *= d
	}
	if s.Format == F32 {
		n *= 4
	}
	return n
}

// Plugin is what a Go plugin implements.
type Plugin interface {
	// Configure is called once after each start of the instance (at load and after every
	// restart) with the parameter string the host was given ("" if none).
	Configure(params string) error
	// OutputShape reports what Process produces for a w×h frame of format f, or an error if the
	// plugin does not accept such frames.
	OutputShape(w, h int, f Format) (Shape, error)
	// Process transforms one frame and returns the output: Shape.Bytes() bytes of the shape
	// OutputShape reported for this input (use F32Bytes for a float32 tensor). The slice must stay
	// valid until the next call; reuse it across frames.
	Process(in Frame) ([]byte, error)
}

// Register installs the plugin. Call it from an init function of the main package: a reactor
// runs package initialisation but not main.
func Register(p Plugin) {
	if p == nil {
		panic("guest: Register(nil)")
	}
	st.p = p
}

// F32Bytes reinterprets v as its little-endian bytes (WebAssembly is little-endian), without a copy.
func F32Bytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// ParseParams splits "key=value" pairs separated by commas or spaces. Keys are lower-cased; a key
// given twice is an error.
func ParseParams(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, errors.New("parameter " + strconv.Quote(f) + " is not key=value")
		}
		k = strings.ToLower(k)
		if _, dup := m[k]; dup {
			return nil, errors.New("parameter " + strconv.Quote(k) + " given twice")
		}
		m[k] = v
	}
	return m, nil
}

// Result record word indices (ABI.md, "Result record").
const (
	recStatus = iota
	recFormat
	recPtr
	recLen
	recRank
	recDims
	recWords = recDims + 4
)

// maxMessage bounds an error message handed to the host.
const maxMessage = 1024

// state is the one plugin instance of this module. WebAssembly exports are plain functions, so the
// registered plugin and the buffers handed to the host are package variables (the only ones).
type state struct {
	p   Plugin
	in  []byte
	rec [recWords]uint32
	msg []byte

	declared bool
	declKey  [3]int
	decl     Shape
	declErr  error
}

var st state

var errNotRegistered = errors.New("guest: no plugin registered (call guest.Register from an init function)")

// alloc returns a buffer of n bytes for the host to write into; it stays valid until the next call.
func (s *state) alloc(n int) []byte {
	if n <= 0 {
		n = 1
	}
	if cap(s.in) < n {
		s.in = nil // let the old buffer go before allocating the new one
		s.in = make([]byte, n)
	}
	s.in = s.in[:n]
	return s.in
}

// fail fills the record with a failure status and message.
func (s *state) fail(err error) *[recWords]uint32 {
	s.rec = [recWords]uint32{}
	m := err.Error()
	if len(m) > maxMessage {
		m = m[:maxMessage]
	}
	s.msg = append(s.msg[:0], m...)
	s.rec[recStatus] = 1
	if len(s.msg) > 0 {
		s.rec[recPtr] = addr(s.msg)
		s.rec[recLen] = uint32(len(s.msg))
	}
	return &s.rec
}

// ok fills the record with a shape and (for process) its data.
func (s *state) ok(sh Shape, data []byte) *[recWords]uint32 {
	s.rec = [recWords]uint32{}
	if len(sh.Dims) > 4 {
		return s.fail(errors.New("guest: shape has " + strconv.Itoa(len(sh.Dims)) + " dims, the ABI allows 1 to 4"))
	}
	s.rec[recFormat] = uint32(sh.Format)
	s.rec[recRank] = uint32(len(sh.Dims))
	for i, d := range sh.Dims {
		s.rec[recDims+i] = uint32(d)
	}
	if len(data) > 0 {
		s.rec[recPtr] = addr(data)
	}
	s.rec[recLen] = uint32(len(data))
	return &s.rec
}

func (s *state) configure(params string) *[recWords]uint32 {
	if s.p == nil {
		return s.fail(errNotRegistered)
	}
	s.declared = false
	if err := s.p.Configure(params); err != nil {
		return s.fail(err)
	}
	return s.ok(Shape{}, nil)
}

// shape returns the declared shape for an input, asking the plugin only when the input changes.
func (s *state) shape(w, h int, f Format) (Shape, error) {
	k := [3]int{w, h, int(f)}
	if !s.declared || s.declKey != k {
		s.decl, s.declErr = s.p.OutputShape(w, h, f)
		s.declKey, s.declared = k, true
	}
	return s.decl, s.declErr
}

func (s *state) outputShape(w, h int, f Format) *[recWords]uint32 {
	if s.p == nil {
		return s.fail(errNotRegistered)
	}
	sh, err := s.shape(w, h, f)
	if err != nil {
		return s.fail(err)
	}
	return s.ok(sh, nil)
}

func (s *state) process(pix []byte, w, h int, f Format) *[recWords]uint32 {
	if s.p == nil {
		return s.fail(errNotRegistered)
	}
	sh, err := s.shape(w, h, f)
	if err != nil {
		return s.fail(err)
	}
	out, err := s.p.Process(Frame{W: w, H: h, Format: f, Pix: pix})
	if err != nil {
		return s.fail(err)
	}
	return s.ok(sh, out)
}

// addr is the linear-memory address of b[0] (meaningful in a wasm build only).
func addr(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }
