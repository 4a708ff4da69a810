package train

import "errors"

// Sentinel errors, wrapped with the context a user needs (node, op, shape).
var (
	// ErrUnsupported: the trainable tail holds an op (or an op
	// configuration) without a backward pass here.
	ErrUnsupported = errors.New("train: unsupported")
	// ErrCut: the cut does not name a node or tensor of the graph, or
	// leaves no trainable tail.
	ErrCut = errors.New("train: bad cut")
	// ErrHead: no classifier to replace was found before the graph output.
	ErrHead = errors.New("train: no classifier")
	// ErrConfig: an options or optimizer config is invalid.
	ErrConfig = errors.New("train: invalid config")
	// ErrOneClass: a metric needs samples of two classes and got one.
	ErrOneClass = errors.New("train: only one class present")
)
