package onnxpb

import (
	"errors"
	"strings"
)

// Errors returned (wrapped) by this package.
var (
	// ErrMalformed: the bytes are not a valid encoding of the message
	// (truncated, wrong wire type for a known field, bad varint, too deep).
	ErrMalformed = errors.New("malformed protobuf")
	// ErrUnsupported: a valid ONNX feature this package does not handle
	// (sparse initializers, external tensor data).
	ErrUnsupported = errors.New("unsupported")
	// ErrType: a tensor or attribute does not hold the type asked for.
	ErrType = errors.New("wrong type")
	// ErrData: tensor data does not match its dims or data type.
	ErrData = errors.New("bad tensor data")
)

// MaxGraphDepth is how deeply subgraphs (attribute g / graphs) may nest
// below the main graph.
const MaxGraphDepth = 64

// DecodeError is returned by the decoders. Field names the message and field
// whose bytes were bad ("NodeProto.attribute"); Path lists the enclosing
// fields, outermost first ("ModelProto.graph", "GraphProto.node[3]").
type DecodeError struct {
	Field string
	Msg   string
	Path  []string
	Err   error // ErrMalformed or ErrUnsupported
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	b.WriteString("onnxpb: ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if len(e.Path) > 0 {
		b.WriteString(" (in ")
		b.WriteString(strings.Join(e.Path, " > "))
		b.WriteString(")")
	}
	return b.String()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// within records that err happened inside the enclosing field at, which is
// prepended to the path. err is always a *DecodeError made by this package.
func within(err error, at string) error {
	var de *DecodeError
	if errors.As(err, &de) {
		de.Path = append([]string{at}, de.Path...)
		return de
	}
	return err
}
