package wbem_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// The WS-Management backend: the object manager behind a wsman server on
// 127.0.0.1, reached through wbem.Connect with Basic authentication.
func init() {
	backends = append(backends, backendCase{"wsman", func(t *testing.T, p *workload.Provider) *wbem.Services {
		users := auth.NewBasic(auth.Static{"user": {Password: "pass", Admin: true}}, auth.BasicOptions{})
		srv := wsman.NewServer(workload.NewObjectManager(p), wsman.Options{Authenticator: users, ServerName: "testhost"})
		hs := httptest.NewUnstartedServer(srv)
		hs.Config.ConnContext = wsman.ConnContext
		hs.Start()
		svc, err := wbem.Connect(context.Background(), hs.URL+"/wsman", workload.Namespace, wbem.Credentials{User: "user", Password: "pass"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			svc.Backend().(*wsman.Client).CloseIdleConnections()
			srv.Close()
			hs.Close()
		})
		return svc
	}})
}
