package tflitefb

import "fmt"

// Options is the decoded builtin_options table of an operator. The dynamic
// type is one of the *Options structs below (as a value, not a pointer) or
// UnsupportedOptions. Field defaults are the schema's: a field missing from
// the file reads as its schema default (dilations 1, AddOptions.PotScaleInt16
// true, …). Enum fields hold the value found in the file, which may be
// outside the enum (String then says "Padding(7)"); the converter decides
// what to reject.
//
// Some operators have no options table in the schema (LOGISTIC, RELU, RELU6,
// TANH, …; there is no LogisticOptions): their Options is nil.
type Options interface {
	// OptionsType returns the union tag the options were decoded from.
	OptionsType() OptionsType
}

// UnsupportedOptions stands for an options table this package does not
// decode; its bytes are left unread (and unchecked).
type UnsupportedOptions struct{ Type OptionsType }

func (o UnsupportedOptions) OptionsType() OptionsType { return o.Type }

// String returns "unsupported options type N (Name)".
func (o UnsupportedOptions) String() string {
	return fmt.Sprintf("unsupported options type %d (%s)", uint8(o.Type), o.Type)
}

// Conv2DOptions (CONV_2D).
type Conv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int32
	FusedActivation      Activation
	DilationW, DilationH int32 // default 1
	// QuantizedBiasType, when not 0 (FLOAT32, i.e. unset), is the type of
	// the bias and accumulator (Conv2D version 8+).
	QuantizedBiasType TensorType
}

// DepthwiseConv2DOptions (DEPTHWISE_CONV_2D). DepthMultiplier is redundant
// with the shapes (the schema says it is ignored after TF 2.0).
type DepthwiseConv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int32
	DepthMultiplier      int32
	FusedActivation      Activation
	DilationW, DilationH int32 // default 1
}

// Pool2DOptions (AVERAGE_POOL_2D, MAX_POOL_2D, L2_POOL_2D).
type Pool2DOptions struct {
	Padding                   Padding
	StrideW, StrideH          int32
	FilterWidth, FilterHeight int32
	FusedActivation           Activation
}

// FullyConnectedOptions (FULLY_CONNECTED).
type FullyConnectedOptions struct {
	FusedActivation          Activation
	WeightsFormat            WeightsFormat
	KeepNumDims              bool
	AsymmetricQuantizeInputs bool
	QuantizedBiasType        TensorType
}

// SoftmaxOptions (SOFTMAX).
type SoftmaxOptions struct{ Beta float32 }

// ConcatenationOptions (CONCATENATION).
type ConcatenationOptions struct {
	Axis            int32
	FusedActivation Activation
}

// AddOptions (ADD). PotScaleInt16 defaults to true.
type AddOptions struct {
	FusedActivation Activation
	PotScaleInt16   bool
}

// SubOptions (SUB). PotScaleInt16 defaults to true.
type SubOptions struct {
	FusedActivation Activation
	PotScaleInt16   bool
}

// MulOptions (MUL).
type MulOptions struct{ FusedActivation Activation }

// DivOptions (DIV).
type DivOptions struct{ FusedActivation Activation }

// L2NormOptions (L2_NORMALIZATION).
type L2NormOptions struct{ FusedActivation Activation }

// ReshapeOptions (RESHAPE). NewShape is nil when the option is absent (the
// shape then comes from the second input).
type ReshapeOptions struct{ NewShape []int32 }

// SqueezeOptions (SQUEEZE).
type SqueezeOptions struct{ SqueezeDims []int32 }

// ReducerOptions (MEAN, SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, …).
type ReducerOptions struct{ KeepDims bool }

// ResizeBilinearOptions (RESIZE_BILINEAR).
type ResizeBilinearOptions struct{ AlignCorners, HalfPixelCenters bool }

// ResizeNearestNeighborOptions (RESIZE_NEAREST_NEIGHBOR).
type ResizeNearestNeighborOptions struct{ AlignCorners, HalfPixelCenters bool }

