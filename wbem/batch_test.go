package wbem_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// backendFunc adapts a function to wbem.Backend.
type backendFunc func(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error

func (f backendFunc) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	return f(ctx, op, w)
}

// numbered returns n instances whose Id is from, from+1, …
func numbered(from, n int) []cim.Object {
	c := &cim.Class{Name: "GW_N", Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32}}}
	objs := make([]cim.Object, n)
	for i := range objs {
		inst := c.NewInstance()
		inst.SetAt(0, cim.Uint32(uint32(from+i)))
		objs[i] = inst
	}
	return objs
}

// The writer a backend gets for a forward-only semisynchronous call takes
// batches: a batch longer than the queue goes in as the consumer reads,
// the queue's bound holds throughout, and the order is kept.
func TestWriteBatchBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		returned := make(chan error, 1)
		b := backendFunc(func(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
			bw, ok := w.(wbem.BatchWriter)
			if !ok {
				t.Errorf("the forward-only call's writer %T is not a wbem.BatchWriter", w)
				return wbem.WriteAll(w, numbered(0, 25))
			}
			err := bw.WriteBatch(numbered(0, 25))
			if err == nil {
				err = bw.WriteBatch(nil)
			}
			if err == nil {
				err = bw.WriteBatch(numbered(25, 5))
			}
			returned <- err
			return err
		})
		svc := wbem.NewServices(b, "root/cimv2", wbem.WithQueueSize(10))
		e, err := svc.CreateInstanceEnum(t.Context(), "GW_N", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		synctest.Wait()
		select {
		case err := <-returned:
			t.Fatalf("WriteBatch of 25 into a queue of 10 returned %v before anything was read", err)
		default:
		}
		var got []int
		read := func(max, want int, wantErr error) {
			t.Helper()
			buf := make([]cim.Object, max)
			n, err := e.Next(wbem.NoWait, buf)
			if n != want || !errors.Is(err, wantErr) {
				t.Fatalf("Next(NoWait, %d) = %d, %v; want %d, %v", max, n, err, want, wantErr)
			}
			for _, o := range buf[:n] {
				got = append(got, int(o.(*cim.Instance).Value("Id").Uint()))
			}
			synctest.Wait()
		}
		read(100, 10, wbem.ErrTimedOut) // the bound: 10 of the 25
		read(3, 3, nil)
		read(100, 10, wbem.ErrTimedOut) // 3 more went in as 3 were read
		if err := <-returned; err != nil {
			t.Fatalf("the writes returned %v", err)
		}
		read(100, 7, io.EOF) // the last 2 of the first batch, the 5 of the second
		if len(got) != 30 {
			t.Fatalf("read %d objects, want 30", len(got))
		}
		for i, id := range got {
			if id != i {
				t.Fatalf("object %d has Id %d: the order was lost (%v)", i, id, got)
			}
		}
	})
}

// A reader waiting for more than one batch gets them all in one Next, and
// a waiting Next(Infinite) is woken by a batch that completes what it
// waits for.
func TestWriteBatchWakesReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		b := backendFunc(func(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
			bw := w.(wbem.BatchWriter)
			for i := range 3 {
				<-gate
				if err := bw.WriteBatch(numbered(4*i, 4)); err != nil {
					return err
				}
			}
			return nil
		})
		e, err := wbem.NewServices(b, "root/cimv2").CreateInstanceEnum(t.Context(), "GW_N", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		go func() {
			n, err := e.Next(wbem.Infinite, make([]cim.Object, 10))
			done <- result{n, err}
		}()
		for range 2 {
			gate <- struct{}{}
			synctest.Wait()
			select {
			case r := <-done:
				t.Fatalf("Next(Infinite, 10) returned %d, %v with fewer than 10 written", r.n, r.err)
			default:
			}
		}
		gate <- struct{}{}
		if r := <-done; r.n != 10 || r.err != nil {
			t.Fatalf("Next(Infinite, 10) = %d, %v; want 10, nil", r.n, r.err)
		}
	})
}

// Closing the enumeration while its producer waits inside WriteBatch ends
// the wait with an error and cancels the producer's ctx.
func TestWriteBatchConsumerGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		returned := make(chan error, 1)
		b := backendFunc(func(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
			err := w.(wbem.BatchWriter).WriteBatch(numbered(0, 50))
			if ctx.Err() == nil {
				t.Error("WriteBatch returned before the producer's ctx was cancelled")
			}
			returned <- err
			return err
		})
		svc := wbem.NewServices(b, "root/cimv2", wbem.WithQueueSize(10))
		e, err := svc.CreateInstanceEnum(t.Context(), "GW_N", semisync)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		e.Close()
		if err := <-returned; cim.StatusOf(err) != cim.WBEM_E_CALL_CANCELLED {
			t.Fatalf("WriteBatch after Close returned %v, want WBEM_E_CALL_CANCELLED", err)
		}
	})
}

// recorder is a ResultWriter without WriteBatch.
type recorder struct {
	objs []cim.Object
	fail int // Write fails from this object on (0: never)
}

func (r *recorder) Write(obj cim.Object) error {
	if r.fail > 0 && len(r.objs)+1 >= r.fail {
		return errors.New("full")
	}
	r.objs = append(r.objs, obj)
	return nil
}
func (r *recorder) SetResultString(string) {}
func (r *recorder) Progress(int, int)      {}

// WriteAll writes object by object to a writer that takes no batches, and
// stops at the first failure.
func TestWriteAllFallsBack(t *testing.T) {
	objs := numbered(0, 5)
	var r recorder
	if err := wbem.WriteAll(&r, objs); err != nil || len(r.objs) != 5 || r.objs[4] != objs[4] {
		t.Fatalf("WriteAll = %v, wrote %d objects", err, len(r.objs))
	}
	r = recorder{fail: 3}
	if err := wbem.WriteAll(&r, objs); err == nil || len(r.objs) != 2 {
		t.Fatalf("WriteAll to a writer failing at 3 = %v, wrote %d objects; want an error after 2", err, len(r.objs))
	}
}
