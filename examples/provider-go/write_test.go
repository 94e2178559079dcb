//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/cimtest"
	"github.com/gowbem/gowbem/internal/daemon"
	wbemapi "github.com/gowbem/gowbem/wbem"
)

// PutInstance and DeleteInstance of Example_Item through the daemon
// (SupportsPut and SupportsDelete in register.mof), as examples/provider-python
// does them: an item without an Id gets the next free one, whose path is the
// call's result; an update replaces the item; each change reaches a
// subscriber to the items' changes (without WITHIN), and the refusals are
// WBEM statuses naming the culprit.
func TestPutAndDelete(t *testing.T) {
	bin := buildProvider(t)
	log := &cimtest.SyncBuffer{}
	url, pw := startDaemon(t, log)
	register(t, url, pw, bin, log)
	password, err := os.ReadFile(pw)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	svc, err := wbemapi.Connect(ctx, url, `root\cimv2`, wbemapi.Credentials{User: daemon.AdminUser, Password: strings.TrimSpace(string(password))})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	changes, err := svc.ExecNotificationQuery(ctx, "WQL", "SELECT * FROM __InstanceOperationEvent WHERE TargetInstance ISA 'Example_Item'", semisync)
	if err != nil {
		t.Fatalf("subscribing: %v\n%s", err, log)
	}
	defer changes.Close()

	if code, out, errs := wbem(url, pw, "put", "Example_Item", "Name=fig", "Size=5"); code != 0 || strings.TrimSpace(out) != "Example_Item.Id=3" {
		t.Errorf("wbem put Example_Item Name=fig Size=5: exit %d, %q %q\n%s", code, out, errs, log)
	}
	if code, out, errs := wbem(url, pw, "put", "--update", "Example_Item", "Id=1", "Size=250"); code != 0 || !strings.Contains(out, "Example_Item.Id=1") {
		t.Errorf("wbem put --update: exit %d, %q %q", code, out, errs)
	}
	if code, _, errs := wbem(url, pw, "delete", "Example_Item.Id=0"); code != 0 {
		t.Errorf("wbem delete: exit %d, %q", code, errs)
	}
	code, out, errs := wbem(url, pw, "-o", "csv", "enum", "Example_Item")
	if code != 0 || strings.Contains(out, "apple") || !strings.Contains(out, "fig") || !strings.Contains(out, "250") {
		t.Errorf("the items after the changes: exit %d, %q %q", code, out, errs)
	}

	class, err := svc.GetObject(ctx, "Example_Item", 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := class.ResultObject(wbemapi.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	item := func(id int, name string) *cim.Instance {
		inst := c.(*cim.Class).NewInstance()
		if id >= 0 {
			inst.Set("Id", cim.Uint32(uint32(id)))
		}
		if name != "" {
			inst.Set("Name", cim.String(name))
		}
		return inst
	}
	for _, r := range []struct {
		what  string
		inst  *cim.Instance
		flags wbemapi.Flag
		path  string // DeleteInstance
		code  cim.Status
		param string
	}{
		{"creating item 1, which exists", item(1, "again"), wbemapi.WBEM_FLAG_CREATE_ONLY, "", cim.WBEM_E_ALREADY_EXISTS, "Example_Item.Id=1"},
		{"updating item 7, which does not exist", item(7, "none"), wbemapi.WBEM_FLAG_UPDATE_ONLY, "", cim.WBEM_E_NOT_FOUND, "Example_Item.Id=7"},
		{"an item without a Name", item(5, ""), 0, "", cim.WBEM_E_INVALID_PARAMETER, "Name"},
		{"an update without an Id", item(-1, "x"), wbemapi.WBEM_FLAG_UPDATE_ONLY, "", cim.WBEM_E_INVALID_PARAMETER, "Id"},
		{"deleting item 0 again", nil, 0, "Example_Item.Id=0", cim.WBEM_E_NOT_FOUND, "Example_Item.Id=0"},
	} {
		if r.inst != nil {
			_, err = svc.PutInstance(ctx, r.inst, r.flags)
		} else {
			_, err = svc.DeleteInstance(ctx, r.path, 0)
		}
		var e *cim.Error
		if !errors.As(err, &e) || e.Status != r.code || !strings.EqualFold(e.Parameter, r.param) {
			t.Errorf("%s: %v, want %v naming %q", r.what, err, r.code, r.param)
		}
	}

	for _, want := range []string{
		"__InstanceCreationEvent 3 fig <nil>",
		"__InstanceModificationEvent 1 250 200",
		"__InstanceDeletionEvent 0 apple <nil>",
	} {
		ev, err := nextEvent(t, changes, want)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		target := embedded(t, ev, "TargetInstance")
		var got string
		switch {
		case strings.EqualFold(ev.ClassName(), "__InstanceModificationEvent"):
			got = fmt.Sprint(ev.ClassName(), " ", target.Value("Id").Uint(), " ", target.Value("Size").Uint(), " ", embedded(t, ev, "PreviousInstance").Value("Size").Uint())
		default:
			got = fmt.Sprint(ev.ClassName(), " ", target.Value("Id").Uint(), " ", target.Value("Name").Str(), " <nil>")
		}
		if got != want {
			t.Errorf("event %q, want %q", got, want)
		}
	}
}
