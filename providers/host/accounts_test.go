//go:build linux

package host_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/providers/host"
)

func TestFixtureAccounts(t *testing.T) {
	svc := newOM(t, fixture(t))
	users := byKey(enumerate(t, svc, "Win32_UserAccount"))
	if len(users) != 3 {
		t.Fatalf("%d users (comments and broken lines skipped): %v", len(users), users)
	}
	checkProps(t, lookup(t, users, `Win32_UserAccount.Domain="fixture-host",Name="alice"`), map[string]any{
		"FullName": "Alice Liddell", "Description": "Alice Liddell,Room 1,,", "SID": "S-1-22-1-1001",
		"SIDType": "1", "Caption": `fixture-host\alice`, "Disabled": "true", "PasswordRequired": "true", "LocalAccount": "true",
	})
	checkProps(t, lookup(t, users, `Win32_UserAccount.Domain="fixture-host",Name="bob"`), map[string]any{"Disabled": "false", "PasswordRequired": "false", "FullName": nil})
	if _, err := getObject(t, svc, `Win32_UserAccount.Domain="FIXTURE-HOST",Name="root"`); err != nil {
		t.Errorf("GetObject with the domain in another case: %v", err)
	}
	groups := byKey(enumerate(t, svc, "Win32_Group"))
	checkProps(t, lookup(t, groups, `Win32_Group.Domain="fixture-host",Name="adm"`), map[string]any{"SID": "S-1-22-2-4", "SIDType": "4"})
	// Polymorphism: Win32_Account holds users and groups.
	if n := len(enumerate(t, svc, "Win32_Account")); n != 3+5 {
		t.Errorf("Win32_Account: %d", n)
	}

	members := func(q string) string {
		var out []string
		for _, in := range query(t, svc, q) {
			out = append(out, in.Value("Name").Str())
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	// adm lists alice and bob; users is bob's primary group; staff names
	// an unknown "ghost", left out.
	for q, want := range map[string]string{
		`ASSOCIATORS OF {Win32_Group.Domain="fixture-host",Name="adm"} WHERE AssocClass = Win32_GroupUser`:    "alice,bob",
		`ASSOCIATORS OF {Win32_Group.Domain="fixture-host",Name="users"} WHERE AssocClass = Win32_GroupUser`:  "bob",
		`ASSOCIATORS OF {Win32_Group.Domain="fixture-host",Name="staff"} WHERE AssocClass = Win32_GroupUser`:  "root",
		`ASSOCIATORS OF {Win32_UserAccount.Domain="fixture-host",Name="bob"} WHERE ResultClass = Win32_Group`: "adm,users",
	} {
		if got := members(q); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}

	if _, err := svc.ExecQuery(context.Background(), "WQL", `ASSOCIATORS OF {Win32_UserAccount.Domain="elsewhere",Name="bob"}`, 0); cim.StatusOf(err) != cim.WBEM_E_NOT_FOUND {
		t.Errorf("an account of another domain: %v", err)
	}

	// utmp: two logins (the LOGIN and DEAD records are no sessions).
	sessions := byKey(enumerate(t, svc, "Win32_LogonSession"))
	if len(sessions) != 2 {
		t.Fatalf("%d sessions: %v", len(sessions), sessions)
	}
	checkProps(t, lookup(t, sessions, `Win32_LogonSession.LogonId="42"`), map[string]any{
		"Name": "pts/0", "LogonType": "10", "Description": "10.0.0.7",
		"StartTime": cim.DatetimeFromTime(time.Unix(1700000100, 0).Local()).String(),
	})
	checkProps(t, lookup(t, sessions, `Win32_LogonSession.LogonId="1"`), map[string]any{"Name": "tty1", "LogonType": "2"})
	who := query(t, svc, `ASSOCIATORS OF {Win32_LogonSession.LogonId="42"} WHERE AssocClass = Win32_LoggedOnUser`)
	if len(who) != 1 || who[0].Value("Name").Str() != "alice" {
		t.Errorf("who is logged on in session 42: %v", who)
	}
	if got := members(`ASSOCIATORS OF {Win32_UserAccount.Domain="fixture-host",Name="root"} WHERE AssocClass = Win32_LoggedOnUser`); got != "tty1" {
		t.Errorf("root's sessions: %q", got)
	}

	// /etc/environment, as pam_env reads it.
	env := byKey(enumerate(t, svc, "Win32_Environment"))
	if len(env) != 3 {
		t.Fatalf("%d variables: %v", len(env), env)
	}
	checkProps(t, lookup(t, env, `Win32_Environment.Name="PATH",UserName="<SYSTEM>"`), map[string]any{
		"VariableValue": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin", "SystemVariable": "true"})
	checkProps(t, lookup(t, env, `Win32_Environment.Name="EDITOR",UserName="<SYSTEM>"`), map[string]any{"VariableValue": "vi"})
}

func TestLiveAccounts(t *testing.T) {
	svc := newOM(t, host.Config{})
	users := enumerate(t, svc, "Win32_UserAccount")
	sawRoot := false
	for _, u := range users {
		sawRoot = sawRoot || u.Value("Name").Str() == "root" && u.Value("SID").Str() == "S-1-22-1-0"
	}
	if !sawRoot {
		t.Error("root is not an account")
	}
	// The daemon's own environment only when asked for.
	n := len(enumerate(t, svc, "Win32_Environment"))
	os.Setenv("GOWBEM_TEST_ENV_MARK", "x y")
	withEnv := newOM(t, host.Config{DaemonEnvironment: true})
	found := false
	for _, e := range enumerate(t, withEnv, "Win32_Environment") {
		if e.Value("Name").Str() == "GOWBEM_TEST_ENV_MARK" {
			found = e.Value("VariableValue").Str() == "x y" && !e.Value("SystemVariable").Bool()
		}
	}
	if !found {
		t.Error("the daemon's variable is missing with DaemonEnvironment")
	}
	if len(enumerate(t, svc, "Win32_Environment")) != n {
		t.Error("the daemon's variables leak without DaemonEnvironment")
	}
}

// lookup finds the instance at path whatever the order of its keys.
func lookup(t *testing.T, m map[string]*cim.Instance, path string) *cim.Instance {
	t.Helper()
	p, err := cim.ParsePath(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range m {
		if in.ObjectPath().KeyString() == p.KeyString() {
			return in
		}
	}
	t.Fatalf("no instance %s among %d", path, len(m))
	return nil
}
