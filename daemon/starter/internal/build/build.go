// Package build trains the starter model from scratch on the demo scenes
// and writes it as a float ONNX model. The generator (daemon/starter/gen)
// and the starter's tests call it; nothing else should.
//
// The network (input 1×3×64×64 NCHW, tf normalisation to [−1, 1]):
//
//	conv0   Conv 3→16, 3×3 stride 2, pad 1, Relu                  32×32×16
//	b1      depthwise 3×3 stride 2, Relu; 1×1 16→32, Relu         16×16×32
//	b2      depthwise 3×3 stride 2, Relu; 1×1 32→64, Relu          8×8×64
//	b3      depthwise 3×3 stride 2, Relu; 1×1 64→128, Relu         4×4×128
//	pool    GlobalAveragePool, Flatten                            128
//	fc      Gemm 128→5                                            logits
//
// No BatchNorm (nn/train only runs it frozen). Weights start He-uniform
// (convolutions) and Glorot-uniform (fc), biases zero, from a PCG stream
// seeded by Config.Seed; training is Adam on softmax cross-entropy with a
// cosine learning-rate decay, mini-batches in train.Shuffle order, on demo
// frames of several sizes (trainSizes).
package build

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
)

// Model geometry and names.
const (
	Side       = 64       // input width and height
	InputName  = "input"  // [1, 3, Side, Side] float
	OutputName = "logits" // [1, classes] float, no softmax
	// LastBlockLayers is the number of parameterised layers of the last
	// block plus the classifier (b3 depthwise, b3 pointwise, fc).
	LastBlockLayers = 3
)

// Spec is the model's preprocessing: the whole frame (no crop) resized to
// Side×Side with Pillow's antialiased bilinear filter, RGB, x/127.5 − 1,
// NCHW.
func Spec() preprocess.Spec {
	s := preprocess.Spec{Width: Side, Height: Side, Channels: 3, Resize: preprocess.PILBilinear,
		Order: preprocess.RGB, Layout: preprocess.NCHW}
	if err := s.SetNorm("tf"); err != nil {
		panic(err) // a constant preset
	}
	return s
}

// layer is one parameterised layer of the network.
type layer struct {
	name          string
	in, out, k    int
	stride, group int
	relu          bool
	dense         bool
}

func layers(classes int) []layer {
	return []layer{
		{name: "conv0", in: 3, out: 16, k: 3, stride: 2, group: 1, relu: true},
		{name: "b1/dw", in: 16, out: 16, k: 3, stride: 2, group: 16, relu: true},
		{name: "b1/pw", in: 16, out: 32, k: 1, stride: 1, group: 1, relu: true},
		{name: "b2/dw", in: 32, out: 32, k: 3, stride: 2, group: 32, relu: true},
		{name: "b2/pw", in: 32, out: 64, k: 1, stride: 1, group: 1, relu: true},
		{name: "b3/dw", in: 64, out: 64, k: 3, stride: 2, group: 64, relu: true},
		{name: "b3/pw", in: 64, out: 128, k: 1, stride: 1, group: 1, relu: true},
		{name: "fc", in: 128, out: classes, dense: true},
	}
}

// weights holds one layer's parameters in ONNX layout: Conv [O][I/G][K][K],
// Gemm B [in][out] (transB = 0); bias [out].
type weights struct {
	w, b []float32
}

// initWeights draws the initial parameters.
func initWeights(ls []layer, seed uint64) []weights {
	rng := rand.New(rand.NewPCG(seed, 0x7374617274)) // "start"
	ws := make([]weights, len(ls))
	for i, l := range ls {
		if l.dense {
			ws[i].w = make([]float32, l.in*l.out)
			train.GlorotUniform(ws[i].w, l.in, l.out, rng)
		} else {
			fanIn := l.k * l.k * l.in / l.group
			ws[i].w = make([]float32, l.out*fanIn)
			train.HeUniform(ws[i].w, fanIn, rng)
		}
		ws[i].b = make([]float32, l.out)
	}
	return ws
}

func floatTensor(name string, dims []int64, v []float32) *onnxpb.Tensor {
	raw := make([]byte, 0, 4*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	return &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, RawData: raw}
}

func valueInfo(name string, dims ...int64) *onnxpb.ValueInfo {
	return onnxpb.TensorValueInfo(name, onnxpb.DataTypeFloat, dims...)
}

func ints(name string, v ...int64) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInts, Ints: v}
}

func intAttr(name string, v int64) *onnxpb.Attribute {
	return &onnxpb.Attribute{Name: name, Type: onnxpb.AttrTypeInt, I: v}
}

