package wsman_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// A server that refuses the connection fails the call once, with a
// transport failure naming the endpoint: the client does not dial again
// for the operation after its Identify was refused (it did, for every
// operation that asks who the server is first).
func TestRefusedConnectionDialsOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every dial is refused
	var dials atomic.Int32
	d := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		return d.DialContext(ctx, network, a)
	}}}
	defer hc.CloseIdleConnections()
	endpoint := "http://" + addr + "/wsman"
	calls := []struct {
		name string
		do   func(svc *wbem.Services) error
	}{
		{"ExecQuery", func(svc *wbem.Services) error {
			_, err := svc.ExecQuery(t.Context(), "WQL", "SELECT * FROM Win32_Process", 0)
			return err
		}},
		{"GetObject class", func(svc *wbem.Services) error {
			_, err := svc.GetObject(t.Context(), "Win32_Process", 0)
			return err
		}},
		{"GetObject instance without key names", func(svc *wbem.Services) error {
			_, err := svc.GetObject(t.Context(), `Win32_Process="1"`, 0)
			return err
		}},
		{"GetObject instance", func(svc *wbem.Services) error {
			_, err := svc.GetObject(t.Context(), `Win32_Process.Handle="1"`, 0)
			return err
		}},
		{"CreateInstanceEnum", func(svc *wbem.Services) error {
			_, err := svc.CreateInstanceEnum(t.Context(), "Win32_Process", 0)
			return err
		}},
		{"DeleteInstance without key names", func(svc *wbem.Services) error {
			_, err := svc.DeleteInstance(t.Context(), `Win32_Process="1"`, 0)
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			c := wsman.NewClient(endpoint, wbem.Credentials{User: testUser, Password: testPass}, wsman.ClientOptions{HTTPClient: hc})
			svc := wbem.NewServices(c, "root/cimv2")
			defer svc.Close()
			dials.Store(0)
			err := tc.do(svc)
			if n := dials.Load(); n != 1 {
				t.Errorf("%d dials for one call to a closed port, want 1", n)
			}
			if cim.StatusOf(err) != cim.WBEM_E_TRANSPORT_FAILURE {
				t.Fatalf("error %v (%v), want WBEM_E_TRANSPORT_FAILURE", err, cim.StatusOf(err))
			}
			if msg := err.Error(); !strings.Contains(msg, addr) || !strings.Contains(msg, "refused") {
				t.Errorf("error %q does not name %s and the refusal", msg, addr)
			}
		})
	}
}
