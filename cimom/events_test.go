package cimom_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

const semisync = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY

// stores runs fn over an object manager with the static test classes, on
// the memory store and on bbolt.
func stores(t *testing.T, fn func(t *testing.T, om *cimom.ObjectManager), opts ...cimom.Option) {
	t.Run("memory", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			fn(t, workload.NewObjectManager(&workload.Provider{}, opts...))
		})
	})
	t.Run("bolt", func(t *testing.T) {
		dir := t.TempDir()
		synctest.Test(t, func(t *testing.T) {
			store, err := repository.OpenBolt(filepath.Join(dir, "repository.db"), repository.BoltOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			om, err := cimom.New(t.Context(), store, append([]cimom.Option{cimom.WithServer("testhost")}, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if err := workload.Setup(t.Context(), om.Services(workload.Namespace)); err != nil {
				t.Fatal(err)
			}
			fn(t, om)
		})
	})
}

func subscribe(t *testing.T, svc *wbem.Services, query string) *wbem.Enumerator {
	t.Helper()
	e, err := svc.ExecNotificationQuery(t.Context(), "WQL", query, semisync)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// nextEvent returns the next event, failing when none comes within a
// (bubble) second.
func nextEvent(t *testing.T, e *wbem.Enumerator) *cim.Instance {
	t.Helper()
	buf := make([]cim.Object, 1)
	n, err := e.Next(time.Second, buf)
	if n != 1 {
		t.Fatalf("no event came: Next = %d, %v", n, err)
	}
	if err != nil {
		t.Fatalf("Next = %v", err)
	}
	return buf[0].(*cim.Instance)
}

// noEvent checks that nothing more came.
func noEvent(t *testing.T, e *wbem.Enumerator) {
	t.Helper()
	buf := make([]cim.Object, 1)
	if n, err := e.Next(time.Second, buf); n != 0 || err != wbem.ErrTimedOut {
		t.Fatalf("want no event, got Next = %d, %v (%v)", n, err, buf[0])
	}
}

func target(t *testing.T, ev *cim.Instance, prop string) *cim.Instance {
	t.Helper()
	v := ev.Value(prop)
	if v.Instance() == nil {
		t.Fatalf("%s has no %s: %v", ev.ClassName(), prop, ev)
	}
	return v.Instance()
}

func putEventBase(t *testing.T, svc *wbem.Services, name string, size uint32, flags wbem.Flag) error {
	t.Helper()
	c, err := svc.GetObject(t.Context(), "GW_Base", 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := c.ResultObject(wbem.Infinite)
	inst := obj.(*cim.Class).NewInstance()
	inst.Set("Name", cim.String(name))
	inst.Set("Size", cim.Uint32(size))
	_, err = svc.PutInstance(t.Context(), inst, flags)
	return err
}

// Every intrinsic event of the repository, with its target and previous
// version, in the order of the changes.
func TestRepositoryEvents(t *testing.T) {
	stores(t, func(t *testing.T, om *cimom.ObjectManager) {
		svc := om.Services(workload.Namespace)
		ctx := t.Context()
		inst := subscribe(t, svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'GW_Base'")
		created := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Child'")
		classes := subscribe(t, svc, "SELECT * FROM __ClassOperationEvent")
		nss := subscribe(t, svc, "SELECT * FROM __NamespaceOperationEvent")

		before := time.Now()
		if err := putEventBase(t, svc, "a", 1, 0); err != nil {
			t.Fatal(err)
		}
		ev := nextEvent(t, inst)
		if ev.ClassName() != "__InstanceCreationEvent" || target(t, ev, "TargetInstance").Value("Name").Str() != "a" {
			t.Fatalf("creation: %v", ev)
		}
		// FILETIME: 100 ns since 1601.
		if tc, lo := ev.Value("TIME_CREATED"), uint64(before.UnixNano()/100+116444736000000000); tc.Type() != cim.TypeUint64 || tc.Uint() < lo || tc.Uint() > lo+uint64(time.Second/100) {
			t.Fatalf("TIME_CREATED = %v, want the FILETIME of about %v (%d)", tc, before, lo)
		}
		if !ev.Value("SECURITY_DESCRIPTOR").IsNull() {
			t.Fatalf("SECURITY_DESCRIPTOR = %v, want NULL", ev.Value("SECURITY_DESCRIPTOR"))
		}
		if p := target(t, ev, "TargetInstance").ObjectPath(); p.Namespace != workload.Namespace || p.Server != "testhost" {
			t.Fatalf("TargetInstance path %v, want it located in %s on testhost", p, workload.Namespace)
		}
		if err := putEventBase(t, svc, "a", 2, 0); err != nil {
			t.Fatal(err)
		}
		ev = nextEvent(t, inst)
		if ev.ClassName() != "__InstanceModificationEvent" || target(t, ev, "TargetInstance").Value("Size").Uint() != 2 ||
			target(t, ev, "PreviousInstance").Value("Size").Uint() != 1 {
			t.Fatalf("modification: %v", ev)
		}
		if _, err := svc.DeleteInstance(ctx, `GW_Base.Name="a"`, 0); err != nil {
			t.Fatal(err)
		}
		ev = nextEvent(t, inst)
		if ev.ClassName() != "__InstanceDeletionEvent" || target(t, ev, "TargetInstance").Value("Size").Uint() != 2 {
			t.Fatalf("deletion: %v", ev)
		}
		noEvent(t, created) // no GW_Child so far

		child, err := svc.GetObject(ctx, "GW_Child", 0)
		if err != nil {
			t.Fatal(err)
		}
		obj, _ := child.ResultObject(wbem.Infinite)
		ci := obj.(*cim.Class).NewInstance()
		ci.Set("Name", cim.String("c"))
		if _, err := svc.PutInstance(ctx, ci, 0); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, created); target(t, ev, "TargetInstance").ClassName() != "GW_Child" {
			t.Fatalf("subclass creation: %v", ev)
		}
		if ev := nextEvent(t, inst); ev.ClassName() != "__InstanceCreationEvent" {
			t.Fatalf("a GW_Child is a GW_Base: %v", ev)
		}

		// Classes.
		if _, err := svc.PutClass(ctx, &cim.Class{Name: "GW_New", Properties: []cim.Property{{Name: "K", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}}, 0); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, classes); ev.ClassName() != "__ClassCreationEvent" || ev.Value("TargetClass").Object().ClassName() != "GW_New" {
			t.Fatalf("class creation: %v", ev)
		}
		if _, err := svc.PutClass(ctx, &cim.Class{Name: "GW_New", Qualifiers: cim.Qualifiers{{Name: "Description", Value: cim.String("v2")}},
			Properties: []cim.Property{{Name: "K", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}}}}, 0); err != nil {
			t.Fatal(err)
		}
		ev = nextEvent(t, classes)
		if ev.ClassName() != "__ClassModificationEvent" {
			t.Fatalf("class modification: %v", ev)
		}
		if prev := ev.Value("PreviousClass").Object().(*cim.Class); prev.Qualifiers.Has("Description") {
			t.Fatalf("PreviousClass is the new version: %v", prev)
		}
		if _, err := svc.DeleteClass(ctx, "GW_New", 0); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, classes); ev.ClassName() != "__ClassDeletionEvent" || ev.Value("TargetClass").Object().ClassName() != "GW_New" {
			t.Fatalf("class deletion: %v", ev)
		}

		// Namespaces: an __NAMESPACE instance makes one.
		nsClass := systemClassOf(t, svc, "__NAMESPACE")
		n := nsClass.NewInstance()
		n.Set("Name", cim.String("sub"))
		if _, err := svc.PutInstance(ctx, n, 0); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, nss); ev.ClassName() != "__NamespaceCreationEvent" || target(t, ev, "TargetNamespace").Value("Name").Str() != "sub" {
			t.Fatalf("namespace creation: %v", ev)
		}
		if _, err := svc.DeleteInstance(ctx, `__NAMESPACE.Name="sub"`, 0); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, nss); ev.ClassName() != "__NamespaceDeletionEvent" || target(t, ev, "TargetNamespace").Value("Name").Str() != "sub" {
			t.Fatalf("namespace deletion: %v", ev)
		}
		noEvent(t, inst)
	})
}

