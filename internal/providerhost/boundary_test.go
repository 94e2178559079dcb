//go:build linux

package providerhost

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/provider/plugin"
	"github.com/gowbem/gowbem/wbem"
	goplugin "github.com/hashicorp/go-plugin"
)

// The test binary run with boundaryArg serves boundaryProviders (the
// contract's association and cancellation sides, the account and the
// process's start time); with wrongHelloArg or wrongPluginArg it is a
// provider that speaks another version of the protocol.
const (
	boundaryArg    = "gowbem-test-boundary"
	wrongHelloArg  = "gowbem-test-wrong-hello"
	wrongPluginArg = "gowbem-test-wrong-plugin"
)

// started is when this process started, as a provider reports it.
var started = time.Now()

func init() {
	if len(os.Args) != 2 {
		return
	}
	switch os.Args[1] {
	case boundaryArg:
		plugin.ServeProviders(boundaryProviders())
	case wrongHelloArg:
		goplugin.Serve(&goplugin.ServeConfig{HandshakeConfig: providerwire.Handshake, Plugins: providerwire.Plugins(wrongHello{}), GRPCServer: goplugin.DefaultGRPCServer})
	case wrongPluginArg:
		hs := providerwire.Handshake
		hs.ProtocolVersion = 2
		goplugin.Serve(&goplugin.ServeConfig{HandshakeConfig: hs, Plugins: providerwire.Plugins(wrongHello{}), GRPCServer: goplugin.DefaultGRPCServer})
	default:
		return
	}
	os.Exit(0)
}

// wrongHello answers Hello with version 2 of the service.
type wrongHello struct {
	providerwire.UnimplementedProviderServer
}

func (wrongHello) Hello(context.Context, *providerwire.HelloRequest) (*providerwire.HelloReply, error) {
	return &providerwire.HelloReply{Protocol: providerwire.Version(2), Providers: []*providerwire.Capabilities{{Instances: true}}}, nil
}

func boundaryProviders() map[string]any {
	return map[string]any{
		"Links":    links{},
		"Watch":    &watch{},
		"Watched":  watchStats{},
		"Boom":     boom{},
		"Progress": &workload.Provider{N: 1000, ProgressEvery: 250},
	}
}

func keyUint(path cim.ObjectPath, name string) uint64 {
	for _, k := range path.Keys {
		if cim.EqualFold(k.Name, name) {
			return k.Value.Uint()
		}
	}
	return 0
}

// links serves an association class (T_ItemLink of linkMOF) of item i
// (Parent) with item i+1 (Child), for i in [0, 9): EnumerateInstances all
// of them, References only those that refer to the target (through role,
// when given). Via says which of the two found an instance.
type links struct{}

func link(c *cim.Class, i int, via string) *cim.Instance {
	inst := c.NewInstance()
	end := "T_Item"
	if p, ok := c.Property("Parent"); ok {
		end = p.RefClass
	}
	path := func(id int) cim.ObjectPath {
		return cim.ObjectPath{Class: end, Keys: []cim.KeyBinding{{Name: "Id", Value: cim.Uint32(uint32(id))}}}
	}
	inst.Set("Parent", cim.Ref(path(i)))
	inst.Set("Child", cim.Ref(path(i+1)))
	inst.Set("Via", cim.String(via))
	return inst
}

func (links) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for i := range 9 {
		if err := out.Emit(link(class, i, "enumerate")); err != nil {
			return err
		}
	}
	return nil
}

func (links) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no %s", path.RelPath())
}

func (links) References(ctx context.Context, class *cim.Class, target cim.ObjectPath, role string, out provider.Emitter) error {
	id := int(keyUint(target, "Id"))
	for i := range 9 {
		parent, child := i == id, i+1 == id
		if role != "" {
			parent = parent && cim.EqualFold(role, "Parent")
			child = child && cim.EqualFold(role, "Child")
		}
		if parent || child {
			if err := out.Emit(link(class, i, "references")); err != nil {
				return err
			}
		}
	}
	return nil
}

// The counters of the Watch provider, which Watched reports.
var (
	watchStarted   atomic.Int64 // calls that began
	watchCancelled atomic.Int64 // calls that returned having seen their ctx done
	watchEmitted   atomic.Int64 // instances an enumeration emitted
)

// watch observes cancellation. Its enumeration of a class whose name ends
// in "Flood" emits until Emit fails; of another class it emits one
// instance and waits for its ctx. GetInstance and ExecMethod wait for their
// ctx. Each counts the calls that saw their ctx done.
type watch struct{}

func (watch) cancelled(ctx context.Context) error {
	<-ctx.Done()
	watchCancelled.Add(1)
	return ctx.Err()
}

