package preprocess

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"github.com/ocellus/ocellus/internal/fixture"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func decodeFixture(t testing.TB, rel string) *RGB8 {
	t.Helper()
	img, err := DecodeFile(fixture.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// lcgImage returns w·h·c noise bytes from the generator testdata/gen_reference.py also uses:
// x = (x·1103515245 + 12345) mod 2³¹, byte = (x >> 16) & 255.
func lcgImage(w, h, c int, seed uint32) []uint8 {
	out := make([]uint8, w*h*c)
	x := seed
	for i := range out {
		x = (x*1103515245 + 12345) & 0x7fffffff
		out[i] = uint8(x >> 16)
	}
	return out
}

func lcgRGB8(w, h int, seed uint32) *RGB8 {
	return &RGB8{W: w, H: h, Pix: lcgImage(w, h, 3, seed)}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func floatsSHA(f []float32) string {
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return sha(b)
}

// pillowRef mirrors testdata/pillow_ref.json (written by testdata/gen_reference.py).
type pillowRef struct {
	Pillow    string `json:"pillow"`
	Synthetic []struct {
		Src     string `json:"src"`
		Variant string `json:"variant"`
		W, H    int
		SHA256  string `json:"sha256"`
		Hex     string `json:"hex"`
	} `json:"synthetic"`
	Images []struct {
		File    string `json:"file"`
		Format  string `json:"format"`
		Mode    string `json:"mode"`
		W, H    int
		SHA256  string `json:"sha256"`
		Crop    []int  `json:"crop"`
		CropHex string `json:"crop_hex"`
	} `json:"images"`
	Cat224 []struct {
		Variant string `json:"variant"`
		SHA256  string `json:"sha256"`
		Crop    []int  `json:"crop"`
		CropHex string `json:"crop_hex"`
	} `json:"cat224"`
	Tensors []struct {
		File   string `json:"file"`
		Spec   string `json:"spec"`
		SHA256 string `json:"sha256"`
	} `json:"tensors"`
}

var loadRefOnce = sync.OnceValues(func() (*pillowRef, error) {
	data, err := os.ReadFile(filepath.Join("testdata", "pillow_ref.json"))
	if err != nil {
		return nil, err
	}
	var r pillowRef
	return &r, json.Unmarshal(data, &r)
})

func loadRef(t testing.TB) *pillowRef {
	t.Helper()
	r, err := loadRefOnce()
	if err != nil {
		t.Fatalf("testdata/pillow_ref.json (regenerate with testdata/gen_reference.py): %v", err)
	}
	return r
}

// cropRGB returns the w×h window at (x, y) of img's pixels.
func cropRGB(img *RGB8, x, y, w, h int) []byte {
	out := make([]byte, 0, w*h*3)
	for r := y; r < y+h; r++ {
		out = append(out, img.Pix[(r*img.W+x)*3:(r*img.W+x+w)*3]...)
	}
	return out
}

// maxAbsDiff returns the largest |a[i]−b[i]| and the mean absolute difference.
func maxAbsDiff(a, b []byte) (int, float64) {
	m, sum := 0, 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		m = max(m, d)
		sum += d
	}
	return m, float64(sum) / float64(len(a))
}
