//go:build linux

package host

import (
	"net"
	"os"
	"slices"
	"testing"
)

func TestParseResolvConf(t *testing.T) {
	b, err := os.ReadFile("testdata/root/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	rc := parseResolvConf(b)
	if !slices.Equal(rc.servers, []string{"10.0.0.53", "fe80::1%eth0"}) {
		t.Errorf("servers %q", rc.servers)
	}
	// The last of domain and search wins; the domain is then the first
	// search entry.
	if rc.domain != "corp.example" || !slices.Equal(rc.search, []string{"corp.example", "lab.example"}) {
		t.Errorf("domain %q search %q", rc.domain, rc.search)
	}
	rc = parseResolvConf([]byte("search a b\ndomain c\n"))
	if rc.domain != "c" || rc.search != nil {
		t.Errorf("domain after search: %+v", rc)
	}
	many := []byte{}
	for range MaxResolvServers + 5 {
		many = append(many, "nameserver 1.2.3.4\n"...)
	}
	if n := len(parseResolvConf(many).servers); n != MaxResolvServers {
		t.Errorf("%d servers, want the limit %d", n, MaxResolvServers)
	}
}

// FuzzParseResolvConf: any text gives name servers that parse as addresses,
// at most MaxResolvServers of them, and a domain without blanks.
func FuzzParseResolvConf(f *testing.F) {
	if b, err := os.ReadFile("testdata/root/etc/resolv.conf"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("nameserver 1.1.1.1\nsearch a b c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rc := parseResolvConf(b)
		if len(rc.servers) > MaxResolvServers {
			t.Fatalf("%d servers", len(rc.servers))
		}
		for _, s := range rc.servers {
			if net.ParseIP(s) == nil && !slices.Contains([]byte(s), '%') {
				t.Fatalf("server %q is no address", s)
			}
		}
	})
}

func TestRouteMappings(t *testing.T) {
	gw := net.ParseIP("192.0.2.1")
	for _, c := range []struct {
		r    netRoute
		want uint32
	}{
		{netRoute{gw: gw}, 4},
		{netRoute{}, 3},
		{netRoute{typ: 6}, 2},
		{netRoute{typ: 7, gw: gw}, 2},
	} {
		if got := routeType(c.r); got != c.want {
			t.Errorf("routeType(%+v) = %d, want %d", c.r, got, c.want)
		}
	}
	for in, want := range map[int]uint32{2: 2, 3: 3, 4: 3, 16: 1, 186: 14, 188: 13, 189: 8, 0: 1} {
		if got := routeProtocol(in); got != want {
			t.Errorf("routeProtocol(%d) = %d, want %d", in, got, want)
		}
	}
	for _, c := range []struct {
		l    netLink
		want uint16
	}{
		{netLink{up: true, lowerUp: true}, 2},
		{netLink{up: true}, 7},
		{netLink{up: true, loopback: true}, 2},
		{netLink{}, 0},
	} {
		if got := netConnectionStatus(c.l); got != c.want {
			t.Errorf("netConnectionStatus(%+v) = %d, want %d", c.l, got, c.want)
		}
	}
}
