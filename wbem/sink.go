package wbem

import (
	"io"

	"github.com/gowbem/gowbem/cim"
)

// Sink receives the results of an asynchronous call (WMI's IWbemObjectSink).
//
// For every call that was accepted, the sink gets zero or more Indicate calls,
// never two at once, and then exactly one SetStatus of type
// WBEM_STATUS_COMPLETE; with WBEM_FLAG_SEND_STATUS, SetStatus calls of type
// WBEM_STATUS_PROGRESS may come before it. A call that fails at once returns
// its error and never touches the sink. Sink methods must return quickly; they
// may call CancelAsyncCall (the final SetStatus then follows their return). A
// sink must be comparable (a pointer, say): CancelAsyncCall finds calls by
// their sink, and a call given a sink that is not is refused with
// WBEM_E_INVALID_PARAMETER.
type Sink interface {
	// Indicate receives a batch. The slice is reused after Indicate returns;
	// the objects belong to the sink. An error cancels the operation.
	Indicate(objs []cim.Object) error
	// SetStatus reports progress or the end of the call.
	SetStatus(st SinkStatus)
}

// SinkStatus is what a SetStatus call carries.
type SinkStatus struct {
	Type StatusType // WBEM_STATUS_COMPLETE or WBEM_STATUS_PROGRESS
	// Err is the call's final status with WBEM_STATUS_COMPLETE: nil
	// (WBEM_S_NO_ERROR), io.EOF (WBEM_S_FALSE: a NextAsync batch ended early),
	// or the failure, an *Error.
	Err error
	// Result is the call's result string with WBEM_STATUS_COMPLETE: the new
	// instance's path for PutInstanceAsync.
	Result string
	// Done and Total report progress with WBEM_STATUS_PROGRESS.
	Done, Total int
}

// Status returns the status as a WBEM code (WBEM_S_NO_ERROR, WBEM_S_FALSE or
// the failure's code).
func (s SinkStatus) Status() cim.Status {
	if s.Err == io.EOF {
		return cim.WBEM_S_FALSE
	}
	return cim.StatusOf(s.Err)
}
