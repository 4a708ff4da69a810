package onnx

import (
	"fmt"
	"math"

	"github.com/ocellus/ocellus/kernels"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
)

func (im *importer) resize(n *onnxpb.Node) error {
	x, err := im.need(n, 0)
	if err != nil {
		return err
	}
	xs := im.logicalShape(x)
	r := len(xs)
	var p kernels.ResizeParams
	mode, err := n.AttrString("mode", "nearest")
	if err != nil {
		return err
	}
	switch mode {
	case "nearest":
		p.Mode = kernels.ResizeNearest
	case "linear", "bilinear", "trilinear":
		p.Mode = kernels.ResizeLinear
	case "cubic", "bicubic":
		p.Mode = kernels.ResizeCubic
	default:
		return fmt.Errorf("mode %q: %w", mode, ErrUnsupported)
	}
	var roi []float32
	var scales []float32
	var sizes []int64
	if im.opset < 11 {
		p.Coord, p.Nearest = kernels.Asymmetric, kernels.Floor
		c, err := im.constInput(n, 1, "scales")
		if err != nil {
			return err
		}
		if c == nil {
			return fmt.Errorf("scales input missing: %w", ErrInvalid)
		}
		scales = c.AsFloat32s()
	} else {
		ct, err := n.AttrString("coordinate_transformation_mode", "half_pixel")
		if err != nil {
			return err
		}
		coords := map[string]kernels.CoordTransform{"half_pixel": kernels.HalfPixel, "half_pixel_symmetric": kernels.HalfPixelSymmetric,
			"pytorch_half_pixel": kernels.PytorchHalfPixel, "align_corners": kernels.AlignCorners, "asymmetric": kernels.Asymmetric,
			"tf_crop_and_resize": kernels.TFCropAndResize}
		var ok bool
		if p.Coord, ok = coords[ct]; !ok {
			return fmt.Errorf("coordinate_transformation_mode %q: %w", ct, ErrUnsupported)
		}
		nm, err := n.AttrString("nearest_mode", "round_prefer_floor")
		if err != nil {
			return err
		}
		nearest := map[string]kernels.NearestMode{"round_prefer_floor": kernels.RoundPreferFloor, "round_prefer_ceil": kernels.RoundPreferCeil,
			"floor": kernels.Floor, "ceil": kernels.Ceil}
		if p.Nearest, ok = nearest[nm]; !ok {
			return fmt.Errorf("nearest_mode %q: %w", nm, ErrUnsupported)
		}
		if p.CubicA, err = n.AttrFloat("cubic_coeff_a", -0.75); err != nil {
			return err
		}
		ex, err := n.AttrInt("exclude_outside", 0)
		if err != nil {
			return err
		}
		p.ExcludeOutside = ex != 0
		if p.Extrapolation, err = n.AttrFloat("extrapolation_value", 0); err != nil {
			return err
		}
		aa, err := n.AttrInt("antialias", 0)
		if err != nil {
			return err
		}
		p.Antialias = aa != 0
		if c, err := im.constInput(n, 1, "roi"); err != nil {
			return err
		} else if c != nil && c.Len() > 0 {
			roi = c.AsFloat32s()
		}
		if c, err := im.constInput(n, 2, "scales"); err != nil {
			return err
		} else if c != nil && c.Len() > 0 {
			scales = c.AsFloat32s()
		}
		if s, ok, err := im.constInts(n, 3, "sizes"); err != nil {
			return err
		} else if ok && len(s) > 0 {
			sizes = s
		}
	}
	axes := identity(r)
	if as, err := n.AttrInts("axes", nil); err != nil {
		return err
	} else if as != nil {
		if axes, err = normAxes(as, r); err != nil {
			return err
		}
	}
	policy, err := n.AttrString("keep_aspect_ratio_policy", "stretch")
	if err != nil {
		return err
	}
	if (scales == nil) == (sizes == nil) {
		return fmt.Errorf("exactly one of scales and sizes must be given: %w", ErrInvalid)
	}
	// Logical per-axis output sizes and scales.
	outShape := append([]int(nil), xs...)
	sc := make([]float32, r)
	for i := range sc {
		sc[i] = 1
	}
	if scales != nil {
		if len(scales) != len(axes) {
			return fmt.Errorf("%d scales for %d axes: %w", len(scales), len(axes), ErrInvalid)
		}
		for i, a := range axes {
			if !(scales[i] > 0) || math.IsInf(float64(scales[i]), 0) {
				return fmt.Errorf("scale %g: %w", scales[i], ErrInvalid)
			}
			sc[a] = scales[i]
			outShape[a] = int(math.Floor(float64(xs[a]) * float64(scales[i])))
		}
	} else {
		if len(sizes) != len(axes) {
			return fmt.Errorf("%d sizes for %d axes: %w", len(sizes), len(axes), ErrInvalid)
		}
		for i, a := range axes {
			if sizes[i] < 1 || sizes[i] > maxElems || xs[a] == 0 {
				return fmt.Errorf("size %d for axis of length %d: %w", sizes[i], xs[a], ErrInvalid)
			}
		}
		switch policy {
		case "stretch":
			for i, a := range axes {
				outShape[a] = int(sizes[i])
				sc[a] = float32(float64(sizes[i]) / float64(xs[a]))
			}
		case "not_larger", "not_smaller":
			s := math.Inf(1)
			if policy == "not_smaller" {
				s = math.Inf(-1)
			}
			for i, a := range axes {
				v := float64(sizes[i]) / float64(xs[a])
				if policy == "not_larger" {
					s = math.Min(s, v)
				} else {
					s = math.Max(s, v)
				}
			}
			for _, a := range axes {
				sc[a] = float32(s)
				outShape[a] = int(math.Round(s * float64(xs[a])))
			}
		default:
			return fmt.Errorf("keep_aspect_ratio_policy %q: %w", policy, ErrUnsupported)
		}
	}
	var lroi []float32
	if p.Coord == kernels.TFCropAndResize {
		lroi = make([]float32, 2*r)
		for i := 0; i < r; i++ {
			lroi[i], lroi[r+i] = 0, 1
		}
		switch {
		case len(roi) == 2*len(axes):
			for i, a := range axes {
				lroi[a], lroi[r+a] = roi[i], roi[len(axes)+i]
			}
		case roi != nil:
			return fmt.Errorf("roi has %d values for %d axes: %w", len(roi), len(axes), ErrInvalid)
		}
	}
	// Physical order.
	perm := x.perm
	if perm == nil {
		perm = identity(r)
	}
	p.Scales = make([]float32, r)
	phys := make([]int, r)
	if lroi != nil {
		p.Roi = make([]float32, 2*r)
	}
	for k, a := range perm {
		p.Scales[k] = sc[a]
		phys[k] = outShape[a]
		if lroi != nil {
			p.Roi[k], p.Roi[r+k] = lroi[a], lroi[r+a]
		}
	}
	ids, err := im.emitDeclared(graph.OpResize, &graph.ResizeParams{ResizeParams: p}, []int{x.id}, []graph.Tensor{{DType: im.dtype(x), Shape: phys}})
	if err != nil {
		return err
	}
	im.set(n, 0, value{id: ids[0], perm: x.perm})
	return nil
}
