package wsman_test

import (
	"context"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// An enumeration of many Pulls runs on one keep-alive connection.
func TestKeepAlive(t *testing.T) {
	e := newEnv(t, &workload.Provider{N: 5000}, wsman.Options{})
	svc := e.connect(t, testUser, testPass, "maxelements=50")
	for range 2 {
		if n, _ := drain(t, svc); n != 5000 {
			t.Fatalf("got %d instances", n)
		}
	}
	// 2 × 100 Pulls; the Identify and class look-ups go on the same
	// connection, and the read-ahead Pull may need a second one at most.
	n := 0
	e.remotes.Range(func(any, any) bool { n++; return true })
	if n > 2 {
		t.Fatalf("%d connections for 200 Pulls: keep-alive is not working", n)
	}
}

// Event queries over WS-Management: a subscription's Pulls time out while
// no event comes, errors come from the first Next, and Close releases it.
func TestEventQuery(t *testing.T) {
	e := newEnv(t, nil, wsman.Options{})
	svc := e.connect(t, testUser, testPass, "pullwait=100ms")
	flags := wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY
	en, err := svc.ExecNotificationQuery(context.Background(), "WQL", "SELECT * FROM __InstanceCreationEvent WITHIN 5 WHERE TargetInstance ISA 'GW_Base'", flags)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if n, err := en.Next(300*time.Millisecond, make([]cim.Object, 1)); n != 0 || err != wbem.ErrTimedOut {
			t.Fatalf("idle event Next = %d, %v", n, err)
		}
	}
	if e.srv.OpenEnumerations() != 1 {
		t.Fatalf("%d open contexts, want the subscription's", e.srv.OpenEnumerations())
	}
	en.Close()
	waitFor(t, func() bool { return e.srv.OpenEnumerations() == 0 }, "the subscription was not released")
	// A subscription that cannot be set up fails the call.
	en2, err := svc.ExecNotificationQuery(context.Background(), "WQL", "SELECT * FROM GW_Base", flags)
	if wbem.StatusOf(err) != cim.WBEM_E_NOT_EVENT_CLASS || en2 != nil {
		t.Fatalf("event query on a non-event class: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 1000 {
			t.Fatal(msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
