package finetune

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/store"
)

// testImage is a w×h image whose every byte is distinct modulo 256 in a
// pattern no crop or flip of it reproduces by accident.
func testImage(w, h int) *preprocess.RGB8 {
	img := preprocess.NewRGB8(w, h)
	for i := range img.Pix {
		img.Pix[i] = uint8(i*7 + i/3)
	}
	return img
}

// locate finds out as a sub-rectangle of img, mirrored or not; ok false
// if it is neither.
func locate(img, out *preprocess.RGB8) (x0, y0 int, flipped, ok bool) {
	for _, fl := range []bool{false, true} {
		for y0 = 0; y0+out.H <= img.H; y0++ {
			for x0 = 0; x0+out.W <= img.W; x0++ {
				match := true
				for y := 0; y < out.H && match; y++ {
					for x := 0; x < out.W && match; x++ {
						sx := x0 + x
						if fl {
							sx = x0 + out.W - 1 - x
						}
						r, g, b := img.At(sx, y0+y)
						r2, g2, b2 := out.At(x, y)
						match = r == r2 && g == g2 && b == b2
					}
				}
				if match {
					return x0, y0, fl, true
				}
			}
		}
	}
	return 0, 0, false, false
}

func TestAugmentApply(t *testing.T) {
	img := testImage(40, 30)
	orig := slices.Clone(img.Pix)

	// Flip only: each variant is the image or its mirror, exactly half of
	// an even number of variants mirrored, the same every time.
	a := Augment{Flip: true, Variants: 4}
	for id := store.SampleID(1); id <= 20; id++ {
		flips := 0
		for v := 0; v < a.Variants; v++ {
			out := a.Apply(img, id, v)
			if out.W != img.W || out.H != img.H {
				t.Fatalf("flip-only variant is %d×%d, want %d×%d", out.W, out.H, img.W, img.H)
			}
			x0, y0, fl, ok := locate(img, out)
			if !ok || x0 != 0 || y0 != 0 {
				t.Fatalf("sample %d variant %d is neither the image nor its mirror", id, v)
			}
			if fl {
				flips++
			}
			if again := a.Apply(img, id, v); !bytes.Equal(again.Pix, out.Pix) {
				t.Fatalf("sample %d variant %d differs between two calls", id, v)
			}
		}
		if flips != a.Variants/2 {
			t.Errorf("sample %d: %d of %d variants flipped, want half", id, flips, a.Variants)
		}
	}
	if !bytes.Equal(img.Pix, orig) {
		t.Fatal("Apply changed its input image")
	}

	// Flip and crop: each variant is a sub-rectangle (mirrored or not)
	// with at most Crop of each side cut off; variants differ.
	a = Augment{Flip: true, Crop: 0.2, Variants: 6, Seed: 3}
	maxCut := 0.2
	sizes := map[[4]int]bool{}
	flipped := 0
	for id := store.SampleID(1); id <= 5; id++ {
		for v := 0; v < a.Variants; v++ {
			out := a.Apply(img, id, v)
			x0, y0, fl, ok := locate(img, out)
			if !ok {
				t.Fatalf("sample %d variant %d (%d×%d) is not a crop of the image", id, v, out.W, out.H)
			}
			x1, y1 := img.W-x0-out.W, img.H-y0-out.H
			if float64(x0) > maxCut*float64(img.W) || float64(x1) > maxCut*float64(img.W) ||
				float64(y0) > maxCut*float64(img.H) || float64(y1) > maxCut*float64(img.H) {
				t.Errorf("sample %d variant %d cuts %d,%d,%d,%d px off a %d×%d image: more than %g a side",
					id, v, x0, x1, y0, y1, img.W, img.H, maxCut)
			}
			sizes[[4]int{x0, x1, y0, y1}] = true
			if fl {
				flipped++
			}
		}
	}
	if len(sizes) < 20 || flipped != 15 {
		t.Errorf("30 crop variants: %d distinct crops (want ≥ 20), %d flipped (want 15)", len(sizes), flipped)
	}
	// Another seed gives other crops.
	b := a
	b.Seed = 4
	if bytes.Equal(a.Apply(img, 1, 0).Pix, b.Apply(img, 1, 0).Pix) && bytes.Equal(a.Apply(img, 1, 1).Pix, b.Apply(img, 1, 1).Pix) {
		t.Error("seeds 3 and 4 give the same variants")
	}
	// A 1×1 image survives any crop.
	if out := (Augment{Crop: 0.49, Variants: 1}).Apply(testImage(1, 1), 1, 0); out.W != 1 || out.H != 1 {
		t.Errorf("1×1 image cropped to %d×%d", out.W, out.H)
	}
}

