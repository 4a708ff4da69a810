package kernels

import "strconv"

// gemmF32Impl is one float32 GEMM micro-kernel with the B packing it reads.
// Pack lays B out once, at load, in column panels of NR columns, each
// [K][NR] (zero-padded past n), panel p at p·K·NR. A kernel comes in one of
// two forms.
//
// Fn (pure Go) computes np adjacent full MR×NR tiles, one strip of MR rows
// against np column panels:
//
//	c[i*ldc+p*NR+j] += Σ_{k<kc} a[i*lda+k] · b[p*bps+k*ldb+j]   (i < MR, p < np, j < NR)
//
// accumulating each element from zero in k order before adding it to c, so
// that gemmF32Edge (used for partial tiles) gives bit-identical results.
// Packed B has ldb = NR and panel stride bps = K·NR; a row-major B has
// ldb = N and bps = NR. The driver writes the bias first and applies the
// activation to finished blocks.
//
// Asm (assembly; see gemmF32Args and gemmF32Asm) computes a block of rows,
// strip by strip of MR rows, against all columns in steps of NStep, with
// the bias, the accumulation into C across K blocks and the activation
// fused. The driver sends the last n mod NStep columns through a stack
// tile (gemmF32RunAsm), so every element is one FMA chain in k order
// whatever tile it falls in.
//
// Both loop over the panels inside the kernel, which keeps the call and
// slicing overhead out of small-K layers.
type gemmF32Impl struct {
	Name      string
	Available func() bool
	MR, NR    int
	KC        int // K block: a kc·NR slice of a B panel stays in L1
	// Strided reports that Fn is as fast with an unpacked B (ldb > NR) as
	// with a packed panel; MatMulF32 only uses such kernels.
	Strided bool
	Pack    func(k, n, nr int, b []float32, rs, cs int, dst []float32)
	Fn      func(kc, np int, a []float32, lda int, b []float32, ldb, bps int, c []float32, ldc int)
	Asm     gemmF32Asm
	NStep   int // column step of Asm (a divisor of NR)
}

// gemmF32Asm names an assembly strip kernel. run calls it directly: a call
// through a func value would make the argument block (and the stack tile it
// may point to) escape to the heap on every call.
type gemmF32Asm uint8

const (
	gemmF32AsmNone gemmF32Asm = iota
	gemmF32Asm6x16AVX2
	gemmF32Asm6x32AVX512
	gemmF32Asm8x8NEON
)

func (k gemmF32Asm) run(p *gemmF32Args) {
	switch k {
	case gemmF32Asm6x16AVX2:
		gemmF32_6x16_avx2(p)
	case gemmF32Asm6x32AVX512:
		gemmF32_6x32_avx512(p)
	case gemmF32Asm8x8NEON:
		gemmF32_8x8_neon(p)
	default:
		panic("kernels: no assembly GEMM kernel " + strconv.Itoa(int(k)))
	}
}

// gemmF32Impls is the registration list of float32 GEMM micro-kernels, best
// first. Dispatch takes the first available entry; tests and benchmarks loop
// over all of them. The list is the only place to edit when adding a kernel.
var gemmF32Impls = []gemmF32Impl{
	{Name: "gemmF32_6x32_avx512", Available: f32HaveAVX512, MR: 6, NR: 32, KC: gemmF32KC,
		Pack: packGemmF32B, Asm: gemmF32Asm6x32AVX512, NStep: 8},
	{Name: "gemmF32_6x16_avx2", Available: f32HaveAVX2, MR: 6, NR: 16, KC: gemmF32KC,
		Pack: packGemmF32B, Asm: gemmF32Asm6x16AVX2, NStep: 8},
	{Name: "gemmF32_8x8_neon", Available: f32HaveNEON, MR: 8, NR: 8, KC: gemmF32KC,
		Pack: packGemmF32B, Asm: gemmF32Asm8x8NEON, NStep: 8},
	{Name: "gemmF32_6x1_go", Available: always, MR: 6, NR: 1, KC: gemmF32KC,
		Pack: packGemmF32B, Fn: gemmF32_6x1_go},
	{Name: "gemmF32_4x2_go", Available: always, MR: 4, NR: 2, KC: gemmF32KC, Strided: true,
		Pack: packGemmF32B, Fn: gemmF32_4x2_go},
}