func systemClassOf(t *testing.T, svc *wbem.Services, name string) *cim.Class {
	t.Helper()
	c, err := svc.GetObject(t.Context(), name, 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := c.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*cim.Class)
}

// A transaction that rolls back raises nothing: a failed PutInstance, a MOF
// file whose last item fails. One that commits N instances raises N
// events, in the file's order.
func TestEventsOnlyOnCommit(t *testing.T) {
	stores(t, func(t *testing.T, om *cimom.ObjectManager) {
		svc := om.Services(workload.Namespace)
		e := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'")
		if err := putEventBase(t, svc, "x", 1, 0); err != nil {
			t.Fatal(err)
		}
		nextEvent(t, e)
		if err := putEventBase(t, svc, "x", 1, wbem.WBEM_FLAG_CREATE_ONLY); wbem.StatusOf(err) != cim.WBEM_E_ALREADY_EXISTS {
			t.Fatalf("CREATE_ONLY again = %v", err)
		}
		bad := fstest.MapFS{"bad.mof": {Data: []byte(`instance of GW_Base { Name = "m1"; };
instance of GW_Base { Name = "m2"; };
instance of GW_Nope { Name = "m3"; };`)}}
		if _, err := om.CompileMOF(t.Context(), bad, "bad.mof", workload.Namespace); err == nil {
			t.Fatal("a MOF naming an unknown class compiled")
		}
		noEvent(t, e)

		const n = 50
		var mof []byte
		for i := range n {
			mof = fmt.Appendf(mof, "instance of GW_Base { Name = \"n%02d\"; Size = %d; };\n", i, i)
		}
		if _, err := om.CompileMOF(t.Context(), fstest.MapFS{"good.mof": {Data: mof}}, "good.mof", workload.Namespace); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			ev := nextEvent(t, e)
			if got := target(t, ev, "TargetInstance").Value("Name").Str(); got != fmt.Sprintf("n%02d", i) {
				t.Fatalf("event %d is about %s", i, got)
			}
		}
		noEvent(t, e)
	})
}

