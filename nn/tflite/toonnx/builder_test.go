package toonnx_test

// A small TFLite model builder on the fbtest flatbuffer writer, for models
// that exercise the operators vww_96_float does not.

import (
	"encoding/binary"
	"math"

	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
)

// tfModel builds a one-subgraph TFLite model.
type tfModel struct {
	tensors, buffers, ops []*fbtest.Table
	codes                 []fb.BuiltinOperator
	inputs, outputs       []int32
}

func newTFModel() *tfModel { return &tfModel{buffers: []*fbtest.Table{fbtest.Tbl()}} }

func i32s(v []int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// tensor adds a tensor without data and returns its index.
func (m *tfModel) tensor(name string, typ fb.TensorType, shape ...int) int32 {
	m.tensors = append(m.tensors, fbtest.Tbl().Ref(0, fbtest.VI32(i32s(shape)...)).I8(1, int8(typ)).Str(3, name))
	return int32(len(m.tensors) - 1)
}

func (m *tfModel) withData(ti int32, data []byte) int32 {
	m.buffers = append(m.buffers, fbtest.Tbl().Ref(0, fbtest.VBytes(data...)))
	m.tensors[ti].U32(2, uint32(len(m.buffers)-1))
	return ti
}

func (m *tfModel) constF32(name string, data []float32, shape ...int) int32 {
	var b []byte
	for _, x := range data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return m.withData(m.tensor(name, fb.TypeFloat32, shape...), b)
}

func (m *tfModel) constI32(name string, data []int32, shape ...int) int32 {
	var b []byte
	for _, x := range data {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return m.withData(m.tensor(name, fb.TypeInt32, shape...), b)
}

// op adds an operator; opts may be nil (no options table).
func (m *tfModel) op(code fb.BuiltinOperator, ins, outs []int32, typ fb.OptionsType, opts *fbtest.Table) {
	k := -1
	for i, c := range m.codes {
		if c == code {
			k = i
		}
	}
	if k < 0 {
		m.codes = append(m.codes, code)
		k = len(m.codes) - 1
	}
	t := fbtest.Tbl().U32(0, uint32(k)).Ref(1, fbtest.VI32(ins...)).Ref(2, fbtest.VI32(outs...))
	if typ != fb.OptionsNone {
		t.U8(3, uint8(typ))
		if opts != nil {
			t.Ref(4, opts)
		}
	}
	m.ops = append(m.ops, t)
}

func (m *tfModel) bytes() []byte {
	var codes []*fbtest.Table
	for _, c := range m.codes {
		ct := fbtest.Tbl().I32(2, 1).I32(3, int32(c))
		if c < fb.OpPlaceholderForGreaterOpCodes {
			ct.I8(0, int8(c))
		} else {
			ct.I8(0, int8(fb.OpPlaceholderForGreaterOpCodes))
		}
		codes = append(codes, ct)
	}
	sg := fbtest.Tbl().Tbls(0, m.tensors...).Ref(1, fbtest.VI32(m.inputs...)).Ref(2, fbtest.VI32(m.outputs...)).Tbls(3, m.ops...).Str(4, "main")
	root := fbtest.Tbl().U32(0, 3).Tbls(1, codes...).Tbls(2, sg).Str(3, "test").Tbls(4, m.buffers...)
	b, _ := fbtest.Build(root, fb.Identifier)
	return b
}
