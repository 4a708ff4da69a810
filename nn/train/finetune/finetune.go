// Package finetune runs the transfer-learning recipe of package train on
// the samples of a store: a new head on the frozen backbone's cached
// features (phase 1), then the last block unfrozen at a low learning rate
// with BatchNorm frozen (phase 2), early stopping on validation loss and
// the best checkpoint restored; per-epoch metrics go to the store's run,
// the test-set confusion matrix ends it and the trained model becomes a
// new model version.
//
// # Features
//
// Both phases train on cached features: the backbone before each phase's
// cut is frozen (and without augmentation deterministic), so its outputs
// are computed once per (sample, Split.BackboneKey, preprocessing) and
// kept in the store (store.PutFeatures, under FeatureKey); a second run on
// the same samples reads them.
// With Config.Augment on, the training samples' features are those of
// their augmented variants, each variant cached under its own key
// (AugmentKey); every epoch draws one variant per sample.
//
// # Model blob
//
// nn/train has no ONNX exporter yet, so a model version is stored with
// Format BlobFormat ("ocellus-tail-v1"): one line of JSON (BlobHeader: the
// base model's file name and SHA-256, the classes, the head seed, and the
// name, node and shape of every trained tensor), a newline, then the
// tensors' values as little-endian float32 in header order: the
// parameters of the trained tail (train.Tail.Params order). LoadModel
// rebuilds it: the base model loaded with train.LoadOptions (its SHA-256
// checked), train.ReplaceHead with the same classes and seed, the same
// cut, the tail's parameters restored, then train.CompileInference.
//
// # Int8 bases
//
// A quantized base model (QOperator ONNX such as mobilenetv2-12-int8.onnx,
// or a QDQ model as `ocellus quantize` writes it) stays quantized:
//
//   - the trainable tail is cut from the base's float twin
//     (train.FloatTwin: the same graph, weights and biases dequantized,
//     outputs clipped to their quantized ranges) and trains in float32,
//     gradients included, exactly as on a float base;
//   - the frozen backbone runs int8: the base's own quantized nodes up to
//     the cut, then a Dequantize of the tensors the tail reads. Those float
//     values are the cached features; their key starts with "int8:", so
//     they never mix with a float backbone's;
//   - at the end the tail is re-quantized: weights int8 per output channel,
//     symmetric; activations uint8-style asymmetric per tensor, their ranges
//     calibrated (nn/ptq histograms, Int8Method) on the store's training
//     samples run through the trained float tail; the tail's input keeps the
//     backbone's quantization. The int8 tail is compared with the float tail
//     on val (Result.Int8, Int8Report, also in the blob header and the
//     summary), and the final report (Result.Test) scores the int8 tail;
//   - LoadModel runs backbone and tail int8 (the float tail when the tail
//     has an op with no int8 form: Int8Report.Why), LoadModelFloatTail the
//     int8 backbone with the float tail; ExportONNX writes the base's
//     quantized graph up to the cut, then the int8 tail (QLinearConv and
//     com.microsoft QLinearAdd/QLinearGlobalAveragePool as in the base, the
//     head in QDQ form): ONNX Runtime gives LoadModel's logits exactly.
//
// Head-only training on hymenoptera with mobilenetv2-12-int8.onnx
// (TestInt8Hymenoptera, defaults): best epoch 30, float tail val loss
// 0.1511, accuracy 0.9281, AUC 0.9861 (the float base: 0.9216, 0.9854);
// the int8 tail (calibrated on the 244 training samples): accuracy 0.9216,
// AUC 0.9862, top-1 agreement with the float tail 152/153, largest logit
// difference 0.76; ONNX Runtime 1.30 on the exported model gives
// LoadModel's logits exactly (51 val images). The int8 backbone's
// features took 8.2 s for the 397 images (21 ms each) with the int8 GEMM
// kernels of commit b817045 (26 s, 66 ms each, before them and under a
// heavier load).
//
// The whole recipe, `ocellus train --model mobilenetv2-12-int8.onnx` with
// the defaults (phase 2 included), took 5 min 51 s of wall time on the
// same machine under a heavier load (the process got 21 % of a core on
// average; 71 s of CPU): phase 1 as above (features 69 s); phase 2
// started from val loss 0.1510, accuracy 0.9216 (the last block now runs
// as the float twin instead of int8), never improved and stopped after 20
// epochs of 5.0 s, the start restored (features at the cut 171 s); the
// re-quantized tail (last block + head, int8): val accuracy 0.9281, AUC
// 0.9865, top-1 agreement with the float tail 152/153, largest logit
// difference 0.72; `ocellus eval` of the stored version (int8 from the
// image to the logits) gives the same accuracy and AUC, and ONNX Runtime
// 1.30 on its export gives LoadModel's logits exactly (8 val images).
//
// # Figures
//
// `ocellus train` with the defaults on ../shared/datasets/hymenoptera
// (244 train, 153 val images; no test split, so the final report is on
// val) and mobilenetv2-1.0-imagenet-dequant.onnx, on the 2-core build
// machine under a load average of about 10, took 2 min 3 s of wall time:
//
//	phase 1 (head): features 397 images in 7.7 s (~19 ms each); 50 epochs,
//	  18 ms per epoch on cached features (train + val passes included);
//	  best epoch 36: val loss 0.1552, accuracy 0.9216, AUC 0.9854
//	phase 2 (last block, lr 1e-5): features at the cut in 6.7 s; 2–7 s
//	  per epoch, 5.1 s on average; val loss never fell below the
//	  starting point, early stop after 20 epochs, the start restored
//	val confusion [[65 5] [7 76]]: precision ants 0.90 bees 0.94,
//	  recall ants 0.93 bees 0.92
//
// With --augment flip,crop=0.1 (4 variants of each training image; the
// val features cached by a plain run), same machine, 1 min 46 s against
// 1 min 27 s for a plain run on a fresh store:
//
//	phase 1: 976 training variants in 14.3 s (~15 ms each; the plain run
//	  computed 397 images in 7.8 s); early stop after 44 epochs, 10 ms
//	  per epoch; best epoch 24: val loss 0.1631, accuracy 0.9281, AUC
//	  0.9850 (plain: 0.1552, 0.9216, 0.9854)
//	phase 2: 976 variants at the cut in 13.5 s (plain: 397 in 6.9 s);
//	  21 epochs of 3.6 s; best epoch 1: val loss 0.1610, accuracy
//	  0.9281, AUC 0.9855
//	a second run reads every variant from the cache (features 51 ms and
//	  0.5 s) and trains the same model.
//
// The PNG reports draw numbers only (a 3×5 digit font); the SVG ones
// carry the titles, class names and legends.
package finetune

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/graph"
	"github.com/ocellus/ocellus/nn/ptq"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train"
	"github.com/ocellus/ocellus/store"
)

