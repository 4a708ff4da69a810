package tflitefb

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
)

func mustDecode(t *testing.T, b []byte) *Model {
	t.Helper()
	m, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return m
}

func TestDecodeTiny(t *testing.T) {
	b, _ := newTiny().bytes()
	m := mustDecode(t, b)

	if m.Version != 3 || m.Description != "tiny" {
		t.Errorf("version %d description %q", m.Version, m.Description)
	}
	wantCodes := []OperatorCode{
		{BuiltinCode: OpConv2D, DeprecatedBuiltinCode: 3, Version: 2},
		{BuiltinCode: OpSoftmax, DeprecatedBuiltinCode: 25, ExtendedBuiltinCode: 25, Version: 1},
		{BuiltinCode: OpCustom, DeprecatedBuiltinCode: 32, ExtendedBuiltinCode: 32, CustomCode: "MyOp", Version: 1},
		{BuiltinCode: OpGelu, DeprecatedBuiltinCode: 127, ExtendedBuiltinCode: 150, Version: 1},
	}
	if !reflect.DeepEqual(m.OperatorCodes, wantCodes) {
		t.Errorf("operator codes\n got %+v\nwant %+v", m.OperatorCodes, wantCodes)
	}
	if len(m.Buffers) != 4 || len(m.Buffers[0]) != 0 || string(m.Buffers[3]) != "1.5.0" {
		t.Errorf("buffers %q", m.Buffers)
	}
	if got := string(m.MetadataBytes("min_runtime_version")); got != "1.5.0" {
		t.Errorf("metadata min_runtime_version = %q", got)
	}
	if m.MetadataBytes("nope") != nil {
		t.Errorf("MetadataBytes of a missing name is not nil")
	}
	wantSig := []SignatureDef{{Key: "serving_default", Inputs: []TensorMap{{"in", 0}}, Outputs: []TensorMap{{"out", 4}}}}
	if !reflect.DeepEqual(m.SignatureDefs, wantSig) {
		t.Errorf("signature defs %+v", m.SignatureDefs)
	}

	if len(m.Subgraphs) != 1 {
		t.Fatalf("%d subgraphs", len(m.Subgraphs))
	}
	sg := &m.Subgraphs[0]
	if sg.Name != "main" || !reflect.DeepEqual(sg.Inputs, []int32{0}) || !reflect.DeepEqual(sg.Outputs, []int32{4}) {
		t.Errorf("subgraph %q inputs %v outputs %v", sg.Name, sg.Inputs, sg.Outputs)
	}
	if len(sg.Tensors) != 6 {
		t.Fatalf("%d tensors", len(sg.Tensors))
	}
	in := sg.Tensors[0]
	if in.Name != "input" || in.Type != TypeInt8 || !reflect.DeepEqual(in.Shape, []int32{1, 2, 2, 2}) ||
		in.Buffer != 0 || in.Data(m) == nil && len(m.Buffers[0]) != 0 {
		t.Errorf("input tensor %+v", in)
	}
	if q := in.Quantization; !reflect.DeepEqual(q, &Quantization{Scale: []float32{0.5}, ZeroPoint: []int64{-1}}) {
		t.Errorf("input quantization %+v", q)
	}
	if in.Quantization.PerAxis() || !in.Quantization.Quantized() {
		t.Errorf("input quantization: PerAxis %v Quantized %v", in.Quantization.PerAxis(), in.Quantization.Quantized())
	}
	w := sg.Tensors[1]
	if !w.Quantization.PerAxis() || w.Quantization.QuantizedDimension != 0 ||
		!reflect.DeepEqual(w.Quantization.Scale, []float32{0.1, 0.2}) {
		t.Errorf("weights quantization %+v", w.Quantization)
	}
	if q := sg.Tensors[3].Quantization; !reflect.DeepEqual(q.Min, []float32{-6}) || !reflect.DeepEqual(q.Max, []float32{6}) ||
		q.ZeroPoint[0] != 3 {
		t.Errorf("conv_out quantization %+v", q)
	}
	co := sg.Tensors[5]
	if co.Type != TypeFloat32 || co.Quantization != nil || !co.HasRank ||
		!reflect.DeepEqual(co.ShapeSignature, []int32{-1, 2, 2, 2}) || co.IsVariable || co.Sparse {
		t.Errorf("custom_out tensor %+v", co)
	}
	var nilQ *Quantization
	if nilQ.Quantized() || nilQ.PerAxis() {
		t.Errorf("nil quantization reports quantized")
	}

	if len(sg.Operators) != 6 {
		t.Fatalf("%d operators", len(sg.Operators))
	}
	ops := sg.Operators
	if got := m.OpCode(&ops[0]).BuiltinCode; got != OpConv2D {
		t.Errorf("op 0 is %v", got)
	}
	if !reflect.DeepEqual(ops[0].Inputs, []int32{0, 1, 2}) || !reflect.DeepEqual(ops[0].Outputs, []int32{3}) {
		t.Errorf("conv inputs %v outputs %v", ops[0].Inputs, ops[0].Outputs)
	}
	wantConv := Conv2DOptions{Padding: PaddingValid, StrideW: 1, StrideH: 2, FusedActivation: ActRelu6, DilationW: 1, DilationH: 1}
	if ops[0].BuiltinOptionsType != OptionsConv2D || ops[0].Options != wantConv {
		t.Errorf("conv options %v %+v, want %+v", ops[0].BuiltinOptionsType, ops[0].Options, wantConv)
	}
	if ops[1].Options != (SoftmaxOptions{Beta: 1}) {
		t.Errorf("softmax options %+v", ops[1].Options)
	}
	c := ops[2]
	if m.OpCode(&c).CustomCode != "MyOp" || string(c.CustomOptions) != "\x01\x02\x03" || c.Options != nil ||
		!reflect.DeepEqual(c.Inputs, []int32{3, -1}) {
		t.Errorf("custom op %+v", c)
	}
	if cap(c.CustomOptions) != len(c.CustomOptions) {
		t.Errorf("CustomOptions capacity %d exceeds length %d: appends would write into the input", cap(c.CustomOptions), len(c.CustomOptions))
	}
	if ops[3].Options != (GeluOptions{Approximate: true}) || m.OpCode(&ops[3]).BuiltinCode.String() != "GELU" {
		t.Errorf("gelu op %+v", ops[3])
	}
	if ops[4].Options != (Conv2DOptions{DilationW: 1, DilationH: 1}) {
		t.Errorf("options tag without table: %+v, want defaults", ops[4].Options)
	}
	u, ok := ops[5].Options.(UnsupportedOptions)
	if !ok || u.Type != 13 || u.String() != "unsupported options type 13 (LocalResponseNormalizationOptions)" {
		t.Errorf("unsupported options: %#v", ops[5].Options)
	}

	// Aliasing: buffers are sub-slices of the input.
	d := w.Data(m)
	if len(d) != 4 || indexOf(b, d) < 0 {
		t.Errorf("weights data %v does not alias the input", d)
	}
}

