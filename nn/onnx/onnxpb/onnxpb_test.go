package onnxpb

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func f32raw(vs ...float32) []byte {
	var b []byte
	for _, v := range vs {
		b = protowire.AppendFixed32(b, math.Float32bits(v))
	}
	return b
}

func tensorType(dt DataType, dims ...any) *Type {
	s := &Shape{}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			s.Dims = append(s.Dims, &Dim{Value: int64(d), HasValue: true})
		case string:
			s.Dims = append(s.Dims, &Dim{Param: d})
		}
	}
	return &Type{Kind: TypeKindTensor, Tensor: &TensorType{ElemType: dt, Shape: s}}
}

// tinyModel is a small model using most of what the package models: a
// Conv with INTS/INT/STRING attributes, an If with two subgraphs, a
// Constant with a tensor attribute, several initializer types, symbolic
// dims, a non-tensor value_info, metadata and unknown fields.
func tinyModel() *Model {
	sub := func(name string, v float32) *Graph {
		return &Graph{
			Name: name,
			Nodes: []*Node{{Outputs: []string{name + "_out"}, OpType: "Constant", Attributes: []*Attribute{
				{Name: "value_float", Type: AttrTypeFloat, F: v},
			}}},
			Outputs: []*ValueInfo{{Name: name + "_out", Type: tensorType(DataTypeFloat)}},
		}
	}
	return &Model{
		IRVersion:       8,
		ProducerName:    "onnxpb-test",
		ProducerVersion: "1",
		ModelVersion:    3,
		DocString:       "tiny",
		OpsetImports:    []*OperatorSetID{{Version: 17}, {Domain: "com.microsoft", Version: 1}},
		MetadataProps:   []*StringStringEntry{{Key: "k", Value: "v"}},
		Graph: &Graph{
			Name: "g",
			Nodes: []*Node{
				{Inputs: []string{"x", "w", ""}, Outputs: []string{"y"}, Name: "conv0", OpType: "Conv", Attributes: []*Attribute{
					{Name: "kernel_shape", Type: AttrTypeInts, Ints: []int64{3, 3}},
					{Name: "pads", Type: AttrTypeInts, Ints: []int64{1, 1, -1, 1}},
					{Name: "group", Type: AttrTypeInt, I: 0},
					{Name: "auto_pad", Type: AttrTypeString, S: []byte("NOTSET")},
					{Name: "alpha", Type: AttrTypeFloat, F: float32(math.Inf(-1))},
					{Name: "scales", Type: AttrTypeFloats, Floats: []float32{0.5, -0}},
					{Name: "names", Type: AttrTypeStrings, Strings: [][]byte{[]byte("a"), nil}},
				}},
				{Inputs: []string{"c"}, Outputs: []string{"z"}, Name: "if0", OpType: "If", Attributes: []*Attribute{
					{Name: "then_branch", Type: AttrTypeGraph, G: sub("then", 1)},
					{Name: "else_branch", Type: AttrTypeGraph, G: sub("else", 2)},
					{Name: "more", Type: AttrTypeGraphs, Graphs: []*Graph{sub("g1", 3)}},
				}},
				{Outputs: []string{"k"}, Name: "const0", OpType: "Constant", Domain: "", DocString: "d", Attributes: []*Attribute{
					{Name: "value", Type: AttrTypeTensor, T: &Tensor{Dims: []int64{2}, DataType: DataTypeInt64, Int64Data: []int64{-1, 1 << 40}}},
					{Name: "list", Type: AttrTypeTensors, Tensors: []*Tensor{{DataType: DataTypeDouble, DoubleData: []float64{math.Pi}}}},
				}},
			},
			Initializers: []*Tensor{
				{Name: "w", Dims: []int64{1, 1, 3, 3}, DataType: DataTypeFloat, RawData: f32raw(1, 2, 3, 4, 5, 6, 7, 8, 9)},
				{Name: "b", Dims: []int64{2}, DataType: DataTypeFloat, FloatData: []float32{0.25, -1}},
				{Name: "q", Dims: []int64{3}, DataType: DataTypeInt8, Int32Data: []int32{-128, 0, 127}},
				{Name: "u", Dims: []int64{2}, DataType: DataTypeUint64, Uint64Data: []uint64{1, math.MaxUint64}},
				{Name: "s", Dims: []int64{1}, DataType: DataTypeString, StringData: [][]byte{[]byte("hi")}},
				{Name: "h", Dims: []int64{2}, DataType: DataTypeFloat16, Int32Data: []int32{0x3c00, 0xc000}},
			},
			Inputs: []*ValueInfo{
				{Name: "x", Type: tensorType(DataTypeFloat, "N", 1, 28, 28), DocString: "image"},
				{Name: "c", Type: tensorType(DataTypeBool)},
			},
			Outputs: []*ValueInfo{{Name: "y", Type: tensorType(DataTypeFloat, "N", 1, 0, 28)}},
			ValueInfo: []*ValueInfo{
				{Name: "seq", Type: &Type{Kind: TypeKindSequence, Other: []byte{0x0a, 0x02, 0x0a, 0x00}}},
				{Name: "unranked", Type: &Type{Kind: TypeKindTensor, Tensor: &TensorType{ElemType: DataTypeFloat}}},
				{Name: "untyped"},
			},
			// quantization_annotation (14) with a tensor name: unknown here.
			Unknown: protowire.AppendBytes(protowire.AppendTag(nil, 14, protowire.BytesType), []byte{0x0a, 0x01, 'y'}),
		},
		Functions: [][]byte{{0x0a, 0x01, 'f'}},
		// training_info (20), empty.
		Unknown: []byte{0xa2, 0x01, 0x00},
	}
}

