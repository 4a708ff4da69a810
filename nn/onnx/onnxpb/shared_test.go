package onnxpb

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/ocellus/ocellus/internal/fixture"
)

func sharedModels(t *testing.T) []string {
	var files []string
	nodeTests := fixture.Path(t, "onnx-node-tests")
	for _, pat := range []string{"node/*/model.onnx", "pytorch-converted/*/model.onnx"} {
		m, err := filepath.Glob(filepath.Join(nodeTests, pat))
		if err != nil {
			t.Fatal(err)
		}
		if len(m) == 0 {
			t.Fatalf("no %s under %s", pat, nodeTests)
		}
		files = append(files, m...)
	}
	m, _ := filepath.Glob(filepath.Join(fixture.Path(t, "models", "onnx"), "*.onnx"))
	if len(m) < 5 {
		t.Fatalf("only %d models under models/onnx", len(m))
	}
	return append(files, m...)
}

// roundTrip checks decode(encode(m)) == m and that encoding is stable.
func roundTrip(t testing.TB, name string, m *Model) {
	t.Helper()
	enc := m.Marshal()
	m2, err := DecodeModel(enc)
	if err != nil {
		t.Fatalf("%s: decoding re-encoded model: %v", name, err)
	}
	if d := sameBits(m, m2); d != "" {
		t.Fatalf("%s: decode(encode(m)) != m at Model%s", name, d)
	}
	if enc2 := m2.Marshal(); !bytes.Equal(enc, enc2) {
		t.Fatalf("%s: second encoding differs (%d vs %d bytes)", name, len(enc), len(enc2))
	}
}

func TestSharedModelsDecodeAndRoundTrip(t *testing.T) {
	files := sharedModels(t)
	identical := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeModel(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if m.Graph == nil || len(m.Graph.Nodes) == 0 || len(m.OpsetImports) == 0 || m.IRVersion == 0 {
			t.Errorf("%s: decoded model lacks graph/nodes/opset/ir_version: %+v", f, m)
			continue
		}
		for _, n := range m.Graph.Nodes {
			if n.OpType == "" {
				t.Errorf("%s: node %q without op_type", f, n.Name)
			}
		}
		roundTrip(t, f, m)
		if bytes.Equal(m.Marshal(), b) {
			identical++
		}
	}
	t.Logf("%d models decoded and round-tripped; %d re-encode byte-identical to the file", len(files), identical)
}