// indexOf returns the offset of sub inside b, found by address.
func indexOf(b, sub []byte) int {
	for i := range b {
		if &b[i] == &sub[0] {
			return i
		}
	}
	return -1
}

func TestTypedReaders(t *testing.T) {
	m := mustDecode(t, must(newTiny().bytes()))
	ts := m.Subgraphs[0].Tensors
	w, err := ts[1].Int8s(m)
	if err != nil || !reflect.DeepEqual(w, []int8{1, -1, 2, -2}) {
		t.Errorf("weights Int8s = %v, %v", w, err)
	}
	bias, err := ts[2].Int32s(m)
	if err != nil || !reflect.DeepEqual(bias, []int32{10, -10}) {
		t.Errorf("bias Int32s = %v, %v", bias, err)
	}
	if _, err := ts[1].Uint8s(m); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "INT8, not UINT8") {
		t.Errorf("Uint8s of an INT8 tensor: %v", err)
	}
	if _, err := ts[0].Int8s(m); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "no constant data") {
		t.Errorf("Int8s of a tensor without data: %v", err)
	}
	bad := ts[1]
	bad.Shape = []int32{2, 1, 1, 3}
	if _, err := bad.Int8s(m); !errors.Is(err, ErrData) || !strings.Contains(err.Error(), "holds 4 bytes") {
		t.Errorf("Int8s with a shape larger than the data: %v", err)
	}
	bad.Shape = []int32{2, -1}
	if _, err := bad.Int8s(m); !errors.Is(err, ErrData) {
		t.Errorf("Int8s with a negative dim: %v", err)
	}
	bad.Shape = []int32{1 << 30, 1 << 30, 1 << 30}
	if _, err := bad.Int8s(m); !errors.Is(err, ErrData) {
		t.Errorf("Int8s with an overflowing shape: %v", err)
	}
	bad.Shape = []int32{2}
	bad.Type = TypeInt16
	if v, err := bad.Int16s(m); err != nil || !reflect.DeepEqual(v, []int16{-255, -510}) {
		t.Errorf("Int16s = %v, %v", v, err)
	}
	bad.Shape = []int32{1}
	bad.Type = TypeFloat32
	if v, err := bad.Float32s(m); err != nil || len(v) != 1 {
		t.Errorf("Float32s = %v, %v", v, err)
	}
	bad.Buffer = 99
	if bad.Data(m) != nil {
		t.Errorf("Data with an out-of-range buffer index is not nil")
	}
	if n, ok := (&Tensor{}).NumElements(); n != 1 || !ok {
		t.Errorf("scalar NumElements = %d, %v", n, ok)
	}
	if n, ok := (&Tensor{Shape: []int32{3, 0, 5}}).NumElements(); n != 0 || !ok {
		t.Errorf("NumElements with a zero dim = %d, %v", n, ok)
	}
}

