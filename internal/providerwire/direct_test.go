package providerwire

import (
	"math"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// sameValue says whether two decoded values are the same, reals by their
// bits (NaN included) and embedded instances property by property.
func sameValue(a, b cim.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	t := a.Type()
	switch {
	case t.IsArray():
		x, y := a.Array(), b.Array()
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case t.IsReal():
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case t == cim.TypeObject:
		return sameInstances(a.Instance(), b.Instance())
	case t == cim.TypeString || t == cim.TypeDatetime || t == cim.TypeReference:
		return a.Str() == b.Str()
	}
	return cim.Equal(a, b)
}

func sameInstances(a, b *cim.Instance) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.ClassName() != b.ClassName() || a.Len() != b.Len() {
		return false
	}
	for i := range a.Len() {
		if !sameValue(a.At(i), b.At(i)) {
			return false
		}
	}
	return true
}

// decodeBytes reads an EnumerateReply through Codec, as the daemon does.
func decodeBytes(t testing.TB, b []byte, c *cim.Class) *ReplyDecoder {
	d := &ReplyDecoder{Class: c}
	if err := (Codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// generic reads an EnumerateReply with the generated code.
func generic(b []byte, c *cim.Class) ([]*cim.Instance, error) {
	var r EnumerateReply
	if err := proto.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	var out []*cim.Instance
	for _, m := range r.GetBatch().GetInstances() {
		inst, err := DecodeInstance(m, c)
		if err != nil {
			return nil, err
		}
		out = append(out, inst)
	}
	return out, nil
}

func marshalBatch(t testing.TB, b *EncodedBatch) []byte {
	bs, err := (Codec{}).Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bs.Materialize()
}

// TestDirectRoundTrip: what a provider's batch carries arrives the same,
// read directly and read by the generated code (any protobuf library).
func TestDirectRoundTrip(t *testing.T) {
	c := every(t)
	full := everyInstance(t, c)
	nulls := everyInstance(t, c) // NULLs in the middle, default overridden, and at the end
	nulls.Set("U64", cim.Null)
	nulls.Set("Obj", cim.Null)
	nulls.Set("Ints", cim.Null)
	nulls.Set("Strs", cim.Array(cim.TypeString, cim.String("x"), cim.Null, cim.String("")))
	plain := everyInstance(t, c) // no embedded object: read directly
	plain.Set("Obj", cim.Null)
	same, err := cim.Derive(nil, &cim.Class{Name: strings.ToLower(c.Name), Properties: c.Properties})
	if err != nil {
		t.Fatal(err)
	}
	lookalike := same.NewInstance() // another class object of the same layout: by position
	lookalike.Set("K", cim.String("look"))
	reordered, err := cim.Derive(nil, &cim.Class{Name: c.Name, Properties: []cim.Property{c.Properties[2], c.Properties[0]}})
	if err != nil {
		t.Fatal(err)
	}
	other := reordered.NewInstance() // the same name, another order: by name
	other.Set("K", cim.String("other"))
	other.Set("U8", cim.Uint8(9))

	want := []*cim.Instance{full, nulls, plain, c.NewInstance(), lookalike, other}
	var b EncodedBatch
	for _, inst := range want {
		if err := b.Append(inst, c); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != len(want) {
		t.Fatalf("batch holds %d, want %d", b.Len(), len(want))
	}
	wire := marshalBatch(t, &b)
	d := decodeBytes(t, wire, c)
	if d.Err != nil || !d.Batch || d.Reply != nil {
		t.Fatalf("decoded %+v", d)
	}
	gen, err := generic(wire, c)
	if err != nil {
		t.Fatalf("the generated code cannot read it: %v", err)
	}
	if len(d.Instances) != len(want) || len(gen) != len(want) {
		t.Fatalf("got %d and %d instances, want %d", len(d.Instances), len(gen), len(want))
	}
	for i, w := range want {
		if w == other { // what it has, on the request's class
			w = c.NewInstance()
			w.Set("K", cim.String("other"))
			w.Set("U8", cim.Uint8(9))
		}
		if w == lookalike {
			w = c.NewInstance()
			w.Set("K", cim.String("look"))
		}
		sameInstance(t, d.Instances[i], w)
		if !sameInstances(d.Instances[i], gen[i]) {
			t.Errorf("instance %d: the direct and generated readings differ", i)
		}
	}
	if !d.Instances[1].Value("U64").IsNull() {
		t.Errorf("a NULL by position took the default: %v", d.Instances[1].Value("U64"))
	}
	if v := d.Instances[3].Value("U64"); v.Uint() != 7 {
		t.Errorf("a property left out lost its default: %v", v)
	}

	// A NULL after every other value, where the class has a default: it
	// travels, rather than being left out and taking the default.
	last, err := cim.Derive(nil, &cim.Class{Name: "T_Last", Properties: []cim.Property{
		{Name: "A", Type: cim.TypeString}, {Name: "Z", Type: cim.TypeUint32, Default: cim.Uint32(9)}}})
	if err != nil {
		t.Fatal(err)
	}
	nullLast := last.NewInstance()
	nullLast.Set("A", cim.String("a"))
	nullLast.Set("Z", cim.Null)
	var lb EncodedBatch
	if err := lb.Append(nullLast, last); err != nil {
		t.Fatal(err)
	}
	if d := decodeBytes(t, marshalBatch(t, &lb), last); d.Err != nil || len(d.Instances) != 1 || !d.Instances[0].Value("Z").IsNull() {
		t.Errorf("a trailing NULL over a default arrived as %v (%v)", d.Instances, d.Err)
	}

	// By position means no names: far fewer bytes than the named form.
	var r EnumerateReply
	if err := proto.Unmarshal(wire, &r); err != nil {
		t.Fatal(err)
	}
	if m := r.GetBatch().GetInstances()[2]; len(m.Properties) != 0 || len(m.Values) == 0 {
		t.Errorf("instance 2 went by name: %v", m)
	}
	named := proto.Size(EncodeInstance(plain, c.Name))
	if n := proto.Size(r.GetBatch().GetInstances()[2]); n >= named {
		t.Errorf("by position %d bytes, by name %d", n, named)
	}
}

// TestDirectReadsNamedForm: instances by name (the Python example's, the
// SDK's before) read directly as the generated code reads them.
func TestDirectReadsNamedForm(t *testing.T) {
	c := workload.Class()
	batch := &Batch{}
	for i := range 3 {
		batch.Instances = append(batch.Instances, EncodeInstance(workload.Build(c, i), c.Name))
	}
	// Both forms in one: values first, then the names win.
	mixed := EncodeInstance(workload.Build(c, 7), c.Name)
	mixed.Values = []*Value{{Kind: &Value_Unsigned{Unsigned: 99}}, {Kind: &Value_Text{Text: "overridden"}}}
	batch.Instances = append(batch.Instances, mixed)
	wire, err := proto.Marshal(&EnumerateReply{Kind: &EnumerateReply_Batch{Batch: batch}})
	if err != nil {
		t.Fatal(err)
	}
	d := decodeBytes(t, wire, c)
	if d.Err != nil || len(d.Instances) != 4 {
		t.Fatalf("decoded %d: %v", len(d.Instances), d.Err)
	}
	for i := range 3 {
		sameInstance(t, d.Instances[i], workload.Build(c, i))
	}
	sameInstance(t, d.Instances[3], workload.Build(c, 7))
}

func TestDirectOtherMessages(t *testing.T) {
	c := workload.Class()
	for _, m := range []*EnumerateReply{
		{Kind: &EnumerateReply_Progress{Progress: &Progress{Done: 3, Total: 9}}},
		{Kind: &EnumerateReply_Done{Done: &Done{Error: &Error{Status: uint32(cim.WBEM_E_NOT_FOUND)}}}},
		{},
	} {
		wire, _ := proto.Marshal(m)
		d := decodeBytes(t, wire, c)
		if d.Err != nil || d.Batch || !proto.Equal(d.Reply, m) {
			t.Errorf("%v decoded as %+v", m, d)
		}
	}
	// An empty batch is a batch.
	var b EncodedBatch
	if d := decodeBytes(t, marshalBatch(t, &b), c); !d.Batch || len(d.Instances) != 0 || d.Err != nil {
		t.Errorf("empty batch decoded as %+v", d)
	}
	// Other messages still go through the codec as protobuf.
	bs, err := (Codec{}).Marshal(&Progress{Done: 1})
	if err != nil {
		t.Fatal(err)
	}
	var p Progress
	if err := (Codec{}).Unmarshal(bs, &p); err != nil || p.Done != 1 {
		t.Errorf("progress through the codec: %v %v", &p, err)
	}
}

// TestDirectRefusesBadInput: a malformed instance is the provider's
// failure (a WBEM status in Err), as with the generated code.
func TestDirectRefusesBadInput(t *testing.T) {
	c := every(t)
	str := func(s string) *Value { return &Value{Kind: &Value_Text{Text: s}} }
	tooMany := make([]*Value, len(c.Properties)+1)
	for i := range tooMany {
		tooMany[i] = &Value{}
	}
	for _, tc := range []struct {
		name string
		m    *Instance
		want cim.Status
	}{
		{"too many values", &Instance{Values: tooMany}, cim.WBEM_E_PROVIDER_FAILURE},
		{"integer too wide", &Instance{Values: []*Value{str("k"), {Kind: &Value_Signed{Signed: 128}}}}, cim.WBEM_E_TYPE_MISMATCH},
		{"bad datetime", &Instance{Values: []*Value{str("k"), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, str("soon")}}, cim.WBEM_E_TYPE_MISMATCH},
		{"array into scalar", &Instance{Values: []*Value{{Kind: &Value_Array{Array: &Array{}}}}}, cim.WBEM_E_PROVIDER_FAILURE},
		{"scalar array element wrong", &Instance{Properties: []*PropertyValue{{Name: "Ints", Value: &Value{Kind: &Value_Array{Array: &Array{Items: []*Value{{Kind: &Value_Signed{Signed: 1 << 20}}}}}}}}}, cim.WBEM_E_TYPE_MISMATCH},
		{"unknown property", &Instance{Properties: []*PropertyValue{{Name: "Nope", Value: str("x")}}}, cim.WBEM_E_INVALID_PROPERTY},
		{"another class", &Instance{ClassName: "Other", Values: []*Value{str("k")}}, cim.WBEM_E_PROVIDER_FAILURE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, gerr := DecodeInstance(tc.m, c)
			if cim.StatusOf(gerr) != tc.want {
				t.Errorf("generated: %v, want %s", gerr, tc.want)
			}
			wire, _ := proto.Marshal(&EnumerateReply{Kind: &EnumerateReply_Batch{Batch: &Batch{Instances: []*Instance{tc.m}}}})
			d := decodeBytes(t, wire, c)
			if cim.StatusOf(d.Err) != tc.want {
				t.Errorf("direct: %v, want %s", d.Err, tc.want)
			}
		})
	}
	// Bytes that are no message at all.
	if d := decodeBytes(t, []byte{0x0a, 0x05, 0x0a, 0x7f}, c); cim.StatusOf(d.Err) != cim.WBEM_E_PROVIDER_FAILURE {
		t.Errorf("truncated message: %v", d.Err)
	}
	// A string that is not UTF-8 has no wire form: Append refuses it and
	// keeps the batch as it was.
	var b EncodedBatch
	good := c.NewInstance()
	good.Set("K", cim.String("ok"))
	if err := b.Append(good, c); err != nil {
		t.Fatal(err)
	}
	size := b.Size()
	bad := c.NewInstance()
	bad.Set("Strs", cim.Array(cim.TypeString, cim.String("\xff")))
	if err := b.Append(bad, c); cim.StatusOf(err) != cim.WBEM_E_PROVIDER_FAILURE || !strings.Contains(err.Error(), "Strs") {
		t.Errorf("non-UTF-8 string: %v", err)
	}
	if b.Len() != 1 || b.Size() != size {
		t.Errorf("a refused instance changed the batch: %d instances, %d bytes", b.Len(), b.Size())
	}
}

// TestSplit: a batch leaves at most as many instances as credit allows and
// at most MaxBatchBytes (one larger instance alone), the rest staying.
func TestSplit(t *testing.T) {
	c := workload.Class()
	var b EncodedBatch
	for i := range 10 {
		if err := b.Append(workload.Build(c, i), c); err != nil {
			t.Fatal(err)
		}
	}
	per := (b.Size() - headroom) / 10
	first := b.Split(3, 1<<20)
	if first.Len() != 3 || b.Len() != 7 {
		t.Fatalf("split 3: %d and %d left", first.Len(), b.Len())
	}
	second := b.Split(100, 2*per+per/2)
	if second.Len() != 2 || b.Len() != 5 {
		t.Fatalf("split by bytes: %d and %d left", second.Len(), b.Len())
	}
	if one := b.Split(100, 1); one.Len() != 1 {
		t.Fatalf("an instance larger than the limit travels alone: %d", one.Len())
	}
	rest := b.Split(100, 1<<20)
	if rest.Len() != 4 || b.Len() != 0 {
		t.Fatalf("split all: %d and %d left", rest.Len(), b.Len())
	}
	id := 0
	for _, part := range []*EncodedBatch{first, second, {}, rest} {
		if part.Len() == 0 {
			id++ // the one that travelled alone
			continue
		}
		d := decodeBytes(t, marshalBatch(t, part), c)
		if d.Err != nil {
			t.Fatal(d.Err)
		}
		for _, inst := range d.Instances {
			sameInstance(t, inst, workload.Build(c, id))
			id++
		}
	}
	if err := b.Append(workload.Build(c, 0), c); err != nil || b.Len() != 1 {
		t.Fatalf("appending after a split: %v", err)
	}
}

// FuzzDirectDecode: whatever bytes arrive, the direct reading and the
// generated code's agree — both fail, or both give the same instances —
// and neither panics.
func FuzzDirectDecode(f *testing.F) {
	c := every(f)
	var b EncodedBatch
	full := everyInstance(f, c)
	plain := everyInstance(f, c)
	plain.Set("Obj", cim.Null)
	for _, inst := range []*cim.Instance{plain, full, c.NewInstance()} {
		b.Append(inst, c)
	}
	f.Add(marshalBatch(f, &b))
	named, _ := proto.Marshal(&EnumerateReply{Kind: &EnumerateReply_Batch{Batch: &Batch{Instances: []*Instance{EncodeInstance(plain, c.Name)}}}})
	f.Add(named)
	f.Fuzz(func(t *testing.T, wire []byte) {
		d := decodeBytes(t, wire, c)
		gen, gerr := generic(wire, c)
		var r EnumerateReply
		if proto.Unmarshal(wire, &r) == nil && r.GetBatch() == nil {
			if d.Err != nil || d.Batch || !proto.Equal(d.Reply, &r) {
				t.Fatalf("not a batch: direct %+v, generated %v", d, &r)
			}
			return
		}
		if (d.Err != nil) != (gerr != nil) {
			t.Fatalf("direct error %v, generated error %v", d.Err, gerr)
		}
		if d.Err != nil {
			if cim.AsError(d.Err).Status == 0 {
				t.Fatalf("error without a status: %v", d.Err)
			}
			return
		}
		if len(d.Instances) != len(gen) {
			t.Fatalf("direct %d instances, generated %d", len(d.Instances), len(gen))
		}
		for i := range gen {
			if !sameInstances(d.Instances[i], gen[i]) {
				t.Fatalf("instance %d differs", i)
			}
		}
	})
}