// A subscription sees what commits after it returned, not before.
func TestEventsAfterSubscribing(t *testing.T) {
	stores(t, func(t *testing.T, om *cimom.ObjectManager) {
		svc := om.Services(workload.Namespace)
		if err := putEventBase(t, svc, "before", 1, 0); err != nil {
			t.Fatal(err)
		}
		e := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'")
		noEvent(t, e)
		if err := putEventBase(t, svc, "after", 1, 0); err != nil {
			t.Fatal(err)
		}
		if got := target(t, nextEvent(t, e), "TargetInstance").Value("Name").Str(); got != "after" {
			t.Fatalf("first event is about %s, want after", got)
		}
	})
}

// Concurrent writers of one instance: each modification event's
// PreviousInstance is the TargetInstance of the one before, which holds
// only when events come in commit order (bbolt shares commits among
// concurrent PutInstance calls, so this also runs its batches).
func TestEventsInCommitOrder(t *testing.T) {
	stores(t, func(t *testing.T, om *cimom.ObjectManager) {
		svc := om.Services(workload.Namespace)
		if err := putEventBase(t, svc, "k", 0, 0); err != nil {
			t.Fatal(err)
		}
		e := subscribe(t, svc, "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'GW_Base'")
		const writers, each = 8, 25
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if err := putEventBase(t, svc, "k", uint32(1+w*each+i), 0); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		prev := uint64(0)
		seen := map[uint64]bool{}
		for range writers * each {
			ev := nextEvent(t, e)
			was := target(t, ev, "PreviousInstance").Value("Size").Uint()
			now := target(t, ev, "TargetInstance").Value("Size").Uint()
			if was != prev {
				t.Fatalf("event %d→%d follows an event that left %d: not in commit order", was, now, prev)
			}
			if seen[now] {
				t.Fatalf("value %d reported twice", now)
			}
			seen[now] = true
			prev = now
		}
		noEvent(t, e)
	})
}

