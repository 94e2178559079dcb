//go:build linux && cgo && pam

package pam

import (
	"context"
	"errors"
	"fmt"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/identity"
	"github.com/msteinert/pam/v2"
)

// Available reports whether this build has PAM.
const Available = true

// Checker verifies passwords with PAM. It implements auth.PasswordChecker.
type Checker struct{ opts Options }

// New returns a Checker of opts.
func New(opts Options) (*Checker, error) {
	if opts.Service == "" {
		opts.Service = DefaultService
	}
	if opts.Lookup == nil {
		opts.Lookup = identity.LookupAccount
	}
	if opts.ConfDir != "" && !pam.CheckPamHasStartConfdir() {
		return nil, errors.New("pam: this system's PAM cannot read another configuration directory")
	}
	return &Checker{opts: opts}, nil
}

// refused are PAM's answers that mean a wrong password or an account that
// may not log in (auth.ErrBadCredentials); the others mean PAM failed.
var refused = []pam.Error{pam.ErrAuth, pam.ErrUserUnknown, pam.ErrCredInsufficient, pam.ErrMaxtries,
	pam.ErrAcctExpired, pam.ErrNewAuthtokReqd, pam.ErrPermDenied, pam.ErrAuthtokExpired, pam.ErrCredExpired}

// CheckPassword implements auth.PasswordChecker: PAM's authentication and
// account management of service for name, answering its prompts with
// password. PAM cannot be interrupted; ctx is not looked at (auth.Basic
// bounds how many run at once).
func (c *Checker) CheckPassword(_ context.Context, name, password string) (*identity.Caller, error) {
	conv := pam.ConversationFunc(func(s pam.Style, msg string) (string, error) {
		switch s {
		case pam.PromptEchoOff:
			return password, nil
		case pam.PromptEchoOn:
			return name, nil
		case pam.ErrorMsg, pam.TextInfo:
			return "", nil
		}
		return "", fmt.Errorf("pam: unsupported conversation style %d", s)
	})
	var t *pam.Transaction
	var err error
	if c.opts.ConfDir != "" {
		t, err = pam.StartConfDir(c.opts.Service, name, conv, c.opts.ConfDir)
	} else {
		t, err = pam.Start(c.opts.Service, name, conv)
	}
	if err != nil {
		return nil, fmt.Errorf("pam: starting service %s: %w", c.opts.Service, err)
	}
	defer t.End()
	if err := t.Authenticate(pam.Silent | pam.DisallowNullAuthtok); err != nil {
		return nil, verdict(err)
	}
	if err := t.AcctMgmt(pam.Silent | pam.DisallowNullAuthtok); err != nil {
		return nil, verdict(err)
	}
	a, err := c.opts.Lookup(name)
	if err != nil {
		// PAM knows a user this machine has no account for (LDAP without
		// NSS, a test stack): nothing to act as.
		return nil, auth.ErrBadCredentials
	}
	return accountCaller(a, c.opts.AdminGroups), nil
}

// Lookup implements what a daemon needs to act again, without a password,
// as a user who logged in with PAM before (CIM-XML subscriptions restored
// at a restart): PAM's account management of service for name, then the
// identity a login of name has now (Options.Caller). The error is
// identity.ErrNoUser (errors.Is) when PAM refuses the account (unknown,
// expired, locked: the answers CheckPassword takes for a refusal) or the
// machine has no such account; any other error means PAM or the name
// service failed, which says nothing about the user.
func (c *Checker) Lookup(name string) (*identity.Caller, error) {
	conv := pam.ConversationFunc(func(s pam.Style, msg string) (string, error) {
		if s == pam.ErrorMsg || s == pam.TextInfo {
			return "", nil
		}
		return "", errors.New("pam: no password is given when an account is looked up")
	})
	var t *pam.Transaction
	var err error
	if c.opts.ConfDir != "" {
		t, err = pam.StartConfDir(c.opts.Service, name, conv, c.opts.ConfDir)
	} else {
		t, err = pam.Start(c.opts.Service, name, conv)
	}
	if err != nil {
		return nil, fmt.Errorf("pam: starting service %s: %w", c.opts.Service, err)
	}
	defer t.End()
	if err := t.AcctMgmt(pam.Silent); err != nil {
		if errors.Is(verdict(err), auth.ErrBadCredentials) {
			return nil, fmt.Errorf("pam: service %s refuses account %s: %w: %w", c.opts.Service, name, identity.ErrNoUser, err)
		}
		return nil, fmt.Errorf("pam: account management of %s: %w", name, err)
	}
	return c.opts.Caller(name)
}

func verdict(err error) error {
	var pe pam.Error
	if errors.As(err, &pe) {
		for _, r := range refused {
			if pe == r {
				return auth.ErrBadCredentials
			}
		}
	}
	return fmt.Errorf("pam: %w", err)
}