// StridedSliceOptions (STRIDED_SLICE).
type StridedSliceOptions struct {
	BeginMask, EndMask, EllipsisMask, NewAxisMask, ShrinkAxisMask int32
	Offset                                                        bool
}

// GatherOptions (GATHER).
type GatherOptions struct{ Axis, BatchDims int32 }

// TransposeConvOptions (TRANSPOSE_CONV).
type TransposeConvOptions struct {
	Padding           Padding
	StrideW, StrideH  int32
	FusedActivation   Activation
	QuantizedBiasType TensorType
}

// SpaceToDepthOptions (SPACE_TO_DEPTH).
type SpaceToDepthOptions struct{ BlockSize int32 }

// DepthToSpaceOptions (DEPTH_TO_SPACE).
type DepthToSpaceOptions struct{ BlockSize int32 }

// SplitOptions (SPLIT).
type SplitOptions struct{ NumSplits int32 }

// SplitVOptions (SPLIT_V).
type SplitVOptions struct{ NumSplits int32 }

// PackOptions (PACK).
type PackOptions struct{ ValuesCount, Axis int32 }

// UnpackOptions (UNPACK).
type UnpackOptions struct{ Num, Axis int32 }

// CastOptions (CAST).
type CastOptions struct{ InDataType, OutDataType TensorType }

// ArgMaxOptions (ARG_MAX).
type ArgMaxOptions struct{ OutputType TensorType }

// ArgMinOptions (ARG_MIN).
type ArgMinOptions struct{ OutputType TensorType }

// ShapeOptions (SHAPE).
type ShapeOptions struct{ OutType TensorType }

// LeakyReluOptions (LEAKY_RELU).
type LeakyReluOptions struct{ Alpha float32 }

// MirrorPadOptions (MIRROR_PAD).
type MirrorPadOptions struct{ Mode MirrorPadMode }

// BatchMatMulOptions (BATCH_MATMUL).
type BatchMatMulOptions struct{ AdjX, AdjY, AsymmetricQuantizeInputs bool }

// GeluOptions (GELU).
type GeluOptions struct{ Approximate bool }

// Option tables without fields: their presence is all there is.
type (
	PadOptions               struct{} // PAD
	PadV2Options             struct{} // PADV2
	TransposeOptions         struct{} // TRANSPOSE
	QuantizeOptions          struct{} // QUANTIZE
	DequantizeOptions        struct{} // DEQUANTIZE
	HardSwishOptions         struct{} // HARD_SWISH
	ExpOptions               struct{} // EXP
	LogSoftmaxOptions        struct{} // LOG_SOFTMAX
	MaximumMinimumOptions    struct{} // MAXIMUM, MINIMUM
	NegOptions               struct{} // NEG
	SliceOptions             struct{} // SLICE
	TileOptions              struct{} // TILE
	ExpandDimsOptions        struct{} // EXPAND_DIMS
	SquareOptions            struct{} // SQUARE
	SquaredDifferenceOptions struct{} // SQUARED_DIFFERENCE
	AbsOptions               struct{} // ABS
	SelectV2Options          struct{} // SELECT_V2
	BroadcastToOptions       struct{} // BROADCAST_TO
	BatchToSpaceNDOptions    struct{} // BATCH_TO_SPACE_ND
	SpaceToBatchNDOptions    struct{} // SPACE_TO_BATCH_ND
)

