package onnx

import (
	"fmt"
	"math"
	"strings"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
)

// in returns input i of the current node; ok is false when it is absent.
func (im *importer) in(n *onnxpb.Node, i int) (value, bool, error) {
	if i >= len(n.Inputs) || n.Inputs[i] == "" {
		return value{id: -1}, false, nil
	}
	v, ok := im.values[n.Inputs[i]]
	if !ok {
		return value{}, false, fmt.Errorf("input %q is not defined before use: %w", n.Inputs[i], ErrInvalid)
	}
	return v, true, nil
}

func (im *importer) need(n *onnxpb.Node, i int) (value, error) {
	v, ok, err := im.in(n, i)
	if err != nil {
		return v, err
	}
	if !ok {
		return v, fmt.Errorf("required input %d is missing: %w", i, ErrInvalid)
	}
	return v, nil
}

// constInput returns optional input i as a logical constant (nil if absent).
func (im *importer) constInput(n *onnxpb.Node, i int, what string) (*tensor.Tensor, error) {
	v, ok, err := im.in(n, i)
	if err != nil || !ok {
		return nil, err
	}
	c := im.constOf(v)
	if c == nil {
		return nil, &NotConstError{Input: n.Inputs[i], What: what}
	}
	return c, nil
}

func (im *importer) constInts(n *onnxpb.Node, i int, what string) ([]int64, bool, error) {
	c, err := im.constInput(n, i, what)
	if err != nil || c == nil {
		return nil, false, err
	}
	v, err := c.AsInt64s()
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	return v, true, nil
}

func (im *importer) set(n *onnxpb.Node, i int, v value) {
	if i < len(n.Outputs) && n.Outputs[i] != "" {
		v.perm = normPerm(v.perm)
		im.values[n.Outputs[i]] = v
		if t := &im.g.Tensors[v.id]; t.Const == nil && strings.Contains(t.Name, "#") {
			t.Name = n.Outputs[i] // a generated name: use the ONNX one
		}
	}
}

func (im *importer) wantsOutput(n *onnxpb.Node, i int) bool {
	return i < len(n.Outputs) && n.Outputs[i] != ""
}

func (im *importer) convert(n *onnxpb.Node) error {
	if n.Domain == "com.microsoft" {
		switch n.OpType {
		case "QLinearAdd":
			return im.qlinearBinary(n, kernels.OpAdd)
		case "QLinearMul":
			return im.qlinearBinary(n, kernels.OpMul)
		case "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearSigmoid":
			return im.qlinearUnary(n)
		}
		return fmt.Errorf("op %s: %w", opName(n), ErrUnsupported)
	}
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return fmt.Errorf("op domain %q: %w", n.Domain, ErrUnsupported)
	}
	switch n.OpType {
	case "Add", "Mul", "MatMul", "Gemm", "GlobalAveragePool", "AveragePool":
		if done, err := im.qdqGeneric(n); done || err != nil {
			return err
		}
	}
	switch n.OpType {
	case "QuantizeLinear":
		return im.quantizeLinear(n)
	case "DequantizeLinear":
		return im.dequantizeLinear(n)
	case "QLinearConv":
		return im.qlinearConv(n)
	case "QLinearMatMul":
		return im.qlinearMatMul(n)
	case "ConvInteger":
		return im.convInteger(n)
	case "MatMulInteger":
		return im.matMulInteger(n)
	case "DynamicQuantizeLinear":
		return im.dynamicQuantizeLinear(n)
	case "Conv":
		return im.conv(n)
	case "BatchNormalization":
		return im.batchNorm(n)
	case "Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Clip":
		return im.activation(n)
	case "Add", "Sub", "Mul", "Div":
		return im.binary(n)
	case "Gemm":
		return im.gemm(n)
	case "MatMul":
		return im.matmul(n)
	case "GlobalAveragePool":
		x, err := im.need(n, 0)
		if err != nil {
			return err
		}
		y, err := im.emitGAP(x, nil)
		if err != nil {
			return err
		}
		im.set(n, 0, y)
		return nil
	case "AveragePool", "MaxPool":
		return im.pool(n)
	case "Softmax":
		return im.softmax(n)
	case "Reshape":
		return im.reshape(n)
	case "Flatten":
		return im.flatten(n)
	case "Transpose":
		return im.transpose(n)
	case "Concat":
		return im.concat(n)
	case "Pad":
		return im.pad(n)
	case "ReduceMean":
		return im.reduceMean(n)
	case "Squeeze", "Unsqueeze":
		return im.squeeze(n)
	case "Shape":
		return im.shape(n)
	case "Gather":
		return im.gather(n)
	case "Constant":
		return im.constant(n)
	case "Cast":
		return im.cast(n)
	case "Identity":
		x, err := im.need(n, 0)
		if err != nil {
			return err
		}
		im.set(n, 0, x)
		return nil
	case "Dropout":
		return im.dropout(n)
	case "Resize":
		return im.resize(n)
	}
	return fmt.Errorf("op %s: %w", opName(n), ErrUnsupported)
}

