package wbem_test

import (
	"testing"
	"testing/synctest"

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
