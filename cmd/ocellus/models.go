package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ocellus/ocellus/store"
)

// modelsUsage is the help of `ocellus models`.
const modelsUsage = `usage: ocellus models SUBCOMMAND [--store DB] [flags] [args]

  ls               list the model versions (* marks the active one; --json: one JSON object per line)
  show ID          print a version's description, metrics and training run as JSON
  activate ID      make a version the active one (--by NAME records who)

The store is --store DB, default $OCELLUS_DATA/ocellus.db, or ./ocellus-data/ocellus.db.
`

func runModels(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		io.WriteString(stderr, modelsUsage)
		if len(args) == 0 {
			return usagef("models needs a subcommand")
		}
		return nil
	}
	subs := map[string]func([]string, io.Writer, io.Writer) error{
		"ls": modelsLs, "show": modelsShow, "activate": modelsActivate,
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usagef("unknown subcommand %q", args[0])
	}
	return sub(args[1:], stdout, stderr)
}

func parseModelID(s string) (store.ModelID, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 10, 64)
	if err != nil || n == 0 {
		return 0, usagef("%q is not a model version id", s)
	}
	return store.ModelID(n), nil
}

func modelsLs(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("ls", "ls [--store DB] [--json]", stderr)
	asJSON := fs.Bool("json", false, "one JSON object per line")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("models ls takes no arguments")
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	ms, err := s.Models()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, m := range ms {
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\tID\tNAME\tFORMAT\tSIZE\tCLASSES\tRUN\tCREATED")
	for _, m := range ms {
		mark := ""
		if m.Active {
			mark = "*"
		}
		run := "-"
		if m.Run != 0 {
			run = m.Run.String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", mark, m.ID, m.Name, m.Format, m.Size,
			strings.Join(m.Classes, ","), run, m.Created.Format(time.RFC3339))
	}
	return tw.Flush()
}

func modelsShow(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("show", "show ID [--store DB]", stderr)
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("models show takes one model version id")
	}
	id, err := parseModelID(pos[0])
	if err != nil {
		return err
	}
	s, err := openSamplesStore(*db, false, true)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := s.Model(id)
	if err != nil {
		return err
	}
	out := struct {
		store.ModelVersion
		Training *store.Run    `json:"training,omitempty"`
		Epochs   []store.Epoch `json:"epochs,omitempty"`
		Reports  []string      `json:"reports,omitempty"`
	}{ModelVersion: m}
	if m.Run != 0 {
		r, err := s.Run(m.Run)
		if err != nil {
			return err
		}
		out.Training = &r
		if out.Epochs, err = s.Epochs(m.Run); err != nil {
			return err
		}
		if out.Reports, err = s.RunArtifacts(m.Run); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func modelsActivate(args []string, stdout, stderr io.Writer) error {
	fs, db := samplesFlags("activate", "activate ID [--store DB] [--by NAME]", stderr)
	by := fs.String("by", "cli", "who activates it (recorded)")
	pos, err := parseSamplesFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("models activate takes one model version id")
	}
	id, err := parseModelID(pos[0])
	if err != nil {
		return err
	}
	s, err := openSamplesStore(*db, false, false)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.ActivateModel(id, *by); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "model version %d is active\n", id)
	return err
}
