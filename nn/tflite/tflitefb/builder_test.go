package tflitefb

import (
	"github.com/ocellus/ocellus/nn/tflite/tflitefb/fbtest"
)

// tinyModel holds a small model and handles on some of its tables.
type tinyModel struct {
	root, sg, weights, input *fbtest.Table
	conv, custom             *fbtest.Table
	shape                    *fbtest.Vec
}

// newTiny builds a small int8 model that touches most of the schema: old-
// and new-style operator codes, a custom op, per-tensor and per-axis
// quantization, constant buffers, an absent optional input, an options tag
// without a table, unsupported options, metadata and a signature.
func newTiny() *tinyModel {
	tm := &tinyModel{}
	tm.shape = fbtest.VI32(1, 2, 2, 2)
	tm.input = fbtest.Tbl().Ref(0, tm.shape).I8(1, int8(TypeInt8)).Str(3, "input").
		Ref(4, fbtest.Tbl().Ref(2, fbtest.VF32(0.5)).Ref(3, fbtest.VI64(-1)))
	tm.weights = fbtest.Tbl().Ref(0, fbtest.VI32(2, 1, 1, 2)).I8(1, int8(TypeInt8)).U32(2, 1).Str(3, "weights").
		Ref(4, fbtest.Tbl().Ref(2, fbtest.VF32(0.1, 0.2)).Ref(3, fbtest.VI64(0, 0)).I32(6, 0))
	bias := fbtest.Tbl().Ref(0, fbtest.VI32(2)).I8(1, int8(TypeInt32)).U32(2, 2).Str(3, "bias").
		Ref(4, fbtest.Tbl().Ref(2, fbtest.VF32(0.05, 0.1)).Ref(3, fbtest.VI64(0, 0)))
	convOut := fbtest.Tbl().Ref(0, fbtest.VI32(1, 2, 2, 2)).I8(1, int8(TypeInt8)).Str(3, "conv_out").
		Ref(4, fbtest.Tbl().Ref(0, fbtest.VF32(-6)).Ref(1, fbtest.VF32(6)).Ref(2, fbtest.VF32(0.05)).Ref(3, fbtest.VI64(3)))
	output := fbtest.Tbl().Ref(0, fbtest.VI32(1, 2, 2, 2)).I8(1, int8(TypeInt8)).Str(3, "output").
		Ref(4, fbtest.Tbl().Ref(2, fbtest.VF32(1.0/256)).Ref(3, fbtest.VI64(-128)))
	custOut := fbtest.Tbl().Ref(0, fbtest.VI32(1, 2, 2, 2)).Str(3, "custom_out").Ref(7, fbtest.VI32(-1, 2, 2, 2)).U8(8, 1)

	tm.conv = fbtest.Tbl().U32(0, 0).Ref(1, fbtest.VI32(0, 1, 2)).Ref(2, fbtest.VI32(3)).U8(3, uint8(OptionsConv2D)).
		Ref(4, fbtest.Tbl().I8(0, int8(PaddingValid)).I32(1, 1).I32(2, 2).I8(3, int8(ActRelu6)))
	softmax := fbtest.Tbl().U32(0, 1).Ref(1, fbtest.VI32(3)).Ref(2, fbtest.VI32(4)).U8(3, uint8(OptionsSoftmax)).
		Ref(4, fbtest.Tbl().F32(0, 1))
	tm.custom = fbtest.Tbl().U32(0, 2).Ref(1, fbtest.VI32(3, -1)).Ref(2, fbtest.VI32(5)).Ref(5, fbtest.VBytes(1, 2, 3))
	gelu := fbtest.Tbl().U32(0, 3).Ref(1, fbtest.VI32(3)).Ref(2, fbtest.VI32(5)).U8(3, uint8(OptionsGelu)).Ref(4, fbtest.Tbl().U8(0, 1))
	// Conv2DOptions tag without a table: all defaults.
	convDefault := fbtest.Tbl().U32(0, 0).Ref(1, fbtest.VI32(0, 1)).Ref(2, fbtest.VI32(3)).U8(3, uint8(OptionsConv2D))
	// LocalResponseNormalizationOptions (13) is not decoded.
	lrn := fbtest.Tbl().U32(0, 1).Ref(1, fbtest.VI32(3)).Ref(2, fbtest.VI32(4)).U8(3, 13).Ref(4, fbtest.Tbl().I32(0, 5))

	tm.sg = fbtest.Tbl().Tbls(0, tm.input, tm.weights, bias, convOut, output, custOut).
		Ref(1, fbtest.VI32(0)).Ref(2, fbtest.VI32(4)).
		Tbls(3, tm.conv, softmax, tm.custom, gelu, convDefault, lrn).
		Str(4, "main")

	codes := []*fbtest.Table{
		fbtest.Tbl().I8(0, int8(OpConv2D)).I32(2, 2), // pre-3a: only the byte field
		fbtest.Tbl().I8(0, int8(OpSoftmax)).I32(3, int32(OpSoftmax)),
		fbtest.Tbl().I8(0, int8(OpCustom)).Str(1, "MyOp").I32(3, int32(OpCustom)),
		fbtest.Tbl().I8(0, int8(OpPlaceholderForGreaterOpCodes)).I32(3, int32(OpGelu)),
	}
	buffers := []*fbtest.Table{
		fbtest.Tbl(),
		fbtest.Tbl().Ref(0, fbtest.VBytes(1, 0xff, 2, 0xfe)),
		fbtest.Tbl().Ref(0, fbtest.VBytes(10, 0, 0, 0, 0xf6, 0xff, 0xff, 0xff)),
		fbtest.Tbl().Ref(0, fbtest.VBytes('1', '.', '5', '.', '0')),
	}
	sig := fbtest.Tbl().Tbls(0, fbtest.Tbl().Str(0, "in").U32(1, 0)).Tbls(1, fbtest.Tbl().Str(0, "out").U32(1, 4)).
		Str(2, "serving_default").U32(4, 0)
	tm.root = fbtest.Tbl().U32(0, 3).Tbls(1, codes...).Tbls(2, tm.sg).Str(3, "tiny").Tbls(4, buffers...).
		Tbls(6, fbtest.Tbl().Str(0, "min_runtime_version").U32(1, 3)).Tbls(7, sig)
	return tm
}

func (tm *tinyModel) bytes() ([]byte, *fbtest.Writer) { return fbtest.Build(tm.root, Identifier) }
