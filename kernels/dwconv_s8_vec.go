package kernels

// Int8 depthwise interior kernels in assembly share this Go side: the
// assembly sums the taps of a run of pixels over all channels into int32
// (dwS8Args), in channel blocks of 32 and 8 (a last partial block overlaps
// the one before, so C >= 8), and requantPlan.rows turns a chunk of pixels
// into int8 with the vector requantization. Sums are exact, so the result
// is the Go kernels' bit for bit.

// dwS8Args is one call of an assembly depthwise sum: for pixel p < n and
// channel ch < c,
//
//	acc[p*c+ch] = Σ_{ky<kh, kx<kw} x[p*pixStep + ky*tapY + kx*tapX + ch] · w[(ky*kw+kx)*c + ch]
//
// (strides in bytes; w int32, tap-major).
type dwS8Args struct {
	x                   *int8
	w                   *int32
	acc                 *int32
	c, n                uintptr
	pixStep, tapY, tapX uintptr
	kh, kw              uintptr
}

// dwS8AccLen is the length of the int32 buffer (dwRowS8.Acc, in the
// convolution's scratch) into which the assembly depthwise kernels sum a
// chunk of pixels before requantizing them: up to 4096 sums, at least one
// pixel.
func dwS8AccLen(c, ow int) int { return c * min(ow, max(1, 4096/c)) }

// dwconvS8KernelKind names an assembly depthwise sum for the direct call.
type dwconvS8KernelKind uint8

const (
	dwS8AVX2 dwconvS8KernelKind = iota + 1
	dwS8NEON
)

func (k dwconvS8KernelKind) run(a *dwS8Args) {
	switch k {
	case dwS8AVX2:
		dwconvS8Acc_avx2(a)
	case dwS8NEON:
		dwconvS8Acc_neon(a)
	default:
		panic("kernels: no int8 depthwise kernel")
	}
}

// dwconvS8VecRun is the Fn of the assembly depthwise impls: chunks of
// pixels summed by kernel k into r.Acc, then requantized; fewer than 8
// channels (or an Acc shorter than one pixel) go to the Go kernel.
func dwconvS8VecRun(k dwconvS8KernelKind, x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	c := r.C
	if c < 8 || len(r.Acc) < c {
		dwconvS8_kxk_go(x, w, bias, y, r, rq)
		return
	}
	if r.N <= 0 {
		return
	}
	// Bounds: the last pixel's last tap, the weights, the outputs.
	_ = x[(r.N-1)*r.PixStep+(r.KH-1)*r.TapY+(r.KW-1)*r.TapX+c-1]
	_ = w[r.KH*r.KW*c-1]
	_ = y[r.N*c-1]
	acc := r.Acc
	chunk := len(acc) / c
	a := dwS8Args{w: &w[0], acc: &acc[0], c: uintptr(c), pixStep: uintptr(r.PixStep),
		tapY: uintptr(r.TapY), tapX: uintptr(r.TapX), kh: uintptr(r.KH), kw: uintptr(r.KW)}
	for p := 0; p < r.N; p += chunk {
		np := min(chunk, r.N-p)
		a.x = &x[p*r.PixStep]
		a.n = uintptr(np)
		k.run(&a)
		rq.rows(acc[:np*c], c, bias, 0, c, np, y[p*c:], c)
	}
}

func dwconvS8_kxk_avx2(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	dwconvS8VecRun(dwS8AVX2, x, w, bias, y, r, rq)
}

func dwconvS8_kxk_neon(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	dwconvS8VecRun(dwS8NEON, x, w, bias, y, r, rq)
}

// Pair kernels (dwconvS8_pairs_vnni, dwconvS8_pairs_avx2): two taps per
// multiply-add. For a block of 16 channels the inputs of taps t and t+1
// are sign-extended to int16 (VPMOVSXBW) and interleaved (VPUNPCKLWD,
// VPUNPCKHWD), so each int32 lane holds one channel's pair, and VPDPWSSD
// (or VPMADDWD + VPADDD) adds x_t·w_t + x_t+1·w_t+1 exactly. The unpacks
// work within 128-bit lanes, so the sums come out as channels [0–3, 8–11]
// and [4–7, 12–15] and are put back in order before the store. Blocks
// start at 16b, the last at C−16 (overlapping; C >= 16).
//
// Packed weights (packDWPairs): per block, per pair of taps (an odd last
// tap paired with zero), 16 int16 pairs in that lane order.

