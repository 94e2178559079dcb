//go:build linux

package providerhost

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/provider/plugin"
	"github.com/gowbem/gowbem/wbem"
)

// watcher is the child's provider of T_Watched and its subclass
// T_WatchedSub: it keeps their instances and raises the intrinsic events of
// their changes, which its static method T_Watched.Change makes (Kind
// create, modify or delete; Sub for an instance of T_WatchedSub) or, for
// Kind crash, kills the process.
type watcher struct {
	mu    sync.Mutex
	items map[uint32]*cim.Instance
	sinks map[*eventSub]bool
}

func newWatcher() *watcher {
	return &watcher{items: map[uint32]*cim.Instance{}, sinks: map[*eventSub]bool{}}
}

func (w *watcher) ProvidesInstanceEvents(class *cim.Class) bool { return class.IsA("T_Watched") }

func (w *watcher) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	if req.Target == nil {
		return cim.Errorf(cim.WBEM_E_PROVIDER_NOT_CAPABLE, "the watcher raises instance events only")
	}
	if strings.Contains(req.Query, "burst") && cim.EqualFold(req.Target.Name, "T_Watched") {
		// More than the provider process queues before the daemon takes
		// any (the stream sends once this returns): the newest are lost.
		// (Only into the call for T_Watched itself: the subscription makes
		// another for T_WatchedSub.)
		for i := range plugin.MaxQueuedEvents + 7 {
			inst := req.Target.NewInstance()
			inst.Set("Id", cim.Uint32(uint32(i)))
			inst.Set("Name", cim.String("burst"))
			if err := sink.InstanceCreated(inst); err != nil {
				return err
			}
		}
	}
	s := &eventSub{req: req, sink: sink}
	w.mu.Lock()
	w.sinks[s] = true
	w.mu.Unlock()
	context.AfterFunc(ctx, func() {
		w.mu.Lock()
		delete(w.sinks, s)
		w.mu.Unlock()
	})
	return nil
}

func (w *watcher) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	w.mu.Lock()
	var all []*cim.Instance
	for _, inst := range w.items {
		if cim.EqualFold(inst.ClassName(), class.Name) {
			all = append(all, inst)
		}
	}
	w.mu.Unlock()
	for _, inst := range all {
		if err := out.Emit(inst); err != nil {
			return err
		}
	}
	return nil
}

func (w *watcher) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no")
}

func (w *watcher) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	in := call.In
	id := uint32(in.Value("Id").Uint())
	w.mu.Lock()
	defer w.mu.Unlock()
	prev := w.items[id]
	var inst *cim.Instance
	kind := in.Value("Kind").Str()
	if kind == "create" || kind == "modify" {
		name := "T_Watched"
		if in.Value("Sub").Bool() {
			name = "T_WatchedSub"
		}
		var class *cim.Class
		for s := range w.sinks {
			if cim.EqualFold(s.req.Target.Name, name) {
				class = s.req.Target
			}
		}
		if class == nil {
			return nil, cim.Errorf(cim.WBEM_E_FAILED, "nobody watches %s", name)
		}
		inst = class.NewInstance()
		inst.Set("Id", cim.Uint32(id))
		inst.Set("Name", in.Value("Name"))
		if name == "T_WatchedSub" {
			inst.Set("Extra", cim.Sint64(-7))
		}
		w.items[id] = inst
	}
	for s := range w.sinks {
		var err error
		switch x := inst; {
		case kind == "create" && cim.EqualFold(s.req.Target.Name, x.ClassName()):
			err = s.sink.InstanceCreated(x)
		case kind == "modify" && cim.EqualFold(s.req.Target.Name, x.ClassName()):
			err = s.sink.InstanceModified(prev, x)
		case kind == "delete" && prev != nil && cim.EqualFold(s.req.Target.Name, prev.ClassName()):
			err = s.sink.InstanceDeleted(prev)
		case kind == "crash":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		if err != nil {
			return nil, err
		}
	}
	if kind == "delete" {
		delete(w.items, id)
	}
	out := call.Out.NewInstance()
	out.Set("ReturnValue", cim.Uint32(uint32(len(w.sinks))))
	return out, nil
}

