package gorgonia

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"unsafe"

	ocellus "github.com/ocellus/ocellus/nn/tensor"
	"gorgonia.org/tensor"
)

// dtypeCase describes one supported dtype: its gorgonia counterpart, a value
// pattern, and typed access to an ocellus tensor's slice.
type dtypeCase struct {
	dt    ocellus.DType
	gdt   tensor.Dtype
	val   func(i int) any // distinct for small i (bool alternates)
	get   func(t *ocellus.Tensor, i int) any
	set   func(t *ocellus.Tensor, i int, v any)
	data0 func(t *ocellus.Tensor) unsafe.Pointer
}

func dtypeCases() []dtypeCase {
	return []dtypeCase{
		{ocellus.Float32, tensor.Float32,
			func(i int) any { return float32(i)*0.5 - 3 },
			func(t *ocellus.Tensor, i int) any { return t.F32[i] },
			func(t *ocellus.Tensor, i int, v any) { t.F32[i] = v.(float32) },
			func(t *ocellus.Tensor) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(t.F32)) }},
		{ocellus.Uint8, tensor.Uint8,
			func(i int) any { return uint8(200 + i%50) },
			func(t *ocellus.Tensor, i int) any { return t.U8[i] },
			func(t *ocellus.Tensor, i int, v any) { t.U8[i] = v.(uint8) },
			func(t *ocellus.Tensor) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(t.U8)) }},
		{ocellus.Int8, tensor.Int8,
			func(i int) any { return int8(i%200 - 100) },
			func(t *ocellus.Tensor, i int) any { return t.I8[i] },
			func(t *ocellus.Tensor, i int, v any) { t.I8[i] = v.(int8) },
			func(t *ocellus.Tensor) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(t.I8)) }},
		{ocellus.Int32, tensor.Int32,
			func(i int) any { return int32(i*100003 - 7) },
			func(t *ocellus.Tensor, i int) any { return t.I32[i] },
			func(t *ocellus.Tensor, i int, v any) { t.I32[i] = v.(int32) },
			func(t *ocellus.Tensor) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(t.I32)) }},
		{ocellus.Int64, tensor.Int64,
			func(i int) any { return int64(i)<<40 - 5 },
			func(t *ocellus.Tensor, i int) any { return t.I64[i] },
			func(t *ocellus.Tensor, i int, v any) { t.I64[i] = v.(int64) },
			func(t *ocellus.Tensor) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(t.I64)) }},
		{ocellus.Bool, tensor.Bool,
			func(i int) any { return i%3 == 1 },
			func(t *ocellus.Tensor, i int) any { return t.Bool[i] },
			func(t *ocellus.Tensor, i int, v any) { t.Bool[i] = v.(bool) },
			func(t *ocellus.Tensor) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(t.Bool)) }},
	}
}

// negate returns a value different from v of the same type.
func negate(v any) any {
	switch x := v.(type) {
	case float32:
		return -x + 1000
	case uint8:
		return ^x
	case int8:
		return ^x
	case int32:
		return ^x
	case int64:
		return ^x
	case bool:
		return !x
	}
	panic(fmt.Sprintf("negate %T", v))
}

// coords unravels flat index i in a row-major shape.
func coords(shape []int, i int) []int {
	c := make([]int, len(shape))
	for a := len(shape) - 1; a >= 0; a-- {
		c[a] = i % shape[a]
		i /= shape[a]
	}
	return c
}

// probe returns the flat indices to poke: first, last and an inner one.
func probe(n int) []int {
	return slices.Compact([]int{0, n / 2, n - 1})
}

var testShapes = [][]int{nil, {1}, {7}, {3, 5}, {2, 3, 4, 5}}