func must(b []byte, _ *fbtest.Writer) []byte { return b }

// TestBuiltinCodeRule checks max(deprecated_builtin_code, builtin_code).
func TestBuiltinCodeRule(t *testing.T) {
	for _, c := range []struct {
		dep  int8
		ext  int32
		want BuiltinOperator
	}{
		{3, 0, OpConv2D},       // pre-3a file
		{3, 3, OpConv2D},       // 3a file, small code
		{0, 0, OpAdd},          // ADD is 0 in both
		{127, 150, OpGelu},     // code above 127
		{-1, 117, OpHardSwish}, // a negative byte never wins
	} {
		tm := newTiny()
		tm.root.Tbls(1,
			fbtest.Tbl().I8(0, c.dep).I32(3, c.ext), fbtest.Tbl().I8(0, 25), fbtest.Tbl().I8(0, 32), fbtest.Tbl().I8(0, 127).I32(3, 150))
		m := mustDecode(t, must(fbtest.Build(tm.root, Identifier)))
		if got := m.OperatorCodes[0].BuiltinCode; got != c.want {
			t.Errorf("deprecated %d, builtin %d: BuiltinCode %v, want %v", c.dep, c.ext, got, c.want)
		}
	}
}

func TestEnumNames(t *testing.T) {
	// The constants against the schema names (schema.fbs enum BuiltinOperator).
	for op, name := range map[BuiltinOperator]string{
		OpAdd: "ADD", OpAveragePool2D: "AVERAGE_POOL_2D", OpConcatenation: "CONCATENATION", OpConv2D: "CONV_2D",
		OpDepthwiseConv2D: "DEPTHWISE_CONV_2D", OpDepthToSpace: "DEPTH_TO_SPACE", OpDequantize: "DEQUANTIZE",
		OpFloor: "FLOOR", OpFullyConnected: "FULLY_CONNECTED", OpL2Normalization: "L2_NORMALIZATION",
		OpL2Pool2D: "L2_POOL_2D", OpLocalResponseNormalization: "LOCAL_RESPONSE_NORMALIZATION",
		OpLogistic: "LOGISTIC", OpMaxPool2D: "MAX_POOL_2D", OpMul: "MUL", OpRelu: "RELU", OpReluN1To1: "RELU_N1_TO_1",
		OpRelu6: "RELU6", OpReshape: "RESHAPE", OpResizeBilinear: "RESIZE_BILINEAR", OpSoftmax: "SOFTMAX",
		OpSpaceToDepth: "SPACE_TO_DEPTH", OpTanh: "TANH", OpCall: "CALL", OpCustom: "CUSTOM", OpPad: "PAD",
		OpGather: "GATHER", OpBatchToSpaceND: "BATCH_TO_SPACE_ND", OpSpaceToBatchND: "SPACE_TO_BATCH_ND",
		OpTranspose: "TRANSPOSE", OpMean: "MEAN", OpSub: "SUB", OpDiv: "DIV", OpSqueeze: "SQUEEZE",
		OpStridedSlice: "STRIDED_SLICE", OpExp: "EXP", OpSplit: "SPLIT", OpLogSoftmax: "LOG_SOFTMAX", OpCast: "CAST",
		OpPRelu: "PRELU", OpMaximum: "MAXIMUM", OpArgMax: "ARG_MAX", OpMinimum: "MINIMUM", OpNeg: "NEG",
		OpPadV2: "PADV2", OpSlice: "SLICE", OpTransposeConv: "TRANSPOSE_CONV", OpTile: "TILE",
		OpExpandDims: "EXPAND_DIMS", OpSum: "SUM", OpSqrt: "SQRT", OpRsqrt: "RSQRT", OpShape: "SHAPE", OpPow: "POW",
		OpArgMin: "ARG_MIN", OpReduceProd: "REDUCE_PROD", OpReduceMax: "REDUCE_MAX", OpPack: "PACK",
		OpUnpack: "UNPACK", OpReduceMin: "REDUCE_MIN", OpSquare: "SQUARE",
		OpResizeNearestNeighbor: "RESIZE_NEAREST_NEIGHBOR", OpLeakyRelu: "LEAKY_RELU",
		OpSquaredDifference: "SQUARED_DIFFERENCE", OpMirrorPad: "MIRROR_PAD", OpAbs: "ABS", OpSplitV: "SPLIT_V",
		OpElu: "ELU", OpQuantize: "QUANTIZE", OpHardSwish: "HARD_SWISH", OpSelectV2: "SELECT_V2",
		OpBatchMatMul: "BATCH_MATMUL", OpPlaceholderForGreaterOpCodes: "PLACEHOLDER_FOR_GREATER_OP_CODES",
		OpBroadcastTo: "BROADCAST_TO", OpGelu: "GELU", OpRelu0To1: "RELU_0_TO_1",
		209: "STABLEHLO_CASE", 210: "BuiltinOperator(210)", -1: "BuiltinOperator(-1)",
	} {
		if got := op.String(); got != name {
			t.Errorf("BuiltinOperator %d: String %q, want %q", int32(op), got, name)
		}
	}
	// The numbers the converter's author asked for, spelled out.
	for name, code := range map[string]int{"CONV_2D": 3, "DEPTHWISE_CONV_2D": 4, "FULLY_CONNECTED": 9, "ADD": 0,
		"MUL": 18, "AVERAGE_POOL_2D": 1, "MAX_POOL_2D": 17, "MEAN": 40, "SOFTMAX": 25, "LOGISTIC": 14,
		"HARD_SWISH": 117, "RELU": 19, "RELU6": 21, "RESHAPE": 22, "SQUEEZE": 43, "PAD": 34, "CONCATENATION": 2,
		"TRANSPOSE": 39, "QUANTIZE": 114, "DEQUANTIZE": 6} {
		if got := BuiltinOperator(code).String(); got != name {
			t.Errorf("code %d is %q, want %q", code, got, name)
		}
	}
	for typ, name := range map[OptionsType]string{
		OptionsNone: "NONE", OptionsConv2D: "Conv2DOptions", OptionsDepthwiseConv2D: "DepthwiseConv2DOptions",
		OptionsPool2D: "Pool2DOptions", OptionsFullyConnected: "FullyConnectedOptions", OptionsSoftmax: "SoftmaxOptions",
		OptionsConcatenation: "ConcatenationOptions", OptionsAdd: "AddOptions", OptionsL2Norm: "L2NormOptions",
		OptionsResizeBilinear: "ResizeBilinearOptions", OptionsReshape: "ReshapeOptions",
		OptionsSpaceToDepth: "SpaceToDepthOptions", OptionsMul: "MulOptions", OptionsPad: "PadOptions",
		OptionsGather: "GatherOptions", OptionsBatchToSpaceND: "BatchToSpaceNDOptions",
		OptionsSpaceToBatchND: "SpaceToBatchNDOptions", OptionsTranspose: "TransposeOptions",
		OptionsReducer: "ReducerOptions", OptionsSub: "SubOptions", OptionsDiv: "DivOptions",
		OptionsSqueeze: "SqueezeOptions", OptionsStridedSlice: "StridedSliceOptions", OptionsExp: "ExpOptions",
		OptionsSplit: "SplitOptions", OptionsLogSoftmax: "LogSoftmaxOptions", OptionsCast: "CastOptions",
		OptionsDequantize: "DequantizeOptions", OptionsMaximumMinimum: "MaximumMinimumOptions",
		OptionsArgMax: "ArgMaxOptions", OptionsNeg: "NegOptions", OptionsPadV2: "PadV2Options",
		OptionsSlice: "SliceOptions", OptionsTransposeConv: "TransposeConvOptions", OptionsTile: "TileOptions",
		OptionsExpandDims: "ExpandDimsOptions", OptionsShape: "ShapeOptions", OptionsArgMin: "ArgMinOptions",
		OptionsPack: "PackOptions", OptionsUnpack: "UnpackOptions", OptionsSquare: "SquareOptions",
		OptionsResizeNearestNeighbor: "ResizeNearestNeighborOptions", OptionsLeakyRelu: "LeakyReluOptions",
		OptionsSquaredDifference: "SquaredDifferenceOptions", OptionsMirrorPad: "MirrorPadOptions",
		OptionsAbs: "AbsOptions", OptionsSplitV: "SplitVOptions", OptionsQuantize: "QuantizeOptions",
		OptionsHardSwish: "HardSwishOptions", OptionsDepthToSpace: "DepthToSpaceOptions",
		OptionsSelectV2: "SelectV2Options", OptionsBatchMatMul: "BatchMatMulOptions",
		OptionsBroadcastTo: "BroadcastToOptions", OptionsGelu: "GeluOptions",
		126: "RightShiftOptions", 127: "OptionsType(127)",
	} {
		if got := typ.String(); got != name {
			t.Errorf("OptionsType %d: String %q, want %q", typ, got, name)
		}
	}
	for _, c := range []struct{ got, want string }{
		{TypeFloat32.String(), "FLOAT32"}, {TypeInt8.String(), "INT8"}, {TypeUint8.String(), "UINT8"},
		{TypeBfloat16.String(), "BFLOAT16"}, {TensorType(19).String(), "TensorType(19)"},
		{PaddingSame.String(), "SAME"}, {PaddingValid.String(), "VALID"}, {Padding(7).String(), "Padding(7)"},
		{ActRelu6.String(), "RELU6"}, {Activation(9).String(), "Activation(9)"},
		{WeightsShuffled4x16Int8.String(), "SHUFFLED4x16INT8"}, {MirrorPadSymmetric.String(), "SYMMETRIC"},
	} {
		if c.got != c.want {
			t.Errorf("String() = %q, want %q", c.got, c.want)
		}
	}
	for typ, size := range map[TensorType]int{TypeFloat32: 4, TypeFloat16: 2, TypeInt32: 4, TypeUint8: 1,
		TypeInt64: 8, TypeString: 0, TypeBool: 1, TypeInt16: 2, TypeInt8: 1, TypeComplex128: 16, TypeInt4: 0, -3: 0} {
		if got := typ.Size(); got != size {
			t.Errorf("%v.Size() = %d, want %d", typ, got, size)
		}
	}
	// Every option type the decoder knows reports its own tag.
	for typ := OptionsType(1); typ <= 126; typ++ {
		o, err := (&decoder{b: make([]byte, 8), budget: 1 << 20}).options(typ, table{})
		if err != nil {
			t.Fatalf("options(%v) with defaults: %v", typ, err)
		}
		if o.OptionsType() != typ {
			t.Errorf("options(%v) returned %T reporting %v", typ, o, o.OptionsType())
		}
	}
}

