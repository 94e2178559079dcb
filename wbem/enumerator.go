package wbem

import (
	"context"
	"fmt"
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
	turn   turnstile // orders Next, Skip, NextAsync deliveries, Reset and Clone
	pos    int       // read and written only by the holder of the turn
	closed atomic.Bool
	stop   chan struct{}
}

func newEnumerator(s *stream, kind OpKind, bidir bool, pos int) *Enumerator {
	return &Enumerator{s: s, kind: kind, bidir: bidir, pos: pos, stop: make(chan struct{})}
}

// turnstile serializes the operations on one enumerator in the order they
// were called, as WMI does ("Multiple NextAsync calls are queued and served
// in order"; Skip and Reset affect only later calls), without holding a lock
// while one of them waits: a caller waits for its turn no longer than its
// own timeout, and Reset and Clone, which do not wait at all, leave an
// action that runs when their turn comes.
type turnstile struct {
	mu    sync.Mutex
	busy  bool   // someone holds the turn
	queue []turn // waiting, in call order
}

// turn is a place in the queue: a waiter (ready is closed when the turn
// passes to it) or an action run in order by whoever passes the turn on.
type turn struct {
	ready  chan struct{}
	action func()
}

// enter waits for the caller's turn: until w's limit, stop or ctx ends the
// wait, which then returns ErrTimedOut, errClosed or ctx's error. On nil the
// caller holds the turn and must leave.
func (t *turnstile) enter(w *waiter, stop <-chan struct{}, ctx context.Context) error {
	t.mu.Lock()
	if !t.busy {
		t.busy = true
		t.mu.Unlock()
		return nil
	}
	if w.over() {
		t.mu.Unlock()
		return ErrTimedOut
	}
	ready := make(chan struct{})
	t.queue = append(t.queue, turn{ready: ready})
	t.mu.Unlock()
	var err error
	select {
	case <-ready:
		return nil
	case <-w.done():
		w.expired = true
		err = ErrTimedOut
	case <-stop:
		err = errClosed
	case <-ctxDone(ctx):
		err = ctxError(ctx, "")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-ready: // the turn came as the wait ended: pass it on
		t.leaveLocked()
	default:
		for i := range t.queue {
			if t.queue[i].ready == ready {
				t.queue = append(t.queue[:i], t.queue[i+1:]...)
				break
			}
		}
	}
	return err
}

// leave passes the turn on: the actions queued next run, then the next
// waiter gets the turn.
func (t *turnstile) leave() {
	t.mu.Lock()
	t.leaveLocked()
	t.mu.Unlock()
}

func (t *turnstile) leaveLocked() {
	for len(t.queue) > 0 {
		next := t.queue[0]
		t.queue[0] = turn{}
		t.queue = t.queue[1:]
		if next.action != nil {
			next.action()
			continue
		}
		close(next.ready) // the turn stays taken: it is next's now
		return
	}
	t.busy = false
}

