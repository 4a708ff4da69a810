package kernels

import "unsafe"

// Int8 GEMM micro-kernels in assembly (gemm_s8_amd64.s, gemm_s8_arm64.s)
// share this Go side: the packings, the argument block, the K tail and the
// requantization epilogue, which stays in Go (the assembly returns exact
// int32 sums, so the epilogue is the pure-Go kernels' own).
//
// The assembly kernels are "dot" kernels: each of the MR×NR accumulators is
// a vector of partial sums along k (16 k per step), reduced horizontally
// once per panel. Weights are packed per panel of two columns in blocks of
// 16 k: column 0's 16 values, then column 1's. K is padded with zero
// weights to a multiple of 16; the kernels read A only up to the last
// whole 8 of k (so never past a row), and the last kc mod 8 products are
// added here.
//
//   - s16 layout (gemmS8_4x2_avx2, gemmS8_4x2_neon): weights as int16, so
//     |w'| up to 255 fits; A is sign-extended to int16 and multiplied
//     pairwise into int32 (VPMADDWD, SMLAL/SMLAL2), which never saturates
//     (|a·w| <= 128·255, a pair < 2^16·2).
//   - s8 layout (gemmS8_4x2_sdot): weights as int8 (narrow impl), four
//     int8 products summed into each int32 lane by SDOT.

// gemmS8DotMR, gemmS8DotNR are the tile of the dot kernels; gemmS8DotChunk
// is the number of panels one assembly call covers (the stack tile's width
// is gemmS8DotChunk·NR columns).
const (
	gemmS8DotMR    = 4
	gemmS8DotNR    = 2
	gemmS8DotChunk = 16
	gemmS8DotLd    = gemmS8DotChunk * gemmS8DotNR
)

// gemmS8Args is one call of a dot kernel: rows a[0..3] (rows past mr repeat
// row 0) against np panels of packed B, storing the raw sums of panel p,
// row i, column j at acc[i·ldacc + 2p + j] (ldacc in bytes in the
// argument). k16 whole blocks of 16 k are summed, then one block whose A
// holds 8 k when k8 is 1.
type gemmS8Args struct {
	a     [4]*int8
	b     *int64
	acc   *int32
	ldacc uintptr // bytes between acc rows
	bps   uintptr // bytes between packed panels
	k16   uintptr
	k8    uintptr
	np    uintptr
}

// gemmS8DotBlocks is the number of 16-k blocks of a panel of k rows.
func gemmS8DotBlocks(k int) int { return (k + 15) / 16 }

// panelLenDotS16 is the words per panel in the s16 layout: a block holds
// 2 columns × 16 int16 = 64 bytes.
func panelLenDotS16(k int) int { return gemmS8DotBlocks(k) * 8 }

// panelLenDotS8 is the words per panel in the s8 layout: 2 × 16 bytes.
func panelLenDotS8(k int) int { return gemmS8DotBlocks(k) * 4 }

// packDotS16 packs B [k][n] (element (kk, j) at b[kk*rs+j*cs], minus wz(j))
// in the s16 layout.
func packDotS16(k, n int, b []int8, rs, cs int, wz func(j int) int32, dst []int64) {
	pl := panelLenDotS16(k)
	np := (n + 1) / 2
	d := unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(dst))), np*pl*4)
	clear(d)
	for p := 0; p < np; p++ {
		panel := d[p*pl*4 : (p+1)*pl*4]
		for jj := 0; jj < 2; jj++ {
			j := 2*p + jj
			if j >= n {
				continue
			}
			for kk := 0; kk < k; kk++ {
				panel[kk/16*32+jj*16+kk%16] = int16(int32(b[kk*rs+j*cs]) - wz(j))
			}
		}
	}
}

// packDotS8 packs B in the s8 layout; the weights must fit int8 (the impl
// is Narrow, so wz is zero).
func packDotS8(k, n int, b []int8, rs, cs int, wz func(j int) int32, dst []int64) {
	pl := panelLenDotS8(k)
	np := (n + 1) / 2
	d := unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(dst))), np*pl*8)
	clear(d)
	for p := 0; p < np; p++ {
		panel := d[p*pl*8 : (p+1)*pl*8]
		for jj := 0; jj < 2; jj++ {
			j := 2*p + jj
			if j >= n {
				continue
			}
			for kk := 0; kk < k; kk++ {
				v := int32(b[kk*rs+j*cs]) - wz(j)
				if v < -128 || v > 127 {
					panic("kernels: packDotS8 weight outside int8")
				}
				panel[kk/16*32+jj*16+kk%16] = int8(v)
			}
		}
	}
}

