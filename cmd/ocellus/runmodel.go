package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ocellus/ocellus/internal/npy"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
)

// inputFlags collects repeated --input NAME=FILE.npy flags.
type inputFlags []string

func (f *inputFlags) String() string     { return strings.Join(*f, " ") }
func (f *inputFlags) Set(v string) error { *f = append(*f, v); return nil }

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	model := fs.String("model", "", "model file (.onnx) (required)")
	out := fs.String("out", "", "folder for the outputs, written as <output name>.npy (required)")
	var inputs inputFlags
	fs.Var(&inputs, "input", "NAME=FILE.npy for each model input (repeat the flag)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus run --model M.onnx --input NAME=FILE.npy ... --out DIR")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" || *out == "" {
		return usagef("--model and --out are required")
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %v", fs.Args())
	}
	given := map[string]*tensor.Tensor{}
	shapes := map[string][]int{}
	for _, in := range inputs {
		name, file, ok := strings.Cut(in, "=")
		if !ok || name == "" || file == "" {
			return usagef("--input %q: want NAME=FILE.npy", in)
		}
		a, err := npy.ReadFile(file)
		if err != nil {
			return err
		}
		t, err := tensorFromNpy(a)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		given[name], shapes[name] = t, t.Shape
	}
	m, err := nn.Load(*model, &nn.LoadOptions{InputShapes: shapes})
	if err != nil {
		return err
	}
	var feed []*tensor.Tensor
	for _, spec := range m.Inputs() {
		t, ok := given[spec.Name]
		if !ok {
			return usagef("model input %q (%v%v) was not given", spec.Name, spec.DType, spec.Shape)
		}
		delete(given, spec.Name)
		feed = append(feed, t)
	}
	for name := range given {
		return usagef("the model has no input %q", name)
	}
	res, err := m.NewSession().Run(feed...)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	used := map[string]bool{}
	for i, spec := range m.Outputs() {
		name := fileName(spec.Name, used)
		path := filepath.Join(*out, name+".npy")
		a, err := npyFromTensor(res[i])
		if err != nil {
			return fmt.Errorf("output %q: %w", spec.Name, err)
		}
		if err := npy.WriteFile(path, a); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s %s%v -> %s\n", spec.Name, spec.DType, spec.Shape, path)
	}
	return nil
}

// fileName maps a tensor name to a file name as ortrun does: characters
// outside [A-Za-z0-9._-] become '_', collisions get _1, _2, ...
func fileName(name string, used map[string]bool) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	base := string(b)
	if base == "" {
		base = "_"
	}
	n := base
	for i := 1; used[n]; i++ {
		n = fmt.Sprintf("%s_%d", base, i)
	}
	used[n] = true
	return n
}

func tensorFromNpy(a *npy.Array) (*tensor.Tensor, error) {
	t := &tensor.Tensor{Shape: append([]int{}, a.Shape...)}
	switch a.DType {
	case "float32":
		t.DType, t.F32 = tensor.Float32, a.F32
	case "uint8":
		t.DType, t.U8 = tensor.Uint8, a.U8
	case "int8":
		t.DType, t.I8 = tensor.Int8, a.I8
	case "int32":
		t.DType, t.I32 = tensor.Int32, a.I32
	case "int64":
		t.DType, t.I64 = tensor.Int64, a.I64
	case "bool":
		t.DType, t.Bool = tensor.Bool, a.Bool
	default:
		return nil, fmt.Errorf("dtype %s is not one ocellus computes with (float32, uint8, int8, int32, int64, bool)", a.DType)
	}
	return t, nil
}

func npyFromTensor(t *tensor.Tensor) (*npy.Array, error) {
	a := &npy.Array{DType: t.DType.String(), Shape: append([]int{}, t.Shape...)}
	switch t.DType {
	case tensor.Float32:
		a.F32 = t.F32
	case tensor.Uint8:
		a.U8 = t.U8
	case tensor.Int8:
		a.I8 = t.I8
	case tensor.Int32:
		a.I32 = t.I32
	case tensor.Int64:
		a.I64 = t.I64
	case tensor.Bool:
		a.Bool = t.Bool
	default:
		return nil, fmt.Errorf("dtype %v", t.DType)
	}
	return a, nil
}