// expectMalformed decodes b and checks the error wraps ErrMalformed and
// mentions every fragment.
func expectMalformed(t *testing.T, b []byte, fragments ...string) {
	t.Helper()
	m, err := Decode(b)
	if err == nil {
		t.Fatalf("Decode succeeded (%d subgraphs), want an error mentioning %q", len(m.Subgraphs), fragments)
	}
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("error %v does not wrap ErrMalformed", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %T is not *Error", err)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestCorruptOffsets(t *testing.T) {
	tm := newTiny()
	orig, w := tm.bytes()
	patched := func(pos int, v uint32) []byte {
		b := append([]byte(nil), orig...)
		binary.LittleEndian.PutUint32(b[pos:], v)
		return b
	}
	quantField := w.FPos[tm.input][4]
	expectMalformed(t, patched(quantField, 123456), "tflitefb: Subgraph[0].Tensor[0].quantization: offset 123456 out of range")
	expectMalformed(t, patched(quantField, 0), "Subgraph[0].Tensor[0].quantization: invalid offset 0")
	expectMalformed(t, patched(quantField, 0x80000000), "Tensor[0].quantization: invalid offset")
	expectMalformed(t, patched(0, uint32(len(orig))), "Model.root: offset")
	expectMalformed(t, patched(0, 0xfffffff0), "Model.root")

	// A vector claiming far more elements than the file holds fails before
	// anything is allocated.
	expectMalformed(t, patched(w.VPos[tm.shape], 0x7fffffff), "Subgraph[0].Tensor[0].shape: vector of 2147483647 elements")
	expectMalformed(t, patched(w.VPos[tm.shape], 0xffffffff), "Subgraph[0].Tensor[0].shape")

	// The soffset of a table pointing its vtable outside the file.
	expectMalformed(t, patched(w.TPos[tm.weights], 0x7ffffff0), "Subgraph[0].Tensor[1]", "vtable")
	expectMalformed(t, patched(w.TPos[tm.weights], uint32(0xffffffff-uint32(len(orig)))), "Subgraph[0].Tensor[1]", "vtable")
	// A vtable whose size is odd or too small, or whose table size overruns.
	vt := w.TPos[tm.weights] - int(int32(binary.LittleEndian.Uint32(orig[w.TPos[tm.weights]:])))
	bad := append([]byte(nil), orig...)
	binary.LittleEndian.PutUint16(bad[vt:], 5)
	expectMalformed(t, bad, "Tensor[1]", "invalid size 5")
	bad = append([]byte(nil), orig...)
	binary.LittleEndian.PutUint16(bad[vt+2:], 2)
	expectMalformed(t, bad, "Tensor[1]", "does not fit")
	bad = append([]byte(nil), orig...)
	binary.LittleEndian.PutUint16(bad[vt+2:], 0xffff)
	expectMalformed(t, bad, "Tensor[1]", "does not fit")
	// A field offset (vtable entry) pointing past the table's end.
	bad = append([]byte(nil), orig...)
	binary.LittleEndian.PutUint16(bad[vt+4+2*2:], 0xfff0)
	expectMalformed(t, bad, "Subgraph[0].Tensor[1].buffer: field at offset 65520")

	// A string without its NUL terminator.
	tm2 := newTiny()
	b2, w2 := tm2.bytes()
	nameAt := w2.FPos[tm2.sg][4]
	strPos := nameAt + int(binary.LittleEndian.Uint32(b2[nameAt:]))
	b2[strPos+4+4] = 'x' // "main" + NUL -> "mainx"
	expectMalformed(t, b2, "Subgraph[0].name: string of 4 bytes", "not NUL-terminated")

	// An operator-options offset out of range names the options field.
	optsAt := w.FPos[tm.conv][4]
	expectMalformed(t, patched(optsAt, 0x00ffffff), "Subgraph[0].Operator[0].builtin_options: offset")
}

func TestBadReferences(t *testing.T) {
	for _, c := range []struct {
		name  string
		edit  func(tm *tinyModel)
		frags []string
	}{
		{"opcode index", func(tm *tinyModel) { tm.conv.U32(0, 4) },
			[]string{"Subgraph[0].Operator[0].opcode_index: 4 out of range (4 operator codes)"}},
		{"operator input", func(tm *tinyModel) { tm.conv.Ref(1, fbtest.VI32(0, 1, 6)) },
			[]string{"Subgraph[0].Operator[0].inputs[2]: tensor index 6 out of range (6 tensors)"}},
		{"operator input -2", func(tm *tinyModel) { tm.conv.Ref(1, fbtest.VI32(-2)) },
			[]string{"Operator[0].inputs[0]: tensor index -2"}},
		{"operator output", func(tm *tinyModel) { tm.custom.Ref(2, fbtest.VI32(99)) },
			[]string{"Operator[2].outputs[0]: tensor index 99"}},
		{"intermediates", func(tm *tinyModel) { tm.custom.Ref(8, fbtest.VI32(7)) },
			[]string{"Operator[2].intermediates[0]"}},
		{"mutating inputs", func(tm *tinyModel) { tm.custom.Ref(7, fbtest.VBytes(1)) },
			[]string{"Operator[2].mutating_variable_inputs: 1 entries for 2 inputs"}},
		{"subgraph input", func(tm *tinyModel) { tm.sg.Ref(1, fbtest.VI32(-1)) },
			[]string{"Subgraph[0].inputs[0]: tensor index -1"}},
		{"subgraph output", func(tm *tinyModel) { tm.sg.Ref(2, fbtest.VI32(6)) },
			[]string{"Subgraph[0].outputs[0]: tensor index 6"}},
		{"tensor buffer", func(tm *tinyModel) { tm.weights.U32(2, 4) },
			[]string{"Subgraph[0].Tensor[1].buffer: index 4 out of range (4 buffers)"}},
		{"metadata buffer", func(tm *tinyModel) { tm.root.Tbls(6, fbtest.Tbl().Str(0, "x").U32(1, 9)) },
			[]string{"Metadata[0].buffer: index 9"}},
		{"metadata_buffer", func(tm *tinyModel) { tm.root.Ref(5, fbtest.VI32(-1)) },
			[]string{"Model.metadata_buffer[0]: index -1"}},
		{"signature subgraph", func(tm *tinyModel) { tm.root.Tbls(7, fbtest.Tbl().U32(4, 1)) },
			[]string{"SignatureDef[0].subgraph_index: 1 out of range"}},
		{"signature tensor", func(tm *tinyModel) { tm.root.Tbls(7, fbtest.Tbl().Tbls(1, fbtest.Tbl().Str(0, "o").U32(1, 6))) },
			[]string{`SignatureDef[0]: tensor "o": index 6`}},
		{"no subgraph", func(tm *tinyModel) { tm.root.Tbls(2) }, []string{"Model.subgraphs: model has no subgraph"}},
		{"external buffer range", func(tm *tinyModel) { tm.root.Tbls(4, fbtest.Tbl(), fbtest.Tbl().U64(1, 1<<40).U64(2, 4)) },
			[]string{"Buffer[1].offset: 4 bytes at file offset 1099511627776 out of range"}},
		{"external buffer size", func(tm *tinyModel) { tm.root.Tbls(4, fbtest.Tbl(), fbtest.Tbl().U64(1, 8).U64(2, ^uint64(0))) },
			[]string{"Buffer[1].offset"}},
		{"external and inline", func(tm *tinyModel) {
			tm.root.Tbls(4, fbtest.Tbl(), fbtest.Tbl().Ref(0, fbtest.VBytes(1)).U64(1, 8).U64(2, 1))
		},
			[]string{"Buffer[1].offset: buffer has both"}},
		{"large custom options", func(tm *tinyModel) { tm.custom.Ref(5, fbtest.VBytes()).U64(9, 1<<33).U64(10, 1) },
			[]string{"Operator[2].large_custom_options_offset"}},
		{"options field type", func(tm *tinyModel) { tm.conv.Ref(4, fbtest.Tbl().Raw(1, []byte{1, 2})) },
			[]string{"Operator[0].builtin_options(Conv2DOptions).stride_w: field at offset 4 (4 bytes) lies outside its 6-byte table"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm := newTiny()
			c.edit(tm)
			expectMalformed(t, must(tm.bytes()), c.frags...)
		})
	}
}

func TestExternalData(t *testing.T) {
	// Schema 3c: a buffer or custom options stored at a file offset.
	tm := newTiny()
	tm.root.Tbls(4, fbtest.Tbl(), fbtest.Tbl().U64(1, 4).U64(2, 4), fbtest.Tbl().Ref(0, fbtest.VBytes(10, 0, 0, 0, 0xf6, 0xff, 0xff, 0xff)),
		fbtest.Tbl().Ref(0, fbtest.VBytes('1')))
	tm.custom.Ref(5, fbtest.VBytes()).U64(9, 4).U64(10, 2)
	m := mustDecode(t, must(tm.bytes()))
	if got := string(m.Buffers[1]); got != Identifier {
		t.Errorf("external buffer %q, want the 4 bytes at offset 4", got)
	}
	if got := string(m.Subgraphs[0].Operators[2].CustomOptions); got != "TF" {
		t.Errorf("external custom options %q", got)
	}
	// Offsets 0 and 1 mean "not used".
	tm.root.Tbls(4, fbtest.Tbl(), fbtest.Tbl().Ref(0, fbtest.VBytes(7, 7, 7, 7)).U64(1, 1), fbtest.Tbl(), fbtest.Tbl())
	m = mustDecode(t, must(tm.bytes()))
	if string(m.Buffers[1]) != "\x07\x07\x07\x07" {
		t.Errorf("buffer with offset 1: %q", m.Buffers[1])
	}
}

func TestIdentifierAndVersion(t *testing.T) {
	tm := newTiny()
	b, _ := fbtest.Build(tm.root, "TFL2")
	expectMalformed(t, b, `file identifier is "TFL2", want "TFL3"`)
	// Without an identifier the root table starts at byte 4; rejected.
	b, _ = fbtest.Build(tm.root, "")
	expectMalformed(t, b, "file identifier")
	expectMalformed(t, []byte("\x08\x00\x00\x00TFL"), "too short")
	expectMalformed(t, nil, "too short")

	tm.root.U32(0, 2)
	_, err := Decode(must(tm.bytes()))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "Model.version: schema version 2") {
		t.Errorf("version 2: %v", err)
	}
	tm.root.Unset(0) // absent version reads as 0
	if _, err := Decode(must(tm.bytes())); !errors.Is(err, ErrUnsupported) {
		t.Errorf("no version: %v", err)
	}
}

