package kernels

// Resize against the ONNX backend conformance data (onnx/backend/test/data/
// node/test_resize_*). The serialized protobufs are read with the minimal,
// test-only decoder below, which knows just the fields this test needs; the
// runtime's real decoder lives in nn/onnx/onnxpb.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/ocellus/ocellus/internal/fixture"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tsPBField is one decoded protobuf field: varint/fixed values in v, bytes in b.
type tsPBField struct {
	num, wire int
	v         uint64
	b         []byte
}

func tsPBFields(buf []byte) ([]tsPBField, error) {
	var out []tsPBField
	for len(buf) > 0 {
		key, n := binary.Uvarint(buf)
		if n <= 0 {
			return nil, errors.New("bad key varint")
		}
		buf = buf[n:]
		f := tsPBField{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case 0:
			f.v, n = binary.Uvarint(buf)
			if n <= 0 {
				return nil, errors.New("bad varint")
			}
			buf = buf[n:]
		case 1:
			if len(buf) < 8 {
				return nil, errors.New("short fixed64")
			}
			f.v, buf = binary.LittleEndian.Uint64(buf), buf[8:]
		case 5:
			if len(buf) < 4 {
				return nil, errors.New("short fixed32")
			}
			f.v, buf = uint64(binary.LittleEndian.Uint32(buf)), buf[4:]
		case 2:
			l, n := binary.Uvarint(buf)
			if n <= 0 || uint64(len(buf)-n) < l {
				return nil, errors.New("bad length")
			}
			f.b, buf = buf[n:n+int(l)], buf[n+int(l):]
		default:
			return nil, fmt.Errorf("unsupported wire type %d", f.wire)
		}
		out = append(out, f)
	}
	return out, nil
}

// tsPBInts reads a repeated varint field that may be packed or not.
func tsPBInts(f tsPBField, dst []int64) ([]int64, error) {
	if f.wire == 0 {
		return append(dst, int64(f.v)), nil
	}
	b := f.b
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("bad packed varint")
		}
		dst, b = append(dst, int64(v)), b[n:]
	}
	return dst, nil
}

// tsPBFloats reads a repeated float field that may be packed or not.
func tsPBFloats(f tsPBField, dst []float32) []float32 {
	if f.wire == 5 {
		return append(dst, math.Float32frombits(uint32(f.v)))
	}
	for i := 0; i+4 <= len(f.b); i += 4 {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(f.b[i:])))
	}
	return dst
}

type tsTensor struct {
	dims []int
	f32  []float32
	i64  []int64
}

// tsDecodeTensor decodes a TensorProto of type FLOAT (1) or INT64 (7).
func tsDecodeTensor(b []byte) (*tsTensor, error) {
	fs, err := tsPBFields(b)
	if err != nil {
		return nil, err
	}
	t := &tsTensor{}
	var dims []int64
	dtype := 0
	var raw []byte
	for _, f := range fs {
		switch f.num {
		case 1:
			if dims, err = tsPBInts(f, dims); err != nil {
				return nil, err
			}
		case 2:
			dtype = int(f.v)
		case 4:
			t.f32 = tsPBFloats(f, t.f32)
		case 7:
			if t.i64, err = tsPBInts(f, t.i64); err != nil {
				return nil, err
			}
		case 9:
			raw = f.b
		}
	}
	for _, d := range dims {
		t.dims = append(t.dims, int(d))
	}
	switch dtype {
	case 1:
		for i := 0; i+4 <= len(raw); i += 4 {
			t.f32 = append(t.f32, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
		}
	case 7:
		for i := 0; i+8 <= len(raw); i += 8 {
			t.i64 = append(t.i64, int64(binary.LittleEndian.Uint64(raw[i:])))
		}
	default:
		return nil, fmt.Errorf("tensor data type %d not handled", dtype)
	}
	return t, nil
}

type tsAttr struct {
	f    float32
	i    int64
	s    string
	ints []int64
}

type tsResizeModel struct {
	inputs     []string // graph inputs, in input_N.pb order
	nodeInputs []string // Resize inputs: X, roi, scales, sizes ("" = absent)
	attrs      map[string]tsAttr
}

func tsDecodeResizeModel(b []byte) (*tsResizeModel, error) {
	fs, err := tsPBFields(b)
	if err != nil {
		return nil, err
	}
	m := &tsResizeModel{attrs: map[string]tsAttr{}}
	for _, f := range fs {
		if f.num != 7 { // ModelProto.graph
			continue
		}
		gs, err := tsPBFields(f.b)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			switch g.num {
			case 11: // GraphProto.input: ValueInfoProto
				vs, err := tsPBFields(g.b)
				if err != nil {
					return nil, err
				}
				for _, v := range vs {
					if v.num == 1 {
						m.inputs = append(m.inputs, string(v.b))
					}
				}
			case 1: // GraphProto.node
				ns, err := tsPBFields(g.b)
				if err != nil {
					return nil, err
				}
				var op string
				var ins []string
				attrs := map[string]tsAttr{}
				for _, n := range ns {
					switch n.num {
					case 1:
						ins = append(ins, string(n.b))
					case 4:
						op = string(n.b)
					case 5:
						as, err := tsPBFields(n.b)
						if err != nil {
							return nil, err
						}
						var name string
						var a tsAttr
						for _, x := range as {
							switch x.num {
							case 1:
								name = string(x.b)
							case 2:
								a.f = math.Float32frombits(uint32(x.v))
							case 3:
								a.i = int64(x.v)
							case 4:
								a.s = string(x.b)
							case 8:
								if a.ints, err = tsPBInts(x, a.ints); err != nil {
									return nil, err
								}
							}
						}
						attrs[name] = a
					}
				}
				if op == "Resize" {
					m.nodeInputs, m.attrs = ins, attrs
				}
			}
		}
	}
	if m.nodeInputs == nil {
		return nil, errors.New("no Resize node")
	}
	return m, nil
}

