//go:build linux

package host_test

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/providers/host"
)

// The adapters are the interfaces of /sys/class/net, loopback included,
// with the index, address and MTU the kernel gives there.
func TestLiveNetworkAdapters(t *testing.T) {
	svc := newOM(t, host.Config{})
	adapters := byKey(enumerate(t, svc, "Win32_NetworkAdapter"))
	configs := byKey(enumerate(t, svc, "Win32_NetworkAdapterConfiguration"))
	dirs, _ := filepath.Glob("/sys/class/net/*")
	if len(adapters) != len(dirs) || len(configs) != len(dirs) {
		t.Errorf("%d adapters, %d configurations, /sys/class/net has %d", len(adapters), len(configs), len(dirs))
	}
	sawLoopback := false
	for _, d := range dirs {
		name := filepath.Base(d)
		idx := readTrim(t, d+"/ifindex")
		a := adapters[`Win32_NetworkAdapter.DeviceID="`+idx+`"`]
		if a == nil {
			t.Errorf("no adapter for %s (index %s)", name, idx)
			continue
		}
		want := map[string]any{"Name": name, "NetConnectionID": name, "Index": idx, "InterfaceIndex": idx}
		if mac := strings.ToUpper(readTrim(t, d+"/address")); mac != "" && mac != "00:00:00:00:00:00" {
			want["MACAddress"] = mac
		} else {
			want["MACAddress"] = nil
		}
		checkProps(t, a, want)
		c := configs[`Win32_NetworkAdapterConfiguration.Index=`+idx]
		if c == nil {
			t.Errorf("no configuration for %s", name)
			continue
		}
		checkProps(t, c, map[string]any{"MTU": readTrim(t, d+"/mtu"), "SettingID": name})
		if name == "lo" {
			sawLoopback = true
			checkProps(t, a, map[string]any{"NetConnectionStatus": "2", "PhysicalAdapter": "false", "AdapterType": "Ethernet 802.3"})
			if ips := c.Value("IPAddress").Array(); len(ips) == 0 || ips[0].Str() != "127.0.0.1" {
				t.Errorf("lo IPAddress = %v", ips)
			} else {
				checkProps(t, c, map[string]any{"IPEnabled": "true", "DNSServerSearchOrder": nil})
				if s := c.Value("IPSubnet").Array(); len(s) == 0 || s[0].Str() != "255.0.0.0" {
					t.Errorf("lo IPSubnet = %v", s)
				}
			}
		}
	}
	if !sawLoopback {
		t.Error("no loopback adapter")
	}
	// Every address of Go's own view of the interfaces is listed.
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		c := configs[`Win32_NetworkAdapterConfiguration.Index=`+strconv.Itoa(ifc.Index)]
		if c == nil {
			continue
		}
		have := map[string]bool{}
		for _, v := range c.Value("IPAddress").Array() {
			have[v.Str()] = true
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			ip, _, _ := net.ParseCIDR(a.String())
			if !have[ip.String()] {
				t.Errorf("%s: address %s missing from %v", ifc.Name, ip, have)
			}
		}
	}
}

// The IPv4 routes are those of /proc/net/route, and the default route's
// gateway is its interface's DefaultIPGateway.
func TestLiveRoutes(t *testing.T) {
	svc := newOM(t, host.Config{})
	routes := byKey(enumerate(t, svc, "Win32_IP4RouteTable"))
	configs := enumerate(t, svc, "Win32_NetworkAdapterConfiguration")
	f, err := os.Open("/proc/net/route")
	if err != nil {
		t.Skip("no /proc/net/route")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	ip := func(h string) string {
		b, _ := hex.DecodeString(h)
		if len(b) != 4 {
			t.Fatalf("bad /proc/net/route field %q", h)
		}
		v := make(net.IP, 4)
		binary.NativeEndian.PutUint32(v, binary.BigEndian.Uint32(b))
		return v.String()
	}
	n := 0
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 8 {
			continue
		}
		n++
		dst, gw, mask := ip(fl[1]), ip(fl[2]), ip(fl[7])
		path := `Win32_IP4RouteTable.Destination="` + dst + `",Mask="` + mask + `",NextHop="` + gw + `"`
		r := routes[path]
		if r == nil {
			t.Errorf("route %s missing from %v", path, routes)
			continue
		}
		ifc, err := net.InterfaceByName(fl[0])
		if err == nil {
			checkProps(t, r, map[string]any{"InterfaceIndex": strconv.Itoa(ifc.Index), "Metric1": fl[6]})
		}
		if dst == "0.0.0.0" && gw != "0.0.0.0" {
			checkProps(t, r, map[string]any{"Type": "4"})
			found := false
			for _, c := range configs {
				if c.Value("Index").Uint() == uint64(ifc.Index) {
					for _, g := range c.Value("DefaultIPGateway").Array() {
						found = found || g.Str() == gw
					}
				}
			}
			if !found {
				t.Errorf("gateway %s is no interface's DefaultIPGateway", gw)
			}
		}
	}
	if len(routes) != n {
		t.Errorf("%d routes, /proc/net/route has %d", len(routes), n)
	}
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