// BlobFormat is the Format of the model versions Run stores.
const BlobFormat = "ocellus-tail-v1"

// Phase names, as recorded in store.Epoch.Phase.
const (
	PhaseHead     = "head"
	PhaseFinetune = "finetune"
)

// Config configures Run. Zero fields take the defaults noted.
type Config struct {
	// ModelPath is the pretrained ONNX model (required): float, or
	// quantized (int8 backbone, float-trained tail: see int8.go's notes
	// and Int8Report).
	ModelPath string
	// Spec is the preprocessing; nil derives it as `ocellus classify` does
	// (the input's shape, ImageNet normalisation, bilinear_hp, then the
	// model's sidecar file if any).
	Spec *preprocess.Spec
	// HeadEpochs and Epochs bound phases 1 and 2 (50 each).
	HeadEpochs, Epochs int
	// Patience (20) epochs without a val-loss improvement larger than
	// MinDelta (0) stop a phase.
	Patience int
	MinDelta float64
	// HeadLR (1e-3) trains the head in phase 1 and LR (1e-5) the whole
	// tail in phase 2.
	HeadLR, LR float64
	// Batch is the mini-batch size (32); HeadDropout the head's input
	// dropout (0.2; negative: none).
	Batch       int
	HeadDropout float32
	// Phase 2's tail: the node it starts from, or else the last
	// UnfreezeLast parameterised layers, head included (5: MobileNetV2's
	// last inverted-residual block, the final 1×1 conv and the head).
	UnfreezeFrom string
	UnfreezeLast int
	// Phase2 runs phase 2.
	Phase2 bool
	// Seed seeds the head's initialisation, dropout and shuffling, and
	// the draw of augmented variants (1).
	Seed uint64
	// Augment, if on, trains on flipped/cropped variants of the training
	// samples (see Augment).
	Augment Augment
	// Threads per training step (0: GOMAXPROCS).
	Threads int
	// Name and Note describe the model version; ActivateBy, if set,
	// activates it (in the transaction that finishes the run).
	Name, Note, ActivateBy string
	// Progress receives progress lines (nil: none).
	Progress io.Writer `json:"-"`
	// OnEpoch, if set, is called after each epoch of each phase (PhaseHead,
	// PhaseFinetune), once the epoch is appended to the store's run, from
	// Run's goroutine; m is the epoch as the run stores it. It must not
	// block for long: training waits for it.
	OnEpoch func(phase string, m EpochMetrics) `json:"-"`
}

func (c *Config) defaults() {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.HeadEpochs, 50)
	def(&c.Epochs, 50)
	def(&c.Patience, 20)
	def(&c.Batch, 32)
	def(&c.UnfreezeLast, 5)
	if c.HeadLR == 0 {
		c.HeadLR = 1e-3
	}
	if c.LR == 0 {
		c.LR = 1e-5
	}
	if c.HeadDropout == 0 {
		c.HeadDropout = 0.2
	} else if c.HeadDropout < 0 {
		c.HeadDropout = 0
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	c.Augment.defaults()
}

func (c *Config) validate() error {
	switch {
	case c.ModelPath == "":
		return errors.New("finetune: no model path")
	case c.HeadEpochs < 0 || c.Epochs < 0 || c.Patience < 0 || c.Batch < 0 || c.UnfreezeLast < 0:
		return errors.New("finetune: epochs, patience, batch and unfreeze-last must not be negative")
	case c.HeadLR < 0 || c.LR < 0 || c.MinDelta < 0 || math.IsNaN(c.HeadLR+c.LR+c.MinDelta):
		return errors.New("finetune: learning rates and min delta must be ≥ 0")
	case c.HeadDropout >= 1:
		return fmt.Errorf("finetune: head dropout %g, want < 1", c.HeadDropout)
	}
	return c.Augment.validate()
}

