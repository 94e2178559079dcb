package provider_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
)

// batches records what reaches it through EmitBatch and Emit.
type batches struct {
	batches [][]*cim.Instance
	single  int
}

func (b *batches) Emit(*cim.Instance) error { b.single++; return nil }
func (b *batches) EmitBatch(insts []*cim.Instance) error {
	b.batches = append(b.batches, append([]*cim.Instance(nil), insts...))
	return nil
}

// EmitAll hands a BatchEmitter the whole batch in one call, and an Emitter
// without EmitBatch one instance at a time, stopping at its first error.
func TestEmitAll(t *testing.T) {
	c := &cim.Class{Name: "T"}
	insts := []*cim.Instance{c.NewInstance(), c.NewInstance(), c.NewInstance()}

	var b batches
	if err := provider.EmitAll(&b, insts); err != nil || len(b.batches) != 1 || len(b.batches[0]) != 3 || b.single != 0 {
		t.Fatalf("EmitAll to a BatchEmitter = %v: %d batches, %d single emits; want 1 batch of 3", err, len(b.batches), b.single)
	}

	var got []*cim.Instance
	full := errors.New("full")
	out := provider.EmitFunc(func(inst *cim.Instance) error {
		if len(got) == 2 {
			return full
		}
		got = append(got, inst)
		return nil
	})
	if err := provider.EmitAll(out, insts); !errors.Is(err, full) || len(got) != 2 || got[0] != insts[0] || got[1] != insts[1] {
		t.Fatalf("EmitAll to an Emitter failing at the third = %v after %d instances; want full after 2, in order", err, len(got))
	}
}

// A provider that builds its instances a page at a time hands each page
// over at once; to an emitter without batches, EmitAll emits them one by
// one.
func ExampleEmitAll() {
	c := &cim.Class{Name: "Demo", Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32}}}
	out := provider.EmitFunc(func(inst *cim.Instance) error {
		fmt.Println(inst.Value("Id").Uint())
		return nil
	})
	page := make([]*cim.Instance, 0, 2)
	for i := range 4 {
		inst := c.NewInstance()
		inst.SetAt(0, cim.Uint32(uint32(i)))
		if page = append(page, inst); len(page) == cap(page) {
			if err := provider.EmitAll(out, page); err != nil {
				return
			}
			page = page[:0]
		}
	}
	// Output:
	// 0
	// 1
	// 2
	// 3
}
