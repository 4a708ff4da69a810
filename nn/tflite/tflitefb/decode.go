package tflitefb

import "fmt"

// Identifier is the flatbuffer file identifier of TFLite models (schema.fbs:
// file_identifier "TFL3"), stored at bytes 4..8.
const Identifier = "TFL3"

// SchemaVersion is the only Model.version Decode accepts.
const SchemaVersion = 3

// Decode decodes a TFLite model. The returned Model aliases b (see Model).
//
// Every offset, vtable, vector and string is checked against b, so a
// truncated or corrupt file gives an error wrapping ErrMalformed and naming
// the table and field ("tflitefb: Subgraph[0].Tensor[12].quantization: offset
// 123456 out of range ..."); Decode never panics. It also checks the
// references between tables: tensor, buffer, operator-code and subgraph
// indices must be in range (-1 is allowed for optional operator inputs and
// outputs). Fields this package does not decode are not checked.
//
// The file must carry the "TFL3" identifier: the schema declares it and the
// TFLite runtime's verifier requires it, so an identifier-less buffer is
// rejected rather than guessed at. A schema version other than 3 gives
// ErrUnsupported.
func Decode(b []byte) (*Model, error) {
	m, _, err := decode(b, budgetFor(len(b)))
	return m, err
}

// decode decodes b within budget; used is the part of the budget spent.
func decode(b []byte, budget int64) (m *Model, used int64, err error) {
	if len(b) < 8 {
		return nil, 0, malformed("file is %d bytes, too short for a flatbuffer header", len(b))
	}
	if id := string(b[4:8]); id != Identifier {
		return nil, 0, malformed("file identifier is %q, want %q (not a TFLite model?)", id, Identifier)
	}
	d := &decoder{b: b, budget: budget, limit: budget}
	root, err := d.follow(0, "root")
	if err != nil {
		return nil, 0, within(err, "Model")
	}
	t, err := d.tableAt(root)
	if err != nil {
		return nil, 0, within(err, "Model")
	}
	if m, err = d.model(t); err != nil {
		return nil, 0, err
	}
	if err := m.checkRefs(); err != nil {
		return nil, 0, err
	}
	return m, budget - d.budget, nil
}

func (d *decoder) model(t table) (*Model, error) {
	f := d.fields(t)
	m := &Model{Version: f.u32(0, "Model.version", 0)}
	if f.err != nil {
		return nil, f.err
	}
	if m.Version != SchemaVersion {
		return nil, &Error{Path: "Model.version", Err: ErrUnsupported,
			Msg: fmt.Sprintf("schema version %d, only %d is supported", m.Version, SchemaVersion)}
	}
	m.Description = f.str(3, "Model.description")
	f.tables(1, "Model.operator_codes", "OperatorCode", func(k int, t table) error {
		oc, err := d.operatorCode(t)
		m.OperatorCodes = append(m.OperatorCodes, oc)
		return err
	})
	f.tables(4, "Model.buffers", "Buffer", func(k int, t table) error {
		buf, err := d.buffer(t)
		m.Buffers = append(m.Buffers, buf)
		return err
	})
	f.tables(2, "Model.subgraphs", "Subgraph", func(k int, t table) error {
		sg, err := d.subgraph(t)
		m.Subgraphs = append(m.Subgraphs, sg)
		return err
	})
	m.MetadataBuffer = f.int32s(5, "Model.metadata_buffer")
	f.tables(6, "Model.metadata", "Metadata", func(k int, t table) error {
		g := d.fields(t)
		m.Metadata = append(m.Metadata, Metadata{Name: g.str(0, "name"), Buffer: g.u32(1, "buffer", 0)})
		return g.err
	})
	f.tables(7, "Model.signature_defs", "SignatureDef", func(k int, t table) error {
		sd, err := d.signatureDef(t)
		m.SignatureDefs = append(m.SignatureDefs, sd)
		return err
	})
	if f.err != nil {
		return nil, f.err
	}
	return m, nil
}

func (d *decoder) operatorCode(t table) (OperatorCode, error) {
	f := d.fields(t)
	oc := OperatorCode{
		DeprecatedBuiltinCode: f.i8(0, "deprecated_builtin_code", 0),
		CustomCode:            f.str(1, "custom_code"),
		Version:               f.i32(2, "version", 1),
		ExtendedBuiltinCode:   f.i32(3, "builtin_code", 0),
	}
	oc.BuiltinCode = BuiltinOperator(max(int32(oc.DeprecatedBuiltinCode), oc.ExtendedBuiltinCode))
	return oc, f.err
}