// EpochMetrics is one epoch of a phase.
type EpochMetrics struct {
	Epoch         int           `json:"epoch"`
	TrainLoss     float64       `json:"train_loss"`
	TrainAccuracy float64       `json:"train_accuracy"`
	ValLoss       float64       `json:"val_loss"`
	ValAccuracy   float64       `json:"val_accuracy"`
	ValAUC        float64       `json:"val_auc"`
	Duration      time.Duration `json:"duration_ns"`
}

// PhaseResult summarises a phase; the Val figures are those of the best
// epoch, whose parameters the phase ends with (BestEpoch 0: the phase's
// starting point stayed the best).
type PhaseResult struct {
	Name        string         `json:"name"`
	Epochs      int            `json:"epochs_run"`
	BestEpoch   int            `json:"best_epoch"`
	ValLoss     float64        `json:"val_loss"`
	ValAccuracy float64        `json:"val_accuracy"`
	ValAUC      float64        `json:"val_auc"`
	Trainable   []string       `json:"trainable_nodes"`
	History     []EpochMetrics `json:"history"`
	// FeatureTime is the wall time spent computing (uncached) features,
	// Computed how many vectors were computed (each augmented variant
	// counts); EpochTime the mean wall time of a training epoch with its
	// validation pass.
	FeatureTime time.Duration `json:"feature_time_ns"`
	Computed    int           `json:"features_computed"`
	EpochTime   time.Duration `json:"epoch_time_ns"`
}

// TestReport is the final model on the test split (the val split when
// the store has no test samples; Split says which).
type TestReport struct {
	Split     string    `json:"split"`
	Samples   int       `json:"samples"`
	Accuracy  float64   `json:"accuracy"`
	AUC       float64   `json:"auc"`
	Loss      float64   `json:"loss"`
	Classes   []string  `json:"classes"`
	Confusion [][]int   `json:"confusion"` // [true][predicted]
	Precision []float64 `json:"precision"`
	Recall    []float64 `json:"recall"`
}

// Result is what Run did.
type Result struct {
	Run     store.RunID   `json:"run"`
	Model   store.ModelID `json:"model"`
	Active  bool          `json:"active"`
	Classes []string      `json:"classes"`
	Phases  []PhaseResult `json:"phases"`
	Test    TestReport    `json:"test"`
	// Reports holds the report files (name → bytes), also stored as run
	// artifacts: see Reports.
	Reports map[string][]byte `json:"-"`
	// Int8 is set when the base model is quantized: what became of the
	// tail (Test then scores the model LoadModel runs, int8 tail included).
	Int8 *Int8Report `json:"int8,omitempty"`
}

// data is one split's samples: ids, class indices, and feature rows;
// with augmentation the training split has variants (one feature matrix
// per variant) instead of feats.
type data struct {
	ids      []store.SampleID
	labels   []int
	feats    []float32
	variants [][]float32
}

