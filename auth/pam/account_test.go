package pam

import (
	"errors"
	"slices"
	"testing"

	"github.com/gowbem/gowbem/identity"
)

// Options.Caller finds a PAM account again without a password: its
// account, groups and administrator's rights as a login would have them
// now, Method "pam"; no account, a "#uid" name or an account of another
// name is nobody.
func TestOptionsCaller(t *testing.T) {
	accounts := map[string]*identity.Account{
		"alice": {Name: "alice", UID: 1000, GID: 0, Groups: []uint32{0}},
		"bob":   {Name: "bob", UID: 1001, GID: 1001, Groups: []uint32{1001}},
		"root":  {Name: "root", UID: 0, GID: 0, Groups: []uint32{0}},
		"alias": {Name: "root", UID: 0},
		"#0":    {Name: "root", UID: 0},
	}
	lookups := 0
	o := Options{AdminGroups: []string{"0", "root"}, Lookup: func(name string) (*identity.Account, error) {
		lookups++
		if a, ok := accounts[name]; ok {
			return a, nil
		}
		return nil, errors.New("no account " + name)
	}}
	for _, tc := range []struct {
		name  string
		ok    bool
		admin bool
	}{
		{"alice", true, true}, // in the administrators' group (gid 0)
		{"bob", true, false},
		{"root", true, true},
		{"nobody-here", false, false},
		{"alias", false, false}, // the account found is another name's
		{"#0", false, false},    // a uid, not a name
		{"", false, false},
	} {
		c, ok := o.Caller(tc.name)
		if ok != tc.ok {
			t.Errorf("%q: ok %v, want %v", tc.name, ok, tc.ok)
			continue
		}
		if !ok {
			if c != nil {
				t.Errorf("%q: a caller without ok", tc.name)
			}
			continue
		}
		if c.Name != tc.name || c.Admin != tc.admin || c.Method != "pam" || c.Account != accounts[tc.name] || !slices.Equal(c.Groups, accounts[tc.name].GroupNames()) {
			t.Errorf("%q: %+v", tc.name, c)
		}
	}
	if lookups == 0 {
		t.Fatal("Options.Lookup was not used")
	}
}
