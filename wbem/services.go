package wbem

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// DefaultQueueSize is how many objects a forward-only semisynchronous
// enumeration or an asynchronous call queues ahead of its consumer before the
// producer waits. The producer also waits, with room left, after a write
// that completed what a waiting reader (Next) asked for, when it asked for
// half the queue or more, until the reader took it: the consumer runs at
// once instead of the producer running on.
const DefaultQueueSize = 1024

// Services is WMI's IWbemServices: the operations on one namespace of an
// object manager, in-process or remote, in WMI's three call modes:
//   - synchronous (flags without WBEM_FLAG_RETURN_IMMEDIATELY): the call
//     returns when the operation is complete, with its error;
//   - semisynchronous (WBEM_FLAG_RETURN_IMMEDIATELY): the call returns at once
//     with an Enumerator or a CallResult that the caller polls;
//   - asynchronous (the …Async methods): results go to a Sink from another
//     goroutine.
//
// Every method takes a context first; cancelling it cancels the operation and
// reaches the provider. A Services value is safe for concurrent use.
type Services struct {
	backend   Backend
	namespace string
	queue     int
	owner     bool // Close closes the backend (not so for services of OpenNamespace)

	mu    sync.Mutex
	calls map[Sink][]*asyncCall
}

// Option configures a Services value.
type Option func(*Services)

// WithQueueSize sets how many objects a forward-only enumeration queues ahead
// of its consumer (DefaultQueueSize by default).
func WithQueueSize(n int) Option {
	return func(s *Services) {
		if n > 0 {
			s.queue = n
		}
	}
}

// NewServices returns the services of namespace (e.g. `root\cimv2`) on backend.
func NewServices(backend Backend, namespace string, opts ...Option) *Services {
	s := &Services{backend: backend, namespace: namespace, queue: DefaultQueueSize, owner: true}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Namespace returns the namespace these services operate on.
func (s *Services) Namespace() string { return s.namespace }

// Backend returns the backend the services run on.
func (s *Services) Backend() Backend { return s.backend }

// Close releases what the backend holds, when it holds anything (a remote
// connection's idle HTTP connections, say): it closes the backend if the
// backend implements io.Closer, as database/sql's DB.Close does for a
// connector; otherwise it does nothing. The services of an in-process object
// manager hold nothing of their own. Services that OpenNamespace returned
// share their parent's backend, and their Close does nothing: close the
// services the backend was opened with (NewServices, Connect). Calls made
// after Close fail as the backend decides.
func (s *Services) Close() error {
	if c, ok := s.backend.(io.Closer); ok && s.owner {
		return c.Close()
	}
	return nil
}

func (s *Services) at(ns string) *Services {
	return &Services{backend: s.backend, namespace: ns, queue: s.queue}
}

func (s *Services) start(ctx context.Context, op *Op, limit int, keep bool) *stream {
	op.Namespace = s.namespace
	st := newStream(ctx, limit, keep)
	if op.Kind == OpExecNotificationQuery {
		st.subscribed = make(chan struct{})
	}
	go st.run(s.backend, op)
	return st
}

func (s *Services) enumerate(ctx context.Context, op *Op) (*Enumerator, error) {
	if err := checkFlags(op.Kind, op.Flags, false); err != nil {
		return nil, err
	}
	semisync := op.Flags&WBEM_FLAG_RETURN_IMMEDIATELY != 0
	forward := op.Flags&WBEM_FLAG_FORWARD_ONLY != 0
	limit := 0
	if semisync && forward {
		limit = s.queue
	}
	st := s.start(ctx, op, limit, !forward)
	e := newEnumerator(st, op.Kind, !forward, 0)
	if st.subscribed != nil {
		// An event query returns once its subscription is in place, so that
		// every later event reaches it; a query that cannot be set up fails
		// here.
		if err := st.waitSubscribed(); err != nil {
			e.Close()
			return nil, err
		}
	}
	if !semisync {
		<-st.finished
		if st.err != nil {
			e.Close()
			return nil, st.err
		}
	}
	return e, nil
}

func (s *Services) call(ctx context.Context, op *Op) (*CallResult, error) {
	if err := checkFlags(op.Kind, op.Flags, false); err != nil {
		return nil, err
	}
	st := s.start(ctx, op, 0, true)
	r := &CallResult{s: st, kind: op.Kind, svc: s}
	if op.Flags&WBEM_FLAG_RETURN_IMMEDIATELY == 0 {
		<-st.finished
		if st.err != nil {
			return nil, st.err
		}
	}
	return r, nil
}

// qualifierOp runs a qualifier-declaration operation to its end and returns
// the declarations it delivered.
func (s *Services) qualifierOp(ctx context.Context, op *Op) ([]*cim.QualifierDecl, error) {
	if err := checkFlags(op.Kind, op.Flags, false); err != nil {
		return nil, err
	}
	st := s.start(ctx, op, 0, true)
	defer st.cancel()
	<-st.finished
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err != nil {
		return nil, st.err
	}
	out := make([]*cim.QualifierDecl, 0, len(st.items))
	for _, obj := range st.items {
		q, ok := obj.(*cim.QualifierDecl)
		if !ok {
			return nil, &cim.Error{Status: cim.WBEM_E_FAILED, Operation: op.Kind.String(),
				Description: fmt.Sprintf("the backend answered %s with a %T, not a qualifier declaration", op.Kind, obj)}
		}
		out = append(out, q)
	}
	return out, nil
}

// GetQualifier returns the declaration of the qualifier called name in this
// namespace (DSP0004's qualifier types, which WMI has not):
// WBEM_E_NOT_FOUND when there is none, WBEM_E_NOT_SUPPORTED from a backend
// that keeps none.
func (s *Services) GetQualifier(ctx context.Context, name string) (*cim.QualifierDecl, error) {
	qs, err := s.qualifierOp(ctx, &Op{Kind: OpGetQualifier, Path: name})
	if err != nil {
		return nil, err
	}
	if len(qs) != 1 {
		return nil, &cim.Error{Status: cim.WBEM_E_FAILED, Operation: OpGetQualifier.String(), Parameter: name,
			Description: fmt.Sprintf("the backend answered GetQualifier with %d declarations", len(qs))}
	}
	return qs[0], nil
}

// PutQualifier creates or replaces a qualifier declaration
// (WBEM_FLAG_CREATE_ONLY, WBEM_FLAG_UPDATE_ONLY, or either by default).
func (s *Services) PutQualifier(ctx context.Context, q *cim.QualifierDecl, flags Flag) error {
	if q == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: OpPutQualifier.String(), Description: "no qualifier declaration"}
	}
	_, err := s.qualifierOp(ctx, &Op{Kind: OpPutQualifier, Object: q.Clone(), Flags: flags})
	return err
}