// Run trains a classifier for the store's labels and stores it as a new
// model version. The store's samples and labels and the model are checked
// first (an error there records no run); then the run is recorded in the
// store, and on an error after that it is finished as failed (cancelled
// when ctx is done).
func Run(ctx context.Context, st *store.Store, cfg Config) (res Result, err error) {
	cfg.defaults()
	if err := cfg.validate(); err != nil {
		return res, err
	}
	if err := st.CheckTrainable(nil); err != nil {
		return res, err
	}
	labels, err := st.Labels()
	if err != nil {
		return res, err
	}
	classIdx := map[string]int{}
	for i, l := range labels {
		res.Classes = append(res.Classes, l.Name)
		classIdx[l.Name] = i
	}
	k := len(res.Classes)
	sets := map[store.Split]*data{}
	for _, sp := range []store.Split{store.Train, store.Val, store.Test} {
		smp, err := st.Samples(store.Filter{Split: sp})
		if err != nil {
			return res, err
		}
		d := &data{}
		for _, s := range smp {
			c, ok := classIdx[s.Label]
			if !ok {
				return res, fmt.Errorf("finetune: sample %d has label %q, not in the label set", s.ID, s.Label)
			}
			d.ids = append(d.ids, s.ID)
			d.labels = append(d.labels, c)
		}
		sets[sp] = d
	}

	raw, err := os.ReadFile(cfg.ModelPath)
	if err != nil {
		return res, err
	}
	sum := sha256.Sum256(raw)
	m, err := nn.Load(cfg.ModelPath, train.LoadOptions())
	if err != nil {
		return res, err
	}
	if len(m.Inputs()) != 1 {
		return res, fmt.Errorf("finetune: %s has %d inputs, want one image", cfg.ModelPath, len(m.Inputs()))
	}
	spec, err := resolveSpec(m.Inputs()[0], cfg)
	if err != nil {
		return res, err
	}
	g0, q, err := trainGraph(m)
	if err != nil {
		return res, err
	}
	g, err := train.ReplaceHead(g0, train.HeadConfig{Classes: k, Seed: cfg.Seed})
	if err != nil {
		return res, err
	}

	cfgJSON, err := json.Marshal(struct {
		Config
		Model  string `json:"model"`
		SHA256 string `json:"model_sha256"`
		Spec   string `json:"preprocess"`
	}{cfg, filepath.Base(cfg.ModelPath), hex.EncodeToString(sum[:]), spec.String()})
	if err != nil {
		return res, err
	}
	run, err := st.StartRun(store.NewRun{Config: cfgJSON})
	if err != nil {
		return res, err
	}
	res.Run = run.ID
	defer func() {
		if err == nil {
			return
		}
		status := store.RunFailed
		if ctx.Err() != nil {
			status = store.RunCancelled
		}
		if _, ferr := st.FinishRun(run.ID, store.RunResult{Status: status, Error: err.Error()}); ferr != nil {
			err = errors.Join(err, ferr)
		}
	}()

	evalSet := store.Test
	if len(sets[store.Test].ids) == 0 {
		evalSet = store.Val
	}
	fmt.Fprintf(cfg.Progress, "run %d: %d classes %v; %d train, %d val, %d test samples\n",
		run.ID, k, res.Classes, len(sets[store.Train].ids), len(sets[store.Val].ids), len(sets[store.Test].ids))

	if cfg.Augment.On() {
		fmt.Fprintf(cfg.Progress, "augment %s: training samples in %d variants each\n", cfg.Augment, cfg.Augment.Variants)
	}
	fe := &featurizer{st: st, m: m, q: q, spec: spec, aug: cfg.Augment, progress: cfg.Progress}

	// Phase 1: the head on frozen features.
	s1, err := train.SplitAt(g, train.Cut{Node: train.HeadNode})
	if err != nil {
		return res, err
	}
	p1 := PhaseResult{Name: PhaseHead, Trainable: s1.TailNodes()}
	if err := fe.load(ctx, s1, sets, &p1); err != nil {
		return res, err
	}
	tail, err := train.NewTail(s1, train.TailOptions{Batch: cfg.Batch, HeadDropout: cfg.HeadDropout, Seed: cfg.Seed, Threads: cfg.Threads})
	if err != nil {
		return res, err
	}
	adam, err := train.NewAdam(train.DefaultAdam(), train.HeadGroups(tail.Params(), cfg.HeadLR, 0, 0)...)
	if err != nil {
		return res, err
	}
	if err := fit(ctx, st, run.ID, tail, adam, sets, k, cfg.HeadEpochs, cfg, &p1, 0); err != nil {
		return res, err
	}
	res.Phases = append(res.Phases, p1)
	final := tail
	cutNode, lastLayers := train.HeadNode, 0

	if cfg.Phase2 && cfg.Epochs > 0 {
		g1 := tail.Export()
		cut := train.Cut{LastLayers: cfg.UnfreezeLast}
		if cfg.UnfreezeFrom != "" {
			cut = train.Cut{Node: cfg.UnfreezeFrom}
		}
		s2, err := train.SplitAt(g1, cut)
		if err != nil {
			return res, err
		}
		p2 := PhaseResult{Name: PhaseFinetune, Trainable: s2.TailNodes()}
		if err := fe.load(ctx, s2, sets, &p2); err != nil {
			return res, err
		}
		tail2, err := train.NewTail(s2, train.TailOptions{Batch: cfg.Batch, HeadDropout: cfg.HeadDropout, Seed: cfg.Seed + 1, Threads: cfg.Threads})
		if err != nil {
			return res, err
		}
		adam2, err := train.NewAdam(train.DefaultAdam(), train.HeadGroups(tail2.Params(), cfg.LR, cfg.LR, 0)...)
		if err != nil {
			return res, err
		}
		if err := fit(ctx, st, run.ID, tail2, adam2, sets, k, cfg.Epochs, cfg, &p2, 1); err != nil {
			return res, err
		}
		res.Phases = append(res.Phases, p2)
		final = tail2
		cutNode, lastLayers = cut.Node, cut.LastLayers
	}

	ev := sets[evalSet]
	logits := predict(final, ev.feats, len(ev.ids), cfg.Batch)
	if q != nil {
		if logits, err = quantizeFinal(final, q, sets, evalSet, k, logits, cfg.Progress, &res); err != nil {
			return res, err
		}
	}
	met := train.Evaluate(train.SoftmaxCrossEntropy, logits, k, ev.labels)
	res.Test = testReport(evalSet.String(), res.Classes, met)
	fmt.Fprintf(cfg.Progress, "%s: accuracy %.4f AUC %.4f on %d samples\n", evalSet, met.Accuracy, met.AUC, len(ev.ids))

	res.Reports, err = Reports(res)
	if err != nil {
		return res, err
	}
	for name, b := range res.Reports {
		if err := st.PutRunArtifact(run.ID, name, b); err != nil {
			return res, err
		}
	}
	blob, err := encodeBlob(final, BlobHeader{
		BaseModel: filepath.Base(cfg.ModelPath), BaseSHA256: hex.EncodeToString(sum[:]),
		Classes: res.Classes, HeadSeed: cfg.Seed, Preprocess: spec.String(),
		CutNode: cutNode, LastLayers: lastLayers, Int8: res.Int8,
	})
	if err != nil {
		return res, err
	}
	summary, err := json.Marshal(summaryJSON(res))
	if err != nil {
		return res, err
	}
	name := cfg.Name
	if name == "" {
		name = fmt.Sprintf("%s fine-tuned (run %d)", filepath.Base(cfg.ModelPath), run.ID)
	}
	done, err := st.FinishRun(run.ID, store.RunResult{
		Status: store.RunSucceeded, Result: summary, ActivateBy: cfg.ActivateBy,
		Model: &store.NewModel{
			Name: name, Format: BlobFormat, Blob: blob, Metrics: summary, Classes: res.Classes,
			Backbone: backboneKey(final.Split(), q), Note: cfg.Note,
		},
	})
	if err != nil {
		return res, err
	}
	res.Model, res.Active = done.Model, cfg.ActivateBy != ""
	return res, nil
}

