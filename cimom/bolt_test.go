package cimom_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// boltServices returns services of root\cimv2 over a new on-disk repository
// holding the static test classes.
func boltServices(tb testing.TB) (*wbem.Services, *repository.Bolt) {
	tb.Helper()
	store, err := repository.OpenBolt(filepath.Join(tb.TempDir(), "repository.db"), repository.BoltOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	om, err := cimom.New(context.Background(), store, cimom.WithServer("h"))
	if err != nil {
		tb.Fatal(err)
	}
	svc := om.Services(workload.Namespace)
	if err := workload.Setup(context.Background(), svc); err != nil {
		tb.Fatal(err)
	}
	return svc, store
}

func putBase(ctx context.Context, svc *wbem.Services, class *cim.Class, name string) error {
	inst := class.NewInstance()
	inst.Set("Name", cim.String(name))
	_, err := svc.PutInstance(ctx, inst, wbem.WBEM_FLAG_CREATE_ONLY)
	return err
}

// Concurrent PutInstance calls share commits on the on-disk store, and every
// one that returned success is there — also after reopening the file.
func TestConcurrentPutInstance(t *testing.T) {
	svc, store := boltServices(t)
	ctx := context.Background()
	base := class(t, svc, "GW_Base")
	var wg sync.WaitGroup
	errs := make(chan error, 64*10)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				errs <- putBase(ctx, svc, base, fmt.Sprintf("g%d-%d", g, i))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A duplicate in a batch fails alone.
	if err := putBase(ctx, svc, base, "g1-1"); cim.StatusOf(err) != cim.WBEM_E_ALREADY_EXISTS {
		t.Fatalf("duplicate: %v", err)
	}
	e, err := svc.CreateInstanceEnum(ctx, "GW_Base", wbem.WBEM_FLAG_SHALLOW)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := e.Collect(ctx)
	if err != nil || len(objs) != 640 {
		t.Fatalf("%d instances, %v; want 640", len(objs), err)
	}
	if err := store.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPutInstanceParallel puts instances from many goroutines through
// the object manager on the on-disk store: they share commits.
func BenchmarkPutInstanceParallel(b *testing.B) {
	svc, _ := boltServices(b)
	ctx := context.Background()
	cr, _ := svc.GetObject(ctx, "GW_Base", 0)
	obj, _ := cr.ResultObject(0)
	base := obj.(*cim.Class)
	var n sync.Mutex
	next := 0
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Lock()
			next++
			i := next
			n.Unlock()
			if err := putBase(ctx, svc, base, fmt.Sprint(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
