package ref

// ConvND is the reference N-d grouped convolution, channels last:
// x [n][in[0]]…[in[k-1]][c], w [oc][kernel[0]]…[kernel[k-1]][c/groups],
// y [n][out[0]]…[out[k-1]][oc]; bias may be nil. Output channel o belongs to
// group o/(oc/groups). Input positions outside [0, in[d]) read as zero.
//
//	y[n][o…][oc] = act(bias[oc] + Σ_{k…, ci} x[n][o·stride − padBegin + k·dilation][g·cg + ci] · w[oc][k…][ci])
func ConvND(n, c, oc, groups int, in, out, kernel, stride, dilation, padBegin []int,
	x, w, bias, y []float32, act Act) {
	nd := len(in)
	cg, ocg := c/groups, oc/groups
	inSize, outSize, kSize := prod(in), prod(out), prod(kernel)
	opos := make([]int, nd)
	kpos := make([]int, nd)
	for b := 0; b < n; b++ {
		for op := 0; op < outSize; op++ {
			unflatten(op, out, opos)
			for o := 0; o < oc; o++ {
				g := o / ocg
				acc := 0.0
				if bias != nil {
					acc = float64(bias[o])
				}
				for kp := 0; kp < kSize; kp++ {
					unflatten(kp, kernel, kpos)
					ip, ok := 0, true
					for d := 0; d < nd; d++ {
						i := opos[d]*stride[d] - padBegin[d] + kpos[d]*dilation[d]
						if i < 0 || i >= in[d] {
							ok = false
							break
						}
						ip = ip*in[d] + i
					}
					if !ok {
						continue
					}
					for ci := 0; ci < cg; ci++ {
						xv := x[(b*inSize+ip)*c+g*cg+ci]
						wv := w[(o*kSize+kp)*cg+ci]
						acc += float64(xv) * float64(wv)
					}
				}
				y[(b*outSize+op)*oc+o] = float32(act.Eval(acc))
			}
		}
	}
}

// Conv2D is ConvND with two spatial dimensions.
func Conv2D(n, h, w, c, oh, ow, oc, kh, kw, sh, sw, dh, dw, padT, padL, groups int,
	x, wt, bias, y []float32, act Act) {
	ConvND(n, c, oc, groups, []int{h, w}, []int{oh, ow}, []int{kh, kw}, []int{sh, sw},
		[]int{dh, dw}, []int{padT, padL}, x, wt, bias, y, act)
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

// unflatten writes the row-major coordinates of flat index i in shape dims.
func unflatten(i int, dims, pos []int) {
	for d := len(dims) - 1; d >= 0; d-- {
		pos[d] = i % dims[d]
		i /= dims[d]
	}
}