// Summary is the JSON form of a Result's figures (NaN AUCs as null), as
// `ocellus train --json` prints it and the run and model store it.
type Summary struct {
	Run store.RunID `json:"run"`
	// Model and Active are zero (and left out) in the copy stored with
	// the run and the model, which is written before the version exists.
	Model   store.ModelID  `json:"model,omitempty"`
	Active  bool           `json:"active,omitempty"`
	Classes []string       `json:"classes"`
	Phases  []PhaseSummary `json:"phases"`
	Test    TestSummary    `json:"test"`
	// Int8: a version trained on an int8 base (Result.Int8), with the
	// calibration ranges left out.
	Int8 *Int8Report `json:"int8,omitempty"`
}

// PhaseSummary is a phase's figures in Summary.
type PhaseSummary struct {
	Name        string   `json:"name"`
	Epochs      int      `json:"epochs_run"`
	BestEpoch   int      `json:"best_epoch"`
	ValLoss     *float64 `json:"val_loss"`
	ValAccuracy float64  `json:"val_accuracy"`
	ValAUC      *float64 `json:"val_auc"`
	EpochMillis float64  `json:"epoch_ms"`
}

// TestSummary is the test report in Summary.
type TestSummary struct {
	Split     string    `json:"split"`
	Samples   int       `json:"samples"`
	Accuracy  float64   `json:"accuracy"`
	AUC       *float64  `json:"auc"`
	Confusion [][]int   `json:"confusion"`
	Precision []float64 `json:"precision"`
	Recall    []float64 `json:"recall"`
}

func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func summaryJSON(r Result) Summary {
	s := Summary{Run: r.Run, Model: r.Model, Active: r.Active, Classes: r.Classes}
	if r.Int8 != nil {
		i8 := *r.Int8
		i8.Ranges = nil
		s.Int8 = &i8
	}
	for _, p := range r.Phases {
		s.Phases = append(s.Phases, PhaseSummary{Name: p.Name, Epochs: p.Epochs, BestEpoch: p.BestEpoch,
			ValLoss: num(p.ValLoss), ValAccuracy: p.ValAccuracy, ValAUC: num(p.ValAUC),
			EpochMillis: float64(p.EpochTime.Microseconds()) / 1000})
	}
	t := r.Test
	s.Test = TestSummary{Split: t.Split, Samples: t.Samples, Accuracy: t.Accuracy, AUC: num(t.AUC),
		Confusion: t.Confusion, Precision: finiteAll(t.Precision), Recall: finiteAll(t.Recall)}
	return s
}

func finiteAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = finite(x)
	}
	return out
}

// SummaryOf returns r's Summary.
func SummaryOf(r Result) Summary { return summaryJSON(r) }

func testReport(split string, classes []string, met train.Metrics) TestReport {
	k := len(classes)
	t := TestReport{Split: split, Samples: met.Confusion.Total(), Accuracy: met.Accuracy, AUC: met.AUC, Loss: met.Loss, Classes: classes}
	for i := 0; i < k; i++ {
		row := make([]int, k)
		for j := range row {
			row[j] = met.Confusion.At(i, j)
		}
		t.Confusion = append(t.Confusion, row)
		t.Precision = append(t.Precision, met.Confusion.Precision(i))
		t.Recall = append(t.Recall, met.Confusion.Recall(i))
	}
	return t
}

// predict runs the tail in inference mode over n rows, Batch at a time.
func predict(t *train.Tail, feats []float32, n, batch int) []float32 {
	fl := t.Split().FeatureLen()
	k := t.Outputs()
	out := make([]float32, 0, n*k)
	for i := 0; i < n; i += batch {
		b := min(batch, n-i)
		out = append(out, t.Predict(feats[i*fl:(i+b)*fl], b)...)
	}
	return out
}

