package kernels

import "fmt"

// Transpose permutes the axes of x (row-major, shape shape) into y, whose
// shape is shape[perm[0]], shape[perm[1]], …, as ONNX Transpose does. perm
// must be a permutation of 0..rank-1; len(x) and len(y) must equal the element
// count. x and y must not overlap.
//
// The reference loop, for every output multi-index o:
//
//	y[o] = x[i] where i[perm[k]] = o[k]
//
// The kernel first drops size-1 axes and merges runs of axes that stay
// adjacent and in order, so NCHW→NHWC ([N,C,H,W], perm [0,2,3,1]) becomes a
// batch of 2-D transposes [C, H·W] → [H·W, C]. Cases then taken:
//   - identity after merging: one copy;
//   - innermost axis unmoved: copy contiguous inner blocks;
//   - 2-D or batched 2-D: cache-blocked tile transpose;
//   - otherwise: a strided walk over the output.
func Transpose[T any](x []T, shape, perm []int, y []T) {
	const what = "Transpose"
	n := tensorNumel(what, shape)
	tensorCheckLen(what, "x", len(x), n)
	tensorCheckLen(what, "y", len(y), n)
	r := len(shape)
	if len(perm) != r {
		panic(fmt.Sprintf("kernels: Transpose: len(perm) = %d, rank %d", len(perm), r))
	}
	var seen [tensorMaxRank]bool
	for _, p := range perm {
		if p < 0 || p >= r || seen[p] {
			panic(fmt.Sprintf("kernels: Transpose: perm %s is not a permutation of 0..%d", tensorShapeString(perm), r-1))
		}
		seen[p] = true
	}
	if n == 0 {
		return
	}

	// Drop size-1 axes: keep[] lists the input axes that remain, and newID maps
	// an original input axis to its index among those kept.
	var newID [tensorMaxRank]int
	k := 0
	for a := 0; a < r; a++ {
		if shape[a] != 1 {
			newID[a] = k
			k++
		}
	}
	var s1 [tensorMaxRank]int // kept input dims
	var p1 [tensorMaxRank]int // perm over kept axes
	for a := 0; a < r; a++ {
		if shape[a] != 1 {
			s1[newID[a]] = shape[a]
		}
	}
	m := 0
	for _, p := range perm {
		if shape[p] != 1 {
			p1[m] = newID[p]
			m++
		}
	}

	// Merge output-adjacent axes that are also input-adjacent and in order.
	// groupOf[inputAxis] is the group index in output order; start marks the
	// first input axis of each group.
	var groupFirst [tensorMaxRank]int // first input axis of each group (output order)
	var groupDim [tensorMaxRank]int
	g := 0
	for i := 0; i < m; i++ {
		if i > 0 && p1[i] == p1[i-1]+1 {
			groupDim[g-1] *= s1[p1[i]]
			continue
		}
		groupFirst[g] = p1[i]
		groupDim[g] = s1[p1[i]]
		g++
	}
	// Renumber groups by input order to get the merged input shape and perm.
	var inOrder [tensorMaxRank]int // inOrder[j] = group index that is j-th in input order
	for i := 0; i < g; i++ {
		inOrder[i] = i
	}
	for i := 1; i < g; i++ { // insertion sort by first input axis; g ≤ 8
		for j := i; j > 0 && groupFirst[inOrder[j]] < groupFirst[inOrder[j-1]]; j-- {
			inOrder[j], inOrder[j-1] = inOrder[j-1], inOrder[j]
		}
	}
	var sh [tensorMaxRank]int // merged input shape
	var pm [tensorMaxRank]int // merged perm: output axis i reads merged input axis pm[i]
	var rankOf [tensorMaxRank]int
	for j := 0; j < g; j++ {
		sh[j] = groupDim[inOrder[j]]
		rankOf[inOrder[j]] = j
	}
	for i := 0; i < g; i++ {
		pm[i] = rankOf[i]
	}

	switch {
	case g <= 1:
		copy(y, x)
		return
	case g == 2: // pm must be [1 0]
		tensorTransposeTile(x, sh[0], sh[1], y)
		return
	case g == 3 && pm[0] == 0 && pm[1] == 2 && pm[2] == 1:
		rows, cols := sh[1], sh[2]
		plane := rows * cols
		for b := 0; b < sh[0]; b++ {
			tensorTransposeTile(x[b*plane:(b+1)*plane], rows, cols, y[b*plane:(b+1)*plane])
		}
		return
	}

	// Input strides of the merged shape.
	var st [tensorMaxRank]int
	acc := 1
	for j := g - 1; j >= 0; j-- {
		st[j] = acc
		acc *= sh[j]
	}
	// Output dims and the input stride each output axis walks.
	var od, os [tensorMaxRank]int
	for i := 0; i < g; i++ {
		od[i] = sh[pm[i]]
		os[i] = st[pm[i]]
	}

	if pm[g-1] == g-1 {
		// The innermost block is contiguous in both x and y.
		blk := od[g-1]
		tensorWalk(od[:g-1], os[:g-1], blk, func(dst, src int) {
			copy(y[dst:dst+blk], x[src:src+blk])
		})
		return
	}
	inner, istride := od[g-1], os[g-1]
	tensorWalk(od[:g-1], os[:g-1], inner, func(dst, src int) {
		row := y[dst : dst+inner]
		for j := range row {
			row[j] = x[src+j*istride]
		}
	})
}

