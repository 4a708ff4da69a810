package train

import (
	"sync"

	"github.com/ocellus/ocellus/kernels"
)

// workers splits a computation over n threads: the calling goroutine and
// n−1 goroutines started per call (a training step makes a few dozen such
// calls, each of milliseconds, so the start cost does not show). Every split
// gives each thread a disjoint part of the output, computed with the same
// arithmetic whatever n is, so results are identical for any thread count.
type workers struct{ n int }

// parts runs fn(part, parts) for part in [0, n) concurrently.
func (w workers) parts(fn func(part, parts int)) {
	n := max(w.n, 1)
	if n == 1 {
		fn(0, 1)
		return
	}
	var wg sync.WaitGroup
	wg.Add(n - 1)
	for p := 1; p < n; p++ {
		go func() {
			defer wg.Done()
			fn(p, n)
		}()
	}
	fn(0, n)
	wg.Wait()
}

// ranges splits [0, total) into up to n contiguous ranges whose inner edges
// are multiples of align, and runs fn on each concurrently.
func (w workers) ranges(total, align int, fn func(lo, hi int)) {
	n := max(w.n, 1)
	if align < 1 {
		align = 1
	}
	if n == 1 || total <= align {
		if total > 0 {
			fn(0, total)
		}
		return
	}
	blocks := (total + align - 1) / align
	n = min(n, blocks)
	w2 := workers{n: n}
	w2.parts(func(part, parts int) {
		lo := blocks * part / parts * align
		hi := min(blocks*(part+1)/parts*align, total)
		if lo < hi {
			fn(lo, hi)
		}
	})
}

// gemm computes c = a·b, or c += a·b when acc is set, for row-major
// a [m][k], b [k][n] and c [m][n]. b is packed once with
// kernels.PackDenseF32 (so the fastest available GEMM kernel runs,
// assembly where there is one) and the output is split over the threads
// with DenseF32.RunPart, which is bit-identical for any split. tmp is
// scratch for acc (grown as needed; pass the same pointer again).
func (w workers) gemm(m, n, k int, a, b, c []float32, acc bool, tmp *[]float32) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !acc {
			clear(c[:m*n])
		}
		return
	}
	d := kernels.PackDenseF32(k, n, b, nil, kernels.Act{})
	dst := c
	if acc {
		*tmp = grow(*tmp, m*n)
		dst = *tmp
	}
	w.parts(func(part, parts int) { d.RunPart(a, m, dst, part, parts) })
	if acc {
		addTo(c[:m*n], dst[:m*n])
	}
}

// transpose2D writes the [rows][cols] matrix x transposed into y [cols][rows].
func transpose2D(rows, cols int, x, y []float32) {
	if rows == 0 || cols == 0 {
		return
	}
	kernels.Transpose(x[:rows*cols], []int{rows, cols}, []int{1, 0}, y[:rows*cols])
}

// grow returns s with length n, reusing its array when it is large enough.
// The contents are not cleared.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// addTo adds src to dst elementwise.
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
