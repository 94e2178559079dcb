package wbem

import (
	"io"

	"github.com/gowbem/gowbem/cim"
)

// Status is a WBEM status code (an HRESULT).
type Status = cim.Status

// Error is a WBEM failure with the detail of WMI's __ExtendedStatus.
type Error = cim.Error

// Sentinel errors. A failure matches the sentinel of its status with
// errors.Is(err, wbem.ErrNotFound).
var (
	ErrFailed                  = cim.ErrFailed
	ErrNotFound                = cim.ErrNotFound
	ErrAccessDenied            = cim.ErrAccessDenied
	ErrProviderFailure         = cim.ErrProviderFailure
	ErrTypeMismatch            = cim.ErrTypeMismatch
	ErrInvalidParameter        = cim.ErrInvalidParameter
	ErrNotSupported            = cim.ErrNotSupported
	ErrInvalidSuperclass       = cim.ErrInvalidSuperclass
	ErrInvalidNamespace        = cim.ErrInvalidNamespace
	ErrInvalidObject           = cim.ErrInvalidObject
	ErrInvalidClass            = cim.ErrInvalidClass
	ErrInvalidOperation        = cim.ErrInvalidOperation
	ErrInvalidQuery            = cim.ErrInvalidQuery
	ErrInvalidQueryType        = cim.ErrInvalidQueryType
	ErrAlreadyExists           = cim.ErrAlreadyExists
	ErrProviderNotCapable      = cim.ErrProviderNotCapable
	ErrClassHasChildren        = cim.ErrClassHasChildren
	ErrClassHasInstances       = cim.ErrClassHasInstances
	ErrIllegalNull             = cim.ErrIllegalNull
	ErrInvalidMethod           = cim.ErrInvalidMethod
	ErrInvalidMethodParameters = cim.ErrInvalidMethodParameters
	ErrInvalidProperty         = cim.ErrInvalidProperty
	ErrCallCancelled           = cim.ErrCallCancelled
	ErrShuttingDown            = cim.ErrShuttingDown
	ErrInvalidObjectPath       = cim.ErrInvalidObjectPath
	ErrQuotaViolation          = cim.ErrQuotaViolation
	ErrNoKey                   = cim.ErrNoKey

	// ErrTimedOut is WBEM_S_TIMEDOUT: the wait ended before the call could be
	// answered in full. It is not a failure: results returned with it are
	// valid, and the call may be repeated.
	ErrTimedOut = &cim.Error{Status: cim.WBEM_S_TIMEDOUT, Description: "timed out"}
)

// StatusOf returns the WBEM status an error from this package stands for:
// WBEM_S_NO_ERROR for nil, WBEM_S_FALSE for io.EOF, WBEM_S_TIMEDOUT for
// ErrTimedOut, the failure's status otherwise.
func StatusOf(err error) Status {
	if err == io.EOF {
		return cim.WBEM_S_FALSE
	}
	return cim.StatusOf(err)
}