// watcherMOF registers the test binary as provider Watcher of T_Watched and
// T_WatchedSub; queries is its EventQueryList.
func watcherMOF(t testing.TB, queries string) string {
	user := ""
	if u := testUser(); u != "" {
		user = `User = "` + u + `";`
	}
	return watcherClassesMOF(`instance of __Win32Provider as $W {
	Name = "Watcher";
	CommandLine = "`+strings.Join(self(t), " ")+`";
	OperationTimeoutInterval = "00000000000010.000000:000";
	`+user+`
};`, queries)
}

// watcherClassesMOF is watcherMOF with prov, the __Win32Provider instance $W.
func watcherClassesMOF(prov, queries string) string {
	return `
[Dynamic, Provider("Watcher")] class T_Watched {
	[Key] uint32 Id;
	string Name;
	[Static, Implemented] uint32 Change([In] string Kind, [In] uint32 Id, [In] string Name, [In] boolean Sub);
};
[Dynamic, Provider("Watcher")] class T_WatchedSub : T_Watched { sint64 Extra; };
` + prov + `
instance of __InstanceProviderRegistration { Provider = $W; SupportsGet = true; SupportsEnumeration = true; };
instance of __MethodProviderRegistration { Provider = $W; };
instance of __EventProviderRegistration { Provider = $W; EventQueryList = {` + queries + `}; };
`
}

const watchAll = `"SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'T_Watched'"`

// watcherOM is registryOM with mof compiled into it.
func watcherOM(t testing.TB, mof string) *cimom.ObjectManager {
	om := registryOM(t)
	compile(t, om, mof)
	return om
}

// change calls T_Watched.Change and returns how many subscriptions the
// provider serves.
func change(t testing.TB, svc *wbem.Services, kind string, id uint32, name string, sub bool) (uint64, error) {
	t.Helper()
	class, err := svc.GetObject(t.Context(), "T_Watched", 0)
	if err != nil {
		return 0, err
	}
	c, err := class.ResultObject(wbem.Infinite)
	if err != nil {
		return 0, err
	}
	m, _ := c.(*cim.Class).Method("Change")
	inClass, _ := m.ParameterClasses()
	in := inClass.NewInstance()
	in.Set("Kind", cim.String(kind))
	in.Set("Id", cim.Uint32(id))
	in.Set("Name", cim.String(name))
	in.Set("Sub", cim.Bool(sub))
	r, err := svc.ExecMethod(t.Context(), "T_Watched", "Change", in, 0)
	if err != nil {
		return 0, err
	}
	out, err := r.ResultObject(wbem.Infinite)
	if err != nil {
		return 0, err
	}
	return out.(*cim.Instance).Value("ReturnValue").Uint(), nil
}

// target returns an intrinsic event's TargetInstance (or another embedded
// instance) as "Class Id Name".
func embedded(t testing.TB, ev *cim.Instance, prop string) *cim.Instance {
	t.Helper()
	inst, ok := ev.Value(prop).Object().(*cim.Instance)
	if !ok || inst == nil {
		t.Fatalf("%s has no %s: %v", ev.ClassName(), prop, ev)
	}
	return inst
}

func describe(inst *cim.Instance) string {
	return inst.ClassName() + " " + inst.Value("Id").String() + " " + inst.Value("Name").Str()
}

