//go:build linux

package inproc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/providers/host"
)

// The real host classes: an in-process query installs them once; the
// queries after it leave the repository file as it was (every query used
// to compile the host MOF again, with four fdatasyncs).
func TestHostQueryLeavesStoreUntouched(t *testing.T) {
	dir := t.TempDir()
	install := func(ctx context.Context, om *cimom.ObjectManager) error { return host.Install(ctx, om, host.Config{}) }
	if out, code := runLocal(t, install, "--state-dir", dir, "mofcomp", filepath.Join("..", "testdata", "base.mof")); code != cli.ExitOK {
		t.Fatalf("mofcomp: %d %s", code, out)
	}
	path := filepath.Join(dir, "repository.db")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if out, code := runLocal(t, install, "--state-dir", dir, "-o", "csv", "query", "SELECT Name FROM Win32_OperatingSystem"); code != cli.ExitOK {
			t.Fatalf("query: %d %s", code, out)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("queries of the host classes wrote to the repository")
	}
}
