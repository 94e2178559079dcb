package cimom_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/repository"
)

// unchangedMOF has what a MOF compile stores: a namespace of its own, a
// class with qualifiers, a subclass, instances of both, qualifier
// declarations, and deletions of what is not there.
const unchangedMOF = `
#pragma namespace("\\\\.\\root\\gwunchanged")
Qualifier Units : string = null, Scope(property, method, parameter), Flavor(Translatable);
Qualifier MaxValue : sint64 = 9, Scope(property);
[Description("a disk")] class GW_Disk {
	[Key] string DeviceID;
	[Units("bytes")] uint64 Size = 5;
	string Labels[];
};
class GW_FixedDisk : GW_Disk { boolean Boot; };
instance of GW_Disk { DeviceID = "a"; Size = 1; Labels = {"x", "y"}; };
instance of GW_FixedDisk { DeviceID = "b"; Boot = true; };
#pragma deleteinstance("GW_Disk.DeviceID=\"gone\"", NOFAIL)
#pragma deleteclass("GW_Gone", NOFAIL)
`

// A store that holds everything a MOF and cimom.New would write is not
// written again: reopened read-only it takes both, and read-write the file
// stays byte for byte the same (no transaction, no fsync). A MOF that does
// change something still needs, and gets, a write.
func TestUnchangedWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "repository.db")
	fsys := fstest.MapFS{"a.mof": {Data: []byte(unchangedMOF)}}
	changed := fstest.MapFS{"a.mof": {Data: []byte(unchangedMOF + `instance of GW_Disk { DeviceID = "c"; };`)}}
	open := func(ro bool) (*cimom.ObjectManager, *repository.Bolt) {
		t.Helper()
		store, err := repository.OpenBolt(path, repository.BoltOptions{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		om, err := cimom.New(ctx, store)
		if err != nil {
			store.Close()
			t.Fatalf("cimom.New (read-only %v): %v", ro, err)
		}
		return om, store
	}
	om, store := open(false)
	for range 2 {
		if _, err := om.CompileMOF(ctx, fsys, "a.mof", ""); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	om, store = open(true)
	if _, err := om.CompileMOF(ctx, fsys, "a.mof", ""); err != nil {
		t.Errorf("the same MOF over a read-only store: %v", err)
	}
	if _, err := om.CompileMOF(ctx, changed, "a.mof", ""); cim.StatusOf(err) == cim.WBEM_S_NO_ERROR {
		t.Error("a MOF that adds an instance succeeded over a read-only store")
	}
	store.Close()

	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	om, store = open(false)
	if _, err := om.CompileMOF(ctx, fsys, "a.mof", ""); err != nil {
		t.Fatal(err)
	}
	store.Close()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("cimom.New and a MOF compile that change nothing wrote to the file")
	}

	om, store = open(false)
	defer store.Close()
	if _, err := om.CompileMOF(ctx, changed, "a.mof", ""); err != nil {
		t.Fatal(err)
	}
	cr, err := om.Services(`root\gwunchanged`).GetObject(ctx, `GW_Disk.DeviceID="c"`, 0)
	if err != nil {
		t.Fatalf("the changed MOF's instance: %v", err)
	}
	if _, err := cr.ResultObject(0); err != nil {
		t.Fatal(err)
	}
}
