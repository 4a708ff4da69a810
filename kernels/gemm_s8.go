package kernels

import (
	"fmt"
	"strconv"
	"unsafe"
)

// gemmS8Impl is one int8 GEMM micro-kernel with fused requantization. Fn
// computes rows [0, mr) (mr <= MR) of a strip against np column panels of
// packed B and writes the requantized int8 results:
//
//	acc[i][j] = Σ_{k<kc} a[i*lda+k] · B[k][p*NR+j]        (exact int32)
//	y[i*ldy + p*NR + j] = ep.requant(acc[i][j] + ep.bias[p*NR+j])   (j < ep.n − p*NR)
//
// Packed B is built by packGemmS8B with the impl's PackWord: panel p is kc
// int64 words, word k holding the NR weights of row k. The sums are exact,
// so every impl, tile split and part split gives the same bits.
type gemmS8Impl struct {
	Name      string
	Available func() bool // can run on this machine
	Fast      func() bool // is the preferred choice on this machine
	MR, NR    int
	// MaxKBlock is the longest run of k the packed lanes can sum without
	// overflow for weights within [-128, 127] (int8) and within [-255, 255]
	// (weights with a non-zero zero point subtracted at pack time);
	// 0 means unlimited.
	MaxKBlock, MaxKBlockWide int
	PackWord                 func(w []int32) int64 // NR weights → one word
	// PanelLen (words per panel of k rows) and Pack replace the one-word-
	// per-row layout for kernels that want their own (nil: PackWord's).
	PanelLen func(k int) int
	Pack     func(k, n int, b []int8, rs, cs int, wz func(j int) int32, dst []int64)
	// KPad (> 1) lets im2col pad its rows with zeros to a multiple of
	// KPad: the packing holds zero weights there, so the kernel then
	// needs no K tail (0: rows exactly K long).
	KPad int
	// Narrow impls need weights within [-128, 127]: packings with a
	// non-zero weight zero point go to the first available wide impl.
	Narrow bool
	Fn     func(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi)
	// Strips, when set, computes the whole strips of MR rows of a
	// gemmS8Run call in one go and returns the rows it did (a multiple of
	// MR; Fn does the rest).
	Strips func(m, kc int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) int
	// Gemv computes one row x against panels [p0, p1): y[j] = requant(Σ_k
	// x[k]·B[k][j] + ep.bias[j]) for the columns of those panels.
	Gemv func(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi)
}

// gemmS8Epi is the epilogue of a GEMM call: per-column corrected bias and
// requantization, fixed at pack time.
type gemmS8Epi struct {
	bias []int32      // len n: bias − xZero·Σ_k w'[k][j] (w' = w − wZero)
	rq   *requantPlan // output channels c0 … c0+n−1
	c0   int
	n    int // valid columns
	kblk int // k block for the packed lanes (0: all of kc)

	// Float requantization fused into a kernel's store (padFloat): the
	// bias and the scales of columns [0, n) padded with zeros to a
	// multiple of 16. nil: not prepared (fixed point).
	fbias  []int32
	fscale []float32
	// noClamp: the clamp is the whole int8 range and every scale is
	// below 0.5, so |float32(sum)·scale| < 2^30 converts without overflow
	// and the int8 saturation of the store is the clamp (rounding is
	// monotonic and the bounds are integers).
	noClamp bool
}

// padFloat prepares fbias and fscale for a float requantization.
func (ep *gemmS8Epi) padFloat() {
	if ep.rq.mode != RequantFloat {
		return
	}
	n16 := (ep.n + 15) &^ 15
	ep.fbias = make([]int32, n16)
	ep.fscale = make([]float32, n16)
	copy(ep.fbias, ep.bias[:ep.n])
	copy(ep.fscale, ep.rq.scale[ep.c0:ep.c0+ep.n])
	ep.noClamp = ep.rq.min == -128 && ep.rq.max == 127
	for _, v := range ep.fscale {
		ep.noClamp = ep.noClamp && v >= 0 && v < 0.5
	}
}

// tile adds the bias to an MR×NR tile of sums (row stride nr), requantizes
// rows [0, mr) of panel p and stores them: the generic path, used at the N
// edge and by kernels whose NR has no specialised epilogue.
func (ep *gemmS8Epi) tile(acc []int32, nr, mr, p int, y []int8, ldy int) {
	j0 := p * nr
	nj := min(nr, ep.n-j0)
	for i := 0; i < mr; i++ {
		ep.rq.apply(acc[i*nr:i*nr+nj], ep.bias[j0:j0+nj], ep.c0+j0, y[i*ldy+j0:])
	}
}

// rqFloat is one float requantization with the zero point and the clamp
// (see requantFloat).
func rqFloat(a int32, s, lo, hi float32, zp int32) int8 {
	v := float32(float32(a) * s)
	return int8(roundEvenBits(min(max(v, lo), hi)) + zp)
}

