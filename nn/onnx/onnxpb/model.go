package onnxpb

// Model is ModelProto.
type Model struct {
	IRVersion       int64                // 1
	ProducerName    string               // 2
	ProducerVersion string               // 3
	Domain          string               // 4
	ModelVersion    int64                // 5
	DocString       string               // 6
	Graph           *Graph               // 7
	OpsetImports    []*OperatorSetID     // 8
	MetadataProps   []*StringStringEntry // 14
	Functions       [][]byte             // 25: FunctionProto messages, undecoded
	Unknown         []byte               // other fields (training_info, ...), verbatim
}

// OperatorSetID is OperatorSetIdProto. Domain "" (or "ai.onnx") is the
// default ONNX operator set.
type OperatorSetID struct {
	Domain  string // 1
	Version int64  // 2
	Unknown []byte
}

// StringStringEntry is StringStringEntryProto.
type StringStringEntry struct {
	Key     string // 1
	Value   string // 2
	Unknown []byte
}

// Graph is GraphProto. Sparse initializers (field 15) are rejected by the
// decoder; quantization_annotation and metadata_props stay in Unknown.
type Graph struct {
	Nodes        []*Node      // 1
	Name         string       // 2
	Initializers []*Tensor    // 5
	DocString    string       // 10
	Inputs       []*ValueInfo // 11
	Outputs      []*ValueInfo // 12
	ValueInfo    []*ValueInfo // 13
	Unknown      []byte
}

// Node is NodeProto.
type Node struct {
	Inputs     []string     // 1; "" marks an omitted optional input
	Outputs    []string     // 2
	Name       string       // 3
	OpType     string       // 4
	Attributes []*Attribute // 5
	DocString  string       // 6
	Domain     string       // 7
	Unknown    []byte
}

// Attribute is AttributeProto. Type says which value field is in use; for
// models older than IR version 2 it may be AttrTypeUndefined (see Kind).
// Sparse tensor and type-proto values stay in Unknown.
type Attribute struct {
	Name        string    // 1
	F           float32   // 2
	I           int64     // 3
	S           []byte    // 4
	T           *Tensor   // 5
	G           *Graph    // 6
	Floats      []float32 // 7
	Ints        []int64   // 8
	Strings     [][]byte  // 9
	Tensors     []*Tensor // 10
	Graphs      []*Graph  // 11
	DocString   string    // 13
	Type        AttrType  // 20
	RefAttrName string    // 21
	Unknown     []byte
}

// ValueInfo is ValueInfoProto.
type ValueInfo struct {
	Name      string // 1
	Type      *Type  // 2; nil when absent
	DocString string // 3
	Unknown   []byte
}

// TensorValueInfo describes a tensor value of element type dt and the
// static shape dims.
func TensorValueInfo(name string, dt DataType, dims ...int64) *ValueInfo {
	s := &Shape{Dims: make([]*Dim, len(dims))}
	for i, d := range dims {
		s.Dims[i] = &Dim{Value: d, HasValue: true}
	}
	return &ValueInfo{Name: name, Type: &Type{Kind: TypeKindTensor, Tensor: &TensorType{ElemType: dt, Shape: s}}}
}

// Type is TypeProto. Kind says which oneof member is set: for
// TypeKindTensor, Tensor holds it; for the other kinds the member's
// serialized body is kept undecoded in Other.
type Type struct {
	Kind       TypeKind
	Tensor     *TensorType // field 1, when Kind == TypeKindTensor
	Other      []byte      // fields 4, 5, 7, 8, 9: body of the member, verbatim
	Denotation string      // 6
	Unknown    []byte
}

// TensorType is TypeProto.Tensor.
type TensorType struct {
	ElemType DataType // 1
	Shape    *Shape   // 2; nil = rank unknown, empty Dims = scalar
	Unknown  []byte
}

// Shape is TensorShapeProto.
type Shape struct {
	Dims    []*Dim // 1
	Unknown []byte
}

// Dim is TensorShapeProto.Dimension: a known size (HasValue, Value), a
// symbolic size (Param) or neither (unknown).
type Dim struct {
	Value      int64  // 1
	HasValue   bool   // dim_value present
	Param      string // 2
	Denotation string // 3
	Unknown    []byte
}

// Tensor is TensorProto. Segment (field 3) stays in Unknown.
type Tensor struct {
	Dims         []int64              // 1
	DataType     DataType             // 2
	FloatData    []float32            // 4
	Int32Data    []int32              // 5
	StringData   [][]byte             // 6
	Int64Data    []int64              // 7
	Name         string               // 8
	RawData      []byte               // 9
	DoubleData   []float64            // 10
	Uint64Data   []uint64             // 11
	DocString    string               // 12
	ExternalData []*StringStringEntry // 13
	DataLocation int32                // 14
	Unknown      []byte
}

// IsTensor reports whether t is a tensor type.
func (t *Type) IsTensor() bool { return t != nil && t.Kind == TypeKindTensor && t.Tensor != nil }

// Opset returns the version of the operator set imported for domain ("" and
// "ai.onnx" are the same domain), or 0 if it is not imported.
func (m *Model) Opset(domain string) int64 {
	if domain == "ai.onnx" {
		domain = ""
	}
	for _, o := range m.OpsetImports {
		d := o.Domain
		if d == "ai.onnx" {
			d = ""
		}
		if d == domain {
			return o.Version
		}
	}
	return 0
}