// spatialAttrs reads kernel-independent spatial attributes and resolves
// auto_pad for input spatial sizes in, kernel k.
func spatialAttrs(n *onnxpb.Node, in, k []int) (strides, dil, pb, pe []int, err error) {
	s := len(k)
	ones := make([]int64, s)
	for i := range ones {
		ones[i] = 1
	}
	st, err := n.AttrInts("strides", ones)
	if err != nil {
		return
	}
	dl, err := n.AttrInts("dilations", ones)
	if err != nil {
		return
	}
	pads, err := n.AttrInts("pads", make([]int64, 2*s))
	if err != nil {
		return
	}
	if len(st) != s || len(dl) != s || len(pads) != 2*s {
		err = fmt.Errorf("strides %v, dilations %v, pads %v do not fit %d spatial axes: %w", st, dl, pads, s, ErrInvalid)
		return
	}
	strides, dil = ints(st), ints(dl)
	for i := 0; i < s; i++ {
		if strides[i] < 1 || dil[i] < 1 || pads[i] < 0 || pads[s+i] < 0 {
			err = fmt.Errorf("invalid strides %v / dilations %v / pads %v: %w", st, dl, pads, ErrInvalid)
			return
		}
	}
	pb, pe = ints(pads[:s]), ints(pads[s:])
	ap, err := n.AttrString("auto_pad", "NOTSET")
	if err != nil {
		return
	}
	switch ap {
	case "NOTSET", "":
	case "VALID":
		pb, pe = make([]int, s), make([]int, s)
	case "SAME_UPPER", "SAME_LOWER":
		for i := 0; i < s; i++ {
			out := (in[i] + strides[i] - 1) / strides[i]
			total := (out-1)*strides[i] + (k[i]-1)*dil[i] + 1 - in[i]
			if total < 0 {
				total = 0
			}
			if ap == "SAME_UPPER" {
				pb[i], pe[i] = total/2, total-total/2
			} else {
				pb[i], pe[i] = total-total/2, total/2
			}
		}
	default:
		err = fmt.Errorf("auto_pad %q: %w", ap, ErrUnsupported)
	}
	return
}

func (im *importer) conv(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	wv, err := im.need(n, 1)
	if err != nil {
		return err
	}
	if done, err := im.qdqConv(n, x, wv); done || err != nil {
		return err
	}
	w := im.constOf(wv)
	if w == nil {
		return &NotConstError{Input: n.Inputs[1], What: "weights"}
	}
	if w.DType != tensor.Float32 {
		return fmt.Errorf("weights are %v: %w", w.DType, ErrUnsupported)
	}
	var bias *tensor.Tensor
	if b, ok, err := im.in(n, 2); err != nil {
		return err
	} else if ok {
		if bias = im.constOf(b); bias == nil {
			return &NotConstError{Input: n.Inputs[2], What: "bias"}
		}
	}
	y, err := im.emitConv(n, x, w, nil, bias, nil)
	if err != nil {
		return err
	}
	im.set(n, 0, y)
	return nil
}

// emitConv emits a convolution of x (logical NCHW…) with constant weights
// w [OC, C/G, k…] and optional bias. With wq and yq set, w is int8 with
// quantization wq, bias int32, and the output int8 with quantization yq.
func (im *importer) emitConv(n *onnxpb.Node, x value, w *tensor.Tensor, wq *graph.Quant, bias *tensor.Tensor, yq *graph.Quant) (value, error) {
	p, err := convParams(n, im.logicalShape(x), w.Shape)
	if err != nil {
		return value{}, err
	}
	r := len(w.Shape)
	// OIHW → OHWI: [OC][k...][C/G].
	wid := im.g.AddConst(im.newName()+":w", transposeConst(w, channelsLast(r)))
	im.g.Tensors[wid].Quant = wq
	inputs := []int{0, wid}
	if bias != nil {
		inputs = append(inputs, im.g.AddConst(im.newName()+":b", bias))
	}
	xid, err := im.toPerm(x, channelsLast(r))
	if err != nil {
		return value{}, err
	}
	inputs[0] = xid
	out := graph.Tensor{}
	if yq != nil {
		out = graph.Tensor{DType: tensor.Int8, Quant: yq}
	}
	ids, err := im.emitDeclared(graph.OpConv, p, inputs, []graph.Tensor{out})
	if err != nil {
		return value{}, err
	}
	return value{id: ids[0], perm: channelsLast(r)}, nil
}

// convParams reads the attributes of Conv (and QLinearConv, ConvInteger)
// for logical input shape xs [N, C, spatial...] and weights ws
// [OC, C/G, k...].
func convParams(n *onnxpb.Node, xs, ws []int) (*graph.ConvParams, error) {
	r := len(xs)
	if r < 3 || len(ws) != r {
		return nil, fmt.Errorf("input %v and weights %v: want equal ranks >= 3: %w", xs, ws, ErrInvalid)
	}
	kernel := ws[2:]
	if ks, err := n.AttrInts("kernel_shape", nil); err != nil {
		return nil, err
	} else if ks != nil && fmt.Sprint(ints(ks)) != fmt.Sprint(kernel) {
		return nil, fmt.Errorf("kernel_shape %v disagrees with weights %v: %w", ks, ws, ErrInvalid)
	}
	strides, dil, pb, pe, err := spatialAttrs(n, xs[2:], kernel)
	if err != nil {
		return nil, err
	}
	group, err := n.AttrInt("group", 1)
	if err != nil {
		return nil, err
	}
	if group < 1 || group > int64(xs[1]) {
		return nil, fmt.Errorf("group %d for %d input channels: %w", group, xs[1], ErrInvalid)
	}
	return &graph.ConvParams{Strides: strides, Dilations: dil, PadBegin: pb, PadEnd: pe, Groups: int(group)}, nil
}

