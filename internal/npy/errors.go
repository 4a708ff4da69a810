package npy

import "errors"

// Errors returned (wrapped) by this package.
var (
	// ErrFormat: the input is not a valid .npy file (bad magic, bad header,
	// short or trailing data, impossible shape).
	ErrFormat = errors.New("npy: invalid file")
	// ErrUnsupported: a valid .npy file this package does not read (format
	// version, dtype such as '<c8' or a structured dtype).
	ErrUnsupported = errors.New("npy: unsupported")
	// ErrArray: Write was given an inconsistent Array.
	ErrArray = errors.New("npy: invalid array")
)
