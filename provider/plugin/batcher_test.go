package plugin

import (
	"context"
	"io"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/internal/workload"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
)

// fakeStream is the provider's side of an Enumerate stream: Recv returns
// the credit granted on credits, SendMsg records how many instances each
// batch carried.
type fakeStream struct {
	grpc.ServerStream
	ctx     context.Context
	credits chan uint32
	sent    chan int
	// held, when not nil, gets each batch's marshalled bytes, which stay
	// unwritten until the test frees them; otherwise they are freed (as
	// gRPC does once it has written them) at once.
	held chan mem.BufferSlice
}

func (f *fakeStream) Context() context.Context { return f.ctx }

func (f *fakeStream) Recv() (*providerwire.EnumerateRequest, error) {
	c, ok := <-f.credits
	if !ok {
		return nil, io.EOF
	}
	return &providerwire.EnumerateRequest{Kind: &providerwire.EnumerateRequest_Credit{Credit: c}}, nil
}

func (f *fakeStream) Send(m *providerwire.EnumerateReply) error { return f.SendMsg(m) }

func (f *fakeStream) SendMsg(m any) error {
	if b, ok := m.(*providerwire.EncodedBatch); ok {
		f.sent <- b.Len()
		// What gRPC does with a batch: marshal it and, once written, hand
		// its buffer back.
		data, err := providerwire.Codec{}.Marshal(b)
		if err != nil {
			return err
		}
		if f.held != nil {
			f.held <- data
			return nil
		}
		data.Free()
	}
	return nil
}

// sentNow returns the batch sizes sent so far.
func (f *fakeStream) sentNow() []int {
	var got []int
	for {
		select {
		case n := <-f.sent:
			got = append(got, n)
		default:
			return got
		}
	}
}

// startBatcher returns a batcher of class c without credit, reading credit
// from and sending to f; sendErr gets what its sender returns.
func startBatcher(t *testing.T, c *cim.Class) (b *batcher, f *fakeStream, sendErr chan error) {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	f = &fakeStream{ctx: ctx, credits: make(chan uint32), sent: make(chan int, 10000)}
	b = newBatcher(ctx, 0)
	b.setClass(c)
	go b.readCredit(f, cancel)
	sendErr = make(chan error, 1)
	go func() { sendErr <- b.send(f) }()
	return b, f, sendErr
}

// TestBatcherCredit: the batcher sends what is pending as soon as it holds
// credit and never more than the credit; without credit it sends nothing,
// Emit blocks once a whole batch is pending (bounded memory), and the
// sender is not woken per instance meanwhile; credit arriving wakes both.
func TestBatcherCredit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := workload.Class()
		b, f, sendErr := startBatcher(t, c)

		for i := range 5 {
			if err := b.Emit(workload.Build(c, i)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if got := f.sentNow(); len(got) != 0 {
			t.Fatalf("sent %v without credit", got)
		}
		f.credits <- 3
		synctest.Wait()
		if got := f.sentNow(); len(got) != 1 || got[0] != 3 {
			t.Fatalf("credit 3 sent %v, want [3]", got)
		}
		f.credits <- 10
		synctest.Wait()
		if got := f.sentNow(); len(got) != 1 || got[0] != 2 {
			t.Fatalf("credit 10 sent %v, want the 2 pending", got)
		}
		// Credit left (8): an instance leaves at once, alone.
		if err := b.Emit(workload.Build(c, 5)); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := f.sentNow(); len(got) != 1 || got[0] != 1 {
			t.Fatalf("with credit, one instance sent as %v", got)
		}
		f.credits <- 0 // nothing granted: the sender stays asleep
		b.mu.Lock()
		b.credit = 0 // spent elsewhere: the next instances wait
		b.mu.Unlock()

		// Without credit: a whole batch pending, then Emit blocks.
		b.mu.Lock()
		wakes := b.wakes
		b.mu.Unlock()
		for i := range providerwire.MaxBatch {
			if err := b.Emit(workload.Build(c, i)); err != nil {
				t.Fatal(err)
			}
		}
		blocked := make(chan error, 1)
		go func() { blocked <- b.Emit(workload.Build(c, providerwire.MaxBatch)) }()
		synctest.Wait()
		select {
		case err := <-blocked:
			t.Fatalf("Emit did not block with a whole batch pending and no credit: %v", err)
		default:
		}
		b.mu.Lock()
		if b.wakes != wakes {
			t.Errorf("the sender woke %d times while %d instances waited for credit", b.wakes-wakes, providerwire.MaxBatch)
		}
		b.mu.Unlock()
		f.credits <- providerwire.MaxBatch + 1
		synctest.Wait()
		if err := <-blocked; err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		total := 0
		for _, n := range f.sentNow() {
			total += n
		}
		if total != providerwire.MaxBatch+1 {
			t.Fatalf("sent %d after credit, want %d", total, providerwire.MaxBatch+1)
		}
		b.finish()
		if err := <-sendErr; err != nil {
			t.Fatal(err)
		}
		close(f.credits)
	})
}

