package wbem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// stream is the one abstraction every call mode stands on: a queue of objects
// that a backend fills (Write) from its own goroutine, read by one or more
// cursors, with one final status. A bounded stream (limit > 0) blocks the
// writer while limit objects are pending; a stream that keeps its objects
// (bidirectional enumerators, call results) lets cursors rewind.
type stream struct {
	parent context.Context // the caller's: its end is the operation's end
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	items []cim.Object // the live objects are items[head:]
	head  int
	base  int  // absolute position of items[head]
	limit int  // bound on pending objects; 0 = unbounded
	keep  bool // keep delivered objects for Reset and Clone
	done  bool
	err   error
	refs  int  // open cursors; the stream is abandoned when the last closes
	gone  bool // abandoned by every consumer

	result            string
	progDone, progTot int
	progSeq           int
	changed           chan struct{} // closed and replaced to wake readers
	nwait             int           // readers waiting on changed
	need              int           // least absolute position a waiting reader needs
	handOff           bool          // a waiting reader asked for half the bound or more: hand over to it
	writeWake         chan struct{} // wakes a writer blocked on a full queue or in a hand-off
	writeWaiting      bool
	reads             int           // reads that took objects or gave up waiting (ends a hand-off)
	finished          chan struct{} // closed once the backend returned
	subscribed        chan struct{} // event queries: closed once the subscription is in place
	subscribeOnce     sync.Once
}

func newStream(parent context.Context, limit int, keep bool) *stream {
	ctx, cancel := context.WithCancel(parent)
	return &stream{parent: parent, ctx: ctx, cancel: cancel, limit: limit, keep: keep, refs: 1,
		changed: make(chan struct{}), writeWake: make(chan struct{}, 1),
		finished: make(chan struct{})}
}

// run executes the operation on b and records its final status.
func (s *stream) run(b Backend, op *Op) {
	var err error
	defer func() {
		if r := recover(); r != nil {
			err = &cim.Error{Status: cim.WBEM_E_CRITICAL_ERROR, Operation: op.Kind.String(),
				Description: fmt.Sprintf("backend panicked: %v", r), Err: fmt.Errorf("%v\n%s", r, debug.Stack())}
		}
		if err != nil && s.parent.Err() != nil {
			// The caller cancelled: whatever the backend made of that, the
			// operation's status is the cancellation, and it wraps ctx.Err()
			// as database/sql's errors do.
			err = ctxError(s.parent, op.Kind.String())
		}
		s.finish(finalError(err, op))
		s.cancel()
	}()
	err = b.Do(s.ctx, op, s)
}

// ctxError is the WBEM status of a done context: WBEM_E_CALL_CANCELLED when it
// was cancelled, WBEM_E_TIMED_OUT when its deadline passed. It wraps
// ctx.Err() (and the cancellation's cause, when one was given), so
// errors.Is(err, context.Canceled) holds.
func ctxError(ctx context.Context, operation string) *cim.Error {
	err := ctx.Err()
	cause := context.Cause(ctx)
	if cause != nil && cause != err {
		err = fmt.Errorf("%w: %w", err, cause)
	}
	e := &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Operation: operation, Description: "the call was cancelled", Err: err}
	if errors.Is(err, context.DeadlineExceeded) {
		e.Status, e.Description = cim.WBEM_E_TIMED_OUT, "the call's deadline passed"
	}
	return e
}

// finalError turns what a backend returned into the operation's WBEM status.
func finalError(err error, op *Op) error {
	if err == nil {
		return nil
	}
	var we *cim.Error
	switch {
	case errors.As(err, &we):
		if we.Operation != "" {
			return err
		}
		c := *we
		c.Operation = op.Kind.String()
		return &c
	case errors.Is(err, context.DeadlineExceeded):
		return &cim.Error{Status: cim.WBEM_E_TIMED_OUT, Operation: op.Kind.String(), Description: "the call's deadline passed", Err: err}
	case errors.Is(err, context.Canceled):
		return &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Operation: op.Kind.String(), Description: "the call was cancelled", Err: err}
	}
	return &cim.Error{Status: cim.WBEM_E_FAILED, Operation: op.Kind.String(), Description: err.Error(), Err: err}
}

