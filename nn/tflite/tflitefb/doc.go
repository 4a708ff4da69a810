// Package tflitefb decodes TensorFlow Lite model files (the flatbuffer
// schema tensorflow/lite/schema/schema.fbs, version 3 with its 3a–3c
// extensions) into plain Go structs. It is the reading layer under the
// nn/tflite converter and knows nothing about ocellus graphs.
//
// The decoder is hand-written and checks every offset, vtable, vector length
// and string against the input before reading it; errors wrap ErrMalformed
// and name the table and field. Vector lengths are checked against the bytes
// that remain before anything is allocated, and a decode budget proportional
// to the file size stops offsets that share data from blowing a small file up
// into a huge structure.
//
// Nesting is bounded by the schema, not by a counter: the tables decoded here
// form a fixed tree (Model → SubGraph → Tensor → QuantizationParameters,
// Model → SubGraph → Operator → options) with no recursive type, and
// flatbuffer uoffsets only point forward, so neither cycles nor deep
// recursion can occur.
//
// Files must carry the "TFL3" identifier and schema version 3. Fields the
// package does not decode (sparsity details, quantization details, variant
// sub-types, StableHLO options, the contents of unsupported option tables)
// are skipped without being checked, as a flatbuffer reader that only
// follows the offsets it needs. Alignment is not checked: values are read
// with encoding/binary, never through unaligned pointers.
//
// A decoded Model aliases its input (Model.Buffers, Operator.CustomOptions):
// do not modify or reuse the input while the Model is in use.
package tflitefb
