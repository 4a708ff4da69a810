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
