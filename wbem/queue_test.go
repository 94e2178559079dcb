package wbem_test

import (
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// SetQueueSize bounds how far a forward-only enumeration's producer runs
// ahead of its consumer: growing it lets the producer go on at once,
// shrinking it keeps what is queued and holds the producer back below the
// new size; a bidirectional enumerator keeps everything whatever is asked.
func TestSetQueueSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &workload.Provider{N: 1 << 30}
		om := workload.NewObjectManager(p)
		svc := wbem.NewServices(om, workload.Namespace, wbem.WithQueueSize(10))
		e, err := svc.CreateInstanceEnum(t.Context(), workload.ClassName, semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		read := 0
		next := func(n int) {
			t.Helper()
			got, err := e.Next(wbem.Infinite, make([]cim.Object, n))
			if got != n || err != nil {
				t.Fatalf("Next(%d) = %d, %v", n, got, err)
			}
			read += n
		}
		queued := func(want int) {
			t.Helper()
			synctest.Wait()
			if got := int(p.Emitted.Load()) - read; got != want {
				t.Fatalf("%d objects queued ahead of the consumer, want %d", got, want)
			}
		}
		queued(10)
		e.SetQueueSize(100) // grows: the waiting producer goes on
		queued(100)
		next(5)
		queued(100)
		e.SetQueueSize(20) // shrinks: nothing is dropped, the producer waits
		next(50)
		queued(50)
		next(40)
		queued(20)
		e.SetQueueSize(0) // one at the least
		next(20)
		queued(1)
		next(1)
		queued(1)

		// A bidirectional enumerator keeps every object: the size means
		// nothing to it.
		p2 := &workload.Provider{N: 500}
		e2, err := workload.NewObjectManager(p2).Services(workload.Namespace).CreateInstanceEnum(t.Context(), workload.ClassName, wbem.WBEM_FLAG_RETURN_IMMEDIATELY)
		if err != nil {
			t.Fatal(err)
		}
		defer e2.Close()
		e2.SetQueueSize(1)
		synctest.Wait()
		if got := p2.Emitted.Load(); got != 500 {
			t.Fatalf("the bidirectional enumeration's provider emitted %d of 500", got)
		}
	})
}

// Next uses all of dst, as io.Reader does: whatever it returns, dst[n:] is
// nil afterwards, so an earlier batch left in a reused buffer is not kept.
func TestNextClearsDst(t *testing.T) {
	old := workload.Build(workload.Class(), 7)
	for _, c := range []struct {
		name    string
		n       int // the provider's instances
		timeout time.Duration
		closed  bool
		want    int
		err     error
	}{
		{"a full batch", 10, wbem.Infinite, false, 5, nil},
		{"the end, part of a batch", 2, wbem.Infinite, false, 2, io.EOF},
		{"the end, nothing", 0, wbem.Infinite, false, 0, io.EOF},
		{"timed out", 1 << 30, wbem.NoWait, false, -1, nil},
		{"closed", 10, wbem.Infinite, true, 0, nil},
		{"bad timeout", 10, -2, false, 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &workload.Provider{N: c.n}
			if c.want < 0 {
				p.Gate = make(chan struct{}) // the provider yields nothing
			}
			e, err := workload.NewObjectManager(p).Services(workload.Namespace).CreateInstanceEnum(t.Context(), workload.ClassName, semisync)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if c.closed {
				e.Close()
			}
			dst := make([]cim.Object, 5)
			for i := range dst {
				dst[i] = old
			}
			n, err := e.Next(c.timeout, dst)
			switch {
			case c.want < 0:
				if n != 0 || !errors.Is(err, wbem.ErrTimedOut) {
					t.Fatalf("Next = %d, %v; want 0, ErrTimedOut", n, err)
				}
			case c.closed || c.timeout == -2:
				if n != 0 || err == nil {
					t.Fatalf("Next = %d, %v; want 0 and a failure", n, err)
				}
			case n != c.want || err != c.err:
				t.Fatalf("Next = %d, %v; want %d, %v", n, err, c.want, c.err)
			}
			for i, obj := range dst {
				if i < n && (obj == nil || obj == old) {
					t.Fatalf("dst[%d] = %v: not one of the batch", i, obj)
				}
				if i >= n && obj != nil {
					t.Fatalf("dst[%d] of %d read = %v, want nil", i, n, obj)
				}
			}
		})
	}
}

// While Next waits, the objects of the batch before it that the caller's
// buffer held can be collected: a consumer reading batch after batch into
// one buffer keeps only what is queued alive, not a batch more.
func TestNextDropsEarlierBatch(t *testing.T) {
	p := &workload.Provider{N: 2, Gate: make(chan struct{}, 1)}
	e, err := workload.NewObjectManager(p).Services(workload.Namespace).CreateInstanceEnum(t.Context(), workload.ClassName, semisync)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p.Gate <- struct{}{}
	buf := make([]cim.Object, 1)
	if n, err := e.Next(wbem.Infinite, buf); n != 1 || err != nil {
		t.Fatalf("Next = %d, %v", n, err)
	}
	collected := make(chan struct{})
	runtime.AddCleanup(buf[0].(*cim.Instance), func(ch chan struct{}) { close(ch) }, collected)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := e.Next(wbem.Infinite, buf) // waits: the gate is shut
		done <- result{n, err}
	}()
	gone := false
	for range 1000 {
		runtime.GC()
		select {
		case <-collected:
			gone = true
		default:
			runtime.Gosched()
			continue
		}
		break
	}
	if !gone {
		t.Error("the first batch's object was not collected while the next Next waited")
	}
	p.Gate <- struct{}{}
	if r := <-done; r.n != 1 || r.err != nil {
		t.Fatalf("second Next = %d, %v", r.n, r.err)
	}
}
