package nn

import (
	"sort"

	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/tensor"
)

const arenaAlign = 64

// plan places every non-constant tensor at an offset of one arena so that
// tensors alive at the same time never overlap.
type plan struct {
	offset []int // per tensor id; -1 for constants and unused tensors
	size   int
}

type interval struct {
	id, bytes, first, last int
}

func planMemory(g *graph.Graph) plan {
	p := plan{offset: make([]int, len(g.Tensors))}
	for i := range p.offset {
		p.offset[i] = -1
	}
	end := len(g.Nodes)
	first := make([]int, len(g.Tensors))
	last := make([]int, len(g.Tensors))
	live := make([]bool, len(g.Tensors))
	touch := func(id, step int) {
		if id < 0 || g.Tensors[id].Const != nil {
			return
		}
		if !live[id] {
			live[id], first[id], last[id] = true, step, step
		}
		first[id] = min(first[id], step)
		last[id] = max(last[id], step)
	}
	for _, id := range g.Inputs {
		touch(id, -1)
	}
	for ni, n := range g.Nodes {
		for _, id := range n.Outputs {
			touch(id, ni)
		}
		for _, id := range n.Inputs {
			touch(id, ni)
		}
	}
	for _, id := range g.Outputs {
		touch(id, end)
	}
	var ivs []interval
	for id, ok := range live {
		if ok {
			t := &g.Tensors[id]
			b := tensor.NumElems(t.Shape) * t.DType.Size()
			b = (b + arenaAlign - 1) / arenaAlign * arenaAlign
			ivs = append(ivs, interval{id: id, bytes: b, first: first[id], last: last[id]})
		}
	}
	// Greedy by size: biggest first, each at the lowest offset that does not
	// collide with a placed tensor whose lifetime overlaps.
	sort.SliceStable(ivs, func(i, j int) bool { return ivs[i].bytes > ivs[j].bytes })
	var placed []interval
	for _, iv := range ivs {
		var busy [][2]int
		for _, q := range placed {
			if q.first <= iv.last && iv.first <= q.last {
				o := p.offset[q.id]
				busy = append(busy, [2]int{o, o + q.bytes})
			}
		}
		sort.Slice(busy, func(i, j int) bool { return busy[i][0] < busy[j][0] })
		off := 0
		for _, b := range busy {
			if off+iv.bytes <= b[0] {
				break
			}
			off = max(off, b[1])
		}
		p.offset[iv.id] = off
		p.size = max(p.size, off+iv.bytes)
		placed = append(placed, iv)
	}
	return p
}
