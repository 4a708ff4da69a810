package tflitefb

// Model is a decoded TFLite model (schema table Model).
//
// A Model aliases the bytes it was decoded from: Buffers, Buffer.Data,
// Operator.CustomOptions and Metadata contents are sub-slices of the input.
// Keep the input alive and unmodified while the Model is in use; copy what
// must outlive it. Everything else (names, shapes, quantization parameters,
// options) is copied out.
type Model struct {
	// Version is the schema version; Decode accepts only 3.
	Version     uint32
	Description string
	// OperatorCodes is indexed by Operator.OpcodeIndex.
	OperatorCodes []OperatorCode
	// Subgraphs[0] is the main graph.
	Subgraphs []Subgraph
	// Buffers holds the raw bytes of each Buffer table, indexed by
	// Tensor.Buffer and Metadata.Buffer. Buffers[0] is by convention the
	// empty sentinel. Bytes stored outside the flatbuffer (schema 3c, models
	// over 2 GB: Buffer.offset/size) are resolved against the input too.
	Buffers [][]byte
	// Metadata entries name a buffer ("min_runtime_version",
	// "TFLITE_METADATA").
	Metadata []Metadata
	// MetadataBuffer is the deprecated Model.metadata_buffer list of buffer
	// indices.
	MetadataBuffer []int32
	SignatureDefs  []SignatureDef
}

// OperatorCode names the operator an Operator runs (schema table
// OperatorCode).
type OperatorCode struct {
	// BuiltinCode is max(deprecated_builtin_code, builtin_code), the rule of
	// schema 3a (tflite::GetBuiltinCode): files written before 3a only set
	// the byte-sized deprecated field, newer files set both (the deprecated
	// one to 127 for codes above 127).
	BuiltinCode BuiltinOperator
	// DeprecatedBuiltinCode and ExtendedBuiltinCode are the two raw fields.
	DeprecatedBuiltinCode int8
	ExtendedBuiltinCode   int32
	// CustomCode names a custom operator (BuiltinCode == OpCustom).
	CustomCode string
	// Version is the operator version (default 1).
	Version int32
}

// Subgraph is one graph of the model (schema table SubGraph).
type Subgraph struct {
	Name    string
	Tensors []Tensor
	// Inputs and Outputs index Tensors.
	Inputs, Outputs []int32
	// Operators are in execution order.
	Operators []Operator
}

// Tensor is a tensor of a subgraph (schema table Tensor).
type Tensor struct {
	Name string
	// Shape is NHWC for image tensors; empty for scalars (and for tensors of
	// unknown rank, see HasRank).
	Shape []int32
	// ShapeSignature is Shape with -1 for dynamic dimensions, nil if absent.
	ShapeSignature []int32
	HasRank        bool
	Type           TensorType
	// Buffer indexes Model.Buffers; 0 (the empty sentinel) for tensors
	// without constant data.
	Buffer uint32
	// Quantization is nil when the tensor has no QuantizationParameters.
	Quantization *Quantization
	IsVariable   bool
	// Sparse reports that the tensor has SparsityParameters; its Buffer
	// then holds the compressed form, which this package does not decode.
	Sparse bool
}

// Quantization holds a tensor's quantization parameters (schema table
// QuantizationParameters): real = Scale[i] * (q - ZeroPoint[i]).
type Quantization struct {
	Min, Max  []float32
	Scale     []float32
	ZeroPoint []int64
	// QuantizedDimension is the axis that Scale and ZeroPoint run along when
	// they have more than one element (per-axis quantization).
	QuantizedDimension int32
	// DetailsType is the QuantizationDetails union tag (1 =
	// CustomQuantization, 2 = BlockwiseQuantization); when it is not 0 the
	// schema says Min/Max/Scale/ZeroPoint are to be ignored. The details
	// themselves are not decoded.
	DetailsType uint8
}

// Quantized reports whether q carries scales (a QuantizationParameters table
// with only min/max, or none at all, means not quantized).
func (q *Quantization) Quantized() bool { return q != nil && len(q.Scale) > 0 }

// PerAxis reports whether q has more than one scale.
func (q *Quantization) PerAxis() bool { return q != nil && len(q.Scale) > 1 }

// Operator is one node of a subgraph (schema table Operator).
type Operator struct {
	// OpcodeIndex indexes Model.OperatorCodes.
	OpcodeIndex uint32
	// Inputs, Outputs and Intermediates index Subgraph.Tensors; -1 marks an
	// absent optional tensor.
	Inputs, Outputs []int32
	Intermediates   []int32
	// BuiltinOptionsType is the builtin_options union tag as stored.
	BuiltinOptionsType OptionsType
	// Options is the decoded builtin_options table: a value of the options
	// struct matching BuiltinOptionsType (Conv2DOptions, Pool2DOptions, …),
	// an UnsupportedOptions for a table this package does not decode, or nil
	// when BuiltinOptionsType is OptionsNone. A tag whose table is missing
	// decodes as the table with every field at its default.
	Options Options
	// BuiltinOptions2Type is the builtin_options_2 union tag (StableHLO
	// ops); that table is not decoded.
	BuiltinOptions2Type uint8
	// CustomOptions are the custom_options bytes (aliasing the input),
	// usually FlexBuffers (CustomOptionsFormat 0).
	CustomOptions       []byte
	CustomOptionsFormat int8
	// MutatingVariableInputs is empty or as long as Inputs.
	MutatingVariableInputs []bool
}

// Metadata names a buffer holding model metadata (schema table Metadata).
type Metadata struct {
	Name string
	// Buffer indexes Model.Buffers.
	Buffer uint32
}

// SignatureDef maps names to the tensors of one subgraph (schema table
// SignatureDef).
type SignatureDef struct {
	Key             string
	SubgraphIndex   uint32
	Inputs, Outputs []TensorMap
}

// TensorMap names a tensor of the signature's subgraph.
type TensorMap struct {
	Name        string
	TensorIndex uint32
}

// OpCode returns the OperatorCode of op, or nil if op.OpcodeIndex is out of
// range (never for a Model returned by Decode).
func (m *Model) OpCode(op *Operator) *OperatorCode {
	if uint64(op.OpcodeIndex) >= uint64(len(m.OperatorCodes)) {
		return nil
	}
	return &m.OperatorCodes[op.OpcodeIndex]
}

// MetadataBytes returns the buffer of the first metadata entry called name,
// or nil.
func (m *Model) MetadataBytes(name string) []byte {
	for _, md := range m.Metadata {
		if md.Name == name && uint64(md.Buffer) < uint64(len(m.Buffers)) {
			return m.Buffers[md.Buffer]
		}
	}
	return nil
}