// DeleteQualifier deletes the declaration of the qualifier called name.
func (s *Services) DeleteQualifier(ctx context.Context, name string) error {
	_, err := s.qualifierOp(ctx, &Op{Kind: OpDeleteQualifier, Path: name})
	return err
}

// EnumQualifiers returns every qualifier declaration of this namespace, by
// name. A namespace holds few, so they come whole rather than as an
// enumerator.
func (s *Services) EnumQualifiers(ctx context.Context) ([]*cim.QualifierDecl, error) {
	return s.qualifierOp(ctx, &Op{Kind: OpEnumQualifiers})
}

// OpenNamespace opens a namespace relative to this one ("a" or `a\b`); its
// services come from the call result's ResultServices. An unknown namespace
// gives WBEM_E_INVALID_NAMESPACE.
func (s *Services) OpenNamespace(ctx context.Context, namespace string, flags Flag) (*CallResult, error) {
	return s.call(ctx, &Op{Kind: OpOpenNamespace, Path: namespace, Flags: flags})
}

// GetObject retrieves a class (path "Class") or an instance (path
// `Class.Key="v"`, `Class=v`, `Class=@`); path "" gives an empty class to
// define a new one. The object comes from the call result's ResultObject.
func (s *Services) GetObject(ctx context.Context, path string, flags Flag) (*CallResult, error) {
	return s.call(ctx, &Op{Kind: OpGetObject, Path: path, Flags: flags})
}

// PutClass creates or updates a class (WBEM_FLAG_CREATE_ONLY,
// WBEM_FLAG_UPDATE_ONLY, or either by default).
func (s *Services) PutClass(ctx context.Context, class *cim.Class, flags Flag) (*CallResult, error) {
	return s.call(ctx, &Op{Kind: OpPutClass, Object: class, Flags: flags})
}

// DeleteClass deletes a class with all its subclasses and their instances.
func (s *Services) DeleteClass(ctx context.Context, class string, flags Flag) (*CallResult, error) {
	return s.call(ctx, &Op{Kind: OpDeleteClass, Path: class, Flags: flags})
}

