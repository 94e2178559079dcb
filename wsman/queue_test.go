package wsman_test

import (
	"strconv"
	"testing"
	"testing/synctest"

	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// An open context queues what its client's next Pull can take, not a fixed
// 1,024 objects: one object after an Enumerate without optimization, about
// a Pull's MaxElements after a Pull, and no more than the table's budget
// shares out when that is small (issue 20: memory per enumeration).
func TestQueueSizedFromPulls(t *testing.T) {
	for _, tc := range []struct {
		name            string
		budget          int64 // 0: the default
		maxEl           int
		atMost, atLeast int64 // queued ahead after the Pull
	}{
		{name: "small Pulls", maxEl: 10, atLeast: 10, atMost: 11},
		{name: "large Pulls", maxEl: 500, atLeast: 400, atMost: 501},
		// Two contexts share MinBuffer*2: each may hold its MinBuffer
		// (8 KB: tens of objects), not the 500 a Pull asks.
		{name: "small budget", budget: 2 * enumctx.MinBuffer, maxEl: 500, atLeast: 1, atMost: 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tab := enumctx.New(wsman.DefaultMaxContextsPerUser)
				if tc.budget > 0 {
					tab.SetMaxBuffered(tc.budget)
				}
				ps := []*workload.Provider{{N: 1 << 30}, {N: 1 << 30}}
				for _, p := range ps {
					srv := newServer(t, p, wsman.Options{Enumerations: tab})
					w := call(srv, testUser, testPass, enumerate(itemURI, ""))
					id := enumCtxOf(t, w)
					synctest.Wait()
					if got := p.Emitted.Load(); got > 1 {
						t.Fatalf("an idle context queued %d objects, want 1 at most", got)
					}
					defer call(srv, testUser, testPass, release(itemURI, id))
					w = call(srv, testUser, testPass, pull(itemURI, id, "<wsen:MaxElements>"+strconv.Itoa(tc.maxEl)+"</wsen:MaxElements>", ""))
					if got := ids(w.Body.String()); len(got) != tc.maxEl {
						t.Fatalf("Pull of %d brought %d", tc.maxEl, len(got))
					}
				}
				synctest.Wait()
				for i, p := range ps {
					if q := p.Emitted.Load() - int64(tc.maxEl); q < tc.atLeast || q > tc.atMost {
						t.Errorf("context %d queued %d objects after a Pull of %d, want %d to %d", i, q, tc.maxEl, tc.atLeast, tc.atMost)
					}
				}
			})
		})
	}
}