// rqFixedR is one fixed-point requantization without a left shift (the
// usual case, multipliers below 1), with the zero point and the clamp (see
// fixedRequant).
func rqFixedR(a int32, m, rnd, neg int64, sh uint8, lo, hi, zp int32) int8 {
	u := int64(a)*m + 1<<30
	return int8(min(max(int32((u+rnd-(u>>63)&neg)>>(sh&63))+zp, lo), hi))
}

// tile3 is tile for NR = 3, unrolled over the columns: each channel's
// parameters are held in registers for the tile's rows.
func (ep *gemmS8Epi) tile3(acc *[12]int32, mr, p int, y []int8, ldy int) {
	j0 := 3 * p
	rq := ep.rq
	if ep.n-j0 < 3 || (rq.mode == RequantFixedPoint && rq.anyLeft) {
		ep.tile(acc[:], 3, mr, p, y, ldy)
		return
	}
	c0 := ep.c0 + j0
	b := (*[3]int32)(ep.bias[j0:])
	b0, b1, b2 := b[0], b[1], b[2]
	lo, hi, zp := rq.min, rq.max, rq.zp
	if rq.mode == RequantFloat {
		s := (*[3]float32)(rq.scale[c0:])
		s0, s1, s2 := s[0], s[1], s[2]
		flo, fhi := rq.lo, rq.hi
		for i := 0; i < mr; i++ {
			r := (*[3]int32)(acc[3*i:])
			o := (*[3]int8)(y[i*ldy+j0:])
			o[0] = rqFloat(r[0]+b0, s0, flo, fhi, zp)
			o[1] = rqFloat(r[1]+b1, s1, flo, fhi, zp)
			o[2] = rqFloat(r[2]+b2, s2, flo, fhi, zp)
		}
		return
	}
	f := (*[3]fixedCh)(rq.fx[c0:])
	m0, m1, m2 := f[0].mult, f[1].mult, f[2].mult
	r0, r1, r2 := f[0].rnd, f[1].rnd, f[2].rnd
	n0, n1, n2 := f[0].neg, f[1].neg, f[2].neg
	s0, s1, s2 := f[0].sh, f[1].sh, f[2].sh
	for i := 0; i < mr; i++ {
		r := (*[3]int32)(acc[3*i:])
		o := (*[3]int8)(y[i*ldy+j0:])
		o[0] = rqFixedR(r[0]+b0, m0, r0, n0, s0, lo, hi, zp)
		o[1] = rqFixedR(r[1]+b1, m1, r1, n1, s1, lo, hi, zp)
		o[2] = rqFixedR(r[2]+b2, m2, r2, n2, s2, lo, hi, zp)
	}
}

// gemmS8Impls is the registration list of int8 GEMM micro-kernels, best
// first. Dispatch takes the first available entry that is Fast (else the
// first available); tests and benchmarks loop over all available entries.
var gemmS8Impls = []gemmS8Impl{
	// gemmS8_6x32_avx512 is gemmS8_6x16_vnni8 (same 16-column panels,
	// same Fn and Gemv) whose Strips put pairs of whole panels on a 6×32
	// ZMM tile with the float requantization fused.
	{Name: "gemmS8_6x32_avx512", Available: gemmS8HaveAVX512, Fast: always, MR: 6, NR: 16, KPad: 4, Narrow: true,
		PanelLen: panelLenBcastU8, Pack: packBcastU8, Fn: gemmS8_6x16_vnni8, Gemv: gemvS8_6x16_vnni8,
		Strips: gemmS8Strips_6x32_avx512},
	{Name: "gemmS8_6x16_vnni8", Available: gemmS8HaveVNNI, Fast: always, MR: 6, NR: 16, KPad: 4, Narrow: true,
		PanelLen: panelLenBcastU8, Pack: packBcastU8, Fn: gemmS8_6x16_vnni8, Gemv: gemvS8_6x16_vnni8,
		Strips: gemmS8Strips_6x16_vnni8},
	{Name: "gemmS8_6x16_vnni", Available: gemmS8HaveVNNI, Fast: always, MR: 6, NR: 16, KPad: 2,
		PanelLen: panelLenBcast, Pack: packBcastS16, Fn: gemmS8_6x16_vnni, Gemv: gemvS8_6x16_vnni},
	{Name: "gemmS8_6x16_avx2", Available: gemmS8HaveAVX2, Fast: always, MR: 6, NR: 16, KPad: 2,
		PanelLen: panelLenBcast, Pack: packBcastS16, Fn: gemmS8_6x16_avx2, Gemv: gemvS8_6x16_avx2},
	{Name: "gemmS8_4x2_sdot", Available: gemmS8HaveSDOT, Fast: always, MR: 4, NR: 2, Narrow: true,
		KPad: 8, PanelLen: panelLenDotS8, Pack: packDotS8, Fn: gemmS8_4x2_sdot, Gemv: gemvS8_4x2_sdot},
	{Name: "gemmS8_4x2_vnni", Available: gemmS8HaveVNNI, Fast: always, MR: 4, NR: 2,
		KPad: 8, PanelLen: panelLenDotS16, Pack: packDotS16, Fn: gemmS8_4x2_vnni, Gemv: gemvS8_4x2_vnni},
	{Name: "gemmS8_4x2_avx2", Available: gemmS8HaveAVX2, Fast: always, MR: 4, NR: 2,
		KPad: 8, PanelLen: panelLenDotS16, Pack: packDotS16, Fn: gemmS8_4x2_avx2, Gemv: gemvS8_4x2_avx2},
	{Name: "gemmS8_4x2_neon", Available: gemmS8HaveNEON, Fast: always, MR: 4, NR: 2,
		KPad: 8, PanelLen: panelLenDotS16, Pack: packDotS16, Fn: gemmS8_4x2_neon, Gemv: gemvS8_4x2_neon},
	{Name: "gemmS8_4x3_swar", Available: always, Fast: is64bit, MR: 4, NR: 3,
		MaxKBlock: 63, MaxKBlockWide: 32, PackWord: packWordSwar21, Fn: gemmS8_4x3_swar, Gemv: gemvS8_swar},
	{Name: "gemmS8_4x2_go", Available: always, Fast: always, MR: 4, NR: 2,
		PackWord: packWord2x32, Fn: gemmS8_4x2_go, Gemv: gemvS8_2x32},
}

