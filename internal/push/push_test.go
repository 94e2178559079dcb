package push_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/push"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// recorder is a listener that keeps what it is sent and fails as told.
type recorder struct {
	mu    sync.Mutex
	msgs  []push.Message
	tries int
	fail  func(try int) error
}

func (r *recorder) Send(ctx context.Context, m push.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries++
	if r.fail != nil {
		if err := r.fail(r.tries); err != nil {
			return err
		}
	}
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recorder) snapshot() ([]push.Message, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]push.Message(nil), r.msgs...), r.tries
}

func setup(t *testing.T) (*cimom.ObjectManager, *wbem.Enumerator) {
	t.Helper()
	om := workload.NewObjectManager(&workload.Provider{})
	e, err := om.Services(workload.Namespace).ExecNotificationQuery(t.Context(), "WQL",
		"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return om, e
}

func put(t *testing.T, om *cimom.ObjectManager, n int, prefix string) {
	t.Helper()
	var mof []byte
	for i := range n {
		mof = fmt.Appendf(mof, "instance of GW_Base { Name = \"%s%d\"; };\n", prefix, i)
	}
	if _, err := om.CompileMOF(context.Background(), fstest.MapFS{"x.mof": {Data: mof}}, "x.mof", workload.Namespace); err != nil {
		t.Fatal(err)
	}
}

// names returns the names of the events in msgs, in order.
func names(msgs []push.Message) []string {
	var s []string
	for _, m := range msgs {
		for _, ev := range m.Events {
			s = append(s, name(ev))
		}
	}
	return s
}

// drain returns the names of the events e holds now.
func drain(t *testing.T, e *wbem.Enumerator) []string {
	t.Helper()
	buf := make([]cim.Object, 8)
	n, err := e.Next(wbem.NoWait, buf)
	if err != nil && err != wbem.ErrTimedOut {
		t.Fatal(err)
	}
	return names([]push.Message{{Events: buf[:n]}})
}

func name(obj cim.Object) string {
	return obj.(*cim.Instance).Value("TargetInstance").Instance().Value("Name").Str()
}

// Batches of MaxEvents gathered for MaxWait, numbered in order; a
// heartbeat when idle; Run returns when its context ends.
func TestRunBatchesAndHeartbeats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		om, e := setup(t)
		r := &recorder{}
		ctx, cancel := context.WithCancel(t.Context())
		var delivered []push.Message
		done := make(chan error)
		go func() {
			done <- push.Run(ctx, e, r, 1, push.Options{MaxEvents: 4, MaxWait: time.Second, Heartbeat: 10 * time.Second,
				Delivered: func(m push.Message) { delivered = append(delivered, m) }})
		}()
		put(t, om, 6, "a")
		time.Sleep(2 * time.Second)
		synctest.Wait()
		msgs, _ := r.snapshot()
		if len(msgs) != 2 || len(msgs[0].Events) != 4 || len(msgs[1].Events) != 2 || msgs[0].First != 1 || msgs[1].First != 5 {
			t.Fatalf("batches %+v", msgs)
		}
		if name(msgs[1].Events[1]) != "a5" {
			t.Fatalf("last event %s", name(msgs[1].Events[1]))
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		msgs, _ = r.snapshot()
		if len(msgs) != 3 || !msgs[2].Heartbeat || msgs[2].First != 7 {
			t.Fatalf("after 10 quiet seconds: %+v", msgs[2:])
		}
		cancel()
		if err := <-done; !errors.Is(err, push.ErrAbandoned) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Run after cancel = %v, want ErrAbandoned and context.Canceled", err)
		}
		if len(delivered) != 3 {
			t.Fatalf("Delivered told of %d messages, want 3", len(delivered))
		}
	})
}

// A message the listener refuses is sent again, RetryInterval apart; after
// the last retry Run gives up with ErrUndeliverable.
func TestRunRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		om, e := setup(t)
		down := errors.New("connection refused")
		r := &recorder{fail: func(try int) error {
			if try <= 2 || try >= 4 {
				return down
			}
			return nil
		}}
		done := make(chan error)
		start := time.Now()
		var undelivered []push.Message
		go func() {
			done <- push.Run(t.Context(), e, r, 1, push.Options{Retries: 2, RetryInterval: time.Second,
				Undelivered: func(m push.Message) { undelivered = append(undelivered, m) }})
		}()
		put(t, om, 1, "x")
		synctest.Wait()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		msgs, tries := r.snapshot()
		if len(msgs) != 1 || tries != 3 {
			t.Fatalf("after two failures: %d delivered in %d tries", len(msgs), tries)
		}
		put(t, om, 1, "y")
		err := <-done
		if !errors.Is(err, push.ErrUndeliverable) || !errors.Is(err, down) {
			t.Fatalf("Run = %v", err)
		}
		if _, tries := r.snapshot(); tries != 6 {
			t.Fatalf("%d tries in all, want 3 + 3", tries)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Fatalf("gave up after %v", d)
		}
		if len(undelivered) != 1 || len(undelivered[0].Events) != 1 || name(undelivered[0].Events[0]) != "y0" || undelivered[0].First != 2 {
			t.Fatalf("Undelivered told of %+v, want y0 numbered 2", undelivered)
		}
	})
}

