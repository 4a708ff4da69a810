package tflitefb

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
)

// The shared TFLite models and what ../shared/ASSETS.md §2 says about them.
// Op histograms count the operators of subgraph 0 by BuiltinCode.
var sharedModels = []struct {
	file        string
	inType      TensorType
	inShape     []int32
	inScale     float32
	inZero      int64
	outType     TensorType
	outShape    []int32
	outScale    float32
	outZero     int64
	ops         map[BuiltinOperator]int
	perAxis     bool   // conv and depthwise weights and biases quantized per channel
	minRuntime  string // metadata "min_runtime_version", "" = no metadata
	hasMetadata bool   // a TFLITE_METADATA buffer
}{
	{"mobilenet_v1_0.25_128_quant.tflite", TypeUint8, []int32{1, 128, 128, 3}, 1.0 / 128, 128, TypeUint8, []int32{1, 1001}, 1.0 / 256, 0,
		map[BuiltinOperator]int{OpConv2D: 15, OpDepthwiseConv2D: 13, OpAveragePool2D: 1, OpReshape: 1, OpSoftmax: 1},
		false, "1.5.0", true},
	{"mobilenet_v2_1.0_224_quant.tflite", TypeUint8, []int32{1, 224, 224, 3}, 1.0 / 128, 128, TypeUint8, []int32{1, 1001}, 1.0 / 256, 0,
		map[BuiltinOperator]int{OpConv2D: 36, OpDepthwiseConv2D: 17, OpAdd: 10, OpAveragePool2D: 1, OpReshape: 1, OpSoftmax: 1},
		false, "1.5.0", true},
	{"tf2_mobilenet_v2_1.0_224_ptq.tflite", TypeUint8, []int32{1, 224, 224, 3}, 1 / 127.5, 127, TypeUint8, []int32{1, 1001}, 1.0 / 256, 0,
		map[BuiltinOperator]int{OpQuantize: 2, OpConv2D: 36, OpDepthwiseConv2D: 17, OpAdd: 10, OpMean: 1, OpReshape: 1, OpSoftmax: 1},
		true, "1.14.0", true},
	{"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", TypeUint8, []int32{1, 224, 224, 3}, 1.0 / 128, 128,
		TypeUint8, []int32{1, 1, 1, 1024}, 0.023528477, 0,
		map[BuiltinOperator]int{OpConv2D: 14, OpDepthwiseConv2D: 13, OpAveragePool2D: 1},
		false, "1.5.0", false},
	{"mobilenet_quant_v1_224_head_layers.tflite", TypeUint8, []int32{1, 1, 1, 1024}, 0.023528477, 0,
		TypeUint8, []int32{1, 1001}, 1.0 / 256, 0,
		map[BuiltinOperator]int{OpConv2D: 1, OpReshape: 1, OpSoftmax: 1},
		false, "1.5.0", false},
	{"person_detect.tflite", TypeInt8, []int32{1, 96, 96, 1}, 1 / 127.5, -1, TypeInt8, []int32{1, 2}, 1.0 / 256, -128,
		map[BuiltinOperator]int{OpDepthwiseConv2D: 14, OpConv2D: 14, OpAveragePool2D: 1, OpReshape: 1, OpSoftmax: 1},
		true, "", false},
	{"vww_96_float.tflite", TypeFloat32, []int32{1, 96, 96, 3}, 0, 0, TypeFloat32, []int32{1, 2}, 0, 0,
		map[BuiltinOperator]int{OpConv2D: 14, OpDepthwiseConv2D: 13, OpAveragePool2D: 1, OpReshape: 1, OpFullyConnected: 1, OpSoftmax: 1},
		false, "1.5.0", false},
}

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture.Path(t, "models", "tflite", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSharedModels(t *testing.T) {
	for _, c := range sharedModels {
		t.Run(strings.TrimSuffix(c.file, ".tflite"), func(t *testing.T) {
			b := readShared(t, c.file)
			m, used, err := decode(b, budgetFor(len(b)))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			// Real files cover each byte about once (buffer data included),
			// so the budget of 4x the file size leaves them a wide margin.
			t.Logf("%d bytes, decode budget used %d (%.1f%% of the file size)", len(b), used, 100*float64(used)/float64(len(b)))
			if used > 2*int64(len(b)) {
				t.Errorf("decode used %d budget bytes for a %d-byte file, half the budget", used, len(b))
			}
			if len(m.Subgraphs) != 1 {
				t.Fatalf("%d subgraphs, want 1", len(m.Subgraphs))
			}
			sg := &m.Subgraphs[0]
			if len(sg.Inputs) != 1 || len(sg.Outputs) != 1 {
				t.Fatalf("inputs %v outputs %v", sg.Inputs, sg.Outputs)
			}
			checkIO(t, "input", &sg.Tensors[sg.Inputs[0]], c.inType, c.inShape, c.inScale, c.inZero)
			checkIO(t, "output", &sg.Tensors[sg.Outputs[0]], c.outType, c.outShape, c.outScale, c.outZero)

			hist := map[BuiltinOperator]int{}
			for i := range sg.Operators {
				op := &sg.Operators[i]
				code := m.OpCode(op).BuiltinCode
				hist[code]++
				checkOptions(t, i, code, op)
				if code == OpConv2D || code == OpDepthwiseConv2D {
					checkConvWeights(t, m, sg, i, code, c.perAxis)
				}
			}
			if !reflect.DeepEqual(hist, c.ops) {
				t.Errorf("op histogram %v, want %v", hist, c.ops)
			}

			// Every constant tensor's data matches its type and shape.
			for i := range sg.Tensors {
				tn := &sg.Tensors[i]
				if len(tn.Data(m)) == 0 {
					continue
				}
				var err error
				switch tn.Type {
				case TypeFloat32:
					_, err = tn.Float32s(m)
				case TypeInt32:
					_, err = tn.Int32s(m)
				case TypeInt8:
					_, err = tn.Int8s(m)
				case TypeUint8:
					_, err = tn.Uint8s(m)
				default:
					t.Errorf("tensor %q: unexpected constant type %v", tn.Name, tn.Type)
				}
				if err != nil {
					t.Error(err)
				}
			}

			mrv := string(bytes.TrimRight(m.MetadataBytes("min_runtime_version"), "\x00"))
			if mrv != c.minRuntime {
				t.Errorf("min_runtime_version %q, want %q", mrv, c.minRuntime)
			}
			md := m.MetadataBytes("TFLITE_METADATA")
			if (md != nil) != c.hasMetadata {
				t.Errorf("TFLITE_METADATA present = %v, want %v", md != nil, c.hasMetadata)
			}
			// The metadata is itself a flatbuffer with identifier "M001".
			if md != nil && (len(md) < 8 || string(md[4:8]) != "M001") {
				t.Errorf("TFLITE_METADATA does not start like a metadata flatbuffer: % x", md[:min(8, len(md))])
			}
		})
	}
}

func checkIO(t *testing.T, what string, tn *Tensor, typ TensorType, shape []int32, scale float32, zero int64) {
	t.Helper()
	if tn.Type != typ || !reflect.DeepEqual(tn.Shape, shape) {
		t.Errorf("%s %q: %v %v, want %v %v", what, tn.Name, tn.Type, tn.Shape, typ, shape)
	}
	if typ == TypeFloat32 {
		if tn.Quantization.Quantized() {
			t.Errorf("%s %q: float tensor is quantized: %+v", what, tn.Name, tn.Quantization)
		}
		return
	}
	q := tn.Quantization
	if !q.Quantized() || q.PerAxis() || len(q.ZeroPoint) != 1 {
		t.Fatalf("%s %q: quantization %+v, want one scale and zero point", what, tn.Name, q)
	}
	if d := q.Scale[0]/scale - 1; d > 1e-6 || d < -1e-6 || q.ZeroPoint[0] != zero {
		t.Errorf("%s %q: scale %g zero point %d, want %g %d", what, tn.Name, q.Scale[0], q.ZeroPoint[0], scale, zero)
	}
}

func checkOptions(t *testing.T, i int, code BuiltinOperator, op *Operator) {
	t.Helper()
	ok := true
	switch code {
	case OpConv2D:
		o, is := op.Options.(Conv2DOptions)
		ok = is && o.StrideW >= 1 && o.StrideH >= 1 && o.DilationW == 1 && o.DilationH == 1
	case OpDepthwiseConv2D:
		o, is := op.Options.(DepthwiseConv2DOptions)
		ok = is && o.StrideW >= 1 && o.StrideH >= 1 && o.DilationW == 1 && o.DilationH == 1
	case OpAveragePool2D:
		o, is := op.Options.(Pool2DOptions)
		ok = is && o.Padding == PaddingValid && o.FilterWidth >= 3 && o.FilterWidth == o.FilterHeight
	case OpSoftmax:
		ok = op.Options == SoftmaxOptions{Beta: 1}
	case OpAdd:
		_, ok = op.Options.(AddOptions)
	case OpMean:
		ok = op.Options == ReducerOptions{KeepDims: true}
	case OpFullyConnected:
		_, ok = op.Options.(FullyConnectedOptions)
	case OpReshape: // MLIR-converted files leave the options out
		_, is := op.Options.(ReshapeOptions)
		ok = is || op.Options == nil
	case OpQuantize: // no options table in these files
		ok = op.Options == nil
	}
	if !ok {
		t.Errorf("operator %d (%v): options %T %+v", i, code, op.Options, op.Options)
	}
}

// checkConvWeights checks the weights (input 1) and bias (input 2) of a
// convolution: constant, per-channel quantized along the output channel
// axis (0 for CONV_2D, 3 for DEPTHWISE_CONV_2D) when perAxis, per-tensor
// otherwise.
func checkConvWeights(t *testing.T, m *Model, sg *Subgraph, i int, code BuiltinOperator, perAxis bool) {
	t.Helper()
	op := &sg.Operators[i]
	if len(op.Inputs) != 3 {
		t.Errorf("operator %d (%v): %d inputs", i, code, len(op.Inputs))
		return
	}
	w, bias := &sg.Tensors[op.Inputs[1]], &sg.Tensors[op.Inputs[2]]
	if len(w.Shape) != 4 || len(w.Data(m)) == 0 || len(bias.Data(m)) == 0 || bias.Type != TypeInt32 && bias.Type != TypeFloat32 {
		t.Errorf("operator %d (%v): weights %q %v %v, bias %q %v", i, code, w.Name, w.Type, w.Shape, bias.Name, bias.Type)
		return
	}
	if w.Type == TypeFloat32 {
		return
	}
	axis := int32(0)
	if code == OpDepthwiseConv2D {
		axis = 3
	}
	channels := int(w.Shape[axis])
	for _, tn := range []*Tensor{w, bias} {
		q := tn.Quantization
		switch {
		case !perAxis && (len(q.Scale) != 1 || len(q.ZeroPoint) != 1):
			t.Errorf("operator %d (%v): %q has %d scales, want 1", i, code, tn.Name, len(q.Scale))
		case perAxis && (len(q.Scale) != channels || len(q.ZeroPoint) != channels):
			t.Errorf("operator %d (%v): %q has %d scales, %d zero points, want %d", i, code, tn.Name, len(q.Scale), len(q.ZeroPoint), channels)
		case perAxis && tn == w && q.QuantizedDimension != axis:
			t.Errorf("operator %d (%v): %q quantized along %d, want %d", i, code, tn.Name, q.QuantizedDimension, axis)
		case perAxis && tn == w && q.ZeroPoint[channels-1] != 0:
			t.Errorf("operator %d (%v): %q: per-channel int8 weights with zero point %d", i, code, tn.Name, q.ZeroPoint[channels-1])
		}
	}
}

// TestSharedChain: the head model's input quantization equals the
// extractor's output quantization (ASSETS.md: they chain).
func TestSharedChain(t *testing.T) {
	ext := mustDecode(t, readShared(t, "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"))
	head := mustDecode(t, readShared(t, "mobilenet_quant_v1_224_head_layers.tflite"))
	out := ext.Subgraphs[0].Tensors[ext.Subgraphs[0].Outputs[0]].Quantization
	in := head.Subgraphs[0].Tensors[head.Subgraphs[0].Inputs[0]].Quantization
	if !reflect.DeepEqual(out.Scale, in.Scale) || !reflect.DeepEqual(out.ZeroPoint, in.ZeroPoint) {
		t.Errorf("extractor output %v/%v, head input %v/%v", out.Scale, out.ZeroPoint, in.Scale, in.ZeroPoint)
	}
}

// TestSharedOldOpcodes: person_detect was written before schema 3a and only
// sets deprecated_builtin_code.
func TestSharedOldOpcodes(t *testing.T) {
	m := mustDecode(t, readShared(t, "person_detect.tflite"))
	for _, oc := range m.OperatorCodes {
		if oc.ExtendedBuiltinCode != 0 || BuiltinOperator(oc.DeprecatedBuiltinCode) != oc.BuiltinCode {
			t.Errorf("operator code %+v", oc)
		}
	}
	if m.OperatorCodes[0].BuiltinCode != OpAveragePool2D || m.OperatorCodes[1].BuiltinCode != OpConv2D {
		t.Errorf("operator codes %+v", m.OperatorCodes)
	}
}

// TestSharedTruncated decodes prefixes of a real model at a spread of
// lengths: all must fail cleanly.
func TestSharedTruncated(t *testing.T) {
	b := readShared(t, "person_detect.tflite")
	for n := 0; n < len(b); n += 1 + n/8 {
		if _, err := Decode(b[:n:n]); err == nil {
			t.Fatalf("prefix of %d/%d bytes decoded", n, len(b))
		}
	}
}

// TestSharedDetails checks facts beyond the table above.
func TestSharedDetails(t *testing.T) {
	t.Run("vww_96_float", func(t *testing.T) {
		m := mustDecode(t, readShared(t, "vww_96_float.tflite"))
		sg := &m.Subgraphs[0]
		in, out := &sg.Tensors[sg.Inputs[0]], &sg.Tensors[sg.Outputs[0]]
		if !reflect.DeepEqual(in.ShapeSignature, []int32{-1, 96, 96, 3}) || !reflect.DeepEqual(out.ShapeSignature, []int32{-1, 2}) {
			t.Errorf("shape signatures %v %v, want a dynamic batch", in.ShapeSignature, out.ShapeSignature)
		}
		found := 0
		for i := range sg.Operators {
			op := &sg.Operators[i]
			if m.OpCode(op).BuiltinCode != OpFullyConnected {
				continue
			}
			found++
			if op.Options != (FullyConnectedOptions{}) {
				t.Errorf("FULLY_CONNECTED options %+v", op.Options)
			}
			w := &sg.Tensors[op.Inputs[1]]
			v, err := w.Float32s(m)
			if err != nil || len(w.Shape) != 2 || w.Shape[0] != 2 || len(v) != int(w.Shape[0]*w.Shape[1]) {
				t.Errorf("FULLY_CONNECTED weights %v: %d values, %v", w.Shape, len(v), err)
			}
			var nonzero int
			for _, x := range v {
				if x != x || x > 1e6 || x < -1e6 {
					t.Fatalf("FULLY_CONNECTED weight %v", x)
				}
				if x != 0 {
					nonzero++
				}
			}
			if nonzero < len(v)/2 {
				t.Errorf("only %d of %d FULLY_CONNECTED weights are nonzero", nonzero, len(v))
			}
		}
		if found != 1 {
			t.Errorf("%d FULLY_CONNECTED operators, want 1", found)
		}
	})
	t.Run("tf2_mobilenet_v2_1.0_224_ptq", func(t *testing.T) {
		m := mustDecode(t, readShared(t, "tf2_mobilenet_v2_1.0_224_ptq.tflite"))
		sg := &m.Subgraphs[0]
		first, last := &sg.Operators[0], &sg.Operators[len(sg.Operators)-1]
		if m.OpCode(first).BuiltinCode != OpQuantize || m.OpCode(last).BuiltinCode != OpQuantize {
			t.Fatalf("first and last operators %v %v, want QUANTIZE", m.OpCode(first).BuiltinCode, m.OpCode(last).BuiltinCode)
		}
		if a, b := sg.Tensors[first.Inputs[0]].Type, sg.Tensors[first.Outputs[0]].Type; a != TypeUint8 || b != TypeInt8 {
			t.Errorf("first QUANTIZE %v -> %v, want UINT8 -> INT8", a, b)
		}
		if a, b := sg.Tensors[last.Inputs[0]].Type, sg.Tensors[last.Outputs[0]].Type; a != TypeInt8 || b != TypeUint8 {
			t.Errorf("last QUANTIZE %v -> %v, want INT8 -> UINT8", a, b)
		}
	})
}
