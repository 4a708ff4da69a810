package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestBrowserUI drives the web UI in headless Chromium against the real binary:
// `ocellus serve --camera demo` in a temporary data folder, with training kept
// small. The page loads and shows live predictions; two classes are added in
// the class field and frames labelled with their buttons; Train runs, and the
// loss/AUC curves and the confusion matrix render. Screenshots (desktop and
// phone sizes) go to $OCELLUS_ARTIFACTS (default: a temporary folder), and
// their paths are logged. A JavaScript exception on the page fails the test.
//
// Chromium is /usr/bin/chromium (Debian package chromium) or the first of
// chromium, chromium-browser, google-chrome on PATH; the test skips without it
// unless CI=true. OCELLUS_BROWSER_URL=http://HOST:PORT runs it against a server
// that is already running instead (e.g. the fake engine of daemon/server's
// TestDevUI, for work on the UI).
func TestBrowserUI(t *testing.T) {
	chrome := findChromium()
	if chrome == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found (/usr/bin/chromium, or chromium/chromium-browser/google-chrome on PATH): install the Debian package chromium")
		}
		t.Skip("chromium not found (/usr/bin/chromium, or chromium/chromium-browser/google-chrome on PATH); install the Debian package chromium")
	}
	url := os.Getenv("OCELLUS_BROWSER_URL")
	if url == "" {
		if testing.Short() {
			t.Skip("builds and runs the real binary; skipped with -short")
		}
		url = startBrowserServe(t)
	}
	artifacts := os.Getenv("OCELLUS_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	} else if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox, // CI containers run as root
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	// The tab's context has no timeout (a timeout on the first call would stop
	// the browser); each step below gets its own.
	tab, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelTab()

	// Start the browser on the tab's context: it lives as long as the context
	// of the first call.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting %s: %v", chrome, err)
	}
	// JavaScript exceptions and console errors on the page.
	var mu sync.Mutex
	var jsErrors []string
	go func() {
		for ev, err := range chromedp.Events(tab, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			mu.Lock()
			jsErrors = append(jsErrors, (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
			mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(tab, runtime.ConsoleAPICalled) {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value))
				}
				t.Logf("console error: %s", strings.Join(parts, " "))
			}
		}
	}()

	failed := func(what string, err error) {
		t.Helper()
		shot := filepath.Join(artifacts, "ui-failure.png")
		sctx, scancel := context.WithTimeout(tab, 20*time.Second)
		defer scancel()
		if buf, serr := chromedp.Run(sctx, chromedp.FullScreenshot(100)); serr == nil && os.WriteFile(shot, buf, 0o644) == nil {
			t.Logf("screenshot of the failure: %s", shot)
		}
		t.Fatalf("%s: %v", what, err)
	}
	// do runs steps with a time limit.
	do := func(what string, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, d)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			failed(what, err)
		}
	}
	// poll waits until a JavaScript expression is true.
	poll := func(what, expr string, d time.Duration) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, d+10*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			failed("waiting for "+what, err)
		}
	}
	eval := func(expr string) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			failed("evaluating "+expr, err)
		}
		return v
	}
	const seqExpr = `Number(document.getElementById("prediction").dataset.seq)`

	// The page loads; the live view and predictions arrive.
	do("loading the page", time.Minute, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("live-img")))
	poll("a live prediction", seqExpr+` > 0`, time.Minute)
	first := eval(seqExpr)
	poll("the next live prediction", fmt.Sprintf(`%s > %d`, seqExpr, first), time.Minute)
	poll("the live view's frame", `document.getElementById("live-img").naturalWidth > 0`, time.Minute)
	poll("the top-k bars", `document.querySelectorAll('#topk [data-testid="topk-row"]').length > 0`, 10*time.Second)
	lctx, lcancel := context.WithTimeout(tab, 10*time.Second)
	label, err := chromedp.Run(lctx, chromedp.Text(chromedp.ID("pred-label")))
	lcancel()
	if err != nil || label == "" || label == "—" {
		t.Errorf("prediction shown without a label: %q (%v)", label, err)
	}

	// Two classes through the class field.
	classes := []string{"round", "boxy"}
	for _, c := range classes {
		do("adding class "+c, 30*time.Second,
			chromedp.SendKeys(chromedp.ID("new-class"), c),
			chromedp.Click(chromedp.ID("add-class")),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#label-buttons button[data-label=%q]`, c))))
	}

	// Label frames: "round" when the starter model sees a circle, "boxy" when it
	// sees a square. Each click stores the frame the camera has then; waiting
	// for a newer prediction between clicks makes each one a new frame. (If
	// the page shows another model's labels, any frame will do.)
	const perClass = 6
	seen := map[string]string{"round": "circle", "boxy": "square"}
	labelled := 0
	for i := range perClass {
		for _, c := range classes {
			last := eval(seqExpr)
			poll(fmt.Sprintf("a new frame the model calls %s", seen[c]), fmt.Sprintf(
				`%s > %d && (document.getElementById("prediction").dataset.label === %q || !document.querySelector('#label-buttons button[data-label=%q]'))`,
				seqExpr, last, seen[c], seen[c]), 2*time.Minute)
			do(fmt.Sprintf("clicking %s (%d)", c, i+1), 30*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#label-buttons button[data-label=%q]`, c))))
			labelled++
			poll(fmt.Sprintf("sample %d stored", labelled), fmt.Sprintf(`Number(document.getElementById("label-msg").dataset.count || 0) >= %d`, labelled), 30*time.Second)
		}
	}
	// The store has them.
	resp, err := http.Get(url + "/api/v1/labels")
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct {
		Name   string
		Counts struct{ Train, Val, Test int }
	}
	err = json.NewDecoder(resp.Body).Decode(&labels)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range classes {
		n := -1
		for _, l := range labels {
			if l.Name == c {
				n = l.Counts.Train + l.Counts.Val + l.Counts.Test
			}
		}
		if n != perClass {
			t.Errorf("label %q has %d samples in the store, want %d (labels %+v)", c, n, perClass, labels)
		}
	}
	poll("the gallery", fmt.Sprintf(`document.querySelectorAll('#gallery [data-testid="sample"]').length >= %d`, 2*perClass), 30*time.Second)

	// Train; the curves and the confusion matrix render.
	do("clicking Train", 30*time.Second, chromedp.Click(chromedp.ID("train-btn")))
	poll("the run's end", `["succeeded","failed","cancelled"].includes(document.getElementById("train-outcome").dataset.status)`, 4*time.Minute)
	octx, ocancel := context.WithTimeout(tab, 10*time.Second)
	outcome, err := chromedp.Run(octx, chromedp.Text(chromedp.ID("train-outcome")))
	ocancel()
	t.Logf("training: %s", outcome)
	if err != nil || !strings.Contains(outcome, "succeeded") {
		failed("training", fmt.Errorf("did not succeed: %q (%v)", outcome, err))
	}
	poll("the loss curve", `Number(document.getElementById("loss-chart").dataset.points) > 0 && document.querySelectorAll("#loss-chart circle").length > 0`, time.Minute)
	poll("the AUC curve", `Number(document.getElementById("auc-chart").dataset.points) > 0`, time.Minute)
	poll("the confusion matrix", `Number(document.getElementById("confusion").dataset.run) > 0 && `+
		`(document.querySelectorAll('#confusion [data-testid="confusion-matrix"] rect').length >= 4 || `+
		`[...document.querySelectorAll("#confusion img")].some((i) => i.naturalWidth > 0))`, time.Minute)
	poll("the new model in the history", `document.querySelectorAll('#models [data-testid="model-row"]').length > 0`, time.Minute)

	// Screenshots: desktop, then a phone's screen (once the last message faded).
	poll("the message to fade", `!document.getElementById("toast").classList.contains("show")`, 30*time.Second)
	shot := func(what string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			failed(what, err)
		}
		return b
	}
	desktop := shot("screenshot")
	do("phone viewport", 20*time.Second,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Sleep(500*time.Millisecond))
	phone := shot("phone screenshot")
	if w := eval(`document.documentElement.scrollWidth - window.innerWidth`); w > 1 {
		t.Errorf("on a 390 px wide screen the page scrolls sideways by %d px", w)
	}
	for name, b := range map[string][]byte{"ui-desktop.png": desktop, "ui-phone.png": phone} {
		p := filepath.Join(artifacts, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, e := range jsErrors {
		t.Errorf("JavaScript exception on the page: %s", e)
	}
}

// findChromium returns the Chromium executable, or "" if there is none.
func findChromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowserServe builds ocellus and starts `ocellus serve --camera demo` on a
// free loopback port with a small training configuration; it returns the URL
// once the daemon is ready.
func startBrowserServe(t *testing.T) string {
	t.Helper()
	bin := buildOcellus(t)
	dir := t.TempDir()
	cfg := map[string]any{
		"cameras": []map[string]any{{"name": "cam0", "source": "demo", "fps": 15}},
		"inbox":   map[string]any{"threshold": 0},
		"training": map[string]any{"auto": false, "head_epochs": 15, "epochs": 2, "patience": 15,
			"batch": 8, "head_lr": 0.003, "threads": 1},
		"inference_threads": 1,
	}
	b, _ := json.Marshal(cfg)
	config := filepath.Join(dir, "config.json")
	if err := os.WriteFile(config, b, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	var logs strings.Builder
	var logMu sync.Mutex
	cmd := exec.Command(bin, "serve", "--camera", "demo", "--data", filepath.Join(dir, "data"), "--listen", addr, "--config", config)
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	})
	cmd.Env = append(os.Environ(), "OCELLUS_TOKEN=", "OCELLUS_LISTEN=", "OCELLUS_CAMERA=", "OCELLUS_MODEL=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			logMu.Lock()
			t.Logf("ocellus serve log:\n%s", logs.String())
			logMu.Unlock()
		}
	})
	url := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		r, err := http.Get(url + "/api/v1/ready")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-done:
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("ocellus serve exited: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("ocellus serve not ready within 2 minutes")
		}
	}
}

// writerFunc is an io.Writer from a function.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
