package wbem_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// The CIM-XML backend: the object manager behind a cimxml server on
// 127.0.0.1, reached through wbem.Connect with Basic authentication (the
// users of WS-Management), its enumerations pull operations.
func init() {
	backends = append(backends, backendCase{"cimxml", func(t *testing.T, p *workload.Provider) *wbem.Services {
		users := auth.NewBasic(auth.Static{"user": {Password: "pass", Admin: true}}, auth.BasicOptions{})
		srv := cimxml.NewServer(workload.NewObjectManager(p), cimxml.Options{Authenticator: users, ServerName: "testhost"})
		hs := httptest.NewServer(srv)
		svc, err := wbem.Connect(context.Background(), hs.URL+"/cimom", workload.Namespace, wbem.Credentials{User: "user", Password: "pass"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			svc.Backend().(*cimxml.Client).CloseIdleConnections()
			srv.Close()
			hs.Close()
		})
		return svc
	}})
}

// The event conformance tests over CIM-XML: the client's event enumerator
// is an indication listener it runs and the three DSP1054 instances it
// creates on the server, which exports the events to it.
func init() {
	eventBackends = append(eventBackends, eventBackend{"cimxml", func(t *testing.T, om *cimom.ObjectManager, _ wsman.Options) *wbem.Services {
		users := auth.NewBasic(auth.Static{"user": {Password: "pass", Admin: true}}, auth.BasicOptions{})
		srv := cimxml.NewServer(om, cimxml.Options{Authenticator: users, ServerName: "testhost",
			Indications: &cimxml.IndicationOptions{RetryInterval: 10 * time.Millisecond}})
		hs := httptest.NewServer(srv)
		svc, err := wbem.Connect(context.Background(), hs.URL+"/cimom", workload.Namespace, wbem.Credentials{User: "user", Password: "pass"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			svc.Backend().(*cimxml.Client).CloseIdleConnections()
			srv.Close()
			hs.Close()
		})
		return svc
	}})
}