func TestTinyModelRoundTrip(t *testing.T) {
	m := tinyModel()
	b := m.Marshal()
	got, err := DecodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameBits(got, m); d != "" {
		t.Fatalf("decode(encode(m)) != m at Model%s", d)
	}
	roundTrip(t, "tiny", got)
}

func TestPackedAndUnpackedAgree(t *testing.T) {
	// AttributeProto{name:"a", ints:[1,300,-2] packed, floats:[1.5] packed, type: INTS}
	var packedInts []byte
	for _, v := range []int64{1, 300, -2} {
		packedInts = protowire.AppendVarint(packedInts, uint64(v))
	}
	var a []byte
	a = protowire.AppendTag(a, 1, protowire.BytesType)
	a = protowire.AppendString(a, "a")
	a = protowire.AppendTag(a, 8, protowire.BytesType)
	a = protowire.AppendBytes(a, packedInts)
	a = protowire.AppendTag(a, 8, protowire.VarintType) // unpacked after packed
	a = protowire.AppendVarint(a, 7)
	a = protowire.AppendTag(a, 7, protowire.BytesType)
	a = protowire.AppendBytes(a, f32raw(1.5))
	var node []byte
	node = protowire.AppendTag(node, 5, protowire.BytesType)
	node = protowire.AppendBytes(node, a)
	var g []byte
	g = protowire.AppendTag(g, 1, protowire.BytesType)
	g = protowire.AppendBytes(g, node)
	gr, err := DecodeGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	at := gr.Nodes[0].Attributes[0]
	if !slices.Equal(at.Ints, []int64{1, 300, -2, 7}) || !slices.Equal(at.Floats, []float32{1.5}) {
		t.Fatalf("ints %v floats %v", at.Ints, at.Floats)
	}
	if k := (&Attribute{Ints: at.Ints}).Kind(); k != AttrTypeInts {
		t.Errorf("Kind() of an untyped attribute with ints = %v, want INTS", k)
	}
	if k := (&Attribute{}).Kind(); k != AttrTypeUndefined {
		t.Errorf("Kind() of an empty untyped attribute = %v", k)
	}

	// TensorProto with unpacked float_data and int64 dims packed.
	var tb []byte
	tb = protowire.AppendTag(tb, 1, protowire.BytesType)
	tb = protowire.AppendBytes(tb, []byte{2, 1})
	tb = protowire.AppendTag(tb, 2, protowire.VarintType)
	tb = protowire.AppendVarint(tb, uint64(DataTypeFloat))
	for _, f := range []float32{3, 4} {
		tb = protowire.AppendTag(tb, 4, protowire.Fixed32Type)
		tb = protowire.AppendFixed32(tb, math.Float32bits(f))
	}
	x, err := DecodeTensor(tb)
	if err != nil {
		t.Fatal(err)
	}
	v, err := x.Float32s()
	if err != nil || !slices.Equal(v, []float32{3, 4}) || !slices.Equal(x.Dims, []int64{2, 1}) {
		t.Fatalf("dims %v values %v err %v", x.Dims, v, err)
	}
}