// tensorWalk visits, in output order, every position of the outer output axes
// dims (walking the input with the given strides), calling body with the
// output and input offsets of each row of rowLen contiguous output elements.
func tensorWalk(dims, strides []int, rowLen int, body func(dst, src int)) {
	var idx [tensorMaxRank]int
	total := 1
	for _, d := range dims {
		total *= d
	}
	src := 0
	last := len(dims) - 1
	for dst := 0; dst < total*rowLen; dst += rowLen {
		body(dst, src)
		for a := last; a >= 0; a-- {
			idx[a]++
			src += strides[a]
			if idx[a] < dims[a] {
				break
			}
			src -= idx[a] * strides[a]
			idx[a] = 0
		}
	}
}

// tensorTransposeTile writes the transpose of the rows×cols matrix x into y
// (cols×rows), in square tiles so both sides stay in cache.
func tensorTransposeTile[T any](x []T, rows, cols int, y []T) {
	const tile = 32
	x = x[:rows*cols]
	y = y[:rows*cols]
	switch {
	case rows == 3: // colour planes → interleaved (CHW → HWC)
		x0, x1, x2 := x[:cols], x[cols:2*cols], x[2*cols:3*cols]
		for j := range x0 {
			out := y[3*j : 3*j+3 : 3*j+3]
			out[0], out[1], out[2] = x0[j], x1[j], x2[j]
		}
		return
	case cols == 3: // interleaved → colour planes (HWC → CHW)
		y0, y1, y2 := y[:rows], y[rows:2*rows], y[2*rows:3*rows]
		for i := range y0 {
			in := x[3*i : 3*i+3 : 3*i+3]
			y0[i], y1[i], y2[i] = in[0], in[1], in[2]
		}
		return
	case rows <= 4:
		// Few rows: walk the columns, gathering one element per row; reads
		// stay sequential in each row stream.
		for j := 0; j < cols; j++ {
			out := y[j*rows : j*rows+rows]
			for i := range out {
				out[i] = x[i*cols+j]
			}
		}
		return
	}
	for i0 := 0; i0 < rows; i0 += tile {
		i1 := min(i0+tile, rows)
		for j0 := 0; j0 < cols; j0 += tile {
			j1 := min(j0+tile, cols)
			for j := j0; j < j1; j++ {
				out := y[j*rows+i0 : j*rows+i1]
				src := i0*cols + j
				for i := range out {
					out[i] = x[src]
					src += cols
				}
			}
		}
	}
}