func always() bool { return true }

// pack packs B for this impl into dst (len gemmF32PackedLen(k, n, im.NR)).
func (im *gemmF32Impl) pack(k, n int, b []float32, rs, cs int, dst []float32) {
	im.Pack(k, n, im.NR, b, rs, cs, dst)
}

// Cache blocking of the GEMM driver: a kc-slice of a B panel (gemmF32KC·NR
// floats) stays in L1 while it is used for gemmF32MC rows of A (in L2).
const (
	gemmF32KC = 256
	gemmF32MC = 64
)

// gemmF32Best returns the first available impl, optionally requiring Strided.
func gemmF32Best(strided bool) *gemmF32Impl {
	for i := range gemmF32Impls {
		im := &gemmF32Impls[i]
		if im.Available() && (im.Strided || !strided) {
			return im
		}
	}
	panic("kernels: no float32 GEMM kernel available")
}

// gemmF32PackedLen is the length of B [k][n] packed into panels of nr columns.
func gemmF32PackedLen(k, n, nr int) int {
	return (n + nr - 1) / nr * nr * k
}

// packGemmF32B packs B into column panels of nr columns: panel p holds
// columns [p·nr, p·nr+nr) as [k][nr] (zero-padded past n). Element (kk, j)
// of B is read as b[kk*rs + j*cs], so B may be given row-major (rs=n, cs=1)
// or transposed (rs=1, cs=k, e.g. OHWI conv weights).
func packGemmF32B(k, n, nr int, b []float32, rs, cs int, dst []float32) {
	for p := 0; p*nr < n; p++ {
		panel := dst[p*nr*k : (p+1)*nr*k]
		for kk := 0; kk < k; kk++ {
			for jj := 0; jj < nr; jj++ {
				j := p*nr + jj
				v := float32(0)
				if j < n {
					v = b[kk*rs+j*cs]
				}
				panel[kk*nr+jj] = v
			}
		}
	}
}

// gemmF32Packed computes rows [0, m) of
//
//	c[i*ldc+j] = act(bias[j] + Σ_k a[i*lda+k] · B[k][j])   (j < n)
//
// with B packed by packGemmF32B for im.NR. bias may be nil. The sum for every
// element is formed the same way whatever m is, as long as the caller splits
// M at multiples of im.MR: per K block of gemmF32KC, a zero-started partial
// sum in k order, added to c.
func gemmF32Packed(im *gemmF32Impl, m, n, k int, a []float32, lda int, bp []float32,
	bias []float32, c []float32, ldc int, act Act) {
	if im.Asm != gemmF32AsmNone {
		gemmF32PackedAsm(im, m, n, k, a, lda, bp, bias, c, ldc, act)
		return
	}
	mr, nr := im.MR, im.NR
	mc := max(gemmF32MC/mr, 1) * mr // whole strips: partial ones only at m
	for i0 := 0; i0 < m; i0 += mc {
		mb := min(mc, m-i0)
		for i := i0; i < i0+mb; i++ {
			row := c[i*ldc : i*ldc+n]
			if bias != nil {
				copy(row, bias[:n])
			} else {
				clear(row)
			}
		}
		for k0 := 0; k0 < k; k0 += im.KC {
			kc := min(im.KC, k-k0)
			for i := i0; i < i0+mb; i += mr {
				mi := min(mr, i0+mb-i)
				ai, ci := a[i*lda+k0:], c[i*ldc:]
				j0 := 0
				if mi == mr && n >= nr {
					im.Fn(kc, n/nr, ai, lda, bp[k0*nr:], nr, k*nr, ci, ldc)
					j0 = n / nr * nr
				}
				for ; j0 < n; j0 += nr {
					gemmF32Edge(mi, min(nr, n-j0), kc, ai, lda, bp[j0*k+k0*nr:], nr, ci[j0:], ldc)
				}
			}
		}
		if act.Kind != ActNone {
			for i := i0; i < i0+mb; i++ {
				ApplyAct(act, c[i*ldc:i*ldc+n])
			}
		}
	}
}

