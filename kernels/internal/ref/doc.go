// Package ref holds the scalar reference kernels the optimized kernels of
// package kernels are tested against: straightforward nested loops in the
// order of the definition, accumulating in float64, with no blocking, packing
// or special cases. They are never optimized; their only job is to be
// obviously right.
//
// ref does not import kernels (the kernels tests import ref), so parameters
// are passed as plain values; ActKind values mirror kernels.ActKind.
package ref
