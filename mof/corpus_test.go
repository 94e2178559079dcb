package mof

import (
	"archive/zip"
	"context"
	"io/fs"
	"os"
	"path"
	"testing"
)

const schemaTop = "cim_schema_2.49.0.mof"

// openSchema opens the DMTF CIM Schema zip named by GOWBEM_CIM_SCHEMA_ZIP and
// returns it with the path of the top file, skipping (or failing under
// GOWBEM_REQUIRE_ALL=1) when it is not available.
func openSchema(tb testing.TB) (fs.FS, string) {
	tb.Helper()
	p := os.Getenv("GOWBEM_CIM_SCHEMA_ZIP")
	if p == "" {
		if os.Getenv("GOWBEM_REQUIRE_ALL") == "1" {
			tb.Fatal("GOWBEM_CIM_SCHEMA_ZIP is not set and GOWBEM_REQUIRE_ALL=1")
		}
		tb.Skip("GOWBEM_CIM_SCHEMA_ZIP is not set: skipping the CIM Schema 2.49 corpus")
	}
	zr, err := zip.OpenReader(p)
	if err != nil {
		tb.Fatalf("open %s: %v", p, err)
	}
	tb.Cleanup(func() { zr.Close() })
	var top string
	for _, f := range zr.File {
		if path.Base(f.Name) == schemaTop {
			top = f.Name
			break
		}
	}
	if top == "" {
		tb.Fatalf("%s holds no %s", p, schemaTop)
	}
	return zr, top
}

func compileSchema(tb testing.TB) *Plan {
	tb.Helper()
	fsys, top := openSchema(tb)
	plan, err := Compile(context.Background(), fsys, top, Options{})
	if err != nil {
		tb.Fatalf("compile %s: %v", top, err)
	}
	return plan
}

func TestCorpusCompiles(t *testing.T) {
	plan := compileSchema(t)
	t.Logf("%d items, %d classes, %d qualifier types", len(plan.Items), len(plan.Classes()), len(plan.QualifierTypes()))
}
