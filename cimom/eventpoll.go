package cimom

import (
	"context"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// pollKey names a poller: one per namespace, class and interval, shared by
// every subscription that needs that class polled that often.
type pollKey struct {
	ns, class string // lower-case
	interval  time.Duration
}

// poller finds the changes to the instances of one dynamic class by
// enumerating it every interval and comparing with the last enumeration by
// object path (WMI's polling for WITHIN). An instance that comes and goes
// between two polls raises nothing, as in WMI.
type poller struct {
	e        *eventEngine
	key      pollKey
	ns       string
	class    *cim.Class
	interval time.Duration
	subs     []*subscription // guarded by e.mu
	cancel   context.CancelFunc
	ready    chan struct{} // closed once the first enumeration is done
	err      error         // its failure, set before ready is closed
	done     chan struct{} // closed when the polling goroutine has ended
}

// poll attaches s to the poller of class d at interval, starting one if
// none runs, and waits until the poller has its first snapshot: changes
// after poll returned are reported.
func (e *eventEngine) poll(ctx context.Context, s *subscription, d *cim.Class, interval time.Duration) error {
	key := pollKey{strings.ToLower(s.ns), strings.ToLower(d.Name), interval}
	e.mu.Lock()
	p := e.pollers[key]
	if p == nil {
		// The poller lives as long as it has subscribers, not as long as
		// the first one: it runs under the object manager's own context.
		pctx, cancel := context.WithCancel(context.Background())
		p = &poller{e: e, key: key, ns: s.ns, class: d, interval: interval, cancel: cancel,
			ready: make(chan struct{}), done: make(chan struct{})}
		e.pollers[key] = p
		go p.run(pctx)
	}
	p.subs = append(p.subs, s)
	s.pollers = append(s.pollers, p)
	e.mu.Unlock()
	select {
	case <-p.ready:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// detachLocked removes s; the last subscriber to go stops the poller.
func (p *poller) detachLocked(s *subscription) {
	for i, x := range p.subs {
		if x == s {
			p.subs = append(p.subs[:i], p.subs[i+1:]...)
			break
		}
	}
	if len(p.subs) == 0 {
		if p.e.pollers[p.key] == p {
			delete(p.e.pollers, p.key)
		}
		p.cancel()
	}
}

func (p *poller) run(ctx context.Context) {
	defer close(p.done)
	snap, err := p.snapshot(ctx)
	if err != nil {
		p.err = err
		p.stop()
		close(p.ready)
		return
	}
	close(p.ready)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ctx.Err() != nil {
			// select picks at random when both are ready: a tick that
			// came with the cancel polls nothing.
			return
		}
		next, err := p.snapshot(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// The subscriptions end with the provider's status rather
			// than go on blind.
			for _, s := range p.stop() {
				s.fail(err)
			}
			return
		}
		p.diff(snap, next)
		snap = next
	}
}

// stop takes the poller out of service and returns its subscribers.
func (p *poller) stop() []*subscription {
	p.e.mu.Lock()
	defer p.e.mu.Unlock()
	if p.e.pollers[p.key] == p {
		delete(p.e.pollers, p.key)
	}
	subs := append([]*subscription(nil), p.subs...)
	p.cancel()
	return subs
}

// snapshot enumerates exactly the class, by object path.
func (p *poller) snapshot(ctx context.Context) (map[string]*cim.Instance, error) {
	out := map[string]*cim.Instance{}
	e := &emitter{server: p.e.om.server, ns: p.ns}
	e.w = writerFunc(func(obj cim.Object) error {
		inst := obj.(*cim.Instance)
		out[inst.ObjectPath().KeyString()] = inst
		return nil
	})
	if err := p.e.om.enumerateClass(ctx, p.ns, p.class, nil, e); err != nil {
		return nil, err
	}
	return out, nil
}

// diff raises the events between two snapshots.
func (p *poller) diff(old, cur map[string]*cim.Instance) {
	p.e.mu.Lock()
	subs := append([]*subscription(nil), p.subs...)
	p.e.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	now := time.Now()
	raise := func(ev *cim.Instance) {
		for _, s := range subs {
			s.offer(ev, len(subs) == 1)
		}
	}
	for k, inst := range cur {
		prev, ok := old[k]
		switch {
		case !ok:
			raise(p.e.instanceEvent(p.ns, nil, inst, now))
		case !sameInstance(prev, inst):
			raise(p.e.instanceEvent(p.ns, prev, inst, now))
		}
	}
	for k, prev := range old {
		if _, ok := cur[k]; !ok {
			raise(p.e.instanceEvent(p.ns, prev, nil, now))
		}
	}
}

// sameInstance reports whether two versions of an instance hold the same
// values.
func sameInstance(a, b *cim.Instance) bool {
	ca, cb := a.Class(), b.Class()
	if ca == cb {
		for i := range a.Len() {
			if !sameValue(a.At(i), b.At(i)) {
				return false
			}
		}
		return true
	}
	if len(ca.Properties) != len(cb.Properties) {
		return false
	}
	for i := range ca.Properties {
		if !sameValue(a.At(i), b.Value(ca.Properties[i].Name)) {
			return false
		}
	}
	return true
}

// sameValue compares exactly: a change of case in a string is a change.
func sameValue(x, y cim.Value) bool {
	if x.Type() != y.Type() {
		return false
	}
	switch {
	case x.IsNull():
		return true
	case x.Type().IsArray():
		a, b := x.Array(), y.Array()
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], b[i]) {
				return false
			}
		}
		return true
	case x.Type() == cim.TypeObject:
		xo, yo := x.Instance(), y.Instance()
		if xo == nil || yo == nil {
			return x.Object() == y.Object()
		}
		return xo.ClassName() == yo.ClassName() && sameInstance(xo, yo)
	case x.Type() == cim.TypeString || x.Type() == cim.TypeDatetime || x.Type() == cim.TypeReference:
		return x.Str() == y.Str()
	}
	return cim.Equal(x, y)
}
