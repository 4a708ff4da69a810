package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/lowpeak"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/train/finetune"
	"github.com/ocellus/ocellus/store"
)

// modelsUsage is the help of `ocellus models`.
const modelsUsage = `usage: ocellus models SUBCOMMAND [--store DB] [flags] [args]

  ls               list the model versions (* marks the active one; --json: one JSON object per line)
  show ID          print a version's description, metrics and training run as JSON
  activate ID      make a version the active one (--by NAME records who)
  export [--id N | --active] --out M.onnx [--base BASE.onnx]
                   write a trained version as a standalone ONNX model M.onnx (the base's
                   graph with the trained weights and the new head; output "logits", the
                   class logits), its class names M.onnx.labels.txt (one a line, as
                   'ocellus classify --labels' reads them; classify also finds it by
                   itself) and its preprocessing M.onnx.preprocess.json, so that
                   'ocellus classify --model M.onnx IMAGE' classifies as the version does.
                   Without --id or --active: the active version.

A version is rebuilt on the base model it was trained from: --base BASE.onnx, else
the path its training run recorded, else $OCELLUS_SHARED (../shared)/models/onnx/NAME;
the file's SHA-256 must be the one recorded.
The store is --store DB, default $OCELLUS_DATA/ocellus.db, or ./ocellus-data/ocellus.db.
`

func runModels(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		io.WriteString(stderr, modelsUsage)
		if len(args) == 0 {
			return usagef("models needs a subcommand")
		}
		return nil
	}
	subs := map[string]func([]string, io.Writer, io.Writer) error{
		"ls": modelsLs, "show": modelsShow, "activate": modelsActivate, "export": modelsExport,
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usagef("unknown subcommand %q", args[0])
	}
	return sub(args[1:], stdout, stderr)
}

func parseModelID(s string) (store.ModelID, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n == 0 {
		return 0, usagef("%q is not a model version id", s)
	}
	return store.ModelID(n), nil
}

