package repository_test

import (
	"bytes"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/repository/storetest"
)

func TestEncodingRoundTrip(t *testing.T) {
	c, inst := storetest.AllKinds(t)
	rec, err := repository.EncodeClass(c)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := repository.DecodeClass(rec)
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.DiffClass(gc, c); d != "" {
		t.Errorf("class round trip: %s", d)
	}
	rec, err = repository.EncodeInstance(inst)
	if err != nil {
		t.Fatal(err)
	}
	gi, err := repository.DecodeInstance(rec, gc)
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.DiffInstance(gi, inst); d != "" {
		t.Errorf("instance round trip: %s", d)
	}
	// Encoding is deterministic.
	again, _ := repository.EncodeInstance(gi)
	if !bytes.Equal(again, rec) {
		t.Errorf("re-encoding a decoded instance changed its bytes")
	}
}

// TestEncodingDamage checks that every truncation and every flipped byte of a
// record is reported as corruption, never a panic or a wrong value.
func TestEncodingDamage(t *testing.T) {
	c, inst := storetest.AllKinds(t)
	crec, _ := repository.EncodeClass(c)
	irec, _ := repository.EncodeInstance(inst)
	decoders := map[string]struct {
		rec    []byte
		decode func([]byte) error
	}{
		"class":    {crec, func(b []byte) error { _, err := repository.DecodeClass(b); return err }},
		"instance": {irec, func(b []byte) error { _, err := repository.DecodeInstance(b, c); return err }},
	}
	for name, d := range decoders {
		for n := 0; n < len(d.rec); n++ {
			if err := d.decode(d.rec[:n]); cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR {
				t.Fatalf("%s truncated to %d bytes: %v", name, n, err)
			}
		}
		for i := range d.rec {
			b := bytes.Clone(d.rec)
			b[i] ^= 0x5A
			if err := d.decode(b); cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR {
				t.Fatalf("%s with byte %d flipped: %v", name, i, err)
			}
			// With a matching checksum the decoder itself must cope: an
			// error or a value, never a panic.
			for _, x := range []byte{0x01, 0x80, 0xFF} {
				b := bytes.Clone(d.rec)
				b[i] ^= x
				d.decode(repository.Reseal(b))
			}
		}
	}
	// A class record is not an instance record, even with a valid checksum.
	if _, err := repository.DecodeInstance(crec, c); cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR {
		t.Errorf("class record decoded as an instance: %v", err)
	}
}

func TestEncodingNestingLimit(t *testing.T) {
	box, err := cim.Derive(nil, &cim.Class{Name: "Box", Properties: []cim.Property{{Name: "In", Type: cim.TypeObject}}})
	if err != nil {
		t.Fatal(err)
	}
	nest := func(depth int) *cim.Instance {
		inst := box.NewInstance()
		for range depth {
			outer := box.NewInstance()
			outer.SetAt(0, cim.Embedded(inst))
			inst = outer
		}
		return inst
	}
	if _, err := repository.EncodeInstance(nest(repository.MaxNesting - 1)); err != nil {
		t.Errorf("nesting within the limit: %v", err)
	}
	if _, err := repository.EncodeInstance(nest(repository.MaxNesting + 1)); cim.StatusOf(err) != cim.WBEM_E_TOO_MUCH_DATA {
		t.Errorf("nesting beyond the limit: %v, want WBEM_E_TOO_MUCH_DATA", err)
	}
}

func FuzzDecodeInstance(f *testing.F) {
	c, inst := storetest.AllKinds(f)
	rec, _ := repository.EncodeInstance(inst)
	f.Add(rec)
	small := c.NewInstance()
	small.SetAt(0, cim.String("k"))
	rec, _ = repository.EncodeInstance(small)
	f.Add(rec)
	f.Fuzz(func(t *testing.T, b []byte) {
		b = repository.Reseal(b) // reach the decoder, not just the checksum
		got, err := repository.DecodeInstance(b, c)
		if err != nil {
			if cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR {
				t.Fatalf("decode error with status %v: %v", cim.StatusOf(err), err)
			}
			return
		}
		again, err := repository.EncodeInstance(got)
		if err != nil {
			t.Fatalf("re-encoding a decoded instance: %v", err)
		}
		back, err := repository.DecodeInstance(again, c)
		if err != nil {
			t.Fatalf("decoding a re-encoded instance: %v", err)
		}
		if d := storetest.DiffInstance(back, got); d != "" {
			t.Fatalf("round trip changed the instance: %s", d)
		}
	})
}

func FuzzDecodeClass(f *testing.F) {
	c, _ := storetest.AllKinds(f)
	rec, _ := repository.EncodeClass(c)
	f.Add(rec)
	f.Fuzz(func(t *testing.T, b []byte) {
		b = repository.Reseal(b)
		got, err := repository.DecodeClass(b)
		if err != nil {
			if cim.StatusOf(err) != cim.WBEM_E_CRITICAL_ERROR {
				t.Fatalf("decode error with status %v: %v", cim.StatusOf(err), err)
			}
			return
		}
		again, err := repository.EncodeClass(got)
		if err != nil {
			t.Fatalf("re-encoding a decoded class: %v", err)
		}
		back, err := repository.DecodeClass(again)
		if err != nil {
			t.Fatalf("decoding a re-encoded class: %v", err)
		}
		if d := storetest.DiffClass(back, got); d != "" {
			t.Fatalf("round trip changed the class: %s", d)
		}
	})
}
