//go:build linux

package providerhost

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// fakeClock is a host clock the test moves.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }
func newFakeClock() *fakeClock               { c := &fakeClock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *fakeClock) set(h *Host)             { h.clock = c.now }

// rstCancel is what gRPC reports when the provider's side ended a call at
// the deadline it was sent, before the daemon's own timer fired.
var rstCancel = status.Error(codes.DeadlineExceeded, "stream terminated by RST_STREAM with error code: CANCEL")

// failingRPC is a provider process whose every call fails with err after
// the host's clock has moved on by took.
type failingRPC struct {
	providerwire.ProviderClient
	clock   *fakeClock
	took    time.Duration
	err     error
	batch   int   // Enumerate: instances sent before the failure
	sendErr error // Enumerate: granting credit fails so
}

func (f *failingRPC) GetInstance(ctx context.Context, in *providerwire.GetInstanceRequest, opts ...grpc.CallOption) (*providerwire.InstanceReply, error) {
	f.clock.advance(f.took)
	return nil, f.err
}

func (f *failingRPC) Enumerate(ctx context.Context, opts ...grpc.CallOption) (grpc.BidiStreamingClient[providerwire.EnumerateRequest, providerwire.EnumerateReply], error) {
	return &failingStream{f: f}, nil
}

type failingStream struct {
	grpc.ClientStream
	f    *failingRPC
	sent bool
}

func (s *failingStream) Send(m *providerwire.EnumerateRequest) error {
	if m.GetCredit() > 0 {
		return s.f.sendErr
	}
	return nil
}

func (s *failingStream) Recv() (*providerwire.EnumerateReply, error) {
	if !s.sent && s.f.batch > 0 {
		s.sent = true
		c := workload.Class()
		var b providerwire.Batch
		for i := range s.f.batch {
			b.Instances = append(b.Instances, providerwire.EncodeInstance(workload.Build(c, i), c.Name))
		}
		return &providerwire.EnumerateReply{Kind: &providerwire.EnumerateReply_Batch{Batch: &b}}, nil
	}
	s.f.clock.advance(s.f.took)
	return nil, s.f.err
}

// RecvMsg is Recv as the proxy calls it: its reply read through
// providerwire.Codec, as gRPC would.
func (s *failingStream) RecvMsg(m any) error {
	r, err := s.Recv()
	if err != nil {
		return err
	}
	b, err := proto.Marshal(r)
	if err != nil {
		return err
	}
	m.(*providerwire.ReplyDecoder).Decode(b)
	return nil
}

// fakeProc puts a running process served by rpc in h for reg.
func fakeProc(t *testing.T, h *Host, reg *Registration, rpc providerwire.ProviderClient) *proc {
	account, _, err := h.account(reg)
	if err != nil {
		t.Fatal(err)
	}
	key := h.procKey(reg, account)
	p := newProc(h, key, reg)
	p.rpc = rpc
	p.caps = map[string]*providerwire.Capabilities{}
	var once sync.Once
	p.closer = func() { once.Do(func() { close(p.dead) }) } // no process to wait for
	close(p.ready)
	p.heard()
	h.mu.Lock()
	h.procs[key] = p
	h.history[key] = &restarts{}
	h.mu.Unlock()
	return p
}

// deadlineCtx is a caller's context whose deadline has passed by the clock
// while its timer has not fired yet (a loaded machine).
type deadlineCtx struct {
	context.Context
	at time.Time
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.at, true }

// slowConsumer is an Emitter that takes long (by the host's clock).
type slowConsumer struct {
	clock *fakeClock
	took  time.Duration
	got   int
}

func (s *slowConsumer) Emit(*cim.Instance) error { s.clock.advance(s.took); s.got++; return nil }

// The per-call timeout's expiry is WBEM_E_PROVIDER_TIMED_OUT whichever side
// notices it first: the daemon's timer, or gRPC reporting the provider's end
// of the call (DeadlineExceeded, Canceled) before that timer fires. An
// error before the timeout is the provider's failure, and the caller's own
// deadline is the caller's.
func TestTimeoutWhicheverSideNoticesFirst(t *testing.T) {
	const timeout = time.Hour // the daemon's timers never fire in this test
	canceled := status.Error(codes.Canceled, "context canceled")
	tests := []struct {
		name   string
		enum   bool
		batch  int
		took   time.Duration
		err    error
		caller time.Duration // >0: the caller's deadline, passed by the clock when the call fails
		want   cim.Status    // 0: the caller's context.DeadlineExceeded
	}{
		{name: "get: RST_STREAM after the timeout", took: timeout, err: rstCancel, want: cim.WBEM_E_PROVIDER_TIMED_OUT},
		{name: "get: Canceled after the timeout", took: timeout + time.Second, err: canceled, want: cim.WBEM_E_PROVIDER_TIMED_OUT},
		{name: "get: DeadlineExceeded before the timeout", took: timeout - time.Second, err: rstCancel, want: cim.WBEM_E_PROVIDER_FAILURE},
		{name: "get: the caller's deadline", took: time.Minute, err: rstCancel, caller: time.Second},
		{name: "enumerate: RST_STREAM after the timeout", enum: true, took: timeout, err: rstCancel, want: cim.WBEM_E_PROVIDER_TIMED_OUT},
		{name: "enumerate: after a batch", enum: true, batch: 3, took: timeout, err: canceled, want: cim.WBEM_E_PROVIDER_TIMED_OUT},
		{name: "enumerate: a failure in time", enum: true, batch: 3, took: time.Minute, err: canceled, want: cim.WBEM_E_PROVIDER_FAILURE},
		{name: "enumerate: the caller's deadline", enum: true, took: time.Minute, err: rstCancel, caller: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHost(t, Config{})
			clock := newFakeClock()
			clock.set(h)
			r := reg(t, "Fake", SelfHost)
			r.Timeout = timeout
			p := fakeProc(t, h, r, &failingRPC{clock: clock, took: tt.took, err: tt.err, batch: tt.batch})
			ctx := context.Background()
			if tt.caller > 0 {
				ctx = deadlineCtx{ctx, clock.now().Add(tt.caller)}
			}
			x := h.Proxy(r)
			var err error
			if tt.enum {
				err = x.EnumerateInstances(ctx, workload.Class(), &slowConsumer{clock: clock})
			} else {
				_, err = x.GetInstance(ctx, workload.Class(), cim.ObjectPath{Class: workload.ClassName})
			}
			if tt.want == 0 {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("got %v, want the caller's deadline", err)
				}
				return
			}
			wantStatus(t, err, tt.want, `"Fake"`)
			if killed := p.stopping != ""; killed != (tt.want == cim.WBEM_E_PROVIDER_TIMED_OUT) {
				t.Errorf("killed: %v (%q)", killed, p.stopping)
			}
		})
	}
}

// A consumer that takes longer than the timeout over a batch is not the
// provider's delay: the failure that follows is not a timeout.
func TestSlowConsumerIsNotATimeout(t *testing.T) {
	h := newHost(t, Config{})
	clock := newFakeClock()
	clock.set(h)
	r := reg(t, "Fake", SelfHost)
	r.Timeout = time.Hour
	fakeProc(t, h, r, &failingRPC{clock: clock, sendErr: status.Error(codes.Unavailable, "connection reset"), batch: 2})
	out := &slowConsumer{clock: clock, took: 2 * time.Hour}
	err := h.Proxy(r).EnumerateInstances(context.Background(), workload.Class(), out)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Fake"`)
	if out.got != 2 {
		t.Errorf("the consumer got %d instances, want 2", out.got)
	}
}

var _ provider.Emitter = (*slowConsumer)(nil)
