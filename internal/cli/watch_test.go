package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wsman"
)

// The query wbem watch builds from its flags.
func TestWatchQuery(t *testing.T) {
	for _, tc := range []struct {
		flags cmdFlags
		args  []string
		want  string
	}{
		{cmdFlags{}, []string{"SELECT * FROM __TimerEvent"}, "SELECT * FROM __TimerEvent"},
		{cmdFlags{created: true}, []string{"Win32_Process"}, `SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA "Win32_Process"`},
		{cmdFlags{deleted: true, within: 2 * time.Second}, []string{"Win32_Process"}, `SELECT * FROM __InstanceDeletionEvent WITHIN 2 WHERE TargetInstance ISA "Win32_Process"`},
		{cmdFlags{modified: true, where: "Name = 'sshd' OR PreviousInstance.State = 'x'"}, []string{"Win32_Service"},
			`SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA "Win32_Service" AND (TargetInstance.Name = "sshd" OR PreviousInstance.State = "x")`},
		{cmdFlags{created: true, deleted: true, modified: true, within: 1500 * time.Millisecond}, []string{"C"}, `SELECT * FROM __InstanceOperationEvent WITHIN 1.5 WHERE TargetInstance ISA "C"`},
		{cmdFlags{created: true, deleted: true}, []string{"C"},
			`SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA "C" AND (__CLASS = "__InstanceCreationEvent" OR __CLASS = "__InstanceDeletionEvent")`},
	} {
		r := &runner{flags: tc.flags}
		got, err := r.watchQuery(tc.args, tc.flags.within)
		if err != nil {
			t.Fatalf("%+v: %v", tc.flags, err)
		}
		if got != tc.want {
			t.Errorf("%+v:\n got %s\nwant %s", tc.flags, got, tc.want)
		}
	}
	for _, bad := range []cmdFlags{{where: "x = 1"}, {created: true, where: "= ="}} {
		r := &runner{flags: bad}
		if _, err := r.watchQuery([]string{"C"}, 0); err == nil {
			t.Errorf("%+v: no usage error", bad)
		}
	}
}

// watching runs wbem watch in the background and returns a function that
// waits for it.
func watching(t *testing.T, ctx context.Context, om *cimom.ObjectManager, env Env, args ...string) func() (string, string, int) {
	t.Helper()
	var out, errb cimtest.SyncBuffer
	env.Stdout, env.Stderr = &out, &errb
	if env.Local == nil {
		env.Local = localOM(om)
	}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, args, env) }()
	deadline := time.Now().Add(10 * time.Second)
	for om.Subscriptions() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("wbem %v did not subscribe: %s", args, errb.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	return func() (string, string, int) {
		select {
		case code := <-done:
			return out.String(), errb.String(), code
		case <-time.After(20 * time.Second):
			t.Fatalf("wbem %v did not end", args)
			return "", "", 0
		}
	}
}

// Events of every kind in jsonl: a creation, and a modification that says
// what changed; --count ends the watch.
func TestWatchEvents(t *testing.T) {
	om := fixture(t, &workload.Provider{N: 3})
	wait := watching(t, context.Background(), om, Env{}, "-o", "jsonl", "watch", "--created", "--modified", "GW_Base", "--where", "Size > 10", "--count", "2")
	run(t, om, "put", "GW_Base", "Name=small", "Size=1")
	run(t, om, "put", "GW_Base", "Name=big", "Size=11")
	run(t, om, "put", "GW_Base", "Name=alpha", "Size=12")
	out, errs, code := wait()
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 events:\n%s", out)
	}
	var ev []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		ev = append(ev, m)
	}
	if ev[0]["Event"] != "Created" || ev[0]["Path"] != `GW_Base.Name="big"` || ev[0]["Changes"] != nil {
		t.Fatalf("first event %v", ev[0])
	}
	if ev[1]["Event"] != "Modified" || !strings.HasPrefix(fmt.Sprint(ev[1]["Changes"]), "Size: 1 → 12") || ev[1]["TargetInstance"] == nil {
		t.Fatalf("second event %v", ev[1])
	}
	if ts, ok := ev[0]["Time"].(string); !ok || len(ts) < 20 {
		t.Fatalf("Time %v", ev[0]["Time"])
	}
}

