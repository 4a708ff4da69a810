package onnxpb

import "strconv"

// DataType is TensorProto.DataType, the element type of a tensor.
type DataType int32

// TensorProto.DataType values.
const (
	DataTypeUndefined      DataType = 0
	DataTypeFloat          DataType = 1
	DataTypeUint8          DataType = 2
	DataTypeInt8           DataType = 3
	DataTypeUint16         DataType = 4
	DataTypeInt16          DataType = 5
	DataTypeInt32          DataType = 6
	DataTypeInt64          DataType = 7
	DataTypeString         DataType = 8
	DataTypeBool           DataType = 9
	DataTypeFloat16        DataType = 10
	DataTypeDouble         DataType = 11
	DataTypeUint32         DataType = 12
	DataTypeUint64         DataType = 13
	DataTypeComplex64      DataType = 14
	DataTypeComplex128     DataType = 15
	DataTypeBFloat16       DataType = 16
	DataTypeFloat8E4M3FN   DataType = 17
	DataTypeFloat8E4M3FNUZ DataType = 18
	DataTypeFloat8E5M2     DataType = 19
	DataTypeFloat8E5M2FNUZ DataType = 20
	DataTypeUint4          DataType = 21
	DataTypeInt4           DataType = 22
	DataTypeFloat4E2M1     DataType = 23
	DataTypeFloat8E8M0     DataType = 24
	DataTypeUint2          DataType = 25
	DataTypeInt2           DataType = 26
)

var dataTypeNames = [...]string{
	"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64",
	"STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64",
	"COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
	"FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2",
}

// String returns the ONNX name of the type ("FLOAT", "INT64", ...).
func (d DataType) String() string {
	if d >= 0 && int(d) < len(dataTypeNames) {
		return dataTypeNames[d]
	}
	return "DataType(" + strconv.Itoa(int(d)) + ")"
}

// Size returns the size in bytes of one element in raw_data, or 0 for
// STRING, UNDEFINED, sub-byte and unknown types.
func (d DataType) Size() int {
	switch d {
	case DataTypeUint8, DataTypeInt8, DataTypeBool,
		DataTypeFloat8E4M3FN, DataTypeFloat8E4M3FNUZ, DataTypeFloat8E5M2,
		DataTypeFloat8E5M2FNUZ, DataTypeFloat8E8M0:
		return 1
	case DataTypeUint16, DataTypeInt16, DataTypeFloat16, DataTypeBFloat16:
		return 2
	case DataTypeFloat, DataTypeInt32, DataTypeUint32:
		return 4
	case DataTypeInt64, DataTypeDouble, DataTypeUint64, DataTypeComplex64:
		return 8
	case DataTypeComplex128:
		return 16
	}
	return 0
}

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// AttributeProto.AttributeType values.
const (
	AttrTypeUndefined     AttrType = 0
	AttrTypeFloat         AttrType = 1
	AttrTypeInt           AttrType = 2
	AttrTypeString        AttrType = 3
	AttrTypeTensor        AttrType = 4
	AttrTypeGraph         AttrType = 5
	AttrTypeFloats        AttrType = 6
	AttrTypeInts          AttrType = 7
	AttrTypeStrings       AttrType = 8
	AttrTypeTensors       AttrType = 9
	AttrTypeGraphs        AttrType = 10
	AttrTypeSparseTensor  AttrType = 11
	AttrTypeSparseTensors AttrType = 12
	AttrTypeTypeProto     AttrType = 13
	AttrTypeTypeProtos    AttrType = 14
)

var attrTypeNames = [...]string{
	"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS",
	"STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS",
	"TYPE_PROTO", "TYPE_PROTOS",
}

// String returns the ONNX name of the attribute type ("INTS", ...).
func (a AttrType) String() string {
	if a >= 0 && int(a) < len(attrTypeNames) {
		return attrTypeNames[a]
	}
	return "AttrType(" + strconv.Itoa(int(a)) + ")"
}

// TypeKind says which member of TypeProto's value oneof a Type holds.
type TypeKind int32

// TypeProto value kinds; the numbers are the TypeProto field numbers.
const (
	TypeKindNone         TypeKind = 0
	TypeKindTensor       TypeKind = 1
	TypeKindSequence     TypeKind = 4
	TypeKindMap          TypeKind = 5
	TypeKindOpaque       TypeKind = 7
	TypeKindSparseTensor TypeKind = 8
	TypeKindOptional     TypeKind = 9
)

// String returns a lower-case name of the kind ("tensor", "sequence", ...).
func (k TypeKind) String() string {
	switch k {
	case TypeKindNone:
		return "none"
	case TypeKindTensor:
		return "tensor"
	case TypeKindSequence:
		return "sequence"
	case TypeKindMap:
		return "map"
	case TypeKindOpaque:
		return "opaque"
	case TypeKindSparseTensor:
		return "sparse_tensor"
	case TypeKindOptional:
		return "optional"
	}
	return "TypeKind(" + strconv.Itoa(int(k)) + ")"
}

// DataLocation values of TensorProto.data_location.
const (
	DataLocationDefault  int32 = 0
	DataLocationExternal int32 = 1
)