// An out-of-process provider registered for the instance events of its
// classes (EventQueryList: __InstanceOperationEvent WHERE TargetInstance
// ISA 'T_Watched') raises them as a linked-in provider does: subscribers
// need no WITHIN, nothing is polled, and they receive
// __InstanceCreationEvent, __InstanceModificationEvent (with
// PreviousInstance) and __InstanceDeletionEvent whose TargetInstance is the
// provider's instance, typed by the repository's class (a subclass's too),
// filtered by their WHERE clause; a caller without the right to the
// namespace cannot subscribe, one with it can.
func TestInstanceEventsAcrossTheBoundary(t *testing.T) {
	om := watcherOM(t, watcherMOF(t, watchAll))
	svc := om.Services(`root\cimv2`)
	created, err := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Watched'")
	if err != nil {
		t.Fatal(err)
	}
	defer created.Close()
	modified, err := subscribe(t, svc, "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'T_Watched' AND TargetInstance.Name <> 'skip'")
	if err != nil {
		t.Fatal(err)
	}
	defer modified.Close()
	deleted, err := subscribe(t, svc, "SELECT * FROM __InstanceDeletionEvent WHERE TargetInstance ISA 'T_WatchedSub'")
	if err != nil {
		t.Fatal(err)
	}
	defer deleted.Close()

	// Access: bob has no right on root\cimv2, carol has Enable.
	acl := identity.ACL{{Rights: identity.Enable, Trustee: identity.Trustee{Name: "carol"}}}
	if err := om.SetACL(context.Background(), `root\cimv2`, acl); err != nil {
		t.Fatal(err)
	}
	const query = "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Watched'"
	_, err = svc.ExecNotificationQuery(identity.NewContext(t.Context(), &identity.Caller{Name: "bob"}), "WQL", query, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	wantStatus(t, err, cim.WBEM_E_ACCESS_DENIED, "bob")
	carol, err := svc.ExecNotificationQuery(identity.NewContext(t.Context(), &identity.Caller{Name: "carol"}), "WQL", query, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer carol.Close()

	steps := []struct {
		kind, name string
		id         uint32
		sub        bool
	}{
		{"create", "a", 1, false},
		{"modify", "skip", 1, false},
		{"modify", "b", 1, false},
		{"create", "s", 2, true},
		{"modify", "t", 2, true},
		{"delete", "", 2, true},
		{"delete", "", 1, false},
	}
	for _, s := range steps {
		if _, err := change(t, svc, s.kind, s.id, s.name, s.sub); err != nil {
			t.Fatalf("%s %d: %v", s.kind, s.id, err)
		}
	}
	for _, c := range []struct {
		name string
		e    *wbem.Enumerator
		want []string // event class, TargetInstance, PreviousInstance
	}{
		{"created", created, []string{"__InstanceCreationEvent T_Watched 1 a", "__InstanceCreationEvent T_WatchedSub 2 s"}},
		{"carol's", carol, []string{"__InstanceCreationEvent T_Watched 1 a", "__InstanceCreationEvent T_WatchedSub 2 s"}},
		{"modified", modified, []string{"__InstanceModificationEvent T_Watched 1 b T_Watched 1 skip", "__InstanceModificationEvent T_WatchedSub 2 t T_WatchedSub 2 s"}},
		{"deleted", deleted, []string{"__InstanceDeletionEvent T_WatchedSub 2 t"}},
	} {
		for i, want := range c.want {
			ev, err := next(t, c.e)
			if err != nil {
				t.Fatalf("%s event %d: %v", c.name, i, err)
			}
			target := embedded(t, ev, "TargetInstance")
			got := ev.ClassName() + " " + describe(target)
			if ev.Class().IsA("__InstanceModificationEvent") {
				got += " " + describe(embedded(t, ev, "PreviousInstance"))
			}
			if got != want {
				t.Errorf("%s event %d: %s, want %s", c.name, i, got, want)
			}
			if ev.Value("TIME_CREATED").IsNull() {
				t.Errorf("%s event %d has no TIME_CREATED", c.name, i)
			}
			if target.ClassName() == "T_WatchedSub" {
				if v := target.Value("Extra"); v.Type() != cim.TypeSint64 || v.Int() != -7 {
					t.Errorf("%s event %d: the subclass's property came as %v (%v)", c.name, i, v, v.Type())
				}
			}
		}
	}
}

// Without the registration of its instance events, a provider's classes
// are polled as before: a subscription without WITHIN is refused, one with
// it is served by polling.
func TestInstanceEventsNeedTheRegistration(t *testing.T) {
	svc := watcherOM(t, watcherMOF(t, `"SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Other'"`)).Services(`root\cimv2`)
	_, err := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Watched'")
	wantStatus(t, err, cim.WBEMESS_E_REGISTRATION_TOO_PRECISE, "WITHIN")
	e, err := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WITHIN 1 WHERE TargetInstance ISA 'T_Watched'")
	if err != nil {
		t.Fatal(err)
	}
	e.Close()

	// A registration whose intrinsic query names no class is refused.
	svc = watcherOM(t, watcherMOF(t, `"SELECT * FROM __InstanceCreationEvent"`)).Services(`root\cimv2`)
	_, err = subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Watched'")
	wantStatus(t, err, cim.WBEM_E_INVALID_PARAMETER, "EventQueryList", "TargetInstance ISA")
}

// A provider that dies while it raises instance events ends only its
// subscriptions, with WBEM_E_PROVIDER_FAILURE naming it: another
// provider's subscription goes on, and the next subscription starts the
// provider again.
func TestInstanceEventProviderCrash(t *testing.T) {
	om := watcherOM(t, watcherMOF(t, watchAll)+eventsMOF(t, "Events", true))
	svc := om.Services(`root\cimv2`)
	other, err := subscribe(t, svc, "SELECT * FROM T_Event")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	e, err := subscribe(t, svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'T_Watched'")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := change(t, svc, "create", 1, "a", false); err != nil {
		t.Fatal(err)
	}
	if ev, err := next(t, e); err != nil || describe(embedded(t, ev, "TargetInstance")) != "T_Watched 1 a" {
		t.Fatalf("before the crash: %v, %v", ev, err)
	}
	_, err = change(t, svc, "crash", 0, "", false)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Watcher"`)
	_, err = next(t, e)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Watcher"`)
	e.Close()

	// The other provider's subscription is untouched.
	if _, err := raise(t, svc, "Raise", map[string]cim.Value{"Text": cim.String("still"), "Count": cim.Uint32(1)}); err != nil {
		t.Fatal(err)
	}
	if ev, err := next(t, other); err != nil || ev.Value("Text").Str() != "still" {
		t.Fatalf("the other provider's subscription: %v, %v", ev, err)
	}

	e, err = subscribe(t, svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'T_Watched'")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := change(t, svc, "create", 3, "again", false); err != nil {
		t.Fatal(err)
	}
	if ev, err := next(t, e); err != nil || ev.ClassName() != "__InstanceCreationEvent" || describe(embedded(t, ev, "TargetInstance")) != "T_Watched 3 again" {
		t.Fatalf("after the restart: %v, %v", ev, err)
	}
}

// recordSink is an object manager's sink that keeps what it is given.
type recordSink struct {
	got   []string
	ended bool
}

func (s *recordSink) Indicate(ev *cim.Instance) error { return nil }
func (s *recordSink) record(what string, insts ...*cim.Instance) error {
	for _, i := range insts {
		what += " " + describe(i)
	}
	s.got = append(s.got, what)
	if s.ended {
		return errSinkEnded
	}
	return nil
}
func (s *recordSink) InstanceCreated(i *cim.Instance) error { return s.record("created", i) }
func (s *recordSink) InstanceDeleted(i *cim.Instance) error { return s.record("deleted", i) }
func (s *recordSink) InstanceModified(p, i *cim.Instance) error {
	return s.record("modified", p, i)
}
func (s *recordSink) Fail(error) {}

var errSinkEnded = cim.Errorf(cim.WBEM_E_CALL_CANCELLED, "ended")

// What a provider process sends as an instance event is checked as an
// event is: its instances decoded with the repository's classes (the
// target or a subclass the namespace has, never a definition the provider
// sends), a kind it knows, the previous instance of a modification; any
// other message fails the subscription with WBEM_E_PROVIDER_FAILURE naming
// the provider, and one the sink refuses (the subscription ended) ends the
// stream.
func TestInstanceEventMessages(t *testing.T) {
	target, sub, other := watchedClasses()
	req := &provider.EventRequest{Class: target, Target: target, Lookup: lookupIn(sub, other)}
	x := newHost(t, Config{}).Proxy(&Registration{Name: "Watcher", Events: true})
	inst := watchedInstance
	lying := inst("", 1, "a")
	lying.Class = &providerwire.Class{Name: "T_Watched", Properties: []*providerwire.Property{{Name: "Id", Type: uint32(cim.TypeString)}}}
	for _, tc := range []struct {
		name    string
		m       *providerwire.InstanceEvent
		extrins bool
		ended   bool
		want    string // what the sink got, or the failure's words
	}{
		{name: "created", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED, Instance: inst("", 1, "a")}, want: "created T_Watched 1 a"},
		{name: "the repository's class, not the provider's", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED, Instance: lying}, want: "created T_Watched 1 a"},
		{name: "modified", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_MODIFIED, Instance: inst("", 1, "b"), Previous: inst("", 1, "a")}, want: "modified T_Watched 1 a T_Watched 1 b"},
		{name: "a subclass", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_DELETED, Instance: inst("T_WatchedSub", 2, "s")}, want: "deleted T_WatchedSub 2 s"},
		{name: "the subscription ended", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED, Instance: inst("", 1, "a")}, ended: true, want: "created T_Watched 1 a"},
		{name: "no kind", m: &providerwire.InstanceEvent{Instance: inst("", 1, "a")}, want: "kind 0"},
		{name: "no previous", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_MODIFIED, Instance: inst("", 1, "a")}, want: "without the previous"},
		{name: "no instance", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED}, want: "without its instance"},
		{name: "another class", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED, Instance: inst("T_Other", 1, "")}, want: "not a T_Watched"},
		{name: "an unknown class", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED, Instance: inst("T_Nothing", 1, "")}, want: "not a T_Watched"},
		{name: "a bad value", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED, Instance: &providerwire.Instance{Properties: []*providerwire.PropertyValue{
			{Name: "Id", Value: &providerwire.Value{Kind: &providerwire.Value_Text{Text: "x"}}}}}}, want: "bad instance"},
		{name: "on an extrinsic subscription", m: &providerwire.InstanceEvent{Kind: providerwire.InstanceEvent_CREATED, Instance: inst("", 1, "a")}, extrins: true, want: "extrinsic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &recordSink{ended: tc.ended}
			r := *req
			if tc.extrins {
				r.Target = nil
			}
			ended, err := x.instanceEvent(tc.m, &r, sink)
			if len(sink.got) > 0 {
				if err != nil || ended != tc.ended || sink.got[0] != tc.want {
					t.Errorf("sink got %q, ended %v, err %v; want %q, ended %v", sink.got, ended, err, tc.want, tc.ended)
				}
				return
			}
			wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, tc.want, "Watcher")
		})
	}
}

