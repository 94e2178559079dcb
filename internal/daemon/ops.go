package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/deadline"
	"github.com/gowbem/gowbem/wbem"
)

// DefaultOperationTimeout bounds every operation but enumerations and event
// subscriptions (Config.OperationTimeout): a protocol may ask less.
const DefaultOperationTimeout = 60 * time.Second

// ops is the backend the endpoint serves: the object manager, with every
// operation tracked, so that a shutdown can cancel them all — also those no
// enumeration context holds — and wait until their producers have returned
// before the repository closes. It bounds every call by the operation
// timeout (answering at it even when a provider ignores its ctx), writes
// the audit log, and keeps internal causes out of what callers see.
type ops struct {
	backend wbem.Backend
	stop    context.Context // done at shutdown
	cancel  context.CancelFunc
	timeout time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
}

func newOps(backend wbem.Backend) *ops {
	ctx, cancel := context.WithCancel(context.Background())
	o := &ops{stop: ctx, cancel: cancel, timeout: DefaultOperationTimeout, log: slog.New(slog.DiscardHandler)}
	// The caller is answered at the timeout; the shutdown still waits for
	// the backend itself.
	o.backend = deadline.Backend(tracked{backend, &o.wg})
	return o
}

// tracked counts the backend's calls in wg until they return.
type tracked struct {
	b  wbem.Backend
	wg *sync.WaitGroup
}

func (t tracked) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	defer t.wg.Done()
	return t.b.Do(ctx, op, w)
}

// Do implements wbem.Backend. Once the shutdown has begun it refuses new
// operations with WBEM_E_SHUTTING_DOWN.
func (o *ops) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return &cim.Error{Status: cim.WBEM_E_SHUTTING_DOWN, Operation: op.Kind.String(), Description: "the daemon is shutting down"}
	}
	o.wg.Add(1) // done by tracked, when the backend returns
	o.mu.Unlock()
	var cancel context.CancelFunc
	if op.Kind.Enumerates() {
		ctx, cancel = context.WithCancel(ctx) // as long as its consumer wants
	} else {
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
	}
	defer cancel()
	defer context.AfterFunc(o.stop, cancel)()
	start := time.Now()
	err := o.backend.Do(ctx, op, w)
	if err != nil && errors.Is(err, context.DeadlineExceeded) && !errors.As(err, new(*cim.Error)) {
		err = &cim.Error{Status: cim.WBEM_E_TIMED_OUT, Operation: op.Kind.String(),
			Description: fmt.Sprintf("the operation did not end within %v", time.Since(start).Round(time.Millisecond))}
	}
	o.audit(ctx, op, err, time.Since(start))
	return o.sanitize(ctx, op, err)
}

// audited are the operations every call of which is logged: those that
// change something or run code.
func audited(k wbem.OpKind) bool {
	switch k {
	case wbem.OpPutClass, wbem.OpDeleteClass, wbem.OpPutInstance, wbem.OpDeleteInstance, wbem.OpExecMethod,
		wbem.OpPutQualifier, wbem.OpDeleteQualifier:
		return true
	}
	return false
}

// audit logs, at info, every write and method call and every refused
// operation: who, from where, what, and the result.
func (o *ops) audit(ctx context.Context, op *wbem.Op, err error, took time.Duration) {
	refused := cim.StatusOf(err) == cim.WBEM_E_ACCESS_DENIED
	if !audited(op.Kind) && !refused {
		return
	}
	caller, _ := identity.FromContext(ctx)
	user, addr := "(in-process)", ""
	if caller != nil {
		user, addr = caller.Name, caller.Address
	}
	target := op.Path
	if op.Object != nil {
		switch obj := op.Object.(type) {
		case *cim.Instance:
			target = obj.ClassName()
		case *cim.Class:
			target = obj.Name
		case *cim.QualifierDecl:
			target = obj.Name
		}
	}
	result := "ok"
	if err != nil {
		result = cim.StatusOf(err).Name()
	}
	attrs := []any{slog.Bool("audit", true), "user", user, "addr", addr, "op", op.Kind.String(), "namespace", op.Namespace,
		"target", target, "result", result, "took", took.Round(time.Microsecond)}
	if op.Kind == wbem.OpExecMethod {
		attrs = append(attrs, "method", op.Method)
	}
	msg := "operation"
	if refused {
		msg = "operation refused"
		attrs = append(attrs, "why", cim.AsError(err).Description)
	}
	o.log.Info(msg, attrs...)
}

// internal reports whether a failure's description may hold what callers
// must not see (paths, OS errors, panics): it wraps a cause, or it is the
// service's own failure.
func internal(e *cim.Error) bool {
	if e.Err != nil {
		return true
	}
	switch e.Status {
	case cim.WBEM_E_FAILED, cim.WBEM_E_PROVIDER_FAILURE, cim.WBEM_E_CRITICAL_ERROR, cim.WBEM_E_OUT_OF_MEMORY,
		cim.WBEM_E_TRANSPORT_FAILURE, cim.WBEM_E_UNEXPECTED, cim.WBEM_E_INITIALIZATION_FAILURE:
		return true
	}
	return false
}

// sanitize keeps the internal cause of a failure in the log, under an
// incident id, and gives callers the status, the operation, the provider
// and that id instead of the detail.
func (o *ops) sanitize(ctx context.Context, op *wbem.Op, err error) error {
	if err == nil {
		return nil
	}
	e := cim.AsError(err)
	if !internal(e) {
		return err
	}
	var b [6]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	caller, _ := identity.FromContext(ctx)
	attrs := []any{"incident", id, "op", op.Kind.String(), "namespace", op.Namespace, "path", op.Path,
		"status", e.Status.Name(), "provider", e.Provider, "parameter", e.Parameter, "description", e.Description}
	if e.Err != nil {
		attrs = append(attrs, "err", e.Err.Error())
	}
	if caller != nil {
		attrs = append(attrs, "user", caller.Name, "addr", caller.Address)
	}
	o.log.Error("operation failed", attrs...)
	what := e.Status.Text()
	if e.Provider != "" { // the provider's name is no secret, and says whom to blame
		what += fmt.Sprintf(" in provider %q", e.Provider)
	}
	return &cim.Error{Status: e.Status, Operation: e.Operation, Provider: e.Provider,
		Description: fmt.Sprintf("%s (incident %s: the detail is in the daemon's log)", what, id)}
}

// shutdown cancels every running operation and waits up to timeout for
// them to return; it reports whether they all did.
func (o *ops) shutdown(timeout time.Duration) bool {
	o.mu.Lock()
	o.closing = true
	o.mu.Unlock()
	o.cancel()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
