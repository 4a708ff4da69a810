package kernels

import "unsafe"

// Broadcast int8 GEMM kernels (gemmS8_6x16_vnni, gemmS8_6x16_avx2 in
// gemm_s8_amd64.s): a 6×16 register tile whose accumulators hold whole
// output columns, so no horizontal reduction is needed and small K (the
// 16–96 of MobileNet's expansion layers) costs no per-panel overhead
// beyond the tile's store.
//
// Weights are packed per panel of 16 columns in pairs of k: pair q holds,
// for each column j, the int16 weights of k = 2q and 2q+1 (32 int16, 64
// bytes; k past kc zero). For each pair and row the kernel broadcasts the
// two int8 of A as an int16 pair into every int32 lane (VPBROADCASTW,
// VPMOVSXBW) and VPMADDWD (or VNNI's VPDPWSSD) adds a·w for both k into
// the 8 columns of a register: exact (|a·w| <= 128·255), any weight zero
// point. An odd last k broadcasts (a, a) against the pair (w, 0). The
// int32 tile goes to a stack buffer, then requantPlan.rows.

// gemmS8BcastMR, gemmS8BcastNR are the tile; gemmS8BcastChunk panels go
// to one assembly call (the stack tile is gemmS8BcastLd columns wide).
const (
	gemmS8BcastMR    = 6
	gemmS8BcastNR    = 16
	gemmS8BcastChunk = 8
	gemmS8BcastLd    = gemmS8BcastChunk * gemmS8BcastNR
)

// gemmS8BcastArgs is one call of a broadcast kernel: rows a[0..5] (rows
// past mr repeat row 0) against np panels of packed B (bps bytes apart),
// kp whole pairs of k then one odd k when kodd is 1, storing the sums of
// panel p, row i, column j at acc[i·ldacc/4 + 16p + j].
type gemmS8BcastArgs struct {
	a     [gemmS8BcastMR]*int8
	b     *int64
	acc   *int32
	ldacc uintptr // bytes
	bps   uintptr // bytes
	kp    uintptr
	kodd  uintptr
	np    uintptr
}

// panelLenBcast is the words per panel of k rows: pairs × 64 bytes.
func panelLenBcast(k int) int { return (k + 1) / 2 * 8 }

// packBcastS16 packs B [k][n] (element (kk, j) at b[kk*rs+j*cs], minus
// wz(j)) in the pair layout.
func packBcastS16(k, n int, b []int8, rs, cs int, wz func(j int) int32, dst []int64) {
	pl := panelLenBcast(k)
	np := (n + gemmS8BcastNR - 1) / gemmS8BcastNR
	d := unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(dst))), np*pl*4)
	clear(d)
	for p := 0; p < np; p++ {
		panel := d[p*pl*4 : (p+1)*pl*4]
		for jj := 0; jj < gemmS8BcastNR; jj++ {
			j := p*gemmS8BcastNR + jj
			if j >= n {
				break
			}
			for kk := 0; kk < k; kk++ {
				panel[kk/2*32+jj*2+kk%2] = int16(int32(b[kk*rs+j*cs]) - wz(j))
			}
		}
	}
}

// gemmS8BcastKernel names an assembly broadcast kernel for the direct
// call (a func value would make the argument block escape).
type gemmS8BcastKernel uint8

const (
	bcastS8AVX2 gemmS8BcastKernel = iota + 1
	bcastS8VNNI
)

func (k gemmS8BcastKernel) run(p *gemmS8BcastArgs) {
	switch k {
	case bcastS8AVX2:
		gemmS8Bcast_6x16_avx2(p)
	case bcastS8VNNI:
		gemmS8Bcast_6x16_vnni(p)
	default:
		panic("kernels: no int8 broadcast kernel")
	}
}

// gemmS8BcastRun computes rows [0, mr) of panels [p0, p1) with kernel fn
// (panel p of packed b at word p·pl, columns 16p… of y and of ep).
func gemmS8BcastRun(fn gemmS8BcastKernel, mr, kc, p0, p1 int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	if p1 <= p0 || mr <= 0 {
		return
	}
	pl := panelLenBcast(kc)
	var args gemmS8BcastArgs
	for i := range args.a {
		o := 0
		if i < mr {
			o = i * lda
		}
		args.a[i] = &a[o:][:max(kc, 1)][0]
	}
	var acc [gemmS8BcastMR * gemmS8BcastLd]int32
	args.acc = &acc[0]
	args.ldacc = gemmS8BcastLd * 4
	args.bps = uintptr(pl) * 8
	args.kp = uintptr(kc / 2)
	args.kodd = uintptr(kc % 2)
	_ = b[p1*pl-1]
	for q := p0; q < p1; q += gemmS8BcastChunk {
		nq := min(gemmS8BcastChunk, p1-q)
		args.b = &b[q*pl]
		args.np = uintptr(nq)
		fn.run(&args)
		j0 := q * gemmS8BcastNR
		nj := min(nq*gemmS8BcastNR, ep.n-j0)
		ep.rq.rows(acc[:], gemmS8BcastLd, ep.bias[j0:j0+nj], ep.c0+j0, nj, mr, y[j0:], ldy)
	}
}

func gemmS8_6x16_avx2(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	gemmS8BcastRun(bcastS8AVX2, mr, kc, 0, np, a, lda, b, y, ldy, ep)
}

func gemvS8_6x16_avx2(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	gemmS8BcastRun(bcastS8AVX2, 1, kc, p0, p1, x, 0, b, y, 0, ep)
}

func gemmS8_6x16_vnni(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	gemmS8BcastRun(bcastS8VNNI, mr, kc, 0, np, a, lda, b, y, ldy, ep)
}

func gemvS8_6x16_vnni(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	gemmS8BcastRun(bcastS8VNNI, 1, kc, p0, p1, x, 0, b, y, 0, ep)
}
