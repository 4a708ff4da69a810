package onnxpb

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// DecodeModel decodes a serialized ModelProto (the contents of a .onnx file).
func DecodeModel(b []byte) (*Model, error) {
	m := &Model{}
	if err := decodeModel(b, m); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeTensor decodes a serialized TensorProto (for example an input_0.pb
// file of the ONNX conformance tests).
func DecodeTensor(b []byte) (*Tensor, error) {
	t := &Tensor{}
	if err := decodeTensor(b, t); err != nil {
		return nil, err
	}
	return t, nil
}

// DecodeGraph decodes a serialized GraphProto.
func DecodeGraph(b []byte) (*Graph, error) {
	g := &Graph{}
	if err := decodeGraph(b, g, 0); err != nil {
		return nil, err
	}
	return g, nil
}

func malformed(field, format string, args ...any) error {
	return &DecodeError{Field: field, Msg: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

// wireErr describes a negative protowire length n met while reading what.
func wireErr(field string, n int, what string) error {
	err := protowire.ParseError(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed(field, "truncated %s", what)
	}
	return malformed(field, "bad %s: %v", what, err)
}

func wireName(t protowire.Type) string {
	switch t {
	case protowire.VarintType:
		return "varint"
	case protowire.Fixed32Type:
		return "fixed32"
	case protowire.Fixed64Type:
		return "fixed64"
	case protowire.BytesType:
		return "length-delimited"
	case protowire.StartGroupType:
		return "start-group"
	case protowire.EndGroupType:
		return "end-group"
	}
	return "wire type " + strconv.Itoa(int(t))
}

func wrongType(field string, got, want protowire.Type) error {
	return malformed(field, "wrong wire type %s, want %s", wireName(got), wireName(want))
}

// fieldReader walks the fields of one message.
type fieldReader struct {
	msg  string // message name for errors, e.g. "NodeProto"
	b    []byte // bytes left
	tag  []byte // bytes of the current field, from its tag on
	num  protowire.Number
	typ  protowire.Type
	name string // "NodeProto.input", set by the caller's switch via at()
}

// next reads the next tag. It returns false at the end of the message.
func (r *fieldReader) next() (bool, error) {
	if len(r.b) == 0 {
		return false, nil
	}
	num, typ, n := protowire.ConsumeTag(r.b)
	if n < 0 {
		return false, wireErr(r.msg, n, "tag")
	}
	r.tag = r.b
	r.num, r.typ = num, typ
	r.b = r.b[n:]
	r.name = r.msg
	return true, nil
}

// at names the current field for errors.
func (r *fieldReader) at(field string) *fieldReader {
	r.name = r.msg + "." + field
	return r
}

// skip consumes the current field's value and appends the whole field to
// unknown.
func (r *fieldReader) skip(unknown []byte) ([]byte, error) {
	n := protowire.ConsumeFieldValue(r.num, r.typ, r.b)
	if n < 0 {
		return unknown, wireErr(r.msg+" field "+strconv.Itoa(int(r.num)), n, wireName(r.typ)+" field")
	}
	r.b = r.b[n:]
	whole := r.tag[:len(r.tag)-len(r.b)]
	return append(unknown, whole...), nil
}

// bytes returns the value of the current length-delimited field, aliasing
// the input.
func (r *fieldReader) bytes() ([]byte, error) {
	if r.typ != protowire.BytesType {
		return nil, wrongType(r.name, r.typ, protowire.BytesType)
	}
	v, n := protowire.ConsumeBytes(r.b)
	if n < 0 {
		return nil, wireErr(r.name, n, "length-delimited field")
	}
	r.b = r.b[n:]
	return v, nil
}

func (r *fieldReader) str() (string, error) {
	v, err := r.bytes()
	return string(v), err
}

// copyBytes returns a copy of the current bytes field, nil when empty.
func (r *fieldReader) copyBytes() ([]byte, error) {
	v, err := r.bytes()
	if err != nil || len(v) == 0 {
		return nil, err
	}
	return append([]byte(nil), v...), nil
}

func (r *fieldReader) varint() (uint64, error) {
	if r.typ != protowire.VarintType {
		return 0, wrongType(r.name, r.typ, protowire.VarintType)
	}
	v, n := protowire.ConsumeVarint(r.b)
	if n < 0 {
		return 0, wireErr(r.name, n, "varint")
	}
	r.b = r.b[n:]
	return v, nil
}

func (r *fieldReader) int64() (int64, error) {
	v, err := r.varint()
	return int64(v), err
}

// int32 reads an int32 or enum varint (negative values are sign-extended to
// 64 bits on the wire; larger values are truncated as protobuf does).
func (r *fieldReader) int32() (int32, error) {
	v, err := r.varint()
	return int32(v), err
}

func (r *fieldReader) fixed32() (uint32, error) {
	if r.typ != protowire.Fixed32Type {
		return 0, wrongType(r.name, r.typ, protowire.Fixed32Type)
	}
	v, n := protowire.ConsumeFixed32(r.b)
	if n < 0 {
		return 0, wireErr(r.name, n, "fixed32")
	}
	r.b = r.b[n:]
	return v, nil
}

// appendFloats reads one float (unpacked) or a packed run of floats.
func (r *fieldReader) appendFloats(dst []float32) ([]float32, error) {
	if r.typ == protowire.Fixed32Type {
		v, err := r.fixed32()
		return append(dst, math.Float32frombits(v)), err
	}
	if r.typ != protowire.BytesType {
		return dst, wrongType(r.name, r.typ, protowire.Fixed32Type)
	}
	p, err := r.bytes()
	if err != nil {
		return dst, err
	}
	if len(p)%4 != 0 {
		return dst, malformed(r.name, "packed fixed32 run of %d bytes is not a multiple of 4", len(p))
	}
	dst = grow(dst, len(p)/4)
	for i := 0; i < len(p); i += 4 {
		v, _ := protowire.ConsumeFixed32(p[i:])
		dst = append(dst, math.Float32frombits(v))
	}
	return dst, nil
}

// appendDoubles reads one double (unpacked) or a packed run of doubles.
func (r *fieldReader) appendDoubles(dst []float64) ([]float64, error) {
	switch r.typ {
	case protowire.Fixed64Type:
		v, n := protowire.ConsumeFixed64(r.b)
		if n < 0 {
			return dst, wireErr(r.name, n, "fixed64")
		}
		r.b = r.b[n:]
		return append(dst, math.Float64frombits(v)), nil
	case protowire.BytesType:
	default:
		return dst, wrongType(r.name, r.typ, protowire.Fixed64Type)
	}
	p, err := r.bytes()
	if err != nil {
		return dst, err
	}
	if len(p)%8 != 0 {
		return dst, malformed(r.name, "packed fixed64 run of %d bytes is not a multiple of 8", len(p))
	}
	dst = grow(dst, len(p)/8)
	for i := 0; i < len(p); i += 8 {
		v, _ := protowire.ConsumeFixed64(p[i:])
		dst = append(dst, math.Float64frombits(v))
	}
	return dst, nil
}

// appendVarints reads one varint (unpacked) or a packed run of varints,
// converting each with conv.
func appendVarints[T any](r *fieldReader, dst []T, conv func(uint64) T) ([]T, error) {
	if r.typ == protowire.VarintType {
		v, err := r.varint()
		return append(dst, conv(v)), err
	}
	if r.typ != protowire.BytesType {
		return dst, wrongType(r.name, r.typ, protowire.VarintType)
	}
	p, err := r.bytes()
	if err != nil {
		return dst, err
	}
	// Every varint ends in exactly one byte below 0x80: count them to
	// allocate once, bounded by the bytes present.
	n := 0
	for _, c := range p {
		if c < 0x80 {
			n++
		}
	}
	dst = grow(dst, n)
	for len(p) > 0 {
		v, k := protowire.ConsumeVarint(p)
		if k < 0 {
			return dst, wireErr(r.name, k, "varint in packed run")
		}
		p = p[k:]
		dst = append(dst, conv(v))
	}
	return dst, nil
}

func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	t := make([]T, len(s), len(s)+n)
	copy(t, s)
	return t
}

func toInt64(v uint64) int64   { return int64(v) }
func toInt32(v uint64) int32   { return int32(v) }
func toUint64(v uint64) uint64 { return v }

// message decodes the current length-delimited field with dec, and
// prefixes errors from inside it with at.
func (r *fieldReader) message(at string, dec func([]byte) error) error {
	v, err := r.bytes()
	if err != nil {
		return err
	}
	if err := dec(v); err != nil {
		return within(err, at)
	}
	return nil
}

func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

func decodeModel(b []byte, m *Model) error {
	r := &fieldReader{msg: "ModelProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			m.IRVersion, err = r.at("ir_version").int64()
		case 2:
			m.ProducerName, err = r.at("producer_name").str()
		case 3:
			m.ProducerVersion, err = r.at("producer_version").str()
		case 4:
			m.Domain, err = r.at("domain").str()
		case 5:
			m.ModelVersion, err = r.at("model_version").int64()
		case 6:
			m.DocString, err = r.at("doc_string").str()
		case 7:
			if m.Graph == nil {
				m.Graph = &Graph{}
			}
			err = r.at("graph").message("ModelProto.graph", func(v []byte) error {
				return decodeGraph(v, m.Graph, 0)
			})
		case 8:
			o := &OperatorSetID{}
			err = r.at("opset_import").message(indexed("ModelProto.opset_import", len(m.OpsetImports)), func(v []byte) error {
				return decodeOpset(v, o)
			})
			m.OpsetImports = append(m.OpsetImports, o)
		case 14:
			e := &StringStringEntry{}
			err = r.at("metadata_props").message(indexed("ModelProto.metadata_props", len(m.MetadataProps)), func(v []byte) error {
				return decodeEntry(v, e)
			})
			m.MetadataProps = append(m.MetadataProps, e)
		case 25:
			var f []byte
			f, err = r.at("functions").bytes()
			m.Functions = append(m.Functions, append([]byte{}, f...))
		default:
			m.Unknown, err = r.skip(m.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeOpset(b []byte, o *OperatorSetID) error {
	r := &fieldReader{msg: "OperatorSetIdProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			o.Domain, err = r.at("domain").str()
		case 2:
			o.Version, err = r.at("version").int64()
		default:
			o.Unknown, err = r.skip(o.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeEntry(b []byte, e *StringStringEntry) error {
	r := &fieldReader{msg: "StringStringEntryProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			e.Key, err = r.at("key").str()
		case 2:
			e.Value, err = r.at("value").str()
		default:
			e.Unknown, err = r.skip(e.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

// decodeGraph decodes a GraphProto nested depth graphs below the main graph.
func decodeGraph(b []byte, g *Graph, depth int) error {
	if depth > MaxGraphDepth {
		return malformed("GraphProto", "subgraphs nested deeper than %d", MaxGraphDepth)
	}
	r := &fieldReader{msg: "GraphProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			n := &Node{}
			err = r.at("node").message(indexed("GraphProto.node", len(g.Nodes)), func(v []byte) error {
				return decodeNode(v, n, depth)
			})
			g.Nodes = append(g.Nodes, n)
		case 2:
			g.Name, err = r.at("name").str()
		case 5:
			t := &Tensor{}
			err = r.at("initializer").message(indexed("GraphProto.initializer", len(g.Initializers)), func(v []byte) error {
				return decodeTensor(v, t)
			})
			g.Initializers = append(g.Initializers, t)
		case 10:
			g.DocString, err = r.at("doc_string").str()
		case 11, 12, 13:
			var list *[]*ValueInfo
			var field string
			switch r.num {
			case 11:
				list, field = &g.Inputs, "input"
			case 12:
				list, field = &g.Outputs, "output"
			default:
				list, field = &g.ValueInfo, "value_info"
			}
			vi := &ValueInfo{}
			err = r.at(field).message(indexed("GraphProto."+field, len(*list)), func(v []byte) error {
				return decodeValueInfo(v, vi)
			})
			*list = append(*list, vi)
		case 15:
			return &DecodeError{Field: "GraphProto.sparse_initializer",
				Msg: "sparse initializers are not supported", Err: ErrUnsupported}
		default:
			g.Unknown, err = r.skip(g.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeNode(b []byte, n *Node, depth int) error {
	r := &fieldReader{msg: "NodeProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			var s string
			s, err = r.at("input").str()
			n.Inputs = append(n.Inputs, s)
		case 2:
			var s string
			s, err = r.at("output").str()
			n.Outputs = append(n.Outputs, s)
		case 3:
			n.Name, err = r.at("name").str()
		case 4:
			n.OpType, err = r.at("op_type").str()
		case 5:
			a := &Attribute{}
			err = r.at("attribute").message(indexed("NodeProto.attribute", len(n.Attributes)), func(v []byte) error {
				return decodeAttribute(v, a, depth)
			})
			n.Attributes = append(n.Attributes, a)
		case 6:
			n.DocString, err = r.at("doc_string").str()
		case 7:
			n.Domain, err = r.at("domain").str()
		default:
			n.Unknown, err = r.skip(n.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeAttribute(b []byte, a *Attribute, depth int) error {
	r := &fieldReader{msg: "AttributeProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			a.Name, err = r.at("name").str()
		case 2:
			var v uint32
			v, err = r.at("f").fixed32()
			a.F = math.Float32frombits(v)
		case 3:
			a.I, err = r.at("i").int64()
		case 4:
			a.S, err = r.at("s").copyBytes()
		case 5:
			if a.T == nil {
				a.T = &Tensor{}
			}
			err = r.at("t").message("AttributeProto.t", func(v []byte) error {
				return decodeTensor(v, a.T)
			})
		case 6:
			if a.G == nil {
				a.G = &Graph{}
			}
			err = r.at("g").message("AttributeProto.g", func(v []byte) error {
				return decodeGraph(v, a.G, depth+1)
			})
		case 7:
			a.Floats, err = r.at("floats").appendFloats(a.Floats)
		case 8:
			a.Ints, err = appendVarints(r.at("ints"), a.Ints, toInt64)
		case 9:
			var s []byte
			s, err = r.at("strings").copyBytes()
			a.Strings = append(a.Strings, s)
		case 10:
			t := &Tensor{}
			err = r.at("tensors").message(indexed("AttributeProto.tensors", len(a.Tensors)), func(v []byte) error {
				return decodeTensor(v, t)
			})
			a.Tensors = append(a.Tensors, t)
		case 11:
			g := &Graph{}
			err = r.at("graphs").message(indexed("AttributeProto.graphs", len(a.Graphs)), func(v []byte) error {
				return decodeGraph(v, g, depth+1)
			})
			a.Graphs = append(a.Graphs, g)
		case 13:
			a.DocString, err = r.at("doc_string").str()
		case 20:
			var v int32
			v, err = r.at("type").int32()
			a.Type = AttrType(v)
		case 21:
			a.RefAttrName, err = r.at("ref_attr_name").str()
		default:
			a.Unknown, err = r.skip(a.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeValueInfo(b []byte, vi *ValueInfo) error {
	r := &fieldReader{msg: "ValueInfoProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			vi.Name, err = r.at("name").str()
		case 2:
			if vi.Type == nil {
				vi.Type = &Type{}
			}
			err = r.at("type").message("ValueInfoProto.type", func(v []byte) error {
				return decodeType(v, vi.Type)
			})
		case 3:
			vi.DocString, err = r.at("doc_string").str()
		default:
			vi.Unknown, err = r.skip(vi.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeType(b []byte, t *Type) error {
	r := &fieldReader{msg: "TypeProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			// A repeated message field merges; another oneof member
			// replaces.
			if t.Kind != TypeKindTensor || t.Tensor == nil {
				t.Kind, t.Tensor, t.Other = TypeKindTensor, &TensorType{}, nil
			}
			err = r.at("tensor_type").message("TypeProto.tensor_type", func(v []byte) error {
				return decodeTensorType(v, t.Tensor)
			})
		case 4, 5, 7, 8, 9:
			var v []byte
			v, err = r.at(TypeKind(r.num).String() + "_type").bytes()
			k := TypeKind(r.num)
			if t.Kind != k {
				t.Kind, t.Tensor, t.Other = k, nil, nil
			}
			// Concatenated encodings of a message merge, as repeated
			// occurrences of the field must.
			t.Other = append(t.Other, v...)
		case 6:
			t.Denotation, err = r.at("denotation").str()
		default:
			t.Unknown, err = r.skip(t.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeTensorType(b []byte, t *TensorType) error {
	r := &fieldReader{msg: "TypeProto.Tensor", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			var v int32
			v, err = r.at("elem_type").int32()
			t.ElemType = DataType(v)
		case 2:
			if t.Shape == nil {
				t.Shape = &Shape{}
			}
			err = r.at("shape").message("TypeProto.Tensor.shape", func(v []byte) error {
				return decodeShape(v, t.Shape)
			})
		default:
			t.Unknown, err = r.skip(t.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeShape(b []byte, s *Shape) error {
	r := &fieldReader{msg: "TensorShapeProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			d := &Dim{}
			err = r.at("dim").message(indexed("TensorShapeProto.dim", len(s.Dims)), func(v []byte) error {
				return decodeDim(v, d)
			})
			s.Dims = append(s.Dims, d)
		default:
			s.Unknown, err = r.skip(s.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeDim(b []byte, d *Dim) error {
	r := &fieldReader{msg: "TensorShapeProto.Dimension", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			d.Value, err = r.at("dim_value").int64()
			d.HasValue, d.Param = true, ""
		case 2:
			d.Param, err = r.at("dim_param").str()
			d.HasValue, d.Value = false, 0
		case 3:
			d.Denotation, err = r.at("denotation").str()
		default:
			d.Unknown, err = r.skip(d.Unknown)
		}
		if err != nil {
			return err
		}
	}
}

func decodeTensor(b []byte, t *Tensor) error {
	r := &fieldReader{msg: "TensorProto", b: b}
	for {
		ok, err := r.next()
		if !ok || err != nil {
			return err
		}
		switch r.num {
		case 1:
			t.Dims, err = appendVarints(r.at("dims"), t.Dims, toInt64)
		case 2:
			var v int32
			v, err = r.at("data_type").int32()
			t.DataType = DataType(v)
		case 4:
			t.FloatData, err = r.at("float_data").appendFloats(t.FloatData)
		case 5:
			t.Int32Data, err = appendVarints(r.at("int32_data"), t.Int32Data, toInt32)
		case 6:
			var s []byte
			s, err = r.at("string_data").copyBytes()
			t.StringData = append(t.StringData, s)
		case 7:
			t.Int64Data, err = appendVarints(r.at("int64_data"), t.Int64Data, toInt64)
		case 8:
			t.Name, err = r.at("name").str()
		case 9:
			t.RawData, err = r.at("raw_data").copyBytes()
		case 10:
			t.DoubleData, err = r.at("double_data").appendDoubles(t.DoubleData)
		case 11:
			t.Uint64Data, err = appendVarints(r.at("uint64_data"), t.Uint64Data, toUint64)
		case 12:
			t.DocString, err = r.at("doc_string").str()
		case 13:
			e := &StringStringEntry{}
			err = r.at("external_data").message(indexed("TensorProto.external_data", len(t.ExternalData)), func(v []byte) error {
				return decodeEntry(v, e)
			})
			t.ExternalData = append(t.ExternalData, e)
		case 14:
			t.DataLocation, err = r.at("data_location").int32()
		default:
			t.Unknown, err = r.skip(t.Unknown)
		}
		if err != nil {
			return err
		}
	}
}
