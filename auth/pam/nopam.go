//go:build !(linux && cgo && pam)

package pam

import (
	"context"

	"github.com/gowbem/gowbem/identity"
)

// Available reports whether this build has PAM.
const Available = false

// Checker verifies passwords with PAM; in this build there is none.
type Checker struct{}

// New returns ErrNotBuilt: this build has no PAM.
func New(Options) (*Checker, error) { return nil, ErrNotBuilt }

// CheckPassword returns ErrNotBuilt.
func (*Checker) CheckPassword(context.Context, string, string) (*identity.Caller, error) {
	return nil, ErrNotBuilt
}

// Lookup returns ErrNotBuilt: this build has no PAM.
func (*Checker) Lookup(string) (*identity.Caller, error) { return nil, ErrNotBuilt }
