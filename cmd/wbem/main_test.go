package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The built program: in-process over a state directory (mofcomp creates
// the repository, enum reads it), and remote-only commands without one.
func TestProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds wbem")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	wbem := filepath.Join(t.TempDir(), "wbem")
	if runtime.GOOS == "windows" {
		wbem += ".exe"
	}
	if b, err := exec.Command("go", "build", "-o", wbem, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	state := filepath.Join(t.TempDir(), "state")
	mof := filepath.Join("..", "..", "internal", "cli", "testdata", "base.mof")
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--state-dir", state, "mofcomp", mof}, 0, "compiled"},
		{[]string{"--state-dir", state, "-o", "csv", "enum", "GW_Base"}, 0, "Name,Size\nkept,9\n"},
		{[]string{"-o", "csv", "enum", "GW_Nope", "--state-dir", state}, 1, "WBEM_E_INVALID_CLASS"},
		{[]string{"--state-dir", filepath.Join(state, "mistyped"), "classes"}, 1, "does not exist"},
		{[]string{"help", "get"}, 0, "object path"},
	} {
		out, err := exec.Command(wbem, tc.args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(string(out), tc.out) {
			t.Errorf("wbem %q: exit %d, %q; want %d and %q", tc.args, code, out, tc.code, tc.out)
		}
	}
}
