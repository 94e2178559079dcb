// Package identity says who is calling: the authenticated caller of an
// operation, the rights WMI grants on a namespace, and the access lists that
// grant them.
//
// A protocol server authenticates a request and puts the Caller into the
// operation's context (NewContext); the object manager checks the caller's
// rights on the namespace before it dispatches; a provider reads the caller
// from its ctx (FromContext) and acts with the caller's operating system
// account, as WMI's providers impersonate their client. A context without a
// caller is the program itself: an in-process call, with the rights of the
// process.
package identity

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"
)

// Caller is an authenticated identity. Protocol servers make one per request;
// it is not modified once it is in a context.
type Caller struct {
	// Name is the user name the caller authenticated as.
	Name string
	// Groups are the groups the caller belongs to (from the users file, or
	// the operating system's groups of Account).
	Groups []string
	// Account is the operating system account the caller acts as on the
	// host; nil when the caller maps to none (then the host refuses what
	// needs an account, unless the caller is an administrator).
	Account *Account
	// Admin reports whether the caller is an administrator: a member of
	// AdministratorsGroup, or an account with uid 0. An administrator holds
	// every right on every namespace.
	Admin bool
	// Remote reports whether the request came from another machine; WMI
	// then also requires RemoteAccess.
	Remote bool
	// Address is where the request came from (host:port), for the audit
	// log; "" in-process.
	Address string
	// Method says how the caller authenticated: "basic", "pam",
	// "certificate"…; "" when the caller was made in-process.
	Method string
}

// AdministratorsGroup is the group whose members are administrators.
const AdministratorsGroup = "Administrators"

// EveryoneGroup is the group every authenticated caller belongs to; access
// lists name it as group:Everyone.
const EveryoneGroup = "Everyone"

// InGroup reports whether the caller belongs to group (compared without
// regard to case): one of Groups, EveryoneGroup, or AdministratorsGroup
// when the caller is an administrator.
func (c *Caller) InGroup(group string) bool {
	if strings.EqualFold(group, EveryoneGroup) || c.Admin && strings.EqualFold(group, AdministratorsGroup) {
		return true
	}
	return slices.ContainsFunc(c.Groups, func(g string) bool { return strings.EqualFold(g, group) })
}

// String names the caller for logs: the name, and where it came from.
func (c *Caller) String() string {
	if c == nil {
		return "(in-process)"
	}
	s := strconv.Quote(c.Name)
	if c.Address != "" {
		s += " from " + c.Address
	}
	return s
}

// Account is an operating system account.
type Account struct {
	Name   string
	UID    uint32
	GID    uint32   // the primary group
	Groups []uint32 // the supplementary groups, the primary one included
	Home   string
}

// ErrNoUser says that a name is nobody: no such user or account, or one that
// may no longer log in. A lookup that fails with another error could not be
// made (the name service or PAM failed) and says nothing about the user;
// callers keep what the user owns and try again later.
var ErrNoUser = errors.New("no such user")

// LookupAccount resolves an operating system account by name (or by
// "#uid"), with its groups. The error is ErrNoUser (errors.Is) when the
// machine has no such account.
func LookupAccount(name string) (*Account, error) {
	var u *user.User
	var err error
	if n, ok := strings.CutPrefix(name, "#"); ok {
		u, err = user.LookupId(n)
	} else {
		u, err = user.Lookup(name)
	}
	if err != nil {
		var unknownName user.UnknownUserError
		var unknownID user.UnknownUserIdError
		if errors.As(err, &unknownName) || errors.As(err, &unknownID) {
			return nil, fmt.Errorf("account %s: %w: %w", name, ErrNoUser, err)
		}
		return nil, fmt.Errorf("account %s: %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("account %s: uid %q or gid %q is not a number", name, u.Uid, u.Gid)
	}
	a := &Account{Name: u.Username, UID: uint32(uid), GID: uint32(gid), Home: u.HomeDir}
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid}
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil && !slices.Contains(a.Groups, uint32(n)) {
			a.Groups = append(a.Groups, uint32(n))
		}
	}
	if !slices.Contains(a.Groups, a.GID) {
		a.Groups = append(a.Groups, a.GID)
	}
	return a, nil
}

// GroupNames returns the names of the account's groups (numbers for those
// without a name).
func (a *Account) GroupNames() []string {
	out := make([]string, 0, len(a.Groups))
	for _, g := range a.Groups {
		id := strconv.FormatUint(uint64(g), 10)
		if gr, err := user.LookupGroupId(id); err == nil {
			out = append(out, gr.Name)
		} else {
			out = append(out, id)
		}
	}
	return out
}

type ctxKey struct{}

// NewContext returns a copy of ctx that carries c as the caller of the
// operations run under it.
func NewContext(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the caller ctx carries; ok is false in-process, when
// no protocol server or program put one there.
func FromContext(ctx context.Context) (c *Caller, ok bool) {
	c, ok = ctx.Value(ctxKey{}).(*Caller)
	return c, ok && c != nil
}