func (im *importer) batchNorm(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	eps, err := n.AttrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	mom, err := n.AttrFloat("momentum", 0.9)
	if err != nil {
		return err
	}
	training := false
	if im.opset >= 14 {
		t, err := n.AttrInt("training_mode", 0)
		if err != nil {
			return err
		}
		training = t != 0
	} else if im.opset < 7 {
		if isTest, err := n.AttrInt("is_test", 0); err != nil {
			return err
		} else if isTest == 0 && len(n.Outputs) > 1 {
			training = true
		}
	}
	if !training {
		for i := 1; i < len(n.Outputs); i++ {
			if n.Outputs[i] != "" {
				return fmt.Errorf("output %d (training statistics) requested in inference mode: %w", i, ErrUnsupported)
			}
		}
	}
	xs := im.logicalShape(x)
	r := len(xs)
	if r < 2 {
		return fmt.Errorf("input rank %d: %w", r, ErrInvalid)
	}
	var target []int
	if r > 2 {
		target = channelsLast(r)
	}
	xid, err := im.toPerm(x, target)
	if err != nil {
		return err
	}
	inputs := []int{xid}
	for i := 1; i <= 4; i++ {
		v, err := im.need(n, i)
		if err != nil {
			return err
		}
		if !training && !im.isConst(v) {
			return &NotConstError{Input: n.Inputs[i], What: "batch-norm parameter"}
		}
		inputs = append(inputs, v.id)
	}
	p := &graph.BatchNormParams{Epsilon: eps, Momentum: mom}
	if !training {
		ids, err := im.emit(graph.OpBatchNorm, p, inputs, 1)
		if err != nil {
			return err
		}
		im.set(n, 0, value{id: ids[0], perm: target})
		return nil
	}
	outs := make([]graph.Tensor, 3)
	ids, err := im.emitDeclared(graph.OpBatchNormTrain, p, inputs, outs)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: target})
	im.set(n, 1, value{id: ids[1]})
	im.set(n, 2, value{id: ids[2]})
	return nil
}

func (im *importer) activation(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	var act kernels.Act
	switch n.OpType {
	case "Relu":
		act.Kind = kernels.ActRelu
	case "Sigmoid":
		act.Kind = kernels.ActSigmoid
	case "HardSwish":
		act.Kind = kernels.ActHardSwish
	case "HardSigmoid":
		act.Kind = kernels.ActHardSigmoid
		if act.Alpha, err = n.AttrFloat("alpha", 0.2); err != nil {
			return err
		}
		if act.Beta, err = n.AttrFloat("beta", 0.5); err != nil {
			return err
		}
	case "Clip":
		act.Kind = kernels.ActClip
		act.Min, act.Max = float32(math.Inf(-1)), float32(math.Inf(1))
		if im.opset < 11 {
			if act.Min, err = n.AttrFloat("min", act.Min); err != nil {
				return err
			}
			if act.Max, err = n.AttrFloat("max", act.Max); err != nil {
				return err
			}
		} else {
			for i, dst := range []*float32{&act.Min, &act.Max} {
				c, err := im.constInput(n, i+1, "clip bound")
				if err != nil {
					return err
				}
				if c != nil {
					if c.Len() != 1 {
						return fmt.Errorf("clip bound has shape %v, want a scalar: %w", c.Shape, ErrInvalid)
					}
					*dst = c.AsFloat32s()[0]
				}
			}
		}
	}
	ids, err := im.emit(graph.OpUnary, &graph.UnaryParams{Act: act}, []int{x.id}, 1)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: x.perm})
	return nil
}

// broadcastOperands brings the operands of an elementwise op to one
// physical layout and returns their ids and that layout.
func (im *importer) broadcastOperands(vs []value) ([]int, []int, error) {
	rank := 0
	for _, v := range vs {
		if r := len(im.logicalShape(v)); r > rank {
			rank = r
		}
	}
	// The layout of the first full-rank runtime operand wins.
	var target []int
	for _, v := range vs {
		if !im.isConst(v) && len(im.logicalShape(v)) == rank && v.perm != nil {
			target = v.perm
			break
		}
	}
	ids := make([]int, len(vs))
	for i, v := range vs {
		ls := im.logicalShape(v)
		if len(ls) < rank {
			if target == nil {
				ids[i] = v.id // right-aligned broadcasting works as is
				if v.perm != nil {
					id, err := im.toPerm(v, nil)
					if err != nil {
						return nil, nil, err
					}
					ids[i] = id
				}
				continue
			}
			// Pad with leading unit axes to full rank, then lay out.
			padded := append(make([]int, rank-len(ls)), ls...)
			for j := 0; j < rank-len(ls); j++ {
				padded[j] = 1
			}
			lid, err := im.toPerm(v, nil)
			if err != nil {
				return nil, nil, err
			}
			rid, err := im.emitDeclared(graph.OpReshape, nil, []int{lid}, []graph.Tensor{{DType: im.dtype(v), Shape: padded}})
			if err != nil {
				return nil, nil, err
			}
			v = value{id: rid[0]}
		}
		if c := im.g.Tensors[v.id].Const; c != nil && fmt.Sprint(normPerm(v.perm)) != fmt.Sprint(normPerm(target)) {
			lc := im.constOf(v)
			if target != nil {
				lc = transposeConst(lc, target)
			}
			ids[i] = im.g.AddConst(im.g.Tensors[v.id].Name, lc)
			continue
		}
		id, err := im.toPerm(v, target)
		if err != nil {
			return nil, nil, err
		}
		ids[i] = id
	}
	return ids, target, nil
}