// WHERE on TargetInstance and PreviousInstance, and the SELECT list.
func TestEventWhereAndSelect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := workload.NewObjectManager(&workload.Provider{}).Services(workload.Namespace)
		grew := subscribe(t, svc, "SELECT TargetInstance FROM __InstanceModificationEvent WHERE TargetInstance ISA 'GW_Base' AND TargetInstance.Size > 5 AND PreviousInstance.Size <= 5")
		named := subscribe(t, svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'GW_Base' AND TargetInstance.Name LIKE 'w%'")
		for _, step := range []struct {
			name string
			size uint32
		}{{"a", 1}, {"a", 9}, {"a", 10}, {"a", 3}, {"a", 7}, {"wx", 1}} {
			if err := putEventBase(t, svc, step.name, step.size, 0); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []uint64{9, 7} {
			ev := nextEvent(t, grew)
			if got := target(t, ev, "TargetInstance").Value("Size").Uint(); got != want {
				t.Fatalf("grew past 5 to %d, want %d", got, want)
			}
			if _, err := ev.Get("PreviousInstance"); err == nil {
				t.Fatalf("SELECT TargetInstance delivered PreviousInstance too: %v", ev)
			}
			if ev.ClassName() != "__InstanceModificationEvent" {
				t.Fatalf("projected event has class %s", ev.ClassName())
			}
		}
		noEvent(t, grew)
		if ev := nextEvent(t, named); target(t, ev, "TargetInstance").Value("Name").Str() != "wx" {
			t.Fatalf("LIKE 'w%%' let through %v", ev)
		}
		noEvent(t, named)
	})
}

// A consumer that does not read loses the oldest events past the
// subscription's queue and then gets one __EventQueueOverflowEvent telling
// how many; memory stays bounded and the writer is never held up.
func TestEventQueueOverflow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const queue, stream, total = 8, 4, 500
		om := workload.NewObjectManager(&workload.Provider{}, cimom.WithEventQueueSize(queue))
		svc := wbem.NewServices(om, workload.Namespace, wbem.WithQueueSize(stream))
		e := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'")
		for i := range total {
			if err := putEventBase(t, svc, fmt.Sprintf("i%03d", i), uint32(i), 0); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		var got []string
		lost := uint64(0)
		buf := make([]cim.Object, 64)
		for {
			n, err := e.Next(time.Second, buf)
			for _, obj := range buf[:n] {
				ev := obj.(*cim.Instance)
				if ev.ClassName() == "__EventQueueOverflowEvent" {
					if lost != 0 {
						t.Fatal("two overflow notices for one overflow")
					}
					lost = ev.Value("NumberOfEvents").Uint()
					if first := target(t, ev, "Event"); first.ClassName() != "__InstanceCreationEvent" {
						t.Fatalf("the notice's Event is %v", first)
					}
					got = append(got, "overflow")
					continue
				}
				got = append(got, target(t, ev, "TargetInstance").Value("Name").Str())
			}
			if err == wbem.ErrTimedOut {
				break
			}
		}
		delivered := len(got) - 1
		if lost == 0 || uint64(delivered)+lost != total {
			t.Fatalf("%d delivered + %d lost != %d put", delivered, lost, total)
		}
		// The stream's queue, the subscription's, and at most one queue's
		// worth the delivery goroutine took out of it: bounded.
		if delivered > 2*queue+stream {
			t.Fatalf("%d events were kept for a consumer that did not read; the bound is %d", delivered, 2*queue+stream)
		}
		// The newest events survive, in order.
		if got[len(got)-1] != fmt.Sprintf("i%03d", total-1) {
			t.Fatalf("the last event is about %s, want the last instance put", got[len(got)-1])
		}
	})
}