func (Conv2DOptions) OptionsType() OptionsType                { return OptionsConv2D }
func (DepthwiseConv2DOptions) OptionsType() OptionsType       { return OptionsDepthwiseConv2D }
func (Pool2DOptions) OptionsType() OptionsType                { return OptionsPool2D }
func (FullyConnectedOptions) OptionsType() OptionsType        { return OptionsFullyConnected }
func (SoftmaxOptions) OptionsType() OptionsType               { return OptionsSoftmax }
func (ConcatenationOptions) OptionsType() OptionsType         { return OptionsConcatenation }
func (AddOptions) OptionsType() OptionsType                   { return OptionsAdd }
func (SubOptions) OptionsType() OptionsType                   { return OptionsSub }
func (MulOptions) OptionsType() OptionsType                   { return OptionsMul }
func (DivOptions) OptionsType() OptionsType                   { return OptionsDiv }
func (L2NormOptions) OptionsType() OptionsType                { return OptionsL2Norm }
func (ReshapeOptions) OptionsType() OptionsType               { return OptionsReshape }
func (SqueezeOptions) OptionsType() OptionsType               { return OptionsSqueeze }
func (ReducerOptions) OptionsType() OptionsType               { return OptionsReducer }
func (ResizeBilinearOptions) OptionsType() OptionsType        { return OptionsResizeBilinear }
func (ResizeNearestNeighborOptions) OptionsType() OptionsType { return OptionsResizeNearestNeighbor }
func (StridedSliceOptions) OptionsType() OptionsType          { return OptionsStridedSlice }
func (GatherOptions) OptionsType() OptionsType                { return OptionsGather }
func (TransposeConvOptions) OptionsType() OptionsType         { return OptionsTransposeConv }
func (SpaceToDepthOptions) OptionsType() OptionsType          { return OptionsSpaceToDepth }
func (DepthToSpaceOptions) OptionsType() OptionsType          { return OptionsDepthToSpace }
func (SplitOptions) OptionsType() OptionsType                 { return OptionsSplit }
func (SplitVOptions) OptionsType() OptionsType                { return OptionsSplitV }
func (PackOptions) OptionsType() OptionsType                  { return OptionsPack }
func (UnpackOptions) OptionsType() OptionsType                { return OptionsUnpack }
func (CastOptions) OptionsType() OptionsType                  { return OptionsCast }
func (ArgMaxOptions) OptionsType() OptionsType                { return OptionsArgMax }
func (ArgMinOptions) OptionsType() OptionsType                { return OptionsArgMin }
func (ShapeOptions) OptionsType() OptionsType                 { return OptionsShape }
func (LeakyReluOptions) OptionsType() OptionsType             { return OptionsLeakyRelu }
func (MirrorPadOptions) OptionsType() OptionsType             { return OptionsMirrorPad }
func (BatchMatMulOptions) OptionsType() OptionsType           { return OptionsBatchMatMul }
func (GeluOptions) OptionsType() OptionsType                  { return OptionsGelu }
func (PadOptions) OptionsType() OptionsType                   { return OptionsPad }
func (PadV2Options) OptionsType() OptionsType                 { return OptionsPadV2 }
func (TransposeOptions) OptionsType() OptionsType             { return OptionsTranspose }
func (QuantizeOptions) OptionsType() OptionsType              { return OptionsQuantize }
func (DequantizeOptions) OptionsType() OptionsType            { return OptionsDequantize }
func (HardSwishOptions) OptionsType() OptionsType             { return OptionsHardSwish }
func (ExpOptions) OptionsType() OptionsType                   { return OptionsExp }
func (LogSoftmaxOptions) OptionsType() OptionsType            { return OptionsLogSoftmax }
func (MaximumMinimumOptions) OptionsType() OptionsType        { return OptionsMaximumMinimum }
func (NegOptions) OptionsType() OptionsType                   { return OptionsNeg }
func (SliceOptions) OptionsType() OptionsType                 { return OptionsSlice }
func (TileOptions) OptionsType() OptionsType                  { return OptionsTile }
func (ExpandDimsOptions) OptionsType() OptionsType            { return OptionsExpandDims }
func (SquareOptions) OptionsType() OptionsType                { return OptionsSquare }
func (SquaredDifferenceOptions) OptionsType() OptionsType     { return OptionsSquaredDifference }
func (AbsOptions) OptionsType() OptionsType                   { return OptionsAbs }
func (SelectV2Options) OptionsType() OptionsType              { return OptionsSelectV2 }
func (BroadcastToOptions) OptionsType() OptionsType           { return OptionsBroadcastTo }
func (BatchToSpaceNDOptions) OptionsType() OptionsType        { return OptionsBatchToSpaceND }
func (SpaceToBatchNDOptions) OptionsType() OptionsType        { return OptionsSpaceToBatchND }

