package wbem_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
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
