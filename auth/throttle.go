package auth

import (
	"net/netip"
	"sync"
	"time"
)

// throttle counts failed logins per key (an address or a user) and, past
// free failures, makes the key wait before its next attempt: base, doubling
// with each further failure up to max. A success clears the key; failures
// older than forget are forgotten.
type throttle struct {
	free      int
	base, max time.Duration
	forget    time.Duration
	maxKeys   int
	mu        sync.Mutex
	keys      map[string]*failures
}

type failures struct {
	n     int
	last  time.Time
	until time.Time // no attempt before
}

func newThrottle(free int, base, max, forget time.Duration, maxKeys int) *throttle {
	return &throttle{free: free, base: base, max: max, forget: forget, maxKeys: maxKeys, keys: map[string]*failures{}}
}

// wait returns how long key must still wait before an attempt.
func (t *throttle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.keys[key]
	if f == nil {
		return 0
	}
	if now.Sub(f.last) > t.forget {
		delete(t.keys, key)
		return 0
	}
	if now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// failing reports whether key has failed recently (and has not succeeded
// since).
func (t *throttle) failing(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.keys[key]
	return f != nil && now.Sub(f.last) <= t.forget
}

// fail records a failure of key and reports whether the key is now made to
// wait (it was not before).
func (t *throttle) fail(key string, now time.Time) (blockedNow bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.keys[key]
	if f == nil || now.Sub(f.last) > t.forget {
		if f == nil && len(t.keys) >= t.maxKeys {
			t.evict(now)
		}
		f = &failures{}
		t.keys[key] = f
	}
	f.n++
	f.last = now
	if f.n <= t.free {
		return false
	}
	d := t.base
	for i := t.free + 1; i < f.n && d < t.max; i++ {
		d *= 2
	}
	d = min(d, t.max)
	was := now.Before(f.until)
	f.until = now.Add(d)
	return !was
}

// succeed clears key.
func (t *throttle) succeed(key string) {
	t.mu.Lock()
	delete(t.keys, key)
	t.mu.Unlock()
}

// evict makes room: forgotten keys go first, else an arbitrary tenth.
func (t *throttle) evict(now time.Time) {
	for k, f := range t.keys {
		if now.Sub(f.last) > t.forget || !now.Before(f.until) && f.n <= t.free {
			delete(t.keys, k)
		}
	}
	for k := range t.keys {
		if len(t.keys) < t.maxKeys*9/10 {
			break
		}
		delete(t.keys, k)
	}
}

// addressKey is the throttling key of an address: the address itself for
// IPv4, its /64 for IPv6 (where one client holds a whole prefix).
func addressKey(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return "a:" + p.String()
	}
	return "a:" + a.String()
}

// pool runs at most n verifications at once. Waiters are served in order,
// those of logins without recent failures first: a flood of guesses then
// delays a clean login by at most the verification running.
type pool struct {
	mu        sync.Mutex
	free      int
	high, low []chan struct{}
}

func newPool(n int) *pool { return &pool{free: n} }

// acquire waits for a slot; clean logins pass before the others.
func (p *pool) acquire(clean bool) {
	p.mu.Lock()
	if p.free > 0 {
		p.free--
		p.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	if clean {
		p.high = append(p.high, ch)
	} else {
		p.low = append(p.low, ch)
	}
	p.mu.Unlock()
	<-ch
}

// release hands the slot to the next waiter, or frees it.
func (p *pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case len(p.high) > 0:
		close(p.high[0])
		p.high = p.high[1:]
	case len(p.low) > 0:
		close(p.low[0])
		p.low = p.low[1:]
	default:
		p.free++
	}
}
