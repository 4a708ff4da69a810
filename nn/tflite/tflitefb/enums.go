package tflitefb

import (
	"math"
	"strconv"
)

// The enums below follow tensorflow/lite schema.fbs (schema version 3 with
// the 3a/3b/3c extensions). Values not listed are kept as they are in the
// file; their String method says so.

// TensorType is the element type of a tensor (schema: enum TensorType : byte).
type TensorType int8

const (
	TypeFloat32    TensorType = 0
	TypeFloat16    TensorType = 1
	TypeInt32      TensorType = 2
	TypeUint8      TensorType = 3
	TypeInt64      TensorType = 4
	TypeString     TensorType = 5
	TypeBool       TensorType = 6
	TypeInt16      TensorType = 7
	TypeComplex64  TensorType = 8
	TypeInt8       TensorType = 9
	TypeFloat64    TensorType = 10
	TypeComplex128 TensorType = 11
	TypeUint64     TensorType = 12
	TypeResource   TensorType = 13
	TypeVariant    TensorType = 14
	TypeUint32     TensorType = 15
	TypeUint16     TensorType = 16
	TypeInt4       TensorType = 17
	TypeBfloat16   TensorType = 18
)

var tensorTypeNames = [...]string{
	"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64",
	"INT8", "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16",
	"INT4", "BFLOAT16",
}

var tensorTypeSizes = [...]int8{4, 2, 4, 1, 8, 0, 1, 2, 8, 1, 8, 16, 8, 0, 0, 4, 2, 0, 2}

// String returns the schema name ("FLOAT32", "INT8").
func (t TensorType) String() string {
	if t >= 0 && int(t) < len(tensorTypeNames) {
		return tensorTypeNames[t]
	}
	return "TensorType(" + strconv.Itoa(int(t)) + ")"
}

// Size returns the size of one element in bytes, or 0 when elements have no
// fixed byte size (STRING, RESOURCE, VARIANT, packed INT4) or the type is
// unknown.
func (t TensorType) Size() int {
	if t >= 0 && int(t) < len(tensorTypeSizes) {
		return int(tensorTypeSizes[t])
	}
	return 0
}

// BuiltinOperator is a builtin operator code (schema: enum BuiltinOperator :
// int32). Constants are defined for the operators an image model is likely to
// use; String knows every code up to STABLEHLO_CASE (209).
type BuiltinOperator int32

