package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ocellus/ocellus/daemon"
	"github.com/ocellus/ocellus/daemon/server"
)

// serveShutdownTimeout bounds the HTTP server's graceful shutdown.
const serveShutdownTimeout = 5 * time.Second

func runServe(args []string, stdout, stderr io.Writer) error {
	fl := newFlags("serve", stderr)
	listen := fl.String("listen", "", "HTTP address (default 127.0.0.1:8080; off loopback, mutating requests need the token)")
	data := fl.String("data", "", "data directory: store, base models, token (default $OCELLUS_DATA, $XDG_DATA_HOME/ocellus or ~/.local/share/ocellus)")
	cam := fl.String("camera", "", "the first camera's source: demo, /dev/videoN, v4l2:NAME, a folder, FILE.mjpeg, http://… (default: the first V4L2 camera, else demo)")
	model := fl.String("model", "", "base model (float ONNX) to classify with and fine-tune (default: the built-in starter model)")
	config := fl.String("config", "", "JSON config file (see daemon/CONFIG.md)")
	printConfig := fl.Bool("print-config", false, "print the effective configuration as JSON and exit")
	tokenFile := fl.String("token-file", "", "file holding the bearer token (default <data>/token, generated when needed)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus serve [--listen ADDR] [--data DIR] [--camera SOURCE] [--model FILE] [--config FILE] [--print-config] [--token-file F]")
		fmt.Fprintln(stderr, "Settings: flags override the config file, which overrides OCELLUS_LISTEN, OCELLUS_DATA, OCELLUS_TOKEN, OCELLUS_CAMERA, OCELLUS_MODEL, which override the defaults.")
		fl.PrintDefaults()
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if fl.NArg() != 0 {
		return usagef("serve takes no arguments, got %q", fl.Args())
	}
	cfg := daemon.DefaultConfig()
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return err
	}
	if *config != "" {
		if err := cfg.LoadFile(*config); err != nil {
			return err
		}
	}
	set := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["listen"] {
		cfg.Listen = *listen
	}
	if set["data"] {
		cfg.Data = *data
	}
	if set["camera"] {
		cfg.SetCamera(*cam)
	}
	if set["model"] {
		cfg.Model = *model
	}
	if set["token-file"] {
		cfg.TokenFile = *tokenFile
	}
	cfg.Version = version()
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if *printConfig {
		shown := cfg
		if shown.Token != "" {
			shown.Token = "(set)"
		}
		b, err := json.MarshalIndent(shown, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.ParseLevel()}))
	loopback, err := isLoopback(cfg.Listen)
	if err != nil {
		return usagef("--listen %q: %v", cfg.Listen, err)
	}
	cfg.AuthRequired = !loopback
	token := cfg.Token
	if token == "" && !loopback {
		if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
			return err
		}
		path := cfg.ResolvedTokenFile()
		created := false
		if token, created, err = loadOrCreateToken(path); err != nil {
			return err
		}
		if created {
			log.Info("generated the API token (mutating requests need it: Authorization: Bearer <token>)", "file", path)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := daemon.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	h, err := server.New(d, server.Options{Token: token, RequireAuth: !loopback, Metrics: d.MetricsHandler(), Logger: log})
	if err != nil {
		d.Close()
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		d.Close()
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // a large upload over a slow link
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// No WriteTimeout: SSE and MJPEG streams are long; the server sets per-write deadlines.
		BaseContext: func(net.Listener) context.Context { return ctx }, // streams end on shutdown
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "auth_required", !loopback, "version", cfg.Version)
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		stop()
		<-runErr
		return fmt.Errorf("http server: %w", err)
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return <-runErr
}

// isLoopback reports whether a listen address binds only the loopback interface.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

// loadOrCreateToken reads the token file, or writes a new random token to it (mode 0600).
func loadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, false, nil
		}
		return "", false, fmt.Errorf("token file %s is empty", path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", false, err
	}
	token = hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", false, err
	}
	return token, true, f.Close()
}
