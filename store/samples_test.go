package store

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/fixture"
)

func TestAddSampleRoundTrip(t *testing.T) {
	s := openTemp(t, &Options{NoSync: true, Now: fixedClock()})
	mustAddLabels(t, s, "ants", "bees")
	img := testJPEG(t, 5, 40, 30)
	captured := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
	ns := NewSample{
		Image: img, Label: "bees", Source: "camera:/dev/video0", Captured: captured,
		Prediction: "ants", Confidence: 0.625, Meta: map[string]string{"exposure": "1/60", "note": "blurry"},
	}
	got, err := s.AddSample(ns)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 1 || got.Label != "bees" || got.Source != ns.Source || !got.Captured.Equal(captured) ||
		got.Captured.Location() != time.UTC || got.Prediction != "ants" || got.Confidence != 0.625 ||
		got.Meta["exposure"] != "1/60" || got.Width != 40 || got.Height != 30 || got.Size != int64(len(img)) || got.Split == SplitUnset {
		t.Fatalf("AddSample returned %+v", got)
	}
	read, err := s.Sample(got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !read.Captured.Equal(got.Captured) || !read.Added.Equal(got.Added) || read.Meta["note"] != "blurry" || read.SHA256 != got.SHA256 {
		t.Fatalf("Sample read back %+v, added %+v", read, got)
	}
	stored, err := s.Image(got.ID)
	if err != nil || !bytes.Equal(stored, img) {
		t.Fatalf("a JPEG must be stored byte for byte (err %v)", err)
	}
	stored[0] = 0 // a copy: changing it changes nothing stored
	if again, _ := s.Image(got.ID); !bytes.Equal(again, img) {
		t.Fatal("Image returned the stored bytes, not a copy")
	}
	if f, err := s.FindImage(img); err != nil || f.ID != got.ID {
		t.Fatalf("FindImage: %v %v", f.ID, err)
	}
	if _, err := s.Sample(99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Sample(99): %v, want ErrNotFound", err)
	}
	if _, err := s.Image(99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Image(99): %v, want ErrNotFound", err)
	}
	mustVerify(t, s)
}

// TestReencode: PNG and BMP are stored as JPEG of the same size and nearly the same pixels.
func TestReencode(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "x")
	for i, data := range [][]byte{testPNG(t, 11, 33, 21), testBMP(t, 12, 33, 21)} {
		name := []string{"png", "bmp"}[i]
		smp, err := s.AddSample(NewSample{Image: data, Label: "x"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stored, _ := s.Image(smp.ID)
		if !bytes.HasPrefix(stored, []byte("\xff\xd8\xff")) {
			t.Fatalf("%s stored as %q…, want JPEG", name, stored[:4])
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(stored))
		if err != nil || cfg.Width != 33 || cfg.Height != 21 || smp.Width != 33 || smp.Height != 21 {
			t.Fatalf("%s: stored JPEG %dx%d (%v), sample says %dx%d", name, cfg.Width, cfg.Height, err, smp.Width, smp.Height)
		}
		orig, _ := preprocess.DecodeBytes(data)
		back, _ := preprocess.DecodeBytes(stored)
		sum := 0.0
		for i := range orig.Pix {
			sum += math.Abs(float64(orig.Pix[i]) - float64(back.Pix[i]))
		}
		mean := sum / float64(len(orig.Pix))
		t.Logf("%s → JPEG q%d: mean absolute pixel difference %.2f", name, ReencodeQuality, mean)
		if mean > 4 {
			t.Fatalf("%s: re-encoded pixels differ by %.2f on average (quality %d should stay below 4)", name, mean, ReencodeQuality)
		}
	}
	// A BMP of the PNG's pixels encodes to the same JPEG: a duplicate.
	if _, err := s.AddSample(NewSample{Image: testBMP(t, 11, 33, 21), Label: "x"}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("BMP with the PNG's pixels: %v, want ErrDuplicate", err)
	}
	// A grey PNG stays grey (one-channel JPEG).
	g := image.NewGray(image.Rect(0, 0, 9, 9))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 3)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, nil); err != nil { // a grey JPEG is kept as is
		t.Fatal(err)
	}
	if smp, err := s.AddSample(NewSample{Image: buf.Bytes(), Label: "x"}); err != nil || smp.Size != int64(buf.Len()) {
		t.Fatalf("grey JPEG: %v", err)
	}
	mustVerify(t, s)
}