// TestBatcherFirstBatchSmall: an enumeration's first batch holds at most
// firstBatch instances however many are pending, and each batch after at
// most twice the one before, up to MaxBatch — the first object reaches the
// caller without waiting for a whole batch to be decoded.
func TestBatcherFirstBatchSmall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := workload.Class()
		b, f, sendErr := startBatcher(t, c)
		const n = 3000
		emitted := make(chan error, 1)
		go func() {
			for i := range n {
				if err := b.Emit(workload.Build(c, i)); err != nil {
					emitted <- err
					return
				}
			}
			b.finish()
			emitted <- nil
		}()
		synctest.Wait() // a whole batch pending, no credit yet
		f.credits <- n
		if err := <-emitted; err != nil {
			t.Fatal(err)
		}
		if err := <-sendErr; err != nil {
			t.Fatal(err)
		}
		close(f.credits)
		got := f.sentNow()
		total, limit := 0, firstBatch
		for i, k := range got {
			if k > limit {
				t.Fatalf("batch %d holds %d instances, more than %d (batches %v)", i, k, limit, got)
			}
			total += k
			limit = min(2*limit, providerwire.MaxBatch)
		}
		if total != n || len(got) == 0 || got[0] != firstBatch {
			t.Fatalf("batches %v: %d instances, want %d starting with %d", got, total, n, firstBatch)
		}
		// A whole batch was pending when the credit came: the first
		// batches take 16, 32, 64, 128, 256 of it, growing.
		if want := []int{16, 32, 64, 128, 256}; len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			t.Errorf("batches %v, want them to begin %v", got, want)
		}
	})
}

// TestBatcherWaitsForWritten: once a batch is handed to gRPC, the sender
// sends no other and lets Emit fill no more than one whole batch until
// gRPC has written it (handed its buffer back); then the next leaves. A
// provider emitting fast on one thread would otherwise make the next batch
// before gRPC's writer ran, and the daemon would get each batch late.
// Cancelling the call ends the wait.
func TestBatcherWaitsForWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := workload.Class()
		b, f, sendErr := startBatcher(t, c)
		f.held = make(chan mem.BufferSlice, 100)
		f.credits <- 100 * providerwire.MaxBatch
		// The first instance's Emit returns only once its batch is
		// written (TestBatcherFirstInstanceOnConnection).
		emitFirst := make(chan error, 1)
		go func() { emitFirst <- b.Emit(workload.Build(c, 0)) }()
		synctest.Wait()
		if got := f.sentNow(); !slices.Equal(got, []int{1}) {
			t.Fatalf("first batch %v, want [1]", got)
		}
		select {
		case err := <-emitFirst:
			t.Fatalf("the first instance's Emit returned before its batch was written: %v", err)
		default:
		}
		first := <-f.held
		// Not written yet: a whole batch may pend, nothing else leaves,
		// and the next Emit blocks.
		for i := range providerwire.MaxBatch {
			if err := b.Emit(workload.Build(c, 1+i)); err != nil {
				t.Fatal(err)
			}
		}
		blocked := make(chan error, 1)
		go func() { blocked <- b.Emit(workload.Build(c, 1+providerwire.MaxBatch)) }()
		synctest.Wait()
		if got := f.sentNow(); len(got) != 0 {
			t.Fatalf("sent %v while the first batch was not written", got)
		}
		select {
		case err := <-blocked:
			t.Fatalf("Emit did not block with a whole batch pending behind an unwritten one: %v", err)
		default:
		}
		// Written: the next batch leaves (at most twice the first
		// batch's limit) and Emit goes on.
		first.Free()
		synctest.Wait()
		if got := f.sentNow(); len(got) != 1 || got[0] != 2*firstBatch {
			t.Fatalf("after the first was written, sent %v, want [%d]", got, 2*firstBatch)
		}
		if err := <-blocked; err != nil {
			t.Fatal(err)
		}
		if err := <-emitFirst; err != nil {
			t.Fatal(err)
		}
		// The second is not written either: the daemon going (its side of
		// the stream closed, which cancels the call) ends the sender's
		// wait and fails the next Emit.
		<-f.held
		close(f.credits)
		if err := <-sendErr; err == nil {
			t.Fatal("the sender returned no error after the cancellation")
		}
		if err := b.Emit(workload.Build(c, 0)); err == nil {
			t.Fatal("Emit succeeded after the cancellation")
		}
	})
}