// gemmF32PackedAsm is gemmF32Packed for an Asm kernel: per K block, one
// kernel call per block of rows (all of them when K fits one block and the
// activation is fused), the first K block starting from the bias and the
// last applying the activation; sigmoid and swish, which the kernels do
// not fuse, get the vector activation pass on each finished block.
// gemmF32PackedColumns is part of parts of gemmF32Packed split by columns
// at panel edges (for m below one strip, where a split by rows leaves one
// part all the work): the part's columns, their packed panels and bias.
func gemmF32PackedColumns(im *gemmF32Impl, m, n, k int, a []float32, lda int, bp []float32,
	bias []float32, c []float32, ldc int, act Act, part, parts int) {
	j0, j1 := stripRange(n, im.NR, part, parts)
	if j0 >= j1 {
		return
	}
	if bias != nil {
		bias = bias[j0:j1]
	}
	gemmF32Packed(im, m, j1-j0, k, a, lda, bp[j0*k:], bias, c[j0:], ldc, act)
}

func gemmF32PackedAsm(im *gemmF32Impl, m, n, k int, a []float32, lda int, bp []float32,
	bias []float32, c []float32, ldc int, act Act) {
	mr, nr := im.MR, im.NR
	fa, fused := act.asmArgs()
	mc := m // one K block and a fused activation: C is written once
	if k > im.KC || !fused {
		mc = max(gemmF32MC/mr, 1) * mr // the block stays in cache for the next K block or the activation pass
	}
	for i0 := 0; i0 < m; i0 += mc {
		mb := min(mc, m-i0)
		for k0 := 0; k0 < k; k0 += im.KC {
			kc := min(im.KC, k-k0)
			last := k0+kc == k
			var ka f32ActArgs
			if last {
				ka = fa
			}
			gemmF32RunAsm(im, mb, n, kc, a[i0*lda+k0:], lda, bp[k0*nr:], k*nr, c[i0*ldc:], ldc, bias, k0 > 0, ka)
		}
		if !fused {
			actF32Best().applyRows(act, c[i0*ldc:], mb, n, ldc)
		}
	}
}

// gemmF32RunAsm runs im.Asm on rows [0, m) and columns [0, n) for one K
// block of kc: the columns that fill whole steps of NStep in place, the
// rest strip by strip through a tile on the stack (copied in when loadC,
// out after), with B read from the panel and offset the columns fall in.
// bps is the panel stride in floats.
func gemmF32RunAsm(im *gemmF32Impl, m, n, kc int, a []float32, lda int, b []float32, bps int,
	c []float32, ldc int, bias []float32, loadC bool, act f32ActArgs) {
	nr, step := im.NR, im.NStep
	np := (n + nr - 1) / nr
	_ = a[(m-1)*lda+kc-1]
	_ = b[(np-1)*bps+kc*nr-1]
	_ = c[(m-1)*ldc+n-1]
	p := gemmF32Args{
		a: &a[0], b: &b[0],
		lda: uintptr(lda) * 4, ldc: uintptr(ldc) * 4, bps: uintptr(bps) * 4,
		kc: uintptr(kc), m: uintptr(m), act: act,
	}
	if loadC {
		p.loadC = 1
	} else if bias != nil {
		_ = bias[n-1]
		p.bias = &bias[0]
	}
	nf := n / step * step
	if nf > 0 {
		p.c = &c[0]
		p.n = uintptr(nf)
		im.Asm.run(&p)
	}
	if nf == n {
		return
	}
	// Tail: columns [nf, n) as one step of a stack tile with row stride
	// step, one strip of MR rows at a time.
	var tile [gemmF32MaxMR * gemmF32MaxStep]float32
	var tbias [gemmF32MaxStep]float32
	w := n - nf
	if !loadC && bias != nil {
		copy(tbias[:w], bias[nf:n])
		p.bias = &tbias[0]
	}
	p.b = &b[nf/nr*bps+nf%nr]
	p.c = &tile[0]
	p.ldc = uintptr(step) * 4
	p.n = uintptr(step)
	for i0 := 0; i0 < m; i0 += im.MR {
		mr := min(im.MR, m-i0)
		if loadC {
			for i := 0; i < mr; i++ {
				copy(tile[i*step:i*step+w], c[(i0+i)*ldc+nf:(i0+i)*ldc+n])
			}
		}
		p.a = &a[i0*lda]
		p.m = uintptr(mr)
		im.Asm.run(&p)
		for i := 0; i < mr; i++ {
			copy(c[(i0+i)*ldc+nf:(i0+i)*ldc+n], tile[i*step:i*step+w])
		}
	}
}

