package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocellus/ocellus/camera"
	"github.com/ocellus/ocellus/daemon/api"
	"github.com/ocellus/ocellus/store"
)

// The tests here run the real binary: `ocellus serve` on the demo source in a temporary data
// directory, driven over HTTP as the web UI drives it.

// serveProc is a running `ocellus serve`.
type serveProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
	done chan error
}

// syncBuffer collects a process's stderr.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveConfig writes a config file: the demo at fps frames/s, training on request only, small
// enough to take seconds.
func serveConfig(t *testing.T, dir string, fps float64, headEpochs int) string {
	t.Helper()
	cfg := map[string]any{
		"cameras": []map[string]any{{"name": "cam0", "source": "demo", "fps": fps}},
		"inbox":   map[string]any{"threshold": 0},
		"training": map[string]any{"auto": false, "head_epochs": headEpochs, "epochs": 3, "patience": headEpochs,
			"batch": 8, "head_lr": 0.003, "threads": 1},
		"inference_threads": 1,
	}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(dir, fmt.Sprintf("config-%d.json", headEpochs))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var listenRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServe starts the binary on a free loopback port and waits until it listens and is ready.
func startServe(t *testing.T, bin, data, config string) *serveProc {
	return startServeOn(t, bin, "127.0.0.1:0", data, config)
}

func startServeOn(t *testing.T, bin, listen, data, config string) *serveProc {
	t.Helper()
	p := &serveProc{t: t, logs: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "serve", "--listen", listen, "--data", data, "--config", config)
	p.cmd.Stderr = p.logs
	p.cmd.Env = append(os.Environ(), "OCELLUS_TOKEN=", "OCELLUS_LISTEN=", "OCELLUS_CAMERA=", "OCELLUS_MODEL=")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("ocellus serve log:\n%s", p.logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for p.url == "" {
		if m := listenRE.FindStringSubmatch(p.logs.String()); m != nil {
			host, port, err := net.SplitHostPort(m[1])
			if err != nil {
				t.Fatalf("listen address %q: %v", m[1], err)
			}
			if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
				host = "127.0.0.1" // bound to every interface: reach it on loopback
			}
			p.url = "http://" + net.JoinHostPort(host, port)
			break
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("ocellus serve exited: %v\n%s", err, p.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("ocellus serve did not listen within a minute:\n%s", p.logs.String())
		}
	}
	p.waitFor("readiness", time.Minute, func() bool {
		r, err := http.Get(p.url + "/api/v1/ready")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == http.StatusOK
	})
	return p
}

func (p *serveProc) waitFor(what string, d time.Duration, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends a request with a JSON body (nil: none) and decodes a JSON answer into out (nil: drop);
// it returns the status code.
func (p *serveProc) do(method, path string, body, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.url+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return p.send(req, out)
}

func (p *serveProc) send(req *http.Request, out any) int {
	p.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			p.t.Fatalf("%s %s: %v in %s", req.Method, req.URL.Path, err, b)
		}
	}
	return resp.StatusCode
}

// must is do that fails the test unless the status is want.
func (p *serveProc) must(want int, method, path string, body, out any) {
	p.t.Helper()
	if got := p.do(method, path, body, out); got != want {
		p.t.Fatalf("%s %s: status %d, want %d", method, path, got, want)
	}
}

// upload stores an image as a sample (multipart, as the UI's upload does).
func (p *serveProc) upload(img []byte, label string) store.Sample {
	p.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("image", "frame.jpg")
	fw.Write(img)
	mw.WriteField("label", label)
	mw.Close()
	req, _ := http.NewRequest("POST", p.url+"/api/v1/samples", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var smp store.Sample
	if got := p.send(req, &smp); got != http.StatusCreated {
		p.t.Fatalf("upload: status %d", got)
	}
	return smp
}

// train starts a run and waits for its outcome.
func (p *serveProc) train() api.RunOutcome {
	p.t.Helper()
	var started struct {
		Run store.RunID `json:"run"`
	}
	p.must(http.StatusAccepted, "POST", "/api/v1/training", nil, &started)
	var tr api.Training
	p.waitFor(fmt.Sprintf("training run %d", started.Run), 3*time.Minute, func() bool {
		p.must(http.StatusOK, "GET", "/api/v1/training", nil, &tr)
		return tr.State == "idle" && tr.Last != nil && tr.Last.Run == started.Run
	})
	return *tr.Last
}

func (p *serveProc) metrics() map[string]float64 {
	p.t.Helper()
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Fatalf("ocellus serve after SIGTERM: %v\n%s", err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		p.t.Fatalf("ocellus serve did not stop within 30 s of SIGTERM")
	}
}

// kill sends SIGKILL.
func (p *serveProc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

var demoClassLabel = map[string]string{"circle": "round", "square": "boxy"}

// demoUploads renders frames of the demo (seed 0, as `--camera demo` shows) and uploads n
// circles as "round" and n squares as "boxy".
func demoUploads(t *testing.T, p *serveProc, n int) {
	demo, err := camera.NewDemo(camera.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, h := demo.Size()
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	pix := make([]uint8, w*h*3)
	count := map[string]int{}
	for seq := uint64(3); count["round"] < n || count["boxy"] < n; seq += 5 {
		label := demoClassLabel[demo.Scene(seq).Class.String()]
		if label == "" || count[label] >= n {
			continue
		}
		demo.Render(pix, seq)
		for i, j := 0, 0; i < len(pix); i, j = i+3, j+4 {
			rgba.Pix[j], rgba.Pix[j+1], rgba.Pix[j+2], rgba.Pix[j+3] = pix[i], pix[i+1], pix[i+2], 255
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: 90})
		p.upload(buf.Bytes(), label)
		count[label]++
	}
}

func buildServe(t *testing.T) string {
	if testing.Short() {
		t.Skip("builds and runs the real binary; skipped with -short")
	}
	return buildOcellus(t)
}

// TestServeE2E labels live demo frames of two classes over HTTP (frames the starter calls
// "circle" become "round", "square" become "boxy"), trains, and sees the new model promoted and
// the live predictions switch to the new labels, right on the demo's scenes; then it swaps the
// train split's labels and trains again: that model is worse on val and not promoted.
func TestServeE2E(t *testing.T) {
	bin := buildServe(t)
	dir := t.TempDir()
	p := startServe(t, bin, filepath.Join(dir, "data"), serveConfig(t, dir, 60, 15))
	for _, l := range []string{"round", "boxy"} {
		p.must(http.StatusCreated, "POST", "/api/v1/labels", map[string]string{"name": l}, nil)
	}
	// Capture: poll the live prediction, label the current frame by what the starter says.
	const perClass = 12
	count := map[string]int{}
	lastSeq := map[string]uint64{}
	deadline := time.Now().Add(2 * time.Minute)
	for count["round"] < perClass || count["boxy"] < perClass {
		if time.Now().After(deadline) {
			t.Fatalf("captured only %v in 2 minutes", count)
		}
		var pr api.Prediction
		p.must(http.StatusOK, "GET", "/api/v1/cameras/cam0/prediction", nil, &pr)
		label := demoClassLabel[pr.Label]
		if label == "" || count[label] >= perClass || pr.Seq < lastSeq[label]+4 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		var smp store.Sample
		code := p.do("POST", "/api/v1/cameras/cam0/capture", map[string]string{"label": label}, &smp)
		if code == http.StatusConflict { // the same frame again
			continue
		}
		if code != http.StatusCreated {
			t.Fatalf("capture: status %d", code)
		}
		if demoClassLabel[smp.Prediction] != label {
			// The frame changed between the two requests: the starter called it something else.
			p.must(http.StatusNoContent, "DELETE", fmt.Sprintf("/api/v1/samples/%d", smp.ID), nil, nil)
			continue
		}
		count[label]++
		lastSeq[label] = pr.Seq
	}

	events := p.subscribe("prediction")
	out := p.train()
	if out.Status != "succeeded" || out.Compared == nil || !out.Compared.Promoted || out.Model == 0 {
		t.Fatalf("first run: %+v compared %+v", out, out.Compared)
	}
	t.Logf("first run %d: %s", out.Run, out.Compared.Reason)
	var models struct {
		Active api.ModelInfo `json:"active"`
	}
	p.must(http.StatusOK, "GET", "/api/v1/models", nil, &models)
	if models.Active.ID != out.Model || !slices.Equal(sorted(models.Active.Classes), []string{"boxy", "round"}) {
		t.Fatalf("active model %+v, want version %d with classes boxy, round", models.Active, out.Model)
	}
	// The live predictions now use the new model and its labels, right on the demo's circles and
	// squares.
	demo, _ := camera.NewDemo(camera.Options{})
	right, total := 0, 0
	timeout := time.After(90 * time.Second)
	for total < 20 {
		select {
		case pr := <-events:
			if pr.ModelID != out.Model {
				continue
			}
			want := demoClassLabel[demo.Scene(pr.Seq).Class.String()]
			if pr.Label != "round" && pr.Label != "boxy" {
				t.Fatalf("prediction %+v is not one of the new labels", pr)
			}
			if want == "" {
				continue // a frame of another class: either label will do
			}
			total++
			if pr.Label == want {
				right++
			}
		case <-timeout:
			t.Fatalf("only %d predictions of the new model on circles and squares in 90 s", total)
		}
	}
	if right < total*8/10 {
		t.Fatalf("the new model is right on %d of %d demo circles and squares", right, total)
	}

	// Swap the train split's labels: a model trained on them is worse on val.
	var page struct {
		Samples []store.Sample `json:"samples"`
	}
	p.must(http.StatusOK, "GET", "/api/v1/samples?split=train&limit=1000", nil, &page)
	if len(page.Samples) < perClass {
		t.Fatalf("%d train samples", len(page.Samples))
	}
	for _, s := range page.Samples {
		to := map[string]string{"round": "boxy", "boxy": "round"}[s.Label]
		p.must(http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/samples/%d", s.ID), map[string]string{"label": to}, nil)
	}
	out2 := p.train()
	if out2.Status != "succeeded" || out2.Compared == nil || out2.Compared.Promoted {
		t.Fatalf("second run: %+v compared %+v", out2, out2.Compared)
	}
	t.Logf("second run %d: %s", out2.Run, out2.Compared.Reason)
	p.must(http.StatusOK, "GET", "/api/v1/models", nil, &models)
	if models.Active.ID != out.Model {
		t.Fatalf("active model %d after the worse run, want %d", models.Active.ID, out.Model)
	}
	var pr api.Prediction
	p.must(http.StatusOK, "GET", "/api/v1/cameras/cam0/prediction", nil, &pr)
	if pr.ModelID != out.Model {
		t.Fatalf("prediction by model %d, want %d", pr.ModelID, out.Model)
	}
	p.stop()
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// subscribe reads the SSE stream of the given event types and delivers its predictions (other
// events are dropped); it stops when the test ends.
func (p *serveProc) subscribe(types string) <-chan api.Prediction {
	p.t.Helper()
	resp, err := http.Get(p.url + "/api/v1/events?types=" + types)
	if err != nil {
		p.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("events: status %d", resp.StatusCode)
	}
	ch := make(chan api.Prediction, 1024)
	p.t.Cleanup(func() { resp.Body.Close() })
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "prediction":
				var pr api.Prediction
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &pr) == nil {
					select {
					case ch <- pr:
					default:
					}
				}
			}
		}
	}()
	return ch
}

// TestServeKillDuringTraining stops the daemon in the middle of a training run, first with
// SIGTERM (a clean exit, the run cancelled), then with SIGKILL: restarted, it runs the last active
// model, has every sample, and the killed run is marked failed (interrupted).
func TestServeKillDuringTraining(t *testing.T) {
	bin := buildServe(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	small := serveConfig(t, dir, 30, 15)
	p := startServe(t, bin, data, small)
	for _, l := range []string{"round", "boxy"} {
		p.must(http.StatusCreated, "POST", "/api/v1/labels", map[string]string{"name": l}, nil)
	}
	demoUploads(t, p, 10)
	out := p.train()
	if !out.Compared.Promoted {
		t.Fatalf("first run not promoted: %+v", out.Compared)
	}
	p.stop()

	// A run that takes long: SIGTERM during it stops the daemon cleanly, the run cancelled.
	long := serveConfig(t, dir, 30, 100000)
	p = startServe(t, bin, data, long)
	var first struct {
		Run store.RunID `json:"run"`
	}
	p.must(http.StatusAccepted, "POST", "/api/v1/training", nil, &first)
	p.waitFor("an epoch", time.Minute, func() bool {
		var tr api.Training
		p.must(http.StatusOK, "GET", "/api/v1/training", nil, &tr)
		return len(tr.History) > 0
	})
	p.stop()

	// The same, killed once it has trained an epoch.
	p = startServe(t, bin, data, long)
	var cancelled struct {
		Run store.Run `json:"run"`
	}
	p.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/runs/%d", first.Run), nil, &cancelled)
	if cancelled.Run.Status != store.RunCancelled {
		t.Fatalf("the run stopped by SIGTERM: %+v", cancelled.Run)
	}
	var n struct {
		Samples []store.Sample `json:"samples"`
	}
	p.must(http.StatusOK, "GET", "/api/v1/samples?limit=1000", nil, &n)
	before := len(n.Samples)
	var started struct {
		Run store.RunID `json:"run"`
	}
	p.must(http.StatusAccepted, "POST", "/api/v1/training", nil, &started)
	var tr api.Training
	p.waitFor("an epoch", time.Minute, func() bool {
		p.must(http.StatusOK, "GET", "/api/v1/training", nil, &tr)
		return len(tr.History) > 0
	})
	p.kill()

	// Restart listening on every interface: mutating requests now need the generated token.
	p = startServeOn(t, bin, "0.0.0.0:0", data, small)
	var st api.Status
	p.must(http.StatusOK, "GET", "/api/v1/status", nil, &st)
	if st.Model.ID != out.Model {
		t.Fatalf("after the kill the daemon runs model %d, want the last active %d", st.Model.ID, out.Model)
	}
	if !st.AuthRequired {
		t.Fatalf("status off loopback: auth_required false")
	}
	tokenPath := filepath.Join(data, "token")
	fi, err := os.Stat(tokenPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v", fi, err)
	}
	if code := p.do("POST", "/api/v1/labels", map[string]string{"name": "nope"}, nil); code != http.StatusUnauthorized {
		t.Fatalf("POST /api/v1/labels without the token: status %d, want 401", code)
	}
	tok, _ := os.ReadFile(tokenPath)
	req, _ := http.NewRequest("POST", p.url+"/api/v1/labels", strings.NewReader(`{"name":"third"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	if code := p.send(req, nil); code != http.StatusCreated {
		t.Fatalf("POST /api/v1/labels with the token: status %d", code)
	}
	p.must(http.StatusOK, "GET", "/api/v1/samples?limit=1000", nil, &n)
	if len(n.Samples) != before || before != 20 {
		t.Fatalf("%d samples after the kill, %d before, 20 uploaded", len(n.Samples), before)
	}
	var run struct {
		Run store.Run `json:"run"`
	}
	p.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/runs/%d", started.Run), nil, &run)
	if run.Run.Status != store.RunFailed || !strings.Contains(run.Run.Error, "interrupted") {
		t.Fatalf("the killed run: %+v", run.Run)
	}
	var pr api.Prediction
	p.waitFor("a prediction", 30*time.Second, func() bool {
		return p.do("GET", "/api/v1/cameras/cam0/prediction", nil, &pr) == http.StatusOK
	})
	if pr.ModelID != out.Model {
		t.Fatalf("prediction by model %d, want %d", pr.ModelID, out.Model)
	}
	p.stop()
}

// soakDuration is 60 s in CI (CI=true), else OCELLUS_SOAK (a duration), else 6 s.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("OCELLUS_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("OCELLUS_SOAK=%q: %v", v, err)
		}
		return d
	}
	if os.Getenv("CI") == "true" {
		return time.Minute
	}
	return 6 * time.Second
}

func vmRSS(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc/%d/status (%v): the soak test reads RSS from it", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// TestServeSoak runs the demo unpaced (as fast as the loop takes frames) for soakDuration: the
// first half idle, the second with training runs back to back. RSS and the goroutine count stay
// flat, every frame is classified or skipped for a newer one, and it reports frames/s and the
// inference latency percentiles with and without training (for BENCHMARKS.md).
func TestServeSoak(t *testing.T) {
	bin := buildServe(t)
	dur := soakDuration(t)
	dir := t.TempDir()
	p := startServe(t, bin, filepath.Join(dir, "data"), serveConfig(t, dir, 1000, 40))
	for _, l := range []string{"round", "boxy"} {
		p.must(http.StatusCreated, "POST", "/api/v1/labels", map[string]string{"name": l}, nil)
	}
	demoUploads(t, p, 10)
	events := p.subscribe("prediction")
	pid := p.cmd.Process.Pid

	type sample struct {
		rss, goroutines, frames, classified, dropped float64
		at                                           time.Time
	}
	take := func() sample {
		m := p.metrics()
		return sample{rss: vmRSS(t, pid), goroutines: m["go_goroutines"], frames: m[`ocellus_frames_total{camera="cam0"}`],
			classified: m[`ocellus_frames_classified_total{camera="cam0"}`], dropped: m[`ocellus_frames_dropped_total{camera="cam0"}`], at: time.Now()}
	}
	var idleLat, trainLat []float64
	var samples []sample
	start := time.Now()
	training := false
	var trainStart sample
	tick := time.NewTicker(max(dur/30, 100*time.Millisecond))
	defer tick.Stop()
	for time.Since(start) < dur {
		select {
		case pr := <-events:
			var tr api.Training
			if training {
				p.do("GET", "/api/v1/training", nil, &tr)
			}
			if training && tr.State == "running" {
				trainLat = append(trainLat, pr.LatencyMS)
			} else if !training {
				idleLat = append(idleLat, pr.LatencyMS)
			}
		case <-tick.C:
			samples = append(samples, take())
			if time.Since(start) > dur/2 {
				var tr api.Training
				p.must(http.StatusOK, "GET", "/api/v1/training", nil, &tr)
				if tr.State == "idle" {
					if !training {
						trainStart = samples[len(samples)-1]
					}
					training = true
					p.do("POST", "/api/v1/training", nil, nil)
				}
			}
		}
	}
	end := take()
	// Let a last run finish, so the daemon stops quickly.
	p.do("DELETE", "/api/v1/training", nil, nil)
	p.stop()

	warm := samples[len(samples)/5]
	maxRSS, minG, maxG := 0.0, math.Inf(1), 0.0
	for _, s := range samples[len(samples)/5:] {
		maxRSS = max(maxRSS, s.rss)
		minG, maxG = min(minG, s.goroutines), max(maxG, s.goroutines)
	}
	t.Logf("soak %v: RSS %.1f MiB after warm-up, max %.1f MiB, end %.1f MiB; goroutines %v..%v",
		dur, warm.rss/(1<<20), maxRSS/(1<<20), end.rss/(1<<20), minG, maxG)
	idleFPS := (trainStart.classified - samples[0].classified) / trainStart.at.Sub(samples[0].at).Seconds()
	trainFPS := (end.classified - trainStart.classified) / end.at.Sub(trainStart.at).Seconds()
	t.Logf("frames/s classified: %.1f idle, %.1f while training (frames in %.0f, classified %.0f, dropped %.0f)",
		idleFPS, trainFPS, end.frames, end.classified, end.dropped)
	t.Logf("inference latency idle: p50 %.2f ms p99 %.2f ms (%d predictions sampled); while training: p50 %.2f ms p99 %.2f ms (%d)",
		pct(idleLat, 50), pct(idleLat, 99), len(idleLat), pct(trainLat, 50), pct(trainLat, 99), len(trainLat))
	// Flat: the RSS may grow by a quarter plus 16 MiB after warm-up (the allocator, the store's
	// map, training buffers), not without bound; goroutines vary only by the few the HTTP
	// requests and a training run use.
	if maxRSS > warm.rss*1.25+16<<20 {
		t.Errorf("RSS grew from %.1f MiB to %.1f MiB", warm.rss/(1<<20), maxRSS/(1<<20))
	}
	if maxG-minG > 12 {
		t.Errorf("goroutines vary from %v to %v", minG, maxG)
	}
	// Only frame skipping: every frame is classified or dropped for a newer one (at most the one
	// in the slot and the one being classified are neither; the scrape reads the three counters
	// a few microseconds apart, hence the slack).
	if q := end.frames - end.classified - end.dropped; q < -3 || q > 5 {
		t.Errorf("%v frames neither classified nor dropped (frames %v, classified %v, dropped %v)", q, end.frames, end.classified, end.dropped)
	}
	if end.classified < 10 {
		t.Errorf("only %v frames classified", end.classified)
	}
}

func pct(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[min(len(s)-1, int(math.Ceil(p/100*float64(len(s))))-1)]
}
