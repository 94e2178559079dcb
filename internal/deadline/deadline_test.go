package deadline_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/deadline"
	"github.com/gowbem/gowbem/wbem"
)

// hung ignores its ctx until release is closed, then writes.
type hung struct {
	release chan struct{}
	wrote   chan error
}

func (h hung) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	<-h.release
	h.wrote <- w.Write(&cim.Class{Name: "Late"})
	return nil
}

type panicky struct{}

func (panicky) Do(context.Context, *wbem.Op, wbem.ResultWriter) error { panic("boom") }

type recorder struct{ n int }

func (r *recorder) Write(cim.Object) error { r.n++; return nil }
func (r *recorder) SetResultString(string) {}
func (r *recorder) Progress(int, int)      {}

func TestBoundedAnswersAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := hung{release: make(chan struct{}), wrote: make(chan error, 1)}
		b := deadline.Backend(h)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		rec := &recorder{}
		start := time.Now()
		err := b.Do(ctx, &wbem.Op{Kind: wbem.OpGetObject}, rec)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 2*time.Second {
			t.Fatalf("Do = %v after %v, want the deadline after 2s", err, time.Since(start))
		}
		close(h.release) // the provider finally returns: its write is dropped
		if err := <-h.wrote; err == nil || rec.n != 0 {
			t.Errorf("a late write went through (%v, %d written)", err, rec.n)
		}
	})
}

func TestBoundedPassesThrough(t *testing.T) {
	h := hung{release: make(chan struct{}), wrote: make(chan error, 1)}
	close(h.release)
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := deadline.Backend(h).Do(ctx, &wbem.Op{Kind: wbem.OpGetObject}, rec); err != nil || rec.n != 1 {
		t.Fatalf("Do = %v with %d written", err, rec.n)
	}
	// Without a deadline or cancel, Do runs in the caller's goroutine.
	h2 := hung{release: make(chan struct{}), wrote: make(chan error, 1)}
	close(h2.release)
	if err := deadline.Backend(h2).Do(context.Background(), &wbem.Op{}, rec); err != nil || rec.n != 2 {
		t.Fatalf("Do = %v with %d written", err, rec.n)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	err := deadline.Backend(panicky{}).Do(ctx2, &wbem.Op{Kind: wbem.OpExecMethod}, rec)
	if cim.AsError(err).Status != cim.WBEM_E_CRITICAL_ERROR {
		t.Fatalf("a panic: %v", err)
	}
}

type subscribing struct {
	recorder
	subscribed bool
}

func (s *subscribing) Subscribed() { s.subscribed = true }

type subscriber struct{}

func (subscriber) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if s, ok := w.(wbem.Subscriber); ok {
		s.Subscribed()
	}
	return nil
}

// The writer the backend gets still tells that a subscription is in place.
func TestBoundedKeepsSubscriber(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &subscribing{}
	if err := deadline.Backend(subscriber{}).Do(ctx, &wbem.Op{Kind: wbem.OpExecNotificationQuery}, w); err != nil || !w.subscribed {
		t.Fatalf("Do = %v, subscribed %v", err, w.subscribed)
	}
}

// roomy is a writer with a bounded queue (a wbem.RoomWriter).
type roomy struct {
	recorder
	room int
}

func (r *roomy) TryWrite(obj cim.Object) (bool, error) {
	if r.room == 0 {
		return false, nil
	}
	r.room--
	return true, r.Write(obj)
}
func (r *roomy) Room() int                      { return r.room }
func (r *roomy) WaitRoom(context.Context) error { return nil }

type tryWriter struct{ tried []bool }

func (b *tryWriter) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	rw, ok := w.(wbem.RoomWriter)
	if !ok {
		return errors.New("the bounded writer hid wbem.RoomWriter")
	}
	for range 2 {
		ok, err := rw.TryWrite(&cim.Instance{})
		if err != nil {
			return err
		}
		b.tried = append(b.tried, ok)
	}
	return nil
}

// The writer the backend gets still says how much room the consumer has,
// so that the event engine's producers write to it themselves.
func TestBoundedKeepsRoomWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, b := &roomy{room: 1}, &tryWriter{}
	if err := deadline.Backend(b).Do(ctx, &wbem.Op{Kind: wbem.OpExecNotificationQuery}, w); err != nil {
		t.Fatal(err)
	}
	if w.n != 1 || len(b.tried) != 2 || !b.tried[0] || b.tried[1] {
		t.Fatalf("TryWrite through the bounded writer: %v, %d written; want one written, then no room", b.tried, w.n)
	}
	rec := &recorder{}
	if err := deadline.Backend(b).Do(ctx, &wbem.Op{Kind: wbem.OpExecNotificationQuery}, rec); err == nil {
		t.Fatal("a writer without room to tell became a wbem.RoomWriter")
	}
}
