package inproc

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/internal/cli"
	"github.com/gowbem/gowbem/repository"
)

// TestStoreInUse checks that the in-process CLI, finding the repository held
// by another process, says who holds it (from /proc/locks): a wbemd daemon
// (then --host), another wbem, or some other program.
func TestStoreInUse(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the holder of a lock is found in Linux's /proc/locks")
	}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"wbemd", []string{"the gowbem daemon wbemd (pid ", "--host " + cli.DefaultHost, cli.AdminPasswordFile}},
		{"wbem", []string{"another wbem command (pid ", "wait for it"}},
		{"somebody", []string{"process ", "(somebody) holds that repository"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			stop := holdStore(t, dir, tc.name)
			defer stop()
			var out, errb bytes.Buffer
			code := cli.Run(context.Background(), []string{"--state-dir", dir, "enum", "GW_Base"}, cli.Env{Stdout: &out, Stderr: &errb, Local: OpenStateDir(nil)})
			if code != cli.ExitUnreachable {
				t.Errorf("exit code %d, want %d", code, cli.ExitUnreachable)
			}
			msg := errb.String()
			for _, want := range append(tc.want, "in use by another process") {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// holdStore runs this test binary, under the name comm, as a process that
// holds the repository of dir until stop is called.
func holdStore(t *testing.T, dir, comm string) (stop func()) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), comm)
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, "-test.run=^TestHoldStoreHelper$")
	cmd.Env = append(os.Environ(), "GOWBEM_TEST_HOLD_STORE="+dir)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "holding") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the helper did not take the store: %q %v", line, err)
	}
	return func() {
		stdin.Close()
		cmd.Wait()
	}
}

// TestHoldStoreHelper is holdStore's process: it opens the repository of
// $GOWBEM_TEST_HOLD_STORE and holds it until its stdin closes.
func TestHoldStoreHelper(t *testing.T) {
	dir := os.Getenv("GOWBEM_TEST_HOLD_STORE")
	if dir == "" {
		t.Skip("a helper process of TestStoreInUse")
	}
	store, err := repository.OpenStateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
}

// storeInUseHint without /proc/locks names both possibilities.
func TestStoreInUseHintUnknown(t *testing.T) {
	h := storeInUseHint("/s", 0, "", false)
	if !strings.Contains(h, "wbemd") || !strings.Contains(h, "--host") || !strings.Contains(h, "another wbem") {
		t.Fatal(h)
	}
}

// TestStateDir checks the default in-process path: a fresh state directory
// gets a repository, and what one run puts the next one finds.
func TestStateDir(t *testing.T) {
	dir := t.TempDir()
	env := func(out *bytes.Buffer) cli.Env { return cli.Env{Stdout: out, Stderr: out, Local: OpenStateDir(nil)} }
	var b bytes.Buffer
	if code := cli.Run(context.Background(), []string{"--state-dir", dir, "mofcomp", filepath.Join("..", "testdata", "base.mof")}, env(&b)); code != cli.ExitOK {
		t.Fatalf("mofcomp: %d %s", code, b.String())
	}
	b.Reset()
	if code := cli.Run(context.Background(), []string{"--state-dir", dir, "-o", "csv", "enum", "GW_Base"}, env(&b)); code != cli.ExitOK || b.String() != "Name,Size\nkept,9\n" {
		t.Fatalf("enum: %d %q", code, b.String())
	}
	if _, err := os.Stat(filepath.Join(dir, repository.StateFile)); err != nil {
		t.Fatal(err)
	}
}
