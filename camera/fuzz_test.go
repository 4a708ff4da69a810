package camera

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
)

// FuzzReadJPEG: splitting arbitrary bytes into JPEGs never panics, always ends, and never returns more
// bytes than it read.
func FuzzReadJPEG(f *testing.F) {
	frames := fixtureJPEGs(f)
	f.Add(append(append([]byte(nil), frames[0]...), frames[1]...))
	f.Add(frames[2][:len(frames[2])/2])
	f.Add([]byte("\x00\x00\xff\xd8\xff\xda\x00\x02\xff\x00\xff\xd0\xff\xd9"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 16)
		total := 0
		for i := 0; i <= len(data); i++ {
			out, err := readJPEG(r, nil, 1<<16)
			total += len(out)
			if total > len(data) {
				t.Fatalf("returned %d bytes from %d", total, len(data))
			}
			if err != nil {
				return
			}
			if len(out) < 4 || out[0] != 0xff || out[1] != 0xd8 || out[len(out)-2] != 0xff || out[len(out)-1] != 0xd9 {
				t.Fatalf("a JPEG without SOI…EOI: % x", out)
			}
		}
		t.Fatal("readJPEG kept returning images without consuming input")
	})
}

// FuzzMJPEGParts: the multipart parser of HTTPStream on arbitrary bytes never panics and always ends.
func FuzzMJPEGParts(f *testing.F) {
	frames := fixtureJPEGs(f)
	var b bytes.Buffer
	fmt.Fprintf(&b, "\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", len(frames[0]))
	b.Write(frames[0])
	fmt.Fprintf(&b, "\r\n--b\r\nContent-Type: image/jpeg\r\n\r\n")
	b.Write(frames[1])
	f.Add(b.Bytes())
	f.Add([]byte("--b\r\nContent-Length: 99999999999\r\n\r\n"))
	f.Add([]byte("--b--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &HTTPStream{httpConn: &httpConn{url: "fuzz"}, boundary: "b", r: bufio.NewReaderSize(bytes.NewReader(data), 64)}
		for i := 0; i <= len(data); i++ {
			f, keep, err := s.readPart()
			if err != nil && !keep {
				return
			}
			if err == nil && (f.Format != MJPEG || len(f.Data) > len(data)) {
				t.Fatalf("part %d: %v, %d bytes from %d", i, f.Format, len(f.Data), len(data))
			}
		}
		t.Fatal("readPart kept returning parts without consuming input")
	})
}
