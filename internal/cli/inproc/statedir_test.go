package inproc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/repository"
)

// runLocal runs the command in-process over dir's repository, with install
// as the host's installer.
func runLocal(t *testing.T, install func(context.Context, *cimom.ObjectManager) error, args ...string) (string, int) {
	t.Helper()
	var b bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdout: &b, Stderr: &b, Local: OpenStateDir(install)})
	return b.String(), code
}

// A command that only reads, given a state directory that does not exist or
// holds no repository, says so and creates nothing: a mistyped --state-dir
// no longer makes a new, empty store.
func TestReadCommandNeedsStateDir(t *testing.T) {
	base := t.TempDir()
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"no directory", filepath.Join(base, "mistyped"), "does not exist"},
		{"no repository", base, "has no repository"},
	} {
		for _, args := range [][]string{
			{"query", "SELECT * FROM GW_Base"}, {"enum", "GW_Base"}, {"get", `GW_Base.Name="kept"`},
			{"classes"}, {"class", "GW_Base"}, {"mofcomp", "--check", filepath.Join("..", "testdata", "base.mof")},
		} {
			out, code := runLocal(t, nil, append([]string{"--state-dir", tc.dir}, args...)...)
			if code != cli.ExitFailed || !strings.Contains(out, "WBEM_E_NOT_FOUND") || !strings.Contains(out, tc.want) || !strings.Contains(out, tc.dir) {
				t.Errorf("%s: %v: exit %d, %q; want %d naming %s and saying %q", tc.name, args, code, out, cli.ExitFailed, tc.dir, tc.want)
			}
			if _, err := os.Stat(filepath.Join(tc.dir, repository.StateFile)); err == nil {
				t.Fatalf("%s: %v created a repository", tc.name, args)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(base, "mistyped")); err == nil {
		t.Fatal("a read command created the state directory")
	}
}

// versionedMOF is a host MOF whose class gains a description in version 2.
func versionedMOF(v int) fstest.MapFS {
	extra := ""
	if v > 1 {
		extra = `[Description("Added")]`
	}
	return fstest.MapFS{"host.mof": {Data: []byte(extra + "class GW_Host { [Key] string Name; };\ninstance of GW_Host { Name = \"h\"; };\n")}}
}

// A read command over a repository whose installed classes are up to date
// writes nothing — the file stays byte for byte the same — and shares the
// repository with another reader (it takes no write lock); when the host
// classes changed (an upgraded binary), it installs them once.
func TestReadCommandLeavesStoreUntouched(t *testing.T) {
	dir := t.TempDir()
	version := 1
	install := func(ctx context.Context, om *cimom.ObjectManager) error {
		_, err := om.CompileMOF(ctx, versionedMOF(version), "host.mof", "")
		return err
	}
	if out, code := runLocal(t, install, "--state-dir", dir, "mofcomp", filepath.Join("..", "testdata", "base.mof")); code != cli.ExitOK {
		t.Fatalf("mofcomp: %d %s", code, out)
	}
	path := filepath.Join(dir, repository.StateFile)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Another reader holds the file: a command that opened it for writing
	// would find it in use.
	reader, err := repository.OpenBolt(path, repository.BoltOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-o", "csv", "query", "SELECT Name, Size FROM GW_Base"}, {"-o", "csv", "enum", "GW_Host"}, {"get", `GW_Base.Name="kept"`},
		{"classes", "GW_Base"}, {"class", "GW_Host"}, {"mofcomp", "--check", filepath.Join("..", "testdata", "base.mof")},
	} {
		if out, code := runLocal(t, install, append([]string{"--state-dir", dir}, args...)...); code != cli.ExitOK {
			t.Errorf("%v: exit %d: %s", args, code, out)
		}
	}
	reader.Close()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("read commands changed the repository file")
	}

	version = 2
	if out, code := runLocal(t, install, "--state-dir", dir, "class", "GW_Host"); code != cli.ExitOK || !strings.Contains(out, "Added") {
		t.Fatalf("class after the host MOF changed: exit %d: %s", code, out)
	}
	before, _ = os.ReadFile(path)
	if out, code := runLocal(t, install, "--state-dir", dir, "-o", "csv", "enum", "GW_Host"); code != cli.ExitOK || !strings.Contains(out, "h") {
		t.Fatalf("enum: exit %d: %s", code, out)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a read command wrote again after the host classes were brought up to date")
	}
}