// later runs action in its turn: now when nobody holds the turn, else when
// the operations called before it are done. The caller does not wait.
func (t *turnstile) later(action func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.busy {
		action()
		return
	}
	t.queue = append(t.queue, turn{action: action})
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
// With Infinite, Next returns only on a full batch, the end or a failure. A
// negative timeout other than Infinite is WBEM_E_INVALID_PARAMETER. Next
// reads after the objects of NextAsync calls made before it; the time it
// waits for them to be delivered counts against its timeout.
//
// Like io.Reader's Read, Next uses all of dst: it sets dst to nil before it
// waits and leaves dst[n:] nil, so the objects of an earlier batch still in
// the caller's buffer are not kept alive (and marked by the collector) while
// the next one comes.
func (e *Enumerator) Next(timeout time.Duration, dst []cim.Object) (int, error) {
	return e.NextContext(context.Background(), timeout, dst)
}

// NextContext is Next that also gives up when ctx is done, returning the
// objects read so far and WBEM_E_CALL_CANCELLED (WBEM_E_TIMED_OUT past ctx's
// deadline), which wraps ctx.Err(). The enumeration itself goes on (Close
// ends it): a server uses this to stop waiting for a client that has gone.
func (e *Enumerator) NextContext(ctx context.Context, timeout time.Duration, dst []cim.Object) (int, error) {
	clear(dst)
	if err := checkTimeout("Next", timeout); err != nil {
		return 0, err
	}
	if e.closed.Load() {
		return 0, errClosed
	}
	if len(dst) == 0 {
		return 0, io.EOF
	}
	w := newWaiter(timeout)
	defer w.stop()
	if err := e.turn.enter(w, e.stop, ctx); err != nil {
		return 0, err
	}
	defer e.turn.leave()
	return e.s.read(&e.pos, dst, readOpts{wait: w, stop: e.stop, ctx: ctx})
}

// Skip advances past n objects without returning them: nil when n were
// skipped, io.EOF when fewer remained (the enumerator is then at the end),
// ErrTimedOut when the timeout passed first (the enumerator then stands
// after the objects skipped so far). A negative n or a negative timeout
// other than Infinite is WBEM_E_INVALID_PARAMETER. Skip does not affect
// NextAsync deliveries called before it.
func (e *Enumerator) Skip(timeout time.Duration, n int) error {
	if err := checkTimeout("Skip", timeout); err != nil {
		return err
	}
	if n < 0 {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: "Skip", Parameter: "count",
			Description: fmt.Sprintf("cannot skip a negative number of objects (%d)", n)}
	}
	if e.closed.Load() {
		return errClosed
	}
	if n == 0 {
		return nil
	}
	w := newWaiter(timeout)
	defer w.stop()
	if err := e.turn.enter(w, e.stop, nil); err != nil {
		return err
	}
	defer e.turn.leave()
	buf := make([]cim.Object, min(n, skipChunk))
	for n > 0 {
		k, err := e.s.read(&e.pos, buf[:min(n, len(buf))], readOpts{wait: w, stop: e.stop})
		clear(buf[:k])
		n -= k
		if err != nil {
			return err
		}
	}
	return nil
}

// skipChunk bounds the buffer Skip reads through, and asyncChunk the one a
// NextAsync delivery fills per Indicate, whatever count the caller gives.
const (
	skipChunk  = 256
	asyncChunk = 256
)

// Reset rewinds a bidirectional enumerator to its first object. A
// forward-only enumerator gives WBEM_E_INVALID_OPERATION; on an event
// enumerator Reset does nothing. Reset returns at once; it takes effect
// after the NextAsync deliveries called before it, which it does not change.
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
	e.turn.later(func() { e.pos = 0 })
	return nil
}

// Clone returns an independent enumerator over the same results, at the
// position this one has once the operations called before Clone are done
// (pending NextAsync deliveries are not cloned: the clone starts after
// them). A forward-only enumerator gives WBEM_E_INVALID_OPERATION.
func (e *Enumerator) Clone() (*Enumerator, error) {
	if e.closed.Load() {
		return nil, errClosed
	}
	if !e.bidir {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Operation: "Clone", Description: "a forward-only enumerator cannot be cloned"}
	}
	e.s.acquire()
	c := newEnumerator(e.s, e.kind, e.bidir, 0)
	c.turn.busy = true // until the clone knows its position
	e.turn.later(func() {
		c.pos = e.pos
		c.turn.leave()
	})
	return c, nil
}

// SetQueueSize changes how many objects the producer of a forward-only
// semisynchronous enumeration may queue ahead of its consumer (the
// Services' queue size at the call, DefaultQueueSize by default): a server
// sizes it from what its client asks per request, so that an enumeration
// nobody reads holds no more than the next request can take. A smaller
// size drops nothing already queued: the producer waits until the consumer
// has read below it. n below 1 counts as 1. On an enumerator that keeps its
// objects (bidirectional, or synchronous) SetQueueSize does nothing.
func (e *Enumerator) SetQueueSize(n int) { e.s.setLimit(max(n, 1)) }