// The first intrinsic event a provider process lost (in its notice) is made
// as the object manager makes those it delivers: the repository's event
// class and the instances' classes, TargetInstance, PreviousInstance for a
// modification, TIME_CREATED the provider's (now when it sent none). One
// that is not an event of the subscription about its target is left out
// (the count stands).
func TestLostInstanceEvents(t *testing.T) {
	target, sub, other := watchedClasses()
	op, _ := cim.Derive(nil, &cim.Class{Name: "__InstanceOperationEvent", Properties: []cim.Property{
		{Name: "TIME_CREATED", Type: cim.TypeUint64}, {Name: "TargetInstance", Type: cim.TypeObject}}})
	created, _ := cim.Derive(op, &cim.Class{Name: "__InstanceCreationEvent", Superclass: "__InstanceOperationEvent"})
	deleted, _ := cim.Derive(op, &cim.Class{Name: "__InstanceDeletionEvent", Superclass: "__InstanceOperationEvent"})
	modified, _ := cim.Derive(op, &cim.Class{Name: "__InstanceModificationEvent", Superclass: "__InstanceOperationEvent", Properties: []cim.Property{
		{Name: "PreviousInstance", Type: cim.TypeObject}}})
	lookup := lookupIn(target, sub, other, op, created, deleted, modified)
	x := newHost(t, Config{}).Proxy(&Registration{Name: "Watcher", Events: true})
	inst := watchedInstance
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	lost := func(kind providerwire.InstanceEvent_Kind, i, prev *providerwire.Instance) *providerwire.Instance {
		return providerwire.LostInstanceEvent(&providerwire.InstanceEvent{Kind: kind, Instance: i, Previous: prev}, at)
	}
	noTime := lost(providerwire.InstanceEvent_CREATED, inst("", 1, "a"), nil)
	noTime.Properties = noTime.Properties[1:]
	for _, tc := range []struct {
		name       string
		subscribed *cim.Class
		m          *providerwire.Instance
		want       string // class, target, previous; "" for left out
	}{
		{"created", op, lost(providerwire.InstanceEvent_CREATED, inst("", 1, "a"), nil), "__InstanceCreationEvent T_Watched 1 a"},
		{"modified, a subclass", op, lost(providerwire.InstanceEvent_MODIFIED, inst("T_WatchedSub", 2, "b"), inst("T_WatchedSub", 2, "a")), "__InstanceModificationEvent T_WatchedSub 2 b T_WatchedSub 2 a"},
		{"deleted", deleted, lost(providerwire.InstanceEvent_DELETED, inst("", 3, "c"), nil), "__InstanceDeletionEvent T_Watched 3 c"},
		{"no TIME_CREATED", created, noTime, "__InstanceCreationEvent T_Watched 1 a"},
		{"not the class subscribed to", created, lost(providerwire.InstanceEvent_DELETED, inst("", 3, "c"), nil), ""},
		{"a modification without its previous", op, lost(providerwire.InstanceEvent_MODIFIED, inst("", 2, "b"), nil), ""},
		{"without its instance", op, lost(providerwire.InstanceEvent_CREATED, nil, nil), ""},
		{"another class", op, lost(providerwire.InstanceEvent_CREATED, inst("T_Other", 1, ""), nil), ""},
		{"a bad value", op, lost(providerwire.InstanceEvent_CREATED, &providerwire.Instance{Properties: []*providerwire.PropertyValue{
			{Name: "Id", Value: &providerwire.Value{Kind: &providerwire.Value_Text{Text: "x"}}}}}, nil), ""},
		{"an extrinsic event", op, inst("T_Watched", 1, "a"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &lossSink{}
			before := providerwire.FileTime(time.Now())
			x.lost(sink, &provider.EventRequest{Class: tc.subscribed, Target: target, Lookup: lookup}, 5, tc.m)
			if sink.n != 5 {
				t.Fatalf("%d lost reported, want 5", sink.n)
			}
			got := ""
			if ev := sink.first; ev != nil {
				got = ev.ClassName() + " " + describe(embedded(t, ev, "TargetInstance"))
				if prev, _ := ev.Value("PreviousInstance").Object().(*cim.Instance); prev != nil {
					got += " " + describe(prev)
				}
				when := ev.Value("TIME_CREATED").Uint()
				if tc.m == noTime && (when < before || when > providerwire.FileTime(time.Now())) || tc.m != noTime && when != providerwire.FileTime(at) {
					t.Errorf("TIME_CREATED %d, want the provider's %d (now when it sent none)", when, providerwire.FileTime(at))
				}
			}
			if got != tc.want {
				t.Errorf("first lost event %q, want %q", got, tc.want)
			}
		})
	}
}

