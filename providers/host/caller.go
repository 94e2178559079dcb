//go:build linux

package host

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
)

// The host acts with the caller's rights, as WMI's providers impersonate
// their client: the object manager has already checked the namespace's
// rights (Enable, MethodExecute, ProviderWrite); what a method then does to
// the system is checked here against the caller in ctx
// (identity.FromContext). A call without a caller is the program itself
// (in-process) and acts with the daemon's own rights.
//
// A method that reads stays open to every caller; one that changes the
// system (Chkdsk with repairs, starting and stopping services, power) needs
// an administrator (requireAdmin); one that acts on the caller's own
// things (Terminate, Create, Chkdsk without repairs) acts as the caller's
// Linux account (actingAs).

// isAdmin reports whether the call may change the system: in-process, or
// by an administrator.
func isAdmin(ctx context.Context) bool {
	c, ok := identity.FromContext(ctx)
	return !ok || c.Admin
}

// requireAdmin refuses a call that is neither in-process nor an
// administrator's with WBEM_E_ACCESS_DENIED; what says what was refused,
// e.g. "Chkdsk with FixErrors".
func requireAdmin(ctx context.Context, what string) error {
	if isAdmin(ctx) {
		return nil
	}
	c, _ := identity.FromContext(ctx)
	return &cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Parameter: what,
		Description: fmt.Sprintf("%s needs an administrator; user %s is not one", what, c.Name)}
}

// actor is whom a call acts as on the host.
type actor struct {
	// self: the daemon's own rights (in-process, or an administrator who
	// maps to no account).
	self bool
	// account: the caller's Linux account (an administrator's too, when it
	// maps to one).
	account *identity.Account
	// name is the caller's name, for messages.
	name string
}

// actingAs returns whom the call in ctx acts as; ok is false for a caller
// who is no administrator and maps to no Linux account: such a caller can
// do nothing on the host as anybody.
func actingAs(ctx context.Context) (a actor, ok bool) {
	c, found := identity.FromContext(ctx)
	switch {
	case !found:
		return actor{self: true, name: "(in-process)"}, true
	case c.Account != nil:
		return actor{account: c.Account, name: c.Name}, true
	case c.Admin:
		return actor{self: true, name: c.Name}, true
	}
	return actor{name: c.Name}, false
}

// privileged reports whether the actor has the daemon's rights or those of
// uid 0.
func (a actor) privileged() bool { return a.self || a.account != nil && a.account.UID == 0 }

// goSafe runs fn in a goroutine that a panic cannot take the program down
// with: in-process, a panic in a goroutine a provider starts is beyond the
// object manager's recover and would end the whole daemon. The panic and
// its stack go to the log; what the goroutine was doing stops.
func (h *host) goSafe(what string, fn func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				h.log().Error("host: a provider goroutine panicked; it stopped", "what", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		fn()
	}()
}
