// Package nn is ocellus's inference runtime: load a model (Load), create
// sessions (Model.NewSession) and run them.
//
// # Concurrency
//
// A Model is immutable once loaded: its graph and packed weights are shared
// by every session and may be used from any number of goroutines. A Session
// owns its memory (one arena planned from tensor lifetimes at load time) and
// is for one goroutine at a time; create one session per goroutine, or use a
// Pool, which hands sessions out and copies results into caller buffers.
// Steady-state Session.Run allocates nothing.
//
// # Layout
//
// Inputs and outputs are given and returned in the model's own layout (an
// ONNX image model takes NCHW). Internally activations are channels last
// (NHWC); an input that the model reads channels last is transposed once
// while it is copied in. Callers that can produce the internal layout
// directly write into Session.Input(i) (see IOSpec.Perm) and call
// Session.RunInPlace.
package nn