// TestSharedData: offsets may legally share data, but a small file whose
// entries all point at one large table must not decode to a huge structure.
func TestSharedData(t *testing.T) {
	const n = 4000
	shape := make([]int32, 2000)
	tensors := make([]*fbtest.Table, n)
	for i := range tensors {
		tensors[i] = fbtest.Tbl() // placeholders, patched below
	}
	tensors[0] = fbtest.Tbl().Ref(0, fbtest.VI32(shape...))
	sg := fbtest.Tbl().Tbls(0, tensors...)
	root := fbtest.Tbl().U32(0, 3).Tbls(2, sg)
	b, w := fbtest.Build(root, Identifier)
	// Point every entry of the tensors vector at tensors[0].
	vec := w.FPos[sg][0] + int(binary.LittleEndian.Uint32(b[w.FPos[sg][0]:]))
	for k := 1; k < n; k++ {
		at := vec + 4 + 4*k
		binary.LittleEndian.PutUint32(b[at:], uint32(w.TPos[tensors[0]]-at))
	}
	// 4000 tensors × 8000 shape bytes = 32 MB from a file of ~70 KB.
	expectMalformed(t, b, "decoded size exceeds")

	// Sharing a little is fine.
	root = fbtest.Tbl().U32(0, 3).Tbls(2, fbtest.Tbl().Tbls(0, fbtest.Tbl().Ref(0, fbtest.VI32(1, 2)), fbtest.Tbl()))
	b, _ = fbtest.Build(root, Identifier)
	m := mustDecode(t, b)
	if len(m.Subgraphs[0].Tensors) != 2 {
		t.Fatalf("tensors: %d", len(m.Subgraphs[0].Tensors))
	}
}

