package wbem

import (
	"context"
	"io"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// Enumerator is WMI's IEnumWbemClassObject: a cursor over the objects an
// enumerating call (CreateClassEnum, CreateInstanceEnum, ExecQuery,
// ExecNotificationQuery) yields.
//
// The contract:
//   - Always Close it (Close is Release). It need not be drained: Close stops
//     the producer (the provider sees its ctx done) and frees what is queued.
//   - Next returns objects as they arrive. With a semisynchronous
//     (WBEM_FLAG_RETURN_IMMEDIATELY) call, errors found after the call
//     returned — an unknown class, a bad query, a failing provider — come from
//     the first Next, after any objects delivered before the failure.
//   - A forward-only enumerator (WBEM_FLAG_FORWARD_ONLY) keeps nothing once
//     delivered: its memory is bounded by its queue, whatever the result's
//     size. A bidirectional one keeps every object, so Reset and Clone work.
//   - io.EOF (WBEM_S_FALSE) ends an enumeration; a failure is sticky and is
//     returned again by every later Next; ErrTimedOut (WBEM_S_TIMEDOUT) is not
//     an end. An event enumerator never returns io.EOF.
//   - Next, Skip, Reset and Clone are serialized; Close may be called from any
//     goroutine, also while Next waits.
type Enumerator struct {
	s      *stream
	kind   OpKind
	bidir  bool
	mu     sync.Mutex // serializes Next, Skip, Reset, Clone and NextAsync deliveries
	pos    int
	closed atomic.Bool
	stop   chan struct{}

	asyncMu   sync.Mutex
	asyncTail chan struct{} // closed when the last queued NextAsync delivery ends
}

func newEnumerator(s *stream, kind OpKind, bidir bool, pos int) *Enumerator {
	return &Enumerator{s: s, kind: kind, bidir: bidir, pos: pos, stop: make(chan struct{})}
}

// Next waits up to timeout (Infinite, NoWait or a duration) for len(dst)
// objects and stores them in dst. Read it like io.Reader: use dst[:n] first,
// then look at err:
//   - nil: the batch is full (WBEM_S_NO_ERROR);
//   - io.EOF: the enumeration has ended, possibly with n > 0 (WBEM_S_FALSE);
//     a dst of length 0 gives io.EOF at once;
//   - ErrTimedOut: fewer than len(dst) came in time; call again
//     (WBEM_S_TIMEDOUT);
//   - anything else: the operation failed with that WBEM status.
//
// With Infinite, Next returns only on a full batch, the end or a failure.
func (e *Enumerator) Next(timeout time.Duration, dst []cim.Object) (int, error) {
	return e.NextContext(context.Background(), timeout, dst)
}

// NextContext is Next that also gives up when ctx is done, returning the
// objects read so far and WBEM_E_CALL_CANCELLED. The enumeration itself goes
// on (Close ends it): a server uses this to stop waiting for a client that
// has gone.
func (e *Enumerator) NextContext(ctx context.Context, timeout time.Duration, dst []cim.Object) (int, error) {
	if e.closed.Load() {
		return 0, errClosed
	}
	if len(dst) == 0 {
		return 0, io.EOF
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.s.read(&e.pos, dst, readOpts{timeout: timeout, stop: e.stop, stop2: ctx.Done()})
}

// Skip advances past n objects without returning them: nil when n were
// skipped, io.EOF when fewer remained (the enumerator is then at the end),
// ErrTimedOut when the timeout passed first.
func (e *Enumerator) Skip(timeout time.Duration, n int) error {
	if e.closed.Load() {
		return errClosed
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	buf := make([]cim.Object, min(n, 256))
	for n > 0 {
		t := timeout
		if timeout > 0 {
			if t = time.Until(deadline); t < 0 {
				t = 0
			}
		}
		k, err := e.s.read(&e.pos, buf[:min(n, len(buf))], readOpts{timeout: t, stop: e.stop})
		clear(buf[:k])
		n -= k
		if err != nil {
			return err
		}
	}
	return nil
}

// Reset rewinds a bidirectional enumerator to its first object. A
// forward-only enumerator gives WBEM_E_INVALID_OPERATION; on an event
// enumerator Reset does nothing.
func (e *Enumerator) Reset() error {
	if e.closed.Load() {
		return errClosed
	}
	if e.kind == OpExecNotificationQuery {
		return nil
	}
	if !e.bidir {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Operation: "Reset", Description: "a forward-only enumerator cannot be reset"}
	}
	e.mu.Lock()
	e.pos = 0
	e.mu.Unlock()
	return nil
}

// Clone returns an independent enumerator at the same position over the same
// results. A forward-only enumerator gives WBEM_E_INVALID_OPERATION. Pending
// NextAsync deliveries are not cloned.
func (e *Enumerator) Clone() (*Enumerator, error) {
	if e.closed.Load() {
		return nil, errClosed
	}
	if !e.bidir {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Operation: "Clone", Description: "a forward-only enumerator cannot be cloned"}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.s.acquire()
	return newEnumerator(e.s, e.kind, e.bidir, e.pos), nil
}

// Close releases the enumerator: undelivered objects are dropped and, once no
// clone remains, the operation is cancelled. Close is idempotent.
func (e *Enumerator) Close() error {
	if e.closed.CompareAndSwap(false, true) {
		close(e.stop)
		e.s.release()
	}
	return nil
}

// NextAsync delivers the next n objects to sink from another goroutine and
// returns at once: sink gets zero or more Indicate calls and then exactly one
// SetStatus (nil when n were delivered, io.EOF when the enumeration ended
// first, or the failure). NextAsync returns io.EOF, and sink is never called,
// when nothing remains at all. Calls queue in order: a NextAsync waits until
// the sinks of earlier ones have had their SetStatus.
func (e *Enumerator) NextAsync(n int, sink Sink) error {
	if e.closed.Load() {
		return errClosed
	}
	if sink == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: "NextAsync", Description: "sink is nil"}
	}
	e.asyncMu.Lock()
	prev := e.asyncTail
	mine := make(chan struct{})
	e.asyncTail = mine
	e.asyncMu.Unlock()
	if prev != nil {
		<-prev
	}
	e.mu.Lock()
	exhausted := e.exhaustedLocked()
	e.mu.Unlock()
	if exhausted || n <= 0 {
		close(mine)
		return io.EOF
	}
	go func() {
		defer close(mine)
		buf := make([]cim.Object, n)
		e.mu.Lock()
		k, err := e.s.read(&e.pos, buf, readOpts{timeout: Infinite, stop: e.stop})
		e.mu.Unlock()
		if k > 0 {
			if ierr := sink.Indicate(buf[:k]); ierr != nil {
				err = cim.AsError(ierr)
			}
		}
		sink.SetStatus(SinkStatus{Type: WBEM_STATUS_COMPLETE, Err: err})
	}()
	return nil
}

