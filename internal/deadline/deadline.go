// Package deadline answers an operation when its context ends, even when
// the backend does not return: a provider that ignores its ctx would
// otherwise hold the caller (and a connection) for ever.
package deadline

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// Backend returns b bounded: Do returns ctx's error once ctx ends, whether
// or not b's Do has returned. b's Do then goes on in its own goroutine until
// it returns (in-process nothing can stop it); what it writes after that is
// dropped. A panic in it becomes WBEM_E_CRITICAL_ERROR, as wbem's own
// goroutine would make it.
func Backend(b wbem.Backend) wbem.Backend { return bounded{b} }

type bounded struct{ b wbem.Backend }

func (d bounded) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if ctx.Done() == nil {
		return d.b.Do(ctx, op, w)
	}
	lw := &late{w: w}
	var bw wbem.ResultWriter = lw
	if rw, ok := w.(wbem.RoomWriter); ok {
		bw = &lateRoom{late: lw, rw: rw}
	}
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- &cim.Error{Status: cim.WBEM_E_CRITICAL_ERROR, Operation: op.Kind.String(),
					Description: fmt.Sprintf("backend panicked: %v", r), Err: fmt.Errorf("%v\n%s", r, debug.Stack())}
			}
		}()
		done <- d.b.Do(ctx, op, bw)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		lw.stopped.Store(true)
		return ctx.Err()
	}
}

// late drops what a backend writes once its caller has been answered.
type late struct {
	w       wbem.ResultWriter
	stopped atomic.Bool
}

func (l *late) Write(obj cim.Object) error {
	if l.stopped.Load() {
		return context.Canceled
	}
	return l.w.Write(obj)
}

func (l *late) SetResultString(s string) {
	if !l.stopped.Load() {
		l.w.SetResultString(s)
	}
}

func (l *late) Progress(done, total int) {
	if !l.stopped.Load() {
		l.w.Progress(done, total)
	}
}

// Subscribed implements wbem.Subscriber when the writer does: the wrapper
// must not hide what the backend looks for.
func (l *late) Subscribed() {
	if s, ok := l.w.(wbem.Subscriber); ok && !l.stopped.Load() {
		s.Subscribed()
	}
}

// lateRoom is late over a wbem.RoomWriter, which it must not hide either.
type lateRoom struct {
	*late
	rw wbem.RoomWriter
}

func (l *lateRoom) TryWrite(obj cim.Object) (bool, error) {
	if l.stopped.Load() {
		return false, context.Canceled
	}
	return l.rw.TryWrite(obj)
}

func (l *lateRoom) WaitRoom(ctx context.Context) error {
	if l.stopped.Load() {
		return context.Canceled
	}
	return l.rw.WaitRoom(ctx)
}

func (l *lateRoom) Room() int { return l.rw.Room() }
