package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/train/finetune"
	"github.com/ocellus/ocellus/store"
)

const evalUsage = `usage: ocellus eval [--store DB] [--model ID|active|base] [--base M.onnx] [--labels L.txt]
                    [--split test|val|train|all] [--json] [--threads N] [preprocessing flags]

Scores a model on the store's samples of one split: accuracy, ROC AUC (binary, or
macro one-vs-rest), mean cross-entropy loss, the confusion matrix with class names,
per-class precision and recall.

  --model active   the active model version (the default); ID: that version. A version
                   is rebuilt on its base model (--base, else the path its training run
                   recorded, else $OCELLUS_SHARED (../shared)/models/onnx/NAME).
  --model base     the plain model --base (default: the model 'ocellus train' starts
                   from), with its own classes: --labels L.txt, else M.onnx.labels.txt,
                   else the store's labels when the model has as many outputs. Its
                   preprocessing is classify's (input shape, M.onnx.preprocess.json, flags).

Samples whose label the model does not know count as wrong predictions; they get
confusion-matrix rows of their own (columns are the model's classes) and are left
out of the loss and the AUC. With more than 20 classes, only the classes that occur
(as label or prediction) are printed. The default split is test, or val when the
store has no test samples. --json prints one JSON object (NaN figures as null).
`