func (im *importer) binary(n *onnxpb.Node) error {
	a, err := im.need(n, 0)
	if err != nil {
		return err
	}
	b, err := im.need(n, 1)
	if err != nil {
		return err
	}
	if im.opset < 7 {
		if bc, err := n.AttrInt("broadcast", 0); err != nil {
			return err
		} else if bc != 0 && n.HasAttr("axis") {
			// Legacy broadcasting: b's axes start at axis of a.
			ax, _ := n.AttrInt("axis", 0)
			as, bs := im.logicalShape(a), im.logicalShape(b)
			axis, err := normAxis(ax, len(as))
			if err != nil {
				return err
			}
			shape := append([]int(nil), bs...)
			for len(shape)+axis < len(as) {
				shape = append(shape, 1)
			}
			lid, err := im.toPerm(b, nil)
			if err != nil {
				return err
			}
			rid, err := im.emitDeclared(graph.OpReshape, nil, []int{lid}, []graph.Tensor{{DType: im.dtype(b), Shape: shape}})
			if err != nil {
				return err
			}
			b = value{id: rid[0]}
		}
	}
	ids, target, err := im.broadcastOperands([]value{a, b})
	if err != nil {
		return err
	}
	op := map[string]kernels.BinOp{"Add": kernels.OpAdd, "Sub": kernels.OpSub, "Mul": kernels.OpMul, "Div": kernels.OpDiv}[n.OpType]
	out, err := im.emit(graph.OpBinary, &graph.BinaryParams{Op: op}, ids, 1)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: out[0], perm: target})
	return nil
}

// dense emits x·w + bias for a logical x [..., K] and constant w [K, N].
func (im *importer) dense(x value, w, bias *tensor.Tensor) (int, error) {
	xid, err := im.toPerm(x, nil)
	if err != nil {
		return 0, err
	}
	inputs := []int{xid, im.g.AddConst(im.newName()+":w", w)}
	if bias != nil {
		inputs = append(inputs, im.g.AddConst(im.newName()+":b", bias))
	}
	ids, err := im.emit(graph.OpDense, &graph.DenseParams{}, inputs, 1)
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

func (im *importer) matmul(n *onnxpb.Node) error {
	a, err := im.need(n, 0)
	if err != nil {
		return err
	}
	b, err := im.need(n, 1)
	if err != nil {
		return err
	}
	if im.dtype(a) != tensor.Float32 || im.dtype(b) != tensor.Float32 {
		return fmt.Errorf("operands are %v and %v: %w", im.dtype(a), im.dtype(b), ErrUnsupported)
	}
	if w := im.constOf(b); w != nil && len(w.Shape) == 2 && !im.isConst(a) && len(im.logicalShape(a)) >= 1 {
		id, err := im.dense(a, w, nil)
		if err != nil {
			return err
		}
		im.set(n, 0, value{id: id})
		return nil
	}
	aid, err := im.toPerm(a, nil)
	if err != nil {
		return err
	}
	bid, err := im.toPerm(b, nil)
	if err != nil {
		return err
	}
	ids, err := im.emit(graph.OpMatMul, nil, []int{aid, bid}, 1)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0]})
	return nil
}

