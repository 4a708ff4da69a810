package kernels

import "strconv"

// actF32Impl is one activation-pass kernel: sigmoid and swish, which the
// GEMM and depthwise assembly epilogues do not fuse, over rows of a block
// the kernel has just written. The pure-Go entry is ApplyAct itself.
type actF32Impl struct {
	Name      string
	Available func() bool
	Asm       actF32Asm
	Step      int // elements per vector step; shorter tails go through a stack buffer
}

// actF32Asm names an activation-pass kernel; run calls it directly so the
// argument block stays on the stack (see gemmF32Asm).
type actF32Asm uint8

const (
	actF32AsmNone actF32Asm = iota
	actF32AsmAVX512
	actF32AsmAVX2
	actF32AsmNEON
)

func (k actF32Asm) run(p *actF32Args) {
	switch k {
	case actF32AsmAVX512:
		actF32_avx512(p)
	case actF32AsmAVX2:
		actF32_avx2(p)
	case actF32AsmNEON:
		actF32_neon(p)
	default:
		panic("kernels: no assembly activation kernel " + strconv.Itoa(int(k)))
	}
}

// actF32Impls is the registration list of activation-pass kernels, best
// first; the assembly GEMM and depthwise drivers take the first available.
var actF32Impls = []actF32Impl{
	{Name: "actF32_avx512", Available: f32HaveAVX512, Asm: actF32AsmAVX512, Step: 16},
	{Name: "actF32_avx2", Available: f32HaveAVX2, Asm: actF32AsmAVX2, Step: 8},
	{Name: "actF32_neon", Available: f32HaveNEON, Asm: actF32AsmNEON, Step: 4},
	{Name: "actF32_go", Available: always},
}

// actF32Best returns the first available activation-pass kernel.
func actF32Best() *actF32Impl {
	for i := range actF32Impls {
		if im := &actF32Impls[i]; im.Available() {
			return im
		}
	}
	panic("kernels: no float32 activation kernel available")
}

// applyRows applies a to rows of n floats, ld apart, starting at x[0]:
// sigmoid and swish with the vector kernel (within a few ulps of
// Act.Eval), everything else, and everything on the pure-Go entry, with
// ApplyAct. The last n mod Step floats of each row go through a stack
// buffer, so every element gets the same arithmetic.
func (im *actF32Impl) applyRows(a Act, x []float32, rows, n, ld int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = x[(rows-1)*ld+n-1]
	var kind uintptr
	switch a.Kind {
	case ActSigmoid:
		kind = f32ActSigmoid
	case ActSwish:
		kind = f32ActSwish
	}
	if im.Asm == actF32AsmNone || kind == 0 {
		for r := 0; r < rows; r++ {
			ApplyAct(a, x[r*ld:r*ld+n])
		}
		return
	}
	nf := n / im.Step * im.Step
	if nf > 0 {
		p := actF32Args{x: &x[0], n: uintptr(nf), rows: uintptr(rows), ld: uintptr(ld) * 4, kind: kind}
		im.Asm.run(&p)
	}
	if nf == n {
		return
	}
	var buf [actF32MaxStep]float32
	p := actF32Args{x: &buf[0], n: uintptr(im.Step), rows: 1, kind: kind}
	for r := 0; r < rows; r++ {
		row := x[r*ld+nf : r*ld+n]
		copy(buf[:], row)
		im.Asm.run(&p)
		copy(row, buf[:len(row)])
	}
}

const actF32MaxStep = 16
