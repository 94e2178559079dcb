package pam

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/gowbem/gowbem/identity"
)

// Options.Caller finds a PAM account again without a password: its
// account, groups and administrator's rights as a login would have them
// now, Method "pam"; no account, a "#uid" name or an account of another
// name is nobody (identity.ErrNoUser); a name service that fails is no
// verdict on the user (another error).
func TestOptionsCaller(t *testing.T) {
	errSLAPD := errors.New("cannot contact the LDAP server")
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
		if name == "ldap-down" {
			return nil, errSLAPD
		}
		return nil, fmt.Errorf("account %s: %w", name, identity.ErrNoUser)
	}}
	for _, tc := range []struct {
		name  string
		err   error // nil: found
		admin bool
	}{
		{"alice", nil, true}, // in the administrators' group (gid 0)
		{"bob", nil, false},
		{"root", nil, true},
		{"nobody-here", identity.ErrNoUser, false},
		{"alias", identity.ErrNoUser, false}, // the account found is another name's
		{"#0", identity.ErrNoUser, false},    // a uid, not a name
		{"", identity.ErrNoUser, false},
		{"ldap-down", errSLAPD, false}, // no verdict: not ErrNoUser
	} {
		c, err := o.Caller(tc.name)
		if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) || (tc.err == errSLAPD && errors.Is(err, identity.ErrNoUser)) {
			t.Errorf("%q: error %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			if c != nil {
				t.Errorf("%q: a caller with an error", tc.name)
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
