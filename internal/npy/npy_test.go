package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestRoundTripAllDTypes(t *testing.T) {
	arrays := []*Array{
		{DType: "float32", Shape: []int{2, 3}, F32: []float32{0, 1, -2.5, float32(math.Inf(1)), math.MaxFloat32, math.SmallestNonzeroFloat32}},
		{DType: "float64", Shape: []int{3}, F64: []float64{math.Pi, math.Copysign(0, -1), math.MaxFloat64}},
		{DType: "int8", Shape: []int{2, 2}, I8: []int8{-128, -1, 0, 127}},
		{DType: "uint8", Shape: []int{1, 1, 4}, U8: []uint8{0, 1, 128, 255}},
		{DType: "int16", Shape: []int{2}, I16: []int16{math.MinInt16, math.MaxInt16}},
		{DType: "uint16", Shape: []int{2}, U16: []uint16{0, math.MaxUint16}},
		{DType: "int32", Shape: []int{2}, I32: []int32{math.MinInt32, 7}},
		{DType: "int64", Shape: []int{2}, I64: []int64{math.MinInt64, math.MaxInt64}},
		{DType: "uint32", Shape: []int{1}, U32: []uint32{math.MaxUint32}},
		{DType: "uint64", Shape: []int{1}, U64: []uint64{math.MaxUint64}},
		{DType: "bool", Shape: []int{3}, Bool: []bool{true, false, true}},
		{DType: "float32", Shape: []int{}, F32: []float32{42}},            // scalar
		{DType: "int64", Shape: []int{0, 5}, I64: []int64{}},              // empty
		{DType: "uint8", Shape: []int{1 << 20}, U8: make([]uint8, 1<<20)}, // bigger than one write chunk
	}
	for _, a := range arrays {
		var buf bytes.Buffer
		if err := Write(&buf, a); err != nil {
			t.Fatalf("%s%v: %v", a.DType, a.Shape, err)
		}
		if h := header(descrOf(a.DType), a.Shape); len(h)%64 != 0 || !bytes.HasPrefix(buf.Bytes(), h) {
			t.Errorf("%s%v: header not 64-byte aligned", a.DType, a.Shape)
		}
		got, err := Read(&buf)
		if err != nil {
			t.Fatalf("%s%v: %v", a.DType, a.Shape, err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Errorf("%s%v: round trip gave %+v", a.DType, a.Shape, got)
		}
	}
}

// TestExactBytes compares Write's output with bytes derived by hand from the
// .npy format (numpy/lib/format.py):
//
//	dict  = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"  59 bytes
//	      + 21 - len("2") = 20 spaces of room to grow axis 0               79
//	hlen  = 79 + 1 (the final '\n')                                        80
//	pad   = 64 - (8 magic+version + 2 length + 80) % 64 = 64 - 26 = 38
//	HEADER_LEN field = 80 + 38 = 118 = 0x76, total header 128 bytes,
//
// then six little-endian float32s.
func TestExactBytes(t *testing.T) {
	want := "\x93NUMPY\x01\x00\x76\x00" +
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
		strings.Repeat(" ", 20+38) + "\n" +
		"\x00\x00\x00\x00" + "\x00\x00\x80\x3f" + "\x00\x00\x00\x40" +
		"\x00\x00\x40\x40" + "\x00\x00\x80\x40" + "\x00\x00\xa0\x40"
	var buf bytes.Buffer
	if err := Write(&buf, &Array{DType: "float32", Shape: []int{2, 3}, F32: []float32{0, 1, 2, 3, 4, 5}}); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want {
		t.Fatalf("Write bytes\n got %q\nwant %q", buf.String(), want)
	}

	// The example of the brief: shape (1, 1000), dict 62 bytes + 20 spaces,
	// hlen 83, pad 64 - 93%64 = 35, header 128 bytes.
	h := header("<f4", []int{1, 1000})
	wantH := "\x93NUMPY\x01\x00\x76\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1000), }" +
		strings.Repeat(" ", 20+35) + "\n"
	if string(h) != wantH {
		t.Errorf("header(1, 1000)\n got %q\nwant %q", h, wantH)
	}
	// Scalar: "()" and no growth room; 1-D: "(7,)".
	if h := string(header("|b1", nil)); !strings.Contains(h, "'shape': (), }"+strings.Repeat(" ", 64-(10+len("{'descr': '|b1', 'fortran_order': False, 'shape': (), }")+1)%64)+"\n") {
		t.Errorf("scalar header %q", h)
	}
	if h := string(header("|u1", []int{7})); !strings.Contains(h, "'shape': (7,), }") {
		t.Errorf("1-D header %q", h)
	}
	// numpy pads a full 64 bytes when magic, length, dict, growth room and
	// '\n' are already a multiple of 64: shapes (1, 1, ..., 1) reach every
	// remainder modulo 64 in steps of 3 bytes.
	exact := 0
	for m := 2; m < 70; m++ {
		shape := make([]int, m)
		dims := make([]string, m)
		for i := range shape {
			shape[i], dims[i] = 1, "1"
		}
		dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + strings.Join(dims, ", ") + "), }"
		base := 10 + len(dict) + 20 + 1
		if base%64 == 0 {
			exact++
		}
		wantH := "\x93NUMPY\x01\x00" + string(binary.LittleEndian.AppendUint16(nil, uint16(base+64-base%64-10))) +
			dict + strings.Repeat(" ", 20+64-base%64) + "\n"
		if h := string(header("<f4", shape)); h != wantH {
			t.Fatalf("header for %d dims\n got %q\nwant %q", m, h, wantH)
		}
	}
	if exact == 0 {
		t.Errorf("no shape hit an exactly aligned header")
	}
}

func TestVersion2Header(t *testing.T) {
	// 30000 dims of 1, "1, " each: a header over 65535 bytes.
	shape := make([]int, 30000)
	for i := range shape {
		shape[i] = 1
	}
	var buf bytes.Buffer
	if err := Write(&buf, &Array{DType: "int8", Shape: shape, I8: []int8{-3}}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if b[6] != 2 || b[7] != 0 {
		t.Fatalf("version %d.%d, want 2.0", b[6], b[7])
	}
	hl := binary.LittleEndian.Uint32(b[8:12])
	if (12+int(hl))%64 != 0 || b[12+hl-1] != '\n' {
		t.Fatalf("v2 header length %d not aligned", hl)
	}
	a, err := Read(bytes.NewReader(b))
	if err != nil || len(a.Shape) != 30000 || a.I8[0] != -3 {
		t.Fatalf("reading v2: %v", err)
	}
}

// handmade builds a .npy file from a header dict and raw data bytes.
func handmade(major byte, dict string, data []byte) []byte {
	var b []byte
	b = append(b, magic...)
	b = append(b, major, 0)
	h := dict + "\n"
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
	}
	b = append(b, h...)
	return append(b, data...)
}

func TestReadBigEndian(t *testing.T) {
	data := []byte{0x3f, 0x80, 0, 0, 0xc0, 0x20, 0, 0} // 1.0, -2.5 as big-endian float32
	a, err := Read(bytes.NewReader(handmade(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, &Array{DType: "float32", Shape: []int{2}, F32: []float32{1, -2.5}}) {
		t.Fatalf("got %+v", a)
	}
	// Big-endian int16, uint32, int64 and float64.
	cases := []struct {
		descr string
		data  []byte
		want  *Array
	}{
		{">i2", []byte{0xff, 0xfe, 0x01, 0x00}, &Array{DType: "int16", Shape: []int{2}, I16: []int16{-2, 256}}},
		{">u4", []byte{0xde, 0xad, 0xbe, 0xef}, &Array{DType: "uint32", Shape: []int{1}, U32: []uint32{0xdeadbeef}}},
		{">i8", []byte{0x80, 0, 0, 0, 0, 0, 0, 1}, &Array{DType: "int64", Shape: []int{1}, I64: []int64{math.MinInt64 + 1}}},
		{">f8", []byte{0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}, &Array{DType: "float64", Shape: []int{1}, F64: []float64{math.Pi}}},
		{">f2", []byte{0x3c, 0x00}, &Array{DType: "float32", Shape: []int{1}, F32: []float32{1}}},
		{"<f2", []byte{0x00, 0xc0, 0x01, 0x00, 0xff, 0x7b}, &Array{DType: "float32", Shape: []int{3}, F32: []float32{-2, float32(math.Ldexp(1, -24)), 65504}}},
		{"|b1", []byte{0, 1, 2}, &Array{DType: "bool", Shape: []int{3}, Bool: []bool{false, true, true}}},
		{">u8", []byte{0, 0, 0, 0, 0, 0, 1, 0}, &Array{DType: "uint64", Shape: []int{1}, U64: []uint64{256}}},
		{"<u2", []byte{0x34, 0x12}, &Array{DType: "uint16", Shape: []int{1}, U16: []uint16{0x1234}}},
	}
	for _, c := range cases {
		size, _ := strconv.Atoi(c.descr[2:])
		shape := "(" + strconv.Itoa(len(c.data)/size) + ",)"
		a, err := Read(bytes.NewReader(handmade(1, "{'descr': '"+c.descr+"', 'fortran_order': False, 'shape': "+shape+", }", c.data)))
		if err != nil {
			t.Fatalf("%s: %v", c.descr, err)
		}
		if !reflect.DeepEqual(a, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.descr, a, c.want)
		}
	}
}

func TestReadFortranOrder(t *testing.T) {
	// numpy.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4)):
	// column-major data, first index fastest: element (i, j, k) sits at
	// i + 2*j + 6*k.
	var data []byte
	for k := range 4 {
		for j := range 3 {
			for i := range 2 {
				data = binary.LittleEndian.AppendUint32(data, uint32(12*i+4*j+k))
			}
		}
	}
	// Extra keys order and spacing as an older writer might produce, with
	// Python 2 long suffixes.
	b := handmade(1, "{'fortran_order': True, 'shape': (2L, 3L, 4L), 'descr': '<i4'}  ", data)
	a, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int32, 24)
	for i := range want {
		want[i] = int32(i)
	}
	if !reflect.DeepEqual(a.I32, want) || !reflect.DeepEqual(a.Shape, []int{2, 3, 4}) {
		t.Fatalf("Fortran-order read: shape %v data %v", a.Shape, a.I32)
	}
	// 2-D big-endian float64 Fortran order: [[1, 2], [3, 4]] stored 1, 3, 2, 4.
	var d2 []byte
	for _, v := range []float64{1, 3, 2, 4} {
		d2 = binary.BigEndian.AppendUint64(d2, math.Float64bits(v))
	}
	a, err = Read(bytes.NewReader(handmade(3, `{"descr": ">f8", "fortran_order": True, "shape": (2, 2)}`, d2)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.F64, []float64{1, 2, 3, 4}) {
		t.Fatalf("got %v", a.F64)
	}
}

func TestReadErrors(t *testing.T) {
	ok := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	data := make([]byte, 8)
	cases := []struct {
		name string
		in   []byte
		err  error
		want string
	}{
		{"empty", nil, ErrFormat, "empty input"},
		{"bad magic", append([]byte("\x93NUMPZ\x01\x00"), 0, 0), ErrFormat, "bad magic"},
		{"version", append([]byte(magic), 4, 0, 0, 0), ErrUnsupported, "format version 4.0"},
		{"dtype c8", handmade(1, strings.Replace(ok, "<f4", "<c8", 1), data), ErrUnsupported, "unsupported dtype '<c8'"},
		{"dtype object", handmade(1, strings.Replace(ok, "<f4", "|O", 1), data), ErrUnsupported, "unsupported dtype '|O'"},
		{"structured", handmade(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data), ErrUnsupported, "structured dtype"},
		{"short data", handmade(1, ok, data[:5]), ErrFormat, "short data: want 8 bytes got 5"},
		{"trailing", handmade(1, ok, append(data, 0)), ErrFormat, "trailing bytes"},
		{"overflow", handmade(1, strings.Replace(ok, "(2,)", "(4294967296, 4294967296, 4294967296)", 1), data), ErrFormat, "shape product overflow"},
		{"bytes overflow", handmade(1, strings.Replace(ok, "(2,)", "(4611686018427387904,)", 1), data), ErrFormat, "overflows"},
		{"huge shape, little data", handmade(1, strings.Replace(ok, "(2,)", "(1000000000000,)", 1), data), ErrFormat, "short data: want 4000000000000 bytes got 8"},
		{"missing key", handmade(1, "{'descr': '<f4', 'shape': (2,), }", data), ErrFormat, "lacks key 'fortran_order'"},
		{"extra key", handmade(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data), ErrFormat, "unexpected key 'x'"},
		{"duplicate key", handmade(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", data), ErrFormat, "duplicate key"},
		{"negative dim", handmade(1, strings.Replace(ok, "(2,)", "(-2,)", 1), data), ErrFormat, "tuple of non-negative integers"},
		{"bad bool", handmade(1, strings.Replace(ok, "False", "false", 1), data), ErrFormat, "want True or False"},
		{"garbage after", handmade(1, ok+" x", data), ErrFormat, "unexpected text"},
		{"short header", append([]byte(magic), 1, 0, 200, 0, '{'), ErrFormat, "short header: want 200 bytes got 1"},
		{"v2 header too long", append([]byte(magic), 2, 0, 0xff, 0xff, 0xff, 0xff), ErrFormat, "exceeds"},
	}
	for _, c := range cases {
		_, err := Read(bytes.NewReader(c.in))
		if err == nil || !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %v containing %q", c.name, err, c.err, c.want)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	cases := []struct {
		a    *Array
		want string
	}{
		{nil, "nil array"},
		{&Array{DType: "complex64"}, `unknown dtype "complex64"`},
		{&Array{DType: "float32", Shape: []int{3}, F32: []float32{1}}, "float32 data has 1 elements, shape [3] needs 3"},
		{&Array{DType: "float32", Shape: []int{1}, F32: []float32{1}, I8: []int8{1}}, "int8 data is set too"},
		{&Array{DType: "int8", Shape: []int{-1}}, "negative dimension"},
	}
	for _, c := range cases {
		err := Write(&bytes.Buffer{}, c.a)
		if !errors.Is(err, ErrArray) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Write(%+v): %v, want %q", c.a, err, c.want)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.npy")
	a := &Array{DType: "uint16", Shape: []int{2, 2}, U16: []uint16{1, 2, 3, 65535}}
	if err := WriteFile(p, a); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(p)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("ReadFile: %+v, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := WriteFile(p, &Array{DType: "uint16", Shape: []int{3}}); !errors.Is(err, ErrArray) {
		t.Errorf("WriteFile of a bad array: %v", err)
	}
	if got, _ := ReadFile(p); !reflect.DeepEqual(got, a) {
		t.Errorf("failed WriteFile changed the file")
	}
	os.WriteFile(filepath.Join(dir, "bad.npy"), []byte("PK\x03\x04 not npy"), 0o644)
	_, err = ReadFile(filepath.Join(dir, "bad.npy"))
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "bad.npy") {
		t.Errorf("ReadFile error %v should name the file and wrap ErrFormat", err)
	}
}

func TestFortranToC(t *testing.T) {
	// Compare with the index formula on shapes with odd sizes and zeros.
	for _, shape := range [][]int{{3, 1}, {1, 5}, {2, 3}, {4, 3, 2}, {2, 1, 3, 2}, {0, 3}, {3, 0, 2}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		src := make([]int, n)
		for i := range src {
			src[i] = i
		}
		got := fortranToC(src, shape)
		// expected: C index -> multi-index -> Fortran offset
		for c := range n {
			rem, f, stride := c, 0, 1
			idx := make([]int, len(shape))
			for k := len(shape) - 1; k >= 0; k-- {
				idx[k] = rem % shape[k]
				rem /= shape[k]
			}
			for k := range shape {
				f += idx[k] * stride
				stride *= shape[k]
			}
			if got[c] != f {
				t.Fatalf("shape %v: out[%d] = %d, want %d", shape, c, got[c], f)
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, &Array{DType: "float32", Shape: []int{2, 3}, F32: []float32{0, 1, 2, 3, 4, 5}})
	f.Add(buf.Bytes())
	buf.Reset()
	Write(&buf, &Array{DType: "bool", Shape: []int{}, Bool: []bool{true}})
	f.Add(buf.Bytes())
	f.Add(handmade(1, "{'fortran_order': True, 'shape': (2L, 3L), 'descr': '>i2'}", make([]byte, 12)))
	f.Add(handmade(3, `{"descr": "<f2", "fortran_order": False, "shape": (1,)}`, []byte{0, 0x3c}))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Read(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v wraps neither ErrFormat nor ErrUnsupported", err)
			}
			return
		}
		// Whatever was read must write and read back to the same values
		// (float16 input comes back as float32; NaNs compare by bits).
		var out bytes.Buffer
		if err := Write(&out, a); err != nil {
			t.Fatalf("Write of a read array: %v", err)
		}
		a2, err := Read(&out)
		if err != nil {
			t.Fatalf("re-read: %v", err)
		}
		var w1, w2 bytes.Buffer
		Write(&w1, a)
		Write(&w2, a2)
		if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatalf("write/read/write not stable")
		}
	})
}