func TestUnknownFieldsKept(t *testing.T) {
	n := &Node{OpType: "Relu", Inputs: []string{"a"}, Outputs: []string{"b"}}
	b := n.appendTo(nil)
	// overload (8), a fixed64 field 99, a group 100 holding a varint.
	var extra []byte
	extra = protowire.AppendTag(extra, 8, protowire.BytesType)
	extra = protowire.AppendString(extra, "ov")
	extra = protowire.AppendTag(extra, 99, protowire.Fixed64Type)
	extra = protowire.AppendFixed64(extra, 42)
	extra = protowire.AppendTag(extra, 100, protowire.StartGroupType)
	extra = protowire.AppendTag(extra, 1, protowire.VarintType)
	extra = protowire.AppendVarint(extra, 5)
	extra = protowire.AppendTag(extra, 100, protowire.EndGroupType)
	b = append(b, extra...)
	var got Node
	if err := decodeNode(b, &got, 0); err != nil {
		t.Fatal(err)
	}
	if string(got.Unknown) != string(extra) || got.OpType != "Relu" {
		t.Fatalf("unknown = % x, want % x", got.Unknown, extra)
	}
	if string(got.appendTo(nil)) != string(b) {
		t.Fatalf("unknown fields not written back")
	}
}

func TestMergeRepeatedMessageField(t *testing.T) {
	// Two occurrences of ModelProto.graph merge, as protobuf specifies.
	a := (&Model{Graph: &Graph{Name: "first", Nodes: []*Node{{OpType: "Relu"}}}}).Marshal()
	b := (&Model{IRVersion: 7, Graph: &Graph{Nodes: []*Node{{OpType: "Sigmoid"}}}}).Marshal()
	m, err := DecodeModel(append(a, b...))
	if err != nil {
		t.Fatal(err)
	}
	if m.Graph.Name != "first" || len(m.Graph.Nodes) != 2 || m.IRVersion != 7 {
		t.Fatalf("merged graph = %+v, ir %d", m.Graph, m.IRVersion)
	}
}

// mustErr decodes b and checks the error wraps sentinel and contains want.
func mustErr(t *testing.T, b []byte, sentinel error, want string) {
	t.Helper()
	_, err := DecodeModel(b)
	if err == nil {
		t.Fatalf("decoding % x: no error, want %q", b, want)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %q does not wrap %v", err, sentinel)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func field(num protowire.Number, body []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), body)
}

func TestMalformed(t *testing.T) {
	// Model > graph > node[0] > attribute whose length runs past the end.
	node := append(protowire.AppendTag(nil, 5, protowire.BytesType), 0x10, 0x0a)
	model := field(7, field(1, node))
	mustErr(t, model, ErrMalformed,
		"onnxpb: NodeProto.attribute: truncated length-delimited field (in ModelProto.graph > GraphProto.node[0])")

	// A length prefix of 2^62 must fail before allocating.
	huge := protowire.AppendVarint(protowire.AppendTag(nil, 7, protowire.BytesType), 1<<62)
	mustErr(t, huge, ErrMalformed, "ModelProto.graph: truncated length-delimited field")

	// Wrong wire type for a known field.
	mustErr(t, protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), 1),
		ErrMalformed, "ModelProto.producer_name: wrong wire type varint, want length-delimited")

	// Truncated tag, bad varint (11 bytes), field number 0, stray end group.
	mustErr(t, []byte{0x80}, ErrMalformed, "ModelProto: truncated tag")
	mustErr(t, append([]byte{0x08}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), ErrMalformed, "ModelProto.ir_version: bad varint")
	mustErr(t, []byte{0x00, 0x00}, ErrMalformed, "ModelProto: bad tag")
	mustErr(t, protowire.AppendTag(nil, 77, protowire.EndGroupType), ErrMalformed, "ModelProto field 77")

	// Packed fixed32 run not a multiple of 4 inside an initializer.
	tensor := field(4, []byte{1, 2, 3})
	mustErr(t, field(7, field(5, tensor)), ErrMalformed,
		"TensorProto.float_data: packed fixed32 run of 3 bytes is not a multiple of 4 (in ModelProto.graph > GraphProto.initializer[0])")

	// Packed varints with a dangling continuation byte.
	mustErr(t, field(7, field(5, field(7, []byte{0x01, 0x80}))), ErrMalformed,
		"TensorProto.int64_data: truncated varint in packed run")

	// Sparse initializers are refused clearly.
	mustErr(t, field(7, field(15, nil)), ErrUnsupported,
		"GraphProto.sparse_initializer: sparse initializers are not supported")
}

