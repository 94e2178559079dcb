package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// ops is the backend the endpoint serves: the object manager, with every
// operation tracked, so that a shutdown can cancel them all — also those no
// enumeration context holds — and wait until their producers have returned
// before the repository closes.
type ops struct {
	backend wbem.Backend
	stop    context.Context // done at shutdown
	cancel  context.CancelFunc

	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
}

func newOps(backend wbem.Backend) *ops {
	ctx, cancel := context.WithCancel(context.Background())
	return &ops{backend: backend, stop: ctx, cancel: cancel}
}

// Do implements wbem.Backend. Once the shutdown has begun it refuses new
// operations with WBEM_E_SHUTTING_DOWN.
func (o *ops) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return &cim.Error{Status: cim.WBEM_E_SHUTTING_DOWN, Operation: op.Kind.String(), Description: "the daemon is shutting down"}
	}
	o.wg.Add(1)
	o.mu.Unlock()
	defer o.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(o.stop, cancel)()
	return o.backend.Do(ctx, op, w)
}

// shutdown cancels every running operation and waits up to timeout for
// them to return; it reports whether they all did.
func (o *ops) shutdown(timeout time.Duration) bool {
	o.mu.Lock()
	o.closing = true
	o.mu.Unlock()
	o.cancel()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
