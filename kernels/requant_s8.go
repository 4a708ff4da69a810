package kernels

// Vector requantization of rows of int32 sums (the epilogue of the int8
// GEMM and depthwise kernels). requantPlan.rows is the entry point:
//
//	for r < rows, j < n:
//		y[r*yStride + j] = requant(acc[r*accStride + j] + bias[j], channel c0+j)
//
// exactly as requantPlan.apply computes it. The assembly impls take whole
// blocks of 8 channels; a last partial block overlaps the one before (the
// sums are read, not updated, so recomputing a channel stores the same
// bits), which needs n >= 8: narrower rows and fixed-point plans with a
// left shift go to the Go loop.

// rqRowsArgs is one call of an assembly requantization (pointers at
// channel c0; strides in bytes).
type rqRowsArgs struct {
	acc   *int32
	bias  *int32
	y     *int8
	scale *float32 // float
	// Fixed point, per channel (see fixedVec).
	mult, add, neg, sh *int64
	corr               *int32
	n, rows            uintptr
	accStride, yStride uintptr
	lo, hi             float32
	zp, min, max       int32
}

// fixedVec is a fixed-point plan without left shifts in the form of the
// vector kernels, one int64 lane per channel (see fixedRequant):
//
//	u = (acc+bias)·mult + 2^30
//	t = u + add − [u < 0]·neg                  (add = rnd, neg as fixedCh)
//	y = low32((t XOR 2^63) >>logical sh) − corr (corr = low32(2^(63−sh)))
//
// Flipping the sign bit adds 2^63, which the logical shift turns into
// 2^(63−sh), subtracted modulo 2^32: the arithmetic shift AVX2 lacks.
type fixedVec struct {
	mult, add, neg, sh []int64
	corr               []int32
}

func newFixedVec(fx []fixedCh) *fixedVec {
	n := len(fx)
	v := &fixedVec{mult: make([]int64, n), add: make([]int64, n), neg: make([]int64, n),
		sh: make([]int64, n), corr: make([]int32, n)}
	for c, f := range fx {
		v.mult[c], v.add[c], v.neg[c], v.sh[c] = f.mult, f.rnd, f.neg, int64(f.sh)
		v.corr[c] = int32(uint32(uint64(1) << (63 - f.sh)))
	}
	return v
}

// requantS8Impl is one vector requantization (float and fixed point).
type requantS8Impl struct {
	Name      string
	kind      rqKind
	Available func() bool
}

// rqKind names an assembly requantization for the direct calls.
type rqKind uint8

const (
	rqAVX2 rqKind = iota + 1
	rqNEON
)

// requantS8Impls is the registration list of vector requantizations, best
// first; a requantPlan takes the first available one.
var requantS8Impls = []requantS8Impl{
	{Name: "requantS8_avx2", kind: rqAVX2, Available: requantS8HaveAVX2},
	{Name: "requantS8_neon", kind: rqNEON, Available: requantS8HaveNEON},
}

// requantS8Best returns the first available vector impl, or nil.
func requantS8Best() *requantS8Impl {
	for i := range requantS8Impls {
		if requantS8Impls[i].Available() {
			return &requantS8Impls[i]
		}
	}
	return nil
}

// rows requantizes rows of sums (see the file comment): acc row r at
// acc[r*accStride:], n channels from c0, bias[j] added (bias has n
// values), output row r at y[r*yStride:]. acc is not modified.
func (p *requantPlan) rows(acc []int32, accStride int, bias []int32, c0, n, rows int, y []int8, yStride int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = acc[(rows-1)*accStride+n-1]
	_ = y[(rows-1)*yStride+n-1]
	bias = bias[:n]
	if im := p.vec; im != nil && n >= 8 && (p.mode == RequantFloat || p.fv != nil) {
		a := rqRowsArgs{acc: &acc[0], bias: &bias[0], y: &y[0], n: uintptr(n), rows: uintptr(rows),
			accStride: uintptr(accStride) * 4, yStride: uintptr(yStride),
			lo: p.lo, hi: p.hi, zp: p.zp, min: p.min, max: p.max}
		if p.mode == RequantFloat {
			a.scale = &p.scale[c0:][:n][0]
			im.runFloat(&a)
		} else {
			f := p.fv
			a.mult, a.add, a.neg, a.sh = &f.mult[c0:][:n][0], &f.add[c0:][:n][0], &f.neg[c0:][:n][0], &f.sh[c0:][:n][0]
			a.corr = &f.corr[c0:][:n][0]
			im.runFixed(&a)
		}
		return
	}
	for r := 0; r < rows; r++ {
		p.rowGo(acc[r*accStride:][:n], bias, c0, y[r*yStride:][:n])
	}
}

// rowGo is one row of rows in Go (acc not modified).
func (p *requantPlan) rowGo(acc, bias []int32, c0 int, y []int8) {
	n := len(acc)
	y = y[:n]
	bias = bias[:n]
	lo, hi, zp := p.min, p.max, p.zp
	switch {
	case p.mode == RequantFloat:
		sc := p.scale[c0:][:n]
		flo, fhi := p.lo, p.hi
		for i, a := range acc {
			y[i] = rqFloat(a+bias[i], sc[i], flo, fhi, zp)
		}
	case !p.anyLeft:
		fx := p.fx[c0:][:n]
		for i, a := range acc {
			f := &fx[i]
			y[i] = rqFixedR(a+bias[i], f.mult, f.rnd, f.neg, f.sh, lo, hi, zp)
		}
	default:
		fx := p.fx[c0:][:n]
		for i, a := range acc {
			v := fixedRequant(a+bias[i], &fx[i]) + zp
			y[i] = int8(min(max(v, lo), hi))
		}
	}
}

// runFloat and runFixed call the impl's assembly directly (through a
// switch, so the argument block stays on the stack).
func (im *requantS8Impl) runFloat(a *rqRowsArgs) {
	switch im.kind {
	case rqAVX2:
		requantS8Float_avx2(a)
	case rqNEON:
		requantS8Float_neon(a)
	default:
		panic("kernels: no vector requantization")
	}
}

func (im *requantS8Impl) runFixed(a *rqRowsArgs) {
	switch im.kind {
	case rqAVX2:
		requantS8Fixed_avx2(a)
	case rqNEON:
		requantS8Fixed_neon(a)
	default:
		panic("kernels: no vector requantization")
	}
}