// The overflow notice counts what the consumer lost, not how late the
// engine's delivery goroutine ran: with that goroutine held back until the
// queues are full and then let go while events still pour in, a consumer
// that never read gets one notice and the newest events, the consumer's
// queue and the subscription's worth. (Before the producers wrote to the
// consumer's queue themselves, a late delivery goroutine lost events while
// that queue was empty, and its first notice went out in the middle of the
// overflow: two notices, the flakiness of TestEventQueueOverflow.)
func TestEventQueueOverflowLateDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const queue, stream, total = 8, 4, 200
		om := workload.NewObjectManager(&workload.Provider{}, cimom.WithEventQueueSize(queue))
		late := &lateDelivery{Backend: om, release: make(chan struct{})}
		svc := wbem.NewServices(late, workload.Namespace, wbem.WithQueueSize(stream))
		e := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'")
		for i := range total {
			if i == 2*(queue+stream) {
				synctest.Wait()
				close(late.release)
			}
			if err := putEventBase(t, svc, fmt.Sprintf("i%03d", i), uint32(i), 0); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		var got []string
		buf := make([]cim.Object, 1)
		for {
			n, err := e.Next(time.Second, buf)
			if n == 1 {
				ev := buf[0].(*cim.Instance)
				if ev.ClassName() == "__EventQueueOverflowEvent" {
					got = append(got, fmt.Sprintf("lost %d", ev.Value("NumberOfEvents").Uint()))
				} else {
					got = append(got, target(t, ev, "TargetInstance").Value("Name").Str())
				}
			}
			if err == wbem.ErrTimedOut {
				break
			}
		}
		// The first events filled the consumer's queue, the next ones the
		// subscription's, which then kept the newest.
		want := []string{"i000", "i001", "i002", "i003", fmt.Sprintf("lost %d", total-queue-stream)}
		for i := total - queue; i < total; i++ {
			want = append(want, fmt.Sprintf("i%03d", i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("a consumer that never read got\n%v\nwant\n%v", got, want)
		}
	})
}

// A backend's own caller may give ExecNotificationQuery a ResultWriter
// that cannot tell whether it has room (not a wbem.RoomWriter). Its losses
// too depend on how far its Write has got, not on when the engine's
// delivering goroutine runs: whether that goroutine was already writing the
// first event when the burst came (early) or ran only after it (late), a
// writer blocked in its first Write gets that event, one overflow notice
// for everything lost after it, and the newest events the subscription's
// queue kept, in order. (The old delivery goroutine took the first event
// only if it ran before the burst: late, it lost it too — "lost 200"
// instead of "i000, lost 199".)
func TestEventQueueOverflowCustomWriter(t *testing.T) {
	const queue, total = 8, 208
	want := []string{"i000", fmt.Sprintf("lost %d", total-1-queue)}
	for i := total - queue; i < total; i++ {
		want = append(want, fmt.Sprintf("i%03d", i))
	}
	for _, late := range []bool{false, true} {
		t.Run(fmt.Sprintf("late=%v", late), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				om := workload.NewObjectManager(&workload.Provider{}, cimom.WithEventQueueSize(queue))
				svc := om.Services(workload.Namespace)
				w := &gateWriter{subscribed: make(chan struct{}), gate: make(chan struct{}), hold: make(chan struct{})}
				if !late {
					close(w.hold)
				}
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() {
					done <- om.Do(ctx, &wbem.Op{Kind: wbem.OpExecNotificationQuery, Namespace: workload.Namespace, Language: "WQL",
						Query: "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", Flags: semisync}, w)
				}()
				<-w.subscribed
				for i := range total {
					if err := putEventBase(t, svc, fmt.Sprintf("i%03d", i), uint32(i), 0); err != nil {
						t.Fatal(err)
					}
					if i == 0 {
						synctest.Wait() // early: the writer is in Write(i000) now
					}
				}
				synctest.Wait()
				if late {
					close(w.hold)
					synctest.Wait()
				}
				close(w.gate) // the consumer reads from now on
				synctest.Wait()
				cancel()
				if err := <-done; err != context.Canceled {
					t.Fatalf("the subscription ended with %v", err)
				}
				if !slices.Equal(w.got, want) {
					t.Fatalf("a consumer that did not read got\n%v\nwant\n%v", w.got, want)
				}
			})
		})
	}
}