// fit trains a tail with early stopping on val loss and restores the best
// checkpoint (the starting point counts as epoch 0 when phase > 0).
func fit(ctx context.Context, st *store.Store, run store.RunID, t *train.Tail, opt train.Optimizer,
	sets map[store.Split]*data, k, epochs int, cfg Config, p *PhaseResult, phase int) error {
	tr, va := sets[store.Train], sets[store.Val]
	n := len(tr.ids)
	trFeats := tr.feats
	if len(tr.variants) > 0 {
		trFeats = make([]float32, len(tr.variants[0]))
	}
	best := math.Inf(1)
	var bestSnap [][]float32
	if phase > 0 {
		m := train.Evaluate(train.SoftmaxCrossEntropy, predict(t, va.feats, len(va.ids), cfg.Batch), k, va.labels)
		best, bestSnap = m.Loss, t.Snapshot()
		p.ValLoss, p.ValAccuracy, p.ValAUC = m.Loss, m.Accuracy, m.AUC
		fmt.Fprintf(cfg.Progress, "%s: start val loss %.4f acc %.4f AUC %.4f\n", p.Name, m.Loss, m.Accuracy, m.AUC)
	}
	wait := 0
	var total time.Duration
	for ep := 1; ep <= epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		if len(tr.variants) > 0 {
			drawVariants(trFeats, tr.variants, t.Split().FeatureLen(), cfg.Seed, phase, ep)
		}
		loss := t.TrainEpoch(trFeats, tr.labels, train.Shuffle(n, cfg.Seed+uint64(phase)<<32, ep-1), train.SoftmaxCrossEntropy, opt)
		trm := train.Evaluate(train.SoftmaxCrossEntropy, predict(t, trFeats, n, cfg.Batch), k, tr.labels)
		vm := train.Evaluate(train.SoftmaxCrossEntropy, predict(t, va.feats, len(va.ids), cfg.Batch), k, va.labels)
		d := time.Since(t0)
		total += d
		em := EpochMetrics{Epoch: ep, TrainLoss: loss, TrainAccuracy: trm.Accuracy, ValLoss: vm.Loss, ValAccuracy: vm.Accuracy, ValAUC: vm.AUC, Duration: d}
		p.History = append(p.History, em)
		p.Epochs = ep
		metrics := store.Metrics{"train_loss": loss, "train_accuracy": trm.Accuracy, "val_loss": vm.Loss, "val_accuracy": vm.Accuracy}
		if !math.IsNaN(vm.AUC) {
			metrics["val_auc"] = vm.AUC
		}
		if !math.IsNaN(trm.AUC) {
			metrics["train_auc"] = trm.AUC
		}
		if err := st.AppendEpoch(run, store.Epoch{Phase: p.Name, Epoch: ep, Metrics: metrics, Duration: d}); err != nil {
			return err
		}
		if cfg.OnEpoch != nil {
			cfg.OnEpoch(p.Name, em)
		}
		mark := ""
		if vm.Loss < best-cfg.MinDelta {
			best, bestSnap, wait = vm.Loss, t.Snapshot(), 0
			p.BestEpoch, p.ValLoss, p.ValAccuracy, p.ValAUC = ep, vm.Loss, vm.Accuracy, vm.AUC
			mark = " *"
		} else {
			wait++
		}
		fmt.Fprintf(cfg.Progress, "%s epoch %d/%d: loss %.4f val loss %.4f acc %.4f AUC %.4f (%v)%s\n",
			p.Name, ep, epochs, loss, vm.Loss, vm.Accuracy, vm.AUC, d.Round(time.Millisecond), mark)
		if wait >= cfg.Patience {
			fmt.Fprintf(cfg.Progress, "%s: early stop after %d epochs without improvement\n", p.Name, wait)
			break
		}
	}
	if p.Epochs > 0 {
		p.EpochTime = total / time.Duration(p.Epochs)
	}
	if bestSnap != nil {
		if err := t.Restore(bestSnap); err != nil {
			return err
		}
	}
	return nil
}

// featurizer computes backbone features, caching them in the store.
type featurizer struct {
	st       *store.Store
	m        *nn.Model
	q        *graph.Graph // the quantized graph of an int8 base (nil: float)
	spec     preprocess.Spec
	aug      Augment
	progress io.Writer
}

// load fills every set's features for the split, computing and caching
// those the store does not hold; with augmentation, the training set's
// variants instead of its plain features.
func (f *featurizer) load(ctx context.Context, s *train.Split, sets map[store.Split]*data, p *PhaseResult) error {
	if s.Batch() != 1 {
		return fmt.Errorf("finetune: the backbone has batch %d, want 1", s.Batch())
	}
	c := &computer{featurizer: f, s: s, p: p, t0: time.Now()}
	defer func() {
		if c.sess != nil {
			c.sess.Close()
		}
	}()
	key := FeatureKey(backboneKey(s, f.q), f.spec)
	fl := s.FeatureLen()
	for _, sp := range []store.Split{store.Train, store.Val, store.Test} {
		d := sets[sp]
		d.feats, d.variants = nil, nil
		if len(d.ids) == 0 {
			continue
		}
		if sp == store.Train && f.aug.On() {
			for v := 0; v < f.aug.Variants; v++ {
				feats := make([]float32, len(d.ids)*fl)
				what := fmt.Sprintf("%s variant %d/%d", sp, v+1, f.aug.Variants)
				if err := c.fill(ctx, AugmentKey(key, f.aug, v), d.ids, feats, v, what); err != nil {
					return err
				}
				d.variants = append(d.variants, feats)
			}
			continue
		}
		d.feats = make([]float32, len(d.ids)*fl)
		if err := c.fill(ctx, key, d.ids, d.feats, -1, sp.String()); err != nil {
			return err
		}
	}
	p.FeatureTime = time.Since(c.t0)
	return nil
}

