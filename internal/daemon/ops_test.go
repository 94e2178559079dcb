package daemon

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// blockingBackend runs until its ctx ends, then reports it.
type blockingBackend struct {
	started chan struct{}
	ended   chan error
}

func (b blockingBackend) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	close(b.started)
	<-ctx.Done()
	time.Sleep(10 * time.Millisecond) // a provider that takes a moment to stop
	b.ended <- ctx.Err()
	return ctx.Err()
}

// TestOpsShutdown checks that shutdown cancels a running operation, waits
// for it to return, and refuses new ones with WBEM_E_SHUTTING_DOWN.
func TestOpsShutdown(t *testing.T) {
	b := blockingBackend{started: make(chan struct{}), ended: make(chan error, 1)}
	o := newOps(b)
	go o.Do(context.Background(), &wbem.Op{Kind: wbem.OpExecQuery}, nil)
	<-b.started
	if !o.shutdown(5 * time.Second) {
		t.Fatal("shutdown did not see the operation return")
	}
	select {
	case err := <-b.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the operation ended with %v", err)
		}
	default:
		t.Fatal("shutdown returned before the operation did")
	}
	err := o.Do(context.Background(), &wbem.Op{Kind: wbem.OpGetObject}, nil)
	if cim.StatusOf(err) != cim.WBEM_E_SHUTTING_DOWN {
		t.Errorf("after shutdown: %v", err)
	}

	// A stuck operation makes shutdown give up at its timeout.
	release := make(chan struct{})
	defer close(release)
	stuck := newOps(stuckBackend{release})
	go stuck.Do(context.Background(), &wbem.Op{Kind: wbem.OpExecQuery}, nil)
	time.Sleep(10 * time.Millisecond)
	if stuck.shutdown(50 * time.Millisecond) {
		t.Error("shutdown reported a stuck operation as returned")
	}
}

// stuckBackend ignores its ctx until released.
type stuckBackend struct{ release chan struct{} }

func (s stuckBackend) Do(context.Context, *wbem.Op, wbem.ResultWriter) error {
	<-s.release
	return nil
}
