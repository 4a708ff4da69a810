package train

import (
	"fmt"
	"math"
)

// ParamKind tells weights from biases.
type ParamKind uint8

// Parameter kinds.
const (
	Weight ParamKind = iota
	Bias
)

func (k ParamKind) String() string {
	if k == Bias {
		return "bias"
	}
	return "weight"
}

// Param is one trainable tensor of a Tail. Value is live: the tail reads
// it on every Forward, the optimizer updates it in place. Grad has the same
// length and accumulates (+=) over Backward calls until ZeroGrad.
type Param struct {
	Name  string    // the graph constant it replaces
	Node  string    // the node reading it
	Kind  ParamKind // weight or bias
	Head  bool      // part of the new classifier (HeadNode)
	Shape []int     // IR layout: conv OHWI [OC][KH][KW][C/G], dense [in][out]
	Value []float32
	Grad  []float32

	id int // tensor id in the split graph
}

// ParamGroup is a set of parameters sharing a learning rate and weight
// decay (PyTorch's param groups).
type ParamGroup struct {
	Params      []*Param
	LR          float64
	WeightDecay float64
}

// HeadGroups puts the head's parameters (Param.Head) in group 0 with
// learning rate headLR and the others in group 1 with lr, both with the
// same weight decay. Either group may be empty.
func HeadGroups(params []*Param, headLR, lr, weightDecay float64) []ParamGroup {
	g := []ParamGroup{{LR: headLR, WeightDecay: weightDecay}, {LR: lr, WeightDecay: weightDecay}}
	for _, p := range params {
		if p.Head {
			g[0].Params = append(g[0].Params, p)
		} else {
			g[1].Params = append(g[1].Params, p)
		}
	}
	return g
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter of every group.
	Step()
	// Groups returns the parameter groups; callers may change a group's LR
	// between steps (schedules).
	Groups() []ParamGroup
	// SetLR sets the learning rate of group i.
	SetLR(i int, lr float64)
}

func checkGroups(groups []ParamGroup) error {
	seen := map[*Param]bool{}
	for i, g := range groups {
		if !(g.LR >= 0) || math.IsInf(g.LR, 0) || !(g.WeightDecay >= 0) || math.IsInf(g.WeightDecay, 0) {
			return fmt.Errorf("%w: group %d: learning rate %g, weight decay %g (want finite, >= 0)", ErrConfig, i, g.LR, g.WeightDecay)
		}
		for _, p := range g.Params {
			if seen[p] {
				return fmt.Errorf("%w: parameter %q is in two groups", ErrConfig, p.Name)
			}
			seen[p] = true
			if len(p.Grad) != len(p.Value) {
				return fmt.Errorf("%w: parameter %q has %d values and %d gradients", ErrConfig, p.Name, len(p.Value), len(p.Grad))
			}
		}
	}
	return nil
}

// AdamConfig configures Adam. Start from DefaultAdam.
type AdamConfig struct {
	Beta1, Beta2 float64
	Eps          float64
	// KerasEpsilon places Eps as Keras does, outside the bias correction:
	// p −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε). Off, it is PyTorch's
	// p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε). Keras uses ε = 1e-7.
	KerasEpsilon bool
	// Decoupled makes the groups' weight decay decoupled (AdamW, PyTorch's
	// torch.optim.AdamW and Keras' weight_decay): p −= lr·wd·p before the
	// Adam update. Off, it is L2 (PyTorch's Adam weight_decay): wd·p is
	// added to the gradient.
	Decoupled bool
}

// DefaultAdam is PyTorch's Adam: β = (0.9, 0.999), ε = 1e-8, decoupled
// weight decay (it only acts when a group sets WeightDecay).
func DefaultAdam() AdamConfig {
	return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Decoupled: true}
}

// Validate checks the ranges: 0 ≤ β < 1, ε > 0.
func (c AdamConfig) Validate() error {
	if !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1) || !(c.Eps > 0) || math.IsInf(c.Eps, 0) {
		return fmt.Errorf("%w: Adam betas (%g, %g) must be in [0, 1), eps %g > 0", ErrConfig, c.Beta1, c.Beta2, c.Eps)
	}
	return nil
}

// Adam is the Adam optimizer with bias correction. State (first and second
// moments) is float32, one pair per parameter, allocated at the first step.
type Adam struct {
	cfg    AdamConfig
	groups []ParamGroup
	m, v   map[*Param][]float32
	t      int
}

// NewAdam makes an Adam optimizer over the groups.
func NewAdam(cfg AdamConfig, groups ...ParamGroup) (*Adam, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkGroups(groups); err != nil {
		return nil, err
	}
	return &Adam{cfg: cfg, groups: groups, m: map[*Param][]float32{}, v: map[*Param][]float32{}}, nil
}

// Groups returns the parameter groups.
func (a *Adam) Groups() []ParamGroup { return a.groups }

// SetLR sets group i's learning rate.
func (a *Adam) SetLR(i int, lr float64) { a.groups[i].LR = lr }

// Steps is the number of steps taken.
func (a *Adam) Steps() int { return a.t }

