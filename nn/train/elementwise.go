package train

import (
	"strconv"

	"github.com/ocellus/ocellus/kernels"
)

// actBackward adds dy·f'(x) to dx for the activation a, where y = f(x) is
// the forward output. At the kinks it follows PyTorch: ReLU passes the
// gradient only for x > 0, Clip (ReLU6 is Clip{0, 6}, PyTorch's hardtanh)
// only strictly inside (Min, Max), hard-sigmoid only where Alpha·x + Beta is
// strictly inside (0, 1), hard-swish is 0 below −3, x/3 + 1/2 on [−3, 3]
// and 1 above.
func actBackward(wk workers, a kernels.Act, x, y, dy, dx []float32) {
	wk.ranges(len(dx), 1024, func(lo, hi int) {
		actBackwardRange(a, x[lo:hi], y[lo:hi], dy[lo:hi], dx[lo:hi])
	})
}

func actBackwardRange(a kernels.Act, x, y, dy, dx []float32) {
	dy = dy[:len(dx)]
	switch a.Kind {
	case kernels.ActNone:
		addTo(dx, dy)
	case kernels.ActRelu:
		x = x[:len(dx)]
		for i, d := range dy {
			if x[i] > 0 {
				dx[i] += d
			}
		}
	case kernels.ActClip:
		x = x[:len(dx)]
		lo, hi := a.Min, a.Max
		for i, d := range dy {
			if v := x[i]; v > lo && v < hi {
				dx[i] += d
			}
		}
	case kernels.ActSigmoid:
		y = y[:len(dx)]
		for i, d := range dy {
			s := y[i]
			dx[i] += d * s * (1 - s)
		}
	case kernels.ActHardSigmoid:
		x = x[:len(dx)]
		al, be := a.Alpha, a.Beta
		for i, d := range dy {
			if v := al*x[i] + be; v > 0 && v < 1 {
				dx[i] += d * al
			}
		}
	case kernels.ActHardSwish:
		x = x[:len(dx)]
		for i, d := range dy {
			switch v := x[i]; {
			case v < -3:
			case v <= 3:
				dx[i] += d * (v/3 + 0.5)
			default:
				dx[i] += d
			}
		}
	case kernels.ActSwish:
		x = x[:len(dx)]
		sig := kernels.Act{Kind: kernels.ActSigmoid}
		for i, d := range dy {
			v := x[i]
			s := sig.Eval(v)
			dx[i] += d * s * (1 + v*(1-s))
		}
	default:
		panic("train: no backward pass for activation kind " + strconv.Itoa(int(a.Kind)))
	}
}

// bnBackward adds dy·scale[c] to dx: the gradient of frozen (inference)
// batch normalisation y = x·scale + shift with the channel axis last. The
// parameters are not trained, so there are no parameter gradients.
func bnBackward(wk workers, scale, dy, dx []float32) {
	C := len(scale)
	rows := len(dx) / C
	wk.ranges(rows, 16, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			d, g := dy[r*C:(r+1)*C], dx[r*C:(r+1)*C]
			for c, v := range d {
				g[c] += v * scale[c]
			}
		}
	})
}

// gapBackward adds the gradient of global average pooling over the HW
// positions of each image, dx[n][p][c] += dy[n][c] / HW.
func gapBackward(wk workers, N, HW, C int, dy, dx []float32) {
	inv := 1 / float32(HW)
	wk.ranges(N*HW, 16, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			n := r / HW
			d, g := dy[n*C:(n+1)*C], dx[r*C:(r+1)*C]
			for c, v := range d {
				g[c] += v * inv
			}
		}
	})
}

// dropoutForward writes y = x·mask, where mask[i] is 0 with probability
// rate and 1/(1−rate) otherwise (inverted dropout), drawing the mask from
// rnd (a uniform float in [0, 1)) and keeping it for the backward pass.
func dropoutForward(rate float32, rnd func() float64, x, y, mask []float32) {
	keep := 1 / (1 - rate)
	for i := range mask {
		m := keep
		if rnd() < float64(rate) {
			m = 0
		}
		mask[i] = m
	}
	for i, v := range x {
		y[i] = v * mask[i]
	}
}

// dropoutBackward adds dy·mask to dx.
func dropoutBackward(mask, dy, dx []float32) {
	for i, d := range dy {
		dx[i] += d * mask[i]
	}
}