const (
	OpAdd                        BuiltinOperator = 0
	OpAveragePool2D              BuiltinOperator = 1
	OpConcatenation              BuiltinOperator = 2
	OpConv2D                     BuiltinOperator = 3
	OpDepthwiseConv2D            BuiltinOperator = 4
	OpDepthToSpace               BuiltinOperator = 5
	OpDequantize                 BuiltinOperator = 6
	OpFloor                      BuiltinOperator = 8
	OpFullyConnected             BuiltinOperator = 9
	OpL2Normalization            BuiltinOperator = 11
	OpL2Pool2D                   BuiltinOperator = 12
	OpLocalResponseNormalization BuiltinOperator = 13
	OpLogistic                   BuiltinOperator = 14
	OpMaxPool2D                  BuiltinOperator = 17
	OpMul                        BuiltinOperator = 18
	OpRelu                       BuiltinOperator = 19
	OpReluN1To1                  BuiltinOperator = 20
	OpRelu6                      BuiltinOperator = 21
	OpReshape                    BuiltinOperator = 22
	OpResizeBilinear             BuiltinOperator = 23
	OpSoftmax                    BuiltinOperator = 25
	OpSpaceToDepth               BuiltinOperator = 26
	OpTanh                       BuiltinOperator = 28
	OpCall                       BuiltinOperator = 31
	OpCustom                     BuiltinOperator = 32
	OpPad                        BuiltinOperator = 34
	OpGather                     BuiltinOperator = 36
	OpBatchToSpaceND             BuiltinOperator = 37
	OpSpaceToBatchND             BuiltinOperator = 38
	OpTranspose                  BuiltinOperator = 39
	OpMean                       BuiltinOperator = 40
	OpSub                        BuiltinOperator = 41
	OpDiv                        BuiltinOperator = 42
	OpSqueeze                    BuiltinOperator = 43
	OpStridedSlice               BuiltinOperator = 45
	OpExp                        BuiltinOperator = 47
	OpSplit                      BuiltinOperator = 49
	OpLogSoftmax                 BuiltinOperator = 50
	OpCast                       BuiltinOperator = 53
	OpPRelu                      BuiltinOperator = 54
	OpMaximum                    BuiltinOperator = 55
	OpArgMax                     BuiltinOperator = 56
	OpMinimum                    BuiltinOperator = 57
	OpNeg                        BuiltinOperator = 59
	OpPadV2                      BuiltinOperator = 60
	OpSlice                      BuiltinOperator = 65
	OpTransposeConv              BuiltinOperator = 67
	OpTile                       BuiltinOperator = 69
	OpExpandDims                 BuiltinOperator = 70
	OpSum                        BuiltinOperator = 74
	OpSqrt                       BuiltinOperator = 75
	OpRsqrt                      BuiltinOperator = 76
	OpShape                      BuiltinOperator = 77
	OpPow                        BuiltinOperator = 78
	OpArgMin                     BuiltinOperator = 79
	OpReduceProd                 BuiltinOperator = 81
	OpReduceMax                  BuiltinOperator = 82
	OpPack                       BuiltinOperator = 83
	OpUnpack                     BuiltinOperator = 88
	OpReduceMin                  BuiltinOperator = 89
	OpSquare                     BuiltinOperator = 92
	OpResizeNearestNeighbor      BuiltinOperator = 97
	OpLeakyRelu                  BuiltinOperator = 98
	OpSquaredDifference          BuiltinOperator = 99
	OpMirrorPad                  BuiltinOperator = 100
	OpAbs                        BuiltinOperator = 101
	OpSplitV                     BuiltinOperator = 102
	OpElu                        BuiltinOperator = 111
	OpQuantize                   BuiltinOperator = 114
	OpHardSwish                  BuiltinOperator = 117
	OpSelectV2                   BuiltinOperator = 123
	OpBatchMatMul                BuiltinOperator = 126
	// OpPlaceholderForGreaterOpCodes (127) is what deprecated_builtin_code
	// holds for operators whose code does not fit in a byte.
	OpPlaceholderForGreaterOpCodes BuiltinOperator = 127
	OpBroadcastTo                  BuiltinOperator = 130
	OpGelu                         BuiltinOperator = 150
	OpRelu0To1                     BuiltinOperator = 152
)

// String returns the schema name ("CONV_2D", "DEPTHWISE_CONV_2D").
func (op BuiltinOperator) String() string {
	if op >= 0 && int(op) < len(builtinOperatorNames) {
		return builtinOperatorNames[op]
	}
	return "BuiltinOperator(" + strconv.Itoa(int(op)) + ")"
}

// OptionsType is the type tag of the Operator.builtin_options union
// (schema: union BuiltinOptions). The values are the 1-based positions of the
// option tables in the union; 0 means no options.
type OptionsType uint8