// encode writes the network with the given parameters as an ONNX model
// (opset 13).
func encode(ls []layer, ws []weights, doc string) []byte {
	g := &onnxpb.Graph{Name: "ocellus-starter",
		Inputs: []*onnxpb.ValueInfo{valueInfo(InputName, 1, 3, Side, Side)}}
	x := InputName
	for i, l := range ls {
		w, b := l.name+"/W", l.name+"/B"
		if l.dense {
			g.Nodes = append(g.Nodes,
				&onnxpb.Node{Name: "pool", OpType: "GlobalAveragePool", Inputs: []string{x}, Outputs: []string{"pool"}},
				&onnxpb.Node{Name: "flatten", OpType: "Flatten", Inputs: []string{"pool"}, Outputs: []string{"features"},
					Attributes: []*onnxpb.Attribute{intAttr("axis", 1)}},
				&onnxpb.Node{Name: l.name, OpType: "Gemm", Inputs: []string{"features", w, b}, Outputs: []string{OutputName}})
			g.Initializers = append(g.Initializers,
				floatTensor(w, []int64{int64(l.in), int64(l.out)}, ws[i].w),
				floatTensor(b, []int64{int64(l.out)}, ws[i].b))
			x = OutputName
			continue
		}
		y := l.name
		p := int64(l.k / 2)
		g.Nodes = append(g.Nodes, &onnxpb.Node{Name: l.name, OpType: "Conv", Inputs: []string{x, w, b}, Outputs: []string{y},
			Attributes: []*onnxpb.Attribute{ints("kernel_shape", int64(l.k), int64(l.k)), ints("strides", int64(l.stride), int64(l.stride)),
				ints("pads", p, p, p, p), intAttr("group", int64(l.group))}})
		g.Initializers = append(g.Initializers,
			floatTensor(w, []int64{int64(l.out), int64(l.in / l.group), int64(l.k), int64(l.k)}, ws[i].w),
			floatTensor(b, []int64{int64(l.out)}, ws[i].b))
		if l.relu {
			g.Nodes = append(g.Nodes, &onnxpb.Node{Name: l.name + "/relu", OpType: "Relu", Inputs: []string{y}, Outputs: []string{y + "/relu"}})
			y += "/relu"
		}
		x = y
	}
	classes := ls[len(ls)-1].out
	g.Outputs = []*onnxpb.ValueInfo{valueInfo(OutputName, 1, int64(classes))}
	m := &onnxpb.Model{IRVersion: 7, ProducerName: "ocellus daemon/starter", DocString: doc, Graph: g,
		OpsetImports: []*onnxpb.OperatorSetID{{Version: 13}}}
	return m.Marshal()
}

// Config configures Train. Zero fields take the defaults noted.
type Config struct {
	// Seed seeds the initial weights, the shuffling and the demo scenes of
	// the training set (1).
	Seed uint64
	// Shots is the number of demo shots rendered for training (1500), and
	// PerShot the frames taken from each (4), spread over the shot.
	Shots, PerShot int
	// Epochs (8), Batch (32), LR: Adam's initial learning rate (2e-3),
	// decayed along a cosine to LR/50 at the last step.
	Epochs, Batch int
	LR            float64
	// MaxSteps > 0 stops after that many optimizer steps (tests).
	MaxSteps int
	// Threads per training step (0: GOMAXPROCS); the result does not depend
	// on it.
	Threads int
	// Progress receives progress lines (nil: none).
	Progress io.Writer
}