// CreateClassEnum enumerates classes: with superclass "" every class
// (WBEM_FLAG_DEEP) or the top-level ones (WBEM_FLAG_SHALLOW); otherwise every
// descendant of superclass, not itself (DEEP), or its direct subclasses
// (SHALLOW).
func (s *Services) CreateClassEnum(ctx context.Context, superclass string, flags Flag) (*Enumerator, error) {
	return s.enumerate(ctx, &Op{Kind: OpCreateClassEnum, Path: superclass, Flags: flags})
}

// PutInstance creates or updates an instance; the call result's ResultString
// is its path.
func (s *Services) PutInstance(ctx context.Context, inst *cim.Instance, flags Flag) (*CallResult, error) {
	return s.call(ctx, &Op{Kind: OpPutInstance, Object: inst, Flags: flags})
}

// DeleteInstance deletes the instance at path.
func (s *Services) DeleteInstance(ctx context.Context, path string, flags Flag) (*CallResult, error) {
	return s.call(ctx, &Op{Kind: OpDeleteInstance, Path: path, Flags: flags})
}

// CreateInstanceEnum enumerates the instances of class and, with
// WBEM_FLAG_DEEP (the default), of its subclasses, each as its own class.
func (s *Services) CreateInstanceEnum(ctx context.Context, class string, flags Flag) (*Enumerator, error) {
	return s.enumerate(ctx, &Op{Kind: OpCreateInstanceEnum, Path: class, Flags: flags})
}

// ExecQuery runs a query; language must be "WQL". Semisynchronous and
// forward-only (WBEM_FLAG_RETURN_IMMEDIATELY|WBEM_FLAG_FORWARD_ONLY) is the
// recommended form: its memory stays bounded and errors come from the first
// Next.
func (s *Services) ExecQuery(ctx context.Context, language, query string, flags Flag) (*Enumerator, error) {
	return s.enumerate(ctx, &Op{Kind: OpExecQuery, Language: language, Query: query, Flags: flags})
}

// ExecNotificationQuery subscribes to events; flags must be
// WBEM_FLAG_RETURN_IMMEDIATELY|WBEM_FLAG_FORWARD_ONLY. It returns once the
// subscription is in place, so every event after it is delivered; a query
// that cannot be set up (WBEM_E_UNPARSABLE_QUERY, WBEM_E_NOT_EVENT_CLASS,
// WBEMESS_E_REGISTRATION_TOO_BROAD, …) fails the call. The enumerator never
// ends by itself: Next gives ErrTimedOut while no event comes; Close ends the
// subscription.
func (s *Services) ExecNotificationQuery(ctx context.Context, language, query string, flags Flag) (*Enumerator, error) {
	return s.enumerate(ctx, &Op{Kind: OpExecNotificationQuery, Language: language, Query: query, Flags: flags})
}

// ExecMethod calls a method: a static one on a class path, an instance method
// on an instance path. in holds the in-parameters (nil when there are none);
// the out-parameters, ReturnValue included, come from the call result's
// ResultObject.
func (s *Services) ExecMethod(ctx context.Context, path, method string, in *cim.Instance, flags Flag) (*CallResult, error) {
	return s.call(ctx, &Op{Kind: OpExecMethod, Path: path, Method: method, In: in, Flags: flags})
}

// asyncCall is one running asynchronous call. One goroutine (run) calls the
// sink; CancelAsyncCall may send the final SetStatus itself, but never while
// a sink method runs, and no lock is held while the sink is called, so a
// sink may call CancelAsyncCall from Indicate.
type asyncCall struct {
	st   *stream
	sink Sink
	flag Flag
	stop chan struct{} // closed by CancelAsyncCall
	// detach: CancelAsyncCall ends only the client's end and lets the
	// operation run to completion, as WMI does for calls with side effects.
	detach bool

	mu       sync.Mutex
	calling  bool        // a sink method is running
	finished bool        // the final SetStatus was sent, or is owed
	owed     *SinkStatus // the final status to send when the running sink method returns
}

// withSideEffects are the operations whose provider CancelAsyncCall lets run
// to completion: cancelling them would cut a change in half. Enumerations and
// reads are cancelled all the way down to their provider.
func withSideEffects(k OpKind) bool {
	switch k {
	case OpExecMethod, OpPutInstance, OpDeleteInstance, OpPutClass, OpDeleteClass:
		return true
	}
	return false
}