// gateWriter is a backend caller's ResultWriter, not a wbem.RoomWriter: its
// Write waits until gate is closed. Subscribed waits for hold.
type gateWriter struct {
	subscribed, gate, hold chan struct{}
	got                    []string
}

func (w *gateWriter) Subscribed() {
	close(w.subscribed)
	<-w.hold
}

func (w *gateWriter) Write(obj cim.Object) error {
	<-w.gate
	ev := obj.(*cim.Instance)
	if ev.ClassName() == "__EventQueueOverflowEvent" {
		w.got = append(w.got, fmt.Sprintf("lost %d", ev.Value("NumberOfEvents").Uint()))
		return nil
	}
	w.got = append(w.got, ev.Value("TargetInstance").Instance().Value("Name").Str())
	return nil
}

func (w *gateWriter) SetResultString(string) {}
func (w *gateWriter) Progress(int, int)      {}

// GROUP WITHIN … BY holds at most cimom.MaxEventGroups groups open: an
// event that would open one more is dropped, and the subscriber gets one
// __EventDroppedEvent saying how many, with the first of them, before the
// aggregates of the groups that stayed open.
func TestAggregateGroupsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const extra = 5
		om := workload.NewObjectManager(&workload.Provider{}, cimom.WithEventQueueSize(2*cimom.MaxEventGroups))
		svc := wbem.NewServices(om, workload.Namespace, wbem.WithQueueSize(2*cimom.MaxEventGroups))
		e := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base' GROUP WITHIN 10 BY TargetInstance.Name")
		var mof []byte
		for i := range cimom.MaxEventGroups + extra {
			mof = fmt.Appendf(mof, "instance of GW_Base { Name = \"g%05d\"; };\n", i)
		}
		if _, err := om.CompileMOF(t.Context(), fstest.MapFS{"m.mof": {Data: mof}}, "m.mof", workload.Namespace); err != nil {
			t.Fatal(err)
		}
		time.Sleep(11 * time.Second)
		synctest.Wait()
		buf := make([]cim.Object, cimom.MaxEventGroups+2)
		n, err := e.Next(time.Second, buf)
		if err != wbem.ErrTimedOut || n != cimom.MaxEventGroups+1 {
			t.Fatalf("Next = %d, %v; want %d objects, then no more", n, err, cimom.MaxEventGroups+1)
		}
		notice := buf[0].(*cim.Instance)
		if notice.ClassName() != "__EventDroppedEvent" || notice.Value("NumberOfEvents").Uint() != extra {
			t.Fatalf("first object %v, want an __EventDroppedEvent of %d events", notice, extra)
		}
		if name := target(t, target(t, notice, "Event"), "TargetInstance").Value("Name").Str(); name != fmt.Sprintf("g%05d", cimom.MaxEventGroups) {
			t.Fatalf("the first dropped event is about %s", name)
		}
		for _, obj := range buf[1:n] {
			if agg := obj.(*cim.Instance); agg.ClassName() != "__AggregateEvent" || agg.Value("NumberOfEvents").Uint() != 1 {
				t.Fatalf("%v, want an aggregate of one event", agg)
			}
		}
	})
}

// lateDelivery holds back the goroutine that delivers an event query's
// events: once subscribed, it waits for release.
type lateDelivery struct {
	wbem.Backend
	release chan struct{}
}

func (b *lateDelivery) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if op.Kind == wbem.OpExecNotificationQuery {
		w = &heldWriter{RoomWriter: w.(wbem.RoomWriter), release: b.release}
	}
	return b.Backend.Do(ctx, op, w)
}