// lossSink records what a provider reported lost.
type lossSink struct {
	recordSink
	n     int
	first *cim.Instance
}

func (s *lossSink) EventsLost(n int, first *cim.Instance) { s.n, s.first = s.n+n, first }

// Instance events a provider process's full queue loses are reported as
// its extrinsic events' are: every event is delivered, in order, or counted
// in an __EventQueueOverflowEvent, whose Event is the first one lost, the
// __InstanceCreationEvent the subscriber would have got (as the object
// manager's own queue names the first event it loses).
func TestInstanceEventOverflowInTheProvider(t *testing.T) {
	svc := watcherOM(t, watcherMOF(t, watchAll)).Services(`root\cimv2`)
	start := providerwire.FileTime(time.Now())
	e, err := subscribe(t, svc, "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'T_Watched' AND TargetInstance.Name = 'burst'")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const raised = plugin.MaxQueuedEvents + 7
	var delivered, notices int
	var lost uint64
	var after uint64 // the Id the next delivered event must reach
	var first *cim.Instance
	for delivered+int(lost) < raised {
		ev, err := next(t, e)
		if err != nil {
			t.Fatalf("after %d events and %d lost: %v", delivered, lost, err)
		}
		switch ev.ClassName() {
		case "__EventQueueOverflowEvent":
			notices++
			lost += ev.Value("NumberOfEvents").Uint()
			if first == nil {
				if first, _ = ev.Value("Event").Object().(*cim.Instance); first == nil {
					t.Fatalf("the notice of %d lost events names no first event: %v", ev.Value("NumberOfEvents").Uint(), ev)
				}
			}
		case "__InstanceCreationEvent":
			id := embedded(t, ev, "TargetInstance").Value("Id").Uint()
			if id < after {
				t.Fatalf("event Id=%d after Id=%d", id, after-1)
			}
			after = id + 1
			delivered++
		default:
			t.Fatalf("unexpected event %s", ev.ClassName())
		}
	}
	if delivered+int(lost) != raised || notices == 0 || lost < 7 {
		t.Fatalf("%d delivered, %d lost in %d notices; want %d in all, at least 7 lost, and a notice", delivered, lost, notices, raised)
	}
	t.Logf("%d delivered, %d lost in %d notices", delivered, lost, notices)
	target := embedded(t, first, "TargetInstance")
	if first.ClassName() != "__InstanceCreationEvent" || target.ClassName() != "T_Watched" || target.Value("Name").Str() != "burst" {
		t.Fatalf("the first lost event is %s about %v, want an __InstanceCreationEvent about a T_Watched named burst", first.ClassName(), target)
	}
	if tc := first.Value("TIME_CREATED").Uint(); tc < start || tc > providerwire.FileTime(time.Now()) {
		t.Errorf("the first lost event's TIME_CREATED %d is not between the subscribe call (%d) and now", tc, start)
	}
	if lost == 7 && target.Value("Id").Uint() != plugin.MaxQueuedEvents {
		// Only the provider lost events: its first is the one past its queue.
		t.Errorf("the first lost event is about Id=%d, want Id=%d", target.Value("Id").Uint(), plugin.MaxQueuedEvents)
	}
}