// Every output format prints an event; --timeout ends a quiet watch with
// success; an interrupt gives 130; a wrong query its WBEM status.
func TestWatchFormatsAndEnds(t *testing.T) {
	om := fixture(t, &workload.Provider{N: 3})
	for _, format := range formats {
		wait := watching(t, context.Background(), om, Env{}, "-o", format, "watch", "--deleted", "GW_Base", "--count", "1")
		run(t, om, "put", "GW_Base", "Name=gone-"+format)
		run(t, om, "delete", `GW_Base.Name="gone-`+format+`"`)
		out, errs, code := wait()
		if code != ExitOK || !strings.Contains(out, "gone-"+format) || !strings.Contains(out, "Deleted") {
			t.Errorf("-o %s: exit %d\n%s%s", format, code, out, errs)
		}
		waitFor(t, func() bool { return om.Subscriptions() == 0 })
	}
	start := time.Now()
	_, errs, code := run(t, om, "watch", "SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA 'GW_Base'", "--timeout", "200ms")
	if code != ExitOK || time.Since(start) < 200*time.Millisecond {
		t.Fatalf("--timeout: exit %d after %v: %s", code, time.Since(start), errs)
	}
	// A provider's class is polled, every second unless --within says.
	_, errs, code = run(t, om, "watch", "--created", "GW_Item", "--timeout", "300ms")
	if code != ExitOK || !strings.Contains(errs, "GW_Item is polled every 1s") {
		t.Fatalf("watch of a provider's class: exit %d, %s", code, errs)
	}
	if _, errs, code := run(t, om, "watch", "--created", "GW_Item", "--within", "10ms"); code != ExitFailed || !strings.Contains(errs, "WBEMESS_E_REGISTRATION_TOO_PRECISE") {
		t.Fatalf("--within 10ms: exit %d, %s", code, errs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := watching(t, ctx, om, Env{}, "watch", "--modified", "GW_Base")
	cancel()
	if _, errs, code := wait(); code != ExitInterrupted {
		t.Fatalf("interrupted watch: exit %d, %s", code, errs)
	}
	_, errs, code = run(t, om, "watch", "SELECT * FROM GW_Base")
	if code != ExitFailed || !strings.Contains(errs, "WBEM_E_NOT_EVENT_CLASS") {
		t.Fatalf("watch of a data class: exit %d, %s", code, errs)
	}
	for _, args := range [][]string{{"watch"}, {"watch", "--created"}, {"watch", "--created", "GW_Base", "--where", "Size >"}, {"watch", "q", "--count", "-1"}} {
		if _, _, code := run(t, om, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// With --host, over WS-Management and over CIM-XML: the same events
// through a subscription on the daemon (over CIM-XML, to the indication
// listener the client runs) — an administrator and a user who is not one.
func TestWatchRemote(t *testing.T) {
	users := auth.NewBasic(auth.Static{"u": {Password: "pw", Admin: true}, "g": {Password: "pw"}}, auth.BasicOptions{})
	for _, tc := range []struct{ proto, user string }{{"wsman", "u"}, {"cimom", "u"}, {"wsman", "g"}, {"cimom", "g"}} {
		proto := tc.proto
		t.Run(proto+"/"+tc.user, func(t *testing.T) {
			om := fixture(t, &workload.Provider{N: 3})
			var h http.Handler
			subs := func() int { return 0 }
			if proto == "wsman" {
				srv := wsman.NewServer(om, wsman.Options{Authenticator: users})
				t.Cleanup(func() { srv.Close() })
				h, subs = srv, srv.Subscriptions
			} else {
				srv := cimxml.NewServer(om, cimxml.Options{Authenticator: users, Indications: &cimxml.IndicationOptions{}})
				t.Cleanup(func() { srv.Close() })
				h, subs = srv, func() int { return srv.IndicationStats().Subscriptions }
			}
			hs := httptest.NewServer(h)
			t.Cleanup(hs.Close)
			pw := filepath.Join(t.TempDir(), "pw")
			if err := os.WriteFile(pw, []byte("pw\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			wait := watching(t, context.Background(), om, Env{Local: func(context.Context, string, bool) (ObjectManager, io.Closer, error) {
				t.Error("a --host watch opened the local repository")
				return nil, nil, nil
			}}, "--host", hs.URL+"/"+proto, "--user", tc.user, "--password-file", pw, "-o", "list", "watch", "--modified", "GW_Base", "--count", "1")
			run(t, om, "put", "GW_Base", "Name=beta", "Size=23")
			out, errs, code := wait()
			if code != ExitOK || !strings.Contains(out, "Size: 22 → 23") {
				t.Fatalf("remote watch: exit %d\n%s%s", code, out, errs)
			}
			waitFor(t, func() bool { return om.Subscriptions() == 0 && subs() == 0 })
		})
	}
}
