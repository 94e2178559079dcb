package wbem

import (
	"errors"
	"io"

	"github.com/gowbem/gowbem/cim"
)

// The status codes, the error type (*cim.Error) and the sentinels of the
// failures (cim.ErrNotFound, …) are package cim's, which every signature here
// uses: a failure matches its sentinel with errors.Is(err, cim.ErrNotFound).

// ErrTimedOut is WBEM_S_TIMEDOUT: the wait ended before the call could be
// answered in full. It is not a failure: results returned with it are valid,
// and the call may be repeated. (cim.WBEM_E_TIMED_OUT, a failure, is another
// status: the call's own deadline passed.)
var ErrTimedOut = &cim.Error{Status: cim.WBEM_S_TIMEDOUT, Description: "timed out"}

// ErrAuthentication is what a protocol client's WBEM_E_ACCESS_DENIED wraps
// (errors.Is) when the server refused to authenticate the caller (HTTP 401:
// no credentials, or wrong ones), as opposed to an operation the
// authenticated caller may not do.
var ErrAuthentication = errors.New("the server did not authenticate the caller")

// StatusOf returns the WBEM status an error from this package stands for:
// WBEM_S_NO_ERROR for nil, WBEM_S_FALSE for io.EOF, WBEM_S_TIMEDOUT for
// ErrTimedOut, the failure's status otherwise.
func StatusOf(err error) cim.Status {
	if err == io.EOF {
		return cim.WBEM_S_FALSE
	}
	return cim.StatusOf(err)
}
