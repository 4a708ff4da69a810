//go:build purego

package starter

// pureGo: built with -tags purego (the assembly kernels switched off), as
// go generate builds the generator.
const pureGo = true
