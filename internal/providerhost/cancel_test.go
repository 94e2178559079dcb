//go:build linux

package providerhost

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// watchPair serves GW_Item and GW_ItemFlood with the Watch provider and
// GW_WatchStats with Watched, in one shared process.
func watchPair(t testing.TB, opts ...wbem.Option) *wbem.Services {
	h := newHost(t, Config{})
	om := omWith(h.Proxy(boundaryReg(t, "Watch", SharedHost)))
	om.RegisterProvider("Watched", h.Proxy(boundaryReg(t, "Watched", SharedHost)))
	svc := om.Services(workload.Namespace, opts...)
	for name, prov := range map[string]string{"GW_ItemFlood": workload.ProviderName, "GW_WatchStats": "Watched"} {
		c := workload.Class()
		c.Name = name
		c.Qualifiers = cim.Qualifiers{{Name: "Dynamic", Value: cim.Bool(true)}, {Name: "Provider", Value: cim.String(prov)}}
		if err := do(svc.PutClass(context.Background(), c, 0)); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}

// watched reads the Watch provider's counters: calls started, calls that
// saw their ctx done, instances emitted.
func watched(t testing.TB, svc *wbem.Services) (started, cancelled, emitted int64) {
	t.Helper()
	inst, err := get(svc, `GW_WatchStats.Id=0`)
	if err != nil {
		t.Fatal(err)
	}
	emitted, _ = strconv.ParseInt(inst.Value("Name").Str(), 10, 64)
	return inst.Value("Count").Int(), int64(inst.Value("Size").Uint()), emitted
}

// Close of an enumeration reaches the provider's ctx within one batch: the
// provider, blocked in Emit by a consumer that stopped reading, sees its
// ctx done and emits no further batch.
func TestCloseReachesTheProviderWithinOneBatch(t *testing.T) {
	svc := watchPair(t, wbem.WithQueueSize(16))
	e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_ItemFlood", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]cim.Object, 10)
	if _, err := e.Next(wbem.Infinite, buf); err != nil {
		t.Fatal(err)
	}
	before := waitSteady(t, "the provider to block", func() int64 { _, _, n := watched(t, svc); return n })
	_, cancelled, _ := watched(t, svc)
	e.Close()
	waitFor(t, "the provider's ctx to end", func() bool {
		_, c, _ := watched(t, svc)
		return c == cancelled+1
	})
	if _, _, after := watched(t, svc); after-before > providerwire.MaxBatch {
		t.Errorf("the provider emitted %d instances after the consumer's Close, more than a batch (%d)", after-before, providerwire.MaxBatch)
	}
}

// CancelAsyncCall of an enumeration reaches the provider's ctx across the
// boundary, and the sink gets WBEM_E_CALL_CANCELLED.
func TestCancelAsyncCallAcrossTheBoundary(t *testing.T) {
	svc := watchPair(t)
	_, cancelled, _ := watched(t, svc)
	s := newStatusSink()
	if err := svc.ExecQueryAsync(context.Background(), "WQL", "SELECT * FROM GW_Item", wbem.WBEM_FLAG_SEND_STATUS, s); err != nil {
		t.Fatal(err)
	}
	<-s.first // the provider is running, and now waits on its ctx
	if err := svc.CancelAsyncCall(s); err != nil {
		t.Fatal(err)
	}
	s.wait(t)
	s.mu.Lock()
	last := s.statuses[len(s.statuses)-1]
	s.mu.Unlock()
	if cim.StatusOf(last.Err) != cim.WBEM_E_CALL_CANCELLED {
		t.Errorf("the cancelled call ended with %v", last.Err)
	}
	waitFor(t, "the provider's ctx to end", func() bool {
		_, c, _ := watched(t, svc)
		return c == cancelled+1
	})
}

// Cancelling a single call (GetObject, a method) reaches the provider's
// ctx, and the call ends with the caller's cancellation.
func TestCancelledCallReachesTheProvider(t *testing.T) {
	svc := watchPair(t)
	for _, tc := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"GetObject", func(ctx context.Context) error {
			r, err := svc.GetObject(ctx, `GW_Item.Id=1`, 0)
			if err != nil {
				return err
			}
			_, err = r.ResultObject(wbem.Infinite)
			return err
		}},
		{"ExecMethod", func(ctx context.Context) error {
			return do(svc.ExecMethod(ctx, "GW_Item", "Echo", nil, 0))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started, cancelled, _ := watched(t, svc)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- tc.call(ctx) }()
			waitFor(t, "the provider to get the call", func() bool {
				s, _, _ := watched(t, svc)
				return s == started+1
			})
			cancel()
			err := <-errc
			if !errors.Is(err, context.Canceled) && cim.StatusOf(err) != cim.WBEM_E_CALL_CANCELLED {
				t.Errorf("the cancelled call returned %v", err)
			}
			waitFor(t, "the provider's ctx to end", func() bool {
				_, c, _ := watched(t, svc)
				return c == cancelled+1
			})
		})
	}
}