func TestToDenseFromDenseShareMemory(t *testing.T) {
	for _, c := range dtypeCases() {
		for _, shape := range testShapes {
			t.Run(fmt.Sprintf("%v/%v", c.dt, shape), func(t *testing.T) {
				o := ocellus.New(c.dt, shape...)
				n := o.Len()
				for i := 0; i < n; i++ {
					c.set(o, i, c.val(i))
				}
				d, err := ToDense(o)
				if err != nil {
					t.Fatalf("ToDense: %v", err)
				}
				if d.Dtype() != c.gdt {
					t.Fatalf("Dense dtype %v, want %v", d.Dtype(), c.gdt)
				}
				if !slices.Equal([]int(d.Shape()), shape) || d.IsScalar() != (len(shape) == 0) {
					t.Fatalf("Dense shape %v (scalar %v), want %v", d.Shape(), d.IsScalar(), shape)
				}
				// Every element reads the same through the Dense.
				for i := 0; i < n; i++ {
					got, err := d.At(coords(shape, i)...)
					if err != nil || got != c.val(i) {
						t.Fatalf("Dense.At(%v) = %v, %v; want %v", coords(shape, i), got, err, c.val(i))
					}
				}
				for _, i := range probe(n) {
					// ocellus → gorgonia
					v := negate(c.get(o, i))
					c.set(o, i, v)
					if got, _ := d.At(coords(shape, i)...); got != v {
						t.Fatalf("write to ocellus[%d]=%v not seen by Dense: %v", i, v, got)
					}
					// gorgonia → ocellus
					w := negate(v)
					if err := d.SetAt(w, coords(shape, i)...); err != nil {
						t.Fatal(err)
					}
					if got := c.get(o, i); got != w {
						t.Fatalf("Dense.SetAt(%v) at %d not seen by ocellus: %v", w, i, got)
					}
				}

				back, err := FromDense(d)
				if err != nil {
					t.Fatalf("FromDense: %v", err)
				}
				if back.DType != c.dt || !slices.Equal(back.Shape, shape) || back.Len() != n {
					t.Fatalf("round trip gave %v, want %v%v", back, c.dt, shape)
				}
				if c.data0(back) != c.data0(o) {
					t.Fatal("round trip does not share the original backing array")
				}
				if len(back.Bytes()) != n*c.dt.Size() {
					t.Fatalf("round trip data holds %d bytes, want %d", len(back.Bytes()), n*c.dt.Size())
				}
				// The shape is copied, not aliased.
				if len(shape) > 0 {
					back.Shape[0] = 99
					if o.Shape[0] == 99 || d.Shape()[0] == 99 {
						t.Fatal("shape slice is aliased")
					}
				}
			})
		}
	}
}

func TestFromDenseShareMemory(t *testing.T) {
	for _, c := range dtypeCases() {
		for _, shape := range testShapes {
			t.Run(fmt.Sprintf("%v/%v", c.dt, shape), func(t *testing.T) {
				var d *tensor.Dense
				if len(shape) == 0 {
					d = tensor.New(tensor.FromScalar(c.val(3)))
				} else {
					d = tensor.New(tensor.WithShape(shape...), tensor.Of(c.gdt))
					for i := 0; i < d.Shape().TotalSize(); i++ {
						if err := d.SetAt(c.val(i), coords(shape, i)...); err != nil {
							t.Fatal(err)
						}
					}
				}
				o, err := FromDense(d)
				if err != nil {
					t.Fatalf("FromDense: %v", err)
				}
				n := ocellus.NumElems(shape)
				if o.DType != c.dt || !slices.Equal(o.Shape, shape) || len(o.Bytes()) != n*c.dt.Size() {
					t.Fatalf("FromDense gave %v with %d bytes, want %v%v", o, len(o.Bytes()), c.dt, shape)
				}
				for i := 0; i < n; i++ {
					want, _ := d.At(coords(shape, i)...)
					if got := c.get(o, i); got != want {
						t.Fatalf("ocellus[%d] = %v, Dense has %v", i, got, want)
					}
				}
				for _, i := range probe(n) {
					v := negate(c.get(o, i))
					c.set(o, i, v)
					if got, _ := d.At(coords(shape, i)...); got != v {
						t.Fatalf("write to ocellus[%d]=%v not seen by Dense: %v", i, v, got)
					}
					w := negate(v)
					if err := d.SetAt(w, coords(shape, i)...); err != nil {
						t.Fatal(err)
					}
					if got := c.get(o, i); got != w {
						t.Fatalf("Dense.SetAt(%v) at %d not seen by ocellus: %v", w, i, got)
					}
				}
			})
		}
	}
}

