//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/daemon"
	wbemapi "github.com/gowbem/gowbem/wbem"
	_ "github.com/gowbem/gowbem/wsman" // wbem.Connect over WS-Management
)

// register substitutes @PROVIDER@ in register.mof with bin and compiles it
// into the daemon with wbem mofcomp.
func register(t *testing.T, url, pw, bin string, log *cimtest.SyncBuffer) {
	t.Helper()
	mof, err := os.ReadFile("register.mof")
	if err != nil {
		t.Fatal(err)
	}
	regFile := filepath.Join(t.TempDir(), "register.mof")
	if err := os.WriteFile(regFile, bytes.ReplaceAll(mof, []byte("@PROVIDER@"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := wbem(url, pw, "mofcomp", regFile); code != 0 {
		t.Fatalf("mofcomp: exit %d: %s\n%s", code, errs, log)
	}
}

const semisync = wbemapi.WBEM_FLAG_RETURN_IMMEDIATELY | wbemapi.WBEM_FLAG_FORWARD_ONLY

// nextEvent returns the next event of e within 30 s.
func nextEvent(t *testing.T, e *wbemapi.Enumerator, what string) (*cim.Instance, error) {
	t.Helper()
	buf := make([]cim.Object, 1)
	n, err := e.Next(30*time.Second, buf)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		t.Fatalf("%s: no event within 30 s", what)
	}
	return buf[0].(*cim.Instance), nil
}

func embedded(t *testing.T, ev *cim.Instance, prop string) *cim.Instance {
	t.Helper()
	v := ev.Value(prop)
	if v.IsNull() || v.Instance() == nil {
		t.Fatalf("%s has no %s", ev.ClassName(), prop)
	}
	return v.Instance()
}

// The provider's extrinsic event reaches a subscriber in the daemon's
// process and one over WS-Management; the changes of its instances, which it
// raises itself, reach a subscriber without WITHIN (nothing polls); killing the provider ends the subscriptions
// to its events with WBEM_E_PROVIDER_FAILURE naming it.
func TestEvents(t *testing.T) {
	bin := buildProvider(t)
	log := &cimtest.SyncBuffer{}
	url, pw, om := startDaemonOM(t, log)
	register(t, url, pw, bin, log)
	ctx := context.Background()

	local := om.Services(`root\cimv2`)
	grown, err := local.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM Example_ItemGrown WHERE Id = 1", semisync)
	if err != nil {
		t.Fatalf("subscribing in process: %v\n%s", err, log)
	}
	defer grown.Close()
	polled, err := local.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceModificationEvent WHERE TargetInstance ISA 'Example_Item'", semisync)
	if err != nil {
		t.Fatalf("subscribing to modifications: %v\n%s", err, log)
	}
	defer polled.Close()

	password, err := os.ReadFile(pw)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := wbemapi.Connect(ctx, url, `root\cimv2`, wbemapi.Credentials{User: daemon.AdminUser, Password: strings.TrimSpace(string(password))})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	overWSMan, err := remote.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM Example_ItemGrown", semisync)
	if err != nil {
		t.Fatalf("subscribing over WS-Management: %v\n%s", err, log)
	}
	defer overWSMan.Close()

	for _, grow := range []string{"Example_Item.Id=2", "Example_Item.Id=1"} {
		if code, out, errs := wbem(url, pw, "call", grow, "Grow", "By=5"); code != 0 {
			t.Fatalf("Grow %s: exit %d, %q %q", grow, code, out, errs)
		}
	}

	// In process: only Id 1, by the WHERE clause.
	ev, err := nextEvent(t, grown, "in process")
	if err != nil {
		t.Fatal(err)
	}
	if ev.ClassName() != "Example_ItemGrown" || ev.Value("Id").Uint() != 1 || ev.Value("NewSize").Uint() != 205 || ev.Value("Name").Str() != "banana" {
		t.Errorf("in process: %s Id=%v NewSize=%v Name=%v", ev.ClassName(), ev.Value("Id"), ev.Value("NewSize"), ev.Value("Name"))
	}
	// Over WS-Management: both, in order.
	for _, want := range []struct {
		id   uint64
		size uint64
	}{{2, 305}, {1, 205}} {
		ev, err := nextEvent(t, overWSMan, "over WS-Management")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(ev.ClassName(), "Example_ItemGrown") || ev.Value("Id").Uint() != want.id || ev.Value("NewSize").Uint() != want.size {
			t.Errorf("over WS-Management: %s Id=%v NewSize=%v, want Id=%d NewSize=%d", ev.ClassName(), ev.Value("Id"), ev.Value("NewSize"), want.id, want.size)
		}
	}
	// From the provider: both items' modifications, with the sizes before
	// and after.
	sizes := map[uint64][2]uint64{}
	for len(sizes) < 2 {
		ev, err := nextEvent(t, polled, "modifications")
		if err != nil {
			t.Fatal(err)
		}
		now, before := embedded(t, ev, "TargetInstance"), embedded(t, ev, "PreviousInstance")
		sizes[now.Value("Id").Uint()] = [2]uint64{before.Value("Size").Uint(), now.Value("Size").Uint()}
	}
	if sizes[1] != [2]uint64{200, 205} || sizes[2] != [2]uint64{300, 305} {
		t.Errorf("polled modifications: %v", sizes)
	}

	// The provider dies: the subscriptions to its events end with its
	// failure, in process and over WS-Management.
	pid := pidOf(bin)
	if pid == 0 {
		t.Fatal("no provider process")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, err = nextEvent(t, grown, "in process, after the crash")
	if wbemapi.StatusOf(err) != cim.WBEM_E_PROVIDER_FAILURE || !strings.Contains(err.Error(), "ExampleProvider") {
		t.Errorf("in process, after the crash: %v", err)
	}
	_, err = nextEvent(t, overWSMan, "over WS-Management, after the crash")
	if err == nil {
		t.Error("over WS-Management, after the crash: the subscription goes on")
	}
	t.Logf("over WS-Management, after the crash: %v", err)

	// A new subscription starts the provider again.
	again, err := local.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM Example_ItemGrown", semisync)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if code, out, errs := wbem(url, pw, "call", "Example_Item.Id=0", "Grow", "By=1"); code != 0 {
		t.Fatalf("Grow after the crash: exit %d, %q %q", code, out, errs)
	}
	if ev, err := nextEvent(t, again, "after the restart"); err != nil || ev.Value("NewSize").Uint() != 101 {
		t.Fatalf("after the restart: %v, %v", ev, err)
	}
}
