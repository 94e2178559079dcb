package providerwire

import (
	"runtime"
	"testing"
	"weak"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
)

// TestDecoderInstanceSlabs: the instances a decoder makes in slabs are
// those sent, across slabs, messages and a change of class, and each is
// its own: setting one's values changes no other's.
func TestDecoderInstanceSlabs(t *testing.T) {
	c, e := workload.Class(), every(t)
	plain := everyInstance(t, e)
	plain.Set("Obj", cim.Null) // an embedded object goes by name, not read directly
	d := &ReplyDecoder{}
	var got, want []*cim.Instance
	for round := range 5 {
		class := c
		var insts []*cim.Instance
		for i := range 150 {
			inst := workload.Build(c, round*1000+i)
			if round == 2 {
				class, inst = e, plain.Clone()
				inst.Set("U32", cim.Uint32(uint32(i)))
			}
			insts = append(insts, inst)
		}
		d.Class = class
		if err := (Codec{}).Unmarshal(pieces(batchOf(t, class, insts...), 4000), d); err != nil || d.Err != nil || len(d.Instances) != len(insts) {
			t.Fatalf("round %d: %v %v %d", round, err, d.Err, len(d.Instances))
		}
		got = append(got, d.Instances...)
		want = append(want, insts...)
	}
	for i := range got {
		sameInstance(t, got[i], want[i])
	}
	// Every other instance made NULL; the others are as they were.
	for i := 0; i < len(got); i += 2 {
		for k := range got[i].Len() {
			got[i].SetAt(k, cim.Null)
		}
	}
	for i := 1; i < len(got); i += 2 {
		sameInstance(t, got[i], want[i])
	}
}

// TestDecoderSlabsReleased: instances made in slabs are memory the
// collector takes back once none of them is kept, and one kept instance
// keeps no more than its slab.
func TestDecoderSlabsReleased(t *testing.T) {
	c := workload.Class()
	var insts []*cim.Instance
	for i := range 200 {
		insts = append(insts, workload.Build(c, i))
	}
	b := batchOf(t, c, insts...)
	d := &ReplyDecoder{Class: c}
	var made []weak.Pointer[cim.Instance]
	var kept *cim.Instance
	for round := range 5 {
		if d.Decode(b); d.Err != nil || len(d.Instances) != len(insts) {
			t.Fatalf("round %d: %v %d", round, d.Err, len(d.Instances))
		}
		for i, inst := range d.Instances {
			made = append(made, weak.Make(inst))
			if round == 2 && i == 100 {
				kept = inst
			}
		}
	}
	live := func() int {
		runtime.GC()
		runtime.GC()
		n := 0
		for _, w := range made {
			if w.Value() != nil {
				n++
			}
		}
		return n
	}
	d = nil
	n := live()
	if n < 1 || n > slabLen(c) {
		t.Errorf("one instance of %d kept: %d in memory, want at least 1 and at most a slab's %d", len(made), n, slabLen(c))
	}
	if kept.Len() != len(c.Properties) {
		t.Fatal("the kept instance changed")
	}
	kept = nil
	if n := live(); n != 0 {
		t.Errorf("no instance kept: %d of %d in memory", n, len(made))
	}
}