const (
	OptionsNone                  OptionsType = 0
	OptionsConv2D                OptionsType = 1
	OptionsDepthwiseConv2D       OptionsType = 2
	OptionsPool2D                OptionsType = 5
	OptionsFullyConnected        OptionsType = 8
	OptionsSoftmax               OptionsType = 9
	OptionsConcatenation         OptionsType = 10
	OptionsAdd                   OptionsType = 11
	OptionsL2Norm                OptionsType = 12
	OptionsResizeBilinear        OptionsType = 15
	OptionsReshape               OptionsType = 17
	OptionsSpaceToDepth          OptionsType = 19
	OptionsMul                   OptionsType = 21
	OptionsPad                   OptionsType = 22
	OptionsGather                OptionsType = 23
	OptionsBatchToSpaceND        OptionsType = 24
	OptionsSpaceToBatchND        OptionsType = 25
	OptionsTranspose             OptionsType = 26
	OptionsReducer               OptionsType = 27
	OptionsSub                   OptionsType = 28
	OptionsDiv                   OptionsType = 29
	OptionsSqueeze               OptionsType = 30
	OptionsStridedSlice          OptionsType = 32
	OptionsExp                   OptionsType = 33
	OptionsSplit                 OptionsType = 35
	OptionsLogSoftmax            OptionsType = 36
	OptionsCast                  OptionsType = 37
	OptionsDequantize            OptionsType = 38
	OptionsMaximumMinimum        OptionsType = 39
	OptionsArgMax                OptionsType = 40
	OptionsNeg                   OptionsType = 42
	OptionsPadV2                 OptionsType = 43
	OptionsSlice                 OptionsType = 48
	OptionsTransposeConv         OptionsType = 49
	OptionsTile                  OptionsType = 51
	OptionsExpandDims            OptionsType = 52
	OptionsShape                 OptionsType = 55
	OptionsArgMin                OptionsType = 57
	OptionsPack                  OptionsType = 59
	OptionsUnpack                OptionsType = 64
	OptionsSquare                OptionsType = 66
	OptionsResizeNearestNeighbor OptionsType = 74
	OptionsLeakyRelu             OptionsType = 75
	OptionsSquaredDifference     OptionsType = 76
	OptionsMirrorPad             OptionsType = 77
	OptionsAbs                   OptionsType = 78
	OptionsSplitV                OptionsType = 79
	OptionsQuantize              OptionsType = 89
	OptionsHardSwish             OptionsType = 91
	OptionsDepthToSpace          OptionsType = 94
	OptionsSelectV2              OptionsType = 98
	OptionsBatchMatMul           OptionsType = 101
	OptionsBroadcastTo           OptionsType = 104
	OptionsGelu                  OptionsType = 116
)

// String returns the schema name of the options table ("Conv2DOptions"),
// "NONE" for 0.
func (o OptionsType) String() string {
	if int(o) < len(optionsTypeNames) {
		return optionsTypeNames[o]
	}
	return "OptionsType(" + strconv.Itoa(int(o)) + ")"
}

// Padding is the padding scheme of convolutions and pools (schema: enum
// Padding : byte).
type Padding int8

const (
	PaddingSame  Padding = 0
	PaddingValid Padding = 1
)

func (p Padding) String() string {
	switch p {
	case PaddingSame:
		return "SAME"
	case PaddingValid:
		return "VALID"
	}
	return "Padding(" + strconv.Itoa(int(p)) + ")"
}

// Window lays a convolution or pool window of k taps with stride s and
// dilation d over in positions under this padding: the number of outputs
// and the implicit padding before and after them (SAME: ceil(in/s)
// outputs, the odd padding element after, as TensorFlow pads; VALID:
// none). ok is false for an unknown padding, a size, stride or dilation
// below 1, a window that leaves no output, or padding beyond int32.
func (p Padding) Window(in, k, s, d int) (begin, end, out int, ok bool) {
	if in < 1 || k < 1 || s < 1 || d < 1 {
		return 0, 0, 0, false
	}
	i, kk, ss, dd := int64(in), int64(k), int64(s), int64(d)
	span := (kk-1)*dd + 1 // the dilated window
	var o, total int64
	switch p {
	case PaddingSame:
		o = (i + ss - 1) / ss
		total = max((o-1)*ss+span-i, 0)
	case PaddingValid:
		if i >= span {
			o = (i-span)/ss + 1
		}
	default:
		return 0, 0, 0, false
	}
	if o < 1 || total > math.MaxInt32 {
		return 0, 0, 0, false
	}
	return int(total / 2), int(total - total/2), int(o), true
}