// errConsumerGone is what Write returns once the consumer has gone: it
// released or closed the enumeration, or the call was cancelled.
var errConsumerGone = &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the consumer released the enumeration"}

// Subscribed implements Subscriber.
func (s *stream) Subscribed() {
	if s.subscribed != nil {
		s.subscribeOnce.Do(func() { close(s.subscribed) })
	}
}

// waitSubscribed waits until an event query's backend subscribed or
// finished, and returns the failure when it finished without subscribing.
func (s *stream) waitSubscribed() error {
	select {
	case <-s.subscribed:
		return nil
	case <-s.finished:
		return s.err
	}
}

// Write implements ResultWriter.
func (s *stream) Write(obj cim.Object) error {
	if s.subscribed != nil {
		s.Subscribed()
	}
	s.mu.Lock()
	if err := s.roomLocked(context.Background()); err != nil {
		return err
	}
	s.doneLocked(s.appendLocked(obj))
	return nil
}

// WriteBatch implements BatchWriter: one lock and at most one wake-up of
// the readers for as much of objs as the queue has room for.
func (s *stream) WriteBatch(objs []cim.Object) error {
	if len(objs) > 0 && s.subscribed != nil {
		s.Subscribed()
	}
	s.mu.Lock()
	if len(objs) == 0 {
		gone := s.gone
		s.mu.Unlock()
		if gone {
			return errConsumerGone
		}
		return nil
	}
	for {
		if err := s.roomLocked(context.Background()); err != nil {
			return err
		}
		k := len(objs)
		if s.limit > 0 {
			k = min(k, s.limit-(len(s.items)-s.head))
		}
		woke := s.appendBatchLocked(objs[:k])
		objs = objs[k:]
		if len(objs) == 0 {
			s.doneLocked(woke)
			return nil
		}
	}
}

