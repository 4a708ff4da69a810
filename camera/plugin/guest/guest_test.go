package guest

import (
	"errors"
	"slices"
	"testing"
)

// double is a test plugin: Gray8 in, a frame twice as wide out (each pixel repeated).
type double struct {
	shapes int // OutputShape calls
	params string
	out    []byte
}

func (d *double) Configure(params string) error {
	if params == "fail" {
		return errors.New("double: cannot configure")
	}
	d.params = params
	return nil
}

func (d *double) OutputShape(w, h int, f Format) (Shape, error) {
	d.shapes++
	if f != Gray8 {
		return Shape{}, errors.New("double: gray8 only")
	}
	return FrameShape(Gray8, 2*w, h), nil
}

func (d *double) Process(in Frame) ([]byte, error) {
	d.out = d.out[:0]
	for _, v := range in.Pix[:in.W*in.H] {
		d.out = append(d.out, v, v)
	}
	return d.out, nil
}

func TestStateRecords(t *testing.T) {
	d := &double{}
	s := state{p: d}
	if r := s.configure("k=v"); r[recStatus] != 0 || d.params != "k=v" {
		t.Fatalf("configure: record %v, params %q", r, d.params)
	}
	if r := s.configure("fail"); r[recStatus] == 0 || string(s.msg) != "double: cannot configure" || r[recLen] != uint32(len(s.msg)) {
		t.Fatalf("failing configure: record %v, message %q", r, s.msg)
	}
	r := s.outputShape(3, 2, Gray8)
	if want := [recWords]uint32{0, uint32(Gray8), 0, 0, 3, 2, 6, 1, 0}; *r != want {
		t.Fatalf("output_shape record %v, want %v", *r, want)
	}
	in := s.alloc(6)
	copy(in, []byte{1, 2, 3, 4, 5, 6})
	r = s.process(in, 3, 2, Gray8)
	if r[recStatus] != 0 || r[recLen] != 12 || r[recRank] != 3 || r[recDims] != 2 || r[recDims+1] != 6 {
		t.Fatalf("process record %v", *r)
	}
	if !slices.Equal(d.out, []byte{1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6}) {
		t.Fatalf("output %v", d.out)
	}
	s.process(in, 3, 2, Gray8)
	if d.shapes != 1 {
		t.Fatalf("OutputShape called %d times for one input size, want 1", d.shapes)
	}
	if r = s.process(in, 3, 2, RGB8); r[recStatus] == 0 || string(s.msg) != "double: gray8 only" {
		t.Fatalf("rgb8: record %v, message %q", *r, s.msg)
	}
	if r := (&state{}).process(nil, 1, 1, Gray8); r[recStatus] == 0 {
		t.Fatal("no plugin registered: status 0")
	}
}

func TestShapes(t *testing.T) {
	if s := FrameShape(RGB8, 4, 3); !slices.Equal(s.Dims, []int{3, 4, 3}) || s.Bytes() != 36 {
		t.Fatalf("FrameShape(RGB8, 4, 3) = %v, %d bytes", s, s.Bytes())
	}
	if s := TensorShape(1, 3, 2, 2); s.Format != F32 || s.Bytes() != 48 {
		t.Fatalf("TensorShape(1, 3, 2, 2) = %v, %d bytes", s, s.Bytes())
	}
	if b := F32Bytes([]float32{1}); !slices.Equal(b, []byte{0, 0, 0x80, 0x3f}) {
		t.Fatalf("F32Bytes(1) = %v", b)
	}
	var s state
	if r := s.ok(TensorShape(1, 1, 1, 1, 1), nil); r[recStatus] == 0 {
		t.Fatal("a 5-dim shape was accepted")
	}
}

func TestParseParams(t *testing.T) {
	m, err := ParseParams(" X=1,y=2  z= ")
	if err != nil || len(m) != 3 || m["x"] != "1" || m["y"] != "2" || m["z"] != "" {
		t.Fatalf("ParseParams = %v, %v", m, err)
	}
	for _, bad := range []string{"x", "=1", "x=1,x=2"} {
		if _, err := ParseParams(bad); err == nil {
			t.Errorf("ParseParams(%q): no error", bad)
		}
	}
}