// Activation is a fused activation function (schema: enum
// ActivationFunctionType : byte).
type Activation int8

const (
	ActNone      Activation = 0
	ActRelu      Activation = 1
	ActReluN1To1 Activation = 2
	ActRelu6     Activation = 3
	ActTanh      Activation = 4
	ActSignBit   Activation = 5
)

var activationNames = [...]string{"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"}

func (a Activation) String() string {
	if a >= 0 && int(a) < len(activationNames) {
		return activationNames[a]
	}
	return "Activation(" + strconv.Itoa(int(a)) + ")"
}

// WeightsFormat is FullyConnectedOptions.weights_format (schema: enum
// FullyConnectedOptionsWeightsFormat : byte).
type WeightsFormat int8

const (
	WeightsDefault          WeightsFormat = 0
	WeightsShuffled4x16Int8 WeightsFormat = 1
)

func (w WeightsFormat) String() string {
	switch w {
	case WeightsDefault:
		return "DEFAULT"
	case WeightsShuffled4x16Int8:
		return "SHUFFLED4x16INT8"
	}
	return "WeightsFormat(" + strconv.Itoa(int(w)) + ")"
}

// MirrorPadMode is MirrorPadOptions.mode (schema: enum MirrorPadMode : byte).
type MirrorPadMode int8

const (
	MirrorPadReflect   MirrorPadMode = 0
	MirrorPadSymmetric MirrorPadMode = 1
)

func (m MirrorPadMode) String() string {
	switch m {
	case MirrorPadReflect:
		return "REFLECT"
	case MirrorPadSymmetric:
		return "SYMMETRIC"
	}
	return "MirrorPadMode(" + strconv.Itoa(int(m)) + ")"
}

