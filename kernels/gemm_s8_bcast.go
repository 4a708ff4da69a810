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

// The u8 broadcast kernel (gemmS8_6x16_vnni8, VPDPBUSD) multiplies four k
// at once: unsigned bytes by signed bytes, summed into int32 without
// saturation. A is int8, so the kernel flips its sign bit (a+128, an
// unsigned byte); the panel starts with the 16 column sums −128·Σ_k w'
// that the accumulators start from, so the stored sums are Σ a·w' exactly.
// Weights must fit int8 (Narrow). Panel layout: 16 int32 corrections, then
// per quad of k, 16 columns × 4 bytes (column j's k = 4q…4q+3 at 4j);
// k past kc is zero, and the last partial quad of A is read from a zero
// padded copy (tail pointers) so no row is read past its end.

// panelLenBcastU8 is the words per panel of k rows.
func panelLenBcastU8(k int) int { return 8 + (k+3)/4*8 }

// packBcastU8 packs B [k][n] (element (kk, j) at b[kk*rs+j*cs], minus
// wz(j), within int8) in the u8 kernel's layout.
func packBcastU8(k, n int, b []int8, rs, cs int, wz func(j int) int32, dst []int64) {
	pl := panelLenBcastU8(k)
	np := (n + gemmS8BcastNR - 1) / gemmS8BcastNR
	clear(dst[:np*pl])
	for p := 0; p < np; p++ {
		panel := dst[p*pl : (p+1)*pl]
		corr := unsafe.Slice((*int32)(unsafe.Pointer(&panel[0])), gemmS8BcastNR)
		q := unsafe.Slice((*int8)(unsafe.Pointer(&panel[8])), (pl-8)*8)
		for jj := 0; jj < gemmS8BcastNR; jj++ {
			j := p*gemmS8BcastNR + jj
			if j >= n {
				break
			}
			var s int32
			for kk := 0; kk < k; kk++ {
				v := int32(b[kk*rs+j*cs]) - wz(j)
				if v < -128 || v > 127 {
					panic("kernels: packBcastU8 weight outside int8")
				}
				q[kk/4*64+jj*4+kk%4] = int8(v)
				s += v
			}
			corr[jj] = -128 * s
		}
	}
}

// gemmS8BcastU8Args is one call of the u8 kernel: as gemmS8BcastArgs with
// kq whole quads of k, then one quad from the tail rows when kt is 1.
type gemmS8BcastU8Args struct {
	a     [gemmS8BcastMR]*int8
	t     [gemmS8BcastMR]*int8 // last partial quad of each row, zero padded
	b     *int64
	acc   *int32
	ldacc uintptr
	bps   uintptr
	kq    uintptr
	kt    uintptr
	np    uintptr
	// Fused float requantization (gemmS8BcastU8F_6x16_vnni): bias and
	// scales from the call's first column (padded to whole panels), rows
	// [0, mr) of the output at y (ldy bytes between rows), 16 columns per
	// panel.
	bias   *int32
	scale  *float32
	y      *int8
	ldy    uintptr
	mr     uintptr
	lo, hi float32
	zp     int32
}

// gemmS8BcastU8Run is gemmS8BcastRun for the u8 kernel.
func gemmS8BcastU8Run(mr, kc, p0, p1 int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	if p1 <= p0 || mr <= 0 {
		return
	}
	pl := panelLenBcastU8(kc)
	var args gemmS8BcastU8Args
	var tail [gemmS8BcastMR][4]int8
	kt := kc &^ 3
	for i := range args.a {
		o := 0
		if i < mr {
			o = i * lda
		}
		row := a[o:][:kc]
		args.a[i] = &row[0]
		copy(tail[i][:], row[kt:])
		args.t[i] = &tail[i][0]
	}
	args.bps = uintptr(pl) * 8
	args.kq = uintptr(kc / 4)
	if kt < kc {
		args.kt = 1
	}
	_ = b[p1*pl-1]
	if ep.fbias != nil {
		// Float requantization in the kernel's store: whole panels
		// straight into y, a partial last panel into an int8 tile.
		_ = ep.fbias[p1*gemmS8BcastNR-1]
		_ = y[(mr-1)*ldy+min(p1*gemmS8BcastNR, ep.n)-1]
		args.lo, args.hi, args.zp = ep.rq.lo, ep.rq.hi, ep.rq.zp
		args.mr = uintptr(mr)
		full := min(p1, ep.n/gemmS8BcastNR)
		args.ldy = uintptr(ldy)
		for q := p0; q < full; q += gemmS8BcastChunk {
			nq := min(gemmS8BcastChunk, full-q)
			j0 := q * gemmS8BcastNR
			args.b = &b[q*pl]
			args.np = uintptr(nq)
			args.bias = &ep.fbias[j0]
			args.scale = &ep.fscale[j0]
			args.y = &y[j0]
			gemmS8BcastU8F_6x16_vnni(&args)
		}
		if q := max(full, p0); q < p1 {
			var tile [gemmS8BcastMR * gemmS8BcastNR]int8
			j0 := q * gemmS8BcastNR
			args.b = &b[q*pl]
			args.np = 1
			args.bias = &ep.fbias[j0]
			args.scale = &ep.fscale[j0]
			args.y = &tile[0]
			args.ldy = gemmS8BcastNR
			gemmS8BcastU8F_6x16_vnni(&args)
			nj := ep.n - j0
			for i := 0; i < mr; i++ {
				copy(y[i*ldy+j0:][:nj], tile[i*gemmS8BcastNR:][:nj])
			}
		}
		return
	}
	var acc [gemmS8BcastMR * gemmS8BcastLd]int32
	args.acc = &acc[0]
	args.ldacc = gemmS8BcastLd * 4
	for q := p0; q < p1; q += gemmS8BcastChunk {
		nq := min(gemmS8BcastChunk, p1-q)
		args.b = &b[q*pl]
		args.np = uintptr(nq)
		gemmS8BcastU8_6x16_vnni(&args)
		j0 := q * gemmS8BcastNR
		nj := min(nq*gemmS8BcastNR, ep.n-j0)
		ep.rq.rows(acc[:], gemmS8BcastLd, ep.bias[j0:j0+nj], ep.c0+j0, nj, mr, y[j0:], ldy)
	}
}

