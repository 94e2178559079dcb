//go:build linux

package providerhost

import (
	"context"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/provider/plugin"
	"github.com/gowbem/gowbem/wbem"
)

// eventer is the child's event provider: it raises T_Event (and its
// subclass T_SubEvent) when its static method T_Raise.Raise is called, into
// every subscription it serves at the time; T_Raise.Active reports how many
// that is, T_Raise.Crash kills the process, T_Raise.Fail fails every
// subscription. A subscription whose query mentions 'refuse' is refused.
type eventer struct {
	mu    sync.Mutex
	sinks map[*eventSub]bool
}

type eventSub struct {
	req  *provider.EventRequest
	sink provider.EventSink
}

func newEventer() *eventer { return &eventer{sinks: map[*eventSub]bool{}} }

func (p *eventer) ProvideEvents(ctx context.Context, req *provider.EventRequest, sink provider.EventSink) error {
	if strings.Contains(req.Query, "refuse") {
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_CAPABLE, Description: "the eventer refuses " + req.Query}
	}
	if req.Select == nil || req.Namespace == "" {
		return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the request lacks its parsed query or namespace")
	}
	if strings.Contains(req.Query, "burst") {
		// More than the provider process queues before the daemon takes
		// any (the stream sends once this returns): the newest are lost,
		// and so are 3 more the provider reports itself.
		for i := range plugin.MaxQueuedEvents + 7 {
			ev := req.Class.NewInstance()
			ev.Set("Text", cim.String("burst"))
			ev.Set("N", cim.Uint32(uint32(i)))
			if err := sink.Indicate(ev); err != nil {
				return err
			}
		}
		sink.(provider.EventLossReporter).EventsLost(3, nil)
	}
	s := &eventSub{req: req, sink: sink}
	p.mu.Lock()
	p.sinks[s] = true
	p.mu.Unlock()
	context.AfterFunc(ctx, func() { // CancelQuery
		p.mu.Lock()
		delete(p.sinks, s)
		p.mu.Unlock()
	})
	return nil
}

func (p *eventer) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return nil
}

func (p *eventer) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no")
}

func (p *eventer) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	p.mu.Lock()
	subs := make([]*eventSub, 0, len(p.sinks))
	for s := range p.sinks {
		subs = append(subs, s)
	}
	p.mu.Unlock()
	out := call.Out.NewInstance()
	switch call.Method.Name {
	case "Raise":
		text := call.In.Value("Text").Str()
		for _, s := range subs {
			for i := range int(call.In.Value("Count").Uint()) {
				class := s.req.Class
				if text == "sub" {
					c, err := s.req.Lookup("T_SubEvent")
					if err != nil {
						return nil, err
					}
					class = c
				}
				ev := class.NewInstance()
				ev.Set("Text", cim.String(text))
				ev.Set("N", cim.Uint32(uint32(i)))
				if text == "sub" {
					ev.Set("Extra", cim.Sint64(-42))
				}
				if err := s.sink.Indicate(ev); err != nil {
					return nil, err
				}
			}
		}
	case "Active":
		out.Set("Count", cim.Uint32(uint32(len(subs))))
	case "Fail":
		for _, s := range subs {
			s.sink.Fail(&cim.Error{Status: cim.WBEM_E_ACCESS_DENIED, Description: "the eventer lost its source"})
		}
	case "Crash":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	out.Set("ReturnValue", cim.Uint32(0))
	return out, nil
}

// eventsMOF registers the test binary as provider Events of the event
// classes T_Event and T_SubEvent and of T_Raise's methods; register says
// whether the event registration is made.
func eventsMOF(t testing.TB, name string, register bool) string {
	cmd := strings.Join(self(t), " ")
	user := ""
	if u := testUser(); u != "" {
		user = `User = "` + u + `";`
	}
	mof := `
[Provider("` + name + `")] class T_Event : __ExtrinsicEvent { string Text; uint32 N; };
class T_SubEvent : T_Event { sint64 Extra; };
[Dynamic, Provider("` + name + `")] class T_Raise {
	[Key] uint32 Id;
	[Static, Implemented] uint32 Raise([In] string Text, [In] uint32 Count);
	[Static, Implemented] uint32 Active([Out] uint32 Count);
	[Static, Implemented] uint32 Fail();
	[Static, Implemented] uint32 Crash();
};
instance of __Win32Provider as $P {
	Name = "` + name + `";
	CommandLine = "` + cmd + `";
	OperationTimeoutInterval = "00000000000010.000000:000";
	` + user + `
};
instance of __MethodProviderRegistration { Provider = $P; };
`
	if register {
		mof += `instance of __EventProviderRegistration { Provider = $P; EventQueryList = {"SELECT * FROM T_Event"}; };
`
	}
	return mof
}