type heldWriter struct {
	wbem.RoomWriter
	release chan struct{}
}

func (w *heldWriter) Subscribed() {
	w.RoomWriter.(wbem.Subscriber).Subscribed()
	<-w.release
}

// The async form: Indicate per event until CancelAsyncCall, then one
// SetStatus with WBEM_E_CALL_CANCELLED; a bad query fails the call and
// leaves the sink alone.
func TestEventsAsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := workload.NewObjectManager(&workload.Provider{}).Services(workload.Namespace)
		bad := &eventSink{}
		err := svc.ExecNotificationQueryAsync(t.Context(), "WQL", "SELECT * FROM GW_Base", 0, bad)
		if wbem.StatusOf(err) != cim.WBEM_E_NOT_EVENT_CLASS {
			t.Fatalf("async with a data class = %v", err)
		}
		s := &eventSink{}
		if err := svc.ExecNotificationQueryAsync(t.Context(), "WQL", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", 0, s); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := putEventBase(t, svc, fmt.Sprint(i), 0, 0); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		s.mu.Lock()
		if len(s.events) != 3 || len(s.statuses) != 0 {
			t.Fatalf("sink got %d events and %d statuses, want 3 and none", len(s.events), len(s.statuses))
		}
		s.mu.Unlock()
		if err := svc.CancelAsyncCall(s); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if len(s.statuses) != 1 || wbem.StatusOf(s.statuses[0].Err) != cim.WBEM_E_CALL_CANCELLED {
			t.Fatalf("statuses after cancel: %v", s.statuses)
		}
		if len(bad.events)+len(bad.statuses) != 0 {
			t.Fatal("the sink of a failed call was used")
		}
	})
}

type eventSink struct {
	mu       sync.Mutex
	events   []cim.Object
	statuses []wbem.SinkStatus
}

func (s *eventSink) Indicate(objs []cim.Object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, objs...)
	return nil
}

func (s *eventSink) SetStatus(st wbem.SinkStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
}

// Only events the subscription takes can be lost to its queue, so the
// overflow notice counts those: its WHERE clause runs before the queue,
// and the events it leaves out, however many come while the queue is
// full, are neither queued nor counted.
func TestEventQueueOverflowCountsOnlyMatching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const queue, stream, total = 8, 4, 300
		om := workload.NewObjectManager(&workload.Provider{}, cimom.WithEventQueueSize(queue))
		svc := wbem.NewServices(om, workload.Namespace, wbem.WithQueueSize(stream))
		e := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base' AND TargetInstance.Size < 100")
		matching := 0
		for i := range total {
			size := uint32(1000 + i) // left out by the WHERE clause
			if i%3 == 0 {
				size, matching = uint32(i%100), matching+1
			}
			if err := putEventBase(t, svc, fmt.Sprintf("i%03d", i), size, 0); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		delivered, lost := 0, uint64(0)
		buf := make([]cim.Object, 64)
		for {
			n, err := e.Next(time.Second, buf)
			for _, obj := range buf[:n] {
				ev := obj.(*cim.Instance)
				if ev.ClassName() == "__EventQueueOverflowEvent" {
					lost += ev.Value("NumberOfEvents").Uint()
					if first := target(t, ev, "Event"); first.Value("Size").Uint() >= 100 {
						t.Fatalf("the notice names an event the query leaves out: %v", first)
					}
					continue
				}
				if size := target(t, ev, "TargetInstance").Value("Size").Uint(); size >= 100 {
					t.Fatalf("delivered an event the query leaves out: Size %d", size)
				}
				delivered++
			}
			if err == wbem.ErrTimedOut {
				break
			}
		}
		if lost == 0 || uint64(delivered)+lost != uint64(matching) {
			t.Fatalf("%d delivered + %d lost, want the %d events the query takes (of %d put)", delivered, lost, matching, total)
		}
	})
}