var builtinOperatorNames = [...]string{
	0:   "ADD",
	1:   "AVERAGE_POOL_2D",
	2:   "CONCATENATION",
	3:   "CONV_2D",
	4:   "DEPTHWISE_CONV_2D",
	5:   "DEPTH_TO_SPACE",
	6:   "DEQUANTIZE",
	7:   "EMBEDDING_LOOKUP",
	8:   "FLOOR",
	9:   "FULLY_CONNECTED",
	10:  "HASHTABLE_LOOKUP",
	11:  "L2_NORMALIZATION",
	12:  "L2_POOL_2D",
	13:  "LOCAL_RESPONSE_NORMALIZATION",
	14:  "LOGISTIC",
	15:  "LSH_PROJECTION",
	16:  "LSTM",
	17:  "MAX_POOL_2D",
	18:  "MUL",
	19:  "RELU",
	20:  "RELU_N1_TO_1",
	21:  "RELU6",
	22:  "RESHAPE",
	23:  "RESIZE_BILINEAR",
	24:  "RNN",
	25:  "SOFTMAX",
	26:  "SPACE_TO_DEPTH",
	27:  "SVDF",
	28:  "TANH",
	29:  "CONCAT_EMBEDDINGS",
	30:  "SKIP_GRAM",
	31:  "CALL",
	32:  "CUSTOM",
	33:  "EMBEDDING_LOOKUP_SPARSE",
	34:  "PAD",
	35:  "UNIDIRECTIONAL_SEQUENCE_RNN",
	36:  "GATHER",
	37:  "BATCH_TO_SPACE_ND",
	38:  "SPACE_TO_BATCH_ND",
	39:  "TRANSPOSE",
	40:  "MEAN",
	41:  "SUB",
	42:  "DIV",
	43:  "SQUEEZE",
	44:  "UNIDIRECTIONAL_SEQUENCE_LSTM",
	45:  "STRIDED_SLICE",
	46:  "BIDIRECTIONAL_SEQUENCE_RNN",
	47:  "EXP",
	48:  "TOPK_V2",
	49:  "SPLIT",
	50:  "LOG_SOFTMAX",
	51:  "DELEGATE",
	52:  "BIDIRECTIONAL_SEQUENCE_LSTM",
	53:  "CAST",
	54:  "PRELU",
	55:  "MAXIMUM",
	56:  "ARG_MAX",
	57:  "MINIMUM",
	58:  "LESS",
	59:  "NEG",
	60:  "PADV2",
	61:  "GREATER",
	62:  "GREATER_EQUAL",
	63:  "LESS_EQUAL",
	64:  "SELECT",
	65:  "SLICE",
	66:  "SIN",
	67:  "TRANSPOSE_CONV",
	68:  "SPARSE_TO_DENSE",
	69:  "TILE",
	70:  "EXPAND_DIMS",
	71:  "EQUAL",
	72:  "NOT_EQUAL",
	73:  "LOG",
	74:  "SUM",
	75:  "SQRT",
	76:  "RSQRT",
	77:  "SHAPE",
	78:  "POW",
	79:  "ARG_MIN",
	80:  "FAKE_QUANT",
	81:  "REDUCE_PROD",
	82:  "REDUCE_MAX",
	83:  "PACK",
	84:  "LOGICAL_OR",
	85:  "ONE_HOT",
	86:  "LOGICAL_AND",
	87:  "LOGICAL_NOT",
	88:  "UNPACK",
	89:  "REDUCE_MIN",
	90:  "FLOOR_DIV",
	91:  "REDUCE_ANY",
	92:  "SQUARE",
	93:  "ZEROS_LIKE",
	94:  "FILL",
	95:  "FLOOR_MOD",
	96:  "RANGE",
	97:  "RESIZE_NEAREST_NEIGHBOR",
	98:  "LEAKY_RELU",
	99:  "SQUARED_DIFFERENCE",
	100: "MIRROR_PAD",
	101: "ABS",
	102: "SPLIT_V",
	103: "UNIQUE",
	104: "CEIL",
	105: "REVERSE_V2",
	106: "ADD_N",
	107: "GATHER_ND",
	108: "COS",
	109: "WHERE",
	110: "RANK",
	111: "ELU",
	112: "REVERSE_SEQUENCE",
	113: "MATRIX_DIAG",
	114: "QUANTIZE",
	115: "MATRIX_SET_DIAG",
	116: "ROUND",
	117: "HARD_SWISH",
	118: "IF",
	119: "WHILE",
	120: "NON_MAX_SUPPRESSION_V4",
	121: "NON_MAX_SUPPRESSION_V5",
	122: "SCATTER_ND",
	123: "SELECT_V2",
	124: "DENSIFY",
	125: "SEGMENT_SUM",
	126: "BATCH_MATMUL",
	127: "PLACEHOLDER_FOR_GREATER_OP_CODES",
	128: "CUMSUM",
	129: "CALL_ONCE",
	130: "BROADCAST_TO",
	131: "RFFT2D",
	132: "CONV_3D",
	133: "IMAG",
	134: "REAL",
	135: "COMPLEX_ABS",
	136: "HASHTABLE",
	137: "HASHTABLE_FIND",
	138: "HASHTABLE_IMPORT",
	139: "HASHTABLE_SIZE",
	140: "REDUCE_ALL",
	141: "CONV_3D_TRANSPOSE",
	142: "VAR_HANDLE",
	143: "READ_VARIABLE",
	144: "ASSIGN_VARIABLE",
	145: "BROADCAST_ARGS",
	146: "RANDOM_STANDARD_NORMAL",
	147: "BUCKETIZE",
	148: "RANDOM_UNIFORM",
	149: "MULTINOMIAL",
	150: "GELU",
	151: "DYNAMIC_UPDATE_SLICE",
	152: "RELU_0_TO_1",
	153: "UNSORTED_SEGMENT_PROD",
	154: "UNSORTED_SEGMENT_MAX",
	155: "UNSORTED_SEGMENT_SUM",
	156: "ATAN2",
	157: "UNSORTED_SEGMENT_MIN",
	158: "SIGN",
	159: "BITCAST",
	160: "BITWISE_XOR",
	161: "RIGHT_SHIFT",
	162: "STABLEHLO_LOGISTIC",
	163: "STABLEHLO_ADD",
	164: "STABLEHLO_DIVIDE",
	165: "STABLEHLO_MULTIPLY",
	166: "STABLEHLO_MAXIMUM",
	167: "STABLEHLO_RESHAPE",
	168: "STABLEHLO_CLAMP",
	169: "STABLEHLO_CONCATENATE",
	170: "STABLEHLO_BROADCAST_IN_DIM",
	171: "STABLEHLO_CONVOLUTION",
	172: "STABLEHLO_SLICE",
	173: "STABLEHLO_CUSTOM_CALL",
	174: "STABLEHLO_REDUCE",
	175: "STABLEHLO_ABS",
	176: "STABLEHLO_AND",
	177: "STABLEHLO_COSINE",
	178: "STABLEHLO_EXPONENTIAL",
	179: "STABLEHLO_FLOOR",
	180: "STABLEHLO_LOG",
	181: "STABLEHLO_MINIMUM",
	182: "STABLEHLO_NEGATE",
	183: "STABLEHLO_OR",
	184: "STABLEHLO_POWER",
	185: "STABLEHLO_REMAINDER",
	186: "STABLEHLO_RSQRT",
	187: "STABLEHLO_SELECT",
	188: "STABLEHLO_SUBTRACT",
	189: "STABLEHLO_TANH",
	190: "STABLEHLO_SCATTER",
	191: "STABLEHLO_COMPARE",
	192: "STABLEHLO_CONVERT",
	193: "STABLEHLO_DYNAMIC_SLICE",
	194: "STABLEHLO_DYNAMIC_UPDATE_SLICE",
	195: "STABLEHLO_PAD",
	196: "STABLEHLO_IOTA",
	197: "STABLEHLO_DOT_GENERAL",
	198: "STABLEHLO_REDUCE_WINDOW",
	199: "STABLEHLO_SORT",
	200: "STABLEHLO_WHILE",
	201: "STABLEHLO_GATHER",
	202: "STABLEHLO_TRANSPOSE",
	203: "DILATE",
	204: "STABLEHLO_RNG_BIT_GENERATOR",
	205: "REDUCE_WINDOW",
	206: "STABLEHLO_COMPOSITE",
	207: "STABLEHLO_SHIFT_LEFT",
	208: "STABLEHLO_CBRT",
	209: "STABLEHLO_CASE",
}