// computer computes one phase's features, opening the backbone's session
// on first use.
type computer struct {
	*featurizer
	s    *train.Split
	p    *PhaseResult
	t0   time.Time
	sess *nn.Session
}

// fill sets dst (len(ids) rows) to the features cached under key,
// computing and caching the missing ones from the images, augmented as
// variant v (v < 0: not augmented).
func (c *computer) fill(ctx context.Context, key string, ids []store.SampleID, dst []float32, v int, what string) error {
	fl := c.s.FeatureLen()
	fm, err := c.st.Features(key, ids)
	if err != nil {
		return err
	}
	if len(fm.Missing) < len(ids) {
		if fm.Dim != fl {
			return fmt.Errorf("finetune: cached features of %s have length %d, want %d", key, fm.Dim, fl)
		}
		copy(dst, fm.Data)
	}
	if len(fm.Missing) == 0 {
		return nil
	}
	if c.sess == nil {
		bb, err := backboneModel(c.s, c.q, c.m.Inputs())
		if err != nil {
			return err
		}
		c.sess = bb.NewSession()
	}
	in := c.m.Inputs()[0]
	x := tensor.New(tensor.Float32, in.Shape...)
	var bIDs []store.SampleID
	var vecs [][]float32
	flush := func() error {
		if len(bIDs) == 0 {
			return nil
		}
		_, err := c.st.PutFeatures(key, bIDs, vecs)
		bIDs, vecs = bIDs[:0], vecs[:0]
		return err
	}
	for j, i := range fm.Missing {
		if err := ctx.Err(); err != nil {
			return err
		}
		jpg, err := c.st.Image(ids[i])
		if err != nil {
			return err
		}
		img, err := preprocess.DecodeBytes(jpg)
		if err != nil {
			return fmt.Errorf("finetune: sample %d: %w", ids[i], err)
		}
		if v >= 0 {
			img = c.aug.Apply(img, ids[i], v)
		}
		c.spec.Apply(img, x.F32)
		outs, err := c.sess.Run(x)
		if err != nil {
			return err
		}
		row := dst[i*fl : (i+1)*fl]
		if err := c.s.Features(outs, row); err != nil {
			return err
		}
		bIDs, vecs = append(bIDs, ids[i]), append(vecs, row)
		c.p.Computed++
		if len(bIDs) == 32 {
			if err := flush(); err != nil {
				return err
			}
		}
		if (j+1)%50 == 0 || j+1 == len(fm.Missing) {
			fmt.Fprintf(c.progress, "%s features: %s %d/%d computed (%v)\n", c.p.Name, what, j+1, len(fm.Missing), time.Since(c.t0).Round(time.Millisecond))
		}
	}
	return flush()
}

// FeatureKey is the feature-cache key (store.Features) of the plain
// (not augmented) features of a backbone (train.Split.BackboneKey) fed
// images preprocessed by spec: the backbone key, then the first 8 bytes
// of the SHA-256 of spec.String() in hex. The features depend on both.
func FeatureKey(backbone string, spec preprocess.Spec) string {
	sum := sha256.Sum256([]byte(spec.String()))
	return backbone + "/pre:" + hex.EncodeToString(sum[:8])
}

// resolveSpec derives the preprocessing as `ocellus classify` does.
func resolveSpec(in nn.IOSpec, cfg Config) (preprocess.Spec, error) {
	if cfg.Spec != nil {
		return *cfg.Spec, cfg.Spec.Validate()
	}
	spec, err := preprocess.SpecForShape(in.Shape)
	if err != nil {
		return spec, fmt.Errorf("finetune: input %q: %w", in.Name, err)
	}
	if in.DType != tensor.Float32 {
		return spec, fmt.Errorf("finetune: input %q is %v; training needs a float model", in.Name, in.DType)
	}
	if side, ok, err := preprocess.LoadSidecar(cfg.ModelPath); err != nil {
		return spec, err
	} else if ok {
		spec = side
	}
	return spec, spec.Validate()
}

// BlobHeader is the JSON line that starts a BlobFormat model blob.
type BlobHeader struct {
	BaseModel  string   `json:"base_model"`
	BaseSHA256 string   `json:"base_sha256"`
	Classes    []string `json:"classes"`
	HeadSeed   uint64   `json:"head_seed"`
	Preprocess string   `json:"preprocess"`
	// The tail the tensors belong to: from node CutNode, or else the last
	// LastLayers layers, or else (both zero) the head alone.
	CutNode    string       `json:"cut_node,omitempty"`
	LastLayers int          `json:"last_layers,omitempty"`
	Tensors    []BlobTensor `json:"tensors"`
	// Int8 is set for a version trained on a quantized base: the int8
	// tail's calibration and how it compares with the float tail.
	Int8 *Int8Report `json:"int8,omitempty"`
}

