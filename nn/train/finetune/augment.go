package finetune

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/store"
)

// MaxVariants bounds Augment.Variants.
const MaxVariants = 64

// Augment configures flip/crop augmentation of the training split. The
// zero value is off; val and test samples are never augmented. With it
// on, training sees only the variants (with Flip alone the unflipped ones
// are the plain images).
//
// Both phases train on cached features, so augmentation is done once per
// sample, not once per epoch: each training sample gets Variants
// augmented copies, fixed by (Seed, sample id, variant index), whose
// features are computed and cached like the plain ones, under their own
// feature-cache key (AugmentKey). Each epoch draws one variant per sample
// (seeded by Config.Seed, the phase and the epoch); the epoch's train
// loss and accuracy are those of the drawn variants. Feature extraction of
// the training split costs Variants times as much as without (once: a
// second run with the same Augment reads the cache), and the training
// split's features take Variants times the memory.
type Augment struct {
	// Flip mirrors left-right: with Variants even, exactly half of a
	// sample's variants are flipped (which half is drawn per sample).
	Flip bool `json:"flip,omitempty"`
	// Crop is the largest fraction of the width (height) cut off each
	// side, in [0, 0.5): each variant cuts a fraction drawn uniformly from
	// [0, Crop] off each of its four sides, before the preprocessing's
	// resize to the model's input.
	Crop float64 `json:"crop,omitempty"`
	// Variants per training sample (0: 4 when Flip or Crop is set).
	Variants int `json:"variants,omitempty"`
	// Seed seeds the variants (0: 1). It is separate from Config.Seed so
	// that runs with other training seeds reuse the cached variants.
	Seed uint64 `json:"seed,omitempty"`
}

// On reports whether a augments anything.
func (a Augment) On() bool { return a.Flip || a.Crop > 0 }

func (a *Augment) defaults() {
	if !a.On() {
		return
	}
	if a.Variants == 0 {
		a.Variants = 4
	}
	if a.Seed == 0 {
		a.Seed = 1
	}
}

func (a Augment) validate() error {
	switch {
	case !(a.Crop >= 0 && a.Crop < 0.5):
		return fmt.Errorf("finetune: augment crop %g, want [0, 0.5)", a.Crop)
	case a.Variants < 0 || a.Variants > MaxVariants:
		return fmt.Errorf("finetune: augment variants %d, want 1 to %d", a.Variants, MaxVariants)
	case a.Variants > 0 && !a.On():
		return errors.New("finetune: augment variants without flip or crop")
	}
	return nil
}

// String gives a in ParseAugment's syntax ("" when off).
func (a Augment) String() string {
	if !a.On() {
		return ""
	}
	var parts []string
	if a.Flip {
		parts = append(parts, "flip")
	}
	if a.Crop > 0 {
		parts = append(parts, "crop="+strconv.FormatFloat(a.Crop, 'g', -1, 64))
	}
	if a.Variants > 0 {
		parts = append(parts, "variants="+strconv.Itoa(a.Variants))
	}
	if a.Seed > 0 {
		parts = append(parts, "seed="+strconv.FormatUint(a.Seed, 10))
	}
	return strings.Join(parts, ",")
}

// ParseAugment parses a comma-separated list of "flip", "crop=F",
// "variants=N" and "seed=S" (as `ocellus train --augment` takes it); ""
// and "none" are off. The result is validated but not defaulted.
func ParseAugment(s string) (Augment, error) {
	var a Augment
	if s == "" || s == "none" {
		return a, nil
	}
	for _, item := range strings.Split(s, ",") {
		k, v, hasV := strings.Cut(strings.TrimSpace(item), "=")
		var err error
		switch {
		case k == "flip" && !hasV:
			a.Flip = true
		case k == "crop" && hasV:
			a.Crop, err = strconv.ParseFloat(v, 64)
		case k == "variants" && hasV:
			a.Variants, err = strconv.Atoi(v)
		case k == "seed" && hasV:
			a.Seed, err = strconv.ParseUint(v, 10, 64)
		default:
			return Augment{}, fmt.Errorf("finetune: augment %q: want flip, crop=F, variants=N or seed=S", item)
		}
		if err != nil {
			return Augment{}, fmt.Errorf("finetune: augment %q: %v", item, err)
		}
	}
	if err := a.validate(); err != nil {
		return Augment{}, err
	}
	if !a.On() {
		return Augment{}, fmt.Errorf("finetune: augment %q: neither flip nor a crop > 0", s)
	}
	return a, nil
}

// AugmentKey is the feature-cache key of variant v (of a defaulted a)
// given the plain features' key (FeatureKey): that key, then the
// augmentation that made the images.
func AugmentKey(plain string, a Augment, v int) string {
	return fmt.Sprintf("%s/aug1:flip=%t,crop=%s,seed=%d,v=%d",
		plain, a.Flip, strconv.FormatFloat(a.Crop, 'g', -1, 64), a.Seed, v)
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// variantParams returns whether variant v of sample id is flipped and the
// fractions cut off its left, right, top and bottom sides.
func (a Augment) variantParams(id store.SampleID, v int) (flip bool, crop [4]float64) {
	h := mix(mix(a.Seed) ^ uint64(id))
	if a.Flip {
		flip = (uint64(v)+h)&1 == 1
	}
	if a.Crop > 0 {
		r := mix(h ^ mix(uint64(v)+1))
		for i := range crop {
			r = mix(r)
			crop[i] = unit(r) * a.Crop
		}
	}
	return flip, crop
}

// Apply returns variant v of sample id's image: img cropped then, if
// drawn, mirrored left-right (a new image; img is not changed).
func (a Augment) Apply(img *preprocess.RGB8, id store.SampleID, v int) *preprocess.RGB8 {
	flip, c := a.variantParams(id, v)
	cut := func(side int, f float64) int { return int(math.Floor(f * float64(side))) }
	x0, x1 := cut(img.W, c[0]), img.W-cut(img.W, c[1])
	y0, y1 := cut(img.H, c[2]), img.H-cut(img.H, c[3])
	if x1 <= x0 {
		x0, x1 = 0, img.W
	}
	if y1 <= y0 {
		y0, y1 = 0, img.H
	}
	out := preprocess.NewRGB8(x1-x0, y1-y0)
	out.Gray = img.Gray
	for y := y0; y < y1; y++ {
		src := img.Pix[3*(y*img.W+x0) : 3*(y*img.W+x1)]
		dst := out.Pix[3*(y-y0)*out.W : 3*(y-y0+1)*out.W]
		if !flip {
			copy(dst, src)
			continue
		}
		for x := 0; x < out.W; x++ {
			copy(dst[3*x:3*x+3], src[3*(out.W-1-x):3*(out.W-x)])
		}
	}
	return out
}

// drawVariants fills dst (n rows of fl) with one variant per training
// sample for an epoch of a phase.
func drawVariants(dst []float32, variants [][]float32, fl int, seed uint64, phase, epoch int) {
	k := uint64(len(variants))
	h := mix(mix(seed^0x61756773) ^ uint64(phase)<<32 ^ uint64(epoch))
	for i := 0; i < len(dst)/fl; i++ {
		v := mix(h^uint64(i)) % k
		copy(dst[i*fl:(i+1)*fl], variants[v][i*fl:(i+1)*fl])
	}
}
