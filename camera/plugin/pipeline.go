package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
)

// Policy is what a Pipeline does with a frame the plugin failed on.
type Policy uint8

const (
	// Drop skips the frame: Run returns Dropped and leaves dst alone.
	Drop Policy = iota
	// Fallback runs the built-in preprocessing on the unprocessed frame: Run returns FellBack
	// with dst filled.
	Fallback
)

var policyNames = [...]string{Drop: "drop", Fallback: "fallback"}

func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// ParsePolicy parses "drop" or "fallback".
func ParsePolicy(s string) (Policy, error) {
	for i, n := range policyNames {
		if strings.EqualFold(s, n) {
			return Policy(i), nil
		}
	}
	return 0, fmt.Errorf("%w: failure policy %q (want drop or fallback)", ErrInvalidConfig, s)
}

// Outcome says what Pipeline.Run did with a frame.
type Outcome uint8

const (
	// Processed: dst holds the model input computed through the plugin.
	Processed Outcome = iota
	// FellBack: the plugin failed (the error says how); dst holds the built-in preprocessing
	// of the unprocessed frame.
	FellBack
	// Dropped: the plugin failed, or the frame was invalid; dst is unchanged.
	Dropped
)

var outcomeNames = [...]string{Processed: "processed", FellBack: "fell back", Dropped: "dropped"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Pipeline turns camera frames into a model's input through a plugin: the frame goes to the
// plugin as RGB8; a frame the plugin returns (RGB8 or Gray8) then goes through the built-in
// preprocessing of the Spec (resize, normalisation, layout), a tensor it returns is the model
// input itself and must have the Spec's shape. A Pipeline is not safe for concurrent use.
type Pipeline struct {
	plugin *Plugin
	pre    *preprocess.Preprocessor
	policy Policy

	out  Output
	img  preprocess.RGB8
	grey []byte // a Gray8 output expanded to RGB8
}

// NewPipeline validates spec and returns a pipeline that applies policy to failed frames.
func NewPipeline(p *Plugin, spec preprocess.Spec, policy Policy) (*Pipeline, error) {
	if int(policy) >= len(policyNames) {
		return nil, fmt.Errorf("%w: failure policy %d", ErrInvalidConfig, policy)
	}
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		return nil, err
	}
	return &Pipeline{plugin: p, pre: pre, policy: policy}, nil
}

// Plugin returns the pipeline's plugin.
func (pl *Pipeline) Plugin() *Plugin { return pl.plugin }

// Run computes the model input of one frame into dst, which must have exactly Spec.Len()
// elements (a wrong length panics, as preprocess.Preprocessor.Run does). When the plugin fails,
// Run returns its error together with FellBack or Dropped according to the policy; an invalid
// frame, a closed plugin or a cancelled ctx always give Dropped.
func (pl *Pipeline) Run(ctx context.Context, img *preprocess.RGB8, dst []float32) (Outcome, error) {
	if img == nil {
		panic("plugin: Pipeline.Run with a nil image")
	}
	spec := pl.pre.Spec()
	if len(dst) != spec.Len() {
		panic(fmt.Sprintf("plugin: dst has %d elements, spec %dx%dx%d needs %d", len(dst), spec.Width, spec.Height, spec.Channels, spec.Len()))
	}
	err := pl.plugin.Process(ctx, Frame{W: img.W, H: img.H, Format: RGB8, Pix: img.Pix}, &pl.out)
	if err == nil {
		err = pl.apply(dst)
	}
	if err == nil {
		return Processed, nil
	}
	if pl.policy == Drop || errors.Is(err, ErrInvalidFrame) || errors.Is(err, ErrClosed) || ctx.Err() != nil {
		return Dropped, err
	}
	pl.pre.Run(img, dst)
	return FellBack, err
}

// apply turns the plugin's output into the model input.
func (pl *Pipeline) apply(dst []float32) error {
	out := &pl.out
	switch out.Format {
	case F32:
		if want := pl.modelShape(); !sameIgnoringOnes(out.Shape, want) {
			s := pl.pre.Spec()
			pl.plugin.stats.Failures++
			return pl.plugin.errorf(pl.plugin.stats.Frames, "process", ErrBadOutput,
				"tensor %v does not fit the model input (%v %dx%dx%d, dims %v)", out.Shape, s.Layout, s.Width, s.Height, s.Channels, want)
		}
		copy(dst, out.Tensor)
	case RGB8:
		pl.img = preprocess.RGB8{W: out.Shape[1], H: out.Shape[0], Pix: out.Pix}
		pl.pre.Run(&pl.img, dst)
	case Gray8:
		n := len(out.Pix)
		if cap(pl.grey) < 3*n {
			pl.grey = make([]byte, 3*n)
		}
		g := pl.grey[:3*n]
		for i, v := range out.Pix {
			g[3*i], g[3*i+1], g[3*i+2] = v, v, v
		}
		pl.img = preprocess.RGB8{W: out.Shape[1], H: out.Shape[0], Pix: g, Gray: true}
		pl.pre.Run(&pl.img, dst)
	}
	return nil
}

// modelShape is the model input's shape without the batch: [C, H, W] or [H, W, C].
func (pl *Pipeline) modelShape() []int {
	s := pl.pre.Spec()
	if s.Layout == preprocess.NCHW {
		return []int{s.Channels, s.Height, s.Width}
	}
	return []int{s.Height, s.Width, s.Channels}
}

// sameIgnoringOnes compares two shapes without their dims equal to 1, which do not change the
// order of the values in memory.
func sameIgnoringOnes(a, b []int) bool {
	i, j := 0, 0
	for {
		for i < len(a) && a[i] == 1 {
			i++
		}
		for j < len(b) && b[j] == 1 {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i, j = i+1, j+1
	}
}