func modelsLs(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("ls", "ls [--store DB] [--json]", stderr)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("models ls takes no arguments")
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	ms, err := s.Models()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, m := range ms {
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tID\tNAME\tFORMAT\tSIZE\tCLASSES\tRUN\tCREATED")
	for _, m := range ms {
		mark := ""
		if m.Active {
			mark = "*"
		}
		run := "-"
		if m.Run != 0 {
			run = m.Run.String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", mark, m.ID, m.Name, m.Format, m.Size,
			strings.Join(m.Classes, ","), run, m.Created.Format(time.RFC3339))
	}
	return tw.Flush()
}

func modelsShow(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("show", "show ID [--store DB]", stderr)
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("models show takes one model version id")
	}
	id, err := parseModelID(pos[0])
	if err != nil {
		return err
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := s.Model(id)
	if err != nil {
		return err
	}
	out := struct {
		store.ModelVersion
		Training *store.Run    `json:"training,omitempty"`
		Epochs   []store.Epoch `json:"epochs,omitempty"`
		Reports  []string      `json:"reports,omitempty"`
	}{ModelVersion: m}
	if m.Run != 0 {
		r, err := s.Run(m.Run)
		if err != nil {
			return err
		}
		out.Training = &r
		if out.Epochs, err = s.Epochs(m.Run); err != nil {
			return err
		}
		if out.Reports, err = s.RunArtifacts(m.Run); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func modelsActivate(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("activate", "activate ID [--store DB] [--by NAME]", stderr)
	by := fs.String("by", "cli", "who activates it (recorded)")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("models activate takes one model version id")
	}
	id, err := parseModelID(pos[0])
	if err != nil {
		return err
	}
	s, err := openSamplesStore(*db, false, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.ActivateModel(id, *by); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "model version %d is active\n", id)
	return err
}

// LabelsSuffix is appended to a model's path to name its labels file (one
// class name a line, line i naming output i), as `models export` writes it
// and `classify` reads it when --labels is not given.
const LabelsSuffix = ".labels.txt"

func modelsExport(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("export", "export [--store DB] [--id N | --active] --out M.onnx [--base BASE.onnx]", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus models export [--store DB] [--id N | --active] --out M.onnx [--base BASE.onnx]")
		fmt.Fprintln(stderr, "Writes M.onnx, M.onnx"+LabelsSuffix+" and M.onnx"+preprocess.SidecarSuffix+" (see 'ocellus models help').")
		fs.PrintDefaults()
	}
	id := fs.Uint64("id", 0, "the model version to export")
	active := fs.Bool("active", false, "export the active version (the default)")
	out := fs.String("out", "", "the ONNX file to write (required)")
	base := fs.String("base", "", "the base model the version was trained from (default: found as 'ocellus models help' says)")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("models export takes no arguments (give --id N)")
	}
	if *out == "" {
		return usagef("--out is required")
	}
	if *id != 0 && *active {
		return usagef("give --id or --active, not both")
	}
	sel := "active"
	if *id != 0 {
		sel = strconv.FormatUint(*id, 10)
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	mv, blob, err := storedVersion(s, sel)
	if err != nil {
		return err
	}
	h, _, err := finetune.DecodeBlob(blob)
	if err != nil {
		return fmt.Errorf("model version %d: %w", mv.ID, err)
	}
	basePath, err := findBase(s, mv, h, *base)
	if err != nil {
		return err
	}
	spec, err := preprocess.ParseSpec(h.Preprocess)
	if err != nil {
		return fmt.Errorf("model version %d: preprocessing %q: %w", mv.ID, h.Preprocess, err)
	}
	onnxBytes, err := finetune.ExportONNX(blob, basePath)
	if err != nil {
		return fmt.Errorf("model version %d: %w", mv.ID, err)
	}
	if dir := filepath.Dir(*out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(*out, onnxBytes, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(*out+LabelsSuffix, []byte(strings.Join(h.Classes, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if err := preprocess.WriteSidecar(*out, spec); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "model version %d (%s, classes %s) written to %s, %s, %s\n", mv.ID, mv.Name,
		strings.Join(h.Classes, ","), *out, *out+LabelsSuffix, *out+preprocess.SidecarSuffix)
	return err
}

// storedVersion returns a model version, "active" or an id, and its blob.
func storedVersion(s *store.Store, sel string) (store.ModelVersion, []byte, error) {
	var mv store.ModelVersion
	var err error
	if sel == "" || sel == "active" {
		if mv, err = s.ActiveModel(); err != nil {
			return mv, nil, fmt.Errorf("no active model version (activate one with 'ocellus models activate ID' or give its id): %w", err)
		}
	} else {
		id, perr := parseModelID(sel)
		if perr != nil {
			return mv, nil, perr
		}
		if mv, err = s.Model(id); err != nil {
			return mv, nil, err
		}
	}
	if mv.Format != finetune.BlobFormat {
		return mv, nil, fmt.Errorf("model version %d has format %q; only %q versions (from 'ocellus train') can be rebuilt", mv.ID, mv.Format, finetune.BlobFormat)
	}
	blob, err := s.ModelBlob(mv.ID)
	return mv, blob, err
}

// findBase finds the base model file a version was trained from: given,
// else the path its run recorded, else the shared models folder; the
// SHA-256 must match the blob's header.
func findBase(s *store.Store, mv store.ModelVersion, h finetune.BlobHeader, given string) (string, error) {
	var cands []string
	if given != "" {
		cands = []string{given}
	} else {
		if mv.Run != 0 {
			if r, err := s.Run(mv.Run); err == nil {
				var cfg struct{ ModelPath string }
				if json.Unmarshal(r.Config, &cfg) == nil && cfg.ModelPath != "" {
					cands = append(cands, cfg.ModelPath)
				}
			}
		}
		cands = append(cands, filepath.Join(filepath.Dir(defaultTrainModel()), filepath.Base(h.BaseModel)))
	}
	var tried []string
	for _, c := range cands {
		raw, err := os.ReadFile(c)
		if err != nil {
			why := "missing"
			if !errors.Is(err, os.ErrNotExist) {
				why = err.Error()
			}
			tried = append(tried, fmt.Sprintf("%s (%s)", c, why))
			continue
		}
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != h.BaseSHA256 {
			tried = append(tried, c+" (another SHA-256)")
			continue
		}
		return c, nil
	}
	return "", fmt.Errorf("model version %d: base model %s (SHA-256 %.12s…) not found: tried %s; give --base", mv.ID, h.BaseModel, h.BaseSHA256, strings.Join(tried, ", "))
}

// loadStoredModel rebuilds a stored version for inference: sel is
// "active" or an id, base the base model path ("" to find it).
func loadStoredModel(s *store.Store, sel, base string) (*nn.Model, finetune.BlobHeader, store.ModelVersion, error) {
	mv, blob, err := storedVersion(s, sel)
	if err != nil {
		return nil, finetune.BlobHeader{}, mv, err
	}
	h, _, err := finetune.DecodeBlob(blob)
	if err != nil {
		return nil, h, mv, fmt.Errorf("model version %d: %w", mv.ID, err)
	}
	basePath, err := findBase(s, mv, h, base)
	if err != nil {
		return nil, h, mv, err
	}
	m, h, err := finetune.LoadModel(blob, basePath)
	if err != nil {
		return nil, h, mv, fmt.Errorf("model version %d: %w", mv.ID, err)
	}
	return m, h, mv, nil
}

// storePrefix marks a classify --model that names a stored version:
// store:DB[#ID] (the active version without #ID).
const storePrefix = "store:"

// loadClassifyModel loads classify's model: a file, or a stored version,
// whose classes it returns and whose preprocessing it puts in pp.base.
func loadClassifyModel(model, base string, pp *preprocessFlags) (*nn.Model, []string, error) {
	if !strings.HasPrefix(model, storePrefix) {
		if base != "" {
			return nil, nil, usagef("--base is for --model %sDB[#ID]", storePrefix)
		}
		m, err := new(lowpeak.Loader).Load(model, &nn.LoadOptions{Lean: true})
		return m, nil, err
	}
	db, sel := strings.TrimPrefix(model, storePrefix), "active"
	if i := strings.LastIndexByte(db, '#'); i >= 0 {
		db, sel = db[:i], db[i+1:]
		if _, err := parseModelID(sel); err != nil && sel != "active" {
			return nil, nil, err
		}
	}
	if db == "" {
		return nil, nil, usagef("--model %s needs a store file: %sDB[#ID]", model, storePrefix)
	}
	s, err := openSamplesStore(db, false, true)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	m, h, mv, err := loadStoredModel(s, sel, base)
	if err != nil {
		return nil, nil, err
	}
	spec, err := preprocess.ParseSpec(h.Preprocess)
	if err != nil {
		return nil, nil, fmt.Errorf("model version %d: preprocessing %q: %w", mv.ID, h.Preprocess, err)
	}
	pp.base = &spec
	return m, h.Classes, nil
}
