//go:build linux && cgo && pam

package daemon

import (
	"context"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// A CIM-XML subscription object made by a PAM login (a Linux account the
// users file does not hold) outlives a restart: the daemon finds its
// creator again through PAM's account management and the account, as it
// logs one in, instead of losing it for want of a users-file entry. A
// start while PAM fails (a module that does not load) keeps it stored for
// the next.
func TestPAMSubscriptionsRestored(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	pamDir := testPAMStack(t)
	dir := t.TempDir()
	startCIMXML := func() (*started, string) {
		addrs := make(chan net.Addr, 1)
		s := start(t, Config{StateDir: dir, HTTPAddr: "127.0.0.1:0", CIMXMLAddr: "127.0.0.1:0", PAMService: "gowbem-test", PAMConfDir: pamDir,
			CIMXMLReady: func(h, _ net.Addr) { addrs <- h }})
		select {
		case a := <-addrs:
			return s, "http://" + a.String() + CIMXMLPath
		case <-time.After(time.Minute):
			t.Fatalf("CIM-XML not served\n%s", s.log)
		}
		return nil, ""
	}
	ctx := context.Background()
	s, url := startCIMXML()
	svc := connect(t, url, me.Username, "s3cret", nil)
	cr, err := svc.GetObject(ctx, "CIM_IndicationFilter", 0)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := cr.ResultObject(wbem.Infinite)
	if err != nil {
		t.Fatal(err)
	}
	f := obj.(*cim.Class).NewInstance()
	f.Set("Name", cim.String("pam-filter"))
	f.Set("Query", cim.String("SELECT * FROM __InstanceCreationEvent WHERE TargetInstance ISA '__Namespace'"))
	if _, err := svc.PutInstance(ctx, f, wbem.WBEM_FLAG_CREATE_ONLY); err != nil {
		t.Fatalf("%s's filter: %v", me.Username, err)
	}
	s.shutdown(t)

	service := filepath.Join(pamDir, "gowbem-test")
	stack, err := os.ReadFile(service)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(stack), "account required pam_permit.so", "account required "+filepath.Join(pamDir, "pam_gowbem_missing.so"), 1)
	if err := os.WriteFile(service, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ = startCIMXML()
	s.shutdown(t)
	if log := s.log.String(); !strings.Contains(log, "not restored yet") || strings.Contains(log, "record is deleted") {
		t.Fatalf("a start while PAM fails:\n%s", log)
	}
	if err := os.WriteFile(service, stack, 0o644); err != nil {
		t.Fatal(err)
	}

	s, url = startCIMXML()
	defer s.shutdown(t)
	// (EnumerateInstances: the pull operations do not reach the
	// subscription objects yet.)
	e, err := connect(t, url+"?pull=false", me.Username, "s3cret", nil).CreateInstanceEnum(ctx, "CIM_IndicationFilter", wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	buf := make([]cim.Object, 4)
	n, _ := e.Next(30*time.Second, buf)
	if n != 1 || buf[0].(*cim.Instance).Value("Name").Str() != "pam-filter" {
		t.Fatalf("after the restart %s has %d filters %v\n%s", me.Username, n, buf[:n], s.log)
	}
	if strings.Contains(s.log.String(), "not restored") {
		t.Fatalf("log:\n%s", s.log)
	}
}
