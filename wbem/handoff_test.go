package wbem_test

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// A write that completes what a waiting reader asked for returns only once
// the reader took it, when the reader asked for half the queue's bound or
// more: the producer hands over instead of running on to fill the queue,
// so the reader runs at once (on the producer's processor) and fewer
// objects stay queued. A reader of smaller batches gets no hand-off: the
// producer runs ahead, and its next requests find their objects queued.
// Run on one processor, where a producer that does not hand over keeps
// running after it woke the reader.
func TestWriteHandsOffToWaitingReader(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, tc := range []struct {
		name  string
		batch bool
		queue int
		room  int // after the write that completed the reader's 10
	}{
		{"Write", false, 20, 20},
		{"WriteBatch", true, 20, 20},
		{"Write, a request under half the bound", false, 21, 11},
		{"WriteBatch, a request under half the bound", true, 21, 11},
	} {
		batch := tc.batch
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := make(chan struct{})
				room := make(chan int, 1)
				b := backendFunc(func(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
					<-start
					objs := numbered(0, 20)
					if batch {
						if err := wbem.WriteAll(w, objs[:10]); err != nil {
							return err
						}
					} else {
						for _, o := range objs[:10] {
							if err := w.Write(o); err != nil {
								return err
							}
						}
					}
					room <- w.(wbem.RoomWriter).Room()
					return wbem.WriteAll(w, objs[10:])
				})
				e, err := wbem.NewServices(b, "root/cimv2", wbem.WithQueueSize(tc.queue)).CreateInstanceEnum(t.Context(), "GW_N", semisync)
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				got := make(chan int, 1)
				go func() {
					n, _ := e.Next(wbem.Infinite, make([]cim.Object, 10))
					got <- n
				}()
				synctest.Wait() // the reader waits for 10
				close(start)
				if r := <-room; r != tc.room {
					t.Errorf("after the write that completed the waiting reader's 10, the queue has room for %d of %d, want %d", r, tc.queue, tc.room)
				}
				if n := <-got; n != 10 {
					t.Fatalf("Next = %d, want 10", n)
				}
			})
		})
	}
}

// A reader that stopped waiting (its timeout passed) leaves no hand-off
// behind: the producer's later writes do not wait for it, and fill the
// queue up to its bound while the consumer is away.
func TestNoHandOffToReaderThatLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		step := make(chan struct{})
		full := make(chan int, 1)
		b := backendFunc(func(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
			objs := numbered(0, 100)
			if err := wbem.WriteAll(w, objs[:5]); err != nil {
				return err
			}
			<-step
			for _, o := range objs[5:20] {
				if err := w.Write(o); err != nil {
					return err
				}
			}
			full <- w.(wbem.RoomWriter).Room()
			return wbem.WriteAll(w, objs[20:])
		})
		e, err := wbem.NewServices(b, "root/cimv2", wbem.WithQueueSize(20)).CreateInstanceEnum(t.Context(), "GW_N", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		// Waits for 10, gets the 5 there are when its second passes.
		if n, err := e.Next(time.Second, make([]cim.Object, 10)); n != 5 || err != wbem.ErrTimedOut {
			t.Fatalf("Next(1s, 10) = %d, %v; want 5, timed out", n, err)
		}
		close(step)
		select {
		case r := <-full:
			if r != 5 {
				t.Fatalf("room for %d after 15 more writes into a queue of 20, want 5", r)
			}
		case <-time.After(time.Hour):
			t.Fatal("the producer waits for a reader that stopped waiting")
		}
	})
}