func (c *Config) defaults() {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	def(&c.Shots, 1500)
	def(&c.PerShot, 4)
	def(&c.Epochs, 8)
	def(&c.Batch, 32)
	if c.LR <= 0 {
		c.LR = 2e-3
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
}

// trainSizes are the demo frame sizes of the training set: shot s is
// rendered at trainSizes()[s mod 4], so half the frames have the demo's
// default size (320×240, what `ocellus serve` shows) and the others teach
// the model how the scenes look at other resolutions.
func trainSizes() [][2]int { return [][2]int{{320, 240}, {640, 480}, {320, 240}, {160, 120}} }

// Frames renders frames seqs of the demo stream of scene seed at w×h (0×0:
// the demo's default, 320×240) and returns them resized to Side×Side
// (Spec's resize) with their classes (camera.DemoClass values).
func Frames(seed int64, w, h int, seqs []uint64) ([]*preprocess.RGB8, []int, error) {
	d, err := camera.NewDemo(camera.Options{Width: w, Height: h, Seed: seed})
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	w, h = d.Size()
	frame := preprocess.NewRGB8(w, h)
	imgs := make([]*preprocess.RGB8, len(seqs))
	labels := make([]int, len(seqs))
	for i, s := range seqs {
		d.Render(frame.Pix, s)
		imgs[i] = preprocess.ResizeRGB8(frame, Side, Side, Spec().Resize)
		labels[i] = int(d.Class(s))
	}
	return imgs, labels, nil
}

// TrainSeqs returns the frame numbers of the training set: perShot frames
// of each of the first shots shots, spread over the shot with an offset
// drawn from seed.
func TrainSeqs(seed uint64, shots, perShot int) []uint64 {
	rng := rand.New(rand.NewPCG(seed, 0x73657173)) // "seqs"
	seqs := make([]uint64, 0, shots*perShot)
	span := camera.DemoShotFrames / perShot
	for s := 0; s < shots; s++ {
		for k := 0; k < perShot; k++ {
			seqs = append(seqs, uint64(s*camera.DemoShotFrames+k*span+rng.IntN(max(span, 1))))
		}
	}
	return seqs
}

// Result is what Train made.
type Result struct {
	ONNX      []byte
	Steps     int
	TrainLoss float64 // mean loss of the last epoch
	TrainAcc  float64 // accuracy on the training set at the end
	Duration  time.Duration
}

// Train trains the starter network from scratch and returns it as ONNX.
// The result depends only on cfg (and on the floating-point arithmetic of
// the machine; see the package comment of daemon/starter).
func Train(cfg Config) (Result, error) {
	cfg.defaults()
	t0 := time.Now()
	classes := camera.DemoClassNames()
	ls := layers(len(classes))
	ws := initWeights(ls, cfg.Seed)

	// Load the initial model as nn/train does: every rewrite but BatchNorm
	// folding; the NCHW input is absorbed into an NHWC graph input.
	im, err := onnx.Import(encode(ls, ws, ""), &onnx.Options{})
	if err != nil {
		return Result{}, fmt.Errorf("build: initial model: %w", err)
	}
	m, err := nn.FromONNX(im, train.LoadOptions().Optimize)
	if err != nil {
		return Result{}, fmt.Errorf("build: initial model: %w", err)
	}
	s, err := train.SplitAt(m.Graph(), train.Cut{Tensor: InputName})
	if err != nil {
		return Result{}, err
	}
	if sh := s.InputShapes(); len(sh) != 1 || fmt.Sprint(sh[0]) != fmt.Sprint([]int{Side, Side, 3}) {
		return Result{}, fmt.Errorf("build: the tail reads %v, want one NHWC image [%d %d 3]", sh, Side, Side)
	}
	tail, err := train.NewTail(s, train.TailOptions{Batch: cfg.Batch, Seed: cfg.Seed, Threads: cfg.Threads})
	if err != nil {
		return Result{}, err
	}
	params := tail.Params()
	if len(params) != 2*len(ls) {
		return Result{}, fmt.Errorf("build: the tail has %d parameters, want %d", len(params), 2*len(ls))
	}
	for i, p := range params {
		if !strings.HasPrefix(p.Node, ls[i/2].name+"#") {
			return Result{}, fmt.Errorf("build: parameter %d belongs to node %q, want layer %q", i, p.Node, ls[i/2].name)
		}
	}
	adam, err := train.NewAdam(train.DefaultAdam(), train.ParamGroup{Params: params, LR: cfg.LR})
	if err != nil {
		return Result{}, err
	}

	var imgs []*preprocess.RGB8
	var labels []int
	sizes := trainSizes()
	bySize := make([][]uint64, len(sizes))
	for _, q := range TrainSeqs(cfg.Seed, cfg.Shots, cfg.PerShot) {
		i := int(q/camera.DemoShotFrames) % len(sizes)
		bySize[i] = append(bySize[i], q)
	}
	for i, sz := range sizes {
		im, lb, err := Frames(int64(cfg.Seed), sz[0], sz[1], bySize[i])
		if err != nil {
			return Result{}, err
		}
		imgs, labels = append(imgs, im...), append(labels, lb...)
	}
	fmt.Fprintf(cfg.Progress, "rendered %d frames in %v\n", len(imgs), time.Since(t0).Round(time.Millisecond))

	nhwc := Spec()
	nhwc.Layout = preprocess.NHWC
	pre, err := preprocess.NewPreprocessor(nhwc)
	if err != nil {
		return Result{}, err
	}
	fl := s.FeatureLen()
	xb := make([]float32, cfg.Batch*fl)
	yb := make([]int, 0, cfg.Batch)
	n := len(imgs)
	perEpoch := (n + cfg.Batch - 1) / cfg.Batch
	total := cfg.Epochs * perEpoch
	if cfg.MaxSteps > 0 {
		total = min(total, cfg.MaxSteps)
	}
	res := Result{}
	step := 0
	for ep := 0; ep < cfg.Epochs && step < total; ep++ {
		order := train.Shuffle(n, cfg.Seed, ep)
		var sum float64
		var cnt int
		for b0 := 0; b0 < n && step < total; b0 += cfg.Batch {
			idx := order[b0:min(b0+cfg.Batch, n)]
			yb = yb[:0]
			for i, j := range idx {
				pre.Run(imgs[j], xb[i*fl:(i+1)*fl])
				yb = append(yb, labels[j])
			}
			// Cosine decay from LR to LR/50.
			lr := cfg.LR * (0.02 + 0.98*0.5*(1+math.Cos(math.Pi*float64(step)/float64(total))))
			adam.SetLR(0, lr)
			sum += tail.TrainStep(xb[:len(idx)*fl], yb, train.SoftmaxCrossEntropy) * float64(len(idx))
			cnt += len(idx)
			adam.Step()
			step++
		}
		res.TrainLoss = sum / float64(cnt)
		fmt.Fprintf(cfg.Progress, "epoch %d: loss %.4f (%d steps, %v)\n", ep+1, res.TrainLoss, step, time.Since(t0).Round(time.Millisecond))
	}
	res.Steps = step

	// Training-set accuracy.
	correct := 0
	for b0 := 0; b0 < n; b0 += cfg.Batch {
		m := min(cfg.Batch, n-b0)
		for i := 0; i < m; i++ {
			pre.Run(imgs[b0+i], xb[i*fl:(i+1)*fl])
		}
		out := tail.Forward(xb[:m*fl], m, false)
		k := len(classes)
		for i := 0; i < m; i++ {
			if tensor.Argmax(out[i*k:(i+1)*k]) == labels[b0+i] {
				correct++
			}
		}
	}
	res.TrainAcc = float64(correct) / float64(n)

	// Back to ONNX layout: conv weights OHWI → OIHW, dense [in][out] as is.
	for i, l := range ls {
		w, b := params[2*i], params[2*i+1]
		if l.dense {
			copy(ws[i].w, w.Value)
		} else {
			ohwiToOIHW(ws[i].w, w.Value, l.out, l.k, l.k, l.in/l.group)
		}
		copy(ws[i].b, b.Value)
	}
	doc := fmt.Sprintf("ocellus starter model: classes %s; trained from scratch by daemon/starter/gen on %d demo frames "+
		"(seed %d, %d epochs, %d Adam steps, batch %d, lr %g cosine); train accuracy %.4f",
		strings.Join(classes, ","), n, cfg.Seed, cfg.Epochs, step, cfg.Batch, cfg.LR, res.TrainAcc)
	res.ONNX = encode(ls, ws, doc)
	res.Duration = time.Since(t0)
	return res, nil
}

func ohwiToOIHW(dst, src []float32, o, kh, kw, c int) {
	for oi := 0; oi < o; oi++ {
		for y := 0; y < kh; y++ {
			for x := 0; x < kw; x++ {
				for ci := 0; ci < c; ci++ {
					dst[((oi*c+ci)*kh+y)*kw+x] = src[((oi*kh+y)*kw+x)*c+ci]
				}
			}
		}
	}
}

// Evaluate runs an ONNX starter model (compiled for inference) on frames
// and returns its accuracy and confusion counts [true][predicted].
func Evaluate(m *nn.Model, imgs []*preprocess.RGB8, labels []int) (float64, [][]int, error) {
	k := len(camera.DemoClassNames())
	conf := make([][]int, k)
	for i := range conf {
		conf[i] = make([]int, k)
	}
	pre, err := preprocess.NewPreprocessor(Spec())
	if err != nil {
		return 0, nil, err
	}
	sess := m.NewSession()
	defer sess.Close()
	x := tensor.New(tensor.Float32, 1, 3, Side, Side)
	correct := 0
	for i, img := range imgs {
		pre.Run(img, x.F32)
		outs, err := sess.Run(x)
		if err != nil {
			return 0, nil, err
		}
		p := tensor.Argmax(outs[0].F32)
		conf[labels[i]][p]++
		if p == labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(imgs)), conf, nil
}

// HeldOutSeqs returns n frame numbers for evaluation: frames 7, 7+13,
// 7+26, … of a stream (13 is prime to the shot length, so every position
// in a shot comes up).
func HeldOutSeqs(n int) []uint64 {
	seqs := make([]uint64, n)
	for i := range seqs {
		seqs[i] = uint64(7 + 13*i)
	}
	return seqs
}