// gemmS8DotKernel names an assembly dot kernel; run calls it directly (a
// call through a func value would make the argument block escape).
type gemmS8DotKernel uint8

const (
	dotS8AVX2 gemmS8DotKernel = iota
	dotS8NEON
	dotS8SDOT
	dotS8VNNI
)

func (k gemmS8DotKernel) run(p *gemmS8Args) {
	switch k {
	case dotS8AVX2:
		dotS8_4x2_avx2(p)
	case dotS8NEON:
		dotS8_4x2_neon(p)
	case dotS8SDOT:
		dotS8_4x2_sdot(p)
	case dotS8VNNI:
		dotS8_4x2_vnni(p)
	default:
		panic("kernels: no int8 dot kernel")
	}
}

// gemmS8DotRun computes rows [0, mr) of panels [p0, p1) with kernel fn
// (panel p of packed b at word p·pl, column p·2 of y and of ep) and the Go
// K tail and epilogue. s16 selects the weight layout of the tail.
func gemmS8DotRun(fn gemmS8DotKernel, s16 bool, mr, kc, p0, p1 int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	pl := panelLenDotS8(kc)
	if s16 {
		pl = panelLenDotS16(kc)
	}
	var rows [gemmS8DotMR][]int8
	var args gemmS8Args
	for i := range rows {
		o := 0
		if i < mr {
			o = i * lda
		}
		rows[i] = a[o:][:kc]
		args.a[i] = &rows[i][0]
	}
	var acc [gemmS8DotMR * gemmS8DotLd]int32
	args.acc = &acc[0]
	args.ldacc = gemmS8DotLd * 4
	args.bps = uintptr(pl) * 8
	args.k16 = uintptr(kc / 16)
	args.k8 = uintptr(kc % 16 / 8)
	kt := kc &^ 7 // first k of the Go tail
	if p1 > p0 {
		_ = b[p1*pl-1]
	}
	for q := p0; q < p1; q += gemmS8DotChunk {
		nq := min(gemmS8DotChunk, p1-q)
		args.b = &b[q*pl]
		args.np = uintptr(nq)
		fn.run(&args)
		if kt < kc {
			gemmS8DotTail(s16, &acc, &rows, mr, kt, kc, pl, b[q*pl:(q+nq)*pl])
		}
		j0 := q * gemmS8DotNR
		nj := min(nq*gemmS8DotNR, ep.n-j0)
		ep.rq.rows(acc[:], gemmS8DotLd, ep.bias[j0:j0+nj], ep.c0+j0, nj, mr, y[j0:], ldy)
	}
}

// gemmS8DotTail adds the products of k in [kt, kc) (fewer than 8) to the
// stack tile, reading the packed weights of panels b (pl words each).
func gemmS8DotTail(s16 bool, acc *[gemmS8DotMR * gemmS8DotLd]int32, rows *[gemmS8DotMR][]int8, mr, kt, kc, pl int, b []int64) {
	np := len(b) / pl
	for p := 0; p < np; p++ {
		for jj := 0; jj < 2; jj++ {
			for i := 0; i < mr; i++ {
				var s int32
				for k := kt; k < kc; k++ {
					idx := k/16*32 + jj*16 + k%16
					var w int32
					if s16 {
						w = int32(int16(uint64(b[p*pl+idx/4]) >> (16 * (idx % 4))))
					} else {
						w = int32(int8(uint64(b[p*pl+idx/8]) >> (8 * (idx % 8))))
					}
					s += int32(rows[i][k]) * w
				}
				acc[i*gemmS8DotLd+2*p+jj] += s
			}
		}
	}
}

// Fn and Gemv of the registered dot impls.

func gemmS8_4x2_avx2(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8AVX2, true, mr, kc, 0, np, a, lda, b, y, ldy, ep)
}

func gemvS8_4x2_avx2(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8AVX2, true, 1, kc, p0, p1, x, 0, b, y, 0, ep)
}

func gemmS8_4x2_neon(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8NEON, true, mr, kc, 0, np, a, lda, b, y, ldy, ep)
}

func gemvS8_4x2_neon(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8NEON, true, 1, kc, p0, p1, x, 0, b, y, 0, ep)
}

func gemmS8_4x2_sdot(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8SDOT, false, mr, kc, 0, np, a, lda, b, y, ldy, ep)
}

func gemvS8_4x2_sdot(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8SDOT, false, 1, kc, p0, p1, x, 0, b, y, 0, ep)
}

func gemmS8_4x2_vnni(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8VNNI, true, mr, kc, 0, np, a, lda, b, y, ldy, ep)
}

func gemvS8_4x2_vnni(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	gemmS8DotRun(dotS8VNNI, true, 1, kc, p0, p1, x, 0, b, y, 0, ep)
}