func TestNestingLimit(t *testing.T) {
	nest := func(depth int) []byte {
		g := (&Graph{Name: "leaf"}).Marshal()
		for range depth {
			attr := (&Attribute{Name: "body", Type: AttrTypeGraph}).appendTo(nil)
			attr = append(attr, field(6, g)...)
			g = field(1, field(5, attr))
		}
		return field(7, g)
	}
	if _, err := DecodeModel(nest(MaxGraphDepth)); err != nil {
		t.Fatalf("%d nested subgraphs: %v", MaxGraphDepth, err)
	}
	mustErr(t, nest(MaxGraphDepth+1), ErrMalformed, "subgraphs nested deeper than 64")
	// 2000 levels must fail at level 65, not recurse all the way down.
	mustErr(t, nest(2000), ErrMalformed, "nested deeper")
}

// TestEveryPrefix decodes every prefix of a small model: each must give an
// error or a model, never a panic; the full input must decode.
func TestEveryPrefix(t *testing.T) {
	b := tinyModel().Marshal()
	okCount := 0
	for i := range len(b) {
		m, err := DecodeModel(b[:i])
		if err == nil {
			okCount++
			roundTrip(t, "prefix", m)
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("prefix %d: error %v does not wrap ErrMalformed", i, err)
		}
	}
	if _, err := DecodeModel(b); err != nil {
		t.Fatal(err)
	}
	if okCount == 0 || okCount == len(b) {
		t.Errorf("%d of %d prefixes decoded; expected some but not all", okCount, len(b))
	}
	// Every single-byte corruption as well.
	for i := range b {
		c := slices.Clone(b)
		c[i] ^= 0xa5
		if m, err := DecodeModel(c); err == nil {
			roundTrip(t, "corrupt", m)
		}
	}
}

