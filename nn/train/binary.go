package train

import (
	"strconv"

	"github.com/ocellus/ocellus/kernels"
)

// bcast walks an output of shape y with two operands broadcast to it
// (numpy rules, shapes right-aligned) as rows of a contiguous inner loop:
// after size-1 output axes are dropped and axes that broadcast alike are
// merged, every row is L output elements starting at yoff, operand a read
// from aoff with stride as (0 or 1) and b likewise.
type bcast struct {
	dims, sa, sb []int // merged output dims and operand strides (0 on broadcast axes)
}

func newBcast(y, a, b []int) bcast {
	r := len(y)
	pad := func(s []int) []int {
		p := make([]int, r)
		for i := range p {
			p[i] = 1
		}
		copy(p[r-len(s):], s)
		return p
	}
	strides := func(s []int) []int {
		st := make([]int, r)
		acc := 1
		for i := r - 1; i >= 0; i-- {
			if s[i] != 1 {
				st[i] = acc
			}
			acc *= s[i]
		}
		return st
	}
	pa, pb := pad(a), pad(b)
	sa, sb := strides(pa), strides(pb)
	var bc bcast
	for i := 0; i < r; i++ {
		if y[i] == 1 {
			continue
		}
		k := len(bc.dims) - 1
		if k >= 0 && bc.sa[k] == sa[i]*y[i] && bc.sb[k] == sb[i]*y[i] {
			// merge with the previous axis: both operands continue contiguously (or both broadcast)
			bc.dims[k] *= y[i]
			bc.sa[k], bc.sb[k] = sa[i], sb[i]
			continue
		}
		bc.dims = append(bc.dims, y[i])
		bc.sa = append(bc.sa, sa[i])
		bc.sb = append(bc.sb, sb[i])
	}
	if len(bc.dims) == 0 {
		bc.dims, bc.sa, bc.sb = []int{1}, []int{0}, []int{0}
	}
	return bc
}

// rows calls fn for every inner row in output order.
func (bc bcast) rows(fn func(yoff, aoff, boff, L, as, bs int)) {
	r := len(bc.dims)
	L := bc.dims[r-1]
	as, bs := bc.sa[r-1], bc.sb[r-1]
	idx := make([]int, r)
	yoff, aoff, boff := 0, 0, 0
	for {
		fn(yoff, aoff, boff, L, as, bs)
		yoff += L
		i := r - 2
		for ; i >= 0; i-- {
			idx[i]++
			aoff += bc.sa[i]
			boff += bc.sb[i]
			if idx[i] < bc.dims[i] {
				break
			}
			aoff -= bc.sa[i] * bc.dims[i]
			boff -= bc.sb[i] * bc.dims[i]
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// binaryBackward accumulates the gradients of y = a op b (numpy
// broadcasting) into da and db (either may be nil); gradients of broadcast
// operands are summed over the broadcast axes, in float32.
func binaryBackward(op kernels.BinOp, bc bcast, a, b, dy, da, db []float32) {
	bc.rows(func(yo, ao, bo, L, as, bs int) {
		d := dy[yo : yo+L]
		switch op {
		case kernels.OpAdd, kernels.OpSub:
			if da != nil {
				accRow(da[ao:], as, d, 1)
			}
			if db != nil {
				sign := float32(1)
				if op == kernels.OpSub {
					sign = -1
				}
				accRow(db[bo:], bs, d, sign)
			}
		case kernels.OpMul:
			if da != nil {
				mulAccRow(da[ao:], as, d, b[bo:], bs)
			}
			if db != nil {
				mulAccRow(db[bo:], bs, d, a[ao:], as)
			}
		case kernels.OpDiv:
			for j, v := range d {
				av, bv := a[ao+j*as], b[bo+j*bs]
				if da != nil {
					da[ao+j*as] += v / bv
				}
				if db != nil {
					db[bo+j*bs] -= v * av / (bv * bv)
				}
			}
		default:
			panic("train: no backward pass for binary op " + strconv.Itoa(int(op)))
		}
	})
}

// accRow adds sign·d to g with stride s (0: sum d into g[0]).
func accRow(g []float32, s int, d []float32, sign float32) {
	if s == 0 {
		var sum float32
		for _, v := range d {
			sum += v
		}
		g[0] += sign * sum
		return
	}
	g = g[:len(d)]
	for j, v := range d {
		g[j] += sign * v
	}
}

// mulAccRow adds d·o to g, g with stride gs and o with stride os (each 0 or 1).
func mulAccRow(g []float32, gs int, d, o []float32, os int) {
	switch {
	case gs == 1 && os == 1:
		g, o = g[:len(d)], o[:len(d)]
		for j, v := range d {
			g[j] += v * o[j]
		}
	case gs == 1:
		g = g[:len(d)]
		ov := o[0]
		for j, v := range d {
			g[j] += v * ov
		}
	case os == 1:
		var sum float32
		o = o[:len(d)]
		for j, v := range d {
			sum += v * o[j]
		}
		g[0] += sum
	default:
		var sum float32
		for _, v := range d {
			sum += v
		}
		g[0] += sum * o[0]
	}
}

// reduceMeanBackward adds dy/count, broadcast back over the reduced axes, to
// dx (shape xs); dy holds the reduced tensor (keepdims or not, the data are
// the same).
func reduceMeanBackward(xs []int, axes []int, dy, dx []float32) {
	ks := append([]int(nil), xs...)
	count := 1
	for _, a := range axes {
		count *= xs[a]
		ks[a] = 1
	}
	inv := 1 / float32(count)
	newBcast(xs, ks, ks).rows(func(yo, ao, _, L, as, _ int) {
		g := dx[yo : yo+L]
		if as == 0 {
			v := dy[ao] * inv
			for j := range g {
				g[j] += v
			}
			return
		}
		d := dy[ao : ao+L]
		for j, v := range d {
			g[j] += v * inv
		}
	})
}
