package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ocellus/ocellus/internal/lowpeak"
	"github.com/ocellus/ocellus/nn"
)

type ioJSON struct {
	Name     string `json:"name"`
	DType    string `json:"dtype"`
	Shape    []int  `json:"shape"`
	Internal []int  `json:"internal_shape,omitempty"`
}

type inspectJSON struct {
	File       string         `json:"file"`
	Format     string         `json:"format"`
	Producer   string         `json:"producer,omitempty"`
	Opset      int64          `json:"opset,omitempty"`
	Inputs     []ioJSON       `json:"inputs"`
	Outputs    []ioJSON       `json:"outputs"`
	SourceOps  map[string]int `json:"source_ops"`
	Nodes      map[string]int `json:"compiled_nodes"`
	Params     int64          `json:"parameters"`
	MACs       int64          `json:"macs"`
	ArenaBytes int            `json:"arena_bytes"`
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus inspect [--json] MODEL")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want exactly one model file, got %d arguments", fs.NArg())
	}
	path := fs.Arg(0)
	m, err := new(lowpeak.Loader).Load(path, nil)
	if err != nil {
		return err
	}
	st := m.Stats()
	r := inspectJSON{File: path, Format: m.Info.Format, Producer: m.Info.Producer, Opset: m.Info.Opset,
		SourceOps: m.Info.SourceOps, Nodes: st.Nodes, Params: st.Params, MACs: st.MACs, ArenaBytes: m.ArenaBytes()}
	for _, s := range m.Inputs() {
		r.Inputs = append(r.Inputs, ioJSON{Name: s.Name, DType: s.DType.String(), Shape: s.Shape, Internal: internal(s)})
	}
	for _, s := range m.Outputs() {
		r.Outputs = append(r.Outputs, ioJSON{Name: s.Name, DType: s.DType.String(), Shape: s.Shape, Internal: internal(s)})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(stdout, "file      %s\nformat    %s", r.File, r.Format)
	if r.Opset > 0 {
		fmt.Fprintf(stdout, " (opset %d", r.Opset)
		if r.Producer != "" {
			fmt.Fprintf(stdout, ", producer %s", r.Producer)
		}
		fmt.Fprint(stdout, ")")
	}
	fmt.Fprintln(stdout)
	for _, in := range r.Inputs {
		fmt.Fprintf(stdout, "input     %s %s%v%s\n", in.Name, in.DType, in.Shape, layoutNote(in.Internal))
	}
	for _, out := range r.Outputs {
		fmt.Fprintf(stdout, "output    %s %s%v\n", out.Name, out.DType, out.Shape)
	}
	fmt.Fprintf(stdout, "params    %d (%.2f M)\n", r.Params, float64(r.Params)/1e6)
	fmt.Fprintf(stdout, "MACs      %d (%.1f M)\n", r.MACs, float64(r.MACs)/1e6)
	fmt.Fprintf(stdout, "arena     %d bytes (%.2f MiB per session)\n", r.ArenaBytes, float64(r.ArenaBytes)/(1<<20))
	fmt.Fprintf(stdout, "source ops   %s\n", strings.Join(nn.SortedCounts(r.SourceOps), ", "))
	fmt.Fprintf(stdout, "compiled ops %s\n", strings.Join(nn.SortedCounts(r.Nodes), ", "))
	return nil
}

func internal(s nn.IOSpec) []int {
	if s.Perm == nil {
		return nil
	}
	return s.PhysShape()
}

func layoutNote(internal []int) string {
	if internal == nil {
		return ""
	}
	return fmt.Sprintf(" (runs as %v)", internal)
}