func eventsOM(t testing.TB, mof string) *wbem.Services {
	return watcherOM(t, mof).Services(`root\cimv2`)
}

func subscribe(t testing.TB, svc *wbem.Services, query string) (*wbem.Enumerator, error) {
	t.Helper()
	return svc.ExecNotificationQuery(t.Context(), "WQL", query, wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
}

// next returns the next event of e, waiting at most 20 s.
func next(t testing.TB, e *wbem.Enumerator) (*cim.Instance, error) {
	t.Helper()
	buf := make([]cim.Object, 1)
	n, err := e.Next(20*time.Second, buf)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		t.Fatal("no event within 20 s")
	}
	return buf[0].(*cim.Instance), nil
}

func raise(t testing.TB, svc *wbem.Services, method string, in map[string]cim.Value) (*cim.Instance, error) {
	t.Helper()
	class, err := svc.GetObject(t.Context(), "T_Raise", 0)
	if err != nil {
		return nil, err
	}
	c, err := class.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, err
	}
	var params *cim.Instance
	if len(in) > 0 {
		m, _ := c.(*cim.Class).Method(method)
		inClass, _ := m.ParameterClasses()
		params = inClass.NewInstance()
		for k, v := range in {
			params.Set(k, v)
		}
	}
	r, err := svc.ExecMethod(t.Context(), "T_Raise", method, params, 0)
	if err != nil {
		return nil, err
	}
	out, err := r.ResultObject(wbem.Infinite)
	if err != nil {
		return nil, err
	}
	return out.(*cim.Instance), nil
}

func active(t testing.TB, svc *wbem.Services) uint64 {
	t.Helper()
	out, err := raise(t, svc, "Active", nil)
	if err != nil {
		t.Fatal(err)
	}
	return out.Value("Count").Uint()
}

// An out-of-process provider raises extrinsic events: the subscription
// reaches it with its query (NewQuery), its events arrive typed by the
// repository's classes (subclasses too) and filtered by the WHERE clause,
// and the end of the subscription cancels its call (CancelQuery).
func TestEventsAcrossTheBoundary(t *testing.T) {
	svc := eventsOM(t, eventsMOF(t, "Events", true))
	e, err := subscribe(t, svc, "SELECT * FROM T_Event WHERE Text <> 'skip'")
	if err != nil {
		t.Fatal(err)
	}
	if n := active(t, svc); n != 1 {
		t.Fatalf("the provider serves %d subscriptions, want 1", n)
	}
	for _, text := range []string{"skip", "hello", "sub"} {
		if _, err := raise(t, svc, "Raise", map[string]cim.Value{"Text": cim.String(text), "Count": cim.Uint32(2)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"T_Event hello 0", "T_Event hello 1", "T_SubEvent sub 0", "T_SubEvent sub 1"} {
		ev, err := next(t, e)
		if err != nil {
			t.Fatal(err)
		}
		got := ev.ClassName() + " " + ev.Value("Text").Str() + " " + ev.Value("N").String()
		if !strings.EqualFold(got, want) {
			t.Fatalf("event %d: %s, want %s", i, got, want)
		}
		if ev.Value("TIME_CREATED").IsNull() {
			t.Errorf("event %d has no TIME_CREATED", i)
		}
		if ev.ClassName() == "T_SubEvent" {
			if v := ev.Value("Extra"); v.Type() != cim.TypeSint64 || v.Int() != -42 {
				t.Errorf("the subclass's property came as %v (%v)", v, v.Type())
			}
		}
	}
	// A second subscription is a second call; its end cancels only it.
	e2, err := subscribe(t, svc, "SELECT * FROM T_Event")
	if err != nil {
		t.Fatal(err)
	}
	if n := active(t, svc); n != 2 {
		t.Fatalf("the provider serves %d subscriptions, want 2", n)
	}
	e.Close()
	waitFor(t, "the first subscription's end to reach the provider", func() bool { return active(t, svc) == 1 })
	e2.Close()
	waitFor(t, "the last subscription's end to reach the provider", func() bool { return active(t, svc) == 0 })

	// The provider refuses a query: the subscriber gets its status.
	_, err = subscribe(t, svc, "SELECT * FROM T_Event WHERE Text = 'refuse'")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_CAPABLE, "refuses")

	// The provider fails a running subscription: it ends with that status.
	e3, err := subscribe(t, svc, "SELECT * FROM T_Event")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raise(t, svc, "Fail", nil); err != nil {
		t.Fatal(err)
	}
	_, err = next(t, e3)
	wantStatus(t, err, cim.WBEM_E_ACCESS_DENIED, "lost its source")
	e3.Close()
}

// A subscription needs the event registration, and a process that serves
// events.
func TestEventsNotCapable(t *testing.T) {
	svc := eventsOM(t, eventsMOF(t, "Events", false))
	_, err := subscribe(t, svc, "SELECT * FROM T_Event")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_CAPABLE, `"Events"`, EventRegClass)

	svc = eventsOM(t, eventsMOF(t, "Items", true)) // the child's Items raises no events
	_, err = subscribe(t, svc, "SELECT * FROM T_Event")
	wantStatus(t, err, cim.WBEM_E_PROVIDER_NOT_CAPABLE, `"Items"`, "does not serve them")
}

