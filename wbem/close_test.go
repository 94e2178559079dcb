package wbem_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// Services.Close of a connected Services releases its connection: the
// server sees the client's kept-alive connection close. The services of
// OpenNamespace share their parent's connection and leave it open.
func TestServicesCloseReleasesConnection(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		handler    func(wbem.Backend) http.Handler
		connCtx    func(context.Context, net.Conn) context.Context
	}{
		{"wsman", "/wsman", func(b wbem.Backend) http.Handler {
			return wsman.NewServer(b, wsman.Options{Authenticator: closeTestUsers(), ServerName: "testhost"})
		}, wsman.ConnContext},
		{"cimxml", "/cimom", func(b wbem.Backend) http.Handler {
			return cimxml.NewServer(b, cimxml.Options{Authenticator: closeTestUsers(), ServerName: "testhost"})
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			closed := make(chan struct{}, 16)
			hs := httptest.NewUnstartedServer(tc.handler(workload.NewObjectManager(&workload.Provider{N: 3})))
			hs.Config.ConnContext = tc.connCtx
			hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateClosed {
					closed <- struct{}{}
				}
			}
			hs.Start()
			defer hs.Close()
			svc, err := wbem.Connect(context.Background(), hs.URL+tc.path, workload.Namespace, wbem.Credentials{User: "user", Password: "pass"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.GetObject(context.Background(), "GW_Item.Id=1", 0); err != nil {
				t.Fatal(err)
			}
			cr, err := svc.OpenNamespace(context.Background(), "", 0)
			if err == nil {
				if child, err := cr.ResultServices(wbem.Infinite); err == nil {
					if err := child.Close(); err != nil {
						t.Fatalf("Close of OpenNamespace's services = %v", err)
					}
				}
			}
			select {
			case <-closed:
				t.Fatal("a connection closed before Services.Close")
			default:
			}
			if err := svc.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			within(t, "the connection's close", func() struct{} { <-closed; return struct{}{} })
		})
	}
}

func closeTestUsers() *auth.Basic {
	return auth.NewBasic(auth.Static{"user": {Password: "pass", Admin: true}}, auth.BasicOptions{})
}