// TestTruncation: every strict prefix of the tiny model is an error (the
// writer leaves no unreferenced tail), never a panic; the whole file decodes.
func TestTruncation(t *testing.T) {
	b, _ := newTiny().bytes()
	for n := 0; n < len(b); n++ {
		_, err := Decode(b[:n:n])
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("prefix of %d/%d bytes: err = %v, want ErrMalformed", n, len(b), err)
		}
	}
	mustDecode(t, b)
}

// TestByteCorruption changes every byte of the tiny model in a few ways; the
// decoder must return a model or an *Error, never panic.
func TestByteCorruption(t *testing.T) {
	orig, _ := newTiny().bytes()
	b := make([]byte, len(orig))
	for i := range orig {
		for _, v := range []byte{0, 0xff, 0x80, 0x7f, orig[i] + 1, orig[i] - 1, orig[i] ^ 0x40} {
			copy(b, orig)
			b[i] = v
			checkDecode(t, b)
		}
	}
}

// checkDecode decodes b; errors must be *Error wrapping one of the sentinels.
// A model that decodes must survive the helpers the converter will use.
func checkDecode(t testing.TB, b []byte) {
	m, err := Decode(b)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported)) {
			t.Fatalf("error %v (%T) is not an *Error wrapping ErrMalformed or ErrUnsupported", err, err)
		}
		return
	}
	for si := range m.Subgraphs {
		sg := &m.Subgraphs[si]
		for ti := range sg.Tensors {
			tn := &sg.Tensors[ti]
			_ = tn.Data(m)
			_, _ = tn.Float32s(m)
			_, _ = tn.Int8s(m)
			_, _ = tn.Uint8s(m)
			_, _ = tn.Int32s(m)
			_, _ = tn.Int64s(m)
			_, _ = tn.Int16s(m)
			_ = tn.Type.String()
		}
		for oi := range sg.Operators {
			op := &sg.Operators[oi]
			if m.OpCode(op) == nil {
				t.Fatalf("decoded model has operator %d with opcode index %d of %d", oi, op.OpcodeIndex, len(m.OperatorCodes))
			}
			_ = m.OpCode(op).BuiltinCode.String()
			for _, x := range op.Inputs {
				if x < -1 || int(x) >= len(sg.Tensors) {
					t.Fatalf("decoded model has input index %d of %d tensors", x, len(sg.Tensors))
				}
			}
			if op.Options != nil {
				_ = op.Options.OptionsType().String()
			}
		}
	}
}

