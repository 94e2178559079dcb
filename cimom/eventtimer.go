package cimom

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// timerSet runs the interval timers of one namespace (its
// __IntervalTimerInstruction instances) while someone subscribes to
// __TimerEvent there: each instruction fires a __TimerEvent with its
// TimerId every IntervalBetweenEvents milliseconds. Creating, changing or
// deleting an instruction takes effect when its transaction commits.
type timerSet struct {
	e      *eventEngine
	ns     string
	subs   []*subscription // guarded by e.mu
	ready  chan struct{}   // closed once the instructions are loaded
	err    error
	mu     sync.Mutex // guards timers and stopped
	timers map[string]*intervalTimer
	stop   bool
}

type intervalTimer struct {
	id       string
	interval time.Duration
	t        *time.Timer
}

func (e *eventEngine) timersActive() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.timers) > 0
}

// joinTimers adds s to the timers of its namespace, starting them when s is
// the first.
func (e *eventEngine) joinTimers(ctx context.Context, s *subscription) error {
	k := strings.ToLower(s.ns)
	e.mu.Lock()
	ts := e.timers[k]
	first := ts == nil
	if first {
		ts = &timerSet{e: e, ns: s.ns, ready: make(chan struct{}), timers: map[string]*intervalTimer{}}
		e.timers[k] = ts
	}
	ts.subs = append(ts.subs, s)
	e.mu.Unlock()
	if first {
		ts.err = ts.reload(ctx)
		close(ts.ready)
	}
	select {
	case <-ts.ready:
		return ts.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leaveTimersLocked removes s; the last subscriber stops the timers.
func (e *eventEngine) leaveTimersLocked(s *subscription) {
	k := strings.ToLower(s.ns)
	ts := e.timers[k]
	if ts == nil {
		return
	}
	for i, x := range ts.subs {
		if x == s {
			ts.subs = append(ts.subs[:i], ts.subs[i+1:]...)
			break
		}
	}
	if len(ts.subs) > 0 {
		return
	}
	delete(e.timers, k)
	ts.mu.Lock()
	ts.stop = true
	for _, it := range ts.timers {
		it.t.Stop()
	}
	ts.timers = nil
	ts.mu.Unlock()
}

// timerChanges reloads the timers of the namespaces whose timer
// instructions a transaction changed.
func (e *eventEngine) timerChanges(changes []change) {
	seen := map[string]bool{}
	for i := range changes {
		ch := &changes[i]
		if ch.kind > changeInstanceDeleted {
			continue
		}
		inst := ch.inst
		if inst == nil {
			inst = ch.prev
		}
		k := strings.ToLower(ch.ns)
		if seen[k] || !inst.Class().IsA("__TimerInstruction") {
			continue
		}
		seen[k] = true
		e.mu.Lock()
		ts := e.timers[k]
		e.mu.Unlock()
		if ts != nil {
			ts.reload(context.Background())
		}
	}
}

// reload reads the namespace's interval timer instructions and starts,
// restarts and stops timers to match them.
func (ts *timerSet) reload(ctx context.Context) error {
	want := map[string]time.Duration{}
	e := &emitter{server: ts.e.om.server, ns: ts.ns}
	e.w = writerFunc(func(obj cim.Object) error {
		inst := obj.(*cim.Instance)
		id := inst.Value("TimerId").Str()
		ms := inst.Value("IntervalBetweenEvents")
		if ms.IsNull() || ms.Uint() == 0 {
			return nil // an interval of 0 never fires
		}
		want[id] = max(time.Duration(ms.Uint())*time.Millisecond, MinTimerInterval)
		return nil
	})
	if err := ts.e.om.enumerate(ctx, ts.ns, "__IntervalTimerInstruction", true, nil, e); err != nil {
		return err
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.stop {
		return nil
	}
	for k, it := range ts.timers {
		if d, ok := want[it.id]; !ok || d != it.interval {
			it.t.Stop()
			delete(ts.timers, k)
		}
	}
	for id, d := range want {
		k := strings.ToLower(id)
		if ts.timers[k] != nil {
			continue
		}
		it := &intervalTimer{id: id, interval: d}
		it.t = time.AfterFunc(d, func() { ts.fire(k, it) })
		ts.timers[k] = it
	}
	return nil
}

// fire raises one __TimerEvent and arms the timer again.
func (ts *timerSet) fire(k string, it *intervalTimer) {
	ts.mu.Lock()
	if ts.stop || ts.timers[k] != it {
		ts.mu.Unlock()
		return
	}
	it.t.Reset(it.interval)
	ts.mu.Unlock()
	ev, _ := ts.e.newEvent("__TimerEvent", ts.ns, time.Now())
	ev.Set("TimerId", cim.String(it.id))
	ev.Set("NumFirings", cim.Uint32(1))
	ts.e.mu.Lock()
	subs := append([]*subscription(nil), ts.subs...)
	ts.e.mu.Unlock()
	for _, s := range subs {
		s.offer(ev, len(subs) == 1)
	}
}
