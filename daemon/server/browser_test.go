package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTokenPrompt drives the UI in headless Chromium over the fake
// engine with RequireAuth: a change without the token opens the token prompt;
// a wrong token is refused; the right one is kept (localStorage) and the
// change goes through, and the next change needs no prompt. (The whole UI
// against the real daemon is cmd/ocellus's TestBrowserUI.)
func TestBrowserTokenPrompt(t *testing.T) {
	chrome := ""
	for _, c := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(c); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found: install the Debian package chromium")
		}
		t.Skip("chromium not found (/usr/bin/chromium, or chromium/chromium-browser/google-chrome on PATH)")
	}
	f := newFake(t)
	f.setFrame(testJPEG(t, 1), "circle", 0.8)
	_, h := newTestServer(t, f, Options{RequireAuth: true, Token: testToken})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil { // the browser lives as long as tab
		t.Fatalf("starting %s: %v", chrome, err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(what, expr string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	enterToken := func(tok string) {
		t.Helper()
		poll("the token prompt", `document.getElementById("token-dialog").open`)
		do("entering the token",
			chromedp.Evaluate[chromedp.Void](`document.getElementById("token-input").value = ""`),
			chromedp.SendKeys(chromedp.ID("token-input"), tok),
			chromedp.Click(chromedp.ID("token-save")))
	}

	do("loading the page", chromedp.Navigate(srv.URL+"/"))
	poll("the token button (auth required)", `!document.getElementById("token-btn").hidden`)

	// Without a token: the prompt; a wrong token is refused.
	do("adding a class", chromedp.SendKeys(chromedp.ID("new-class"), "cats"), chromedp.Click(chromedp.ID("add-class")))
	enterToken("wrong")
	poll("the refusal", `document.getElementById("toast").textContent.includes("token")`)
	if c := f.takeCalls(); len(c) > 0 {
		t.Fatalf("refused requests reached the engine: %v", c)
	}
	// Again with the right token: the class is added.
	do("adding the class again", chromedp.Click(chromedp.ID("add-class")))
	enterToken(testToken)
	poll("the new class's button", `!!document.querySelector('#label-buttons button[data-label="cats"]')`)
	do("checking the stored token", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`if (localStorage.getItem("ocellus.token") !== %q) throw new Error("token not kept")`, testToken)))
	// The next change carries the kept token: no prompt.
	do("labelling", chromedp.Click(chromedp.CSS(`#label-buttons button[data-label="cats"]`)))
	poll("the stored sample", `Number(document.getElementById("label-msg").dataset.count || 0) === 1`)
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	open, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("token-dialog").open`))
	if err != nil || open {
		t.Errorf("token prompt open after a change with the kept token (%v)", err)
	}
	labels, err := f.st.Labels()
	if err != nil || len(labels) != 1 || labels[0].Name != "cats" || labels[0].Counts.Total() != 1 {
		t.Errorf("store labels %+v (%v), want cats with one sample", labels, err)
	}
}
