package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocellus/ocellus/daemon"
)

// TestServePrintConfig checks the precedence flags > file > environment > defaults.
func TestServePrintConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OCELLUS_DATA", filepath.Join(dir, "envdata"))
	t.Setenv("OCELLUS_LISTEN", "127.0.0.1:7000")
	t.Setenv("OCELLUS_CAMERA", "demo:4")
	t.Setenv("OCELLUS_MODEL", "")
	t.Setenv("OCELLUS_TOKEN", "secret")
	cfgFile := filepath.Join(dir, "c.json")
	os.WriteFile(cfgFile, []byte(`{"listen": "127.0.0.1:7001", "top_k": 3, "training": {"threads": 2}}`), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--print-config", "--config", cfgFile, "--camera", "demo:9"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var cfg daemon.Config
	if err := json.Unmarshal(out.Bytes(), &cfg); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if cfg.Listen != "127.0.0.1:7001" || cfg.Data != filepath.Join(dir, "envdata") || cfg.Cameras[0].Source != "demo:9" ||
		cfg.TopK != 3 || cfg.Training.Threads != 2 || cfg.Inbox.Max != daemon.DefaultConfig().Inbox.Max {
		t.Fatalf("effective config %+v", cfg)
	}
	if cfg.Token != "(set)" || strings.Contains(out.String(), "secret") {
		t.Fatalf("the token is printed: %s", out.String())
	}
	os.WriteFile(cfgFile, []byte(`{"top_k": 0}`), 0o644)
	out.Reset()
	errb.Reset()
	if code := run([]string{"serve", "--print-config", "--config", cfgFile}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "top_k") {
		t.Fatalf("invalid config: exit %d, %s", code, errb.String())
	}
}

func TestServeLoopbackAndToken(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true,
		"0.0.0.0:8080": false, ":8080": false, "192.168.1.2:80": false} {
		if got, err := isLoopback(addr); err != nil || got != want {
			t.Errorf("isLoopback(%q) = %v, %v; want %v", addr, got, err, want)
		}
	}
	path := filepath.Join(t.TempDir(), "sub", "token")
	tok, created, err := loadOrCreateToken(path)
	if err != nil || !created || len(tok) != 64 {
		t.Fatalf("new token %q created %v: %v", tok, created, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v: %v", st.Mode(), err)
	}
	again, created, err := loadOrCreateToken(path)
	if err != nil || created || again != tok {
		t.Fatalf("second read: %q %v %v", again, created, err)
	}
}