// evalJSON is what `ocellus eval --json` prints.
type evalJSON struct {
	Model        string    `json:"model"` // version id, or "base"
	Name         string    `json:"name,omitempty"`
	Base         string    `json:"base"`
	Split        string    `json:"split"`
	Samples      int       `json:"samples"`
	KnownSamples int       `json:"known_samples"` // samples whose label the model knows (loss and AUC are over them)
	Accuracy     float64   `json:"accuracy"`
	AUC          *float64  `json:"auc"`
	Loss         *float64  `json:"loss"`
	Classes      []string  `json:"classes"`       // the model's classes, then unknown labels
	ModelClasses int       `json:"model_classes"` // the confusion matrix's columns
	Confusion    [][]int   `json:"confusion"`     // [true][predicted]
	Precision    []float64 `json:"precision"`
	Recall       []float64 `json:"recall"`
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("eval", stderr)
	db := fs.String("store", defaultStorePath(), "the store's database file ($OCELLUS_DATA/ocellus.db, else ./ocellus-data/ocellus.db)")
	model := fs.String("model", "active", "the model: a version id, active, or base")
	base := fs.String("base", "", "the base model file (see above)")
	labels := fs.String("labels", "", "with --model base: the model's class names, one a line")
	split := fs.String("split", "", "test | val | train | all (default: test, else val)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	threads := fs.Int("threads", 0, "images scored in parallel (0: all cores)")
	pp := addPreprocessFlags(fs)
	fs.Usage = func() {
		io.WriteString(stderr, evalUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("eval takes no arguments, got %q", fs.Args())
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()

	out := evalJSON{Model: *model}
	var m *nn.Model
	var classes []string
	var spec preprocess.Spec
	if *model == "base" {
		path := *base
		if path == "" {
			path = defaultTrainModel()
		}
		out.Base = path
		if m, err = nn.Load(path, nil); err != nil {
			return err
		}
		if len(m.Inputs()) != 1 {
			return fmt.Errorf("%s has %d inputs, want one image", path, len(m.Inputs()))
		}
		if spec, err = resolveSpec(m.Inputs()[0], path, pp); err != nil {
			return err
		}
		if classes, err = baseClasses(s, m, path, *labels); err != nil {
			return err
		}
	} else {
		if *labels != "" {
			return usagef("--labels is for --model base; a version has its own classes")
		}
		m2, h, mv, err := loadStoredModel(s, *model, *base)
		if err != nil {
			return err
		}
		m, classes = m2, h.Classes
		out.Model, out.Name = mv.ID.String(), mv.Name
		if *base != "" {
			out.Base = *base
		} else {
			out.Base = h.BaseModel
		}
		sp, err := preprocess.ParseSpec(h.Preprocess)
		if err != nil {
			return fmt.Errorf("model version %d: preprocessing %q: %w", mv.ID, h.Preprocess, err)
		}
		pp.base = &sp
		if spec, err = resolveSpec(m.Inputs()[0], "", pp); err != nil {
			return err
		}
	}

	sp, err := evalSplit(s, *split)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := finetune.Evaluate(ctx, s, m, classes, spec, sp, *threads)
	if err != nil {
		return err
	}
	k := len(classes)
	out.Split, out.Samples, out.Accuracy = rep.Split, rep.Samples, rep.Accuracy
	out.AUC, out.Loss = finiteOrNil(rep.AUC), finiteOrNil(rep.Loss)
	out.Classes, out.ModelClasses, out.Confusion = rep.Classes, k, rep.Confusion
	out.Precision, out.Recall = rep.Precision, rep.Recall
	for _, row := range rep.Confusion[:k] {
		for _, v := range row {
			out.KnownSamples += v
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	return printEval(stdout, out)
}

// evalSplit parses --split; "" is test, or val when the store has no test
// samples.
func evalSplit(s *store.Store, name string) (store.Split, error) {
	switch name {
	case "all":
		return store.SplitUnset, nil
	case "":
		test, err := s.Samples(store.Filter{Split: store.Test, Limit: 1})
		if err != nil {
			return 0, err
		}
		if len(test) == 0 {
			return store.Val, nil
		}
		return store.Test, nil
	}
	sp, err := store.ParseSplit(name)
	if err != nil || sp == store.SplitUnset {
		return 0, usagef("--split %q: want test, val, train or all", name)
	}
	return sp, nil
}

// baseClasses names a plain model's outputs: the labels file, else
// M.onnx.labels.txt, else the store's labels when they are as many.
func baseClasses(s *store.Store, m *nn.Model, path, labels string) ([]string, error) {
	n := 1
	if len(m.Outputs()) > 0 {
		for _, d := range m.Outputs()[0].Shape {
			n *= d
		}
	}
	if labels == "" {
		if _, err := os.Stat(path + LabelsSuffix); err == nil {
			labels = path + LabelsSuffix
		}
	}
	if labels != "" {
		names, err := readLabels(labels)
		if err != nil {
			return nil, err
		}
		if len(names) != n {
			return nil, fmt.Errorf("%s has %d labels, the model %d outputs", labels, len(names), n)
		}
		return names, nil
	}
	ls, err := s.Labels()
	if err != nil {
		return nil, err
	}
	if len(ls) != n {
		return nil, usagef("%s has %d outputs and the store %d labels: give the model's class names with --labels", path, n, len(ls))
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Name)
	}
	return names, nil
}

func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func fmtOpt(format string, v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *v)
}

func printEval(w io.Writer, e evalJSON) error {
	var b strings.Builder
	if e.Model == "base" {
		fmt.Fprintf(&b, "model %s\n", e.Base)
	} else {
		fmt.Fprintf(&b, "model version %s (%s) on %s\n", e.Model, e.Name, e.Base)
	}
	fmt.Fprintf(&b, "%s split: %d samples, accuracy %.4f, AUC %s, loss %s\n", e.Split, e.Samples, e.Accuracy, fmtOpt("%.4f", e.AUC), fmtOpt("%.4g", e.Loss))
	k := e.ModelClasses
	if u := len(e.Classes) - k; u > 0 {
		fmt.Fprintf(&b, "%d samples have labels the model does not know (%s): counted wrong, left out of loss and AUC\n",
			e.Samples-e.KnownSamples, strings.Join(e.Classes[k:], ", "))
	}
	// Rows and columns to print: all of them, or with many classes those
	// that occur.
	rows, cols := make([]bool, len(e.Classes)), make([]bool, k)
	for i, row := range e.Confusion {
		for j, v := range row {
			if len(e.Classes) <= 20 || v > 0 {
				rows[i], cols[j] = true, true
			}
		}
		if len(e.Classes) <= 20 {
			rows[i] = true
		}
	}
	for j := range cols {
		if len(e.Classes) <= 20 {
			cols[j] = true
		} else if j < len(rows) && rows[j] {
			cols[j] = true
		}
	}
	wd := 9
	for _, c := range e.Classes {
		wd = max(wd, len(c)+1)
	}
	b.WriteString("confusion matrix (rows: true label, columns: predicted)\n")
	fmt.Fprintf(&b, "%*s", wd, "true\\pred")
	for j, c := range e.Classes[:k] {
		if cols[j] {
			fmt.Fprintf(&b, " %*s", wd, c)
		}
	}
	fmt.Fprintf(&b, " %9s %9s\n", "precision", "recall")
	for i, c := range e.Classes {
		if !rows[i] {
			continue
		}
		fmt.Fprintf(&b, "%*s", wd, c)
		for j, v := range e.Confusion[i] {
			if cols[j] {
				fmt.Fprintf(&b, " %*d", wd, v)
			}
		}
		fmt.Fprintf(&b, " %9.4f %9.4f\n", e.Precision[i], e.Recall[i])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
