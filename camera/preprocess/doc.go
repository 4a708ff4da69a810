// Package preprocess turns image files and decoded images into a model's float32 input tensor.
//
// The pipeline is decode → (grey conversion) → resize → normalise → layout:
//
//	img, err := preprocess.DecodeFile("cat.bmp")      // BMP, JPEG or PNG → *RGB8
//	spec := preprocess.DefaultSpec()                  // 224×224×3, bilinear_hp, imagenet, NCHW
//	p, err := preprocess.NewPreprocessor(spec)
//	dst := make([]float32, spec.Len())
//	p.Run(img, dst)                                   // no allocation in steady state
//
// # Resize variants
//
// The variants reproduce the reference code that measured the expected labels of the shared models
// (shared/models/onnx/gen/eval_preprocess.py):
//
//   - BilinearHP ("bilinear_hp"): bilinear with half-pixel centres and no antialiasing,
//     src = (dst+0.5)·in/out − 0.5 clamped to [0, in−1], the two neighbours blended in x then y in
//     float64, rounded floor(v+0.5) to uint8. Bit-exact to the numpy reference.
//   - Nearest ("nearest"): src = min(floor((dst+0.5)·in/out), in−1).
//   - PILBilinear ("pil_bilinear"): Pillow 9.4 Image.resize(size, BILINEAR): a triangle filter whose
//     support grows with the downscale factor (antialiasing), separable, horizontal pass first, both
//     passes in Pillow's 22-bit fixed point with an 8-bit intermediate. Bit-exact to Pillow 9.4.
//   - Crop256 ("crop256"): Pillow bilinear resize so that the shorter side becomes
//     T = round(max(Width, Height)·256/224) (256 for a 224 model), then a centre crop of
//     Width×Height. The long side is round(long·T/short) with Python's round-half-even.
//
// All variants except Crop256 stretch the whole image to Width×Height (the aspect ratio is not kept).
//
// # Normalisation
//
// Each output value is out = (pix·Scale + Offset − Mean[c]) / Std[c], evaluated in float32, where c
// is the output channel (after ChannelOrder is applied). When 1/Scale is a whole or half-integer
// (1/255, 1/127.5) the product is computed as the division pix/(1/Scale), so that the presets give
// exactly the values numpy gives for (x/255 − mean)/std and x/127.5 − 1. The values are looked up in a
// 256-entry table per channel built once by NewPreprocessor.
//
// # Grey
//
// A one-channel Spec converts RGB to grey with Pillow's convert("L") formula
// L = (19595·R + 38470·G + 7471·B + 0x8000) >> 16 before resizing; grey sources (8-bit grey BMP,
// grey PNG) carry R = G = B, for which the formula is the identity. A three-channel Spec fed a grey
// image sees three equal channels.
package preprocess