// TestFixtureImages stores the shared BMP/JPEG/PNG images (the real decoders' inputs).
func TestFixtureImages(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "img")
	for _, name := range []string{"cat.bmp", "cat.jpg", "grace_hopper.png", "mnist_nine.bmp"} {
		data, err := os.ReadFile(fixture.Path(t, "images", name))
		if err != nil {
			t.Fatal(err)
		}
		smp, err := s.AddSample(NewSample{Image: data, Label: "img", Meta: map[string]string{"file": name}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, _ := preprocess.DecodeBytes(data)
		if smp.Width != img.W || smp.Height != img.H {
			t.Fatalf("%s: %dx%d, decoded %dx%d", name, smp.Width, smp.Height, img.W, img.H)
		}
	}
	// cat.png holds cat.bmp's pixels: re-encoding is deterministic, so it is a duplicate.
	data, err := os.ReadFile(fixture.Path(t, "images", "cat.png"))
	if err != nil {
		t.Fatal(err)
	}
	if smp, err := s.AddSample(NewSample{Image: data, Label: "img"}); !errors.Is(err, ErrDuplicate) || smp.Meta["file"] != "cat.bmp" {
		t.Fatalf("cat.png: %v (sample %+v), want a duplicate of cat.bmp", err, smp)
	}
	mustVerify(t, s)
}

// TestBadInput: each bad sample is refused with its own error, and nothing stored is lost.
func TestBadInput(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "ants")
	kept := mustAdd(t, s, 1, "ants")
	keptImg, _ := s.Image(kept.ID)
	good := testJPEG(t, 2, 16, 16)
	truncated := good[:len(good)/2]
	cases := []struct {
		name string
		ns   NewSample
		want error
		msg  string
	}{
		{"no image", NewSample{Label: "ants"}, ErrInvalidImage, "no image bytes"},
		{"random bytes", NewSample{Image: []byte("this is not an image at all"), Label: "ants"}, ErrInvalidImage, "not BMP, JPEG or PNG"},
		{"truncated JPEG", NewSample{Image: truncated, Label: "ants"}, ErrInvalidImage, "jpeg"},
		{"corrupt PNG", NewSample{Image: append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 40)...), Label: "ants"}, ErrInvalidImage, "png"},
		{"corrupt BMP", NewSample{Image: []byte("BM\x00\x00"), Label: "ants"}, ErrInvalidImage, "bmp"},
		{"empty label", NewSample{Image: good, Label: ""}, ErrInvalidLabel, "empty label"},
		{"unknown label", NewSample{Image: good, Label: "wasps"}, ErrUnknownLabel, `"wasps"`},
		{"bad split", NewSample{Image: good, Label: "ants", Split: 9}, ErrInvalidSample, "split"},
		{"confidence > 1", NewSample{Image: good, Label: "ants", Confidence: 1.5}, ErrInvalidSample, "confidence"},
		{"confidence NaN", NewSample{Image: good, Label: "ants", Confidence: float32(math.NaN())}, ErrInvalidSample, "confidence"},
		{"meta not UTF-8", NewSample{Image: good, Label: "ants", Meta: map[string]string{"k": "\xff"}}, ErrInvalidSample, "UTF-8"},
		{"meta empty key", NewSample{Image: good, Label: "ants", Meta: map[string]string{"": "v"}}, ErrInvalidSample, "empty metadata key"},
		{"meta too big", NewSample{Image: good, Label: "ants", Meta: map[string]string{"k": strings.Repeat("v", MaxMetaBytes)}}, ErrInvalidSample, "metadata"},
		{"source too long", NewSample{Image: good, Label: "ants", Source: strings.Repeat("s", MaxTextLen+1)}, ErrInvalidSample, "source"},
		{"duplicate", NewSample{Image: keptImg, Label: "ants"}, ErrDuplicate, "already stored as sample 1"},
	}
	for _, c := range cases {
		_, err := s.AddSample(c.ns)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v; want %v mentioning %q", c.name, err, c.want, c.msg)
		}
	}
	if _, err := s.AddSample(NewSample{Image: truncated, Label: "ants"}); !errors.Is(err, preprocess.ErrInvalidImage) {
		t.Errorf("the decoder's own error is wrapped too: %v", err)
	}
	if n, _ := s.Count(); n != 1 {
		t.Fatalf("%d samples after bad input, want 1", n)
	}
	if img, err := s.Image(kept.ID); err != nil || !bytes.Equal(img, keptImg) {
		t.Fatal("the stored sample changed")
	}
	// The sample's next id is still 2: refused samples consume no id.
	if n := mustAdd(t, s, 3, "ants"); n.ID != 2 {
		t.Fatalf("next id %d, want 2", n.ID)
	}
	mustVerify(t, s)
}