// checkSink refuses a sink that CancelAsyncCall could not find again.
func checkSink(operation string, sink Sink) error {
	if sink == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: operation, Parameter: "sink", Description: "sink is nil"}
	}
	if !reflect.ValueOf(sink).Comparable() {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: operation, Parameter: "sink",
			Description: fmt.Sprintf("a sink of type %T is not comparable, so CancelAsyncCall could not find its calls: pass a pointer", sink)}
	}
	return nil
}

func (s *Services) async(ctx context.Context, op *Op, sink Sink) error {
	if err := checkSink(op.Kind.String()+"Async", sink); err != nil {
		return err
	}
	if err := checkFlags(op.Kind, op.Flags, true); err != nil {
		return err
	}
	st := s.start(ctx, op, s.queue, false)
	if st.subscribed != nil {
		if err := st.waitSubscribed(); err != nil {
			st.release()
			return err // the sink is never used
		}
	}
	c := &asyncCall{st: st, sink: sink, flag: op.Flags, stop: make(chan struct{}), detach: withSideEffects(op.Kind)}
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[Sink][]*asyncCall{}
	}
	s.calls[sink] = append(s.calls[sink], c)
	s.mu.Unlock()
	go func() {
		c.run()
		s.forget(sink, c)
	}()
	return nil
}

func (s *Services) forget(sink Sink, c *asyncCall) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.calls[sink]
	for i, x := range list {
		if x == c {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.calls, sink)
	} else {
		s.calls[sink] = list
	}
}

// run drains the stream into the sink.
func (c *asyncCall) run() {
	buf := make([]cim.Object, 256)
	pos, seq := 0, 0
	var progSeq *int
	if c.flag&WBEM_FLAG_SEND_STATUS != 0 {
		progSeq = &seq
	}
	w := newWaiter(Infinite)
	for {
		n, err := c.st.read(&pos, buf, readOpts{want: 1, wait: w, stop: c.stop, progSeq: progSeq})
		if progSeq != nil {
			c.st.mu.Lock()
			cur, done, total := c.st.progSeq, c.st.progDone, c.st.progTot
			c.st.mu.Unlock()
			if cur != seq {
				seq = cur
				if !c.call(func() error {
					c.sink.SetStatus(SinkStatus{Type: WBEM_STATUS_PROGRESS, Done: done, Total: total})
					return nil
				}) {
					return
				}
			}
		}
		if n > 0 {
			var ierr error
			ok := c.call(func() error { ierr = c.sink.Indicate(buf[:n]); return ierr })
			clear(buf[:n])
			if !ok {
				return
			}
			if ierr != nil {
				c.st.release()
				c.complete(cim.AsError(ierr))
				return
			}
		}
		if err == ErrTimedOut || err == nil {
			continue
		}
		if err == errClosed {
			return
		}
		if err == io.EOF {
			err = nil
		}
		c.complete(err)
		c.st.release()
		return
	}
}

// call runs one sink method unless the call has finished; it reports false
// when the caller must stop (finished before, or cancelled meanwhile, in
// which case the owed final status has been sent).
func (c *asyncCall) call(fn func() error) bool {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return false
	}
	c.calling = true
	c.mu.Unlock()
	fn()
	c.mu.Lock()
	c.calling = false
	owed := c.owed
	c.owed = nil
	c.mu.Unlock()
	if owed != nil {
		c.sink.SetStatus(*owed)
		return false
	}
	return true
}

// complete sends the one final SetStatus unless it was sent already.
func (c *asyncCall) complete(err error) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished = true
	c.calling = true
	c.mu.Unlock()
	c.st.mu.Lock()
	result := c.st.result
	c.st.mu.Unlock()
	c.sink.SetStatus(SinkStatus{Type: WBEM_STATUS_COMPLETE, Err: err, Result: result})
	c.mu.Lock()
	c.calling = false
	c.mu.Unlock()
}

