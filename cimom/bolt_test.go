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

// parkingStore is a Bolt store whose skip+1-th read transaction after arm
// stops right after bbolt took its snapshot and waits to be let go: a reader
// overtaken by a schema commit, made to happen every time. It records the
// classes that transaction looked up.
type parkingStore struct {
	*repository.Bolt
	mu     sync.Mutex
	skip   int
	parked chan struct{} // closed when the armed View has its snapshot
	resume chan struct{} // closed to let it go on
	looked []string      // the classes the parked View looked up
}

func (s *parkingStore) arm(skip int) (parked, resume chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skip, s.parked, s.resume = skip, make(chan struct{}), make(chan struct{})
	return s.parked, s.resume
}

func (s *parkingStore) View(ctx context.Context, fn func(repository.Tx) error) error {
	s.mu.Lock()
	var parked, resume chan struct{}
	if s.parked != nil {
		if s.skip == 0 {
			parked, resume = s.parked, s.resume
			s.parked, s.resume = nil, nil
		}
		s.skip--
	}
	s.mu.Unlock()
	return s.Bolt.View(ctx, func(tx repository.Tx) error {
		if parked == nil {
			return fn(tx)
		}
		close(parked)
		<-resume
		return fn(lookupTx{tx, s})
	})
}

type lookupTx struct {
	repository.Tx
	s *parkingStore
}

func (t lookupTx) Class(ns, name string) (*cim.Class, error) {
	t.s.mu.Lock()
	t.s.looked = append(t.s.looked, name)
	t.s.mu.Unlock()
	return t.Tx.Class(ns, name)
}

// A reader whose snapshot predates a schema commit must not leave the old
// class in the class cache: the cache generation is read before the read
// transaction opens, so what the reader found is not stored under the
// generation that the commit started.
func TestClassCacheAcrossConcurrentSchemaCommit(t *testing.T) {
	ctx := context.Background()
	bolt, err := repository.OpenBolt(filepath.Join(t.TempDir(), "repository.db"), repository.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	store := &parkingStore{Bolt: bolt}
	om, err := cimom.New(ctx, store, cimom.WithServer("h"))
	if err != nil {
		t.Fatal(err)
	}
	svc := om.Services(`root\cimv2`)
	prop := func(name string) cim.Property { return cim.Property{Name: name, Type: cim.TypeString} }
	key := cim.Property{Name: "K", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}
	if _, err := svc.PutClass(ctx, &cim.Class{Name: "Demo", Properties: []cim.Property{key, prop("A")}}, 0); err != nil {
		t.Fatal(err)
	}
	// Grow the file and free its pages again, so that the commit below
	// reuses pages instead of remapping the file, which would wait for the
	// parked reader.
	if err := bolt.Update(ctx, func(tx repository.Tx) error {
		c, err := tx.Class(`root\cimv2`, "Demo")
		if err != nil {
			return err
		}
		for i := range 2000 {
			inst := c.NewInstance()
			inst.Set("K", cim.String(fmt.Sprint(i)))
			inst.Set("A", cim.String(string(make([]byte, 1000))))
			if err := tx.PutInstance(`root\cimv2`, inst); err != nil {
				return err
			}
		}
		return tx.DeleteClass(`root\cimv2`, "Demo")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutClass(ctx, &cim.Class{Name: "Demo", Properties: []cim.Property{key, prop("A")}}, 0); err != nil {
		t.Fatal(err)
	}

	// ExecQuery's first read checks the namespace; its second looks the
	// FROM class up for the compiler.
	parked, resume := store.arm(1)
	read := make(chan error, 1)
	go func() {
		// The query looks Demo up through the class cache; its first
		// read transaction parks.
		e, err := svc.ExecQuery(ctx, "WQL", "SELECT A FROM Demo", 0)
		if err == nil {
			e.Close()
		}
		read <- err
	}()
	<-parked
	if _, err := svc.PutClass(ctx, &cim.Class{Name: "Demo", Properties: []cim.Property{key, prop("A"), prop("B")}}, 0); err != nil {
		t.Fatal(err)
	}
	close(resume)
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(store.looked) != "[Demo]" {
		t.Fatalf("the parked read looked up %v, not Demo: the test no longer parks the class lookup", store.looked)
	}
	if c := class(t, svc, "Demo"); c.PropertyIndex("B") < 0 {
		t.Fatalf("GetObject Demo after the commit lacks B: %v", c.Properties)
	}
	e, err := svc.ExecQuery(ctx, "WQL", "SELECT B FROM Demo", 0)
	if err != nil {
		t.Fatalf("SELECT B FROM Demo after the commit: %v", err)
	}
	e.Close()
}
