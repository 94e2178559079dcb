package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	buildDir  string
	buildOnce sync.Once
	built     string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// program builds wbem once for the package's tests and returns its path;
// it skips the test in -short mode or without the go command.
func program(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds wbem")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "wbem-test-"); buildErr != nil {
			return
		}
		built = filepath.Join(buildDir, "wbem")
		if runtime.GOOS == "windows" {
			built += ".exe"
		}
		if b, err := exec.Command("go", "build", "-o", built, ".").CombinedOutput(); err != nil {
			buildErr = &buildError{err: err, out: b}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

// The built program: in-process over a state directory (mofcomp creates
// the repository, enum reads it), and remote-only commands without one.
func TestProgram(t *testing.T) {
	wbem := program(t)
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
