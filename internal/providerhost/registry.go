package providerhost

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// Registry resolves provider names to the providers registered in the
// repository (implementing cimom.ProviderResolver): a __Win32Provider
// instance of the namespace, with the capability registrations that refer
// to it. A registration compiled into a running daemon serves the next call;
// one deleted or changed stops its process within Recheck.
type Registry struct {
	host *Host

	mu      sync.Mutex
	backend wbem.Backend
	cache   map[string]*Proxy // regKey → proxy of the registration read last

	stop chan struct{}
	done chan struct{}
}

// Recheck is how often the registry rereads the registrations of providers
// in use.
const Recheck = time.Second

// NewRegistry returns a registry over host; Attach gives it the object
// manager to read registrations from, and Close stops it.
func NewRegistry(host *Host) *Registry {
	r := &Registry{host: host, cache: map[string]*Proxy{}, stop: make(chan struct{}), done: make(chan struct{})}
	go r.recheck()
	return r
}

// Attach sets the backend registrations are read from (the object manager,
// which asks this registry for providers: so it comes after).
func (r *Registry) Attach(b wbem.Backend) {
	r.mu.Lock()
	r.backend = b
	r.mu.Unlock()
}

// Close stops rereading registrations.
func (r *Registry) Close() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	<-r.done
}

// ResolveProvider implements cimom.ProviderResolver.
func (r *Registry) ResolveProvider(ctx context.Context, namespace, name string) (any, error) {
	k := regKey(namespace, name)
	r.mu.Lock()
	x, ok := r.cache[k]
	r.mu.Unlock()
	if ok {
		return x, nil
	}
	reg, err := r.read(ctx, namespace, name)
	if err != nil || reg == nil {
		return nil, err
	}
	if reg.Hosting == InProcess {
		return nil, reg.errorf(cim.WBEM_E_PROVIDER_NOT_FOUND,
			"provider %q is registered to run in the daemon's process (HostingModel WmiCore), but the daemon has no such provider linked in", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if x, ok := r.cache[k]; ok { // another call was first
		return x, nil
	}
	x = r.host.Proxy(reg)
	r.cache[k] = x
	return x, nil
}

// read reads the registration of name in namespace; nil when there is none.
func (r *Registry) read(ctx context.Context, namespace, name string) (*Registration, error) {
	r.mu.Lock()
	b := r.backend
	r.mu.Unlock()
	if b == nil {
		return nil, nil
	}
	svc := wbem.NewServices(b, namespace)
	path := cim.ObjectPath{Class: ProviderClass, Keys: []cim.KeyBinding{{Name: "Name", Value: cim.String(name)}}}
	res, err := svc.GetObject(ctx, path.String(), 0)
	var obj cim.Object
	if err == nil {
		obj, err = res.ResultObject(wbem.Infinite)
	}
	if errors.Is(err, cim.ErrNotFound) || errors.Is(err, cim.ErrInvalidClass) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prov, ok := obj.(*cim.Instance)
	if !ok {
		return nil, nil
	}
	caps, err := r.capabilities(ctx, svc, prov)
	if err != nil {
		return nil, err
	}
	return ParseRegistration(namespace, prov, caps)
}

// capabilities returns the capability registrations that refer to prov.
func (r *Registry) capabilities(ctx context.Context, svc *wbem.Services, prov *cim.Instance) ([]*cim.Instance, error) {
	e, err := svc.CreateInstanceEnum(ctx, providerRegBaseClass, wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	want := prov.ObjectPath()
	want.Server, want.Namespace = "", ""
	var out []*cim.Instance
	for obj, err := range e.All(ctx) {
		if err != nil {
			return nil, err
		}
		inst, ok := obj.(*cim.Instance)
		if !ok {
			continue
		}
		p, err := inst.Value("Provider").Path()
		if err != nil {
			continue
		}
		p.Server, p.Namespace = "", ""
		if cim.EqualFold(p.Class, want.Class) && p.KeyString() == want.KeyString() {
			out = append(out, inst)
		}
	}
	return out, nil
}

// recheck rereads the registrations in use: a deleted one stops its
// process and is forgotten, a changed one stops it and serves the next call
// with the new one.
func (r *Registry) recheck() {
	defer close(r.done)
	t := time.NewTicker(Recheck)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.Recheck(context.Background())
		}
	}
}

// Recheck rereads the registrations in use now.
func (r *Registry) Recheck(ctx context.Context) {
	r.mu.Lock()
	cached := make(map[string]*Proxy, len(r.cache))
	for k, x := range r.cache {
		cached[k] = x
	}
	r.mu.Unlock()
	for k, x := range cached {
		old := x.reg
		reg, err := r.read(ctx, old.Namespace, old.Name)
		if err != nil && reg == nil && !errors.Is(err, cim.ErrInvalidParameter) {
			continue // the repository is busy or closing: next time
		}
		if reg != nil && reg.Equal(old) {
			continue
		}
		why := "its registration was deleted"
		if reg != nil || err != nil {
			why = "its registration changed"
		}
		r.mu.Lock()
		if r.cache[k] == x {
			delete(r.cache, k)
		}
		r.mu.Unlock()
		r.host.log.Info("provider registration "+strings.TrimPrefix(why, "its registration "), "provider", old.Name, "namespace", old.Namespace)
		r.host.StopProvider(old.Namespace, old.Name, why)
	}
}