// blocker is a listener that never answers: its sends end with their ctx.
type blocker struct{ tries chan struct{} }

func (b blocker) Send(ctx context.Context, m push.Message) error {
	b.tries <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// When ctx ends before the listener took a message, Send and Run say it was
// abandoned (not nil, as if delivered), and Run hands the events it had read
// to Undelivered rather than losing them; Delivered is not called.
func TestAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// In a send.
		b := blocker{tries: make(chan struct{}, 16)}
		ctx, cancel := context.WithCancel(t.Context())
		delivered := 0
		opts := push.Options{RetryInterval: time.Second, Delivered: func(push.Message) { delivered++ }}
		done := make(chan error)
		go func() { done <- push.Send(ctx, b, push.Message{First: 1}, opts) }()
		<-b.tries
		cancel()
		if err := <-done; !errors.Is(err, push.ErrAbandoned) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Send cancelled in a send = %v", err)
		}
		// Between retries.
		r := &recorder{fail: func(int) error { return errors.New("down") }}
		ctx, cancel = context.WithCancel(t.Context())
		go func() { done <- push.Send(ctx, r, push.Message{First: 1}, opts) }()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, push.ErrAbandoned) || errors.Is(err, push.ErrUndeliverable) {
			t.Fatalf("Send cancelled between retries = %v", err)
		}
		// Run: the message in flight goes to Undelivered.
		om, e := setup(t)
		var undelivered []push.Message
		opts.Undelivered = func(m push.Message) { undelivered = append(undelivered, m) }
		ctx, cancel = context.WithCancel(t.Context())
		go func() { done <- push.Run(ctx, e, b, 7, opts) }()
		put(t, om, 1, "x")
		<-b.tries
		cancel()
		if err := <-done; !errors.Is(err, push.ErrAbandoned) {
			t.Fatalf("Run cancelled in a send = %v", err)
		}
		if len(undelivered) != 1 || len(undelivered[0].Events) != 1 || name(undelivered[0].Events[0]) != "x0" || undelivered[0].First != 7 {
			t.Fatalf("Undelivered told of %+v, want x0 numbered 7", undelivered)
		}
		// Run: a batch still being gathered goes there too. Both events are
		// in the enumerator before Run starts, so it has read both when it
		// waits for the batch to fill.
		undelivered = nil
		opts.MaxEvents, opts.MaxWait = 4, time.Minute
		put(t, om, 2, "y")
		synctest.Wait()
		ctx, cancel = context.WithCancel(t.Context())
		go func() { done <- push.Run(ctx, e, b, 8, opts) }()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, push.ErrAbandoned) {
			t.Fatalf("Run cancelled gathering = %v", err)
		}
		if got := names(undelivered); len(undelivered) != 1 || fmt.Sprint(got) != "[y0 y1]" || undelivered[0].First != 8 {
			t.Fatalf("Undelivered told of %v in %d messages (first numbered %d), want y0, y1 numbered from 8", got, len(undelivered), undelivered[0].First)
		}
		if rest := drain(t, e); len(rest) != 0 {
			t.Fatalf("the enumerator still holds %v after Run read it", rest)
		}
		// Run: events that come while it gathers are either read (then
		// Undelivered has them) or still in the enumerator, in order; a
		// Next that waits for more does not take what came in the wait.
		undelivered = nil
		ctx, cancel = context.WithCancel(t.Context())
		go func() { done <- push.Run(ctx, e, b, 10, opts) }()
		synctest.Wait()
		put(t, om, 2, "z")
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, push.ErrAbandoned) {
			t.Fatalf("Run cancelled gathering = %v", err)
		}
		if len(undelivered) != 1 || undelivered[0].First != 10 {
			t.Fatalf("Undelivered told of %d messages (%v), want one numbered from 10", len(undelivered), names(undelivered))
		}
		if got := append(names(undelivered), drain(t, e)...); fmt.Sprint(got) != "[z0 z1]" {
			t.Fatalf("Undelivered and the enumerator hold %v, want z0 z1", got)
		}
		if delivered != 0 {
			t.Fatalf("Delivered called %d times for abandoned messages", delivered)
		}
	})
}