func (d *decoder) buffer(t table) ([]byte, error) {
	f := d.fields(t)
	data := f.bytes(0, "data")
	off := f.u64(1, "offset", 0)
	size := f.u64(2, "size", 0)
	if f.err != nil {
		return nil, f.err
	}
	if off > 1 { // schema 3c: "only valid if > 1"
		if len(data) > 0 {
			return nil, fieldErr("offset", "buffer has both %d inline bytes and external data at %d", len(data), off)
		}
		return d.external(off, size, "offset")
	}
	return data, nil
}

func (d *decoder) subgraph(t table) (Subgraph, error) {
	var sg Subgraph
	f := d.fields(t)
	sg.Name = f.str(4, "name")
	f.tables(0, "tensors", "Tensor", func(k int, t table) error {
		tn, err := d.tensor(t)
		sg.Tensors = append(sg.Tensors, tn)
		return err
	})
	sg.Inputs = f.int32s(1, "inputs")
	sg.Outputs = f.int32s(2, "outputs")
	f.tables(3, "operators", "Operator", func(k int, t table) error {
		op, err := d.operator(t)
		sg.Operators = append(sg.Operators, op)
		return err
	})
	return sg, f.err
}

func (d *decoder) tensor(t table) (Tensor, error) {
	f := d.fields(t)
	tn := Tensor{
		Shape:          f.int32s(0, "shape"),
		Type:           TensorType(f.i8(1, "type", 0)),
		Buffer:         f.u32(2, "buffer", 0),
		Name:           f.str(3, "name"),
		IsVariable:     f.boolean(5, "is_variable", false),
		ShapeSignature: f.int32s(7, "shape_signature"),
		HasRank:        f.boolean(8, "has_rank", false),
	}
	if qt, ok := f.table(4, "quantization"); ok {
		q, err := d.quantization(qt)
		if err != nil {
			return tn, within(err, "quantization")
		}
		tn.Quantization = q
	}
	_, tn.Sparse = f.table(6, "sparsity")
	return tn, f.err
}

func (d *decoder) quantization(t table) (*Quantization, error) {
	f := d.fields(t)
	q := &Quantization{
		Min:                f.float32s(0, "min"),
		Max:                f.float32s(1, "max"),
		Scale:              f.float32s(2, "scale"),
		ZeroPoint:          f.int64s(3, "zero_point"),
		DetailsType:        f.u8(4, "details_type", 0),
		QuantizedDimension: f.i32(6, "quantized_dimension", 0),
	}
	f.table(5, "details")
	return q, f.err
}

func (d *decoder) operator(t table) (Operator, error) {
	f := d.fields(t)
	op := Operator{
		OpcodeIndex:            f.u32(0, "opcode_index", 0),
		Inputs:                 f.int32s(1, "inputs"),
		Outputs:                f.int32s(2, "outputs"),
		BuiltinOptionsType:     OptionsType(f.u8(3, "builtin_options_type", 0)),
		CustomOptions:          f.bytes(5, "custom_options"),
		CustomOptionsFormat:    f.i8(6, "custom_options_format", 0),
		MutatingVariableInputs: f.bools(7, "mutating_variable_inputs"),
		Intermediates:          f.int32s(8, "intermediates"),
		BuiltinOptions2Type:    f.u8(11, "builtin_options_2_type", 0),
	}
	largeOff := f.u64(9, "large_custom_options_offset", 0)
	largeSize := f.u64(10, "large_custom_options_size", 0)
	var ot table
	var hasOpts bool
	if op.BuiltinOptionsType != OptionsNone {
		ot, hasOpts = f.table(4, "builtin_options")
	}
	if op.BuiltinOptions2Type != 0 {
		f.table(12, "builtin_options_2")
	}
	if f.err != nil {
		return op, f.err
	}
	if largeOff > 1 {
		if len(op.CustomOptions) > 0 {
			return op, fieldErr("large_custom_options_offset", "operator has both %d inline custom option bytes and external ones at %d",
				len(op.CustomOptions), largeOff)
		}
		b, err := d.external(largeOff, largeSize, "large_custom_options_offset")
		if err != nil {
			return op, err
		}
		op.CustomOptions = b
	}
	if op.BuiltinOptionsType != OptionsNone {
		if !hasOpts {
			ot = table{} // tag without a table: every field takes its default
		}
		o, err := d.options(op.BuiltinOptionsType, ot)
		if err != nil {
			return op, within(err, "builtin_options("+op.BuiltinOptionsType.String()+")")
		}
		op.Options = o
	}
	return op, nil
}

