// Package gorgonia converts between ocellus tensors and gorgonia.org/tensor
// *tensor.Dense values without copying element data: both sides share one
// backing array, so a write through either is seen by the other.
//
// ToDense wraps an ocellus tensor as a row-major *tensor.Dense; FromDense
// wraps a *tensor.Dense as an ocellus tensor. The shape slice is always
// copied; only the elements are shared. Supported dtypes are those ocellus
// computes with: float32, uint8, int8, int32, int64 and bool. A rank-0 ocellus
// tensor (Shape nil or empty, one element) becomes a gorgonia scalar Dense
// (Shape() of length 0) and back.
//
// What is refused, with an error rather than a silent copy:
//   - dtypes the other side cannot hold (float64, int, complex, string … from
//     gorgonia; Invalid or out-of-range dtypes from ocellus);
//   - tensors with zero elements: gorgonia.org/tensor v0.9.24 accepts them in
//     tensor.New but then panics in Data(), Add and printing, so they are
//     rejected on both sides (ErrEmpty);
//   - Denses whose elements are not one contiguous row-major run: transposed
//     Denses (T() without Transpose()), strided slices (a column of a matrix),
//     column-major (AsFortran) Denses, masked Denses (the mask would be lost),
//     and memory Go cannot address (non-native engines). A slice view that is
//     still contiguous and row-major (a run of whole rows) is accepted and
//     shares its parent's memory. Call Materialize() first to get a copy that
//     FromDense accepts.
//
// # Dependency cost
//
// gorgonia.org/tensor v0.9.24 pulls in about 9 MB of old modules (apache
// arrow, gonum v0.8, gogo/protobuf, flatbuffers …) and go4.org/unsafe/
// assume-no-moving-gc, whose version that gorgonia asks for panics at program
// start on Go 1.26; go.mod therefore requires assume-no-moving-gc
// v0.0.0-20231121144256-b99613f794b6 explicitly. This is tolerated only
// because the package is an opt-in bridge for tools and experiments:
// nothing under cmd/ or daemon/ may import it, directly or indirectly, and
// TestNotImportedByBinaries enforces that. The ocellus runtime itself never
// depends on gorgonia.
//
// # Lifetime and aliasing
//
// The returned value keeps the shared array alive, so either side may be
// dropped first. Nothing synchronises the two views: the usual rules for
// sharing a Go slice between goroutines apply. gorgonia operations that
// allocate (tensor.Add without tensor.UseUnsafe, Sum …) return fresh Denses
// that do not alias the input; in-place forms (tensor.UseUnsafe(),
// tensor.WithReuse(d)) write into the shared memory.
package gorgonia