func (im *importer) gemm(n *onnxpb.Node) error {
	a, err := im.need(n, 0)
	if err != nil {
		return err
	}
	b, err := im.need(n, 1)
	if err != nil {
		return err
	}
	alpha, err := n.AttrFloat("alpha", 1)
	if err != nil {
		return err
	}
	beta, err := n.AttrFloat("beta", 1)
	if err != nil {
		return err
	}
	transA, err := n.AttrInt("transA", 0)
	if err != nil {
		return err
	}
	transB, err := n.AttrInt("transB", 0)
	if err != nil {
		return err
	}
	as, bs := im.logicalShape(a), im.logicalShape(b)
	if len(as) != 2 || len(bs) != 2 {
		return fmt.Errorf("Gemm operands %v and %v must be 2-D: %w", as, bs, ErrInvalid)
	}
	if im.dtype(a) != tensor.Float32 || im.dtype(b) != tensor.Float32 {
		return fmt.Errorf("operands are %v and %v: %w", im.dtype(a), im.dtype(b), ErrUnsupported)
	}
	// A (transposed if asked).
	aid, err := im.toPerm(a, nil)
	if err != nil {
		return err
	}
	if transA != 0 {
		ids, err := im.emit(graph.OpTranspose, &graph.TransposeParams{Perm: []int{1, 0}}, []int{aid}, 1)
		if err != nil {
			return err
		}
		aid = ids[0]
	}
	m := im.g.Tensors[aid].Shape[0]
	k := im.g.Tensors[aid].Shape[1]
	var c *tensor.Tensor
	cv, hasC, err := im.in(n, 2)
	if err != nil {
		return err
	}
	if hasC {
		c = im.constOf(cv)
	}
	var y int
	if w := im.constOf(b); w != nil {
		if transB != 0 {
			w = transposeConst(w, []int{1, 0})
		}
		if w.Shape[0] != k {
			return fmt.Errorf("A %v and B %v do not multiply (transA=%d transB=%d): %w", as, bs, transA, transB, ErrInvalid)
		}
		if alpha != 1 {
			w = w.Clone()
			for i := range w.F32 {
				w.F32[i] *= alpha
			}
		}
		nOut := w.Shape[1]
		var bias *tensor.Tensor
		if c != nil && c.Len() == nOut && (len(c.Shape) == 1 || len(c.Shape) == 2 && c.Shape[0] == 1) || c != nil && c.Len() == 1 {
			bias = tensor.New(tensor.Float32, nOut)
			cf := c.AsFloat32s()
			for i := range bias.F32 {
				bias.F32[i] = beta * cf[i%len(cf)]
			}
			hasC = false
		}
		if y, err = im.dense(value{id: aid}, w, bias); err != nil {
			return err
		}
	} else {
		bid, err := im.toPerm(b, nil)
		if err != nil {
			return err
		}
		if transB != 0 {
			ids, err := im.emit(graph.OpTranspose, &graph.TransposeParams{Perm: []int{1, 0}}, []int{bid}, 1)
			if err != nil {
				return err
			}
			bid = ids[0]
		}
		ids, err := im.emit(graph.OpMatMul, nil, []int{aid, bid}, 1)
		if err != nil {
			return err
		}
		y = ids[0]
		if alpha != 1 {
			s := im.g.AddConst(im.newName()+":alpha", tensor.FromF32([]float32{alpha}))
			ids, err := im.emit(graph.OpBinary, &graph.BinaryParams{Op: kernels.OpMul}, []int{y, s}, 1)
			if err != nil {
				return err
			}
			y = ids[0]
		}
	}
	if hasC {
		cid, err := im.toPerm(cv, nil)
		if err != nil {
			return err
		}
		if beta != 1 {
			s := im.g.AddConst(im.newName()+":beta", tensor.FromF32([]float32{beta}))
			ids, err := im.emit(graph.OpBinary, &graph.BinaryParams{Op: kernels.OpMul}, []int{cid, s}, 1)
			if err != nil {
				return err
			}
			cid = ids[0]
		}
		ids, err := im.emit(graph.OpBinary, &graph.BinaryParams{Op: kernels.OpAdd}, []int{y, cid}, 1)
		if err != nil {
			return err
		}
		y = ids[0]
	}
	_ = m
	im.set(n, 0, value{id: y})
	return nil
}

func (im *importer) pool(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	y, err := im.emitPool(n, x, nil)
	if err != nil {
		return err
	}
	im.set(n, 0, y.value)
	if y.indices >= 0 {
		im.set(n, 1, value{id: y.indices, perm: y.perm})
	}
	return nil
}

// pooled is emitPool's result: the output and, for MaxPool with an Indices
// output, the indices tensor (else -1).
type pooled struct {
	value
	indices int
}

// emitPool emits AveragePool or MaxPool (from n's attributes; QLinear-
// AveragePool counts as AveragePool) of x; yq quantizes the output of a
// quantized average pool.
func (im *importer) emitPool(n *onnxpb.Node, x value, yq *graph.Quant) (pooled, error) {
	xs := im.logicalShape(x)
	r := len(xs)
	ks, err := n.AttrInts("kernel_shape", nil)
	if err != nil {
		return pooled{}, err
	}
	if r < 3 || len(ks) != r-2 {
		return pooled{}, fmt.Errorf("kernel_shape %v for input %v: %w", ks, xs, ErrInvalid)
	}
	kernel := ints(ks)
	for _, k := range kernel {
		if k < 1 {
			return pooled{}, fmt.Errorf("kernel_shape %v: %w", ks, ErrInvalid)
		}
	}
	strides, dil, pb, pe, err := spatialAttrs(n, xs[2:], kernel)
	if err != nil {
		return pooled{}, err
	}
	ceil, err := n.AttrInt("ceil_mode", 0)
	if err != nil {
		return pooled{}, err
	}
	incl, err := n.AttrInt("count_include_pad", 0)
	if err != nil {
		return pooled{}, err
	}
	so, err := n.AttrInt("storage_order", 0)
	if err != nil {
		return pooled{}, err
	}
	p := &graph.PoolParams{Kind: graph.AvgPool, Kernel: kernel, Strides: strides, Dilations: dil,
		PadBegin: pb, PadEnd: pe, CountIncludePad: incl != 0, CeilMode: ceil != 0, IndicesColMajor: so != 0}
	if n.OpType == "MaxPool" {
		p.Kind = graph.MaxPool
	}
	xid, err := im.toPerm(x, channelsLast(r))
	if err != nil {
		return pooled{}, err
	}
	outs := []graph.Tensor{{}}
	if yq != nil {
		outs[0] = graph.Tensor{DType: tensor.Int8, Quant: yq}
	}
	if p.Kind == graph.MaxPool && im.wantsOutput(n, 1) {
		outs = append(outs, graph.Tensor{})
	}
	ids, err := im.emitDeclared(graph.OpPool, p, []int{xid}, outs)
	if err != nil {
		return pooled{}, err
	}
	res := pooled{value: value{id: ids[0], perm: channelsLast(r)}, indices: -1}
	if len(ids) > 1 {
		res.indices = ids[1]
	}
	return res, nil
}