// TestPaddingWindow: SAME gives ceil(in/s) outputs with the odd padding
// after, VALID no padding; every window that leaves no output, bad sizes
// and unknown paddings are refused.
func TestPaddingWindow(t *testing.T) {
	for _, c := range []struct {
		p               Padding
		in, k, s, d     int
		begin, end, out int
		ok              bool
	}{
		{PaddingSame, 224, 3, 2, 1, 0, 1, 112, true}, // TensorFlow: the odd element after
		{PaddingSame, 7, 3, 1, 1, 1, 1, 7, true},
		{PaddingSame, 5, 3, 1, 2, 2, 2, 5, true}, // dilated span 5
		{PaddingSame, 1, 1, 1, 1, 0, 0, 1, true},
		{PaddingSame, 4, 1, 4, 1, 0, 0, 1, true},
		{PaddingValid, 224, 3, 2, 1, 0, 0, 111, true},
		{PaddingValid, 7, 7, 1, 1, 0, 0, 1, true},
		{PaddingValid, 5, 7, 1, 1, 0, 0, 0, false}, // no output
		{PaddingValid, 5, 3, 1, 3, 0, 0, 0, false}, // dilated span 7 > 5
		{PaddingSame, 0, 3, 1, 1, 0, 0, 0, false},
		{PaddingSame, 8, 3, 0, 1, 0, 0, 0, false},
		{PaddingSame, 8, 0, 1, 1, 0, 0, 0, false},
		{PaddingSame, 8, 3, 1, 0, 0, 0, 0, false},
		{Padding(7), 8, 3, 1, 1, 0, 0, 0, false},
		{PaddingSame, 8, 1 << 30, 1, 4, 0, 0, 0, false}, // padding beyond int32
	} {
		b, e, o, ok := c.p.Window(c.in, c.k, c.s, c.d)
		if b != c.begin || e != c.end || o != c.out || ok != c.ok {
			t.Errorf("%v.Window(in %d, k %d, s %d, d %d) = %d, %d, %d, %v; want %d, %d, %d, %v",
				c.p, c.in, c.k, c.s, c.d, b, e, o, ok, c.begin, c.end, c.out, c.ok)
		}
	}
}