func TestParseAugment(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Augment
		err  string
	}{
		{"", Augment{}, ""},
		{"none", Augment{}, ""},
		{"flip", Augment{Flip: true}, ""},
		{"flip,crop=0.1", Augment{Flip: true, Crop: 0.1}, ""},
		{"crop=0.25, variants=8,seed=9", Augment{Crop: 0.25, Variants: 8, Seed: 9}, ""},
		{"crop=0.5", Augment{}, "want [0, 0.5)"},
		{"crop=NaN", Augment{}, "want [0, 0.5)"},
		{"crop=-0.1", Augment{}, "want [0, 0.5)"},
		{"flip,variants=65", Augment{}, "want 1 to 64"},
		{"flip,variants=x", Augment{}, "invalid syntax"},
		{"variants=3", Augment{}, "without flip or crop"},
		{"crop=0", Augment{}, "neither flip nor"},
		{"rotate", Augment{}, "want flip, crop=F"},
		{"flip=1", Augment{}, "want flip, crop=F"},
	} {
		got, err := ParseAugment(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseAugment(%q) = %+v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseAugment(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if back, err := ParseAugment(got.String()); err != nil || back != got {
			t.Errorf("ParseAugment(%q.String() = %q) = %+v, %v", tc.in, got.String(), back, err)
		}
	}
}

func TestDrawVariants(t *testing.T) {
	const n, fl, k = 50, 3, 4
	vars := make([][]float32, k)
	for v := range vars {
		vars[v] = make([]float32, n*fl)
		for i := range vars[v] {
			vars[v][i] = float32(v*1000 + i)
		}
	}
	a, b := make([]float32, n*fl), make([]float32, n*fl)
	drawVariants(a, vars, fl, 1, 0, 1)
	drawVariants(b, vars, fl, 1, 0, 1)
	if !slices.Equal(a, b) {
		t.Fatal("the same epoch drew different variants")
	}
	seen := map[int]int{}
	for i := 0; i < n; i++ {
		v := int(a[i*fl]) / 1000
		for j := 0; j < fl; j++ {
			if a[i*fl+j] != vars[v][i*fl+j] {
				t.Fatalf("row %d is not row %d of variant %d", i, i, v)
			}
		}
		seen[v]++
	}
	if len(seen) != k {
		t.Errorf("50 samples drew variants %v, want all %d", seen, k)
	}
	drawVariants(b, vars, fl, 1, 0, 2)
	if slices.Equal(a, b) {
		t.Error("epochs 1 and 2 drew the same variants")
	}
	drawVariants(b, vars, fl, 1, 1, 1)
	if slices.Equal(a, b) {
		t.Error("phases 0 and 1 drew the same variants")
	}
}

// goldenHistory is the per-epoch (train loss, val loss) of
// augmentConfig without augmentation, recorded before augmentation
// existed (amd64).
var goldenHistory = [][2]float64{
	{0.93160181, 1.13042655}, {0.73770036, 1.11567438}, {0.507901413, 1.05590325},
	{0.288951046, 1.03058596}, {0.235369039, 0.995769896},
}

func augmentConfig(t *testing.T, a Augment) Config {
	return Config{ModelPath: modelPath(t), HeadEpochs: 3, Epochs: 2, Patience: 100, Batch: 4, Phase2: true, Augment: a}
}

func history(r Result) [][2]float64 {
	var h [][2]float64
	for _, p := range r.Phases {
		for _, m := range p.History {
			h = append(h, [2]float64{m.TrainLoss, m.ValLoss})
		}
	}
	return h
}

// featureSets returns the store's feature sets by key.
func featureSets(t *testing.T, st *store.Store) map[string]store.FeatureSet {
	t.Helper()
	fs, err := st.FeatureSets()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]store.FeatureSet{}
	for _, f := range fs {
		m[f.Backbone] = f
	}
	return m
}