func TestAddSamplesBatch(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "ants", "bees")
	a := testJPEG(t, 1, 16, 16)
	res, err := s.AddSamples([]NewSample{
		{Image: a, Label: "ants"},
		{Image: []byte("junk"), Label: "ants"},
		{Image: a, Label: "bees"}, // the same image again, within the batch
		{Image: testJPEG(t, 2, 16, 16), Label: "nope"},
		{Image: testJPEG(t, 3, 16, 16), Label: "bees", Split: Test},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantErr := []error{nil, ErrInvalidImage, ErrDuplicate, ErrUnknownLabel, nil}
	for i, r := range res {
		if !errors.Is(r.Err, wantErr[i]) || (wantErr[i] == nil) != (r.Err == nil) {
			t.Errorf("item %d: %v, want %v", i, r.Err, wantErr[i])
		}
	}
	if res[2].Sample.ID != res[0].Sample.ID || res[4].Sample.ID != 2 || res[4].Sample.Split != Test {
		t.Fatalf("results %+v", res)
	}
	if n, _ := s.Count(); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	mustVerify(t, s)
}

func TestFilterAndPaging(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "ants", "bees")
	for i := uint64(1); i <= 20; i++ {
		mustAdd(t, s, i, map[bool]string{true: "ants", false: "bees"}[i%2 == 0])
	}
	ants, err := s.Samples(Filter{Label: "ants"})
	if err != nil || len(ants) != 10 {
		t.Fatalf("ants: %d, %v", len(ants), err)
	}
	for i, smp := range ants {
		if smp.Label != "ants" || (i > 0 && smp.ID <= ants[i-1].ID) {
			t.Fatalf("ants[%d] = %+v", i, smp)
		}
	}
	total := 0
	for _, sp := range Splits() {
		got, _ := s.Samples(Filter{Split: sp})
		for _, smp := range got {
			if smp.Split != sp {
				t.Fatalf("split filter %v returned %v", sp, smp.Split)
			}
		}
		total += len(got)
	}
	if total != 20 {
		t.Fatalf("splits hold %d samples, want 20", total)
	}
	var pages [][]Sample
	after := SampleID(0)
	for {
		p, _ := s.Samples(Filter{After: after, Limit: 7})
		if len(p) == 0 {
			break
		}
		pages = append(pages, p)
		after = p[len(p)-1].ID
	}
	if len(pages) != 3 || len(pages[2]) != 6 || pages[1][0].ID != 8 {
		t.Fatalf("pages of 7: %d pages", len(pages))
	}
	if p, _ := s.Samples(Filter{After: math.MaxUint64}); len(p) != 0 {
		t.Fatal("After: max id returned samples")
	}
	stop := errors.New("stop here")
	n := 0
	if err := s.EachSample(Filter{}, func(Sample) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("EachSample error: %v after %d", err, n)
	}
}

