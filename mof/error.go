package mof

import (
	"fmt"

	"github.com/gowbem/gowbem/cim"
)

// Position is a place in a MOF source: the file name as given to the compiler
// (includes as resolved, relative to the file system root), the 1-based line
// and the 1-based column counted in characters.
type Position struct {
	File   string
	Line   int
	Column int
}

// String formats the position as file:line:column.
func (p Position) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Error is a compile error: where it happened, the offending token and the
// WBEM status. Err is a *cim.Error whose Status is a WBEMMOF_E_* code when one
// fits (else a WBEM_E_* code), whose Description repeats the position and whose
// Parameter is the offending token, so errors.As(err, &*cim.Error) and
// errors.Is(err, cim.ErrTypeMismatch) work on compile errors.
type Error struct {
	Pos   Position
	Token string     // the offending token as written; "" at the end of input
	Msg   string     // what went wrong, without the position
	Err   *cim.Error // the status, with a description naming the position
}

// Error formats the error as "file:line:col: NAME (0x...): message".
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Err.Status, e.Msg)
}

// Unwrap returns the *cim.Error.
func (e *Error) Unwrap() error { return e.Err }

// Status returns the error's WBEM status.
func (e *Error) Status() cim.Status { return e.Err.Status }

func newError(pos Position, token string, s cim.Status, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if token != "" {
		msg += fmt.Sprintf(" (near %q)", clip(token))
	} else {
		msg += " (at end of input)"
	}
	return &Error{Pos: pos, Token: token, Msg: msg, Err: &cim.Error{
		Status:      s,
		Description: pos.String() + ": " + msg,
		Operation:   "MOF compile",
		Parameter:   token,
	}}
}

// clip shortens a token for messages.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