// Close releases the enumerator: undelivered objects are dropped, pending
// NextAsync deliveries end with WBEM_E_CALL_CANCELLED and, once no clone
// remains, the operation is cancelled. Close is idempotent.
func (e *Enumerator) Close() error {
	if e.closed.CompareAndSwap(false, true) {
		close(e.stop)
		e.s.release()
	}
	return nil
}

// NextAsync delivers the next n objects to sink from another goroutine and
// returns at once: sink gets zero or more Indicate calls, in order, and then
// exactly one SetStatus (nil when n were delivered, io.EOF when the
// enumeration ended first, or the failure; WBEM_E_CALL_CANCELLED when the
// enumerator is closed first). NextAsync returns io.EOF, and sink is never
// called, when nothing remains at all or n is 0. Objects are indicated as
// they come, in batches of at most a few hundred, so any n (math.MaxUint32
// for "all") is fine. Calls queue in order, as in WMI: a NextAsync waits
// until the sinks of earlier ones have had their SetStatus. A negative n is
// WBEM_E_INVALID_PARAMETER.
func (e *Enumerator) NextAsync(n int, sink Sink) error {
	if sink == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: "NextAsync", Parameter: "sink", Description: "sink is nil"}
	}
	if n < 0 {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: "NextAsync", Parameter: "count",
			Description: fmt.Sprintf("cannot deliver a negative number of objects (%d)", n)}
	}
	if e.closed.Load() {
		return errClosed
	}
	w := newWaiter(Infinite)
	if err := e.turn.enter(w, e.stop, nil); err != nil {
		return err
	}
	if n == 0 || e.exhausted() {
		e.turn.leave()
		return io.EOF
	}
	go e.deliver(n, sink)
	return nil
}

// deliver is one NextAsync delivery, run in its turn.
func (e *Enumerator) deliver(n int, sink Sink) {
	defer e.turn.leave()
	buf := make([]cim.Object, min(n, asyncChunk))
	w := newWaiter(Infinite)
	var err error
	for n > 0 {
		k, rerr := e.s.read(&e.pos, buf[:min(n, len(buf))], readOpts{want: 1, wait: w, stop: e.stop})
		n -= k
		if k > 0 {
			ierr := sink.Indicate(buf[:k])
			clear(buf[:k])
			if ierr != nil {
				err = cim.AsError(ierr)
				break
			}
		}
		if rerr != nil {
			err = rerr
			if rerr == errClosed || rerr == errConsumerGone {
				err = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Operation: "NextAsync", Description: "the enumerator was closed"}
			}
			break
		}
	}
	sink.SetStatus(SinkStatus{Type: WBEM_STATUS_COMPLETE, Err: err})
}

// Buffered reports how many objects wait at the enumerator's position and
// whether the operation has completed without failure, so that they are all
// that remain: then the rest of the result is known without reading it.
// Like Next, it is not called during another call on e.
func (e *Enumerator) Buffered() (n int, complete bool) {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	n = max(s.base+len(s.items)-s.head-e.pos, 0)
	return n, s.done && s.err == nil
}

// exhausted reports whether nothing remains at the enumerator's position;
// the caller holds the turn.
func (e *Enumerator) exhausted() bool {
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
			n, err := e.readSome(ctx, buf)
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

// readSome waits in turn for at least one object, or the end.
func (e *Enumerator) readSome(ctx context.Context, buf []cim.Object) (int, error) {
	w := newWaiter(Infinite)
	if err := e.turn.enter(w, e.stop, ctx); err != nil {
		return 0, err
	}
	defer e.turn.leave()
	return e.s.read(&e.pos, buf, readOpts{want: 1, wait: w, stop: e.stop, ctx: ctx})
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