func (im *importer) softmax(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	r := len(im.logicalShape(x))
	def := int64(-1)
	if im.opset < 13 {
		def = 1
	}
	ax, err := n.AttrInt("axis", def)
	if err != nil {
		return err
	}
	axis, err := normAxis(ax, r)
	if err != nil {
		return err
	}
	if im.opset >= 13 {
		ids, err := im.emit(graph.OpSoftmax, &graph.SoftmaxParams{Axis: physAxis(x.perm, axis)}, []int{x.id}, 1)
		if err != nil {
			return err
		}
		im.set(n, 0, value{id: ids[0], perm: x.perm})
		return nil
	}
	xid, err := im.toPerm(x, nil)
	if err != nil {
		return err
	}
	ids, err := im.emit(graph.OpSoftmax, &graph.SoftmaxParams{Axis: axis, ToEnd: true}, []int{xid}, 1)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0]})
	return nil
}

// reshapeTo emits a logical reshape of v.
func (im *importer) reshapeTo(v value, shape []int) (int, error) {
	xid, err := im.toPerm(v, nil)
	if err != nil {
		return 0, err
	}
	if fmt.Sprint(im.g.Tensors[xid].Shape) == fmt.Sprint(shape) {
		return xid, nil
	}
	ids, err := im.emitDeclared(graph.OpReshape, nil, []int{xid}, []graph.Tensor{{DType: im.dtype(v), Shape: shape}})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

func (im *importer) reshape(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	var spec []int64
	if im.opset < 5 {
		if spec, err = n.AttrInts("shape", nil); err != nil {
			return err
		}
	} else {
		var ok bool
		if spec, ok, err = im.constInts(n, 1, "shape"); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("shape input missing: %w", ErrInvalid)
		}
	}
	allowZero, err := n.AttrInt("allowzero", 0)
	if err != nil {
		return err
	}
	xs := im.logicalShape(x)
	shape := make([]int, len(spec))
	infer := -1
	known := 1
	for i, d := range spec {
		switch {
		case d == 0 && allowZero == 0:
			if i >= len(xs) {
				return fmt.Errorf("shape %v copies axis %d of input %v: %w", spec, i, xs, ErrInvalid)
			}
			shape[i] = xs[i]
		case d == -1:
			if infer >= 0 {
				return fmt.Errorf("shape %v has two -1: %w", spec, ErrInvalid)
			}
			infer = i
			continue
		case d < 0 || d > maxElems:
			return fmt.Errorf("shape %v has invalid dimension %d: %w", spec, d, ErrInvalid)
		default:
			shape[i] = int(d)
		}
		known *= shape[i]
		if known > maxElems {
			return fmt.Errorf("shape %v too large: %w", spec, ErrInvalid)
		}
	}
	total := tensor.NumElems(xs)
	if infer >= 0 {
		if known == 0 || total%known != 0 {
			return fmt.Errorf("cannot reshape %v to %v: %w", xs, spec, ErrInvalid)
		}
		shape[infer] = total / known
	}
	if tensor.NumElems(shape) != total {
		return fmt.Errorf("cannot reshape %v (%d elements) to %v: %w", xs, total, shape, ErrInvalid)
	}
	id, err := im.reshapeTo(x, shape)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: id})
	return nil
}

func (im *importer) flatten(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	xs := im.logicalShape(x)
	ax, err := n.AttrInt("axis", 1)
	if err != nil {
		return err
	}
	if ax < 0 {
		ax += int64(len(xs))
	}
	if ax < 0 || ax > int64(len(xs)) {
		return fmt.Errorf("axis %d for rank %d: %w", ax, len(xs), ErrInvalid)
	}
	id, err := im.reshapeTo(x, []int{tensor.NumElems(xs[:ax]), tensor.NumElems(xs[ax:])})
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: id})
	return nil
}

func (im *importer) transpose(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	r := len(im.logicalShape(x))
	rev := make([]int64, r)
	for i := range rev {
		rev[i] = int64(r - 1 - i)
	}
	pp, err := n.AttrInts("perm", rev)
	if err != nil {
		return err
	}
	p, err := normAxes(pp, r)
	if err != nil || len(p) != r {
		return fmt.Errorf("perm %v for rank %d: %w", pp, r, ErrInvalid)
	}
	// Output logical axis i is input logical axis p[i]: no data moves, only
	// the physical→logical map changes.
	src := x.perm
	if src == nil {
		src = identity(r)
	}
	pinv := inverse(p)
	np := make([]int, r)
	for k, a := range src {
		np[k] = pinv[a]
	}
	im.set(n, 0, value{id: x.id, perm: np})
	return nil
}

func (im *importer) concat(n *onnxpb.Node) error {
	if len(n.Inputs) == 0 {
		return fmt.Errorf("no inputs: %w", ErrInvalid)
	}
	var vs []value
	for i := range n.Inputs {
		v, err := im.need(n, i)
		if err != nil {
			return err
		}
		vs = append(vs, v)
	}
	r := len(im.logicalShape(vs[0]))
	ax, err := n.AttrInt("axis", 0)
	if err != nil {
		return err
	}
	if !n.HasAttr("axis") && im.opset >= 4 {
		return fmt.Errorf("attribute axis is required: %w", ErrInvalid)
	}
	axis, err := normAxis(ax, r)
	if err != nil {
		return err
	}
	var target []int
	for _, v := range vs {
		if !im.isConst(v) {
			target = v.perm
			break
		}
	}
	ids := make([]int, len(vs))
	for i, v := range vs {
		if len(im.logicalShape(v)) != r {
			return fmt.Errorf("inputs differ in rank: %w", ErrInvalid)
		}
		if id, err := im.toPerm(v, target); err != nil {
			return err
		} else {
			ids[i] = id
		}
	}
	out, err := im.emit(graph.OpConcat, &graph.ConcatParams{Axis: physAxis(target, axis)}, ids, 1)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: out[0], perm: target})
	return nil
}

