package providerhost

import (
	"fmt"
	"time"
)

// Policy says how the host restarts providers that crash and when it stops
// idle ones.
type Policy struct {
	// FirstBackoff is the wait before the first restart after a crash; each
	// further crash in a row doubles it, up to MaxBackoff.
	FirstBackoff, MaxBackoff time.Duration
	// A provider that crashes MaxCrashes times within CrashWindow is in a
	// crash loop: it is not started again until CrashWindow has passed since
	// its last crash (or its registration changes), and calls fail with
	// WBEM_E_PROVIDER_LOAD_FAILURE saying so.
	MaxCrashes  int
	CrashWindow time.Duration
}

// DefaultPolicy is the policy of the daemon.
var DefaultPolicy = Policy{
	FirstBackoff: 100 * time.Millisecond,
	MaxBackoff:   10 * time.Second,
	MaxCrashes:   5,
	CrashWindow:  time.Minute,
}

// restarts is the crash history of one provider process.
type restarts struct {
	crashes []time.Time // within the crash window, oldest first
}

// crashed records a crash at now.
func (r *restarts) crashed(p Policy, now time.Time) {
	r.trim(p, now)
	r.crashes = append(r.crashes, now)
}

func (r *restarts) trim(p Policy, now time.Time) {
	i := 0
	for i < len(r.crashes) && now.Sub(r.crashes[i]) >= p.CrashWindow {
		i++
	}
	r.crashes = r.crashes[i:]
}

// healthy forgets the crashes: the provider served a call.
func (r *restarts) healthy() { r.crashes = nil }

// next says when the provider may start again: wait is how long from now
// (0: at once); loop is set when it is in a crash loop, with a description.
func (r *restarts) next(p Policy, now time.Time) (wait time.Duration, loop error) {
	r.trim(p, now)
	n := len(r.crashes)
	if n == 0 {
		return 0, nil
	}
	last := r.crashes[n-1]
	if n >= p.MaxCrashes {
		until := last.Add(p.CrashWindow)
		return until.Sub(now), fmt.Errorf("it crashed %d times within %v (a crash loop); it is not started again before %s or until its registration changes",
			n, p.CrashWindow, until.Format(time.RFC3339))
	}
	b := p.FirstBackoff
	for i := 1; i < n && b < p.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, p.MaxBackoff)
	if w := last.Add(b).Sub(now); w > 0 {
		return w, nil
	}
	return 0, nil
}
