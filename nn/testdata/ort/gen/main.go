//go:build ignore

// Command gen writes ONNX Runtime's top-1 class for mobilenetv2-12-int8.onnx
// on every image of ../shared/images and ../shared/datasets/hymenoptera/val,
// preprocessed by ocellus (bilinear_hp, ImageNet mean/std, NCHW), to
// nn/testdata/ort/mobilenetv2-12-int8/top1.tsv. The int8 agreement test
// compares ocellus's top-1 with it. Run from the repository root:
//
//	go run nn/testdata/ort/gen/main.go -ortrun /tmp/ort-peer/ortrun
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/internal/npy"
)

func main() {
	ortrun := flag.String("ortrun", "/tmp/ort-peer/ortrun", "ortrun binary (../shared/peer/setup.sh)")
	shared := flag.String("shared", "../shared", "shared assets")
	out := flag.String("out", "nn/testdata/ort/mobilenetv2-12-int8/top1.tsv", "output file")
	flag.Parse()
	model := filepath.Join(*shared, "models/onnx/mobilenetv2-12-int8.onnx")
	var images []string
	for _, pat := range []string{"images/*.bmp", "images/*.jpg", "images/*.png", "datasets/hymenoptera/val/*/*"} {
		m, _ := filepath.Glob(filepath.Join(*shared, pat))
		images = append(images, m...)
	}
	sort.Strings(images)
	spec := preprocess.DefaultSpec()
	pre, err := preprocess.NewPreprocessor(spec)
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "ortgen")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	var lines []string
	buf := make([]float32, spec.Len())
	for _, img := range images {
		rgb, err := preprocess.DecodeFile(img)
		if err != nil {
			log.Fatal(err)
		}
		pre.Run(rgb, buf)
		in := filepath.Join(tmp, "in.npy")
		if err := npy.WriteFile(in, &npy.Array{DType: "float32", Shape: []int{1, 3, 224, 224}, F32: buf}); err != nil {
			log.Fatal(err)
		}
		od := filepath.Join(tmp, "out")
		cmd := exec.Command(*ortrun, "-model", model, "-input", "input="+in, "-iters", "1", "-warmup", "0", "-out", od)
		if b, err := cmd.CombinedOutput(); err != nil {
			log.Fatalf("%s: %v\n%s", img, err, b)
		}
		o, err := npy.ReadFile(filepath.Join(od, "output.npy"))
		if err != nil {
			log.Fatal(err)
		}
		best, second := 0, -1
		for i, v := range o.F32 {
			if v > o.F32[best] {
				second, best = best, i
			} else if i != best && (second < 0 || v > o.F32[second]) {
				second = i
			}
		}
		var ties []string
		for i, v := range o.F32 {
			if v == o.F32[best] {
				ties = append(ties, fmt.Sprint(i))
			}
		}
		rel, _ := filepath.Rel(*shared, img)
		lines = append(lines, fmt.Sprintf("%s\t%s\t%.4f\t%.4f", rel, strings.Join(ties, ","), o.F32[best], o.F32[best]-o.F32[second]))
	}
	hdr := "# ONNX Runtime 1.30.0 top-1 of mobilenetv2-12-int8.onnx; ocellus preprocessing (bilinear_hp, imagenet mean/std, NCHW)\n# image\ttop1 (all tied maxima)\ttop1 value\tmargin to the next distinct value\n"
	if err := os.WriteFile(*out, []byte(hdr+strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d images -> %s\n", len(lines), *out)
}
