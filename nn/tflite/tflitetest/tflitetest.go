// Package tflitetest builds small TFLite models for tests of the code that
// reads them (nn/tflite, nn/tflite/toonnx), on the fbtest flatbuffer writer.
package tflitetest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os"
	"testing"

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

// RandF32 is n values uniform in [−1, 1).
func RandF32(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

// FloatOps is a float model with most operators nn/tflite and toonnx read
// (CONV_2D, DEPTHWISE_CONV_2D, ADD, MUL, HARD_SWISH, MAX_POOL_2D, PAD,
// LOGISTIC, CONCATENATION, RELU, AVERAGE_POOL_2D, MEAN, SQUEEZE,
// FULLY_CONNECTED, SOFTMAX, RESHAPE) on an 8×8×3 input, with four outputs: probabilities, a ReduceMean over
// channels, a flattened rank-4 tensor (element order) and a rank-4 tensor
// the converted graph holds channels-first (transposed back on output).
func FloatOps() []byte {
	rng := rand.New(rand.NewSource(7))
	m := NewModel()
	f := fb.TypeFloat32
	x := m.Tensor("input", f, 1, 8, 8, 3)
	m.Inputs = []int32{x}

	w1 := m.ConstF32("w1", RandF32(rng, 6*3*3*3), 6, 3, 3, 3)
	b1 := m.ConstF32("b1", RandF32(rng, 6), 6)
	t1 := m.Tensor("conv", f, 1, 4, 4, 6)
	m.Op(fb.OpConv2D, []int32{x, w1, b1}, []int32{t1}, fb.OptionsConv2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingSame)).I32(1, 2).I32(2, 2).I8(3, int8(fb.ActRelu6)))

	w2 := m.ConstF32("w2", RandF32(rng, 3*3*12), 1, 3, 3, 12)
	b2 := m.ConstF32("b2", RandF32(rng, 12), 12)
	t2 := m.Tensor("dw", f, 1, 4, 4, 12)
	m.Op(fb.OpDepthwiseConv2D, []int32{t1, w2, b2}, []int32{t2}, fb.OptionsDepthwiseConv2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingSame)).I32(1, 1).I32(2, 1).I32(3, 2).I8(4, int8(fb.ActRelu)))

	c3 := m.ConstF32("c3", RandF32(rng, 12), 12)
	t3 := m.Tensor("add", f, 1, 4, 4, 12)
	m.Op(fb.OpAdd, []int32{t2, c3}, []int32{t3}, fb.OptionsAdd, fbtest.Tbl())
	t4 := m.Tensor("mul", f, 1, 4, 4, 12)
	m.Op(fb.OpMul, []int32{t2, t3}, []int32{t4}, fb.OptionsMul, fbtest.Tbl().I8(0, int8(fb.ActReluN1To1)))
	t5 := m.Tensor("hswish", f, 1, 4, 4, 12)
	m.Op(fb.OpHardSwish, []int32{t4}, []int32{t5}, fb.OptionsHardSwish, nil)
	t6 := m.Tensor("maxpool", f, 1, 2, 2, 12)
	m.Op(fb.OpMaxPool2D, []int32{t5}, []int32{t6}, fb.OptionsPool2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingValid)).I32(1, 2).I32(2, 2).I32(3, 2).I32(4, 2))
	pads := m.ConstI32("pads", []int32{0, 0, 1, 0, 0, 1, 0, 0}, 4, 2)
	t7 := m.Tensor("pad", f, 1, 3, 3, 12)
	m.Op(fb.OpPad, []int32{t6, pads}, []int32{t7}, fb.OptionsPad, nil)
	t8 := m.Tensor("sigmoid", f, 1, 3, 3, 12)
	m.Op(fb.OpLogistic, []int32{t7}, []int32{t8}, fb.OptionsNone, nil)
	t9 := m.Tensor("concat", f, 1, 3, 3, 24)
	m.Op(fb.OpConcatenation, []int32{t8, t7}, []int32{t9}, fb.OptionsConcatenation, fbtest.Tbl().I32(0, -1))
	t10 := m.Tensor("relu", f, 1, 3, 3, 24)
	m.Op(fb.OpRelu, []int32{t9}, []int32{t10}, fb.OptionsNone, nil)
	t11 := m.Tensor("avgpool", f, 1, 3, 3, 24)
	m.Op(fb.OpAveragePool2D, []int32{t10}, []int32{t11}, fb.OptionsPool2D,
		fbtest.Tbl().I8(0, int8(fb.PaddingSame)).I32(1, 1).I32(2, 1).I32(3, 2).I32(4, 2))
	ax := m.ConstI32("axes", []int32{1, 2}, 2)
	t12 := m.Tensor("mean", f, 1, 1, 1, 24)
	m.Op(fb.OpMean, []int32{t11, ax}, []int32{t12}, fb.OptionsReducer, fbtest.Tbl().U8(0, 1))
	t13 := m.Tensor("squeeze", f, 1, 24)
	m.Op(fb.OpSqueeze, []int32{t12}, []int32{t13}, fb.OptionsSqueeze, fbtest.Tbl().Ref(0, fbtest.VI32(1, 2)))
	wf := m.ConstF32("wf", RandF32(rng, 5*24), 5, 24)
	bf := m.ConstF32("bf", RandF32(rng, 5), 5)
	t14 := m.Tensor("fc", f, 1, 5)
	m.Op(fb.OpFullyConnected, []int32{t13, wf, bf}, []int32{t14}, fb.OptionsFullyConnected, fbtest.Tbl())
	t15 := m.Tensor("probs", f, 1, 5)
	m.Op(fb.OpSoftmax, []int32{t14}, []int32{t15}, fb.OptionsSoftmax, fbtest.Tbl().F32(0, 1))
	ax2 := m.ConstI32("axes2", []int32{-1}, 1)
	t16 := m.Tensor("chanmean", f, 1, 3, 3)
	m.Op(fb.OpMean, []int32{t11, ax2}, []int32{t16}, fb.OptionsReducer, fbtest.Tbl())
	t17 := m.Tensor("flat", f, 1, 216)
	m.Op(fb.OpReshape, []int32{t10}, []int32{t17}, fb.OptionsReshape, fbtest.Tbl().Ref(0, fbtest.VI32(1, 216)))
	m.Outputs = []int32{t15, t16, t17, t11}
	return m.Bytes()
}