// roomLocked waits (mu held) until the queue has room for a write, or
// until ctx is done. It returns errConsumerGone once the consumer has
// gone, or ctx's error, with mu released; nil, with mu held, when there is
// room. Writes pass context.Background(), which is never done.
func (s *stream) roomLocked(ctx context.Context) error {
	for s.fullLocked() && !s.gone {
		s.wakeLocked()
		s.writeWaiting = true
		s.mu.Unlock()
		select {
		case <-s.writeWake:
		case <-s.ctx.Done():
			return errConsumerGone
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	if s.gone {
		s.mu.Unlock()
		return errConsumerGone
	}
	return nil
}

// doneLocked ends a write (mu held on entry, released on return): with a
// hand-off to the readers it woke when handOff (handOffLocked).
func (s *stream) doneLocked(handOff bool) {
	if handOff {
		s.handOffLocked()
		return
	}
	s.mu.Unlock()
}

// handOffLocked is what a writer does after its write completed what a
// waiting reader asked for, when that reader asked for half the queue's
// bound or more: it waits (mu held on entry, released on return) until a
// reader took objects or stopped waiting, instead of running on to fill
// the queue. The reader then runs at once, on the writer's processor, and
// takes just what it asked for: the objects that are queued and not yet
// read stay fewer (less for the collector to keep alive), and producer and
// consumer do not bounce between processors. A reader of smaller batches
// is better served by a producer that runs ahead (its next requests find
// their objects queued, without a wait each), so it gets no hand-off. The
// queue's bound is unchanged; only a waiting reader makes the writer wait.
func (s *stream) handOffLocked() {
	if s.limit <= 0 || s.keep {
		s.mu.Unlock()
		return
	}
	seq := s.reads
	for s.reads == seq && !s.gone {
		s.writeWaiting = true
		s.mu.Unlock()
		select {
		case <-s.writeWake:
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
}

// appendLocked queues obj and wakes the readers it completes; it reports
// whether the writer is to hand over to them (handOffLocked).
func (s *stream) appendLocked(obj cim.Object) bool {
	if len(s.items) == cap(s.items) && s.head > 0 {
		s.compactLocked()
	}
	s.items = append(s.items, obj)
	if s.nwait > 0 && s.base+len(s.items)-s.head >= s.need {
		h := s.handOff
		s.wakeLocked()
		return h
	}
	return false
}

// appendBatchLocked queues objs and wakes the readers they complete; it
// reports whether the writer is to hand over to them.
func (s *stream) appendBatchLocked(objs []cim.Object) bool {
	if len(s.items)+len(objs) > cap(s.items) && s.head > 0 {
		s.compactLocked()
	}
	s.items = append(s.items, objs...)
	if s.nwait > 0 && s.base+len(s.items)-s.head >= s.need {
		h := s.handOff
		s.wakeLocked()
		return h
	}
	return false
}

// compactLocked moves the pending objects to the front of the array, to
// reuse its delivered front instead of growing it.
func (s *stream) compactLocked() {
	n := copy(s.items, s.items[s.head:])
	clear(s.items[n:])
	s.items = s.items[:n]
	s.head = 0
}

// fullLocked reports whether a Write would wait.
func (s *stream) fullLocked() bool {
	return s.limit > 0 && len(s.items)-s.head >= s.limit
}

// TryWrite implements RoomWriter.
func (s *stream) TryWrite(obj cim.Object) (bool, error) {
	if s.subscribed != nil {
		s.Subscribed()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.gone:
		return false, errConsumerGone
	case s.fullLocked():
		s.wakeLocked()
		return false, nil
	}
	s.appendLocked(obj)
	return true, nil
}

// Room implements RoomWriter.
func (s *stream) Room() int {
	if s.limit <= 0 {
		return -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.limit-(len(s.items)-s.head), 0)
}

// WaitRoom implements RoomWriter.
func (s *stream) WaitRoom(ctx context.Context) error {
	s.mu.Lock()
	if err := s.roomLocked(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// setLimit changes the bound of a bounded stream (one with a limit); a
// writer waiting on a full queue is woken when the bound grows past it.
func (s *stream) setLimit(n int) {
	s.mu.Lock()
	if s.limit == 0 || s.keep {
		s.mu.Unlock()
		return
	}
	grew := n > s.limit
	s.limit = n
	wake := grew && s.writeWaiting
	if wake {
		s.writeWaiting = false
	}
	s.mu.Unlock()
	if wake {
		select {
		case s.writeWake <- struct{}{}:
		default:
		}
	}
}

// SetResultString implements ResultWriter.
func (s *stream) SetResultString(str string) {
	s.mu.Lock()
	s.result = str
	s.mu.Unlock()
}

// Progress implements ResultWriter.
func (s *stream) Progress(done, total int) {
	s.mu.Lock()
	s.progDone, s.progTot = done, total
	s.progSeq++
	s.wakeLocked()
	s.mu.Unlock()
}

func (s *stream) wakeLocked() {
	if s.nwait > 0 {
		close(s.changed)
		s.changed = make(chan struct{})
		s.nwait = 0
		s.handOff = false
	}
}

func (s *stream) finish(err error) {
	s.mu.Lock()
	s.done = true
	s.err = err
	s.wakeLocked()
	s.mu.Unlock()
	close(s.finished)
}

// acquire adds a cursor (a clone).
func (s *stream) acquire() {
	s.mu.Lock()
	s.refs++
	s.mu.Unlock()
}

// release drops a cursor; the last one abandons the stream and cancels the
// backend.
func (s *stream) release() {
	s.mu.Lock()
	s.refs--
	if s.refs > 0 {
		s.mu.Unlock()
		return
	}
	s.gone = true
	clear(s.items)
	s.items, s.head = nil, 0
	s.wakeLocked()
	s.mu.Unlock()
	select {
	case s.writeWake <- struct{}{}:
	default:
	}
	s.cancel()
}

// readOpts tune read.
type readOpts struct {
	want    int             // return once this many objects were read (0: len(dst))
	wait    *waiter         // how long to wait
	stop    <-chan struct{} // the cursor closed
	ctx     context.Context // the reader's context (nil: none)
	progSeq *int            // return when progress differs from *progSeq
}

// waiter is one call's time limit, shared by the waits the call makes (for
// its turn, then for objects), so that together they take no longer than
// the caller chose.
type waiter struct {
	noWait  bool        // WBEM_NO_WAIT: never block
	timer   *time.Timer // nil: no limit (WBEM_INFINITE)
	expired bool        // the limit has passed
}

// newWaiter starts the limit timeout (Infinite, NoWait or a duration); call
// stop when done.
func newWaiter(timeout time.Duration) *waiter {
	switch {
	case timeout == NoWait:
		return &waiter{noWait: true}
	case timeout < 0:
		return &waiter{}
	}
	return &waiter{timer: time.NewTimer(timeout)}
}

// done returns a channel that delivers when the limit passes (nil: never).
func (w *waiter) done() <-chan time.Time {
	if w.timer == nil || w.expired {
		return nil
	}
	return w.timer.C
}

// over reports whether the caller may not wait (any more).
func (w *waiter) over() bool { return w.noWait || w.expired }

func (w *waiter) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// checkTimeout refuses a negative timeout other than Infinite: a caller that
// computed one by mistake would otherwise wait forever.
func checkTimeout(operation string, timeout time.Duration) error {
	if timeout < 0 && timeout != Infinite {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: operation, Parameter: "timeout",
			Description: fmt.Sprintf("timeout %v is negative: use wbem.Infinite (WBEM_INFINITE) to wait without limit", timeout)}
	}
	return nil
}

func ctxDone(ctx context.Context) <-chan struct{} {
	if ctx == nil {
		return nil
	}
	return ctx.Done()
}

// read copies objects from absolute position *pos into dst, advancing *pos.
// It returns nil once len(dst) objects were read (or o.want, when set),
// io.EOF at a successful end, the final failure at a failed end (after the
// objects before it), ErrTimedOut when the wait's limit passed first.
func (s *stream) read(pos *int, dst []cim.Object, o readOpts) (int, error) {
	want := o.want
	if want <= 0 || want > len(dst) {
		want = len(dst)
	}
	n := 0
	s.mu.Lock()
	for {
		if avail := s.base + len(s.items) - s.head - *pos; avail > 0 && n < len(dst) {
			off := s.head + *pos - s.base
			k := copy(dst[n:], s.items[off:])
			n += k
			*pos += k
			if !s.keep {
				clear(s.items[s.head : s.head+k])
				s.head += k
				s.base += k
				if s.head == len(s.items) {
					s.items, s.head = s.items[:0], 0
				}
				s.readDoneLocked()
			}
		}
		if n >= want && n > 0 || n == len(dst) {
			s.mu.Unlock()
			return n, nil
		}
		if s.done {
			err := s.err
			s.mu.Unlock()
			if err == nil {
				return n, io.EOF
			}
			return n, err
		}
		if s.gone {
			s.mu.Unlock()
			return n, errConsumerGone
		}
		if o.progSeq != nil && *o.progSeq != s.progSeq {
			s.mu.Unlock()
			return n, nil
		}
		if o.wait.over() {
			s.mu.Unlock()
			return n, ErrTimedOut
		}
		need := *pos + (want - n)
		if s.limit > 0 && need > s.base+s.limit {
			need = s.base + s.limit
		}
		if s.nwait == 0 || need < s.need {
			s.need = need
		}
		if s.limit > 0 && !s.keep && 2*want >= s.limit {
			s.handOff = true
		}
		s.nwait++
		ch := s.changed
		s.mu.Unlock()
		var err error
		select {
		case <-ch:
		case <-o.wait.done():
			o.wait.expired = true
		case <-o.stop:
			err = errClosed
		case <-ctxDone(o.ctx):
			err = ctxError(o.ctx, "")
		}
		s.mu.Lock()
		switch {
		case s.changed == ch:
			// Not woken: this reader no longer waits. No writer is to
			// wake it for what it needed, nor to wait for it.
			if s.nwait--; s.nwait == 0 {
				s.handOff = false
			}
			s.readDoneLocked()
		case err != nil:
			s.readDoneLocked() // woken, but leaves without reading
		}
		if err != nil {
			s.mu.Unlock()
			return n, err
		}
	}
}

// readDoneLocked records that a reader took objects or stopped waiting,
// and wakes a writer waiting for that (on a full queue or in a hand-off).
func (s *stream) readDoneLocked() {
	s.reads++
	if s.writeWaiting {
		s.writeWaiting = false
		select {
		case s.writeWake <- struct{}{}:
		default:
		}
	}
}

var errClosed = &cim.Error{Status: cim.WBEM_E_INVALID_OPERATION, Description: "the enumerator is closed"}
