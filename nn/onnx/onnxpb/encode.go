package onnxpb

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Marshal encodes m as a ModelProto.
func (m *Model) Marshal() []byte { return m.appendTo(nil) }

// Marshal encodes t as a TensorProto.
func (t *Tensor) Marshal() []byte { return t.appendTo(nil) }

// Marshal encodes g as a GraphProto.
func (g *Graph) Marshal() []byte { return g.appendTo(nil) }

type appender interface{ appendTo([]byte) []byte }

// appendMsg appends field num holding the encoding of m. The body is
// written in place after a one-byte length placeholder and shifted when the
// length needs more bytes, so nested messages are not copied through
// temporary buffers.
func appendMsg(b []byte, num protowire.Number, m appender) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	b = append(b, 0)
	b = m.appendTo(b)
	n := len(b) - start - 1
	k := protowire.SizeVarint(uint64(n))
	if k > 1 {
		b = append(b, make([]byte, k-1)...)
		copy(b[start+k:], b[start+1:start+1+n])
	}
	protowire.AppendVarint(b[start:start], uint64(n))
	return b
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendInt64 writes v unless it is zero.
func appendInt64(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	return appendVarint(b, num, uint64(v))
}

func appendPackedVarints[T int32 | int64 | uint64](b []byte, num protowire.Number, vs []T) []byte {
	if len(vs) == 0 {
		return b
	}
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(v)) // int32 sign-extends, as protobuf does
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

func (m *Model) appendTo(b []byte) []byte {
	b = appendInt64(b, 1, m.IRVersion)
	b = appendString(b, 2, m.ProducerName)
	b = appendString(b, 3, m.ProducerVersion)
	b = appendString(b, 4, m.Domain)
	b = appendInt64(b, 5, m.ModelVersion)
	b = appendString(b, 6, m.DocString)
	if m.Graph != nil {
		b = appendMsg(b, 7, m.Graph)
	}
	for _, o := range m.OpsetImports {
		b = appendMsg(b, 8, o)
	}
	for _, e := range m.MetadataProps {
		b = appendMsg(b, 14, e)
	}
	for _, f := range m.Functions {
		b = appendBytes(b, 25, f)
	}
	return append(b, m.Unknown...)
}

func (o *OperatorSetID) appendTo(b []byte) []byte {
	// Both fields are always written, as onnx.helper.make_opsetid does.
	b = appendBytes(b, 1, []byte(o.Domain))
	b = appendVarint(b, 2, uint64(o.Version))
	return append(b, o.Unknown...)
}

func (e *StringStringEntry) appendTo(b []byte) []byte {
	b = appendString(b, 1, e.Key)
	b = appendString(b, 2, e.Value)
	return append(b, e.Unknown...)
}

func (g *Graph) appendTo(b []byte) []byte {
	for _, n := range g.Nodes {
		b = appendMsg(b, 1, n)
	}
	b = appendString(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendMsg(b, 5, t)
	}
	b = appendString(b, 10, g.DocString)
	for _, v := range g.Inputs {
		b = appendMsg(b, 11, v)
	}
	for _, v := range g.Outputs {
		b = appendMsg(b, 12, v)
	}
	for _, v := range g.ValueInfo {
		b = appendMsg(b, 13, v)
	}
	return append(b, g.Unknown...)
}

func (n *Node) appendTo(b []byte) []byte {
	for _, s := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendString(b, 3, n.Name)
	b = appendString(b, 4, n.OpType)
	for _, a := range n.Attributes {
		b = appendMsg(b, 5, a)
	}
	b = appendString(b, 6, n.DocString)
	b = appendString(b, 7, n.Domain)
	return append(b, n.Unknown...)
}