// Corrupt feeds decode corrupted TFLite models and returns how many it
// refused, of how many: every 7th truncation of small (each must be
// refused), mutations of small (fbtest.Mutate; 3000, or 500 with -short)
// and 100 copies of big mutated in its first and last 16 KiB, where a
// file's tables are rather than its weights. Any of the mutations may
// decode or fail; none may panic, which a panic in decode makes the test
// fail. The random seed is 1, or the integer in the environment variable
// seedEnv to replay or vary a run; it is logged.
func Corrupt(t *testing.T, seedEnv string, small, big []byte, decode func([]byte) error) (refused, tried int) {
	t.Helper()
	seed := int64(1)
	if s := os.Getenv(seedEnv); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (%s)", seed, seedEnv)
	rng := rand.New(rand.NewSource(seed))
	for n := 0; n < len(small); n += 7 {
		if err := decode(small[:n]); err == nil {
			t.Errorf("model truncated to %d of %d bytes: no error", n, len(small))
		}
	}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for range n {
		if decode(fbtest.Mutate(rng, small)) != nil {
			refused++
		}
	}
	const edge = 16 << 10
	for range 100 {
		c := fbtest.Mutate(rng, big[:edge])
		c = append(c, big[edge:len(big)-edge]...)
		c = append(c, fbtest.Mutate(rng, big[len(big)-edge:])...)
		if decode(c) != nil {
			refused++
		}
	}
	return refused, n + 100
}
