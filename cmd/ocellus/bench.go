package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ocellus/ocellus/internal/lowpeak"
	"github.com/ocellus/ocellus/nn"
	"github.com/ocellus/ocellus/nn/tensor"
)

// runBench times one inference the way ../shared/peer/ortrun does: inputs
// made once, warmup runs, then the median over timed runs. It prints
// key=value lines; bench-pair.sh reads median_ms.
func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	model := fs.String("model", os.Getenv("PEER_MODEL"), "model file (default $PEER_MODEL)")
	iters := fs.Int("iters", 50, "timed runs")
	warmup := fs.Int("warmup", 5, "untimed runs first")
	seed := fs.Int64("seed", 1, "seed of the random inputs")
	threads := fs.Int("threads", envInt("PEER_THREADS", 0), "threads per inference (default $PEER_THREADS, else all cores)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus bench --model M.onnx [--iters 50] [--warmup 5]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" {
		return usagef("--model is required")
	}
	if *iters < 1 || *warmup < 0 {
		return usagef("--iters must be >= 1 and --warmup >= 0")
	}
	t0 := time.Now()
	m, err := new(lowpeak.Loader).Load(*model, &nn.LoadOptions{Lean: true})
	if err != nil {
		return err
	}
	load := time.Since(t0)
	r := rand.New(rand.NewSource(*seed))
	var ins []*tensor.Tensor
	for _, spec := range m.Inputs() {
		x := tensor.New(spec.DType, spec.Shape...)
		for i := range x.F32 {
			x.F32[i] = float32(r.Float64()*2 - 1)
		}
		for i := range x.U8 {
			x.U8[i] = uint8(r.Intn(256))
		}
		ins = append(ins, x)
	}
	s := m.NewSessionWith(nn.SessionOptions{Threads: *threads})
	defer s.Close()
	for i := 0; i < *warmup; i++ {
		if _, err := s.Run(ins...); err != nil {
			return err
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	samples := make([]float64, *iters)
	for i := range samples {
		t := time.Now()
		s.Run(ins...)
		samples[i] = float64(time.Since(t).Nanoseconds()) / 1e6
	}
	runtime.ReadMemStats(&ms1)
	sort.Float64s(samples)
	median := samples[len(samples)/2]
	if len(samples)%2 == 0 {
		median = (samples[len(samples)/2-1] + samples[len(samples)/2]) / 2
	}
	p90 := samples[(len(samples)*9+9)/10-1]
	fmt.Fprintf(stdout, "threads=%d\n", s.Threads())
	fmt.Fprintf(stdout, "model=%s\nload_ms=%.3f\niters=%d\nmin_ms=%.4f\nmedian_ms=%.4f\np90_ms=%.4f\nmax_ms=%.4f\n",
		*model, float64(load.Nanoseconds())/1e6, *iters, samples[0], median, p90, samples[len(samples)-1])
	fmt.Fprintf(stdout, "allocs_per_run=%.2f\narena_bytes=%d\npeak_rss_mb=%.1f\n",
		float64(ms1.Mallocs-ms0.Mallocs)/float64(*iters), m.ArenaBytes(), peakRSSMB())
	return nil
}

// peakRSSMB reads VmHWM from /proc/self/status (0 where unavailable).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	var kb float64
	for _, line := range strings.Split(string(b), "\n") {
		if n, _ := fmt.Sscanf(line, "VmHWM: %f kB", &kb); n == 1 {
			return kb / 1024
		}
	}
	return 0
}

// envInt reads an integer environment variable, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