func (w watch) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	watchStarted.Add(1)
	if strings.HasSuffix(class.Name, "Flood") {
		for i := 0; ; i++ {
			if err := out.Emit(workload.Build(class, i)); err != nil {
				if ctx.Err() != nil {
					watchCancelled.Add(1)
				}
				return err
			}
			watchEmitted.Add(1)
		}
	}
	if err := out.Emit(workload.Build(class, 0)); err != nil {
		return err
	}
	return w.cancelled(ctx)
}

func (w watch) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	watchStarted.Add(1)
	return nil, w.cancelled(ctx)
}

func (w watch) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	watchStarted.Add(1)
	return nil, w.cancelled(ctx)
}

// watchStats reports Watch's counters: Count started, Size cancelled, Name
// emitted.
type watchStats struct{}

func (watchStats) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return nil
}

func (watchStats) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	inst := workload.Build(class, 0)
	inst.Set("Count", cim.Sint64(watchStarted.Load()))
	inst.Set("Size", cim.Uint64(uint64(watchCancelled.Load())))
	inst.Set("Name", cim.String(strconv.FormatInt(watchEmitted.Load(), 10)))
	return inst, nil
}

// boom reports its process with GetInstance of Id 0 (Created: when it
// started, Size: its uid, Flags: its pid's low bits) and kills it with any
// other.
type boom struct{}

func (boom) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return nil
}

func (boom) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	if keyUint(path, "Id") != 0 {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	inst := workload.Build(class, 0)
	inst.Set("Created", cim.TimeValue(started))
	inst.Set("Size", cim.Uint64(uint64(os.Getuid())))
	inst.Set("Flags", cim.Uint16(uint16(os.Getpid())))
	return inst, nil
}

// boundaryReg registers provider name of the boundary executable.
func boundaryReg(t testing.TB, name string, hosting HostingModel) *Registration {
	r := reg(t, name, hosting)
	r.Command = []string{r.Command[0], boundaryArg}
	return r
}

// statusSink is an async call's sink that keeps what it is told.
type statusSink struct {
	mu       sync.Mutex
	objs     int
	first    chan struct{} // closed at the first Indicate
	statuses []wbem.SinkStatus
	done     chan struct{}
}

func newStatusSink() *statusSink {
	return &statusSink{first: make(chan struct{}), done: make(chan struct{})}
}

func (s *statusSink) Indicate(objs []cim.Object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objs == 0 && len(objs) > 0 {
		close(s.first)
	}
	s.objs += len(objs)
	return nil
}

func (s *statusSink) SetStatus(st wbem.SinkStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st)
	if st.Type == wbem.WBEM_STATUS_COMPLETE {
		close(s.done)
	}
}

func (s *statusSink) wait(t testing.TB) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		t.Fatal("the async call did not complete")
	}
}

// Progress a provider reports crosses the boundary and reaches an async
// caller that asked for it (WBEM_FLAG_SEND_STATUS), in order and before the
// call's end; the last report (1000 of 1000) always arrives.
func TestProgressAcrossTheBoundary(t *testing.T) {
	h := newHost(t, Config{})
	svc := omWith(h.Proxy(boundaryReg(t, "Progress", SelfHost))).Services(workload.Namespace)
	for _, flags := range []wbem.Flag{wbem.WBEM_FLAG_SEND_STATUS, 0} {
		s := newStatusSink()
		if err := svc.ExecQueryAsync(context.Background(), "WQL", "SELECT * FROM GW_Item", flags, s); err != nil {
			t.Fatal(err)
		}
		s.wait(t)
		s.mu.Lock()
		var done []int
		for i, st := range s.statuses {
			if st.Type == wbem.WBEM_STATUS_PROGRESS {
				if st.Total != 1000 || st.Done%250 != 0 {
					t.Errorf("progress %d of %d, want multiples of 250 of 1000", st.Done, st.Total)
				}
				if len(done) > 0 && st.Done < done[len(done)-1] {
					t.Errorf("progress went back: %d after %v", st.Done, done)
				}
				done = append(done, st.Done)
			} else if i != len(s.statuses)-1 || st.Err != nil {
				t.Errorf("statuses %+v: the completion is not last, or failed", s.statuses)
			}
		}
		objs := s.objs
		s.mu.Unlock()
		if objs != 1000 {
			t.Errorf("flags %#x: %d instances, want 1000", flags, objs)
		}
		switch {
		case flags == 0 && len(done) != 0:
			t.Errorf("progress %v reached a caller that did not ask for it", done)
		case flags != 0 && (len(done) == 0 || done[len(done)-1] != 1000):
			t.Errorf("progress reports %v: want them to end with 1000", done)
		}
	}
}