// options decodes the builtin_options table t of type typ. Field numbers are
// the positions of the fields in the schema tables, counting from 0.
func (d *decoder) options(typ OptionsType, t table) (Options, error) {
	f := d.fields(t)
	act := func(i int) Activation { return Activation(f.i8(i, "fused_activation_function", 0)) }
	pad := func(i int) Padding { return Padding(f.i8(i, "padding", 0)) }
	ttype := func(i int, name string) TensorType { return TensorType(f.i8(i, name, 0)) }
	var o Options
	switch typ {
	case OptionsConv2D:
		o = Conv2DOptions{Padding: pad(0), StrideW: f.i32(1, "stride_w", 0), StrideH: f.i32(2, "stride_h", 0),
			FusedActivation: act(3), DilationW: f.i32(4, "dilation_w_factor", 1), DilationH: f.i32(5, "dilation_h_factor", 1),
			QuantizedBiasType: ttype(6, "quantized_bias_type")}
	case OptionsDepthwiseConv2D:
		o = DepthwiseConv2DOptions{Padding: pad(0), StrideW: f.i32(1, "stride_w", 0), StrideH: f.i32(2, "stride_h", 0),
			DepthMultiplier: f.i32(3, "depth_multiplier", 0), FusedActivation: act(4),
			DilationW: f.i32(5, "dilation_w_factor", 1), DilationH: f.i32(6, "dilation_h_factor", 1)}
	case OptionsPool2D:
		o = Pool2DOptions{Padding: pad(0), StrideW: f.i32(1, "stride_w", 0), StrideH: f.i32(2, "stride_h", 0),
			FilterWidth: f.i32(3, "filter_width", 0), FilterHeight: f.i32(4, "filter_height", 0), FusedActivation: act(5)}
	case OptionsFullyConnected:
		o = FullyConnectedOptions{FusedActivation: act(0), WeightsFormat: WeightsFormat(f.i8(1, "weights_format", 0)),
			KeepNumDims: f.boolean(2, "keep_num_dims", false), AsymmetricQuantizeInputs: f.boolean(3, "asymmetric_quantize_inputs", false),
			QuantizedBiasType: ttype(4, "quantized_bias_type")}
	case OptionsSoftmax:
		o = SoftmaxOptions{Beta: f.f32(0, "beta", 0)}
	case OptionsConcatenation:
		o = ConcatenationOptions{Axis: f.i32(0, "axis", 0), FusedActivation: act(1)}
	case OptionsAdd:
		o = AddOptions{FusedActivation: act(0), PotScaleInt16: f.boolean(1, "pot_scale_int16", true)}
	case OptionsSub:
		o = SubOptions{FusedActivation: act(0), PotScaleInt16: f.boolean(1, "pot_scale_int16", true)}
	case OptionsMul:
		o = MulOptions{FusedActivation: act(0)}
	case OptionsDiv:
		o = DivOptions{FusedActivation: act(0)}
	case OptionsL2Norm:
		o = L2NormOptions{FusedActivation: act(0)}
	case OptionsReshape:
		o = ReshapeOptions{NewShape: f.int32s(0, "new_shape")}
	case OptionsSqueeze:
		o = SqueezeOptions{SqueezeDims: f.int32s(0, "squeeze_dims")}
	case OptionsReducer:
		o = ReducerOptions{KeepDims: f.boolean(0, "keep_dims", false)}
	case OptionsResizeBilinear: // fields 0 and 1 are the deprecated new_height/new_width
		o = ResizeBilinearOptions{AlignCorners: f.boolean(2, "align_corners", false), HalfPixelCenters: f.boolean(3, "half_pixel_centers", false)}
	case OptionsResizeNearestNeighbor:
		o = ResizeNearestNeighborOptions{AlignCorners: f.boolean(0, "align_corners", false), HalfPixelCenters: f.boolean(1, "half_pixel_centers", false)}
	case OptionsStridedSlice:
		o = StridedSliceOptions{BeginMask: f.i32(0, "begin_mask", 0), EndMask: f.i32(1, "end_mask", 0),
			EllipsisMask: f.i32(2, "ellipsis_mask", 0), NewAxisMask: f.i32(3, "new_axis_mask", 0),
			ShrinkAxisMask: f.i32(4, "shrink_axis_mask", 0), Offset: f.boolean(5, "offset", false)}
	case OptionsGather:
		o = GatherOptions{Axis: f.i32(0, "axis", 0), BatchDims: f.i32(1, "batch_dims", 0)}
	case OptionsTransposeConv:
		o = TransposeConvOptions{Padding: pad(0), StrideW: f.i32(1, "stride_w", 0), StrideH: f.i32(2, "stride_h", 0),
			FusedActivation: act(3), QuantizedBiasType: ttype(4, "quantized_bias_type")}
	case OptionsSpaceToDepth:
		o = SpaceToDepthOptions{BlockSize: f.i32(0, "block_size", 0)}
	case OptionsDepthToSpace:
		o = DepthToSpaceOptions{BlockSize: f.i32(0, "block_size", 0)}
	case OptionsSplit:
		o = SplitOptions{NumSplits: f.i32(0, "num_splits", 0)}
	case OptionsSplitV:
		o = SplitVOptions{NumSplits: f.i32(0, "num_splits", 0)}
	case OptionsPack:
		o = PackOptions{ValuesCount: f.i32(0, "values_count", 0), Axis: f.i32(1, "axis", 0)}
	case OptionsUnpack:
		o = UnpackOptions{Num: f.i32(0, "num", 0), Axis: f.i32(1, "axis", 0)}
	case OptionsCast:
		o = CastOptions{InDataType: ttype(0, "in_data_type"), OutDataType: ttype(1, "out_data_type")}
	case OptionsArgMax:
		o = ArgMaxOptions{OutputType: ttype(0, "output_type")}
	case OptionsArgMin:
		o = ArgMinOptions{OutputType: ttype(0, "output_type")}
	case OptionsShape:
		o = ShapeOptions{OutType: ttype(0, "out_type")}
	case OptionsLeakyRelu:
		o = LeakyReluOptions{Alpha: f.f32(0, "alpha", 0)}
	case OptionsMirrorPad:
		o = MirrorPadOptions{Mode: MirrorPadMode(f.i8(0, "mode", 0))}
	case OptionsBatchMatMul:
		o = BatchMatMulOptions{AdjX: f.boolean(0, "adj_x", false), AdjY: f.boolean(1, "adj_y", false),
			AsymmetricQuantizeInputs: f.boolean(2, "asymmetric_quantize_inputs", false)}
	case OptionsGelu:
		o = GeluOptions{Approximate: f.boolean(0, "approximate", false)}
	case OptionsPad:
		o = PadOptions{}
	case OptionsPadV2:
		o = PadV2Options{}
	case OptionsTranspose:
		o = TransposeOptions{}
	case OptionsQuantize:
		o = QuantizeOptions{}
	case OptionsDequantize:
		o = DequantizeOptions{}
	case OptionsHardSwish:
		o = HardSwishOptions{}
	case OptionsExp:
		o = ExpOptions{}
	case OptionsLogSoftmax:
		o = LogSoftmaxOptions{}
	case OptionsMaximumMinimum:
		o = MaximumMinimumOptions{}
	case OptionsNeg:
		o = NegOptions{}
	case OptionsSlice:
		o = SliceOptions{}
	case OptionsTile:
		o = TileOptions{}
	case OptionsExpandDims:
		o = ExpandDimsOptions{}
	case OptionsSquare:
		o = SquareOptions{}
	case OptionsSquaredDifference:
		o = SquaredDifferenceOptions{}
	case OptionsAbs:
		o = AbsOptions{}
	case OptionsSelectV2:
		o = SelectV2Options{}
	case OptionsBroadcastTo:
		o = BroadcastToOptions{}
	case OptionsBatchToSpaceND:
		o = BatchToSpaceNDOptions{}
	case OptionsSpaceToBatchND:
		o = SpaceToBatchNDOptions{}
	default:
		o = UnsupportedOptions{Type: typ}
	}
	if f.err != nil {
		return nil, f.err
	}
	return o, nil
}