func (im *importer) pad(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	r := len(im.logicalShape(x))
	mode, err := n.AttrString("mode", "constant")
	if err != nil {
		return err
	}
	modes := map[string]kernels.PadMode{"constant": kernels.PadConstant, "reflect": kernels.PadReflect, "edge": kernels.PadEdge, "wrap": kernels.PadWrap}
	pm, ok := modes[mode]
	if !ok {
		return fmt.Errorf("mode %q: %w", mode, ErrUnsupported)
	}
	var pads []int64
	var val float64
	axes := identity(r)
	if im.opset < 11 {
		if pads, err = n.AttrInts("pads", nil); err != nil {
			return err
		}
		if pads == nil {
			pads, _ = n.AttrInts("paddings", nil)
		}
		f, err := n.AttrFloat("value", 0)
		if err != nil {
			return err
		}
		val = float64(f)
	} else {
		var ok bool
		if pads, ok, err = im.constInts(n, 1, "pads"); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("pads input missing: %w", ErrInvalid)
		}
		if c, err := im.constInput(n, 2, "constant_value"); err != nil {
			return err
		} else if c != nil {
			if c.Len() != 1 {
				return fmt.Errorf("constant_value has shape %v: %w", c.Shape, ErrInvalid)
			}
			val = float64(c.AsFloat32s()[0])
			if c.DType == tensor.Int64 {
				val = float64(c.I64[0])
			}
		}
		if as, ok, err := im.constInts(n, 3, "axes"); err != nil {
			return err
		} else if ok {
			if axes, err = normAxes(as, r); err != nil {
				return err
			}
		}
	}
	if len(pads) != 2*len(axes) {
		return fmt.Errorf("pads %v for %d axes: %w", pads, len(axes), ErrInvalid)
	}
	begin, end := make([]int, r), make([]int, r)
	for i, a := range axes {
		begin[a], end[a] = int(pads[i]), int(pads[len(axes)+i])
	}
	pb, pe := make([]int, r), make([]int, r)
	perm := x.perm
	if perm == nil {
		perm = identity(r)
	}
	for k, a := range perm {
		pb[k], pe[k] = begin[a], end[a]
	}
	ids, err := im.emit(graph.OpPad, &graph.PadParams{Begin: pb, End: pe, Mode: pm, Value: val}, []int{x.id}, 1)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: x.perm})
	return nil
}

func (im *importer) reduceMean(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	r := len(im.logicalShape(x))
	keep, err := n.AttrInt("keepdims", 1)
	if err != nil {
		return err
	}
	var axes []int64
	if im.opset < 18 {
		if axes, err = n.AttrInts("axes", nil); err != nil {
			return err
		}
	} else {
		if axes, _, err = im.constInts(n, 1, "axes"); err != nil {
			return err
		}
		noop, err := n.AttrInt("noop_with_empty_axes", 0)
		if err != nil {
			return err
		}
		if len(axes) == 0 && noop != 0 {
			im.set(n, 0, x)
			return nil
		}
	}
	var la []int
	if len(axes) == 0 {
		la = identity(r)
	} else if la, err = normAxes(axes, r); err != nil {
		return err
	}
	red := make([]bool, r)
	for _, a := range la {
		red[a] = true
	}
	perm := x.perm
	if perm == nil {
		perm = identity(r)
	}
	var phys []int
	for k, a := range perm {
		if red[a] {
			phys = append(phys, k)
		}
	}
	ids, err := im.emit(graph.OpReduceMean, &graph.ReduceParams{Axes: phys, KeepDims: keep != 0}, []int{x.id}, 1)
	if err != nil {
		return err
	}
	outPerm := perm
	if keep == 0 {
		outPerm = compressPerm(perm, red)
	}
	im.set(n, 0, value{id: ids[0], perm: outPerm})
	return nil
}

// compressPerm drops the logical axes marked in removed from perm and
// renumbers the rest.
func compressPerm(perm []int, removed []bool) []int {
	newIdx := make([]int, len(removed))
	j := 0
	for a := range removed {
		newIdx[a] = j
		if !removed[a] {
			j++
		}
	}
	var out []int
	for _, a := range perm {
		if !removed[a] {
			out = append(out, newIdx[a])
		}
	}
	return out
}

func (im *importer) squeeze(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	xs := im.logicalShape(x)
	var axes []int64
	var has bool
	if im.opset < 13 {
		axes, err = n.AttrInts("axes", nil)
		has = axes != nil
	} else {
		axes, has, err = im.constInts(n, 1, "axes")
	}
	if err != nil {
		return err
	}
	var shape []int
	if n.OpType == "Squeeze" {
		drop := make([]bool, len(xs))
		if !has {
			for i, d := range xs {
				drop[i] = d == 1
			}
		} else {
			as, err := normAxes(axes, len(xs))
			if err != nil {
				return err
			}
			for _, a := range as {
				if xs[a] != 1 {
					return fmt.Errorf("cannot squeeze axis %d of shape %v: %w", a, xs, ErrInvalid)
				}
				drop[a] = true
			}
		}
		for i, d := range xs {
			if !drop[i] {
				shape = append(shape, d)
			}
		}
	} else {
		if !has {
			return fmt.Errorf("axes missing: %w", ErrInvalid)
		}
		r := len(xs) + len(axes)
		as, err := normAxes(axes, r)
		if err != nil {
			return err
		}
		ins := make([]bool, r)
		for _, a := range as {
			ins[a] = true
		}
		j := 0
		for i := 0; i < r; i++ {
			if ins[i] {
				shape = append(shape, 1)
			} else {
				shape = append(shape, xs[j])
				j++
			}
		}
	}
	id, err := im.reshapeTo(x, shape)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: id})
	return nil
}