// appendTo writes the value field named by Type even when it holds the zero
// value: the ONNX checker wants exactly one value field present.
func (a *Attribute) appendTo(b []byte) []byte {
	b = appendString(b, 1, a.Name)
	if a.F != 0 || math.Signbit(float64(a.F)) || a.Type == AttrTypeFloat {
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	}
	if a.I != 0 || a.Type == AttrTypeInt {
		b = appendVarint(b, 3, uint64(a.I))
	}
	if len(a.S) > 0 || a.Type == AttrTypeString {
		b = appendBytes(b, 4, a.S)
	}
	if a.T != nil {
		b = appendMsg(b, 5, a.T)
	}
	if a.G != nil {
		b = appendMsg(b, 6, a.G)
	}
	for _, f := range a.Floats {
		b = protowire.AppendTag(b, 7, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(f))
	}
	for _, i := range a.Ints {
		b = appendVarint(b, 8, uint64(i))
	}
	for _, s := range a.Strings {
		b = appendBytes(b, 9, s)
	}
	for _, t := range a.Tensors {
		b = appendMsg(b, 10, t)
	}
	for _, g := range a.Graphs {
		b = appendMsg(b, 11, g)
	}
	b = appendString(b, 13, a.DocString)
	if a.Type != AttrTypeUndefined {
		b = appendVarint(b, 20, uint64(int64(a.Type)))
	}
	b = appendString(b, 21, a.RefAttrName)
	return append(b, a.Unknown...)
}

func (v *ValueInfo) appendTo(b []byte) []byte {
	b = appendString(b, 1, v.Name)
	if v.Type != nil {
		b = appendMsg(b, 2, v.Type)
	}
	b = appendString(b, 3, v.DocString)
	return append(b, v.Unknown...)
}

func (t *Type) appendTo(b []byte) []byte {
	switch t.Kind {
	case TypeKindNone:
	case TypeKindTensor:
		tt := t.Tensor
		if tt == nil {
			tt = &TensorType{}
		}
		b = appendMsg(b, 1, tt)
	default:
		b = appendBytes(b, protowire.Number(t.Kind), t.Other)
	}
	b = appendString(b, 6, t.Denotation)
	return append(b, t.Unknown...)
}

func (t *TensorType) appendTo(b []byte) []byte {
	if t.ElemType != DataTypeUndefined {
		b = appendVarint(b, 1, uint64(int64(t.ElemType)))
	}
	if t.Shape != nil {
		b = appendMsg(b, 2, t.Shape)
	}
	return append(b, t.Unknown...)
}

func (s *Shape) appendTo(b []byte) []byte {
	for _, d := range s.Dims {
		b = appendMsg(b, 1, d)
	}
	return append(b, s.Unknown...)
}

func (d *Dim) appendTo(b []byte) []byte {
	if d.HasValue {
		b = appendVarint(b, 1, uint64(d.Value))
	} else {
		b = appendString(b, 2, d.Param)
	}
	b = appendString(b, 3, d.Denotation)
	return append(b, d.Unknown...)
}

func (t *Tensor) appendTo(b []byte) []byte {
	for _, d := range t.Dims {
		b = appendVarint(b, 1, uint64(d))
	}
	if t.DataType != DataTypeUndefined {
		b = appendVarint(b, 2, uint64(int64(t.DataType)))
	}
	if len(t.FloatData) > 0 {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(4*len(t.FloatData)))
		for _, f := range t.FloatData {
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	}
	b = appendPackedVarints(b, 5, t.Int32Data)
	for _, s := range t.StringData {
		b = appendBytes(b, 6, s)
	}
	b = appendPackedVarints(b, 7, t.Int64Data)
	b = appendString(b, 8, t.Name)
	if len(t.RawData) > 0 {
		b = appendBytes(b, 9, t.RawData)
	}
	if len(t.DoubleData) > 0 {
		b = protowire.AppendTag(b, 10, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(8*len(t.DoubleData)))
		for _, f := range t.DoubleData {
			b = protowire.AppendFixed64(b, math.Float64bits(f))
		}
	}
	b = appendPackedVarints(b, 11, t.Uint64Data)
	b = appendString(b, 12, t.DocString)
	for _, e := range t.ExternalData {
		b = appendMsg(b, 13, e)
	}
	if t.DataLocation != 0 {
		b = appendVarint(b, 14, uint64(int64(t.DataLocation)))
	}
	return append(b, t.Unknown...)
}
