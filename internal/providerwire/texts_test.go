package providerwire

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
)

// batchOf encodes insts as one EnumerateReply of class c.
func batchOf(t testing.TB, c *cim.Class, insts ...*cim.Instance) []byte {
	var b EncodedBatch
	for _, inst := range insts {
		if err := b.Append(inst, c); err != nil {
			t.Fatal(err)
		}
	}
	return marshalBatch(t, &b)
}

// prop returns inst's property name.
func prop(inst *cim.Instance, name string) cim.Value {
	v, _ := inst.Get(name)
	return v
}

// TestDecoderSharesRepeatedTexts: a text an instance sends by position that
// the one before sent for the same property becomes the same value — the
// string shared, a datetime not parsed again —, across messages too, and
// only for the class it was read for; the instances read are those sent.
func TestDecoderSharesRepeatedTexts(t *testing.T) {
	c := workload.Class()
	d := &ReplyDecoder{Class: c}
	want := []*cim.Instance{workload.Build(c, 0), workload.Build(c, 1), workload.Build(c, 2)}
	if err := (Codec{}).Unmarshal(pieces(batchOf(t, c, want[:2]...), 40), d); err != nil || d.Err != nil || len(d.Instances) != 2 {
		t.Fatalf("%v %v %d", err, d.Err, len(d.Instances))
	}
	first := append([]*cim.Instance(nil), d.Instances...)
	// The next message in the same (reused) buffer.
	if err := (Codec{}).Unmarshal(pieces(batchOf(t, c, want[2]), 40), d); err != nil || d.Err != nil || len(d.Instances) != 1 {
		t.Fatalf("%v %v %d", err, d.Err, len(d.Instances))
	}
	got := append(first, d.Instances...)
	data := func(inst *cim.Instance, name string) *byte { return unsafe.StringData(prop(inst, name).Str()) }
	for i, inst := range got {
		sameInstance(t, inst, want[i])
		if i == 0 {
			continue
		}
		for _, name := range []string{"Description", "Owner", "Status", "Created"} {
			if data(inst, name) != data(got[0], name) {
				t.Errorf("instance %d: %s %q not shared with the first instance's", i, name, prop(inst, name).Str())
			}
		}
		if data(inst, "Name") == data(got[i-1], "Name") {
			t.Errorf("instance %d: Name %q shares the storage of %q", i, prop(inst, "Name").Str(), prop(got[i-1], "Name").Str())
		}
	}
	if prop(got[0], "Created").Type() != cim.TypeDatetime || prop(got[2], "Created").Type() != cim.TypeDatetime {
		t.Errorf("Created: %s, %s", prop(got[0], "Created").Type(), prop(got[2], "Created").Type())
	}

	// Another class of the same layout but for a type: its texts are read
	// for it, not taken from the class before.
	text, err := cim.Derive(nil, &cim.Class{Name: "T_When", Properties: []cim.Property{{Name: "W", Type: cim.TypeString}}})
	if err != nil {
		t.Fatal(err)
	}
	when, err := cim.Derive(nil, &cim.Class{Name: "T_When", Properties: []cim.Property{{Name: "W", Type: cim.TypeDatetime}}})
	if err != nil {
		t.Fatal(err)
	}
	s := text.NewInstance()
	s.Set("W", cim.String("20261126120000.000000+000"))
	d = &ReplyDecoder{Class: text}
	if d.Decode(batchOf(t, text, s)); d.Err != nil || prop(d.Instances[0], "W").Type() != cim.TypeString {
		t.Fatalf("%v %v", d.Err, d.Instances)
	}
	d.Class = when
	if d.Decode(batchOf(t, text, s)); d.Err != nil || prop(d.Instances[0], "W").Type() != cim.TypeDatetime {
		t.Fatalf("read for %s after %s: %v %v", when.Properties[0].Type, text.Properties[0].Type, d.Err, prop(d.Instances[0], "W").Type())
	}
	// A text that is not a datetime fails each time it comes.
	bad := text.NewInstance()
	bad.Set("W", cim.String("yesterday"))
	for range 2 {
		if d.Decode(batchOf(t, text, bad)); d.Err == nil {
			t.Fatal("a datetime property holding \"yesterday\" was read")
		}
	}
}

