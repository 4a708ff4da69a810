package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ocellus/ocellus/camera"
)

// runCameras lists the V4L2 capture devices with their formats, frame
// sizes and rates; the other sources (demo, folders, files, http) need no
// discovery.
func runCameras(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cameras", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ocellus cameras [--json]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %v", fs.Args())
	}
	devs, err := camera.List()
	if err != nil {
		return err
	}
	if *asJSON {
		if devs == nil {
			devs = []camera.DeviceInfo{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(devs)
	}
	if len(devs) == 0 {
		fmt.Fprintln(stdout, "no V4L2 cameras (other sources: demo, a folder of images, an .mjpeg file, yuyv:WxH:FILE, http://… MJPEG or snapshot URL)")
		return nil
	}
	for _, d := range devs {
		fmt.Fprintln(stdout, d)
	}
	return nil
}