// TestRunAugment: without augmentation a run is what it was before
// augmentation existed; with flip the training set's features are those
// of each image and of its mirror (one variant each, exactly), val
// features stay plain, the run differs and is reproducible — computed
// afresh or read from the cache.
func TestRunAugment(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a real model: skipped with -short")
	}
	st, count := importHymenoptera(t, 3)
	nTrain, all := count[store.Train], count[store.Train]+count[store.Val]
	plain, err := Run(context.Background(), st, augmentConfig(t, Augment{}))
	if err != nil {
		t.Fatal(err)
	}
	h := history(plain)
	if len(h) != len(goldenHistory) {
		t.Fatalf("history %v, want %d epochs", h, len(goldenHistory))
	}
	for i, e := range h {
		for j := range e {
			if g := goldenHistory[i][j]; math.Abs(e[j]-g) > 1e-4*math.Abs(g) {
				t.Errorf("no augmentation: epoch %d loss %d is %.9g, was %.9g before augmentation existed", i, j, e[j], g)
			}
		}
	}
	plainKeys := featureSets(t, st)
	if len(plainKeys) != 2 {
		t.Fatalf("feature sets %v after a plain run, want 2 (one per phase)", plainKeys)
	}
	for k, fs := range plainKeys {
		if strings.Contains(k, "/aug") || fs.Count != all {
			t.Errorf("plain run cached %+v, want all %d samples under a plain key", fs, all)
		}
	}
	for _, p := range plain.Phases {
		if p.Computed != all {
			t.Errorf("plain %s computed %d features, want %d", p.Name, p.Computed, all)
		}
	}

	a := Augment{Flip: true, Variants: 2}
	aug, err := Run(context.Background(), st, augmentConfig(t, a))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range aug.Phases {
		// Val is cached from the plain run; train has 2 new variants.
		if p.Computed != 2*nTrain {
			t.Errorf("augmented %s computed %d features, want %d (2 variants of %d training samples)", p.Name, p.Computed, 2*nTrain, nTrain)
		}
	}
	if slices.Equal(history(aug), h) {
		t.Error("flip augmentation trained exactly as without it")
	}
	ad := a
	ad.defaults()
	sets := featureSets(t, st)
	if len(sets) != 6 {
		t.Errorf("%d feature sets after an augmented run, want 2 plain + 2×2 variants: %v", len(sets), sets)
	}
	train, err := st.Samples(store.Filter{Split: store.Train})
	if err != nil {
		t.Fatal(err)
	}
	var ids []store.SampleID
	for _, s := range train {
		ids = append(ids, s.ID)
	}
	for key := range plainKeys {
		base, err := st.Features(key, ids)
		if err != nil {
			t.Fatal(err)
		}
		var vs []store.FeatureMatrix
		for v := 0; v < 2; v++ {
			k := AugmentKey(key, ad, v)
			if fs := sets[k]; fs.Count != nTrain {
				t.Errorf("%s holds %d vectors, want the %d training samples only", k, fs.Count, nTrain)
			}
			fm, err := st.Features(k, ids)
			if err != nil || len(fm.Missing) != 0 {
				t.Fatalf("variant %d: %v, missing %v", v, err, fm.Missing)
			}
			vs = append(vs, fm)
		}
		for i, id := range ids {
			same0 := slices.Equal(vs[0].Row(i), base.Row(i))
			same1 := slices.Equal(vs[1].Row(i), base.Row(i))
			if same0 == same1 {
				t.Errorf("sample %d: variant 0 plain %v, variant 1 plain %v; want exactly one of them the mirror", id, same0, same1)
			}
		}
	}

	// Reproducible: a fresh store computes the same run; the cached
	// features give it again.
	st2, _ := importHymenoptera(t, 3)
	fresh, err := Run(context.Background(), st2, augmentConfig(t, a))
	if err != nil {
		t.Fatal(err)
	}
	cached, err := Run(context.Background(), st, augmentConfig(t, a))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(history(fresh), history(aug)) || !slices.Equal(history(cached), history(aug)) {
		t.Errorf("augmented histories differ:\nfirst  %v\nfresh  %v\ncached %v", history(aug), history(fresh), history(cached))
	}
	if c := cached.Phases[0].Computed + cached.Phases[1].Computed; c != 0 {
		t.Errorf("second augmented run computed %d features, want 0 (cached)", c)
	}
	for _, id := range []store.ModelID{fresh.Model, cached.Model} {
		bs := st
		if id == fresh.Model {
			bs = st2
		}
		b1, err1 := st.ModelBlob(aug.Model)
		b2, err2 := bs.ModelBlob(id)
		if err1 != nil || err2 != nil || !bytes.Equal(b1, b2) {
			t.Errorf("model %d differs from the first augmented run's (%v %v)", id, err1, err2)
		}
	}

	// Crop: every training variant differs from the plain image's.
	c := Augment{Crop: 0.1, Variants: 1}
	cfg := augmentConfig(t, c)
	cfg.Phase2 = false
	if _, err := Run(context.Background(), st, cfg); err != nil {
		t.Fatal(err)
	}
	c.defaults()
	checked := 0
	for key := range plainKeys {
		if sets := featureSets(t, st); sets[AugmentKey(key, c, 0)].Count == 0 {
			continue // phase 2's cut: not run
		}
		checked++
		base, _ := st.Features(key, ids)
		fm, err := st.Features(AugmentKey(key, c, 0), ids)
		if err != nil || len(fm.Missing) != 0 {
			t.Fatalf("crop variant: %v, missing %v", err, fm.Missing)
		}
		for i, id := range ids {
			if slices.Equal(fm.Row(i), base.Row(i)) {
				t.Errorf("sample %d: the cropped variant has the plain image's features", id)
			}
		}
	}
	if checked != 1 {
		t.Errorf("crop variants cached for %d backbones, want 1 (phase 1's)", checked)
	}
}