// The daemon refuses a provider that speaks another version of the
// protocol, in go-plugin's handshake or in Hello, naming the provider.
func TestHandshakeVersionRefused(t *testing.T) {
	h := newHost(t, Config{Policy: Policy{FirstBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxCrashes: 100, CrashWindow: time.Minute}})
	for _, tc := range []struct {
		arg     string
		mention []string
	}{
		{wrongHelloArg, []string{`"Old"`, "version 2 of the protocol, not 1"}},
		{wrongPluginArg, []string{`"Old"`, "could not be started", "Plugin version: 2"}},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			r := reg(t, "Old", SelfHost)
			r.Command = []string{r.Command[0], tc.arg}
			svc := omWith(h.Proxy(r)).Services(workload.Namespace)
			_, err := get(svc, `GW_Item.Id=1`)
			wantStatus(t, err, cim.WBEM_E_PROVIDER_LOAD_FAILURE, tc.mention...)
			_, err = collect(t, svc, "SELECT * FROM GW_Item")
			wantStatus(t, err, cim.WBEM_E_PROVIDER_LOAD_FAILURE, `"Old"`)
		})
	}
}

// linkMOF registers the association class T_ItemLink, served by the Links
// provider with the QuerySupportLevels given, beside registrationMOF's T_Item.
func linkMOF(t testing.TB, levels string) string {
	user := ""
	if u := testUser(); u != "" {
		user = `User = "` + u + `";`
	}
	return registrationMOF(t, "") + `
[Association, Dynamic, Provider("Links")]
class T_ItemLink {
	[Key] T_Item REF Parent;
	[Key] T_Item REF Child;
	string Via;
};

instance of __Win32Provider as $L {
	Name = "Links";
	CommandLine = "` + self(t)[0] + ` ` + boundaryArg + `";
	` + user + `
};

instance of __InstanceProviderRegistration {
	Provider = $L;
	SupportsGet = TRUE;
	SupportsEnumeration = TRUE;
	QuerySupportLevels = ` + levels + `;
};
`
}

// describeAssoc lists what a query returned: an item's Id, or a link's ends and
// how it was found.
func describeAssoc(insts []*cim.Instance) string {
	var out []string
	for _, inst := range insts {
		switch {
		case cim.EqualFold(inst.ClassName(), "T_Item"):
			out = append(out, "item "+inst.Value("Id").String())
		default:
			out = append(out, inst.Value("Parent").Str()+" "+inst.Value("Child").Str()+" "+inst.Value("Via").Str())
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// Associations across the boundary: a provider registered for references
// queries (WMI's QuerySupportLevels "WQL:References" or "WQL:Associators")
// answers them itself (its References runs in its process); one that is
// not is enumerated and the object manager filters. Either way ASSOCIATORS
// OF and REFERENCES OF, and their keys-only forms, return the right objects.
func TestAssociationsAcrossTheBoundary(t *testing.T) {
	for _, tc := range []struct{ levels, via string }{
		{`{"WQL:UnarySelect", "WQL:References"}`, "references"},
		{`{"WQL:Associators"}`, "references"},
		{`{"WQL:UnarySelect"}`, "enumerate"},
	} {
		t.Run(tc.levels, func(t *testing.T) {
			om := registryOM(t)
			svc := om.Services(`root\cimv2`)
			compile(t, om, linkMOF(t, tc.levels))
			for _, q := range []struct{ query, want string }{
				{`REFERENCES OF {T_Item.Id=3}`, `T_Item.Id=2 T_Item.Id=3 V; T_Item.Id=3 T_Item.Id=4 V`},
				{`REFERENCES OF {T_Item.Id=3} WHERE Role = Parent`, `T_Item.Id=3 T_Item.Id=4 V`},
				{`REFERENCES OF {T_Item.Id=0} WHERE KeysOnly`, `T_Item.Id=0 T_Item.Id=1 `},
				{`ASSOCIATORS OF {T_Item.Id=3}`, `item 2; item 4`},
				{`ASSOCIATORS OF {T_Item.Id=3} WHERE Role = Child`, `item 2`},
				{`ASSOCIATORS OF {T_Item.Id=9} WHERE KeysOnly`, `item 8`},
				{`ASSOCIATORS OF {T_Item.Id=42}`, ``},
			} {
				got, err := collect(t, svc, q.query)
				if err != nil {
					t.Errorf("%s: %v", q.query, err)
					continue
				}
				want := strings.ReplaceAll(q.want, " V", " "+tc.via)
				if d := describeAssoc(got); d != want {
					t.Errorf("%s = %q, want %q", q.query, d, want)
				}
				if strings.Contains(q.query, "KeysOnly") {
					for _, inst := range got {
						for _, p := range []string{"Via", "Name"} {
							if _, ok := inst.Class().Property(p); ok && !inst.Value(p).IsNull() {
								t.Errorf("%s: %s has %s = %v", q.query, inst.ClassName(), p, inst.Value(p))
							}
						}
					}
				}
			}
		})
	}
}
