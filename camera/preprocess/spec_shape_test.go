package preprocess

import "testing"

func TestSpecForShape(t *testing.T) {
	for _, c := range []struct {
		shape    []int
		layout   Layout
		h, w, ch int
		scale    float32
		mean0    float32
		wantErr  bool
	}{
		{shape: []int{1, 3, 224, 160}, layout: NCHW, h: 224, w: 160, ch: 3, scale: 1.0 / 255, mean0: 0.485},
		{shape: []int{1, 96, 64, 3}, layout: NHWC, h: 96, w: 64, ch: 3, scale: 1.0 / 255, mean0: 0.485},
		{shape: []int{1, 1, 28, 28}, layout: NCHW, h: 28, w: 28, ch: 1, scale: 1.0 / 255, mean0: 0},
		{shape: []int{1, 96, 96, 1}, layout: NHWC, h: 96, w: 96, ch: 1, scale: 1.0 / 255, mean0: 0},
		{shape: []int{1, 3, 3, 3}, layout: NCHW, h: 3, w: 3, ch: 3, scale: 1.0 / 255, mean0: 0.485}, // ambiguous: NCHW wins
		{shape: []int{2, 3, 224, 224}, wantErr: true},
		{shape: []int{3, 224, 224}, wantErr: true},
		{shape: []int{1, 4, 224, 224}, wantErr: true},
	} {
		s, err := SpecForShape(c.shape)
		if c.wantErr {
			if err == nil {
				t.Errorf("%v: no error", c.shape)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", c.shape, err)
		}
		if s.Layout != c.layout || s.Height != c.h || s.Width != c.w || s.Channels != c.ch || s.Scale != c.scale || s.Mean[0] != c.mean0 {
			t.Errorf("%v: got %s, want layout %v %dx%dx%d scale %v mean %v", c.shape, s, c.layout, c.h, c.w, c.ch, c.scale, c.mean0)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("%v: %v", c.shape, err)
		}
	}
}
