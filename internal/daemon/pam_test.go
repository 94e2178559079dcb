//go:build linux && cgo && pam

package daemon

import (
	"context"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
)

// With --pam, a Linux account logs in over WS-Management with its PAM
// password (a test stack whose check accepts "s3cret"), acting as that
// account; a wrong password is refused; the users file's admin still logs
// in with the file's password.
func TestPAMLogin(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	pamDir := testPAMStack(t)
	dir := t.TempDir()
	s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", PAMService: "gowbem-test", PAMConfDir: pamDir})
	defer s.shutdown(t)
	url := "http://" + s.http.String() + Path
	ctx := context.Background()
	svc := connect(t, url, me.Username, "s3cret", nil)
	if _, err := svc.GetObject(ctx, "__SystemClass", 0); err != nil {
		t.Fatalf("%s by PAM: %v", me.Username, err)
	}
	// An administrator only as uid 0.
	_, err = svc.PutClass(ctx, &cim.Class{Name: "PAM_X"}, 0)
	if me.Uid == "0" && err != nil || me.Uid != "0" && !errors.Is(err, cim.ErrAccessDenied) {
		t.Errorf("%s (uid %s) writing a class: %v", me.Username, me.Uid, err)
	}
	if _, err := connect(t, url, me.Username, "guess", nil).GetObject(ctx, "__SystemClass", 0); err == nil {
		t.Error("a wrong PAM password was accepted")
	}
	pw, _ := os.ReadFile(filepath.Join(dir, AdminPasswordFile))
	if _, err := connect(t, url, AdminUser, strings.TrimSpace(string(pw)), nil).GetObject(ctx, "__SystemClass", 0); err != nil {
		t.Errorf("the users file's admin beside PAM: %v", err)
	}
}

// testPAMStack writes a PAM configuration directory with the service
// gowbem-test, whose check accepts the password "s3cret" for any account
// and whose account management permits all, and returns the directory.
func testPAMStack(t *testing.T) string {
	t.Helper()
	pamDir := t.TempDir()
	script := filepath.Join(pamDir, "check")
	os.WriteFile(script, []byte("#!/bin/sh\npw=$(tr -d '\\000')\n[ \"$pw\" = s3cret ]\n"), 0o755)
	os.WriteFile(filepath.Join(pamDir, "gowbem-test"), []byte(
		"auth [success=1 default=ignore] pam_exec.so expose_authtok quiet "+script+"\n"+
			"auth requisite pam_deny.so\nauth required pam_permit.so\naccount required pam_permit.so\n"), 0o644)
	return pamDir
}