func TestDeleteSamples(t *testing.T) {
	s := openTemp(t, nil)
	mustAddLabels(t, s, "ants")
	var ids []SampleID
	for i := uint64(1); i <= 5; i++ {
		ids = append(ids, mustAdd(t, s, i, "ants").ID)
	}
	if _, err := s.PutFeatures("bb", ids, [][]float32{{1}, {2}, {3}, {4}, {5}}); err != nil {
		t.Fatal(err)
	}
	// One missing id: nothing deleted.
	if err := s.DeleteSamples(ids[0], 42); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "42") {
		t.Fatalf("DeleteSamples with a missing id: %v", err)
	}
	if n, _ := s.Count(); n != 5 {
		t.Fatalf("count %d after a failed delete", n)
	}
	img0, _ := s.Image(ids[0])
	if err := s.DeleteSamples(ids[0], ids[3]); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Count(); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	if _, err := s.Sample(ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted sample: %v", err)
	}
	m, _ := s.Features("bb", ids)
	if len(m.Missing) != 2 || m.Missing[0] != 0 || m.Missing[1] != 3 {
		t.Fatalf("features after delete: missing %v", m.Missing)
	}
	mustVerify(t, s)
	// The image can be added again; it gets a new id (ids are never reused).
	smp, err := s.AddSample(NewSample{Image: img0, Label: "ants"})
	if err != nil || smp.ID != 6 {
		t.Fatalf("re-add: id %d, %v; want 6", smp.ID, err)
	}
	mustVerify(t, s)
}

func TestLabels(t *testing.T) {
	s := openTemp(t, nil)
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, " ants", "ants ", "a\nb", "\xff", strings.Repeat("x", MaxLabelLen+1)} {
		if err := s.AddLabel(bad); !errors.Is(err, ErrInvalidLabel) {
			t.Errorf("AddLabel(%q): %v, want ErrInvalidLabel", bad, err)
		}
	}
	mustAddLabels(t, s, "ants", "bees", "wasps", "fourmis ailées")
	if err := s.AddLabel("ants"); !errors.Is(err, ErrLabelExists) {
		t.Fatalf("AddLabel twice: %v", err)
	}
	a1 := mustAdd(t, s, 1, "ants")
	mustAdd(t, s, 2, "ants")
	mustAdd(t, s, 3, "bees")

	err := s.DeleteLabel("ants")
	if !errors.Is(err, ErrLabelInUse) || !strings.Contains(err.Error(), "used by 2 sample(s)") {
		t.Fatalf("DeleteLabel in use: %v", err)
	}
	if err := s.DeleteLabel("hornets"); !errors.Is(err, ErrUnknownLabel) {
		t.Fatalf("DeleteLabel unknown: %v", err)
	}
	if err := s.DeleteLabel("wasps"); err != nil {
		t.Fatalf("DeleteLabel unused: %v", err)
	}
	if err := s.RenameLabel("ants", "bees"); !errors.Is(err, ErrLabelExists) {
		t.Fatalf("rename onto an existing label: %v", err)
	}
	if err := s.RenameLabel("hornets", "x"); !errors.Is(err, ErrUnknownLabel) {
		t.Fatalf("rename unknown: %v", err)
	}
	if err := s.RenameLabel("ants", "a/b"); !errors.Is(err, ErrInvalidLabel) {
		t.Fatalf("rename to invalid: %v", err)
	}
	if err := s.RenameLabel("ants", "formicidae"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Sample(a1.ID)
	if got.Label != "formicidae" || got.Split != a1.Split {
		t.Fatalf("after rename: %+v (split was %v)", got, a1.Split)
	}
	if _, err := s.Label("ants"); !errors.Is(err, ErrUnknownLabel) {
		t.Fatalf("old name still there: %v", err)
	}
	if l, err := s.Label("formicidae"); err != nil || l.Counts.Total() != 2 {
		t.Fatalf("renamed label: %+v %v", l, err)
	}
	// Relabel keeps the split and moves the count.
	if err := s.Relabel(a1.ID, "bees"); err != nil {
		t.Fatal(err)
	}
	if err := s.Relabel(a1.ID, "nope"); !errors.Is(err, ErrUnknownLabel) {
		t.Fatalf("relabel to unknown: %v", err)
	}
	if err := s.Relabel(77, "bees"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("relabel missing sample: %v", err)
	}
	got, _ = s.Sample(a1.ID)
	if got.Label != "bees" || got.Split != a1.Split {
		t.Fatalf("after relabel: %+v", got)
	}
	labels, _ := s.Labels()
	names := []string{}
	for _, l := range labels {
		names = append(names, l.Name)
	}
	if strings.Join(names, ",") != "bees,formicidae,fourmis ailées" {
		t.Fatalf("labels %v", names)
	}
	mustVerify(t, s)
}
