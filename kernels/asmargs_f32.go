package kernels

import "math"

// The argument blocks the float32 assembly kernels read. Each assembly
// function takes one pointer to such a block (kept on the caller's stack:
// the functions are go:noescape) and reads the fields through the offsets
// the compiler writes to go_asm.h (gemmF32Args_kc, f32ActArgs_lo, …), so a
// field can be reordered without touching the .s files. These types are
// compiled on every platform; only the kernels that read them are not.

// f32ActArgs is an activation as the assembly epilogues apply it:
//
//	f32ActClamp:       min(max(x, lo), hi)             (relu: lo 0, hi +Inf)
//	f32ActHardSigmoid: min(max(alpha·x + beta, 0), 1)  (one FMA)
//	f32ActHardSwish:   x · hardsigmoid(x)              (alpha 1/6, beta 1/2)
//
// Sigmoid and swish are not fused: the Go side applies them with ApplyAct
// after the kernel.
type f32ActArgs struct {
	kind                uintptr
	lo, hi, alpha, beta float32
}

// Activation codes of f32ActArgs.kind and actF32Args.kind (go_asm.h:
// const_f32ActClamp, …). Sigmoid and swish are only done by the
// activation-pass kernels.
const (
	f32ActNone        = 0
	f32ActClamp       = 1
	f32ActHardSigmoid = 2
	f32ActHardSwish   = 3
	f32ActSigmoid     = 4
	f32ActSwish       = 5
)

// asmArgs translates a to the assembly epilogue's form; fused is false
// when the kernels cannot apply a themselves (sigmoid, swish).
func (a Act) asmArgs() (args f32ActArgs, fused bool) {
	switch a.Kind {
	case ActNone:
		return f32ActArgs{}, true
	case ActRelu:
		return f32ActArgs{kind: f32ActClamp, lo: 0, hi: float32(math.Inf(1))}, true
	case ActClip:
		return f32ActArgs{kind: f32ActClamp, lo: a.Min, hi: a.Max}, true
	case ActHardSigmoid:
		return f32ActArgs{kind: f32ActHardSigmoid, alpha: a.Alpha, beta: a.Beta}, true
	case ActHardSwish:
		return f32ActArgs{kind: f32ActHardSwish, alpha: 1.0 / 6, beta: 0.5}, true
	}
	return f32ActArgs{}, false
}

// gemmF32Args is one call of a GEMM strip kernel: m rows of A against n
// columns of packed B for one K block of kc, written to C:
//
//	C[i][j] = act(init[i][j] + Σ_{k<kc} A[i][k] · B[k][j])   (i < m, j < n)
//
// where init is C itself when loadC != 0 (a later K block), else the bias
// (zero when bias is nil), and the sum is a chain of FMAs in k order. The
// kernel goes down the rows in strips of MR; in a last, partial strip the
// missing rows repeat its last row and are never stored. n is a positive
// multiple of the kernel's column step.
type gemmF32Args struct {
	a     *float32 // A[0][k0]
	b     *float32 // packed panel of column 0 at the K block
	c     *float32 // C[0][0]
	bias  *float32 // bias[0], or nil
	lda   uintptr  // bytes between rows of A
	ldc   uintptr  // bytes between rows of C
	bps   uintptr  // bytes between packed panels
	kc    uintptr  // K block length, ≥ 1
	m     uintptr  // rows, ≥ 1
	n     uintptr  // columns
	loadC uintptr  // 1: start from C, 0: start from bias
	act   f32ActArgs
}

// dwconvF32Args is one call of a depthwise kernel on a run of output
// pixels (see dwRowF32): n output pixels of c channels, each the bias plus
// a kh×kw rectangle of taps in (ky, kx) order as a chain of FMAs, then the
// activation. x points at the first tap of pixel 0, w at that tap's
// weights; strides are in bytes. c is at least the kernel's channel step:
// the last channel block overlaps the previous one instead of being masked
// (outputs are written, not accumulated, so recomputing a channel stores
// the same bits).
type dwconvF32Args struct {
	x, w, bias, y       *float32 // bias may be nil
	c, n                uintptr
	pixStep, tapY, tapX uintptr // x: between output pixels, kernel rows, kernel columns
	kh, kw              uintptr // taps in the rectangle, ≥ 1
	wRow                uintptr // w: between kernel rows (taps within a row are c floats apart)
	act                 f32ActArgs
}

// actF32Args is one call of an activation-pass kernel: rows of n floats,
// ld bytes apart, replaced in place by sigmoid (kind f32ActSigmoid) or
// swish (f32ActSwish). n is a positive multiple of the kernel's step.
type actF32Args struct {
	x       *float32
	n, rows uintptr
	ld      uintptr
	kind    uintptr
}
