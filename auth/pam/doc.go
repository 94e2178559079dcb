// Package pam logs real Linux accounts in with their own passwords through
// PAM (Pluggable Authentication Modules), as OMI does: a
// auth.PasswordChecker for auth.Basic, so that PAM's verifications run in
// its bounded pool, behind its throttling and its login cache.
//
// PAM needs cgo and the PAM headers (Debian: libpam0g-dev), so it is built
// only with the build tag pam: go build -tags pam ./cmd/wbemd. Without it,
// New returns ErrNotBuilt and Available is false; the rest of gowbem builds
// with one command and no C compiler.
//
// A caller PAM accepts must also be a Linux account on this machine
// (identity.LookupAccount): it acts as that account, with its groups. It is
// an administrator when its uid is 0 or it belongs to one of
// Checker.AdminGroups.
package pam

import (
	"errors"

	"github.com/gowbem/gowbem/identity"
)

// ErrNotBuilt is New's error in a build without the pam tag.
var ErrNotBuilt = errors.New("this program is built without PAM (build it with -tags pam: it needs cgo and libpam0g-dev)")

// Options configure a Checker.
type Options struct {
	// Service is the PAM service whose stack checks passwords: the file
	// /etc/pam.d/SERVICE (DefaultService).
	Service string
	// ConfDir, when set, is read instead of /etc/pam.d (tests).
	ConfDir string
	// AdminGroups are the Linux groups whose members are administrators
	// (besides uid 0).
	AdminGroups []string
	// Lookup finds the Linux account of a user (identity.LookupAccount).
	Lookup func(name string) (*identity.Account, error)
}

// DefaultService is the PAM service a Checker uses by default.
const DefaultService = "wbemd"
