package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ocellus/ocellus/camera/preprocess"
	"github.com/ocellus/ocellus/store"
)

// samplesUsage is the help of `ocellus samples`.
const samplesUsage = `usage: ocellus samples SUBCOMMAND [--store DB] [flags] [args]

  import DIR       add the images of DIR/<label>/ (or DIR/{train,val,test}/<label>/, which sets the
                   split) to the store; JPEG, PNG and BMP, recursively; already stored images are
                   skipped. Prints "imported ID LABEL SPLIT PATH" (or "duplicate ID PATH") on stdout
                   once the sample is committed; progress and errors on stderr.
  export DIR       write the samples back as DIR/<label>/<id>.jpg (--by-split: DIR/<split>/<label>/)
  ls               list samples (--label L, --split S, --json for one JSON object per line)
  stats            samples per label and split, and whether they are enough to train
  rm ID...         delete samples (all or none)
  backup FILE      write a consistent copy of the store to FILE (atomically) while it stays in use

The store is --store DB, default $OCELLUS_DATA/ocellus.db, or ./ocellus-data/ocellus.db when
OCELLUS_DATA is not set. import creates it; the other subcommands need it to exist.
Run 'ocellus samples SUBCOMMAND -h' for the flags.
`

func runSamples(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, samplesUsage)
		return usagef("missing subcommand")
	}
	subs := map[string]func([]string, io.Writer, io.Writer) error{
		"import": samplesImport, "export": samplesExport, "ls": samplesLs,
		"stats": samplesStats, "rm": samplesRm, "backup": samplesBackup,
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stderr, samplesUsage)
		return flag.ErrHelp
	}
	sub, ok := subs[args[0]]
	if !ok {
		fmt.Fprint(stderr, samplesUsage)
		return usagef("unknown subcommand %q", args[0])
	}
	return sub(args[1:], stdout, stderr)
}

// defaultStorePath is $OCELLUS_DATA/ocellus.db, else ./ocellus-data/ocellus.db.
func defaultStorePath() string {
	if d := os.Getenv("OCELLUS_DATA"); d != "" {
		return filepath.Join(d, "ocellus.db")
	}
	return filepath.Join("ocellus-data", "ocellus.db")
}

// samplesFlags makes the flag set of a subcommand with its --store flag.
func samplesFlags(name, usage string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := newFlags("samples "+name, stderr)
	db := fs.String("store", defaultStorePath(), "the store's database file ($OCELLUS_DATA/ocellus.db, else ./ocellus-data/ocellus.db)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus samples "+usage)
		fs.PrintDefaults()
	}
	return fs, db
}

// parseSamplesFlags parses flags that may come before or after the positional arguments
// (`samples import DIR --store X` as well as `samples import --store X DIR`), and returns the
// positional arguments. "--" ends the flags.
func parseSamplesFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// openSamplesStore opens the store. create allows a new file (and its folder); readOnly takes a
// shared lock, migrating first (read-write) if the store is older.
func openSamplesStore(path string, create, readOnly bool) (*store.Store, error) {
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store %s does not exist (give --store, set $OCELLUS_DATA, or create it with 'ocellus samples import')", path)
		}
		return nil, err
	}
	s, err := store.Open(path, &store.Options{ReadOnly: readOnly})
	if readOnly && errors.Is(err, store.ErrNeedsMigration) {
		if s, err = store.Open(path, nil); err == nil {
			s.Close()
			s, err = store.Open(path, &store.Options{ReadOnly: true})
		}
	}
	return s, err
}

// importFile is one image found by an import.
type importFile struct {
	path, rel, label string
	split            store.Split
}