// BlobTensor names one trained tensor of a blob.
type BlobTensor struct {
	Name  string `json:"name"`
	Node  string `json:"node"`
	Shape []int  `json:"shape"`
}

func encodeBlob(t *train.Tail, h BlobHeader) ([]byte, error) {
	n := 0
	for _, p := range t.Params() {
		h.Tensors = append(h.Tensors, BlobTensor{Name: p.Name, Node: p.Node, Shape: p.Shape})
		n += len(p.Value)
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(hdr)+1+4*n)
	out = append(append(out, hdr...), '\n')
	for _, p := range t.Params() {
		for _, v := range p.Value {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out, nil
}

// LoadModel rebuilds the trained model of a BlobFormat blob on its base
// model (which must be the file it was trained from: the SHA-256 is
// checked) and compiles it for inference (BatchNorm folded). It returns
// the model, whose output is the classes' logits, and the blob's header.
func LoadModel(blob []byte, basePath string) (*nn.Model, BlobHeader, error) {
	return loadModel(blob, basePath, false)
}

func loadModel(blob []byte, basePath string, floatTail bool) (*nn.Model, BlobHeader, error) {
	h, m, q, t, err := rebuild(blob, basePath)
	if err != nil {
		return nil, h, err
	}
	if q != nil {
		var ranges map[string]ptq.Range
		if !floatTail && h.Int8 != nil && h.Int8.Tail == TailInt8 {
			ranges = rangesOf(h.Int8.Ranges)
		}
		cm, err := int8Model(q, t, m.Inputs(), ranges)
		return cm, h, err
	}
	cm, err := train.CompileInference(t.Export(), m.Inputs())
	return cm, h, err
}

// rebuild restores the trained tail of a blob on its base model: the
// header, the base model loaded for training, its quantized graph (nil for
// a float base) and the tail with the blob's parameters.
func rebuild(blob []byte, basePath string) (h BlobHeader, m *nn.Model, q *graph.Graph, t *train.Tail, err error) {
	h, vals, err := DecodeBlob(blob)
	if err != nil {
		return h, nil, nil, nil, err
	}
	raw, err := os.ReadFile(basePath)
	if err != nil {
		return h, nil, nil, nil, err
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != h.BaseSHA256 {
		return h, nil, nil, nil, fmt.Errorf("finetune: %s is not the model %s the blob was trained from (SHA-256 differs)", basePath, h.BaseModel)
	}
	m, err = nn.Load(basePath, train.LoadOptions())
	if err != nil {
		return h, nil, nil, nil, err
	}
	g0, q, err := trainGraph(m)
	if err != nil {
		return h, nil, nil, nil, err
	}
	g, err := train.ReplaceHead(g0, train.HeadConfig{Classes: len(h.Classes), Seed: h.HeadSeed})
	if err != nil {
		return h, nil, nil, nil, err
	}
	cut := train.Cut{Node: h.CutNode}
	if h.LastLayers > 0 {
		cut = train.Cut{LastLayers: h.LastLayers}
	}
	s, err := train.SplitAt(g, cut)
	if err != nil {
		return h, nil, nil, nil, err
	}
	t, err = train.NewTail(s, train.TailOptions{Batch: 1})
	if err != nil {
		return h, nil, nil, nil, err
	}
	if len(t.Params()) != len(h.Tensors) {
		return h, nil, nil, nil, fmt.Errorf("finetune: blob has %d tensors, the tail %d", len(h.Tensors), len(t.Params()))
	}
	for i, p := range t.Params() {
		if p.Name != h.Tensors[i].Name || len(p.Value) != len(vals[i]) {
			return h, nil, nil, nil, fmt.Errorf("finetune: blob tensor %d is %q (%d values), the tail's %q (%d)", i, h.Tensors[i].Name, len(vals[i]), p.Name, len(p.Value))
		}
	}
	if err := t.Restore(vals); err != nil {
		return h, nil, nil, nil, err
	}
	return h, m, q, t, nil
}

// DecodeBlob splits a BlobFormat blob into its header and one value slice
// per tensor.
func DecodeBlob(b []byte) (BlobHeader, [][]float32, error) {
	var h BlobHeader
	i := 0
	for i < len(b) && b[i] != '\n' {
		i++
	}
	if i == len(b) {
		return h, nil, errors.New("finetune: model blob has no header line")
	}
	if err := json.Unmarshal(b[:i], &h); err != nil {
		return h, nil, fmt.Errorf("finetune: model blob header: %w", err)
	}
	rest := b[i+1:]
	var vals [][]float32
	for _, t := range h.Tensors {
		n := 1
		for _, d := range t.Shape {
			if d <= 0 || n > len(rest) {
				return h, nil, fmt.Errorf("finetune: model blob tensor %q has shape %v", t.Name, t.Shape)
			}
			n *= d
		}
		if 4*n > len(rest) {
			return h, nil, fmt.Errorf("finetune: model blob truncated in tensor %q", t.Name)
		}
		v := make([]float32, n)
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(rest[4*j:]))
		}
		vals, rest = append(vals, v), rest[4*n:]
	}
	if len(rest) != 0 {
		return h, nil, fmt.Errorf("finetune: model blob has %d bytes after its tensors", len(rest))
	}
	return h, vals, nil
}
