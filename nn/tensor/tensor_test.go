package tensor

import (
	"math"
	"testing"
)

func TestViewSharesMemory(t *testing.T) {
	buf := make([]uint64, 4)
	b := (&Tensor{DType: Int64, Shape: []int{4}, I64: make([]int64, 4)}).Bytes()
	if len(b) != 32 {
		t.Fatalf("Bytes of int64[4] = %d bytes, want 32", len(b))
	}
	raw := (&Tensor{DType: Int64, Shape: []int{4}, I64: []int64{0, 0, 0, 0}}).Bytes()
	_ = raw
	arena := FromI64([]int64{0, 0, 0, 0}, 4).Bytes()
	f := View(Float32, []int{2, 3}, arena)
	f.F32[5] = 1.5
	g := View(Float32, []int{6}, arena)
	if g.F32[5] != 1.5 {
		t.Fatalf("views over one arena do not share memory")
	}
	_ = buf
}

func TestCheckShape(t *testing.T) {
	if err := CheckShape([]int{2, -1}, 1<<30); err == nil {
		t.Fatal("negative dim accepted")
	}
	if err := CheckShape([]int{1 << 20, 1 << 20}, 1<<30); err == nil {
		t.Fatal("overflowing shape accepted")
	}
	if err := CheckShape([]int{3, 224, 224}, 1<<30); err != nil {
		t.Fatal(err)
	}
}

func TestCloneAndReshape(t *testing.T) {
	a := FromF32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	c := a.Clone()
	c.F32[0] = 9
	if a.F32[0] != 1 {
		t.Fatal("Clone shares data")
	}
	r := a.Reshaped(3, 2)
	r.F32[1] = 7
	if a.F32[1] != 7 || r.Shape[0] != 3 {
		t.Fatal("Reshaped must share data and change shape")
	}
	e := New(Int8, 0).Clone()
	if e.I8 == nil || e.Len() != 0 {
		t.Fatal("empty clone lost its dtype slice")
	}
}

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		v    []float32
		want int
	}{
		{nil, 0}, {[]float32{3}, 0}, {[]float32{1, 5, 2}, 1}, {[]float32{-3, -1, -2}, 1},
		{[]float32{2, 7, 7}, 1}, // ties: the first
		{[]float32{1, nan, 4}, 2}, {[]float32{nan, 1, 0}, 1}, {[]float32{nan, nan}, 0},
	} {
		if got := Argmax(c.v); got != c.want {
			t.Errorf("Argmax(%v) = %d, want %d", c.v, got, c.want)
		}
	}
}
