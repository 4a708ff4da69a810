// Command ocellus is the edge-vision runtime's command line: classify
// images, inspect and run models.
//
//	ocellus classify --model M.onnx [--labels L.txt] [--top 5] [--json] IMAGE...
//	ocellus inspect [--json] M.onnx
//	ocellus run --model M.onnx --input NAME=FILE.npy ... --out DIR
//	ocellus bench --model M.onnx [--iters 50]
//	ocellus serve [--listen ADDR] [--data DIR] [--camera SOURCE] [--model FILE] [--config FILE]
//	ocellus version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// exitUsage is the exit status for command-line mistakes.
const exitUsage = 2

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"classify", "classify images with a model", runClassify},
		{"inspect", "print a model's inputs, outputs, ops, parameters and MACs", runInspect},
		{"run", "run a model on .npy tensors and write its outputs as .npy", runRun},
		{"bench", "time inference (median_ms=..., for ../shared/peer/bench-pair.sh)", runBench},
		{"quantize", "post-training quantization of a float ONNX model to a QDQ ONNX model", runQuantize},
		{"samples", "manage the labelled sample store", runSamples},
		{"train", "fine-tune a classifier on the store's samples (head, then the last block)", runTrain},
		{"models", "list, show, activate and export the store's model versions", runModels},
		{"eval", "score a model version (or a base model) on the store's samples of a split", runEval},
		{"cameras", "list the V4L2 cameras with their formats, sizes and rates", runCameras},
		{"serve", "run the daemon: classify camera frames, label, retrain; HTTP API and web UI", runServe},
		{"version", "print the version", runVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.As(err, new(usageError)):
				fmt.Fprintf(stderr, "ocellus %s: %v\n", c.name, err)
				return exitUsage
			default:
				fmt.Fprintf(stderr, "ocellus %s: %v\n", c.name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "ocellus: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ocellus COMMAND [flags] [args]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "Run 'ocellus COMMAND -h' for a command's flags.")
}

// usageError marks a command-line mistake (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// newFlags makes a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ocellus "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// buildVersion is set by daemon/dist/release.sh (-X main.buildVersion=…);
// empty, the version comes from the build info.
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		return v + " " + bi.GoVersion
	}
	return "unknown"
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "ocellus %s\n", version())
	return nil
}
