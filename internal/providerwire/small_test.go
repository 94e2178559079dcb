package providerwire

import (
	"math"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestDirectSmallValues: the decoder's reading of the usual value field (a
// one-byte tag and length, a Value of one scalar field: decodeDirect's
// first case, smallScalar, plainText's short form) gives what the
// generated code gives — the same value, or an error for both — for every
// kind sent for every type, in range and out of it, and for encodings an
// encoder would not write (a longer varint, a boolean of 2, a text whose
// length disagrees with its field's).
func TestDirectSmallValues(t *testing.T) {
	types := []cim.Type{cim.TypeBoolean, cim.TypeUint8, cim.TypeUint16, cim.TypeUint32, cim.TypeUint64,
		cim.TypeSint8, cim.TypeSint16, cim.TypeSint32, cim.TypeSint64, cim.TypeReal32, cim.TypeReal64,
		cim.TypeChar16, cim.TypeString, cim.TypeDatetime}
	c := &cim.Class{Name: "T_Small"}
	for _, ty := range types {
		c.Properties = append(c.Properties, cim.Property{Name: "P" + ty.String(), Type: ty})
	}
	varint := func(tag byte, x uint64) []byte { return protowire.AppendVarint([]byte{tag}, x) }
	values := map[string][]byte{
		"null":            {},
		"false":           {tagBoolean, 0},
		"true":            {tagBoolean, 1},
		"bool 2":          {tagBoolean, 2},
		"bool long":       {tagBoolean, 0x81, 0},
		"bool truncated":  {tagBoolean, 0x80},
		"uint truncated":  {tagUnsigned, 0x80},
		"sint truncated":  {tagSigned, 0xff},
		"uint 7":          varint(tagUnsigned, 7),
		"uint 300":        varint(tagUnsigned, 300),
		"uint 70000":      varint(tagUnsigned, 70000),
		"uint 2^32":       varint(tagUnsigned, 1<<32),
		"uint max":        varint(tagUnsigned, math.MaxUint64),
		"uint 0 long":     {tagUnsigned, 0x80, 0},
		"sint -1":         varint(tagSigned, protowire.EncodeZigZag(-1)),
		"sint 200":        varint(tagSigned, protowire.EncodeZigZag(200)),
		"sint -40000":     varint(tagSigned, protowire.EncodeZigZag(-40000)),
		"sint min":        varint(tagSigned, protowire.EncodeZigZag(math.MinInt64)),
		"real 1.5":        protowire.AppendFixed64([]byte{tagReal}, math.Float64bits(1.5)),
		"real 1e300":      protowire.AppendFixed64([]byte{tagReal}, math.Float64bits(1e300)),
		"real NaN":        protowire.AppendFixed64([]byte{tagReal}, math.Float64bits(math.NaN())),
		"real short":      {tagReal, 0, 0, 0},
		"text":            {tagText, 2, 'h', 'i'},
		"text number":     {tagText, 2, '4', '2'},
		"text datetime":   append([]byte{tagText, 25}, "20261126120000.000000+000"...),
		"text too long":   {tagText, 3, 'h', 'i'},
		"text too short":  {tagText, 1, 'h', 'i'},
		"text not UTF-8":  {tagText, 2, 0xff, 0xfe},
		"two fields":      append(varint(tagUnsigned, 1), varint(tagUnsigned, 2)...),
		"unknown field":   {15 << 3, 1},
		"truncated":       {tagUnsigned},
		"varint overflow": {tagUnsigned, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	for name, v := range values {
		for k := range c.Properties {
			// An Instance whose property k has v, the others NULL, all by
			// position in the usual form.
			var inst []byte
			for i := range c.Properties {
				if i == k {
					inst = append(append(inst, tagValues, byte(len(v))), v...)
				} else {
					inst = append(inst, tagValues, 0)
				}
			}
			wire := protowire.AppendBytes(protowire.AppendTag(nil, fieldReplyBatch, protowire.BytesType),
				protowire.AppendBytes(protowire.AppendTag(nil, fieldBatchInstance, protowire.BytesType), inst))
			d := decodeBytes(t, wire, c)
			gen, gerr := generic(wire, c)
			what := name + " as " + c.Properties[k].Type.String()
			if (d.Err != nil) != (gerr != nil) {
				t.Errorf("%s: direct error %v, generated error %v", what, d.Err, gerr)
				continue
			}
			if d.Err != nil {
				continue
			}
			if len(d.Instances) != 1 || len(gen) != 1 || !sameInstances(d.Instances[0], gen[0]) {
				t.Errorf("%s: direct %v, generated %v", what, d.Instances, gen)
			}
		}
	}
}

// TestDirectUsualLoop: decodeDirect's first loop (usual) reads every value
// an encoder writes for the types it knows, instance after instance — the
// state it keeps per property (the op, the last text) stays right after
// the first instance — and stops, for the general loop, at the first
// value it does not read, leaving the rest to it.
func TestDirectUsualLoop(t *testing.T) {
	c := workload.Class()
	texts := textsFor(c)
	var arena textArena
	for i := range 3 {
		ib := onlyInstance(batchOf(t, c, workload.Build(c, i*1000)))
		var d directInstance
		d.start(ib, nil, c, &arena)
		k, rest, ok := d.usual(ib, texts, &arena)
		if !ok || k != len(c.Properties) || len(rest) != 0 {
			t.Fatalf("instance %d: usual read %d of %d properties (ok %v), %d bytes left", i, k, len(c.Properties), ok, len(rest))
		}
		sameInstance(t, d.inst, workload.Build(c, i*1000))
	}

	// The class of every type (no embedded object, which goes by name):
	// the loop reads up to the first property it leaves to the general
	// loop (R32, a real32).
	e := every(t)
	plain := everyInstance(t, e)
	plain.Set("Obj", cim.Null)
	ib := onlyInstance(batchOf(t, e, plain))
	var d directInstance
	d.start(ib, nil, e, &arena)
	k, _, ok := d.usual(ib, textsFor(e), &arena)
	if want := e.PropertyIndex("R32"); !ok || k != want {
		t.Errorf("every type: usual read %d properties (ok %v), want %d", k, ok, want)
	}
}

// onlyInstance returns the bytes of the one instance field of an encoded
// batch of one instance.
func onlyInstance(b []byte) []byte {
	_, _, n := protowire.ConsumeTag(b)
	body, _ := protowire.ConsumeBytes(b[n:])
	_, _, n = protowire.ConsumeTag(body)
	ib, _ := protowire.ConsumeBytes(body[n:])
	return ib
}