// cancel ends the call for CancelAsyncCall: the sink's final SetStatus is
// WBEM_E_CALL_CANCELLED, sent now, or, when a sink method is running (it may
// be the one calling CancelAsyncCall), as soon as it returns.
func (c *asyncCall) cancel() {
	st := SinkStatus{Type: WBEM_STATUS_COMPLETE, Err: &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Operation: "CancelAsyncCall", Description: "the call was cancelled"}}
	c.mu.Lock()
	switch {
	case c.finished:
		c.mu.Unlock()
	case c.calling:
		c.finished = true
		c.owed = &st
		c.mu.Unlock()
	default:
		c.finished = true
		c.calling = true
		c.mu.Unlock()
		c.sink.SetStatus(st)
		c.mu.Lock()
		c.calling = false
		c.mu.Unlock()
	}
	close(c.stop)
	if !c.detach {
		c.st.release()
	}
}

// CancelAsyncCall cancels every pending asynchronous call that was given
// sink: a call whose sink has not had its final SetStatus gets SetStatus with
// WBEM_E_CALL_CANCELLED, and no Indicate once CancelAsyncCall returns. When
// one of the sink's methods is running — it may be the caller, since a sink
// may call CancelAsyncCall from Indicate — that final SetStatus follows its
// return; CancelAsyncCall does not wait for it. Queries and enumerations are
// cancelled down to their provider; a method, PutInstance, DeleteInstance,
// PutClass or DeleteClass runs to completion (only the client's end is
// cancelled, as in WMI, so a change is never cut in half). A sink with no
// pending call gives WBEM_E_NOT_FOUND.
func (s *Services) CancelAsyncCall(sink Sink) error {
	if err := checkSink("CancelAsyncCall", sink); err != nil {
		return err
	}
	s.mu.Lock()
	calls := s.calls[sink]
	delete(s.calls, sink)
	s.mu.Unlock()
	if len(calls) == 0 {
		return &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Operation: "CancelAsyncCall", Description: "no pending call uses this sink"}
	}
	for _, c := range calls {
		c.cancel()
	}
	return nil
}

// OpenNamespaceAsync opens a namespace; the sink's final SetStatus carries
// the opened namespace's name as its Result.
func (s *Services) OpenNamespaceAsync(ctx context.Context, namespace string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpOpenNamespace, Path: namespace, Flags: flags}, sink)
}

// GetObjectAsync retrieves a class or an instance: one Indicate, then
// SetStatus.
func (s *Services) GetObjectAsync(ctx context.Context, path string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpGetObject, Path: path, Flags: flags}, sink)
}

// PutClassAsync creates or updates a class.
func (s *Services) PutClassAsync(ctx context.Context, class *cim.Class, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpPutClass, Object: class, Flags: flags}, sink)
}

// DeleteClassAsync deletes a class with its subclasses and their instances.
func (s *Services) DeleteClassAsync(ctx context.Context, class string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpDeleteClass, Path: class, Flags: flags}, sink)
}

// CreateClassEnumAsync enumerates classes into sink.
func (s *Services) CreateClassEnumAsync(ctx context.Context, superclass string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpCreateClassEnum, Path: superclass, Flags: flags}, sink)
}

// PutInstanceAsync creates or updates an instance; the final SetStatus
// carries its path as Result.
func (s *Services) PutInstanceAsync(ctx context.Context, inst *cim.Instance, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpPutInstance, Object: inst, Flags: flags}, sink)
}

// DeleteInstanceAsync deletes an instance.
func (s *Services) DeleteInstanceAsync(ctx context.Context, path string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpDeleteInstance, Path: path, Flags: flags}, sink)
}

// CreateInstanceEnumAsync enumerates instances into sink.
func (s *Services) CreateInstanceEnumAsync(ctx context.Context, class string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpCreateInstanceEnum, Path: class, Flags: flags}, sink)
}

// ExecQueryAsync runs a query into sink.
func (s *Services) ExecQueryAsync(ctx context.Context, language, query string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpExecQuery, Language: language, Query: query, Flags: flags}, sink)
}

// ExecNotificationQueryAsync delivers events to sink until CancelAsyncCall;
// SetStatus comes only on a failure or the cancellation. Like
// ExecNotificationQuery it returns once the subscription is in place, and a
// query that cannot be set up fails the call without touching the sink.
func (s *Services) ExecNotificationQueryAsync(ctx context.Context, language, query string, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpExecNotificationQuery, Language: language, Query: query, Flags: flags}, sink)
}

// ExecMethodAsync calls a method; the out-parameters come as one Indicate.
func (s *Services) ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags Flag, sink Sink) error {
	return s.async(ctx, &Op{Kind: OpExecMethod, Path: path, Method: method, In: in, Flags: flags}, sink)
}