// TestSharedInitializers reads every initializer of the shared models with
// the typed accessor for its data type.
func TestSharedInitializers(t *testing.T) {
	counts := map[DataType]int{}
	for _, f := range sharedModels(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeModel(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var tensors []*Tensor
		tensors = append(tensors, m.Graph.Initializers...)
		for _, n := range m.Graph.Nodes {
			for _, a := range n.Attributes {
				if a.T != nil {
					tensors = append(tensors, a.T)
				}
			}
		}
		for _, x := range tensors {
			n, err := readAny(x)
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			want, _ := x.NumElements()
			if n != want {
				t.Errorf("%s: tensor %q: read %d values, dims say %d", f, x.Name, n, want)
			}
			counts[x.DataType]++
		}
	}
	if counts[DataTypeFloat] == 0 || counts[DataTypeInt64] == 0 || counts[DataTypeUint8] == 0 || counts[DataTypeInt32] == 0 {
		t.Errorf("expected FLOAT, INT64, UINT8 and INT32 initializers, got %v", counts)
	}
	t.Logf("initializers and tensor attributes read by type: %v", counts)
}

// readAny reads x with the accessor for its data type and returns the
// element count.
func readAny(x *Tensor) (int, error) {
	switch x.DataType {
	case DataTypeFloat:
		v, err := x.Float32s()
		return len(v), err
	case DataTypeDouble:
		v, err := x.Float64s()
		return len(v), err
	case DataTypeInt64:
		v, err := x.Int64s()
		return len(v), err
	case DataTypeInt32:
		v, err := x.Int32s()
		return len(v), err
	case DataTypeInt16:
		v, err := x.Int16s()
		return len(v), err
	case DataTypeUint16:
		v, err := x.Uint16s()
		return len(v), err
	case DataTypeInt8:
		v, err := x.Int8s()
		return len(v), err
	case DataTypeUint8:
		v, err := x.Uint8s()
		return len(v), err
	case DataTypeUint32:
		v, err := x.Uint32s()
		return len(v), err
	case DataTypeUint64:
		v, err := x.Uint64s()
		return len(v), err
	case DataTypeBool:
		v, err := x.Bools()
		return len(v), err
	case DataTypeFloat16, DataTypeBFloat16:
		v, err := x.Float16sAsFloat32()
		return len(v), err
	case DataTypeString:
		v, err := x.Strings()
		return len(v), err
	}
	return -1, nil
}

func TestSharedTestData(t *testing.T) {
	dir := fixture.Path(t, "onnx-node-tests")
	sets, err := filepath.Glob(filepath.Join(dir, "*", "*", "test_data_set_*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) < 300 {
		t.Fatalf("only %d test_data_set_* folders under %s", len(sets), dir)
	}
	files, read := 0, 0
	for _, set := range sets {
		mb, err := os.ReadFile(filepath.Join(filepath.Dir(set), "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeModel(mb)
		if err != nil {
			t.Fatalf("%s: %v", set, err)
		}
		for _, side := range []struct {
			prefix string
			vis    []*ValueInfo
		}{{"input", m.Graph.Inputs}, {"output", m.Graph.Outputs}} {
			pbs, _ := filepath.Glob(filepath.Join(set, side.prefix+"_*.pb"))
			for i := range pbs {
				// Glob sorts input_10 before input_2; name them by index.
				f := filepath.Join(set, side.prefix+"_"+strconv.Itoa(i)+".pb")
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				files++
				x, err := DecodeTensor(b)
				if err != nil {
					t.Errorf("%s: %v", f, err)
					continue
				}
				if y, err := DecodeTensor(x.Marshal()); err != nil || !bytes.Equal(x.Marshal(), y.Marshal()) {
					t.Errorf("%s: tensor round trip failed: %v", f, err)
				}
				// Sequence and optional values are other messages
				// (SequenceProto, OptionalProto): only tensors are read.
				if i >= len(side.vis) || !side.vis[i].Type.IsTensor() {
					continue
				}
				tt := side.vis[i].Type.Tensor
				if x.DataType != tt.ElemType {
					t.Errorf("%s: data type %v, graph declares %v", f, x.DataType, tt.ElemType)
				}
				if tt.Shape != nil && len(tt.Shape.Dims) != len(x.Dims) {
					t.Errorf("%s: rank %d, graph declares %d", f, len(x.Dims), len(tt.Shape.Dims))
				}
				n, err := readAny(x)
				if err != nil {
					t.Errorf("%s: %v", f, err)
					continue
				}
				if n >= 0 {
					read++
				}
			}
		}
	}
	if read < 900 {
		t.Errorf("only %d of %d tensors read by typed accessors", read, files)
	}
	t.Logf("%d tensors decoded, %d read by typed accessors", files, read)
}

func TestKnownFacts(t *testing.T) {
	dir := fixture.Path(t, "models", "onnx")
	load := func(name string) *Model {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := DecodeModel(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}

	m := load("mnist-8.onnx")
	if got := m.Opset(""); got != 8 {
		t.Errorf("mnist-8 opset = %d, want 8", got)
	}
	if len(m.Graph.Inputs) == 0 || m.Graph.Inputs[0].Name != "Input3" {
		t.Fatalf("mnist-8 first input = %+v, want Input3", m.Graph.Inputs)
	}
	in := m.Graph.Inputs[0].Type
	if !in.IsTensor() || in.Tensor.ElemType != DataTypeFloat || in.Tensor.Shape == nil {
		t.Fatalf("mnist-8 Input3 type = %+v", in)
	}
	var dims []int64
	for _, d := range in.Tensor.Shape.Dims {
		if !d.HasValue {
			t.Fatalf("mnist-8 Input3 has a symbolic dim %q", d.Param)
		}
		dims = append(dims, d.Value)
	}
	if !slices.Equal(dims, []int64{1, 1, 28, 28}) {
		t.Errorf("mnist-8 Input3 dims = %v, want [1 1 28 28]", dims)
	}
	conv := 0
	for _, n := range m.Graph.Nodes {
		if n.OpType == "Conv" {
			conv++
			k, err := n.AttrInts("kernel_shape", nil)
			if err != nil || !slices.Equal(k, []int64{5, 5}) {
				t.Errorf("mnist-8 %s kernel_shape = %v, %v; want [5 5]", n.Name, k, err)
			}
			if _, err := n.AttrInt("kernel_shape", 0); !errors.Is(err, ErrType) {
				t.Errorf("AttrInt on an INTS attribute: err = %v, want ErrType", err)
			}
		}
	}
	if conv != 2 {
		t.Errorf("mnist-8 has %d Conv nodes, want 2", conv)
	}

	q := load("mobilenetv2-12-int8.onnx")
	var domains []string
	for _, o := range q.OpsetImports {
		domains = append(domains, o.Domain)
	}
	if !slices.Contains(domains, "com.microsoft") {
		t.Errorf("mobilenetv2-12-int8 opset domains = %q, want com.microsoft among them", domains)
	}
	if q.Opset("com.microsoft") == 0 {
		t.Errorf("Opset(com.microsoft) = 0")
	}
	ops := map[string]int{}
	for _, n := range q.Graph.Nodes {
		ops[n.OpType]++
	}
	if ops["QLinearConv"] == 0 {
		t.Errorf("mobilenetv2-12-int8 has no QLinearConv: %v", ops)
	}
}
