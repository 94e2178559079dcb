//go:build linux

package providerhost

import (
	"context"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/provider/plugin"
)

// The test binary is also the provider executable of these tests: run with
// the argument childArg it serves the providers of childProviders.
const childArg = "gowbem-test-provider"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		for _, arg := range os.Args[2:] {
			profileChild(arg)
		}
		plugin.ServeProviders(childProviders())
		return
	}
	os.Exit(m.Run())
}

// profileChild writes a CPU profile of this provider process's first
// seconds to the file arg names ("cpuprofile=PATH,SECONDS"; see
// benchProviders): the daemon kills its providers, so the profile stops
// by the clock.
// "trace=PATH,SECONDS" writes an execution trace instead.
func profileChild(arg string) {
	kind, spec, _ := strings.Cut(arg, "=")
	if kind == "maxprocs" {
		if n, err := strconv.Atoi(spec); err == nil {
			plugin.MaxProcs = n
		}
		return
	}
	path, secs, _ := strings.Cut(spec, ",")
	d, err := time.ParseDuration(secs + "s")
	if err != nil {
		return
	}
	start, stop := pprof.StartCPUProfile, pprof.StopCPUProfile
	switch kind {
	case "cpuprofile":
	case "trace":
		start, stop = trace.Start, trace.Stop
	default:
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	if start(f) != nil {
		f.Close()
		return
	}
	time.AfterFunc(d, func() { stop(); f.Close() })
}

// stats counts what the child's Endless provider did, for Stats to report.
var (
	emitted atomic.Int64 // instances Endless emitted
	stopped atomic.Int64 // enumerations of Endless that saw ctx done or Emit fail
)

func childProviders() map[string]any {
	return map[string]any{
		"Items":   &workload.Provider{N: 1000, ProgressEvery: 250},
		"Small":   &workload.Provider{N: 100},
		"Bench":   &workload.Provider{N: benchN},
		"Endless": endless{},
		"Stats":   statsProvider{},
		"Hang":    hang{},
		"Crash":   crash{},
		"Writer":  &writer{},
		"Slow":    &workload.Provider{N: 3, Delay: 20 * time.Millisecond},
		"Who":     who{},
		"Events":  newEventer(),
		"Watcher": newWatcher(),
	}
}

// endless emits workload instances until stopped, counting them.
type endless struct{}

func (endless) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for i := 0; ; i++ {
		if err := out.Emit(workload.Build(class, i)); err != nil {
			stopped.Add(1)
			return err
		}
		emitted.Add(1)
	}
}

func (endless) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	return nil, cim.Errorf(cim.WBEM_E_NOT_FOUND, "no")
}

// statsProvider reports emitted and stopped as the Count and Size of the
// workload instance with Id 0.
type statsProvider struct{}

func (statsProvider) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	return nil
}

func (statsProvider) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	inst := workload.Build(class, 0)
	inst.Set("Count", cim.Sint64(emitted.Load()))
	inst.Set("Size", cim.Uint64(uint64(stopped.Load())))
	inst.Set("Flags", cim.Uint16(uint16(os.Getpid())))
	return inst, nil
}

// hang never answers, whatever its context says.
type hang struct{}

func (hang) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	out.Emit(workload.Build(class, 0))
	select {}
}

func (hang) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	select {}
}

// crash kills its process: at once for GetInstance, after 10 instances for
// an enumeration.
type crash struct{}

func (crash) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for i := range 10 {
		out.Emit(workload.Build(class, i))
	}
	time.Sleep(10 * time.Millisecond) // let the batch leave
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func (crash) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

// writer keeps the instances put to it, and implements methods and
// associations on the workload class.
type writer struct {
	items map[string]*cim.Instance
}

func (w *writer) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	for _, inst := range w.items {
		if err := out.Emit(inst); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	if inst, ok := w.items[path.KeyString()]; ok {
		return inst, nil
	}
	return nil, &cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: path.RelPath(), Description: "no " + path.RelPath()}
}

func (w *writer) PutInstance(ctx context.Context, inst *cim.Instance, mode provider.PutMode) (cim.ObjectPath, error) {
	if w.items == nil {
		w.items = map[string]*cim.Instance{}
	}
	p := inst.ObjectPath()
	_, exists := w.items[p.KeyString()]
	if exists && mode == provider.CreateOnly {
		return p, cim.Errorf(cim.WBEM_E_ALREADY_EXISTS, "%s exists", p.RelPath())
	}
	if !exists && mode == provider.UpdateOnly {
		return p, cim.Errorf(cim.WBEM_E_NOT_FOUND, "%s does not exist", p.RelPath())
	}
	w.items[p.KeyString()] = inst
	return p, nil
}

func (w *writer) DeleteInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) error {
	if _, ok := w.items[path.KeyString()]; !ok {
		return cim.Errorf(cim.WBEM_E_NOT_FOUND, "no %s", path.RelPath())
	}
	delete(w.items, path.KeyString())
	return nil
}

func (w *writer) ExecMethod(ctx context.Context, call *provider.MethodCall) (*cim.Instance, error) {
	return (&workload.Provider{}).ExecMethod(ctx, call)
}

func (w *writer) ExecQuery(ctx context.Context, class *cim.Class, hint *provider.Hint, out provider.Emitter) error {
	// Proof that the hint crossed: one instance whose Name is the query.
	inst := workload.Build(class, 7)
	inst.Set("Name", cim.String(hint.Query))
	if vs, ok := hint.Values("Id"); ok && len(vs) == 1 {
		inst.Set("Id", vs[0])
	}
	return out.Emit(inst)
}

// who reports the caller in its ctx: Name is the user, Owner the account,
// Active whether an administrator, Size the account's uid.
type who struct{}

func (who) EnumerateInstances(ctx context.Context, class *cim.Class, out provider.Emitter) error {
	inst, _ := who{}.GetInstance(ctx, class, cim.ObjectPath{})
	return out.Emit(inst)
}

func (who) GetInstance(ctx context.Context, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	inst := workload.Build(class, 0)
	c, ok := identity.FromContext(ctx)
	if !ok {
		inst.Set("Name", cim.String("(nobody)"))
		return inst, nil
	}
	inst.Set("Name", cim.String(c.Name))
	inst.Set("Active", cim.Bool(c.Admin))
	if c.Account != nil {
		inst.Set("Owner", cim.String(c.Account.Name))
		inst.Set("Size", cim.Uint64(uint64(c.Account.UID)))
	}
	return inst, nil
}
