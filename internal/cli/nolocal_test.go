package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// A program without an in-process object manager (Env.Local nil, the
// protocols only) fails a command without --host with WBEM_E_NOT_SUPPORTED
// and exit code 3, pointing at --host; help, completion, --version, usage
// errors and --host commands need none.
func TestNoLocal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := fmt.Sprintf("http://%s/wsman", l.Addr())
	l.Close()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // part of stderr
	}{
		{"query", []string{"--state-dir", "/s", "query", "SELECT * FROM X"}, ExitUnreachable, "WBEM_E_NOT_SUPPORTED"},
		{"flags after", []string{"enum", "X", "-o", "csv"}, ExitUnreachable, "--host"},
		{"mofcomp", []string{"mofcomp", "-n", "root/x", "a.mof"}, ExitUnreachable, "no in-process object manager"},
		{"host", []string{"--host", refused, "get", "X"}, ExitUnreachable, "refused"},
		{"host after", []string{"get", "X", "--host", refused}, ExitUnreachable, "refused"},
		{"help", []string{"help", "get"}, ExitOK, ""},
		{"version", []string{"--version"}, ExitOK, ""},
		{"completion", []string{"completion", "bash"}, ExitOK, ""},
		{"unknown command", []string{"nope"}, ExitUsage, "unknown command"},
		{"bad format", []string{"-o", "xml", "enum", "X"}, ExitUsage, "xml"},
		{"too many args", []string{"get", "A", "B"}, ExitUsage, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(context.Background(), tc.args, Env{Stdout: &out, Stderr: &errb})
			if code != tc.code {
				t.Errorf("exit code %d, want %d (%s)", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.stderr)
			}
			if tc.code != ExitUnreachable && strings.Contains(errb.String(), "NOT_SUPPORTED") {
				t.Errorf("needed no object manager, said %q", errb.String())
			}
		})
	}
}

// A command interrupted while its object manager is still opening (the
// store's open sees ctx cancelled) says it was interrupted and exits 130,
// not "context canceled" with the exit code of an unreachable store.
func TestInterruptedWhileOpening(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	local := func(ctx context.Context, dir string, readOnly bool) (ObjectManager, io.Closer, error) {
		cancel() // the signal arrives while the store opens
		return nil, nil, ctx.Err()
	}
	var stderr bytes.Buffer
	code := Run(ctx, []string{"--state-dir", "/s", "enum", "X"}, Env{Stdout: io.Discard, Stderr: &stderr, Local: local})
	if code != ExitInterrupted || strings.TrimSpace(stderr.String()) != "wbem: interrupted" {
		t.Fatalf("exit %d, stderr %q; want %d and wbem: interrupted", code, stderr.String(), ExitInterrupted)
	}
}