// Bounds of the assembly tiles (the stack tile of gemmF32RunAsm).
const (
	gemmF32MaxMR   = 8
	gemmF32MaxStep = 16
)

// gemmF32Edge is the any-size tile used at the M and N edges: the same
// per-element arithmetic as the micro-kernels, without register blocking.
func gemmF32Edge(mr, nr, kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < mr; i++ {
		ar := a[i*lda : i*lda+kc]
		for j := 0; j < nr; j++ {
			var acc float32
			for k, av := range ar {
				acc += av * b[k*ldb+j]
			}
			c[i*ldc+j] += acc
		}
	}
}

// MatMulF32 is a plain GEMM with runtime operands (MatMul of two
// activations): c[M][N] = a[M][K] · b[K][N], all row-major; c is overwritten.
//
//	for i := 0; i < M; i++ {
//		for j := 0; j < N; j++ {
//			var s float32
//			for k := 0; k < K; k++ {
//				s += a[i*K+k] * b[k*N+j]
//			}
//			c[i*N+j] = s
//		}
//	}
//
// B is read in place (no packing, so no scratch), with a kernel that is fast
// on a strided B.
func MatMulF32(M, N, K int, a, b, c []float32) {
	if M < 0 || N < 0 || K < 0 {
		panic("kernels: MatMulF32 negative size")
	}
	if len(a) < M*K || len(b) < K*N || len(c) < M*N {
		panic("kernels: MatMulF32 short slice: need a " + strconv.Itoa(M*K) + ", b " +
			strconv.Itoa(K*N) + ", c " + strconv.Itoa(M*N))
	}
	matMulF32With(gemmF32Best(true), M, N, K, a, b, c)
}

func matMulF32With(im *gemmF32Impl, M, N, K int, a, b, c []float32) {
	clear(c[:M*N])
	mr, nr := im.MR, im.NR
	mc := max(gemmF32MC/mr, 1) * mr
	for i0 := 0; i0 < M; i0 += mc {
		mb := min(mc, M-i0)
		for k0 := 0; k0 < K; k0 += im.KC {
			kc := min(im.KC, K-k0)
			for i := i0; i < i0+mb; i += mr {
				mi := min(mr, i0+mb-i)
				ai, ci := a[i*K+k0:], c[i*N:]
				j0 := 0
				if mi == mr && N >= nr {
					im.Fn(kc, N/nr, ai, K, b[k0*N:], N, nr, ci, N)
					j0 = N / nr * nr
				}
				for ; j0 < N; j0 += nr {
					gemmF32Edge(mi, min(nr, N-j0), kc, ai, K, b[k0*N+j0:], N, ci[j0:], N)
				}
			}
		}
	}
}