// Send retries one message of the protocol's own.
func TestSend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{fail: func(try int) error {
			if try == 1 {
				return errors.New("busy")
			}
			return nil
		}}
		if err := push.Send(t.Context(), r, push.Message{First: 9}, push.Options{RetryInterval: time.Second}); err != nil {
			t.Fatal(err)
		}
		if msgs, tries := r.snapshot(); len(msgs) != 1 || tries != 2 || msgs[0].First != 9 {
			t.Fatalf("%+v in %d tries", msgs, tries)
		}
		r = &recorder{fail: func(int) error { return errors.New("down") }}
		if err := push.Send(t.Context(), r, push.Message{}, push.Options{Retries: -1}); !errors.Is(err, push.ErrUndeliverable) {
			t.Fatalf("Send without retries = %v", err)
		}
		if _, tries := r.snapshot(); tries != 1 {
			t.Fatalf("%d tries with Retries < 0", tries)
		}
	})
}

// A Sender whose listener took the first part of a message says so
// (*PartialError): that part is delivered, and only the rest is sent again,
// numbered as before, or handed to Undelivered.
func TestPartial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := cim.Derive(nil, &cim.Class{Name: "GW_Ev"})
		if err != nil {
			t.Fatal(err)
		}
		a, b, d := c.NewInstance(), c.NewInstance(), c.NewInstance()
		var delivered []push.Message
		opts := push.Options{RetryInterval: time.Second, Delivered: func(m push.Message) { delivered = append(delivered, m) }}
		var sent []push.Message
		s := push.SenderFunc(func(ctx context.Context, m push.Message) error {
			sent = append(sent, m)
			if len(sent) == 1 {
				return &push.PartialError{Taken: 1, Err: errors.New("the second request failed")}
			}
			return nil
		})
		if err := push.Send(t.Context(), s, push.Message{Events: []cim.Object{a, b, d}, First: 5}, opts); err != nil {
			t.Fatal(err)
		}
		same := func(m push.Message, first uint64, events ...cim.Object) bool {
			if m.First != first || len(m.Events) != len(events) {
				return false
			}
			for i := range events {
				if m.Events[i] != events[i] {
					return false
				}
			}
			return true
		}
		if len(sent) != 2 || !same(sent[1], 6, b, d) {
			t.Fatalf("sent %+v; want the retry to hold the last two events, numbered from 6", sent)
		}
		if len(delivered) != 2 || !same(delivered[0], 5, a) || !same(delivered[1], 6, b, d) {
			t.Fatalf("Delivered told of %+v", delivered)
		}

		// Run: the part taken is delivered, the rest undelivered, when the
		// listener keeps failing or when ctx ends in the send.
		for _, abandon := range []bool{false, true} {
			om, e := setup(t)
			put(t, om, 2, "x")
			synctest.Wait() // both in the enumerator before Run starts: one batch
			ctx, cancel := context.WithCancel(t.Context())
			delivered = nil
			var undelivered []push.Message
			o := push.Options{MaxEvents: 2, Retries: -1, Delivered: opts.Delivered,
				Undelivered: func(m push.Message) { undelivered = append(undelivered, m) }}
			s := push.SenderFunc(func(ctx context.Context, m push.Message) error {
				if abandon {
					cancel()
					return &push.PartialError{Taken: 1, Err: ctx.Err()}
				}
				return &push.PartialError{Taken: 1, Err: errors.New("down")}
			})
			err := push.Run(ctx, e, s, 3, o)
			cancel()
			want := push.ErrUndeliverable
			if abandon {
				want = push.ErrAbandoned
			}
			if !errors.Is(err, want) {
				t.Fatalf("abandon %v: Run = %v, want %v", abandon, err, want)
			}
			if len(delivered) != 1 || delivered[0].First != 3 || fmt.Sprint(names(delivered)) != "[x0]" {
				t.Fatalf("abandon %v: Delivered told of %+v, want x0 numbered 3", abandon, delivered)
			}
			if len(undelivered) != 1 || undelivered[0].First != 4 || fmt.Sprint(names(undelivered)) != "[x1]" {
				t.Fatalf("abandon %v: Undelivered told of %+v, want x1 numbered 4", abandon, undelivered)
			}
		}
	})
}
