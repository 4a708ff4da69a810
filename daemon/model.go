package daemon

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
	"github.com/ocellus/ocellus/nn/train/finetune"
	"github.com/ocellus/ocellus/store"
)

// loadedModel is a model ready for sessions: immutable once made, shared by the cameras that use
// it (each makes its own session) and swapped as a whole (an atomic pointer).
type loadedModel struct {
	m       *nn.Model
	id      store.ModelID // 0: not a store version (the base model, a fixed model)
	name    string
	classes []string
	spec    preprocess.Spec
	probs   bool   // the output already is a distribution (a Softmax in the graph)
	base    string // the base model's file name
}

func (lm *loadedModel) info() api.ModelInfo {
	return api.ModelInfo{ID: lm.id, Name: lm.name, Classes: append([]string(nil), lm.classes...), Base: lm.base}
}

// baseModel is the model training starts from, kept in <data>/base/<sha256>.onnx.
type baseModel struct {
	path         string // <data>/base/<sha256>.onnx
	name         string // for people: "starter", the --model file's name
	spec         preprocess.Spec
	classes      []string
	unfreezeLast int // 0: finetune's default
}

// installBase writes the model bytes to <data>/base/<sha256>.onnx (once) with the preprocessing
// sidecar, and returns its path.
func installBase(dataDir string, model []byte, spec preprocess.Spec) (string, error) {
	sum := sha256.Sum256(model)
	dir := filepath.Join(dataDir, "base")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, hex.EncodeToString(sum[:])+".onnx")
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, model) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, model, 0o644); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, path); err != nil {
			return "", err
		}
	}
	if old, ok, err := preprocess.LoadSidecar(path); err != nil || !ok || old != spec {
		if err := preprocess.WriteSidecar(path, spec); err != nil {
			return "", err
		}
	}
	return path, nil
}

// readLabels reads one class name per line.
func readLabels(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no labels", path)
	}
	return out, nil
}

// modelLabels returns the classes of a model file: from labelsPath, else <model>.labels.txt, else
// class0…class(k-1).
func modelLabels(modelPath, labelsPath string, k int) ([]string, error) {
	if labelsPath == "" {
		if _, err := os.Stat(modelPath + ".labels.txt"); err == nil {
			labelsPath = modelPath + ".labels.txt"
		}
	}
	if labelsPath != "" {
		l, err := readLabels(labelsPath)
		if err != nil {
			return nil, err
		}
		if len(l) != k {
			return nil, fmt.Errorf("%s names %d classes, the model %s has %d", labelsPath, len(l), modelPath, k)
		}
		return l, nil
	}
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprintf("class%d", i)
	}
	return out, nil
}

// specFor derives a model file's preprocessing as `ocellus classify` does: from the input's shape
// (ImageNet normalisation for colour, x/255 for grey), replaced by the sidecar file if any.
func specFor(in nn.IOSpec, modelPath string) (preprocess.Spec, error) {
	spec, err := preprocess.SpecForShape(in.Shape)
	if err != nil {
		return spec, fmt.Errorf("%s: input %q: %w", modelPath, in.Name, err)
	}
	if side, ok, err := preprocess.LoadSidecar(modelPath); err != nil {
		return spec, err
	} else if ok {
		spec = side
	}
	return spec, spec.Validate()
}

// newLoaded checks that m classifies images the daemon can feed (one float32 image input whose
// shape spec makes; one float32 output of len(classes) scores) and wraps it.
func newLoaded(m *nn.Model, id store.ModelID, name, base string, classes []string, spec preprocess.Spec) (*loadedModel, error) {
	if len(m.Inputs()) != 1 || len(m.Outputs()) < 1 {
		return nil, fmt.Errorf("daemon: model %s has %d inputs and %d outputs, want one image in, scores out", name, len(m.Inputs()), len(m.Outputs()))
	}
	in, out := m.Inputs()[0], m.Outputs()[0]
	if in.DType != tensor.Float32 || out.DType != tensor.Float32 {
		return nil, fmt.Errorf("daemon: model %s: input %q is %v and output %q %v; the daemon runs float32 models", name, in.Name, in.DType, out.Name, out.DType)
	}
	if n := tensor.NumElems(in.Shape); n != spec.Len() {
		return nil, fmt.Errorf("daemon: model %s: preprocessing %s makes %d values, input %q %v takes %d", name, spec, spec.Len(), in.Name, in.Shape, n)
	}
	if k := tensor.NumElems(out.Shape); k != len(classes) || k < 1 {
		return nil, fmt.Errorf("daemon: model %s: output %q %v has %d scores for %d classes", name, out.Name, out.Shape, k, len(classes))
	}
	return &loadedModel{m: m, id: id, name: name, classes: classes, spec: spec, probs: finetune.OutputIsProbability(m), base: base}, nil
}

// loadFile loads a model file for inference (a camera's fixed model, the base model).
func (d *Daemon) loadFile(path, labelsPath, name string) (*loadedModel, error) {
	m, err := d.loads.Load(path, &nn.LoadOptions{Lean: true})
	if err != nil {
		return nil, err
	}
	if len(m.Inputs()) != 1 || len(m.Outputs()) < 1 {
		return nil, fmt.Errorf("daemon: %s has %d inputs, want one image", path, len(m.Inputs()))
	}
	spec, err := specFor(m.Inputs()[0], path)
	if err != nil {
		return nil, err
	}
	classes, err := modelLabels(path, labelsPath, tensor.NumElems(m.Outputs()[0].Shape))
	if err != nil {
		return nil, err
	}
	return newLoaded(m, 0, name, filepath.Base(path), classes, spec)
}

// loadVersion rebuilds a stored model version on its base model in <data>/base.
func (d *Daemon) loadVersion(id store.ModelID) (*loadedModel, error) {
	mv, err := d.st.Model(id)
	if err != nil {
		return nil, err
	}
	if mv.Format != finetune.BlobFormat {
		return nil, fmt.Errorf("daemon: model version %d has format %q; the daemon runs %q versions", id, mv.Format, finetune.BlobFormat)
	}
	blob, err := d.st.ModelBlob(id)
	if err != nil {
		return nil, err
	}
	h, _, err := finetune.DecodeBlob(blob)
	if err != nil {
		return nil, err
	}
	basePath := filepath.Join(d.cfg.Data, "base", filepath.Base(h.BaseModel))
	if _, err := os.Stat(basePath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("daemon: model version %d was trained on %s, which is not in %s", id, h.BaseModel, filepath.Dir(basePath))
	}
	var m *nn.Model
	d.loads.Do(func() { m, h, err = finetune.LoadModel(blob, basePath) })
	if err != nil {
		return nil, fmt.Errorf("daemon: model version %d: %w", id, err)
	}
	spec, err := preprocess.ParseSpec(h.Preprocess)
	if err != nil {
		return nil, fmt.Errorf("daemon: model version %d: preprocessing %q: %w", id, h.Preprocess, err)
	}
	name := mv.Name
	if name == "" {
		name = fmt.Sprintf("v%d", id)
	}
	return newLoaded(m, id, name, h.BaseModel, h.Classes, spec)
}