func gemmS8_6x16_vnni8(mr, kc, np int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) {
	gemmS8BcastU8Run(mr, kc, 0, np, a, lda, b, y, ldy, ep)
}

func gemvS8_6x16_vnni8(kc, p0, p1 int, x []int8, b []int64, y []int8, ep *gemmS8Epi) {
	gemmS8BcastU8Run(1, kc, p0, p1, x, 0, b, y, 0, ep)
}

// gemmS8BcastMArgs is one call of gemmS8BcastU8FM_6x16_vnni: strips
// whole strips of 6 rows (row r at a + r·lda) against the np whole panels,
// k a multiple of 4 (kq quads), float requantization fused (bias, scale
// from column 0, padded), output row r at y + r·ldy. The fields after
// them are the kernel's own counters.
type gemmS8BcastMArgs struct {
	a          *int8
	lda        uintptr
	strips     uintptr
	b          *int64
	bps        uintptr
	kq         uintptr
	np         uintptr
	bias       *int32
	scale      *float32
	y          *int8
	ldy        uintptr
	lo, hi     float32
	zp         int32
	noclamp    uintptr // 1: the store saturates instead of clamping (gemmS8Epi.noClamp)
	panelsLeft uintptr
	biasP      *int32
	scaleP     *float32
}

// gemmS8Strips_6x16_vnni8 is the Strips of gemmS8_6x16_vnni8: with a float
// requantization and k a multiple of 4, one assembly call does all whole
// strips against all whole panels (no per-strip Go), then a partial last
// panel of those strips goes through gemmS8BcastU8Run.
func gemmS8Strips_6x16_vnni8(m, kc int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) int {
	return gemmS8StripsU8(false, m, kc, a, lda, b, y, ldy, ep)
}

// gemmS8Strips_6x32_avx512 is gemmS8Strips_6x16_vnni8 with the pairs of
// whole panels on the ZMM tile (gemmS8BcastU8FM_6x32_avx512) and an odd
// last whole panel on the 6×16 one; same packing.
func gemmS8Strips_6x32_avx512(m, kc int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) int {
	return gemmS8StripsU8(true, m, kc, a, lda, b, y, ldy, ep)
}

// gemmS8StripsU8 is the Strips of the u8 broadcast kernels; zmm puts pairs
// of whole panels on the 6×32 tile.
func gemmS8StripsU8(zmm bool, m, kc int, a []int8, lda int, b []int64, y []int8, ldy int, ep *gemmS8Epi) int {
	const mr = gemmS8BcastMR
	strips := m / mr
	if ep.fbias == nil || kc%4 != 0 || strips == 0 {
		return 0
	}
	pl := panelLenBcastU8(kc)
	full := ep.n / gemmS8BcastNR
	_ = a[(strips*mr-1)*lda+kc-1]
	_ = y[(strips*mr-1)*ldy+ep.n-1]
	var noclamp uintptr
	if ep.noClamp {
		noclamp = 1
	}
	// args is the call for panels [p0, p0+np) (the kernels advance its
	// row pointers and counters, so each call gets a fresh one).
	args := func(p0, np int) gemmS8BcastMArgs {
		j0 := p0 * gemmS8BcastNR
		return gemmS8BcastMArgs{a: &a[0], lda: uintptr(lda), strips: uintptr(strips), b: &b[p0*pl],
			bps: uintptr(pl) * 8, kq: uintptr(kc / 4), np: uintptr(np),
			bias: &ep.fbias[j0], scale: &ep.fscale[j0], y: &y[j0], ldy: uintptr(ldy),
			lo: ep.rq.lo, hi: ep.rq.hi, zp: ep.rq.zp, noclamp: noclamp}
	}
	p := 0
	if full > 0 {
		_ = b[full*pl-1]
		if pairs := full / 2; zmm && pairs > 0 {
			ar := args(0, pairs)
			gemmS8BcastU8FM_6x32_avx512(&ar)
			p = 2 * pairs
		}
		if p < full {
			ar := args(p, full-p)
			gemmS8BcastU8FM_6x16_vnni(&ar)
		}
	}
	if np := (ep.n + gemmS8BcastNR - 1) / gemmS8BcastNR; full < np {
		for i := 0; i < strips*mr; i += mr {
			gemmS8BcastU8Run(mr, kc, full, np, a[i*lda:], lda, b, y[i*ldy:], ldy, ep)
		}
	}
	return strips * mr
}
