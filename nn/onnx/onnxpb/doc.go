// Package onnxpb decodes and encodes the ONNX protobuf messages
// (ModelProto, GraphProto, NodeProto, TensorProto and the messages they
// hold) by hand on top of google.golang.org/protobuf/encoding/protowire:
// no generated code and no reflection.
//
// The Go structs keep what an inference or quantization runtime reads and
// what an exporter must write back. Fields this package does not model
// (training_info, quantization_annotation, NodeProto.overload, ...) are kept
// verbatim in each message's Unknown bytes and written back by Marshal, so
// decode → encode → decode is lossless. Model.Functions keeps each
// FunctionProto as undecoded bytes; non-tensor types (sequence, map,
// optional, sparse tensor, opaque) keep their body as undecoded bytes.
//
// Decoding never panics and never allocates more than the input can justify:
// every length is checked against the bytes left before anything is
// allocated, and subgraphs may nest at most MaxGraphDepth deep. Errors wrap
// ErrMalformed (bad wire data) or ErrUnsupported (sparse initializers) and
// name the message and field, e.g.
//
//	onnxpb: NodeProto.attribute: truncated length-delimited field (in ModelProto.graph > GraphProto.node[3])
//
// Decoded byte slices (raw_data, string attributes) are copies: the input
// buffer may be reused after DecodeModel returns.
//
// Encoding writes fields in field-number order, with the packing onnx.proto
// declares (TensorProto's *_data fields packed, dims and attribute lists
// unpacked); decoding accepts both packed and unpacked forms everywhere.
package onnxpb