func (im *importer) shape(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	xs := im.logicalShape(x)
	r := int64(len(xs))
	start, err := n.AttrInt("start", 0)
	if err != nil {
		return err
	}
	end, err := n.AttrInt("end", r)
	if err != nil {
		return err
	}
	clampIdx := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return max(0, min(v, r))
	}
	start, end = clampIdx(start), clampIdx(end)
	var vals []int64
	for i := start; i < end; i++ {
		vals = append(vals, int64(xs[i]))
	}
	c := tensor.FromI64(append([]int64{}, vals...), len(vals))
	im.set(n, 0, value{id: im.g.AddConst(n.Outputs[0], c)})
	return nil
}

func (im *importer) gather(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	idx, err := im.need(n, 1)
	if err != nil {
		return err
	}
	xs := im.logicalShape(x)
	ax, err := n.AttrInt("axis", 0)
	if err != nil {
		return err
	}
	axis, err := normAxis(ax, len(xs))
	if err != nil {
		return err
	}
	xid, err := im.toPerm(x, nil)
	if err != nil {
		return err
	}
	iid, err := im.toPerm(idx, nil)
	if err != nil {
		return err
	}
	if c := im.g.Tensors[iid].Const; c != nil && c.DType != tensor.Int64 {
		v, err := c.AsInt64s()
		if err != nil {
			return fmt.Errorf("indices: %w", err)
		}
		iid = im.g.AddConst(n.Inputs[1]+"#i64", tensor.FromI64(v, c.Shape...))
	}
	ids, err := im.emit(graph.OpGather, &graph.GatherParams{Axis: axis}, []int{xid, iid}, 1)
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0]})
	return nil
}

func (im *importer) constant(n *onnxpb.Node) error {
	var c *tensor.Tensor
	switch {
	case n.HasAttr("value"):
		t, err := n.AttrTensor("value")
		if err != nil {
			return err
		}
		if c, err = TensorFromProto(t); err != nil {
			return err
		}
	case n.HasAttr("value_float"):
		f, err := n.AttrFloat("value_float", 0)
		if err != nil {
			return err
		}
		c = tensor.FromF32([]float32{f})
	case n.HasAttr("value_floats"):
		f, err := n.AttrFloats("value_floats", nil)
		if err != nil {
			return err
		}
		c = tensor.FromF32(append([]float32{}, f...), len(f))
	case n.HasAttr("value_int"):
		v, err := n.AttrInt("value_int", 0)
		if err != nil {
			return err
		}
		c = tensor.FromI64([]int64{v})
	case n.HasAttr("value_ints"):
		v, err := n.AttrInts("value_ints", nil)
		if err != nil {
			return err
		}
		c = tensor.FromI64(append([]int64{}, v...), len(v))
	default:
		return fmt.Errorf("no supported value attribute: %w", ErrUnsupported)
	}
	if len(n.Outputs) == 0 {
		return fmt.Errorf("no output: %w", ErrInvalid)
	}
	im.set(n, 0, value{id: im.g.AddConst(n.Outputs[0], c)})
	return nil
}

func (im *importer) cast(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	to, err := n.AttrInt("to", 0)
	if err != nil {
		return err
	}
	dt, err := dtypeOf(onnxpb.DataType(to))
	if err != nil {
		return err
	}
	ids, err := im.emitDeclared(graph.OpCast, nil, []int{x.id}, []graph.Tensor{{DType: dt}})
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: x.perm})
	return nil
}

func (im *importer) dropout(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	training := false
	ratio := float32(0.5)
	if im.opset >= 12 {
		if c, err := im.constInput(n, 1, "ratio"); err != nil {
			return err
		} else if c != nil {
			ratio = c.AsFloat32s()[0]
		}
		if c, err := im.constInput(n, 2, "training_mode"); err != nil {
			return err
		} else if c != nil {
			training = c.AsFloat32s()[0] != 0
		}
	} else if im.opset < 7 {
		isTest, err := n.AttrInt("is_test", 0)
		if err != nil {
			return err
		}
		training = isTest == 0
		if ratio, err = n.AttrFloat("ratio", 0.5); err != nil {
			return err
		}
	}
	if training && ratio > 0 {
		return fmt.Errorf("training-mode dropout with ratio %g (random): %w", ratio, ErrUnsupported)
	}
	im.set(n, 0, x)
	if im.wantsOutput(n, 1) {
		mask := tensor.New(tensor.Bool, im.logicalShape(x)...)
		for i := range mask.Bool {
			mask.Bool[i] = true
		}
		im.set(n, 1, value{id: im.g.AddConst(n.Outputs[1], mask)})
	}
	return nil
}
