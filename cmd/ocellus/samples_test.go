package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ocellus/ocellus/internal/fixture"
	"github.com/ocellus/ocellus/store"
)

// samplesImg draws a small image that differs for every seed.
func samplesImg(seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 5))
	img := image.NewRGBA(image.Rect(0, 0, 20, 14))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	img.SetRGBA(0, 0, color.RGBA{uint8(seed), uint8(seed >> 8), 0, 255})
	return img
}

// samplesWrite writes an image file; the format follows the extension (.jpg, .png, or anything
// else for raw bytes given as data).
func samplesWrite(t *testing.T, path string, seed uint64, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	switch {
	case data != nil:
		buf.Write(data)
	case strings.HasSuffix(path, ".png"):
		if err := png.Encode(&buf, samplesImg(seed)); err != nil {
			t.Fatal(err)
		}
	default:
		if err := jpeg.Encode(&buf, samplesImg(seed), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// samplesRun runs `ocellus samples ARGS` in-process and returns the exit status and outputs.
func samplesRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"samples"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

type importLine struct {
	kind, label, split, path string
	id                       store.SampleID
}

// parseImportLines parses the complete lines of an import's stdout.
func parseImportLines(t *testing.T, out string) []importLine {
	t.Helper()
	var lines []importLine
	for _, l := range strings.SplitAfter(out, "\n") {
		if !strings.HasSuffix(l, "\n") {
			continue // a line cut by the kill (a pipe write of one line is atomic, so none is)
		}
		l = strings.TrimSuffix(l, "\n")
		f := strings.SplitN(l, " ", 5) // the path, last, may contain spaces
		if f[0] == "duplicate" {
			f = strings.SplitN(l, " ", 3)
		}
		var il importLine
		switch {
		case f[0] == "imported" && len(f) == 5:
			il = importLine{kind: f[0], label: f[2], split: f[3], path: f[4]}
		case f[0] == "duplicate" && len(f) == 3:
			il = importLine{kind: f[0], path: f[2]}
		default:
			t.Fatalf("unexpected import output line %q", l)
		}
		id, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		il.id = store.SampleID(id)
		lines = append(lines, il)
	}
	return lines
}

func TestSamplesImportExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	samplesWrite(t, filepath.Join(src, "ants", "a1.jpg"), 1, nil)
	samplesWrite(t, filepath.Join(src, "ants", "a2.JPEG"), 2, nil)
	samplesWrite(t, filepath.Join(src, "ants", "sub", "a3.png"), 3, nil)
	samplesWrite(t, filepath.Join(src, "bees", "b1.jpg"), 4, nil)
	samplesWrite(t, filepath.Join(src, "bees", "b2.png"), 5, nil)
	samplesWrite(t, filepath.Join(src, "bees", "b1-copy.jpg"), 4, nil)                           // same bytes as b1
	samplesWrite(t, filepath.Join(src, "bees", "broken.jpg"), 0, []byte("\xff\xd8\xff\xe0junk")) // corrupt
	samplesWrite(t, filepath.Join(src, "bees", "notes.txt"), 0, []byte("not an image"))
	samplesWrite(t, filepath.Join(src, "bees", ".hidden.jpg"), 0, []byte("ignored"))
	db := filepath.Join(dir, "data", "o.db")

	code, out, errs := samplesRun("import", src, "--store", db) // flags after the folder work too
	if code != 1 {
		t.Fatalf("import with a corrupt file: exit %d, want 1\n%s%s", code, out, errs)
	}
	lines := parseImportLines(t, out)
	imported, dups := 0, 0
	for _, l := range lines {
		switch l.kind {
		case "imported":
			imported++
		case "duplicate":
			dups++
			if l.path != "bees/b1.jpg" && l.path != "bees/b1-copy.jpg" {
				t.Errorf("duplicate %q", l.path)
			}
		}
	}
	if imported != 5 || dups != 1 {
		t.Fatalf("imported %d, duplicates %d; want 5 and 1\n%s", imported, dups, out)
	}
	for _, want := range []string{"skipping bees/broken.jpg", "invalid image", "ignoring 1 file(s)", "1 of 7 files could not be imported"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}

	// ls, ls --json with filters.
	code, out, errs = samplesRun("ls", "--store", db)
	if code != 0 || strings.Count(out, "\n") != 6 || !strings.HasPrefix(out, "ID") {
		t.Fatalf("ls: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = samplesRun("ls", "--store", db, "--json", "--label", "ants")
	var listed []store.Sample
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var smp store.Sample
		if err := json.Unmarshal(sc.Bytes(), &smp); err != nil {
			t.Fatalf("ls --json line %q: %v", sc.Text(), err)
		}
		listed = append(listed, smp)
	}
	if code != 0 || len(listed) != 3 || listed[0].Label != "ants" || listed[0].Meta["file"] != "ants/a1.jpg" || listed[0].Source != "import" {
		t.Fatalf("ls --json --label ants: %+v", listed)
	}
	if fi, _ := os.Stat(filepath.Join(src, "ants", "a1.jpg")); !listed[0].Captured.Equal(fi.ModTime().UTC()) {
		t.Errorf("captured %v, file modified %v", listed[0].Captured, fi.ModTime())
	}

	// export, then re-import the export: all duplicates; export --by-split into a new store keeps splits.
	exp := filepath.Join(dir, "exp")
	if code, out, errs = samplesRun("export", "--store", db, exp); code != 0 || !strings.Contains(out, "exported 5 samples") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errs)
	}
	got, _ := filepath.Glob(filepath.Join(exp, "*", "*.jpg"))
	if len(got) != 5 {
		t.Fatalf("export wrote %v", got)
	}
	for _, p := range got {
		b, _ := os.ReadFile(p)
		if !bytes.HasPrefix(b, []byte("\xff\xd8\xff")) {
			t.Fatalf("%s is not a JPEG", p)
		}
	}
	if code, _, errs = samplesRun("export", "--store", db, exp); code != 1 || !strings.Contains(errs, "export into an empty folder") {
		t.Fatalf("export over existing files: exit %d %s", code, errs)
	}
	code, out, _ = samplesRun("import", "--store", db, exp)
	if code != 0 || strings.Count(out, "duplicate ") != 5 || strings.Contains(out, "imported ") {
		t.Fatalf("re-import of the export: exit %d\n%s", code, out)
	}
	bySplit := filepath.Join(dir, "bysplit")
	if code, _, errs = samplesRun("export", "--store", db, "--by-split", bySplit); code != 0 {
		t.Fatalf("export --by-split: %s", errs)
	}
	db2 := filepath.Join(dir, "two.db")
	code, out, errs = samplesRun("import", "--store", db2, bySplit)
	if code != 0 {
		t.Fatalf("import of a split layout: exit %d\n%s", code, errs)
	}
	for _, l := range parseImportLines(t, out) {
		if !strings.HasPrefix(l.path, l.split+"/"+l.label+"/") {
			t.Errorf("sample from %s imported as %s/%s", l.path, l.split, l.label)
		}
	}
	if code, _, errs = samplesRun("import", "--store", db2, "--split", "train", bySplit); code != 2 || !strings.Contains(errs, "conflicts with the split folders") {
		t.Fatalf("--split with a split layout: exit %d %s", code, errs)
	}

	// rm: all or nothing; then backup.
	if code, _, errs = samplesRun("rm", "--store", db, "1", "999"); code != 1 || !strings.Contains(errs, "999") {
		t.Fatalf("rm with a missing id: exit %d %s", code, errs)
	}
	if code, out, _ = samplesRun("rm", "--store", db, "1", "2"); code != 0 || out != "removed 1\nremoved 2\n" {
		t.Fatalf("rm: exit %d %q", code, out)
	}
	if code, _, errs = samplesRun("rm", "--store", db, "x"); code != 2 {
		t.Fatalf("rm x: exit %d %s", code, errs)
	}
	bak := filepath.Join(dir, "bak", "b.db")
	os.MkdirAll(filepath.Dir(bak), 0o755)
	if code, out, errs = samplesRun("backup", "--store", db, bak); code != 0 || !strings.HasPrefix(out, "backup "+bak) {
		t.Fatalf("backup: exit %d %s %s", code, out, errs)
	}
	s, err := store.Open(bak, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.Count(); n != 3 {
		t.Fatalf("backup holds %d samples, want 3", n)
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	code, out, _ = samplesRun("stats", "--store", db)
	if code != 0 || !strings.Contains(out, "all") || !strings.Contains(out, "TRAIN") {
		t.Fatalf("stats: %d\n%s", code, out)
	}
}

func TestSamplesErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "missing subcommand"},
		{[]string{"frobnicate"}, 2, `unknown subcommand "frobnicate"`},
		{[]string{"ls", "--store", missing}, 1, "does not exist"},
		{[]string{"rm", "--store", missing, "1"}, 1, "does not exist"},
		{[]string{"rm", "--store", missing}, 2, "no sample ids"},
		{[]string{"import", "--store", missing}, 2, "want one folder"},
		{[]string{"import", "--store", missing, "--batch", "0", dir}, 2, "--batch"},
		{[]string{"import", "--store", missing, "--split", "dev", dir}, 2, "split"},
		{[]string{"import", "--store", missing, dir}, 1, "no label folders"},
		{[]string{"import", "--store", missing, filepath.Join(dir, "nope")}, 1, "no such file"},
		{[]string{"ls", "--store", missing, "--split", "dev"}, 2, "split"},
		{[]string{"backup", "--store", missing}, 2, "want one backup file"},
	} {
		code, _, errs := samplesRun(c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("samples %v: exit %d, stderr %q; want %d mentioning %q", c.args, code, errs, c.code, c.msg)
		}
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Error("a failed command created the store")
	}
	// Folders whose names cannot be labels.
	samplesWrite(t, filepath.Join(dir, "bad", " ants", "a.jpg"), 1, nil)
	if code, _, errs := samplesRun("import", "--store", missing, filepath.Join(dir, "bad")); code != 1 || !strings.Contains(errs, "leading or trailing space") {
		t.Errorf("bad label folder: exit %d %s", code, errs)
	}
	// A store that another process (here: this one) holds.
	held := filepath.Join(dir, "held.db")
	s, err := store.Open(held, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if code, _, errs := samplesRun("ls", "--store", held); code != 1 || !strings.Contains(errs, "store is locked by another process") {
		t.Errorf("ls of a held store: exit %d %s", code, errs)
	}
}

func TestSamplesDefaultStore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OCELLUS_DATA", dir)
	if got := defaultStorePath(); got != filepath.Join(dir, "ocellus.db") {
		t.Fatalf("default store %s", got)
	}
	samplesWrite(t, filepath.Join(dir, "in", "cats", "c.jpg"), 1, nil)
	if code, out, errs := samplesRun("import", filepath.Join(dir, "in")); code != 0 || !strings.HasPrefix(out, "imported 1 cats") {
		t.Fatalf("import to the default store: %d %s %s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "ocellus.db")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OCELLUS_DATA", "")
	if got := defaultStorePath(); got != filepath.Join("ocellus-data", "ocellus.db") {
		t.Fatalf("default store without OCELLUS_DATA: %s", got)
	}
}

// buildOcellus builds the real binary into a temporary folder.
func buildOcellus(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not on PATH (%v); cannot build ocellus for the crash test", err)
	}
	bin := filepath.Join(t.TempDir(), "ocellus")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// hymenopteraFile is one image of the dataset.
type hymenopteraFile struct {
	label string
	data  []byte
}

// TestSamplesImportSIGKILL kills real `ocellus samples import` processes at random moments and
// checks, after each kill, that the store opens, passes Verify, holds every sample whose import was
// reported on stdout with its exact bytes and label, and never more samples than files. Every third
// run starts a new store; the others resume the previous one (duplicates are skipped). The seed is
// printed; OCELLUS_CRASH_SEED replays it.
func TestSamplesImportSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds and kills real processes; skipped with -short")
	}
	dataset := fixture.Path(t, "datasets", "hymenoptera", "train")
	files := map[string]hymenopteraFile{} // relative path → file
	bySum := map[[32]byte]string{}
	err := filepath.WalkDir(dataset, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dataset, p)
		rel = filepath.ToSlash(rel)
		files[rel] = hymenopteraFile{label: strings.Split(rel, "/")[0], data: data}
		bySum[sha256.Sum256(data)] = rel
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 244 || len(bySum) != 244 {
		t.Fatalf("hymenoptera/train: %d files, %d distinct; want 244", len(files), len(bySum))
	}
	bin := buildOcellus(t)
	dir := t.TempDir()

	importCmd := func(db string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.Command(bin, "samples", "import", "--batch", "8", "--store", db, dataset)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		return cmd, &out, &errb
	}
	// check opens the store after a run and compares it with everything reported so far.
	check := func(db string, reported map[store.SampleID]string, run int) int {
		t.Helper()
		s, err := store.Open(db, &store.Options{Timeout: 10 * time.Second})
		if err != nil {
			t.Fatalf("run %d: the store does not open after the kill: %v", run, err)
		}
		defer s.Close()
		if err := s.Verify(); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for id, rel := range reported {
			img, err := s.Image(id)
			if err != nil {
				t.Fatalf("run %d: sample %d (%s) was reported imported but is missing: %v", run, id, rel, err)
			}
			if !bytes.Equal(img, files[rel].data) {
				t.Fatalf("run %d: sample %d differs from %s", run, id, rel)
			}
		}
		n := 0
		err = s.EachSample(store.Filter{}, func(smp store.Sample) error {
			n++
			img, err := s.Image(smp.ID)
			if err != nil {
				return err
			}
			rel, ok := bySum[sha256.Sum256(img)]
			if !ok || smp.Label != files[rel].label || smp.Meta["file"] != rel {
				return fmt.Errorf("sample %d (%s, file %q) matches no dataset file", smp.ID, smp.Label, smp.Meta["file"])
			}
			return nil
		})
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if n > len(files) {
			t.Fatalf("run %d: %d samples from %d files", run, n, len(files))
		}
		return n
	}

	// An uninterrupted import first: it must import everything, and it times the kill window.
	full := filepath.Join(dir, "full.db")
	cmd, out, errb := importCmd(full)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("uninterrupted import: %v\n%s", err, errb)
	}
	window := time.Since(start)
	reported := map[store.SampleID]string{}
	for _, l := range parseImportLines(t, out.String()) {
		reported[l.id] = l.path
	}
	if n := check(full, reported, -1); n != 244 || len(reported) != 244 {
		t.Fatalf("uninterrupted import: %d samples, %d reported", n, len(reported))
	}
	fi, _ := os.Stat(full)
	t.Logf("uninterrupted import of 244 files: %v (%.0f files/s), store %d bytes; %s",
		window.Round(time.Millisecond), 244/window.Seconds(), fi.Size(), strings.TrimSpace(lastLine(errb.String())))

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("OCELLUS_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (replay with OCELLUS_CRASH_SEED=%d)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 11))
	const runs = 15
	var db string
	var summary []string
	for run := 0; run < runs; run++ {
		if run%3 == 0 {
			db = filepath.Join(dir, fmt.Sprintf("gen%d.db", run/3))
			reported = map[store.SampleID]string{}
		}
		delay := time.Duration(r.Int64N(int64(window) * 9 / 10))
		cmd, out, errb := importCmd(db)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		killed := err != nil
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() != -1 {
			t.Fatalf("run %d: import failed by itself: %v\n%s", run, err, errb)
		}
		newLines := 0
		for _, l := range parseImportLines(t, out.String()) {
			if prev, ok := reported[l.id]; ok && l.kind == "imported" {
				t.Fatalf("run %d: sample id %d reported twice (%s, %s)", run, l.id, prev, l.path)
			}
			reported[l.id] = l.path
			if l.kind == "imported" {
				newLines++
			}
		}
		n := check(db, reported, run)
		summary = append(summary, fmt.Sprintf("%v→%d(+%d)%s", delay.Round(time.Millisecond), n, newLines, map[bool]string{true: "", false: " done"}[killed]))
	}
	t.Logf("kills (delay→samples in store(+reported this run)): %s", strings.Join(summary, ", "))
	// The last store resumes to completion.
	cmd, _, errb = importCmd(db)
	if err := cmd.Run(); err != nil {
		t.Fatalf("resuming import: %v\n%s", err, errb)
	}
	if n := check(db, reported, runs); n != 244 {
		t.Fatalf("resumed import: %d samples, want 244", n)
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}