func TestTensorAccessors(t *testing.T) {
	le := func(vs ...uint64) func(size int) []byte {
		return func(size int) []byte {
			var b []byte
			for _, v := range vs {
				for k := range size {
					b = append(b, byte(v>>(8*k)))
				}
			}
			return b
		}
	}
	check := func(name string, got any, err error, want any) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
	}
	raw := func(dt DataType, b []byte, dims ...int64) *Tensor {
		return &Tensor{Name: "r", DataType: dt, Dims: dims, RawData: b}
	}

	v1, err := raw(DataTypeFloat, f32raw(1, -2.5), 2).Float32s()
	check("raw float", v1, err, []float32{1, -2.5})
	v2, err := raw(DataTypeDouble, le(math.Float64bits(0.1))(8)).Float64s()
	check("raw double scalar", v2, err, []float64{0.1})
	v3, err := raw(DataTypeInt64, le(uint64(1<<63), 5)(8), 2, 1).Int64s()
	check("raw int64", v3, err, []int64{math.MinInt64, 5})
	v4, err := raw(DataTypeInt32, le(0xffffffff, 7)(4), 2).Int32s()
	check("raw int32", v4, err, []int32{-1, 7})
	v5, err := raw(DataTypeInt8, []byte{0x80, 0x7f, 0xff}, 3).Int8s()
	check("raw int8", v5, err, []int8{-128, 127, -1})
	v6, err := raw(DataTypeUint8, []byte{0, 255}, 2).Uint8s()
	check("raw uint8", v6, err, []uint8{0, 255})
	v7, err := raw(DataTypeBool, []byte{1, 0, 2}, 3).Bools()
	check("raw bool", v7, err, []bool{true, false, true})
	v8, err := raw(DataTypeInt16, le(0x8000, 3)(2), 2).Int16s()
	check("raw int16", v8, err, []int16{math.MinInt16, 3})
	v9, err := raw(DataTypeUint16, le(0xffff)(2), 1).Uint16s()
	check("raw uint16", v9, err, []uint16{0xffff})
	v10, err := raw(DataTypeUint32, le(0xffffffff)(4), 1).Uint32s()
	check("raw uint32", v10, err, []uint32{0xffffffff})
	v11, err := raw(DataTypeUint64, le(math.MaxUint64)(8), 1).Uint64s()
	check("raw uint64", v11, err, []uint64{math.MaxUint64})
	v12, err := raw(DataTypeFloat16, le(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000)(2), 6).Float16sAsFloat32()
	check("raw float16", v12, err, []float32{1, -2, 65504, float32(math.Ldexp(1, -24)), float32(math.Inf(1)), float32(math.Copysign(0, -1))})
	v13, err := raw(DataTypeBFloat16, le(0x3f80, 0xc049)(2), 2).Float16sAsFloat32()
	check("raw bfloat16", v13, err, []float32{1, -3.140625})
	v14, err := raw(DataTypeFloat, nil, 0, 3).Float32s()
	check("empty float", v14, err, []float32{})

	typed := &Tensor{Name: "t", DataType: DataTypeUint8, Dims: []int64{3}, Int32Data: []int32{0, 128, 255}}
	u8, err := typed.Uint8s()
	check("int32_data uint8", u8, err, []uint8{0, 128, 255})
	h, err := (&Tensor{DataType: DataTypeFloat16, Dims: []int64{2}, Int32Data: []int32{0x3800, 0x03ff}}).Float16sAsFloat32()
	check("int32_data float16", h, err, []float32{0.5, float32(1023 * math.Ldexp(1, -24))})
	if nan := Float16ToFloat32(0x7e00); !math.IsNaN(float64(nan)) {
		t.Errorf("Float16ToFloat32(0x7e00) = %v, want NaN", nan)
	}
	u32, err := (&Tensor{DataType: DataTypeUint32, Int64Data: nil, Uint64Data: []uint64{7}}).Uint32s()
	check("uint64_data uint32", u32, err, []uint32{7})
	bl, err := (&Tensor{DataType: DataTypeBool, Dims: []int64{2}, Int32Data: []int32{0, 1}}).Bools()
	check("int32_data bool", bl, err, []bool{false, true})
	st, err := (&Tensor{DataType: DataTypeString, Dims: []int64{1}, StringData: [][]byte{[]byte("x")}}).Strings()
	check("strings", st, err, [][]byte{[]byte("x")})

	errCases := []struct {
		name     string
		read     func() error
		sentinel error
		want     string
	}{
		{"count", func() error {
			_, err := (&Tensor{Name: "w1", DataType: DataTypeFloat, Dims: []int64{2, 3}, FloatData: []float32{1}}).Float32s()
			return err
		},
			ErrData, `tensor "w1" (FLOAT[2 3]): float_data has 1 values, want 6`},
		{"raw size", func() error { _, err := raw(DataTypeFloat, []byte{1, 2, 3, 4, 5}, 1).Float32s(); return err },
			ErrData, `tensor "r" (FLOAT[1]): raw_data has 5 bytes, want 1 elements of 4 bytes`},
		{"both", func() error {
			_, err := (&Tensor{Name: "b", DataType: DataTypeInt64, RawData: make([]byte, 8), Int64Data: []int64{1}}).Int64s()
			return err
		}, ErrData, "both raw_data and int64_data"},
		{"type", func() error { _, err := raw(DataTypeInt64, nil).Float32s(); return err },
			ErrType, `tensor "r" has data type INT64, want FLOAT`},
		{"external", func() error {
			_, err := (&Tensor{Name: "big", DataType: DataTypeFloat, DataLocation: DataLocationExternal}).Float32s()
			return err
		}, ErrUnsupported, "tensor big uses external data, not supported"},
		{"range", func() error {
			_, err := (&Tensor{Name: "q", DataType: DataTypeInt8, Dims: []int64{1}, Int32Data: []int32{200}}).Int8s()
			return err
		}, ErrData, `tensor "q": element 0 = 200 is out of range for INT8`},
		{"negative dim", func() error { _, err := raw(DataTypeFloat, nil, -1).Float32s(); return err },
			ErrData, "negative dim"},
		{"overflow", func() error { _, err := raw(DataTypeFloat, nil, 1<<40, 1<<40).Float32s(); return err },
			ErrData, "overflow"},
		{"huge dims, no data", func() error { _, err := raw(DataTypeFloat, nil, 1<<30).Float32s(); return err },
			ErrData, "float_data has 0 values, want 1073741824"}, // fits a 32-bit int
	}
	for _, c := range errCases {
		err := c.read()
		if err == nil || !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %v containing %q", c.name, err, c.sentinel, c.want)
		}
	}
}

func TestFloat16AllValues(t *testing.T) {
	// Every half value, widened and narrowed back through float64 math, must
	// give the same value (NaNs stay NaN).
	for h := range 1 << 16 {
		f := Float16ToFloat32(uint16(h))
		exp := h >> 10 & 0x1f
		man := h & 0x3ff
		var want float64
		switch {
		case exp == 0x1f && man != 0:
			if !math.IsNaN(float64(f)) {
				t.Fatalf("%#04x: got %v, want NaN", h, f)
			}
			continue
		case exp == 0x1f:
			want = math.Inf(1)
		case exp == 0:
			want = math.Ldexp(float64(man), -24)
		default:
			want = math.Ldexp(float64(man|0x400), exp-25)
		}
		if h&0x8000 != 0 {
			want = -want
		}
		if float64(f) != want || math.Signbit(float64(f)) != (h&0x8000 != 0) {
			t.Fatalf("Float16ToFloat32(%#04x) = %v, want %v", h, f, want)
		}
	}
}