// oneThread runs Go code on one thread until t ends.
func oneThread(t *testing.T) {
	procs := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
}

// loopyWriter takes f's batches as gRPC's writer does (loopyWriter.run):
// it copies a batch and hands its buffer back, then, holding less than
// minBatch bytes, yields once before it writes them to the connection —
// counted in the result — and waits for the next. Close f.held to stop it.
func loopyWriter(f *fakeStream, minBatch int) *atomic.Int32 {
	var onConn atomic.Int32
	go func() {
		for data := range f.held {
			n := data.Len()
			data.Free()
			if n < minBatch {
				runtime.Gosched()
			}
			onConn.Add(1)
		}
	}()
	return &onConn
}

// orderRounds is how many times the tests of the goroutines' order on one
// thread play their scene, and orderAtLeast how many must come out right:
// the runtime may preempt a goroutine anywhere (a time slice over, a
// collection), which puts it at the back of the run queue, so the order
// is the usual one, not a certain one.
const orderRounds, orderAtLeast = 10, 8

// TestBatcherFirstInstanceOnConnection: on one thread (MaxProcs), the
// first instance of an enumeration is on the connection when its Emit
// returns, though gRPC's writer yields once before it writes a batch of
// under 1000 bytes: a fast provider going on at once would keep the thread
// until it blocks, a whole batch later, and the writer with it (the warm
// first object took 4 ms rather than 1).
func TestBatcherFirstInstanceOnConnection(t *testing.T) {
	oneThread(t)
	right := 0
	for range orderRounds {
		synctest.Test(t, func(t *testing.T) {
			c := workload.Class()
			b, f, sendErr := startBatcher(t, c)
			f.held = make(chan mem.BufferSlice)
			onConn := loopyWriter(f, 1000)
			f.credits <- providerwire.MaxBatch
			synctest.Wait()
			if err := b.Emit(workload.Build(c, 0)); err != nil {
				t.Fatal(err)
			}
			if onConn.Load() == 1 {
				right++
			}
			b.finish()
			if err := <-sendErr; err != nil {
				t.Fatal(err)
			}
			close(f.credits)
			close(f.held)
		})
	}
	if right < orderAtLeast {
		t.Fatalf("the first batch was on the connection when the first Emit returned in %d of %d enumerations, want %d", right, orderRounds, orderAtLeast)
	}
}

// TestBatcherBatchOnConnection: on one thread, a batch that gRPC's writer
// puts off (it yields once holding under 1000 bytes, as with the tail of a
// batch) is on the connection before Emit, blocked on a whole pending
// batch, goes on to make the next: otherwise the provider would keep the
// thread for a whole batch and the daemon would wait for the tail.
func TestBatcherBatchOnConnection(t *testing.T) {
	oneThread(t)
	right := 0
	for range orderRounds {
		synctest.Test(t, func(t *testing.T) {
			c := workload.Class()
			b, f, sendErr := startBatcher(t, c)
			f.held = make(chan mem.BufferSlice)
			onConn := loopyWriter(f, 1<<30) // every batch's tail is small
			// A whole batch pending, no credit: the next Emit blocks.
			for i := range providerwire.MaxBatch {
				if err := b.Emit(workload.Build(c, i)); err != nil {
					t.Fatal(err)
				}
			}
			blocked := make(chan error, 1)
			go func() { blocked <- b.Emit(workload.Build(c, providerwire.MaxBatch)) }()
			synctest.Wait()
			f.credits <- 2 * providerwire.MaxBatch
			if err := <-blocked; err != nil {
				t.Fatal(err)
			}
			if onConn.Load() >= 1 {
				right++
			}
			b.finish()
			if err := <-sendErr; err != nil {
				t.Fatal(err)
			}
			close(f.credits)
			close(f.held)
		})
	}
	if right < orderAtLeast {
		t.Fatalf("Emit went on with the batch before it on the connection in %d of %d enumerations, want %d", right, orderRounds, orderAtLeast)
	}
}
