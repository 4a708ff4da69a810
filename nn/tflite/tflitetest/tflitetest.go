// Package tflitetest builds small TFLite models for tests of the code that
// reads them (nn/tflite, nn/tflite/toonnx), on the fbtest flatbuffer writer.
package tflitetest

import (
	"encoding/binary"
	"math"

	fb "github.com/ocellus/ocellus/nn/tflite/tflitefb"
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
)

// Model builds a one-subgraph TFLite model: tensors (Tensor, ConstF32,
// ConstI32), operators (Op) and the graph inputs and outputs by tensor index.
type Model struct {
	tensors, buffers, ops []*fbtest.Table
	codes                 []fb.BuiltinOperator
	Inputs, Outputs       []int32
}

// NewModel starts a model with the empty buffer 0.
func NewModel() *Model { return &Model{buffers: []*fbtest.Table{fbtest.Tbl()}} }

// I32s converts ints to int32s.
func I32s(v []int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// Tensor adds a tensor without data and returns its index.
func (m *Model) Tensor(name string, typ fb.TensorType, shape ...int) int32 {
	m.tensors = append(m.tensors, fbtest.Tbl().Ref(0, fbtest.VI32(I32s(shape)...)).I8(1, int8(typ)).Str(3, name))
	return int32(len(m.tensors) - 1)
}

// WithData gives tensor ti the data in a new buffer.
func (m *Model) WithData(ti int32, data []byte) int32 {
	m.buffers = append(m.buffers, fbtest.Tbl().Ref(0, fbtest.VBytes(data...)))
	m.tensors[ti].U32(2, uint32(len(m.buffers)-1))
	return ti
}

// ConstF32 adds a float32 constant.
func (m *Model) ConstF32(name string, data []float32, shape ...int) int32 {
	var b []byte
	for _, x := range data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return m.WithData(m.Tensor(name, fb.TypeFloat32, shape...), b)
}

// ConstI32 adds an int32 constant.
func (m *Model) ConstI32(name string, data []int32, shape ...int) int32 {
	var b []byte
	for _, x := range data {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return m.WithData(m.Tensor(name, fb.TypeInt32, shape...), b)
}

// Op adds an operator; opts may be nil (no options table).
func (m *Model) Op(code fb.BuiltinOperator, ins, outs []int32, typ fb.OptionsType, opts *fbtest.Table) {
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

// Bytes is the model file.
func (m *Model) Bytes() []byte {
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
	sg := fbtest.Tbl().Tbls(0, m.tensors...).Ref(1, fbtest.VI32(m.Inputs...)).Ref(2, fbtest.VI32(m.Outputs...)).Tbls(3, m.ops...).Str(4, "main")
	root := fbtest.Tbl().U32(0, 3).Tbls(1, codes...).Tbls(2, sg).Str(3, "test").Tbls(4, m.buffers...)
	b, _ := fbtest.Build(root, fb.Identifier)
	return b
}
