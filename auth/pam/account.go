package pam

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gowbem/gowbem/identity"
)

// Caller returns the identity a PAM login of name has, without checking a
// password or asking PAM: the Linux account Lookup finds (with its groups),
// an administrator when its uid is 0 or it belongs to one of AdminGroups.
// The error is identity.ErrNoUser when the machine has no account of that
// very name (a name "#uid", which identity.LookupAccount reads as a uid,
// is none; so is an account Lookup finds under another name), and another
// error when Lookup fails otherwise (the name service does not answer):
// that says nothing about the user. The caller's Method is "pam", as a PAM
// login's. It is how a daemon finds again, as they are now, the users who
// logged in with PAM before (Checker.Lookup adds PAM's account
// management).
func (o Options) Caller(name string) (*identity.Caller, error) {
	lookup := o.Lookup
	if lookup == nil {
		lookup = identity.LookupAccount
	}
	if name == "" || strings.HasPrefix(name, "#") {
		return nil, fmt.Errorf("pam: %q names no account: %w", name, identity.ErrNoUser)
	}
	a, err := lookup(name)
	switch {
	case err != nil:
		return nil, err
	case a == nil || a.Name != name:
		return nil, fmt.Errorf("pam: account %s: %w", name, identity.ErrNoUser)
	}
	return accountCaller(a, o.AdminGroups), nil
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
