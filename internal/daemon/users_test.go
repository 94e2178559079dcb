package daemon

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/users"
)

func runUsers(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := UsersMain(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsersCommand(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("s3cret\nignored\n"), 0o600)
	sd := []string{"--state-dir", dir, "--bcrypt-cost", "4"}
	steps := []struct {
		args  []string
		stdin string
		code  int
		out   string // in stdout (list) or stderr (errors)
	}{
		{[]string{"add", "bob", "--password-file", pwFile}, "", ExitOK, ""},
		{[]string{"add", "--group", "ops", "--group", "Administrators", "carol", "--unix-account", "carol", "--password-file", "-"}, "pw2\n", ExitOK, ""},
		{[]string{"add", "dave", "--no-password"}, "", ExitOK, ""},
		{[]string{"add", "bob", "--password-file", pwFile}, "", ExitFailed, "exists"},
		{[]string{"add", "eve"}, "", ExitUsage, "either --password-file or --no-password"},
		{[]string{"add", "eve", "--no-password", "--password-file", pwFile}, "", ExitUsage, "either"},
		{[]string{"add", "a:b", "--no-password"}, "", ExitFailed, "without ':'"},
		{[]string{"add", "eve", "--password-file", "-"}, "\n", ExitFailed, "empty"},
		{[]string{"passwd", "bob", "--password-file", "-"}, "new\n", ExitOK, ""},
		{[]string{"passwd", "nobody", "--password-file", "-"}, "x\n", ExitFailed, "no user nobody"},
		{[]string{"passwd", "bob"}, "", ExitUsage, "needs --password-file"},
		{[]string{"del", "dave"}, "", ExitOK, ""},
		{[]string{"del", "dave"}, "", ExitFailed, "no user dave"},
		{[]string{"del"}, "", ExitUsage, "one user name"},
		{[]string{"frobnicate"}, "", ExitUsage, "unknown command"},
		{nil, "", ExitUsage, "no command"},
		{[]string{"list", "--bogus"}, "", ExitUsage, "not defined"},
		{[]string{"list"}, "", ExitOK, "carol  ops,Administrators  carol"},
	}
	for _, st := range steps {
		code, out, errOut := runUsers(t, st.stdin, append(append([]string{}, sd...), st.args...)...)
		if code != st.code || st.out != "" && !strings.Contains(out+errOut, st.out) {
			t.Errorf("wbemd users %q: exit %d, want %d\nstdout %s\nstderr %s", st.args, code, st.code, out, errOut)
		}
	}
	f, err := users.Open(filepath.Join(dir, UsersFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if c, err := f.CheckPassword(ctx, "bob", "new"); err != nil || c.Admin {
		t.Errorf("bob: %v %v", c, err)
	}
	if _, err := f.CheckPassword(ctx, "bob", "s3cret"); err == nil {
		t.Error("bob's old password still works")
	}
	if c, err := f.CheckPassword(ctx, "carol", "pw2"); err != nil || !c.Admin {
		t.Errorf("carol: %v %v", c, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, UsersFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("users file mode %v", fi.Mode())
	}
}

// A running daemon sees a user added, a password changed and a user removed
// at once, with no restart.
func TestUsersWhileRunning(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0"})
	defer s.shutdown(t)
	url := "http://" + s.http.String() + Path
	get := func(user, pw string) error {
		t.Helper()
		_, err := connect(t, url, user, pw, nil).GetObject(context.Background(), "__SystemClass", 0)
		return err
	}
	denied := func(err error) bool {
		return errors.Is(err, cim.ErrAccessDenied) || err != nil && strings.Contains(err.Error(), "401")
	}
	sd := []string{"--state-dir", dir, "--bcrypt-cost", "4"}
	if err := get("bob", "one"); !denied(err) {
		t.Fatalf("an unknown user: %v", err)
	}
	if code, _, e := runUsers(t, "one\n", append(sd, "add", "bob", "--password-file", "-")...); code != ExitOK {
		t.Fatal(e)
	}
	if err := get("bob", "one"); err != nil {
		t.Fatalf("a user just added: %v", err)
	}
	runUsers(t, "two\n", append(sd, "passwd", "bob", "--password-file", "-")...)
	if err := get("bob", "one"); !denied(err) {
		t.Fatalf("the old password after passwd: %v", err)
	}
	if err := get("bob", "two"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	runUsers(t, "", append(sd, "del", "bob")...)
	if err := get("bob", "two"); !denied(err) {
		t.Fatalf("a removed user: %v", err)
	}
}