func (d *decoder) signatureDef(t table) (SignatureDef, error) {
	f := d.fields(t)
	sd := SignatureDef{
		Key:           f.str(2, "signature_key"),
		SubgraphIndex: f.u32(4, "subgraph_index", 0),
	}
	tensorMaps := func(i int, name string, dst *[]TensorMap) {
		f.tables(i, name, "TensorMap", func(k int, t table) error {
			g := d.fields(t)
			*dst = append(*dst, TensorMap{Name: g.str(0, "name"), TensorIndex: g.u32(1, "tensor_index", 0)})
			return g.err
		})
	}
	tensorMaps(0, "inputs", &sd.Inputs)
	tensorMaps(1, "outputs", &sd.Outputs)
	return sd, f.err
}

// checkRefs checks the indices that tie the tables together.
func (m *Model) checkRefs() error {
	if len(m.Subgraphs) == 0 {
		return fieldErr("Model.subgraphs", "model has no subgraph")
	}
	nbuf := uint64(len(m.Buffers))
	for si := range m.Subgraphs {
		sg := &m.Subgraphs[si]
		nt := int32(min(len(sg.Tensors), 1<<31-1))
		bad := func(field string, x int32) error {
			return fieldErr(fmt.Sprintf("Subgraph[%d].%s", si, field), "tensor index %d out of range (%d tensors)", x, nt)
		}
		for ti := range sg.Tensors {
			if b := sg.Tensors[ti].Buffer; b != 0 && uint64(b) >= nbuf {
				return fieldErr(fmt.Sprintf("Subgraph[%d].Tensor[%d].buffer", si, ti), "index %d out of range (%d buffers)", b, nbuf)
			}
		}
		for i, x := range sg.Inputs {
			if x < 0 || x >= nt {
				return bad(fmt.Sprintf("inputs[%d]", i), x)
			}
		}
		for i, x := range sg.Outputs {
			if x < 0 || x >= nt {
				return bad(fmt.Sprintf("outputs[%d]", i), x)
			}
		}
		for oi := range sg.Operators {
			op := &sg.Operators[oi]
			if uint64(op.OpcodeIndex) >= uint64(len(m.OperatorCodes)) {
				return fieldErr(fmt.Sprintf("Subgraph[%d].Operator[%d].opcode_index", si, oi),
					"%d out of range (%d operator codes)", op.OpcodeIndex, len(m.OperatorCodes))
			}
			for i, x := range op.Inputs {
				if x < -1 || x >= nt {
					return bad(fmt.Sprintf("Operator[%d].inputs[%d]", oi, i), x)
				}
			}
			for i, x := range op.Outputs {
				if x < -1 || x >= nt {
					return bad(fmt.Sprintf("Operator[%d].outputs[%d]", oi, i), x)
				}
			}
			for i, x := range op.Intermediates {
				if x < -1 || x >= nt {
					return bad(fmt.Sprintf("Operator[%d].intermediates[%d]", oi, i), x)
				}
			}
			if n := len(op.MutatingVariableInputs); n != 0 && n != len(op.Inputs) {
				return fieldErr(fmt.Sprintf("Subgraph[%d].Operator[%d].mutating_variable_inputs", si, oi),
					"%d entries for %d inputs", n, len(op.Inputs))
			}
		}
	}
	for i, md := range m.Metadata {
		if uint64(md.Buffer) >= nbuf {
			return fieldErr(fmt.Sprintf("Metadata[%d].buffer", i), "index %d out of range (%d buffers)", md.Buffer, nbuf)
		}
	}
	for i, x := range m.MetadataBuffer {
		if x < 0 || uint64(x) >= nbuf {
			return fieldErr(fmt.Sprintf("Model.metadata_buffer[%d]", i), "index %d out of range (%d buffers)", x, nbuf)
		}
	}
	for i, sd := range m.SignatureDefs {
		if uint64(sd.SubgraphIndex) >= uint64(len(m.Subgraphs)) {
			return fieldErr(fmt.Sprintf("SignatureDef[%d].subgraph_index", i), "%d out of range (%d subgraphs)", sd.SubgraphIndex, len(m.Subgraphs))
		}
		nt := uint64(len(m.Subgraphs[sd.SubgraphIndex].Tensors))
		for _, l := range [2][]TensorMap{sd.Inputs, sd.Outputs} {
			for _, tm := range l {
				if uint64(tm.TensorIndex) >= nt {
					return fieldErr(fmt.Sprintf("SignatureDef[%d]", i), "tensor %q: index %d out of range (%d tensors)", tm.Name, tm.TensorIndex, nt)
				}
			}
		}
	}
	return nil
}
