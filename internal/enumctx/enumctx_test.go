package enumctx

import (
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

type server struct{ name string }

// open reserves and opens one context, counting closes in n.
func open(t *testing.T, tb *Table, owner any, user string, idle time.Duration, n *atomic.Int32) *Entry {
	t.Helper()
	r, err := tb.Reserve(owner, user)
	if err != nil {
		t.Fatalf("Reserve(%s): %v", user, err)
	}
	e, err := r.Open(user, idle, func() { n.Add(1) })
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return e
}

// The limit per user counts reservations and open contexts of every owner
// sharing the table; cancelled reservations and ended contexts give their
// unit back.
func TestQuotaSharedByOwners(t *testing.T) {
	tb := New(2)
	a, b := &server{"wsman"}, &server{"cimxml"}
	var closes atomic.Int32
	e1 := open(t, tb, a, "u", time.Hour, &closes)
	r, err := tb.Reserve(b, "u")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Reserve(a, "u"); err != ErrQuota {
		t.Fatalf("third context of u over two owners: %v, want ErrQuota", err)
	}
	if _, err := tb.Reserve(b, "v"); err != nil {
		t.Fatalf("another user is not limited by u: %v", err)
	}
	r.Cancel()
	r.Cancel() // idempotent
	e2 := open(t, tb, b, "u", time.Hour, &closes)
	if _, err := tb.Reserve(b, "u"); err != ErrQuota {
		t.Fatalf("after Cancel and Open: %v, want ErrQuota", err)
	}
	if tb.Count(a) != 1 || tb.Count(b) != 1 {
		t.Fatalf("counts %d, %d; want 1, 1", tb.Count(a), tb.Count(b))
	}
	if err := tb.Remove(b, e1.ID, "u"); err != ErrUnknown {
		t.Fatalf("owner b removed owner a's context: %v", err)
	}
	if err := tb.Remove(a, e1.ID, "u"); err != nil {
		t.Fatal(err)
	}
	if closes.Load() != 1 {
		t.Fatalf("%d closes after Remove, want 1", closes.Load())
	}
	if _, err := tb.Reserve(a, "u"); err != nil {
		t.Fatalf("the removed context's unit was not given back: %v", err)
	}
	_ = e2
}

// Identifiers are random UUIDs; a context answers only to its owner and
// user, and to one request at a time.
func TestAcquire(t *testing.T) {
	tb := New(8)
	a := &server{"a"}
	var closes atomic.Int32
	e := open(t, tb, a, "u", time.Hour, &closes)
	if !regexp.MustCompile(`^uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(e.ID) {
		t.Fatalf("identifier %q is not a random UUID", e.ID)
	}
	if e2 := open(t, tb, a, "u", time.Hour, &closes); e2.ID == e.ID {
		t.Fatal("two contexts got the same identifier")
	}
	for _, tc := range []struct {
		owner    any
		id, user string
		want     error
	}{
		{a, e.ID, "other", ErrUnknown},
		{&server{"b"}, e.ID, "u", ErrUnknown},
		{a, "uuid:nope", "u", ErrUnknown},
	} {
		if _, err := tb.Acquire(tc.owner, tc.id, tc.user); err != tc.want {
			t.Fatalf("Acquire(%v, %s, %s) = %v, want %v", tc.owner, tc.id, tc.user, err, tc.want)
		}
	}
	got, err := tb.Acquire(a, e.ID, "u")
	if err != nil || got != e || got.Value != "u" {
		t.Fatalf("Acquire = %v, %v", got, err)
	}
	if _, err := tb.Acquire(a, e.ID, "u"); err != ErrBusy {
		t.Fatalf("second Acquire = %v, want ErrBusy", err)
	}
	tb.Release(e, false)
	if _, err := tb.Acquire(a, e.ID, "u"); err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	tb.Release(e, true)
	if closes.Load() != 1 || tb.Count(a) != 1 {
		t.Fatalf("finished context: %d closes, %d open", closes.Load(), tb.Count(a))
	}
	if _, err := tb.Acquire(a, e.ID, "u"); err != ErrUnknown {
		t.Fatalf("Acquire of a finished context = %v", err)
	}
}

// An idle context expires after its own idle time; a request in progress
// holds it, and its end starts the clock again.
func TestExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := New(8)
		a := &server{"a"}
		var short, long atomic.Int32
		es := open(t, tb, a, "u", time.Minute, &short)
		el := open(t, tb, a, "u", time.Hour, &long)
		time.Sleep(59 * time.Second)
		if _, err := tb.Acquire(a, es.ID, "u"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Minute) // busy: it does not expire
		synctest.Wait()
		if short.Load() != 0 {
			t.Fatal("a context expired while a request held it")
		}
		tb.Release(es, false)
		time.Sleep(59 * time.Second)
		synctest.Wait()
		if short.Load() != 0 {
			t.Fatal("the idle clock did not start again at Release")
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if short.Load() != 1 || long.Load() != 0 || tb.Count(a) != 1 {
			t.Fatalf("after a minute idle: %d, %d closes, %d open", short.Load(), long.Load(), tb.Count(a))
		}
		if _, err := tb.Acquire(a, es.ID, "u"); err != ErrUnknown {
			t.Fatalf("expired context: %v", err)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if long.Load() != 1 || tb.Count(a) != 0 {
			t.Fatalf("the hour-long context: %d closes, %d open", long.Load(), tb.Count(a))
		}
		if _, err := tb.Reserve(a, "u"); err != nil {
			t.Fatalf("expired contexts keep their quota: %v", err)
		}
		_ = el
	})
}

// Closing an owner ends its contexts, not another's, and refuses it new
// ones; a reservation made before cannot open.
func TestCloseOwner(t *testing.T) {
	tb := New(8)
	a, b := &server{"a"}, &server{"b"}
	var na, nb atomic.Int32
	open(t, tb, a, "u", time.Hour, &na)
	open(t, tb, b, "u", time.Hour, &nb)
	r, err := tb.Reserve(a, "u")
	if err != nil {
		t.Fatal(err)
	}
	tb.CloseOwner(a)
	if na.Load() != 1 || nb.Load() != 0 || tb.Count(b) != 1 {
		t.Fatalf("CloseOwner(a): %d, %d closes", na.Load(), nb.Load())
	}
	if _, err := r.Open(nil, time.Hour, func() { t.Error("closeFn of a refused Open was called") }); err != ErrClosed {
		t.Fatalf("Open after CloseOwner = %v", err)
	}
	if _, err := tb.Reserve(a, "u"); err != ErrClosed {
		t.Fatalf("Reserve after CloseOwner = %v", err)
	}
	tb.Close()
	if nb.Load() != 1 {
		t.Fatal("Close left a context open")
	}
	if _, err := tb.Reserve(b, "u"); err != ErrClosed {
		t.Fatalf("Reserve after Close = %v", err)
	}
}

// The buffers of a table share its budget: a lone buffer gets what it asks
// up to the whole budget, many get equal shares, none gets less than
// MinBuffer, and the total stays within the budget plus MinBuffer each.
func TestBufferBudget(t *testing.T) {
	tb := New(1)
	tb.SetMaxBuffered(1 << 20)
	a := tb.NewBuffer()
	if g := a.Grant(100); g != 100 {
		t.Fatalf("a small ask: granted %d, want 100", g)
	}
	if g := a.Grant(4 << 20); g != 1<<20 {
		t.Fatalf("an ask past the budget: granted %d, want the budget", g)
	}
	b := tb.NewBuffer()
	// a holds the whole budget: b gets the least until a gives back.
	if g := b.Grant(1 << 20); g != MinBuffer {
		t.Fatalf("b while a holds everything: granted %d, want MinBuffer", g)
	}
	if g := a.Grant(1 << 20); g != 512<<10 {
		t.Fatalf("a's next grant beside b: %d, want half", g)
	}
	if g := b.Grant(1 << 20); g != 512<<10 {
		t.Fatalf("b's next grant: %d, want half", g)
	}
	if n, live := tb.Buffered(); n != 1<<20 || live != 2 {
		t.Fatalf("Buffered = %d, %d", n, live)
	}
	// Many buffers: each gets its share, never below MinBuffer.
	var many []*Buffer
	for range 1000 {
		c := tb.NewBuffer()
		many = append(many, c)
		if g := c.Grant(64 << 10); g < MinBuffer || g > 64<<10 {
			t.Fatalf("grant %d out of [MinBuffer, ask]", g)
		}
	}
	for _, c := range append(many, a, b) {
		c.Grant(64 << 10)
	}
	if n, live := tb.Buffered(); n > 1<<20+int64(live)*MinBuffer {
		t.Fatalf("%d buffers hold %d bytes, over the budget plus MinBuffer each", live, n)
	}
	for _, c := range append(many, a, b) {
		c.Free()
		c.Free() // idempotent
	}
	if n, live := tb.Buffered(); n != 0 || live != 0 {
		t.Fatalf("after Free: Buffered = %d, %d", n, live)
	}
	if g := a.Grant(1 << 20); g != MinBuffer {
		t.Fatalf("a freed buffer: granted %d, want MinBuffer", g)
	}
	if tb.MaxBuffered() != 1<<20 || New(1).MaxBuffered() != DefaultMaxBuffered {
		t.Fatal("MaxBuffered")
	}
}

// A context's buffer may be freed (Release) while a request asks it for
// room: the budget's accounts stay right (run with -race).
func TestBufferConcurrentFree(t *testing.T) {
	tb := New(1)
	var wg sync.WaitGroup
	for range 50 {
		b := tb.NewBuffer()
		wg.Go(func() {
			for range 20 {
				b.Grant(64 << 10)
			}
		})
		wg.Go(b.Free)
	}
	wg.Wait()
	if n, live := tb.Buffered(); n != 0 || live != 0 {
		t.Fatalf("after every Free: Buffered = %d, %d", n, live)
	}
}

// An idle clock that fired while a request acquired the context, and whose
// callback gets the table's lock only after that request released it, is
// stale: the context lives on (its new clock decides).
func TestStaleExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := New(8)
		a := &server{"a"}
		var closes atomic.Int32
		e := open(t, tb, a, "u", time.Minute, &closes)
		tb.mu.Lock()
		fired := e.gen // the generation of the clock that fires now
		tb.mu.Unlock()
		if _, err := tb.Acquire(a, e.ID, "u"); err != nil {
			t.Fatal(err)
		}
		tb.Release(e, false)
		tb.expire(e, fired) // the fired clock's callback, late
		if closes.Load() != 0 || tb.Count(a) != 1 {
			t.Fatalf("a stale idle clock ended a context just used: %d closes, %d open", closes.Load(), tb.Count(a))
		}
		if _, err := tb.Acquire(a, e.ID, "u"); err != nil {
			t.Fatalf("Acquire after a stale expiry: %v", err)
		}
		tb.Release(e, false)
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if closes.Load() != 1 || tb.Count(a) != 0 {
			t.Fatalf("the fresh clock did not expire it: %d closes, %d open", closes.Load(), tb.Count(a))
		}
	})
}

// Expires tells when an idle context ends; Renew starts its clock afresh.
func TestRenew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tb := New(8)
		a := &server{"a"}
		var closes atomic.Int32
		e := open(t, tb, a, "u", time.Minute, &closes)
		start := time.Now()
		if got, err := tb.Expires(a, e.ID, "u"); err != nil || !got.Equal(start.Add(time.Minute)) {
			t.Fatalf("Expires = %v, %v; want %v", got, err, start.Add(time.Minute))
		}
		time.Sleep(50 * time.Second)
		if got, err := tb.Renew(a, e.ID, "u"); err != nil || !got.Equal(start.Add(110*time.Second)) {
			t.Fatalf("Renew = %v, %v", got, err)
		}
		time.Sleep(50 * time.Second) // 100 s after Open: renewed, alive
		synctest.Wait()
		if closes.Load() != 0 {
			t.Fatal("a renewed context expired on its old clock")
		}
		time.Sleep(11 * time.Second)
		synctest.Wait()
		if closes.Load() != 1 {
			t.Fatal("the renewed context did not expire on its new clock")
		}
		for _, f := range []func(any, string, string) (time.Time, error){tb.Expires, tb.Renew} {
			if _, err := f(a, e.ID, "u"); err != ErrUnknown {
				t.Fatalf("an expired context: %v", err)
			}
		}
		e2 := open(t, tb, a, "u", time.Minute, &closes)
		if _, err := tb.Renew(a, e2.ID, "someone else"); err != ErrUnknown {
			t.Fatalf("Renew of another user's context: %v", err)
		}
		if _, err := tb.Expires(&server{"b"}, e2.ID, "u"); err != ErrUnknown {
			t.Fatalf("Expires of another server's context: %v", err)
		}
	})
}