// Step applies one Adam update.
func (a *Adam) Step() {
	a.t++
	c := a.cfg
	bc1 := 1 - math.Pow(c.Beta1, float64(a.t))
	bc2 := 1 - math.Pow(c.Beta2, float64(a.t))
	// 1−β in float64 first, as PyTorch does (float32(0.999) is 0.99899995).
	b1, b2 := float32(c.Beta1), float32(c.Beta2)
	ob1, ob2 := float32(1-c.Beta1), float32(1-c.Beta2)
	for _, g := range a.groups {
		for _, p := range g.Params {
			m, v := a.m[p], a.v[p]
			if m == nil {
				m, v = make([]float32, len(p.Value)), make([]float32, len(p.Value))
				a.m[p], a.v[p] = m, v
			}
			wd := float32(g.WeightDecay)
			if c.Decoupled && wd != 0 {
				f := 1 - float32(g.LR)*wd
				for i := range p.Value {
					p.Value[i] *= f
				}
			}
			l2 := float32(0)
			if !c.Decoupled {
				l2 = wd
			}
			if c.KerasEpsilon {
				step := float32(g.LR * math.Sqrt(bc2) / bc1)
				eps := float32(c.Eps)
				for i, gr := range p.Grad {
					gr += l2 * p.Value[i]
					m[i] = b1*m[i] + ob1*gr
					v[i] = b2*v[i] + ob2*gr*gr
					p.Value[i] -= step * m[i] / (sqrt32(v[i]) + eps)
				}
				continue
			}
			step := float32(g.LR / bc1)
			sbc2 := float32(math.Sqrt(bc2))
			eps := float32(c.Eps)
			for i, gr := range p.Grad {
				gr += l2 * p.Value[i]
				m[i] = b1*m[i] + ob1*gr
				v[i] = b2*v[i] + ob2*gr*gr
				p.Value[i] -= step * m[i] / (sqrt32(v[i])/sbc2 + eps)
			}
		}
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// SGDConfig configures SGD. Start from DefaultSGD.
type SGDConfig struct {
	Momentum float64
	Nesterov bool
	// Decoupled: as AdamConfig.Decoupled (p −= lr·wd·p); off (the default,
	// PyTorch's SGD), weight decay is L2: wd·p is added to the gradient.
	Decoupled bool
}

// DefaultSGD is SGD with momentum 0.9 (L2 weight decay where a group sets
// it).
func DefaultSGD() SGDConfig { return SGDConfig{Momentum: 0.9} }

// Validate checks 0 ≤ momentum < 1 and that Nesterov has momentum.
func (c SGDConfig) Validate() error {
	if !(c.Momentum >= 0 && c.Momentum < 1) || c.Nesterov && c.Momentum == 0 {
		return fmt.Errorf("%w: SGD momentum %g (want [0, 1), > 0 for Nesterov)", ErrConfig, c.Momentum)
	}
	return nil
}

// SGD is stochastic gradient descent with (optionally Nesterov) momentum,
// PyTorch's formulation: buf = μ·buf + g (buf = g at the first step),
// p −= lr·buf (Nesterov: p −= lr·(g + μ·buf)). With a constant learning
// rate this equals Keras' v = μ·v − lr·g, p += v.
type SGD struct {
	cfg    SGDConfig
	groups []ParamGroup
	buf    map[*Param][]float32
}

// NewSGD makes an SGD optimizer over the groups.
func NewSGD(cfg SGDConfig, groups ...ParamGroup) (*SGD, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkGroups(groups); err != nil {
		return nil, err
	}
	return &SGD{cfg: cfg, groups: groups, buf: map[*Param][]float32{}}, nil
}

// Groups returns the parameter groups.
func (s *SGD) Groups() []ParamGroup { return s.groups }

// SetLR sets group i's learning rate.
func (s *SGD) SetLR(i int, lr float64) { s.groups[i].LR = lr }

// Step applies one SGD update.
func (s *SGD) Step() {
	mu := float32(s.cfg.Momentum)
	for _, g := range s.groups {
		lr, wd := float32(g.LR), float32(g.WeightDecay)
		for _, p := range g.Params {
			if s.cfg.Decoupled && wd != 0 {
				f := 1 - lr*wd
				for i := range p.Value {
					p.Value[i] *= f
				}
			}
			l2 := float32(0)
			if !s.cfg.Decoupled {
				l2 = wd
			}
			if mu == 0 {
				for i, gr := range p.Grad {
					p.Value[i] -= lr * (gr + l2*p.Value[i])
				}
				continue
			}
			buf, ok := s.buf[p]
			if !ok {
				buf = make([]float32, len(p.Value))
				s.buf[p] = buf
			}
			for i, gr := range p.Grad {
				gr += l2 * p.Value[i]
				if ok {
					buf[i] = mu*buf[i] + gr
				} else {
					buf[i] = gr
				}
				if s.cfg.Nesterov {
					gr += mu * buf[i]
				} else {
					gr = buf[i]
				}
				p.Value[i] -= lr * gr
			}
		}
	}
}