// splitDir reports the folder names that make an import read DIR/<split>/<label>/.
func splitDir(name string) (store.Split, bool) {
	switch strings.ToLower(name) {
	case "train":
		return store.Train, true
	case "val", "validation":
		return store.Val, true
	case "test":
		return store.Test, true
	}
	return store.SplitUnset, false
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// subdirs lists the visible folders of dir, sorted, and counts the visible files beside them.
func subdirs(dir string) (dirs []string, files int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	for _, e := range entries {
		switch {
		case hidden(e.Name()):
		case e.IsDir():
			dirs = append(dirs, e.Name())
		default:
			files++
		}
	}
	return dirs, files, nil
}

// scanImport lists the images of an import folder in a stable order. The layout is
// DIR/<split>/<label>/… when every folder of DIR is named train, val, validation or test, else
// DIR/<label>/…; label folders are read recursively. It also counts the files skipped.
func scanImport(dir string, split store.Split, stderr io.Writer) ([]importFile, error) {
	top, loose, err := subdirs(dir)
	if err != nil {
		return nil, err
	}
	if len(top) == 0 {
		return nil, fmt.Errorf("%s has no label folders (expected %s/<label>/*.jpg|png|bmp)", dir, dir)
	}
	bySplit := true
	for _, d := range top {
		if _, ok := splitDir(d); !ok {
			bySplit = false
		}
	}
	type labelDir struct {
		path, label string
		split       store.Split
	}
	var labelDirs []labelDir
	if bySplit {
		if split != store.SplitUnset {
			return nil, usagef("--split %s conflicts with the split folders of %s (%s)", split, dir, strings.Join(top, ", "))
		}
		for _, d := range top {
			sp, _ := splitDir(d)
			labels, n, err := subdirs(filepath.Join(dir, d))
			if err != nil {
				return nil, err
			}
			loose += n
			for _, l := range labels {
				labelDirs = append(labelDirs, labelDir{filepath.Join(dir, d, l), l, sp})
			}
		}
	} else {
		for _, l := range top {
			labelDirs = append(labelDirs, labelDir{filepath.Join(dir, l), l, split})
		}
	}
	var files []importFile
	var badLabels []string
	skipped := 0
	for _, ld := range labelDirs {
		if err := store.ValidateLabel(ld.label); err != nil {
			badLabels = append(badLabels, err.Error())
			continue
		}
		err := filepath.WalkDir(ld.path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if hidden(d.Name()) && p != ld.path {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 || !preprocess.IsImageFile(p) {
				skipped++
				return nil
			}
			rel, _ := filepath.Rel(dir, p)
			files = append(files, importFile{path: p, rel: filepath.ToSlash(rel), label: ld.label, split: ld.split})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(badLabels) > 0 {
		return nil, fmt.Errorf("folder names that cannot be labels:\n  %s", strings.Join(badLabels, "\n  "))
	}
	if skipped+loose > 0 {
		fmt.Fprintf(stderr, "import: ignoring %d file(s) that are not .jpg/.jpeg/.png/.bmp inside a label folder\n", skipped+loose)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no images in %s (expected %s/<label>/*.jpg|png|bmp)", dir, dir)
	}
	return files, nil
}

// progress prints "verb: done/total …" on stderr at most once a second, and always at the end.
type progress struct {
	w     io.Writer
	verb  string
	total int
	last  time.Time
}

func (p *progress) update(done int, extra string) {
	if now := time.Now(); done == p.total || now.Sub(p.last) >= time.Second {
		p.last = now
		fmt.Fprintf(p.w, "%s: %d/%d files%s\n", p.verb, done, p.total, extra)
	}
}

func samplesImport(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("import", "import [--store DB] [--split auto|train|val|test] [--source S] [--batch N] DIR", stderr)
	splitName := fs.String("split", "auto", "split for every image of a DIR/<label>/ layout (auto: assigned per label, 70/15/15)")
	source := fs.String("source", "import", "the samples' source field")
	batch := fs.Int("batch", 16, "images per transaction (each one fsync)")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one folder, got %d arguments", len(pos))
	}
	if *batch < 1 {
		return usagef("--batch must be at least 1")
	}
	split, err := store.ParseSplit(*splitName)
	if err != nil {
		return usagef("--split: %v", err)
	}
	files, err := scanImport(pos[0], split, stderr)
	if err != nil {
		return err
	}
	s, err := openSamplesStore(*db, true, false)
	if err != nil {
		return err
	}
	defer s.Close()
	labels := map[string]bool{}
	for _, f := range files {
		if !labels[f.label] {
			labels[f.label] = true
			if err := s.AddLabel(f.label); err != nil && !errors.Is(err, store.ErrLabelExists) {
				return err
			}
		}
	}
	start := time.Now()
	prog := &progress{w: stderr, verb: "import", total: len(files)}
	var imported, dups, failed int
	var bytesIn int64
	for lo := 0; lo < len(files); lo += *batch {
		chunk := files[lo:min(lo+*batch, len(files))]
		var items []store.NewSample
		var from []importFile
		for _, f := range chunk {
			ns, err := readImportFile(f, *source)
			if err != nil {
				fmt.Fprintf(stderr, "import: skipping %s: %v\n", f.rel, err)
				failed++
				continue
			}
			bytesIn += int64(len(ns.Image))
			items = append(items, ns)
			from = append(from, f)
		}
		if len(items) == 0 {
			prog.update(lo+len(chunk), "")
			continue
		}
		res, err := s.AddSamples(items)
		if err != nil {
			return fmt.Errorf("importing %s…: %w (the %d sample(s) reported before are stored)", from[0].rel, err, imported)
		}
		// The batch is committed: report it.
		for i, r := range res {
			switch {
			case r.Err == nil:
				imported++
				fmt.Fprintf(stdout, "imported %d %s %s %s\n", r.Sample.ID, r.Sample.Label, r.Sample.Split, from[i].rel)
			case errors.Is(r.Err, store.ErrDuplicate):
				dups++
				fmt.Fprintf(stdout, "duplicate %d %s\n", r.Sample.ID, from[i].rel)
			default:
				failed++
				fmt.Fprintf(stderr, "import: skipping %s: %v\n", from[i].rel, r.Err)
			}
		}
		prog.update(lo+len(chunk), fmt.Sprintf(" (%d imported, %d duplicates, %d failed)", imported, dups, failed))
	}
	el := time.Since(start)
	fmt.Fprintf(stderr, "import: %d imported, %d duplicates, %d failed into %s in %.2fs (%.0f files/s, %.1f MB/s)\n",
		imported, dups, failed, *db, el.Seconds(), float64(len(files))/el.Seconds(), float64(bytesIn)/1e6/el.Seconds())
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be imported (see above)", failed, len(files))
	}
	return nil
}

// readImportFile reads one image into a NewSample; the capture time is the file's modification
// time and meta "file" its path relative to the import folder.
func readImportFile(f importFile, source string) (store.NewSample, error) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return store.NewSample{}, err
	}
	if fi.Size() > store.MaxImageBytes {
		return store.NewSample{}, fmt.Errorf("%w: %d bytes (at most %d)", store.ErrInvalidImage, fi.Size(), store.MaxImageBytes)
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return store.NewSample{}, err
	}
	return store.NewSample{
		Image: data, Label: f.label, Split: f.split, Source: source, Captured: fi.ModTime(),
		Meta: map[string]string{"file": f.rel},
	}, nil
}

// addFilterFlags adds --label and --split.
func addFilterFlags(fs *flag.FlagSet) (label, split *string) {
	return fs.String("label", "", "only samples with this label"), fs.String("split", "", "only samples of this split (train, val, test)")
}

func parseFilter(label, split string) (store.Filter, error) {
	sp, err := store.ParseSplit(split)
	if err != nil {
		return store.Filter{}, usagef("--split: %v", err)
	}
	return store.Filter{Label: label, Split: sp}, nil
}

func samplesExport(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("export", "export [--store DB] [--label L] [--split S] [--by-split] DIR", stderr)
	label, split := addFilterFlags(fs)
	bySplit := fs.Bool("by-split", false, "write DIR/<split>/<label>/ instead of DIR/<label>/")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one folder, got %d arguments", len(pos))
	}
	f, err := parseFilter(*label, *split)
	if err != nil {
		return err
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.Samples(f)
	if err != nil {
		return err
	}
	prog := &progress{w: stderr, verb: "export", total: len(list)}
	for i, smp := range list {
		img, err := s.Image(smp.ID)
		if err != nil {
			return err
		}
		dir := filepath.Join(pos[0], smp.Label)
		if *bySplit {
			dir = filepath.Join(pos[0], smp.Split.String(), smp.Label)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		name := filepath.Join(dir, fmt.Sprintf("%06d.jpg", smp.ID))
		out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("%w (export into an empty folder)", err)
		}
		_, err = out.Write(img)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		prog.update(i+1, "")
	}
	fmt.Fprintf(stdout, "exported %d samples to %s\n", len(list), pos[0])
	return nil
}

func samplesLs(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("ls", "ls [--store DB] [--label L] [--split S] [--json]", stderr)
	label, split := addFilterFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object per sample")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("ls takes no arguments")
	}
	f, err := parseFilter(*label, *split)
	if err != nil {
		return err
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return s.EachSample(f, func(smp store.Sample) error { return enc.Encode(smp) })
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLABEL\tSPLIT\tSIZE\tPIXELS\tCAPTURED\tSOURCE\tPREDICTION")
	err = s.EachSample(f, func(smp store.Sample) error {
		pred := ""
		if smp.Prediction != "" {
			pred = fmt.Sprintf("%s %.2f", smp.Prediction, smp.Confidence)
		}
		_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%dx%d\t%s\t%s\t%s\n", smp.ID, smp.Label, smp.Split, smp.Size,
			smp.Width, smp.Height, smp.Captured.Format(time.RFC3339), smp.Source, pred)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

func samplesStats(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("stats", "stats [--store DB]", stderr)
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("stats takes no arguments")
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	labels, err := s.Labels()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "LABEL\tTRAIN\tVAL\tTEST\tTOTAL\t")
	var sum store.SplitCounts
	for _, l := range labels {
		c := l.Counts
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", l.Name, c.Train, c.Val, c.Test, c.Total())
		sum.Train, sum.Val, sum.Test = sum.Train+c.Train, sum.Val+c.Val, sum.Test+c.Test
	}
	fmt.Fprintf(tw, "all\t%d\t%d\t%d\t%d\t\n", sum.Train, sum.Val, sum.Test, sum.Total())
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := s.CheckTrainable(nil); err != nil {
		fmt.Fprintf(stdout, "not enough to train:\n  %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	} else {
		fmt.Fprintln(stdout, "enough to train (≥ 2 labels, each with train and val samples)")
	}
	if fi, err := os.Stat(*db); err == nil {
		fmt.Fprintf(stdout, "%s: %d bytes\n", *db, fi.Size())
	}
	return nil
}

func samplesRm(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("rm", "rm [--store DB] ID...", stderr)
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("no sample ids given")
	}
	ids := make([]store.SampleID, len(pos))
	for i, p := range pos {
		if ids[i], err = store.ParseSampleID(p); err != nil {
			return usagef("%v", err)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	s, err := openSamplesStore(*db, false, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.DeleteSamples(ids...); err != nil {
		return err
	}
	for _, id := range ids {
		fmt.Fprintf(stdout, "removed %d\n", id)
	}
	return nil
}

func samplesBackup(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("backup", "backup [--store DB] FILE", stderr)
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one backup file, got %d arguments", len(pos))
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.BackupFile(pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup %s: %d bytes\n", pos[0], n)
	return nil
}
