// Command gen trains the starter model from scratch on the demo scenes and
// writes it (the file daemon/starter embeds). Run it from daemon/starter
// with `go generate`, which builds it with -tags purego so that the bytes
// do not depend on the CPU's vector units (see daemon/starter's package
// comment):
//
//	go run -tags purego ./gen -o starter.onnx
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ocellus/ocellus/daemon/starter/internal/build"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/onnx"
)

func main() {
	out := flag.String("o", "starter.onnx", "output ONNX file")
	seed := flag.Uint64("seed", 1, "training seed")
	epochs := flag.Int("epochs", 0, "epochs (0: the default)")
	shots := flag.Int("shots", 0, "demo shots rendered for training (0: the default)")
	eval := flag.Int("eval", 1000, "held-out frames (demo seed 2) to report the accuracy on; 0: none")
	flag.Parse()
	if err := run(*out, *seed, *epochs, *shots, *eval); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string, seed uint64, epochs, shots, eval int) error {
	res, err := build.Train(build.Config{Seed: seed, Epochs: epochs, Shots: shots, Progress: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "trained in %v: %d steps, last epoch loss %.4f, train accuracy %.4f, %d bytes\n",
		res.Duration.Round(time.Millisecond), res.Steps, res.TrainLoss, res.TrainAcc, len(res.ONNX))
	if eval > 0 {
		im, err := onnx.Import(res.ONNX, nil)
		if err != nil {
			return err
		}
		m, err := nn.FromONNX(im, nil)
		if err != nil {
			return err
		}
		for _, sz := range [][2]int{{320, 240}, {640, 480}, {160, 120}, {256, 256}} {
			n := eval
			if sz != [2]int{320, 240} {
				n = max(eval/4, 1) // other sizes: fewer frames
			}
			imgs, labels, err := build.Frames(2, sz[0], sz[1], build.HeldOutSeqs(n))
			if err != nil {
				return err
			}
			acc, conf, err := build.Evaluate(m, imgs, labels)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "held-out accuracy %.4f on %d frames of %dx%d (demo seed 2); confusion [true][pred] %v\n",
				acc, len(imgs), sz[0], sz[1], conf)
		}
	}
	return os.WriteFile(out, res.ONNX, 0o644)
}
