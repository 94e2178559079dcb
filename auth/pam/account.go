package pam

import (
	"slices"
	"strings"

	"github.com/gowbem/gowbem/identity"
)

// Caller returns the identity a PAM login of name has, without checking a
// password or asking PAM: the Linux account Lookup finds (with its groups),
// an administrator when its uid is 0 or it belongs to one of AdminGroups.
// ok is false when the machine has no account of that very name (a name
// "#uid", which identity.LookupAccount reads as a uid, is none). The
// caller's Method is "pam", as a PAM login's. It is how a daemon
// finds again, as they are now, the users who logged in with PAM before
// (Checker.Lookup adds PAM's account management).
func (o Options) Caller(name string) (*identity.Caller, bool) {
	lookup := o.Lookup
	if lookup == nil {
		lookup = identity.LookupAccount
	}
	if name == "" || strings.HasPrefix(name, "#") {
		return nil, false
	}
	a, err := lookup(name)
	if err != nil || a == nil || a.Name != name {
		return nil, false
	}
	return accountCaller(a, o.AdminGroups), true
}

// accountCaller makes the identity of the Linux account a: its groups, and
// whether it is an administrator.
func accountCaller(a *identity.Account, adminGroups []string) *identity.Caller {
	groups := a.GroupNames()
	c := &identity.Caller{Name: a.Name, Account: a, Groups: groups, Admin: a.UID == 0, Method: "pam"}
	for _, g := range adminGroups {
		if slices.Contains(groups, g) {
			c.Admin = true
		}
	}
	return c
}