func TestAttrHelpers(t *testing.T) {
	n := tinyModel().Graph.Nodes[0]
	if v, err := n.AttrInt("group", 1); err != nil || v != 0 {
		t.Errorf("AttrInt(group) = %d, %v; want explicit 0", v, err)
	}
	if v, err := n.AttrInt("missing", 1); err != nil || v != 1 {
		t.Errorf("AttrInt(missing) = %d, %v; want default 1", v, err)
	}
	if v, err := n.AttrInts("kernel_shape", nil); err != nil || !slices.Equal(v, []int64{3, 3}) {
		t.Errorf("AttrInts = %v, %v", v, err)
	}
	if v, err := n.AttrString("auto_pad", ""); err != nil || v != "NOTSET" {
		t.Errorf("AttrString = %q, %v", v, err)
	}
	if v, err := n.AttrFloat("alpha", 0); err != nil || !math.IsInf(float64(v), -1) {
		t.Errorf("AttrFloat = %v, %v", v, err)
	}
	if v, err := n.AttrFloats("scales", nil); err != nil || !slices.Equal(v, []float32{0.5, 0}) {
		t.Errorf("AttrFloats = %v, %v", v, err)
	}
	if v, err := n.AttrStrings("names"); err != nil || !slices.Equal(v, []string{"a", ""}) {
		t.Errorf("AttrStrings = %q, %v", v, err)
	}
	if !n.HasAttr("pads") || n.HasAttr("strides") || n.Attr("pads").Kind() != AttrTypeInts {
		t.Errorf("HasAttr/Attr wrong")
	}
	_, err := n.AttrFloat("kernel_shape", 0)
	if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), `node "conv0" (Conv): attribute "kernel_shape" is INTS, want FLOAT`) {
		t.Errorf("AttrFloat on INTS: %v", err)
	}
	if _, err := n.AttrTensor("auto_pad"); !errors.Is(err, ErrType) {
		t.Errorf("AttrTensor on STRING: %v", err)
	}
	c := tinyModel().Graph.Nodes[2]
	x, err := c.AttrTensor("value")
	if err != nil || x == nil {
		t.Fatalf("AttrTensor(value) = %v, %v", x, err)
	}
	if v, err := x.Int64s(); err != nil || !slices.Equal(v, []int64{-1, 1 << 40}) {
		t.Errorf("constant = %v, %v", v, err)
	}
	if x, err := c.AttrTensor("nope"); x != nil || err != nil {
		t.Errorf("AttrTensor(absent) = %v, %v; want nil, nil", x, err)
	}
	g, err := tinyModel().Graph.Nodes[1].AttrGraph("then_branch")
	if err != nil || g.Name != "then" {
		t.Errorf("AttrGraph = %v, %v", g, err)
	}
	ref := &Node{Name: "f", OpType: "Relu", Attributes: []*Attribute{{Name: "alpha", RefAttrName: "a", Type: AttrTypeFloat}}}
	if _, err := ref.AttrFloat("alpha", 0); !errors.Is(err, ErrType) {
		t.Errorf("reference attribute: %v", err)
	}
}

func TestTypeHelpers(t *testing.T) {
	if DataTypeFloat16.String() != "FLOAT16" || DataType(99).String() != "DataType(99)" || DataTypeInt64.Size() != 8 {
		t.Errorf("DataType helpers wrong")
	}
	if AttrTypeInts.String() != "INTS" || TypeKindSequence.String() != "sequence" {
		t.Errorf("AttrType/TypeKind names wrong")
	}
	m := tinyModel()
	if m.Opset("ai.onnx") != 17 || m.Opset("") != 17 || m.Opset("com.microsoft") != 1 || m.Opset("x") != 0 {
		t.Errorf("Opset wrong")
	}
	vi := m.Graph.ValueInfo
	if vi[0].Type.IsTensor() || !vi[1].Type.IsTensor() || vi[2].Type.IsTensor() {
		t.Errorf("IsTensor wrong")
	}
}