func TestFromDenseContiguousRowView(t *testing.T) {
	parent := ocellus.FromF32([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3, 4)
	d, err := ToDense(parent)
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.Slice(tensor.S(1, 3)) // rows 1 and 2: contiguous
	if err != nil {
		t.Fatal(err)
	}
	o, err := FromDense(v.(*tensor.Dense))
	if err != nil {
		t.Fatalf("FromDense(rows 1:3): %v", err)
	}
	if !slices.Equal(o.Shape, []int{2, 4}) || !slices.Equal(o.F32, parent.F32[4:12]) {
		t.Fatalf("rows 1:3 gave %v %v, want [2 4] %v", o.Shape, o.F32, parent.F32[4:12])
	}
	if cap(o.F32) != 8 {
		t.Errorf("view data cap %d, want 8 (must not reach past the view)", cap(o.F32))
	}
	o.F32[0] = -1
	if parent.F32[4] != -1 {
		t.Fatalf("write through view not seen in parent: %v", parent.F32)
	}

	// A leading view must not let appends reach the rows after it.
	v, err = d.Slice(tensor.S(0, 2))
	if err != nil {
		t.Fatal(err)
	}
	o, err = FromDense(v.(*tensor.Dense))
	if err != nil {
		t.Fatalf("FromDense(rows 0:2): %v", err)
	}
	if len(o.F32) != 8 || cap(o.F32) != 8 || &o.F32[0] != &parent.F32[0] {
		t.Fatalf("rows 0:2 gave len %d cap %d (want 8, 8) or a copy", len(o.F32), cap(o.F32))
	}
	_ = append(o.F32, 42)
	if parent.F32[8] != 8 {
		t.Fatalf("append to a view overwrote the parent's next row: %v", parent.F32)
	}
}

func TestFromDenseRejects(t *testing.T) {
	mat := func() *tensor.Dense {
		return tensor.New(tensor.WithShape(3, 4), tensor.WithBacking([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
	}
	view := func(d *tensor.Dense, s ...tensor.Slice) *tensor.Dense {
		v, err := d.Slice(s...)
		if err != nil {
			t.Fatal(err)
		}
		return v.(*tensor.Dense)
	}
	transposed := mat()
	if err := transposed.T(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		d    *tensor.Dense
		want error
	}{
		{"nil", nil, ErrInvalid},
		{"float64", tensor.New(tensor.WithShape(2, 2), tensor.Of(tensor.Float64)), ErrDType},
		{"int", tensor.New(tensor.WithShape(3), tensor.Of(tensor.Int)), ErrDType},
		{"uint16", tensor.New(tensor.WithShape(3), tensor.Of(tensor.Uint16)), ErrDType},
		{"float64 scalar", tensor.New(tensor.FromScalar(1.5)), ErrDType},
		{"empty", tensor.New(tensor.WithShape(0, 3), tensor.WithBacking([]float32{})), ErrEmpty},
		{"transposed", transposed, ErrLayout},
		{"column", view(mat(), nil, tensor.S(1)), ErrLayout},
		{"columns 1:3", view(mat(), nil, tensor.S(1, 3)), ErrLayout},
		{"row step 2", view(mat(), tensor.S(0, 3, 2)), ErrLayout},
		{"fortran", tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float32, 6)), tensor.AsFortran(nil)), ErrLayout},
		{"masked", tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]int32, 6), []bool{false, true, false, false, false, false})), ErrLayout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := FromDense(tc.d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("FromDense = %v, %v; want %v", o, err, tc.want)
			}
			if o != nil {
				t.Fatalf("FromDense returned %v with error", o)
			}
		})
	}
}

// Materializing or physically transposing a rejected Dense makes it acceptable.
func TestFromDenseAfterMaterialize(t *testing.T) {
	d := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]int64{0, 1, 2, 3, 4, 5}))
	if err := d.T(); err != nil {
		t.Fatal(err)
	}
	if err := d.Transpose(); err != nil {
		t.Fatal(err)
	}
	o, err := FromDense(d)
	if err != nil {
		t.Fatalf("FromDense after Transpose(): %v", err)
	}
	if want := []int64{0, 3, 1, 4, 2, 5}; !slices.Equal(o.Shape, []int{3, 2}) || !slices.Equal(o.I64, want) {
		t.Fatalf("got %v %v, want [3 2] %v", o.Shape, o.I64, want)
	}
	// gorgonia v0.9.24 leaves DataOrder().IsTransposed() set after
	// Transpose() and copies it into arithmetic results; both are plain
	// row-major data and must be accepted.
	twice, err := tensor.Add(d, d)
	if err != nil {
		t.Fatal(err)
	}
	o, err = FromDense(twice.(*tensor.Dense))
	if err != nil {
		t.Fatalf("FromDense(Add of a Transpose()d Dense): %v", err)
	}
	if want := []int64{0, 6, 2, 8, 4, 10}; !slices.Equal(o.I64, want) {
		t.Fatalf("got %v, want %v", o.I64, want)
	}

	m := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
	v, err := m.Slice(nil, tensor.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	o, err = FromDense(v.(*tensor.Dense).Materialize().(*tensor.Dense))
	if err != nil {
		t.Fatalf("FromDense after Materialize(): %v", err)
	}
	if want := []float32{1, 2, 5, 6, 9, 10}; !slices.Equal(o.Shape, []int{3, 2}) || !slices.Equal(o.F32, want) {
		t.Fatalf("got %v %v, want [3 2] %v", o.Shape, o.F32, want)
	}
}

func TestToDenseRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    *ocellus.Tensor
		want error
	}{
		{"nil", nil, ErrInvalid},
		{"invalid dtype", &ocellus.Tensor{DType: ocellus.Invalid, Shape: []int{1}, F32: []float32{1}}, ErrDType},
		{"dtype 99", &ocellus.Tensor{DType: 99, Shape: []int{1}}, ErrDType},
		{"zero elements", ocellus.New(ocellus.Float32, 0, 3), ErrEmpty},
		{"negative dim", &ocellus.Tensor{DType: ocellus.Int8, Shape: []int{-2, -3}, I8: make([]int8, 6)}, ErrInvalid},
		{"short data", &ocellus.Tensor{DType: ocellus.Float32, Shape: []int{2, 3}, F32: make([]float32, 5)}, ErrInvalid},
		{"long data", &ocellus.Tensor{DType: ocellus.Int32, Shape: []int{2}, I32: make([]int32, 3)}, ErrInvalid},
		{"wrong slice set", &ocellus.Tensor{DType: ocellus.Uint8, Shape: []int{4}, I8: make([]int8, 4)}, ErrInvalid},
		{"scalar without data", &ocellus.Tensor{DType: ocellus.Bool}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ToDense(tc.t)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ToDense = %v, %v; want %v", d, err, tc.want)
			}
			if d != nil {
				t.Fatal("ToDense returned a Dense with an error")
			}
		})
	}
}

// gorgonia operations on wrapped ocellus data give the right numbers, and
// in-place ones write into the ocellus tensor.
func TestGorgoniaOps(t *testing.T) {
	a := ocellus.FromF32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := ocellus.FromF32([]float32{10, 20, 30, 40, 50, 60}, 2, 3)
	da, err := ToDense(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := ToDense(b)
	if err != nil {
		t.Fatal(err)
	}

	sum, err := tensor.Add(da, db)
	if err != nil {
		t.Fatal(err)
	}
	s, err := FromDense(sum.(*tensor.Dense))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{11, 22, 33, 44, 55, 66}; !slices.Equal(s.F32, want) || !slices.Equal(s.Shape, []int{2, 3}) {
		t.Fatalf("Add = %v %v, want [2 3] %v", s.Shape, s.F32, want)
	}
	if a.F32[0] != 1 {
		t.Fatalf("allocating Add modified its input: %v", a.F32)
	}

	rows, err := tensor.Sum(da, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromDense(rows.(*tensor.Dense))
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{6, 15}; !slices.Equal(r.F32, want) || !slices.Equal(r.Shape, []int{2}) {
		t.Fatalf("Sum(axis 1) = %v %v, want [2] %v", r.Shape, r.F32, want)
	}

	total, err := tensor.Sum(da)
	if err != nil {
		t.Fatal(err)
	}
	if got := total.Data(); got != float32(21) {
		t.Fatalf("Sum = %v, want 21", got)
	}
	tt, err := FromDense(total.(*tensor.Dense))
	if err != nil {
		t.Fatalf("FromDense(scalar Sum): %v", err)
	}
	if len(tt.Shape) != 0 || !slices.Equal(tt.F32, []float32{21}) {
		t.Fatalf("scalar Sum as ocellus = %v %v", tt.Shape, tt.F32)
	}

	if _, err := tensor.Add(da, db, tensor.UseUnsafe()); err != nil {
		t.Fatal(err)
	}
	if want := []float32{11, 22, 33, 44, 55, 66}; !slices.Equal(a.F32, want) {
		t.Fatalf("in-place Add left ocellus tensor %v, want %v", a.F32, want)
	}

	// Integer data too (gorgonia's linear algebra is float-only, so
	// elementwise Mul and a reduction).
	m, err := ToDense(&ocellus.Tensor{DType: ocellus.Int32, Shape: []int{2, 2}, I32: []int32{1, 2, 3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	x, err := ToDense(&ocellus.Tensor{DType: ocellus.Int32, Shape: []int{2, 2}, I32: []int32{5, -6, 7, -8}})
	if err != nil {
		t.Fatal(err)
	}
	prod, err := tensor.Mul(m, x)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := tensor.Sum(prod, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cols.Data(), []int32{26, -44}; !slices.Equal(got.([]int32), want) {
		t.Fatalf("Sum(m*x, axis 0) = %v, want %v", got, want)
	}
}