// A decoupled provider (a running application) raises instance events the
// same way; when it disconnects, the subscription ends with
// WBEM_E_PROVIDER_FAILURE naming it.
func TestDecoupledInstanceEvents(t *testing.T) {
	e := newDecoupled(t, "", RegistrarConfig{})
	compile(t, e.om, watcherClassesMOF(`instance of __Win32Provider as $W { Name = "Watcher"; HostingModel = "Decoupled"; };`, watchAll))
	stop, done := e.serve(`root\cimv2`, "Watcher", newWatcher())
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	waitServed(t, e.svc, "T_Watched", done)
	sub, err := subscribe(t, e.svc, "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'T_Watched'")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for _, s := range []struct {
		kind, name string
	}{{"create", "a"}, {"modify", "b"}, {"delete", ""}} {
		if _, err := change(t, e.svc, s.kind, 1, s.name, false); err != nil {
			t.Fatalf("%s: %v", s.kind, err)
		}
	}
	for i, want := range []string{"__InstanceCreationEvent T_Watched 1 a", "__InstanceModificationEvent T_Watched 1 b", "__InstanceDeletionEvent T_Watched 1 b"} {
		ev, err := next(t, sub)
		if err != nil {
			t.Fatal(err)
		}
		if got := ev.ClassName() + " " + describe(embedded(t, ev, "TargetInstance")); got != want {
			t.Errorf("event %d: %s, want %s", i, got, want)
		}
	}
	stopped = true
	if err := stop(); err != nil {
		t.Fatalf("ServeDecoupled returned %v after its ctx ended", err)
	}
	_, err = next(t, sub)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Watcher"`)
}

