//go:build linux && cgo && pam

package pam_test

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/auth/pam"
	"github.com/gowbem/gowbem/identity"
)

// stack writes a PAM service in a directory of its own whose password check
// is a script of pam_exec's that accepts "s3cret" only: a real PAM stack
// without touching the machine's accounts.
func stack(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "check")
	os.WriteFile(script, []byte("#!/bin/sh\npw=$(tr -d '\\000')\n[ \"$pw\" = s3cret ]\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "gowbem-test"), []byte(
		"# as Debian's common-auth: the check's success skips the denial\n"+
			"auth [success=1 default=ignore] pam_exec.so expose_authtok quiet "+script+"\n"+
			"auth requisite pam_deny.so\nauth required pam_permit.so\naccount required pam_permit.so\n"), 0o644)
	return dir
}

func TestCheckPassword(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := stack(t)
	c, err := pam.New(pam.Options{Service: "gowbem-test", ConfDir: dir, AdminGroups: []string{"gowbem-no-such-group"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := c.CheckPassword(ctx, me.Username, "s3cret")
	if err != nil {
		t.Fatalf("the right password: %v", err)
	}
	if got.Name != me.Username || got.Account == nil || got.Account.Name != me.Username || got.Admin != (me.Uid == "0") {
		t.Errorf("caller %+v for %s (uid %s)", got, me.Username, me.Uid)
	}
	for _, tc := range []struct{ name, user, pw string }{
		{"a wrong password", me.Username, "guess"},
		{"an empty password", me.Username, ""},
		{"a user with no Linux account", "gowbem-no-such-user", "s3cret"},
	} {
		if _, err := c.CheckPassword(ctx, tc.user, tc.pw); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// A group named an administrators' group makes its members
	// administrators.
	a, _ := identity.LookupAccount(me.Username)
	if groups := a.GroupNames(); len(groups) > 0 {
		c, _ := pam.New(pam.Options{Service: "gowbem-test", ConfDir: dir, AdminGroups: groups[:1]})
		if got, err := c.CheckPassword(ctx, me.Username, "s3cret"); err != nil || !got.Admin {
			t.Errorf("a member of an administrators' group: %+v, %v", got, err)
		}
	}
	// A missing service is PAM's failure, not a wrong password.
	c, _ = pam.New(pam.Options{Service: "gowbem-missing", ConfDir: dir})
	if _, err := c.CheckPassword(ctx, me.Username, "s3cret"); err == nil || errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("a missing service: %v", err)
	}
}

// Through auth.Basic: PAM's verifications are throttled like the users
// file's.
func TestBasicOverPAM(t *testing.T) {
	me, _ := user.Current()
	c, err := pam.New(pam.Options{Service: "gowbem-test", ConfDir: stack(t)})
	if err != nil {
		t.Fatal(err)
	}
	b := auth.NewBasic(c, auth.BasicOptions{FreeFailures: 1})
	ctx, addr := context.Background(), netip.MustParseAddr("192.0.2.1")
	if _, err := b.Login(ctx, addr, me.Username, "s3cret"); err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"guess1", "guess2"} {
		if _, err := b.Login(ctx, addr, me.Username, pw); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("a wrong password: %v", err)
		}
	}
	var te *auth.ThrottledError
	if _, err := b.Login(ctx, addr, me.Username, "guess3"); !errors.As(err, &te) {
		t.Errorf("a guess past FreeFailures 1 and a failure more: %v", err)
	}
}

// Lookup, which restores a PAM user's subscriptions at a start, tells
// PAM's refusal of an account (identity.ErrNoUser: its subscriptions go)
// from PAM failing (another error: they are kept for a later try).
func TestLookupPAM(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := stack(t)
	for name, account := range map[string]string{
		"gowbem-deny":   "account required pam_deny.so\n",
		"gowbem-broken": "account required " + filepath.Join(dir, "pam_gowbem_missing.so") + "\n",
	} {
		os.WriteFile(filepath.Join(dir, name), []byte("auth required pam_deny.so\n"+account), 0o644)
	}
	lookup := func(service, name string) (*identity.Caller, error) {
		c, err := pam.New(pam.Options{Service: service, ConfDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return c.Lookup(name)
	}
	got, err := lookup("gowbem-test", me.Username)
	if err != nil || got.Name != me.Username || got.Method != "pam" || got.Account == nil {
		t.Fatalf("an account PAM accepts: %+v, %v", got, err)
	}
	for _, tc := range []struct {
		what, service, user string
		refused             bool
	}{
		{"no Linux account", "gowbem-test", "gowbem-no-such-user", true},
		{"PAM's account management refuses", "gowbem-deny", me.Username, true},
		{"a module that does not load", "gowbem-broken", me.Username, false},
		{"a missing service", "gowbem-missing", me.Username, false},
	} {
		c, err := lookup(tc.service, tc.user)
		if c != nil || err == nil || errors.Is(err, identity.ErrNoUser) != tc.refused {
			t.Errorf("%s: %+v, %v (refusal: %v)", tc.what, c, err, tc.refused)
		}
	}
}
