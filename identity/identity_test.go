package identity_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/identity"
)

func TestRightsNames(t *testing.T) {
	cases := []struct {
		in   []string
		want identity.Rights
		str  string
	}{
		{[]string{"Enable"}, identity.Enable, "Enable"},
		{[]string{"enable|methodexecute"}, identity.Enable | identity.MethodExecute, "Enable|MethodExecute"},
		{[]string{"FullWrite", "PartialWrite,ProviderWrite"}, identity.FullWrite | identity.PartialWrite | identity.ProviderWrite, "FullWrite|PartialWrite|ProviderWrite"},
		{[]string{"RemoteAccess", "ReadSecurity", "EditSecurity"}, 0x20 | 0x20000 | 0x40000, "RemoteAccess|ReadSecurity|EditSecurity"},
		{[]string{"All"}, identity.AllRights, "Enable|MethodExecute|FullWrite|PartialWrite|ProviderWrite|RemoteAccess|ReadSecurity|EditSecurity"},
		{[]string{"none"}, 0, "none"},
		{[]string{"0x3"}, 3, "Enable|MethodExecute"},
		{[]string{"0x100"}, 0x100, "0x100"},
	}
	for _, tc := range cases {
		got, err := identity.ParseRights(tc.in...)
		if err != nil || got != tc.want {
			t.Errorf("ParseRights(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if s := got.String(); s != tc.str {
			t.Errorf("%#x.String() = %q, want %q", uint32(got), s, tc.str)
		}
		if back, err := identity.ParseRights(got.String()); err != nil || back != got {
			t.Errorf("ParseRights(%q) = %v, %v: no round trip", got.String(), back, err)
		}
	}
	// WMI's values.
	for r, v := range map[identity.Rights]uint32{identity.Enable: 1, identity.MethodExecute: 2, identity.FullWrite: 4,
		identity.PartialWrite: 8, identity.ProviderWrite: 0x10, identity.RemoteAccess: 0x20, identity.ReadSecurity: 0x20000, identity.EditSecurity: 0x40000} {
		if uint32(r) != v {
			t.Errorf("%v = %#x, WMI says %#x", r, uint32(r), v)
		}
	}
	if _, err := identity.ParseRights("Enable|Root"); err == nil || !strings.Contains(err.Error(), `"Root"`) {
		t.Errorf("an unknown right: %v", err)
	}
	if got := identity.RightNames(); len(got) != 8 || got[0] != "Enable" || got[7] != "EditSecurity" {
		t.Errorf("RightNames() = %v", got)
	}
}

func TestACLRights(t *testing.T) {
	alice := &identity.Caller{Name: "alice", Groups: []string{"ops"}}
	bob := &identity.Caller{Name: "bob"}
	root := &identity.Caller{Name: "root", Admin: true}
	acl := identity.ACL{
		{Rights: identity.Enable | identity.MethodExecute, Trustee: identity.Trustee{Name: "Everyone", Group: true}},
		{Rights: identity.FullWrite | identity.RemoteAccess, Trustee: identity.Trustee{Name: "OPS", Group: true}},
		{Deny: true, Rights: identity.MethodExecute, Trustee: identity.Trustee{Name: "bob"}},
		{Deny: true, Rights: identity.AllRights, Trustee: identity.Trustee{Name: "Administrators", Group: true}},
	}
	cases := []struct {
		c    *identity.Caller
		want identity.Rights
	}{
		{alice, identity.Enable | identity.MethodExecute | identity.FullWrite | identity.RemoteAccess},
		{bob, identity.Enable},
		{&identity.Caller{Name: "Bob"}, identity.Enable | identity.MethodExecute}, // user names compare exactly
		{root, identity.AllRights}, // an administrator cannot be locked out
		{nil, identity.AllRights},  // in-process
	}
	for _, tc := range cases {
		if got := acl.Rights(tc.c); got != tc.want {
			t.Errorf("Rights(%v) = %v, want %v", tc.c, got, tc.want)
		}
	}
	def := identity.DefaultACL()
	if got := def.Rights(bob); got != identity.Enable|identity.MethodExecute|identity.ProviderWrite {
		t.Errorf("default rights of a user = %v", got)
	}
	if got := def.Rights(&identity.Caller{Name: "x", Groups: []string{"administrators"}}); got != identity.AllRights {
		t.Errorf("default rights of a member of administrators = %v", got)
	}
}

func TestACLEdit(t *testing.T) {
	bob := identity.Trustee{Name: "bob"}
	c := &identity.Caller{Name: "bob"}
	l := identity.DefaultACL().Grant(bob, identity.RemoteAccess|identity.FullWrite)
	if got := l.Rights(c); got != identity.Enable|identity.MethodExecute|identity.ProviderWrite|identity.RemoteAccess|identity.FullWrite {
		t.Fatalf("after Grant: %v", got)
	}
	l = l.Grant(bob, identity.PartialWrite) // joins the same entry
	if n := len(l); n != 3 {
		t.Errorf("Grant twice made %d entries: %v", n, l)
	}
	l = l.Revoke(bob, identity.FullWrite)
	if got := l.Rights(c); got&identity.FullWrite != 0 || got&identity.PartialWrite == 0 {
		t.Errorf("after Revoke: %v", got)
	}
	l = l.Deny(bob, identity.MethodExecute)
	if got := l.Rights(c); got&identity.MethodExecute != 0 {
		t.Errorf("after Deny: %v", got)
	}
	l = l.Grant(bob, identity.MethodExecute) // lifts the denial
	if got := l.Rights(c); got&identity.MethodExecute == 0 {
		t.Errorf("Grant after Deny: %v (%v)", got, l)
	}
	l = l.Revoke(bob, identity.AllRights)
	for _, e := range l {
		if e.Trustee == bob && !e.Deny {
			t.Errorf("Revoke(All) left %v", e)
		}
	}
	if identity.DefaultACL().Grant(bob, identity.Enable)[0].Trustee.Name != "Administrators" {
		t.Error("Grant changed the order of entries")
	}
}

func TestParseACL(t *testing.T) {
	text := "# comment\n\nallow Enable|MethodExecute group:Everyone\ndeny MethodExecute user:Jane Doe\nallow All bob\n"
	l, err := identity.ParseACL([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := identity.ACL{
		{Rights: identity.Enable | identity.MethodExecute, Trustee: identity.Trustee{Name: "Everyone", Group: true}},
		{Deny: true, Rights: identity.MethodExecute, Trustee: identity.Trustee{Name: "Jane Doe"}},
		{Rights: identity.AllRights, Trustee: identity.Trustee{Name: "bob"}},
	}
	if !slices.Equal(l, want) {
		t.Fatalf("ParseACL = %v, want %v", l, want)
	}
	b, _ := l.MarshalText()
	if back, err := identity.ParseACL(b); err != nil || !slices.Equal(back, l) {
		t.Fatalf("round trip of %q: %v, %v", b, back, err)
	}
	bad := []struct{ text, why string }{
		{"permit Enable user:x", "line 1"},
		{"allow\n", "line 1"},
		{"\nallow Enable", "line 2"},
		{"allow Enable user:", "line 1"},
		{"allow Root user:x", `"Root"`},
		{"allow Enable user:a\x01b", "control"},
		{"allow Enable user:" + strings.Repeat("n", identity.MaxTrusteeName+1), "line 1"},
		{strings.Repeat("allow Enable user:x\n", identity.MaxACLEntries+1), "more than 1024"},
		{strings.Repeat("#", identity.MaxACLBytes+1), "limit"},
	}
	for _, tc := range bad {
		if _, err := identity.ParseACL([]byte(tc.text)); err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParseACL(%.40q) = %v, want an error saying %q", tc.text, err, tc.why)
		}
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if c, ok := identity.FromContext(ctx); ok || c != nil {
		t.Fatal("a bare context carries a caller")
	}
	if _, ok := identity.FromContext(identity.NewContext(ctx, nil)); ok {
		t.Fatal("a nil caller counts as one")
	}
	alice := &identity.Caller{Name: "alice", Address: "192.0.2.1:4242"}
	got, ok := identity.FromContext(identity.NewContext(ctx, alice))
	if !ok || got != alice {
		t.Fatalf("FromContext = %v, %v", got, ok)
	}
	if s := got.String(); s != `"alice" from 192.0.2.1:4242` {
		t.Errorf("String() = %q", s)
	}
}

func TestLookupAccount(t *testing.T) {
	a, err := identity.LookupAccount("#" + strconv.Itoa(os.Getuid()))
	if err != nil {
		t.Skipf("this process's account has no entry: %v", err)
	}
	if a.UID != uint32(os.Getuid()) || !slices.Contains(a.Groups, a.GID) {
		t.Errorf("account %+v", a)
	}
	b, err := identity.LookupAccount(a.Name)
	if err != nil || b.UID != a.UID {
		t.Errorf("LookupAccount(%q) = %+v, %v", a.Name, b, err)
	}
	if len(a.GroupNames()) != len(a.Groups) {
		t.Errorf("GroupNames %v for %v", a.GroupNames(), a.Groups)
	}
	for _, name := range []string{"no-such-account-gowbem", "#4000000123"} {
		if _, err := identity.LookupAccount(name); !errors.Is(err, identity.ErrNoUser) {
			t.Errorf("LookupAccount(%q): %v, want ErrNoUser", name, err)
		}
	}
}

// Parsing an access list and printing it back gives the same list.
func FuzzParseACL(f *testing.F) {
	for _, s := range []string{
		"allow Enable|MethodExecute group:Everyone\n",
		"deny All user:Jane Doe\nallow 0x3 bob\n",
		"# x\n\nallow none group:g\n",
		"allow Enable user: x \n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := identity.ParseACL(b)
		if err != nil {
			return
		}
		text, _ := l.MarshalText()
		back, err := identity.ParseACL(text)
		if err != nil {
			t.Fatalf("ParseACL(%q) of MarshalText: %v", text, err)
		}
		if !slices.Equal(back, l) {
			t.Fatalf("round trip: %v became %v", l, back)
		}
	})
}