// TestDecoderRepeatedTextsAllocs: an instance costs the decoder a small
// part of an allocation whether its texts repeat the one before or not:
// instances are made in slabs, new texts go into the decoder's text
// chunks, each one allocation for many instances.
func TestDecoderRepeatedTextsAllocs(t *testing.T) {
	c := workload.Class()
	const n = 200
	same := make([]*cim.Instance, n)
	differ := make([]*cim.Instance, n)
	for i := range n {
		same[i] = workload.Build(c, 7)
		differ[i] = workload.Build(c, i)
		differ[i].Set("Owner", cim.String("owner-"+prop(differ[i], "Name").Str()))
	}
	for _, tc := range []struct {
		name  string
		insts []*cim.Instance
		want  float64
	}{{"same texts", same, 0.1}, {"two new texts", differ, 0.1}} {
		t.Run(tc.name, func(t *testing.T) {
			b := batchOf(t, c, tc.insts...)
			d := &ReplyDecoder{Class: c}
			allocs := testing.AllocsPerRun(20, func() {
				if d.Decode(b); d.Err != nil || len(d.Instances) != n {
					t.Fatalf("%v %d", d.Err, len(d.Instances))
				}
			})
			if per := allocs / n; per > tc.want {
				t.Errorf("%.2f allocations per instance, want at most %v", per, tc.want)
			}
			for i, inst := range d.Instances {
				sameInstance(t, inst, tc.insts[i])
			}
		})
	}
}

// TestDecoderTextArena: the texts of instances read before keep their
// contents while the decoder reads more (a chunk's bytes are written once),
// across chunks and messages; a text too long for a chunk gets memory of
// its own, and the texts of one chunk are not those of the next.
func TestDecoderTextArena(t *testing.T) {
	c := workload.Class()
	d := &ReplyDecoder{Class: c}
	var kept []*cim.Instance
	var want []*cim.Instance
	for round := range 4 {
		var insts []*cim.Instance
		for i := range 300 {
			inst := workload.Build(c, round*1000+i)
			if i%50 == 7 { // now and then a text longer than a quarter chunk
				inst.Set("Owner", cim.String(strings.Repeat(string(rune('a'+round)), arenaChunk/4+i)))
			}
			insts = append(insts, inst)
		}
		if err := (Codec{}).Unmarshal(pieces(batchOf(t, c, insts...), 4000), d); err != nil || d.Err != nil || len(d.Instances) != len(insts) {
			t.Fatalf("round %d: %v %v %d", round, err, d.Err, len(d.Instances))
		}
		kept = append(kept, d.Instances...)
		want = append(want, insts...)
	}
	for i := range kept {
		sameInstance(t, kept[i], want[i])
	}
	// Whatever the arena hands out is a part of a chunk or a string of its
	// own, never a part of the message.
	var a textArena
	msg := []byte("abcdefgh" + strings.Repeat("x", arenaChunk))
	s1, s2 := a.copy(msg[:3]), a.copy(msg[3:8])
	if s1 != "abc" || s2 != "defgh" || unsafe.StringData(s2) != (*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s1)), 3)) {
		t.Errorf("two short texts: %q %q not one after the other in a chunk", s1, s2)
	}
	long := a.copy(msg[8:])
	msg[0], msg[8] = 'z', 'z'
	if s1 != "abc" || long != strings.Repeat("x", arenaChunk) {
		t.Errorf("texts changed with the message: %q, long %q…", s1, long[:8])
	}
	if a.copy(nil) != "" {
		t.Error("an empty text is not empty")
	}
}
