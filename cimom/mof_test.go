package cimom_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
)

const goodMOF = `
#pragma include("base.mof")
class GW_Disk : GW_Thing {
	uint64 Size;
};
instance of GW_Disk { Name = "sda"; Size = 1024; };
`

const baseMOF = `
class GW_Thing { [Key] string Name; };
`

func TestCompileMOF(t *testing.T) {
	ctx := context.Background()
	om := cimom.NewMemory(cimom.WithServer("h"))
	fsys := fstest.MapFS{
		"top.mof":  {Data: []byte(goodMOF)},
		"base.mof": {Data: []byte(baseMOF)},
		"bad.mof": {Data: []byte(`
class GW_Other { [Key] string K; };
[Abstract] class GW_Abs { [Key] string K; };
instance of GW_Abs { K = "x"; };
`)},
		"syntax.mof": {Data: []byte("class GW_Broken { string }")},
	}
	if _, err := om.CompileMOF(ctx, fsys, "top.mof", ""); err != nil {
		t.Fatal(err)
	}
	svc := om.Services(`root\cimv2`)
	cr, err := svc.GetObject(ctx, `GW_Disk.Name="sda"`, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := cr.ResultObject(0)
	if v, _ := obj.Get("Size"); v.Uint() != 1024 {
		t.Fatalf("Size = %v", v)
	}
	// A failing apply leaves nothing behind, not even the classes before it.
	_, err = om.CompileMOF(ctx, fsys, "bad.mof", "")
	if cim.StatusOf(err) != cim.WBEM_E_INVALID_OPERATION {
		t.Fatalf("instance of an abstract class: %v", err)
	}
	if _, err := svc.GetObject(ctx, "GW_Other", 0); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Fatalf("GW_Other survived a failed compile: %v", err)
	}
	if _, err := om.CompileMOF(ctx, fsys, "syntax.mof", ""); err == nil {
		t.Fatal("a syntax error compiled")
	}
	// Into another namespace, created on the way.
	if _, err := om.CompileMOF(ctx, fsys, "base.mof", `root\other\deep`); err != nil {
		t.Fatal(err)
	}
	if _, err := om.Services(`root\other\deep`).GetObject(ctx, "GW_Thing", 0); err != nil {
		t.Fatal(err)
	}
}

// Apply writes a run of instances sorted by key (see applyOrder), which must
// not change what a MOF means: of two instances with one key the later
// wins, and an instance still follows the class it needs.
func TestApplyOrderKeepsMeaning(t *testing.T) {
	ctx := context.Background()
	om := cimom.NewMemory(cimom.WithServer("h"))
	src := `
class GW_T { [Key] string K; uint32 V; };
instance of GW_T { K = "b"; V = 1; };
instance of GW_T { K = "a"; V = 2; };
instance of GW_T { K = "b"; V = 3; };
class GW_U : GW_T { string W; };
instance of GW_U { K = "c"; V = 4; W = "w"; };
instance of GW_T { K = "a"; V = 5; };
`
	if _, err := om.CompileMOF(ctx, fstest.MapFS{"o.mof": {Data: []byte(src)}}, "o.mof", ""); err != nil {
		t.Fatal(err)
	}
	svc := om.Services("")
	for path, want := range map[string]uint64{`GW_T.K="a"`: 5, `GW_T.K="b"`: 3, `GW_U.K="c"`: 4} {
		cr, err := svc.GetObject(ctx, path, 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		obj, _ := cr.ResultObject(0)
		if v, _ := obj.Get("V"); v.Uint() != want {
			t.Errorf("%s: V = %v, want %d", path, v, want)
		}
	}
}
