package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/nn/onnx/onnxpb"
	"github.com/ocellus/ocellus/nn/train/finetune"
	"github.com/ocellus/ocellus/store"
)

// writeTinyModel writes a small float ONNX classifier that `ocellus train`
// can fine-tune in milliseconds per epoch: a 1×3×32×32 input, three
// convolutions (the first two followed by BatchNorm) with ReLU, global
// average pooling, Flatten and a 10-class Gemm.
func writeTinyModel(t *testing.T, path string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	g := &onnxpb.Graph{Name: "tiny"}
	vi := func(name string, dims ...int64) *onnxpb.ValueInfo {
		return onnxpb.TensorValueInfo(name, onnxpb.DataTypeFloat, dims...)
	}
	init := func(name string, lo, hi float64, dims ...int64) string {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		raw := make([]byte, 4*n)
		for i := int64(0); i < n; i++ {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(lo+(hi-lo)*rng.Float64())))
		}
		g.Initializers = append(g.Initializers, &onnxpb.Tensor{Name: name, Dims: dims, DataType: onnxpb.DataTypeFloat, RawData: raw})
		return name
	}
	ints := func(name string, v ...int64) *onnxpb.Attribute {
		return &onnxpb.Attribute{Name: name, Ints: v, Type: onnxpb.AttrTypeInts}
	}
	node := func(op, out string, ins []string, attrs ...*onnxpb.Attribute) string {
		g.Nodes = append(g.Nodes, &onnxpb.Node{OpType: op, Name: op + "_" + out, Inputs: ins, Outputs: []string{out}, Attributes: attrs})
		return out
	}
	conv := func(name, in string, cin, cout, k, stride int64) string {
		w := init(name+"_w", -0.5, 0.5, cout, cin, k, k)
		b := init(name+"_b", -0.1, 0.1, cout)
		p := k / 2
		return node("Conv", name, []string{in, w, b}, ints("kernel_shape", k, k), ints("strides", stride, stride), ints("pads", p, p, p, p))
	}
	bn := func(name, in string, c int64) string {
		return node("BatchNormalization", name, []string{in, init(name+"_s", 0.8, 1.2, c), init(name+"_b", -0.1, 0.1, c),
			init(name+"_m", -0.1, 0.1, c), init(name+"_v", 0.5, 1.5, c)})
	}
	g.Inputs = []*onnxpb.ValueInfo{vi("input", 1, 3, 32, 32)}
	x := node("Relu", "r1", []string{bn("bn1", conv("conv1", "input", 3, 8, 3, 2), 8)})
	x = node("Relu", "r2", []string{bn("bn2", conv("conv2", x, 8, 16, 1, 1), 16)})
	x = node("Relu", "r3", []string{conv("conv3", x, 16, 16, 3, 2)})
	x = node("Flatten", "flat", []string{node("GlobalAveragePool", "gap", []string{x})})
	node("Gemm", "logits", []string{x, init("fc_w", -0.3, 0.3, 10, 16), init("fc_b", -0.1, 0.1, 10)},
		&onnxpb.Attribute{Name: "transB", I: 1, Type: onnxpb.AttrTypeInt})
	g.Outputs = []*onnxpb.ValueInfo{vi("logits", 1, 10)}
	m := &onnxpb.Model{IRVersion: 7, ProducerName: "ocellus-test", Graph: g, OpsetImports: []*onnxpb.OperatorSetID{{Version: 13}}}
	if err := os.WriteFile(path, m.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeTinyDataset writes DIR/{train,val,test}/{red,blue}/*.png: noisy
// 40×40 images, reddish or bluish, perSplit[i] of each class in split i.
func writeTinyDataset(t *testing.T, dir string, perSplit [3]int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 3))
	for si, sp := range []string{"train", "val", "test"} {
		for ci, class := range []string{"red", "blue"} {
			d := filepath.Join(dir, sp, class)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < perSplit[si]; i++ {
				img := image.NewRGBA(image.Rect(0, 0, 40, 40))
				for y := 0; y < 40; y++ {
					for x := 0; x < 40; x++ {
						n := func() uint8 { return uint8(rng.IntN(140)) }
						c := color.RGBA{n() + 100, n(), n(), 255}
						if ci == 1 {
							c.R, c.B = c.B-100, c.R
						}
						img.Set(x, y, c)
					}
				}
				var b bytes.Buffer
				if err := png.Encode(&b, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("%s%02d.png", class, i)), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// tinySample is what a store held after import.
type tinySample struct {
	label string
	split store.Split
	sum   [32]byte
}

func storeSamples(t *testing.T, s *store.Store) map[store.SampleID]tinySample {
	t.Helper()
	m := map[store.SampleID]tinySample{}
	err := s.EachSample(store.Filter{}, func(smp store.Sample) error {
		img, err := s.Image(smp.ID)
		if err != nil {
			return err
		}
		m[smp.ID] = tinySample{smp.Label, smp.Split, sha256.Sum256(img)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func copyFile(t *testing.T, dst, src string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainSIGKILL kills real `ocellus train` processes (a tiny model and
// data set, both phases, augmented, every epoch a commit) at random
// moments and,
// after each kill, opens the store read-only (so that nothing repairs it
// first) and checks: it opens and passes Verify; every sample is there
// with its bytes, label and split; the killed run is either still
// "running" (it was interrupted: the next read-write open, by the next
// `ocellus train` here or by the daemon, marks it failed, which the next
// round checks) or succeeded with its model version; no run is running
// but the newest; every model version's blob is whole, and the active one
// is the newest succeeded run's and loads (finetune.LoadModel). At the
// end an uninterrupted run on the killed store, reading the features the
// killed runs cached, trains exactly the model (byte for byte) that a
// run on a fresh copy trained. The seed is printed; OCELLUS_CRASH_SEED
// replays it.
func TestTrainSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and kills real processes; skipped with -short")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny.onnx")
	writeTinyModel(t, model)
	data := filepath.Join(dir, "data")
	writeTinyDataset(t, data, [3]int{12, 6, 4})
	base := filepath.Join(dir, "base.db")
	if code, _, stderr := cli("samples", "import", "--store", base, data); code != 0 {
		t.Fatalf("import: %d %s", code, stderr)
	}
	bs, err := store.Open(base, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	samples := storeSamples(t, bs)
	bs.Close()
	if len(samples) != 44 {
		t.Fatalf("imported %d samples, want 44", len(samples))
	}
	bin := buildOcellus(t)

	trainCmd := func(db string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "train", "--store", db, "--model", model, "--head-epochs", "60", "--epochs", "60",
			"--patience", "1000", "--batch", "8", "--unfreeze-last", "2", "--augment", "flip,crop=0.1,variants=2", "--activate", "--json")
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &errb
		return cmd, &errb
	}

	// An uninterrupted run on a copy first: it times the kill window and
	// gives the model every later complete run must reproduce.
	ref := filepath.Join(dir, "ref.db")
	copyFile(t, ref, base)
	cmd, errb := trainCmd(ref)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("uninterrupted train: %v\n%s", err, errb)
	}
	window := time.Since(start)
	rs, err := store.Open(ref, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	refAct, err := rs.ActiveModel()
	if err != nil {
		t.Fatal(err)
	}
	refBlob, err := rs.ModelBlob(refAct.ID)
	if err != nil {
		t.Fatal(err)
	}
	refEpochs, _ := rs.Epochs(refAct.Run)
	rs.Close()
	t.Logf("uninterrupted train: %v, %d epochs", window.Round(time.Millisecond), len(refEpochs))

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("OCELLUS_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (replay with OCELLUS_CRASH_SEED=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 13))

	db := filepath.Join(dir, "kill.db")
	copyFile(t, db, base)
	const kills = 12
	prevRuns := 0
	var summary []string
	for round := 0; round <= kills; round++ {
		// The last round is not killed.
		delay := time.Duration(r.Int64N(int64(window) * 11 / 10))
		cmd, errb := trainCmd(db)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var timer *time.Timer
		if round < kills {
			timer = time.AfterFunc(delay, func() { cmd.Process.Kill() })
		}
		err := cmd.Wait()
		if timer != nil {
			timer.Stop()
		}
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() != -1 || err != nil && ee == nil {
			t.Fatalf("round %d: train failed by itself: %v\n%s", round, err, errb)
		}
		if round == kills && err != nil {
			t.Fatalf("last round: %v\n%s", err, errb)
		}
		s, err := store.Open(db, &store.Options{ReadOnly: true, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("round %d: the store does not open after the kill: %v", round, err)
		}
		state := checkKilledStore(t, s, round, samples, model, prevRuns)
		runs, _ := s.Runs()
		prevRuns = len(runs)
		if round == kills {
			act, err := s.ActiveModel()
			if err != nil {
				t.Fatal(err)
			}
			blob, err := s.ModelBlob(act.ID)
			if err != nil || !bytes.Equal(blob, refBlob) {
				t.Errorf("the run after %d kills trained another model than an uninterrupted run on a fresh copy (%v)", kills, err)
			}
		}
		s.Close()
		summary = append(summary, fmt.Sprintf("%v→%s", delay.Round(time.Millisecond), state))
	}
	t.Logf("kills (delay→state): %s", strings.Join(summary[:kills], ", "))
}

// checkKilledStore checks a store after a killed `ocellus train` (see
// TestTrainSIGKILL) and says in what state the kill left the newest run.
func checkKilledStore(t *testing.T, s *store.Store, round int, want map[store.SampleID]tinySample, model string, prevRuns int) string {
	t.Helper()
	if err := s.Verify(); err != nil {
		t.Fatalf("round %d: Verify: %v", round, err)
	}
	got := storeSamples(t, s)
	if len(got) != len(want) {
		t.Fatalf("round %d: %d samples, want %d", round, len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Fatalf("round %d: sample %d is %+v, was %+v", round, id, got[id], w)
		}
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) < prevRuns || len(runs) > prevRuns+1 {
		t.Fatalf("round %d: %d runs after %d, want at most one new", round, len(runs), prevRuns)
	}
	models, err := s.Models()
	if err != nil {
		t.Fatal(err)
	}
	byRun := map[store.RunID]store.ModelVersion{}
	for _, m := range models {
		blob, err := s.ModelBlob(m.ID)
		if err != nil {
			t.Fatalf("round %d: model %d: %v", round, m.ID, err)
		}
		if _, _, err := finetune.DecodeBlob(blob); err != nil {
			t.Fatalf("round %d: model %d has a broken blob: %v", round, m.ID, err)
		}
		byRun[m.Run] = m
	}
	var lastOK store.RunID
	state := "no run"
	for i, run := range runs {
		newest := i == len(runs)-1
		m, hasModel := byRun[run.ID]
		switch run.Status {
		case store.RunSucceeded:
			if !hasModel || run.Model != m.ID {
				t.Fatalf("round %d: run %d succeeded without its model version (%d)", round, run.ID, run.Model)
			}
			lastOK = run.ID
		case store.RunRunning:
			if !newest {
				t.Fatalf("round %d: run %d is still running though a later train opened the store", round, run.ID)
			}
		case store.RunFailed:
			if !strings.Contains(run.Error, "interrupted") {
				t.Fatalf("round %d: run %d failed: %s", round, run.ID, run.Error)
			}
		default:
			t.Fatalf("round %d: run %d is %v", round, run.ID, run.Status)
		}
		if run.Status != store.RunSucceeded && hasModel {
			t.Fatalf("round %d: run %d is %v but has model version %d", round, run.ID, run.Status, m.ID)
		}
		if newest && len(runs) > prevRuns {
			state = fmt.Sprintf("%v(%d epochs)", run.Status, run.Epochs)
		}
	}
	act, err := s.ActiveModel()
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNoActiveModel):
		if lastOK != 0 {
			t.Fatalf("round %d: run %d succeeded (with --activate) but no model is active", round, lastOK)
		}
	case err != nil:
		t.Fatalf("round %d: active model: %v", round, err)
	default:
		if act.Run != lastOK {
			t.Fatalf("round %d: active model %d is run %d's, the newest succeeded run is %d", round, act.ID, act.Run, lastOK)
		}
		blob, err := s.ModelBlob(act.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := finetune.LoadModel(blob, model); err != nil {
			t.Fatalf("round %d: the active model %d does not load: %v", round, act.ID, err)
		}
	}
	return state
}