func (e *Enumerator) exhaustedLocked() bool {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done && s.err == nil && e.pos >= s.base+len(s.items)-s.head
}

// All returns an iterator over the remaining objects for use with range. It
// stops at the end, at the first failure (yielded with a nil object) or when
// ctx is done, and closes the enumerator when the loop ends.
func (e *Enumerator) All(ctx context.Context) iter.Seq2[cim.Object, error] {
	return func(yield func(cim.Object, error) bool) {
		defer e.Close()
		buf := make([]cim.Object, 64)
		for {
			if e.closed.Load() {
				yield(nil, errClosed)
				return
			}
			e.mu.Lock()
			n, err := e.s.read(&e.pos, buf, readOpts{min: 1, timeout: Infinite, stop: e.stop, stop2: ctx.Done()})
			e.mu.Unlock()
			for i := range n {
				obj := buf[i]
				buf[i] = nil
				if !yield(obj, nil) {
					return
				}
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
		}
	}
}

// Collect reads every remaining object, closes the enumerator and returns the
// objects, or the objects before a failure and the failure.
func (e *Enumerator) Collect(ctx context.Context) ([]cim.Object, error) {
	var out []cim.Object
	for obj, err := range e.All(ctx) {
		if err != nil {
			return out, err
		}
		out = append(out, obj)
	}
	return out, nil
}
