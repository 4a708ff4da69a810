package plugin

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/tetratelabs/wazero/api"
)

// ABI version this host implements (ABI.md). A plugin's ocellus_abi_version returns
// major<<16 | minor; the host accepts major ABIMajor with a minor up to ABIMinor.
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
	return fmt.Sprintf("Format(%d)", uint32(f))
}

// Names of the exports (ABI.md, "Exports").
const (
	exportVersion   = "ocellus_abi_version"
	exportAlloc     = "ocellus_alloc"
	exportConfigure = "ocellus_configure"
	exportShape     = "ocellus_output_shape"
	exportProcess   = "ocellus_process"
	exportMemory    = "memory"
	exportInit      = "_initialize"
	exportStart     = "_start"
)

type signature struct{ params, results []api.ValueType }

func sig(nparams, nresults int) signature {
	s := signature{params: make([]api.ValueType, nparams), results: make([]api.ValueType, nresults)}
	for i := range s.params {
		s.params[i] = api.ValueTypeI32
	}
	for i := range s.results {
		s.results[i] = api.ValueTypeI32
	}
	return s
}

func (s signature) String() string {
	return fmt.Sprintf("%d×i32 → %d×i32", len(s.params), len(s.results))
}

// abiExports lists the function exports of ABI 1 and their signatures (all i32).
var abiExports = []struct {
	name     string
	sig      signature
	required bool
}{
	{exportVersion, sig(0, 1), true},
	{exportAlloc, sig(1, 1), true},
	{exportShape, sig(3, 1), true},
	{exportProcess, sig(5, 1), true},
	{exportConfigure, sig(2, 1), false},
	{exportInit, sig(0, 0), false},
}

func (s signature) matches(def api.FunctionDefinition) bool {
	return slices.Equal(def.ParamTypes(), s.params) && slices.Equal(def.ResultTypes(), s.results)
}

// Result record (ABI.md, "Result record"): nine little-endian uint32 words.
const (
	recStatus = iota
	recFormat
	recPtr
	recLen
	recRank
	recDims
	recWords = recDims + 4
	recBytes = 4 * recWords
)

// maxMessage bounds the error message read from a plugin.
const maxMessage = 1024

// maxOutputBytes bounds an output (1 GiB): larger declarations are rejected before any copy.
const maxOutputBytes = 1 << 30

// record is a decoded result record.
type record [recWords]uint32

func readRecord(mem api.Memory, addr uint32) (record, bool) {
	var r record
	b, ok := mem.Read(addr, recBytes)
	if !ok || addr == 0 {
		return r, false
	}
	for i := range r {
		r[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return r, true
}

// message returns the failure message a record points at (or "").
func (r *record) message(mem api.Memory) string {
	n := min(r[recLen], maxMessage)
	b, ok := mem.Read(r[recPtr], n)
	if !ok || n == 0 {
		return ""
	}
	return string(b)
}

// shape is an output shape: a frame (RGB8, Gray8: dims H, W, C) or a float32 tensor.
type shape struct {
	format Format
	rank   int
	dims   [4]int
	bytes  int
}

func (s shape) String() string {
	return fmt.Sprintf("%v %v", s.format, s.dims[:s.rank])
}

func (s shape) equal(t shape) bool {
	return s.format == t.format && s.rank == t.rank && s.dims == t.dims
}

// shapeOf validates the format, rank and dims of a record.
func shapeOf(r *record) (shape, error) {
	s := shape{format: Format(r[recFormat]), rank: int(r[recRank])}
	elem := 1
	switch s.format {
	case RGB8, Gray8:
		if s.rank != 3 {
			return s, fmt.Errorf("a frame of format %v has 3 dims (H, W, C), got %d", s.format, s.rank)
		}
	case F32:
		elem = 4
		if s.rank < 1 || s.rank > 4 {
			return s, fmt.Errorf("a tensor has 1 to 4 dims, got %d", s.rank)
		}
	default:
		return s, fmt.Errorf("output format %d (want %v, %v or %v)", uint32(s.format), RGB8, Gray8, F32)
	}
	n := uint64(elem)
	for i := range s.rank {
		d := r[recDims+i]
		if d == 0 {
			return s, fmt.Errorf("dim %d is 0", i)
		}
		s.dims[i] = int(min(d, 1<<30))
		if n *= uint64(d); n > maxOutputBytes {
			return s, fmt.Errorf("output of more than %d bytes", maxOutputBytes)
		}
	}
	s.bytes = int(n)
	if c := s.dims[2]; s.format != F32 && c != s.format.channels() {
		return s, fmt.Errorf("a frame of format %v has %d channels, got %d", s.format, s.format.channels(), c)
	}
	return s, nil
}

// channels is the number of bytes per pixel of a frame format (0 for YUYV's 2-byte pairs and F32).
func (f Format) channels() int {
	switch f {
	case RGB8:
		return 3
	case Gray8:
		return 1
	}
	return 0
}

// bytesPerPixel of an input format.
func (f Format) bytesPerPixel() int {
	switch f {
	case RGB8:
		return 3
	case Gray8:
		return 1
	case YUYV:
		return 2
	}
	return 0
}
