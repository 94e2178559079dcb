package cim

import (
	"errors"
	"fmt"
)

//go:generate go run ./internal/statusgen

// Status is a WBEM status code (an HRESULT): WBEM_S_* codes report success,
// WBEM_E_* codes failure.
type Status uint32

// Failed reports whether s is a failure code (its top bit is set).
func (s Status) Failed() bool { return s&0x80000000 != 0 }

// Name returns WMI's name for s, such as "WBEM_E_NOT_FOUND", or "" when s is not a
// known WBEM code.
func (s Status) Name() string {
	name, _, _ := statusInfo(s)
	return name
}

// Text returns a short English description of s.
func (s Status) Text() string {
	if _, text, ok := statusInfo(s); ok {
		return text
	}
	return "unknown status"
}

// String formats s as WMI's name and number: "WBEM_E_NOT_FOUND (0x80041002)".
func (s Status) String() string {
	if n := s.Name(); n != "" {
		return fmt.Sprintf("%s (0x%08X)", n, uint32(s))
	}
	return fmt.Sprintf("0x%08X", uint32(s))
}

// Error is a WBEM failure with the detail that WMI carries in __ExtendedStatus:
// the status code, a description, the operation, the parameter at fault and the
// provider that failed. Sentinels such as ErrNotFound match any Error with the
// same status under errors.Is.
type Error struct {
	Status      Status // the WBEM_E_* code
	Description string // what went wrong, naming the culprit
	Operation   string // e.g. "ExecQuery"
	Parameter   string // e.g. the class name or the query
	Provider    string // the provider's name; "" for the object manager itself
	Err         error  // an internal cause, not shown to remote users
}

// Errorf returns an *Error with status s and a formatted description.
func Errorf(s Status, format string, args ...any) *Error {
	return &Error{Status: s, Description: fmt.Sprintf(format, args...)}
}

// Error formats the status by name and number followed by the description.
func (e *Error) Error() string {
	msg := e.Status.String()
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches another *Error with the same status, so that sentinels work with
// errors.Is.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// StatusOf returns the WBEM status that err carries: WBEM_S_NO_ERROR for nil, the
// Error's status when err wraps an *Error, and WBEM_E_FAILED otherwise.
func StatusOf(err error) Status {
	if err == nil {
		return WBEM_S_NO_ERROR
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return WBEM_E_FAILED
}

// AsError returns err as an *Error, wrapping an error that is not one as
// WBEM_E_FAILED. It returns nil for nil.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: WBEM_E_FAILED, Description: err.Error(), Err: err}
}

// Sentinels for the failures callers most often test for; errors.Is matches an
// *Error of the same status.
var (
	ErrFailed                  = &Error{Status: WBEM_E_FAILED}
	ErrNotFound                = &Error{Status: WBEM_E_NOT_FOUND}
	ErrAccessDenied            = &Error{Status: WBEM_E_ACCESS_DENIED}
	ErrProviderFailure         = &Error{Status: WBEM_E_PROVIDER_FAILURE}
	ErrTypeMismatch            = &Error{Status: WBEM_E_TYPE_MISMATCH}
	ErrInvalidParameter        = &Error{Status: WBEM_E_INVALID_PARAMETER}
	ErrNotSupported            = &Error{Status: WBEM_E_NOT_SUPPORTED}
	ErrInvalidSuperclass       = &Error{Status: WBEM_E_INVALID_SUPERCLASS}
	ErrInvalidNamespace        = &Error{Status: WBEM_E_INVALID_NAMESPACE}
	ErrInvalidObject           = &Error{Status: WBEM_E_INVALID_OBJECT}
	ErrInvalidClass            = &Error{Status: WBEM_E_INVALID_CLASS}
	ErrInvalidOperation        = &Error{Status: WBEM_E_INVALID_OPERATION}
	ErrInvalidQuery            = &Error{Status: WBEM_E_INVALID_QUERY}
	ErrInvalidQueryType        = &Error{Status: WBEM_E_INVALID_QUERY_TYPE}
	ErrAlreadyExists           = &Error{Status: WBEM_E_ALREADY_EXISTS}
	ErrProviderNotCapable      = &Error{Status: WBEM_E_PROVIDER_NOT_CAPABLE}
	ErrClassHasChildren        = &Error{Status: WBEM_E_CLASS_HAS_CHILDREN}
	ErrClassHasInstances       = &Error{Status: WBEM_E_CLASS_HAS_INSTANCES}
	ErrIllegalNull             = &Error{Status: WBEM_E_ILLEGAL_NULL}
	ErrInvalidMethod           = &Error{Status: WBEM_E_INVALID_METHOD}
	ErrInvalidMethodParameters = &Error{Status: WBEM_E_INVALID_METHOD_PARAMETERS}
	ErrInvalidProperty         = &Error{Status: WBEM_E_INVALID_PROPERTY}
	ErrCallCancelled           = &Error{Status: WBEM_E_CALL_CANCELLED}
	ErrShuttingDown            = &Error{Status: WBEM_E_SHUTTING_DOWN}
	ErrInvalidObjectPath       = &Error{Status: WBEM_E_INVALID_OBJECT_PATH}
	ErrQuotaViolation          = &Error{Status: WBEM_E_QUOTA_VIOLATION}
	ErrNoKey                   = &Error{Status: WBEM_E_NO_KEY}
)