var optionsTypeNames = [...]string{
	0:   "NONE",
	1:   "Conv2DOptions",
	2:   "DepthwiseConv2DOptions",
	3:   "ConcatEmbeddingsOptions",
	4:   "LSHProjectionOptions",
	5:   "Pool2DOptions",
	6:   "SVDFOptions",
	7:   "RNNOptions",
	8:   "FullyConnectedOptions",
	9:   "SoftmaxOptions",
	10:  "ConcatenationOptions",
	11:  "AddOptions",
	12:  "L2NormOptions",
	13:  "LocalResponseNormalizationOptions",
	14:  "LSTMOptions",
	15:  "ResizeBilinearOptions",
	16:  "CallOptions",
	17:  "ReshapeOptions",
	18:  "SkipGramOptions",
	19:  "SpaceToDepthOptions",
	20:  "EmbeddingLookupSparseOptions",
	21:  "MulOptions",
	22:  "PadOptions",
	23:  "GatherOptions",
	24:  "BatchToSpaceNDOptions",
	25:  "SpaceToBatchNDOptions",
	26:  "TransposeOptions",
	27:  "ReducerOptions",
	28:  "SubOptions",
	29:  "DivOptions",
	30:  "SqueezeOptions",
	31:  "SequenceRNNOptions",
	32:  "StridedSliceOptions",
	33:  "ExpOptions",
	34:  "TopKV2Options",
	35:  "SplitOptions",
	36:  "LogSoftmaxOptions",
	37:  "CastOptions",
	38:  "DequantizeOptions",
	39:  "MaximumMinimumOptions",
	40:  "ArgMaxOptions",
	41:  "LessOptions",
	42:  "NegOptions",
	43:  "PadV2Options",
	44:  "GreaterOptions",
	45:  "GreaterEqualOptions",
	46:  "LessEqualOptions",
	47:  "SelectOptions",
	48:  "SliceOptions",
	49:  "TransposeConvOptions",
	50:  "SparseToDenseOptions",
	51:  "TileOptions",
	52:  "ExpandDimsOptions",
	53:  "EqualOptions",
	54:  "NotEqualOptions",
	55:  "ShapeOptions",
	56:  "PowOptions",
	57:  "ArgMinOptions",
	58:  "FakeQuantOptions",
	59:  "PackOptions",
	60:  "LogicalOrOptions",
	61:  "OneHotOptions",
	62:  "LogicalAndOptions",
	63:  "LogicalNotOptions",
	64:  "UnpackOptions",
	65:  "FloorDivOptions",
	66:  "SquareOptions",
	67:  "ZerosLikeOptions",
	68:  "FillOptions",
	69:  "BidirectionalSequenceLSTMOptions",
	70:  "BidirectionalSequenceRNNOptions",
	71:  "UnidirectionalSequenceLSTMOptions",
	72:  "FloorModOptions",
	73:  "RangeOptions",
	74:  "ResizeNearestNeighborOptions",
	75:  "LeakyReluOptions",
	76:  "SquaredDifferenceOptions",
	77:  "MirrorPadOptions",
	78:  "AbsOptions",
	79:  "SplitVOptions",
	80:  "UniqueOptions",
	81:  "ReverseV2Options",
	82:  "AddNOptions",
	83:  "GatherNdOptions",
	84:  "CosOptions",
	85:  "WhereOptions",
	86:  "RankOptions",
	87:  "ReverseSequenceOptions",
	88:  "MatrixDiagOptions",
	89:  "QuantizeOptions",
	90:  "MatrixSetDiagOptions",
	91:  "HardSwishOptions",
	92:  "IfOptions",
	93:  "WhileOptions",
	94:  "DepthToSpaceOptions",
	95:  "NonMaxSuppressionV4Options",
	96:  "NonMaxSuppressionV5Options",
	97:  "ScatterNdOptions",
	98:  "SelectV2Options",
	99:  "DensifyOptions",
	100: "SegmentSumOptions",
	101: "BatchMatMulOptions",
	102: "CumsumOptions",
	103: "CallOnceOptions",
	104: "BroadcastToOptions",
	105: "Rfft2dOptions",
	106: "Conv3DOptions",
	107: "HashtableOptions",
	108: "HashtableFindOptions",
	109: "HashtableImportOptions",
	110: "HashtableSizeOptions",
	111: "VarHandleOptions",
	112: "ReadVariableOptions",
	113: "AssignVariableOptions",
	114: "RandomOptions",
	115: "BucketizeOptions",
	116: "GeluOptions",
	117: "DynamicUpdateSliceOptions",
	118: "UnsortedSegmentProdOptions",
	119: "UnsortedSegmentMaxOptions",
	120: "UnsortedSegmentMinOptions",
	121: "UnsortedSegmentSumOptions",
	122: "ATan2Options",
	123: "SignOptions",
	124: "BitcastOptions",
	125: "BitwiseXorOptions",
	126: "RightShiftOptions",
}