// watchedClasses are the classes of the intrinsic-event tests: the target
// T_Watched (Id, Name), its subclass and an unrelated class.
func watchedClasses() (target, sub, other *cim.Class) {
	target, _ = cim.Derive(nil, &cim.Class{Name: "T_Watched", Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32}, {Name: "Name", Type: cim.TypeString}}})
	sub, _ = cim.Derive(target, &cim.Class{Name: "T_WatchedSub", Superclass: "T_Watched"})
	other, _ = cim.Derive(nil, &cim.Class{Name: "T_Other", Properties: []cim.Property{{Name: "Id", Type: cim.TypeUint32}}})
	return target, sub, other
}

// lookupIn is an EventRequest.Lookup that knows classes (by name, any case).
func lookupIn(classes ...*cim.Class) func(string) (*cim.Class, error) {
	byName := map[string]*cim.Class{}
	for _, c := range classes {
		byName[strings.ToLower(c.Name)] = c
	}
	return func(name string) (*cim.Class, error) {
		if c := byName[strings.ToLower(name)]; c != nil {
			return c, nil
		}
		return nil, cim.Errorf(cim.WBEM_E_INVALID_CLASS, "no %s", name)
	}
}

// watchedInstance is an instance of class on the wire with Id and Name.
func watchedInstance(class string, id uint64, name string) *providerwire.Instance {
	return &providerwire.Instance{ClassName: class, Properties: []*providerwire.PropertyValue{
		{Name: "Id", Value: &providerwire.Value{Kind: &providerwire.Value_Unsigned{Unsigned: id}}},
		{Name: "Name", Value: &providerwire.Value{Kind: &providerwire.Value_Text{Text: name}}}}}
}
