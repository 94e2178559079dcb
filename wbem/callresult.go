package wbem

import (
	"time"

	"github.com/gowbem/gowbem/cim"
)

// CallResult is WMI's IWbemCallResult: the handle of a semisynchronous call
// that does not enumerate (OpenNamespace, GetObject, PutClass, DeleteClass,
// PutInstance, DeleteInstance, ExecMethod). Without WBEM_FLAG_RETURN_IMMEDIATELY
// the call returns it already complete.
type CallResult struct {
	s    *stream
	kind OpKind
	svc  *Services
}

// Done returns a channel closed when the call has completed.
func (r *CallResult) Done() <-chan struct{} { return r.s.finished }

// wait waits up to timeout for completion; the caller checked timeout.
func (r *CallResult) wait(timeout time.Duration) bool {
	select {
	case <-r.s.finished:
		return true
	default:
	}
	switch {
	case timeout == 0:
		return false
	case timeout < 0:
		<-r.s.finished
		return true
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.s.finished:
		return true
	case <-t.C:
		return false
	}
}

// CallStatus waits up to timeout for the call to complete. While it runs,
// CallStatus returns ErrTimedOut; once complete it returns a nil error and the
// operation's status, which may be a failure: CallStatus itself succeeded. Err
// gives the failure's detail. A negative timeout other than Infinite is
// WBEM_E_INVALID_PARAMETER, as for every getter.
func (r *CallResult) CallStatus(timeout time.Duration) (cim.Status, error) {
	if err := checkTimeout("CallStatus", timeout); err != nil {
		return cim.WBEM_E_INVALID_PARAMETER, err
	}
	if !r.wait(timeout) {
		return cim.WBEM_S_TIMEDOUT, ErrTimedOut
	}
	return cim.StatusOf(r.s.err), nil
}

// Err returns the operation's failure once it has completed, and nil while it
// runs or when it succeeded.
func (r *CallResult) Err() error {
	select {
	case <-r.s.finished:
		return r.s.err
	default:
		return nil
	}
}

func (r *CallResult) result(timeout time.Duration, getter string, kinds ...OpKind) error {
	ok := false
	for _, k := range kinds {
		ok = ok || k == r.kind
	}
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Operation: getter,
			Description: getter + " does not apply to a call result of " + r.kind.String()}
	}
	if err := checkTimeout(getter, timeout); err != nil {
		return err
	}
	if !r.wait(timeout) {
		return ErrTimedOut
	}
	return r.s.err
}

// ResultObject waits up to timeout and returns the object of GetObject or the
// out-parameters of ExecMethod. A failed operation returns its failure.
func (r *CallResult) ResultObject(timeout time.Duration) (cim.Object, error) {
	if err := r.result(timeout, "ResultObject", OpGetObject, OpExecMethod); err != nil {
		return nil, err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if len(r.s.items) == 0 {
		return nil, nil
	}
	return r.s.items[0], nil
}

// ResultString waits up to timeout and returns the path of the instance
// PutInstance created or updated.
func (r *CallResult) ResultString(timeout time.Duration) (string, error) {
	if err := r.result(timeout, "ResultString", OpPutInstance); err != nil {
		return "", err
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.s.result, nil
}

// ResultServices waits up to timeout and returns the services object of the
// namespace OpenNamespace opened.
func (r *CallResult) ResultServices(timeout time.Duration) (*Services, error) {
	if err := r.result(timeout, "ResultServices", OpOpenNamespace); err != nil {
		return nil, err
	}
	r.s.mu.Lock()
	ns := r.s.result
	r.s.mu.Unlock()
	return r.svc.at(ns), nil
}
