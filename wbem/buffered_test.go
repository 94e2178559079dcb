package wbem_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
)

// Buffered tells what waits at the enumerator's position, and that it is
// all of the rest once the operation has completed without failure; a
// failed operation or one still running is not complete.
func TestBuffered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		svc := workload.NewObjectManager(&workload.Provider{N: 25, Gate: gate}).Services(workload.Namespace)
		e, err := svc.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_Item", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		for range 5 {
			gate <- struct{}{}
		}
		synctest.Wait()
		if n, complete := e.Buffered(); n != 5 || complete {
			t.Fatalf("while the provider runs: Buffered = %d, %v; want 5, false", n, complete)
		}
		close(gate)
		synctest.Wait()
		if n, complete := e.Buffered(); n != 25 || !complete {
			t.Fatalf("after the end: Buffered = %d, %v; want 25, true", n, complete)
		}
		if k, _ := e.Next(wbem.NoWait, make([]cim.Object, 10)); k != 10 {
			t.Fatalf("Next read %d", k)
		}
		if n, complete := e.Buffered(); n != 15 || !complete {
			t.Fatalf("after reading 10: Buffered = %d, %v; want 15, true", n, complete)
		}

		failing := workload.NewObjectManager(&workload.Provider{N: 25, Fail: errors.New("disk gone"), FailAfter: 3}).Services(workload.Namespace)
		f, err := failing.ExecQuery(context.Background(), "WQL", "SELECT * FROM GW_Item", semisync)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		synctest.Wait()
		if n, complete := f.Buffered(); n != 3 || complete {
			t.Fatalf("after a failure: Buffered = %d, %v; want 3, false", n, complete)
		}
	})
}
