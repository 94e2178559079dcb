package wbem_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// connectProbe is a protocol named by its own scheme, as "wmi" is: it
// records the URL its connector was given.
var connectProbe = make(chan *url.URL, 1)

func init() {
	wbem.RegisterProtocol("gwprobe", func(_ context.Context, u *url.URL, _ wbem.Credentials) (wbem.Backend, error) {
		connectProbe <- u
		return nil, nil
	})
}

// A scheme that names a registered protocol picks it even without a host
// ("wmi:" is the local WMI), and its URL's path gives the namespace when the
// caller names none; http and https still need a host.
func TestConnectOwnScheme(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		url, ns      string
		host, wantNS string
		wantFailure  bool
	}{
		{url: "gwprobe:", ns: `root\cimv2`, wantNS: `root\cimv2`},
		{url: "gwprobe:", wantNS: cim.DefaultNamespace},
		{url: "GWPROBE:", ns: "root/default", wantNS: `root\default`},
		{url: "gwprobe://server/root/cimv2", host: "server", wantNS: `root\cimv2`},
		{url: "gwprobe://server/root/cimv2", ns: `root\default`, host: "server", wantNS: `root\default`},
		{url: "http:", wantFailure: true},
		{url: "https:///wsman", wantFailure: true},
		{url: "nosuchproto:", wantFailure: true},
		{url: "nosuchproto+http://host/x", wantFailure: true},
	} {
		svc, err := wbem.Connect(ctx, c.url, c.ns, wbem.Credentials{})
		if c.wantFailure {
			if wbem.StatusOf(err) != cim.WBEM_E_INVALID_PARAMETER {
				t.Errorf("Connect(%q) = %v, want WBEM_E_INVALID_PARAMETER", c.url, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Connect(%q, %q): %v", c.url, c.ns, err)
		}
		u := <-connectProbe
		if u.Host != c.host || svc.Namespace() != c.wantNS {
			t.Errorf("Connect(%q, %q): host %q namespace %q, want %q %q", c.url, c.ns, u.Host, svc.Namespace(), c.host, c.wantNS)
		}
	}
}