func is64bit() bool { return strconv.IntSize == 64 }

// gemmS8Best returns the dispatch choice.
func gemmS8Best() *gemmS8Impl {
	var first *gemmS8Impl
	for i := range gemmS8Impls {
		im := &gemmS8Impls[i]
		if !im.Available() {
			continue
		}
		if im.Fast() {
			return im
		}
		if first == nil {
			first = im
		}
	}
	if first == nil {
		panic("kernels: no int8 GEMM kernel available")
	}
	return first
}

// kBlock is the k block to use for packed weights whose magnitude may
// exceed 128 (wide).
func (im *gemmS8Impl) kBlock(wide bool) int {
	if wide {
		return im.MaxKBlockWide
	}
	return im.MaxKBlock
}

// forWeights returns im, or for wide weights (|w'| up to 255) and a
// narrow im the first available impl that takes them.
func (im *gemmS8Impl) forWeights(wide bool) *gemmS8Impl {
	if !wide || !im.Narrow {
		return im
	}
	for i := range gemmS8Impls {
		if w := &gemmS8Impls[i]; !w.Narrow && w.Available() {
			return w
		}
	}
	panic("kernels: no int8 GEMM kernel for wide weights")
}

// panelLen is the number of words of one packed panel of k rows.
func (im *gemmS8Impl) panelLen(k int) int {
	if im.PanelLen != nil {
		return im.PanelLen(k)
	}
	return k
}

// gemmS8PackedLen is the number of words of B [k][n] packed for im.
func gemmS8PackedLen(im *gemmS8Impl, k, n int) int { return (n + im.NR - 1) / im.NR * im.panelLen(k) }

// packGemmS8B packs B [k][n] into panels of nr columns, one word per row of
// a panel (columns past n are zero). Element (kk, j) is read as
// b[kk*rs+j*cs] minus the column's weight zero point wz(j).
func packGemmS8B(im *gemmS8Impl, k, n int, b []int8, rs, cs int, wz func(j int) int32, dst []int64) {
	if im.Pack != nil {
		im.Pack(k, n, b, rs, cs, wz, dst)
		return
	}
	nr := im.NR
	w := make([]int32, nr)
	for p := 0; p*nr < n; p++ {
		panel := dst[p*k : (p+1)*k]
		for kk := 0; kk < k; kk++ {
			for jj := 0; jj < nr; jj++ {
				j := p*nr + jj
				w[jj] = 0
				if j < n {
					w[jj] = int32(b[kk*rs+j*cs]) - wz(j)
				}
			}
			panel[kk] = im.PackWord(w)
		}
	}
}

// gemmS8Run computes rows [0, m) of y = requant(A·B + bias): A is read in
// place (row i at a[i*lda:], kc columns), B packed for im, y row i at
// y[i*ldy:]. Strips of MR rows go to the micro-kernel, the last one with
// mr < MR.
func gemmS8Run(im *gemmS8Impl, m, k int, a []int8, lda int, bp []int64, y []int8, ldy int, ep *gemmS8Epi) {
	np := (ep.n + im.NR - 1) / im.NR
	i0 := 0
	if im.Strips != nil {
		i0 = im.Strips(m, k, a, lda, bp, y, ldy, ep)
	}
	for i := i0; i < m; i += im.MR {
		im.Fn(min(im.MR, m-i), k, np, a[i*lda:], lda, bp, y[i*ldy:], ldy, ep)
	}
}

// scratchInt8 views scratch bytes as int8 (same size and alignment).
func scratchInt8(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
}

// checkPart panics on an invalid part of parts.
func checkPart(what string, part, parts int) {
	if parts <= 0 || part < 0 || part >= parts {
		panic(fmt.Sprintf("kernels: %s part %d of %d", what, part, parts))
	}
}
