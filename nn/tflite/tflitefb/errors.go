package tflitefb

import "errors"

// Errors returned (wrapped) by this package.
var (
	// ErrMalformed: the bytes are not a valid TFLite flatbuffer (an offset,
	// vtable, vector or string out of range, a missing file identifier, an
	// index that refers to nothing, shared data that would decode to far
	// more than the file holds).
	ErrMalformed = errors.New("malformed TFLite model")
	// ErrUnsupported: a well-formed file this package does not read (schema
	// version other than 3).
	ErrUnsupported = errors.New("unsupported TFLite model")
	// ErrData: a tensor's constant data does not match its type or shape
	// (returned by the typed readers such as Tensor.Float32s).
	ErrData = errors.New("bad tensor data")
)

// Error is the error returned by Decode. Path names the table and field
// whose bytes were bad, outermost first, with vector elements named by
// their type and index: "Subgraph[0].Tensor[12].quantization".
type Error struct {
	Path string
	Msg  string
	Err  error // ErrMalformed or ErrUnsupported
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "tflitefb: " + e.Msg
	}
	return "tflitefb: " + e.Path + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// within prefixes the path of err (always an *Error made by this package)
// with the enclosing table or field at.
func within(err error, at string) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Path == "" {
			e.Path = at
		} else {
			e.Path = at + "." + e.Path
		}
	}
	return err
}