// A provider that dies during a subscription ends it with
// WBEM_E_PROVIDER_FAILURE naming the provider, and leaves no goroutine
// behind; the next subscription starts the provider again.
func TestEventProviderCrashEndsSubscription(t *testing.T) {
	svc := eventsOM(t, eventsMOF(t, "Events", true))
	e, err := subscribe(t, svc, "SELECT * FROM T_Event")
	if err != nil {
		t.Fatal(err)
	}
	_, err = raise(t, svc, "Crash", nil)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Events"`)
	_, err = next(t, e)
	wantStatus(t, err, cim.WBEM_E_PROVIDER_FAILURE, `"Events"`)
	e.Close()
	waitFor(t, "the subscription's goroutines to end", func() bool {
		return !strings.Contains(goroutines(), "providerhost.(*Proxy).events")
	})

	e, err = subscribe(t, svc, "SELECT * FROM T_Event")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := raise(t, svc, "Raise", map[string]cim.Value{"Text": cim.String("again"), "Count": cim.Uint32(1)}); err != nil {
		t.Fatal(err)
	}
	if ev, err := next(t, e); err != nil || ev.Value("Text").Str() != "again" {
		t.Fatalf("after the restart: %v, %v", ev, err)
	}
}

func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// A provider process whose queue of events overflows (the daemon does not
// take them as fast as they are raised) loses the newest, and the
// subscriber is told: every event is delivered or counted in an
// __EventQueueOverflowEvent, whose Event is the first one lost when the
// subscriber lost nothing else.
func TestEventOverflowInTheProvider(t *testing.T) {
	svc := eventsOM(t, eventsMOF(t, "Events", true))
	e, err := subscribe(t, svc, "SELECT * FROM T_Event WHERE Text = 'burst'")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const raised = plugin.MaxQueuedEvents + 7 + 3 // 3 reported lost by the provider itself
	var delivered, notices int
	var lost uint64
	var first *cim.Instance
	var after uint64 // the N the next delivered event must reach
	for delivered+int(lost) < raised {
		ev, err := next(t, e)
		if err != nil {
			t.Fatalf("after %d events and %d lost: %v", delivered, lost, err)
		}
		switch {
		case ev.ClassName() == "__EventQueueOverflowEvent":
			notices++
			lost += ev.Value("NumberOfEvents").Uint()
			if first == nil {
				first, _ = ev.Value("Event").Object().(*cim.Instance)
			}
		case ev.ClassName() == "T_Event":
			n := ev.Value("N").Uint()
			if n < after {
				t.Fatalf("event N=%d after N=%d", n, after-1)
			}
			after = n + 1
			delivered++
		default:
			t.Fatalf("unexpected event %s", ev.ClassName())
		}
	}
	if delivered+int(lost) != raised || notices == 0 {
		t.Fatalf("%d delivered, %d lost in %d notices; want %d in all, and a notice", delivered, lost, notices, raised)
	}
	if lost == 10 && (first == nil || first.Value("N").Uint() != plugin.MaxQueuedEvents) {
		t.Errorf("the notice's first lost event is %v, want the event N=%d", first, plugin.MaxQueuedEvents)
	}
	t.Logf("%d delivered, %d lost in %d notices", delivered, lost, notices)
}
