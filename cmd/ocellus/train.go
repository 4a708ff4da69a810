package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ocellus/ocellus/nn/train/finetune"
)

// defaultTrainModel is the pretrained backbone `ocellus train` starts
// from: $OCELLUS_SHARED (else ../shared)/models/onnx/mobilenetv2-1.0-imagenet-dequant.onnx.
func defaultTrainModel() string {
	dir := os.Getenv("OCELLUS_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "shared")
	}
	return filepath.Join(dir, "models", "onnx", "mobilenetv2-1.0-imagenet-dequant.onnx")
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	db := fs.String("store", defaultStorePath(), "the store's database file")
	model := fs.String("model", defaultTrainModel(), "the pretrained ONNX model: float (BatchNorm unfolded for training), or int8 (QOperator or QDQ: the backbone runs int8, the tail trains in float and is re-quantized)")
	headEpochs := fs.Int("head-epochs", 50, "at most this many phase-1 (head) epochs")
	epochs := fs.Int("epochs", 50, "at most this many phase-2 (fine-tune) epochs")
	patience := fs.Int("patience", 20, "stop a phase after this many epochs without a val-loss improvement")
	minDelta := fs.Float64("min-delta", 0, "the least val-loss decrease that counts as an improvement")
	lr := fs.Float64("lr", 1e-5, "phase-2 learning rate (Adam)")
	headLR := fs.Float64("head-lr", 1e-3, "phase-1 learning rate of the new head (Adam)")
	batch := fs.Int("batch", 32, "mini-batch size")
	dropout := fs.Float64("dropout", 0.2, "dropout before the head while training (0: none)")
	unfreezeLast := fs.Int("unfreeze-last", 5, "phase 2 trains the last N Conv/Dense layers, the head included (BatchNorm stays frozen)")
	unfreezeFrom := fs.String("unfreeze-from", "", "phase 2 trains from this node on (instead of --unfreeze-last)")
	seed := fs.Uint64("seed", 1, "seed of the head's initialisation, dropout and shuffling")
	phase2 := fs.Bool("phase2", true, "run phase 2 (fine-tune the last block)")
	augment := fs.String("augment", "", "augment the training samples: flip, crop=F (≤ F of each side cut), variants=N (4), seed=S, comma-separated (e.g. flip,crop=0.1)")
	threads := fs.Int("threads", 0, "threads per training step (0: all cores)")
	out := fs.String("out", "", "write the reports (confusion matrix, curves: SVG and PNG; summary.json) to this folder")
	activate := fs.Bool("activate", false, "activate the new model version")
	name := fs.String("name", "", "the new model version's name")
	asJSON := fs.Bool("json", false, "print the final metrics as one JSON object on stdout")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("train takes no arguments, got %q", fs.Args())
	}
	if *dropout < 0 || *dropout >= 1 {
		return usagef("--dropout %g: want [0, 1)", *dropout)
	}
	aug, err := finetune.ParseAugment(*augment)
	if err != nil {
		return usagef("--augment: %v", err)
	}
	cfg := finetune.Config{
		ModelPath: *model, HeadEpochs: *headEpochs, Epochs: *epochs, Patience: *patience, MinDelta: *minDelta,
		LR: *lr, HeadLR: *headLR, Batch: *batch, HeadDropout: float32(*dropout), UnfreezeLast: *unfreezeLast,
		UnfreezeFrom: *unfreezeFrom, Phase2: *phase2, Seed: *seed, Augment: aug, Threads: *threads, Name: *name, Progress: stderr,
	}
	if *dropout == 0 {
		cfg.HeadDropout = -1
	}
	if *headEpochs == 0 {
		return usagef("--head-epochs must be > 0")
	}
	if *epochs == 0 {
		cfg.Phase2 = false
	}
	if *activate {
		cfg.ActivateBy = "ocellus train"
	}
	if *quiet {
		cfg.Progress = nil
	}
	s, err := openSamplesStore(*db, false, false)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	t0 := time.Now()
	res, err := finetune.Run(ctx, s, cfg)
	if err != nil {
		if res.Run != 0 {
			return fmt.Errorf("run %d: %w", res.Run, err)
		}
		return err
	}
	sum := finetune.SummaryOf(res)
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		js, err := json.MarshalIndent(sum, "", "  ")
		if err != nil {
			return err
		}
		files := map[string][]byte{finetune.SummaryJSON: append(js, '\n')}
		for n, b := range res.Reports {
			files[n] = b
		}
		for n, b := range files {
			if err := os.WriteFile(filepath.Join(*out, n), b, 0o644); err != nil {
				return err
			}
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(sum)
	}
	return printTrainSummary(stdout, res, time.Since(t0), *out)
}

func printTrainSummary(w io.Writer, res finetune.Result, took time.Duration, out string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run %d: model version %d", res.Run, res.Model)
	if res.Active {
		b.WriteString(" (active)")
	}
	fmt.Fprintf(&b, ", classes %s, %v\n", strings.Join(res.Classes, ", "), took.Round(time.Second))
	for _, p := range res.Phases {
		fmt.Fprintf(&b, "%-9s %2d epochs, best %2d: val loss %.4f  accuracy %.4f  AUC %s  (%v/epoch, features %v)\n",
			p.Name, p.Epochs, p.BestEpoch, p.ValLoss, p.ValAccuracy, fmtAUC(p.ValAUC),
			p.EpochTime.Round(time.Millisecond), p.FeatureTime.Round(time.Millisecond))
	}
	t := res.Test
	fmt.Fprintf(&b, "%s set: %d samples, accuracy %.4f, AUC %s\n", t.Split, t.Samples, t.Accuracy, fmtAUC(t.AUC))
	wd := 9
	for _, c := range t.Classes {
		wd = max(wd, len(c)+1)
	}
	fmt.Fprintf(&b, "%*s", wd, "true\\pred")
	for _, c := range t.Classes {
		fmt.Fprintf(&b, " %*s", wd, c)
	}
	fmt.Fprintf(&b, " %9s %9s\n", "precision", "recall")
	for i, c := range t.Classes {
		fmt.Fprintf(&b, "%*s", wd, c)
		for _, v := range t.Confusion[i] {
			fmt.Fprintf(&b, " %*d", wd, v)
		}
		fmt.Fprintf(&b, " %9.4f %9.4f\n", t.Precision[i], t.Recall[i])
	}
	if out != "" {
		names := []string{finetune.SummaryJSON}
		for n := range res.Reports {
			names = append(names, n)
		}
		slices.Sort(names)
		fmt.Fprintf(&b, "reports in %s: %s\n", out, strings.Join(names, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtAUC(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", v)
}