// tsResizeCase turns one conformance directory into kernel inputs, resolving
// axes and keep_aspect_ratio_policy the way the ONNX reference does.
func tsResizeCase(dir string) (x *tsTensor, want *tsTensor, outShape []int, p ResizeParams, err error) {
	mb, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return
	}
	m, err := tsDecodeResizeModel(mb)
	if err != nil {
		return
	}
	vals := map[string]*tsTensor{}
	for i, name := range m.inputs {
		var b []byte
		if b, err = os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i))); err != nil {
			return
		}
		if vals[name], err = tsDecodeTensor(b); err != nil {
			return
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
	if err != nil {
		return
	}
	if want, err = tsDecodeTensor(b); err != nil {
		return
	}
	in := func(i int) *tsTensor {
		if i < len(m.nodeInputs) && m.nodeInputs[i] != "" {
			return vals[m.nodeInputs[i]]
		}
		return nil
	}
	x = in(0)
	roi, scales, sizes := in(1), in(2), in(3)
	r := len(x.dims)
	attrS := func(name, def string) string {
		if a, ok := m.attrs[name]; ok {
			return a.s
		}
		return def
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a, ok := m.attrs["axes"]; ok {
		axes = axes[:0]
		for _, v := range a.ints {
			if v < 0 {
				v += int64(r)
			}
			axes = append(axes, int(v))
		}
	}
	p.Mode = map[string]ResizeMode{"nearest": ResizeNearest, "linear": ResizeLinear, "cubic": ResizeCubic}[attrS("mode", "nearest")]
	p.Coord = map[string]CoordTransform{"half_pixel": HalfPixel, "half_pixel_symmetric": HalfPixelSymmetric,
		"pytorch_half_pixel": PytorchHalfPixel, "align_corners": AlignCorners, "asymmetric": Asymmetric,
		"tf_crop_and_resize": TFCropAndResize}[attrS("coordinate_transformation_mode", "half_pixel")]
	p.Nearest = map[string]NearestMode{"round_prefer_floor": RoundPreferFloor, "round_prefer_ceil": RoundPreferCeil,
		"floor": Floor, "ceil": Ceil}[attrS("nearest_mode", "round_prefer_floor")]
	if a, ok := m.attrs["cubic_coeff_a"]; ok {
		p.CubicA = a.f
	}
	p.ExcludeOutside = m.attrs["exclude_outside"].i != 0
	p.Extrapolation = m.attrs["extrapolation_value"].f
	p.Antialias = m.attrs["antialias"].i != 0

	// Full-rank scales (float64 as the reference computes them) and output shape.
	sc := make([]float64, r)
	outShape = append([]int(nil), x.dims...)
	for i := range sc {
		sc[i] = 1
	}
	if sizes != nil && len(sizes.i64) > 0 {
		for i, a := range axes {
			outShape[a] = int(sizes.i64[i])
			sc[a] = float64(outShape[a]) / float64(x.dims[a])
		}
		if pol := attrS("keep_aspect_ratio_policy", "stretch"); pol != "stretch" {
			s := sc[axes[0]]
			for _, a := range axes[1:] {
				if (pol == "not_larger") == (sc[a] < s) {
					s = sc[a]
				}
			}
			for _, a := range axes {
				sc[a] = s
				outShape[a] = int(s*float64(x.dims[a]) + 0.5)
			}
		}
	} else {
		for i, a := range axes {
			sc[a] = float64(scales.f32[i])
			outShape[a] = int(sc[a] * float64(x.dims[a]))
		}
	}
	p.Scales = make([]float32, r)
	for i := range sc {
		p.Scales[i] = float32(sc[i]) // what the runtime passes
	}
	if p.Coord == TFCropAndResize {
		p.Roi = make([]float32, 2*r)
		for i := 0; i < r; i++ {
			p.Roi[i], p.Roi[r+i] = 0, 1
		}
		if roi != nil {
			for i, a := range axes {
				p.Roi[a], p.Roi[r+a] = roi.f32[i], roi.f32[len(axes)+i]
			}
		}
	}
	return x, want, outShape, p, nil
}

func TestResizeONNXConformance(t *testing.T) {
	root := filepath.Join(fixture.Dir(), "onnx-node-tests", "node")
	dirs, _ := filepath.Glob(filepath.Join(root, "test_resize_*"))
	if len(dirs) == 0 {
		fixture.Missing(t, filepath.Join(root, "test_resize_*"))
	}
	if len(dirs) != 39 {
		t.Errorf("found %d test_resize_* directories, expected 39", len(dirs))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(strings.TrimPrefix(name, "test_resize_"), func(t *testing.T) {
			x, want, outShape, p, err := tsResizeCase(dir)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.Equal(outShape, want.dims) {
				t.Fatalf("output shape %v, conformance data has %v", outShape, want.dims)
			}
			got := tsRunResize(t, x.f32, x.dims, outShape, p)
			worst := 0.0
			for i := range got {
				worst = max(worst, math.Abs(float64(got[i]-want.f32[i])))
			}
			if !(worst <= 1e-4) {
				t.Fatalf("max |diff| %g > 1e-4\n got  %v\n want %v", worst, got, want.f32)
			}
		})
	}
}