// dwS8PairArgs is one call of a pair kernel: pixels n, channels c, the
// byte offset of each tap in a pixel's window (offs, pairs·2 entries) and
// the packed weights.
//
// With fused set the float requantization is done in the kernel: the
// outputs of pixel p, channel ch, at y[p*c+ch] = requant(sum + bias[ch])
// with scale[ch], lo, hi, zp as requantPlan's; acc is not used.
type dwS8PairArgs struct {
	x       *int8
	w       *int16
	acc     *int32
	offs    *uintptr
	c, n    uintptr
	pairs   uintptr
	pixStep uintptr
	fused   uintptr
	bias    *int32
	scale   *float32
	y       *int8
	lo, hi  float32
	zp      int32
}

// dwS8PairBlocks is the number of 16-channel blocks of c channels.
func dwS8PairBlocks(c int) int { return (c + 15) / 16 }

// packDWPairs packs tap-major int32 weights wd [taps][c] for the pair
// kernels.
func packDWPairs(wd []int32, taps, c int) []int16 {
	pairs := (taps + 1) / 2
	nb := dwS8PairBlocks(c)
	p := make([]int16, nb*pairs*32)
	for b := 0; b < nb; b++ {
		s := min(16*b, c-16)
		for q := 0; q < pairs; q++ {
			blk := p[(b*pairs+q)*32:][:32]
			for i := 0; i < 16; i++ {
				// Lane l of register r holds channel ch.
				r, l := i/4%2, i%4+4*(i/8)
				ch := s + i
				t0, t1 := 2*q, 2*q+1
				blk[r*16+2*l] = int16(wd[t0*c+ch])
				if t1 < taps {
					blk[r*16+2*l+1] = int16(wd[t1*c+ch])
				}
			}
		}
	}
	return p
}

// dwconvS8PairRun is the Fn of the pair impls (r.WP packed by
// packDWPairs); fewer than 16 channels go to the int32 kernel run.
func dwconvS8PairRun(vnni bool, x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	c := r.C
	taps := r.KH * r.KW
	if c < 16 || len(r.Acc) < c || taps > 32 || len(r.WP) < dwS8PairBlocks(c)*(taps+1)/2*32 {
		dwconvS8VecRun(dwS8AVX2, x, w, bias, y, r, rq)
		return
	}
	if r.N <= 0 {
		return
	}
	_ = x[(r.N-1)*r.PixStep+(r.KH-1)*r.TapY+(r.KW-1)*r.TapX+c-1]
	_ = y[r.N*c-1]
	pairs := (taps + 1) / 2
	var offs [32]uintptr
	for t := 0; t < 2*pairs; t++ {
		tt := min(t, taps-1) // the odd pad tap reads a real tap (zero weight)
		offs[t] = uintptr(tt/r.KW*r.TapY + tt%r.KW*r.TapX)
	}
	acc := r.Acc
	chunk := len(acc) / c
	a := dwS8PairArgs{w: &r.WP[0], acc: &acc[0], offs: &offs[0], c: uintptr(c), pairs: uintptr(pairs),
		pixStep: uintptr(r.PixStep)}
	if rq.mode == RequantFloat {
		// Requantization fused into the kernel's store.
		a.fused = 1
		a.bias, a.scale, a.y = &bias[:c][0], &rq.scale[:c][0], &y[0]
		a.lo, a.hi, a.zp = rq.lo, rq.hi, rq.zp
		a.x = &x[0]
		a.n = uintptr(r.N)
		if vnni {
			dwconvS8Pairs_vnni(&a)
		} else {
			dwconvS8Pairs_avx2(&a)
		}
		return
	}
	for p := 0; p < r.N; p += chunk {
		np := min(chunk, r.N-p)
		a.x = &x[p*r.PixStep]
		a.n = uintptr(np)
		if vnni {
			dwconvS8Pairs_vnni(&a)
		} else {
			dwconvS8Pairs_avx2(&a)
		}
		rq.rows(acc[:np*c], c, bias, 0, c, np, y[p*c:], c)
	}
}

func dwconvS8_pairs_vnni(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	dwconvS8PairRun(true, x, w, bias, y, r, rq)
}

func dwconvS8_pairs_avx2(x []int8, w, bias []int32, y []int8, r dwRowS8, rq *requantPlan) {
	dwconvS8PairRun(false, x, w, bias, y, r, rq)
}
