//go:build linux

package host

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/gowbem/gowbem/cim"
)

// netLink is one network interface as the providers use it.
type netLink struct {
	index     int
	name      string
	kind      string // netlink's link type: device, veth, bridge, …
	mac       string // "02:FC:00:00:00:01", as WMI writes it; "" without one
	permMAC   string
	mtu       int
	up        bool // administratively up
	lowerUp   bool // carrier
	loopback  bool
	physical  bool   // backed by a device (/sys/class/net/<name>/device)
	driver    string // the device's driver
	speedMbps int64  // -1 when unknown
	arpType   int    // ARPHRD_*
}

// netAddr is one address of an interface.
type netAddr struct {
	link    int
	ip      net.IP
	prefix  int
	dynamic bool // an IPv4 address with a finite lifetime, as DHCP clients set
}

// netRoute is one IPv4 route of the main table.
type netRoute struct {
	link   int
	dst    net.IPNet
	gw     net.IP
	metric int
	proto  int // RTPROT_*
	typ    int // RTN_*
}

// netState is the host's network, read in one go.
type netState struct {
	links  []netLink
	addrs  []netAddr
	routes []netRoute
	dns    resolvConf
}

// network reads the interfaces, addresses and IPv4 routes over netlink, and
// /etc/resolv.conf. With Config.Root set (a fixture, which has no kernel)
// it has only resolv.conf.
func (h *host) network() (netState, error) {
	var st netState
	if b, err := readSmall(h.cfg.path("/etc/resolv.conf")); err == nil {
		st.dns = parseResolvConf(b)
	}
	if h.cfg.Root != "" {
		return st, nil
	}
	links, err := netlink.LinkList()
	if err != nil {
		return st, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "netlink: cannot list links: " + err.Error(), Err: err}
	}
	for _, l := range links {
		a := l.Attrs()
		nl := netLink{index: a.Index, name: a.Name, kind: l.Type(), mtu: a.MTU, up: a.Flags&net.FlagUp != 0,
			lowerUp: a.RawFlags&0x10000 != 0, loopback: a.Flags&net.FlagLoopback != 0, speedMbps: -1}
		if len(a.HardwareAddr) > 0 && !allZero(a.HardwareAddr) {
			nl.mac = strings.ToUpper(a.HardwareAddr.String())
		}
		if len(a.PermHWAddr) > 0 && !allZero(a.PermHWAddr) {
			nl.permMAC = strings.ToUpper(a.PermHWAddr.String())
		}
		sys := "/sys/class/net/" + a.Name
		if drv, err := filepath.EvalSymlinks(sys + "/device/driver"); err == nil {
			nl.physical = true
			nl.driver = filepath.Base(drv)
		}
		if s, err := strconv.ParseInt(readLine(sys+"/speed"), 10, 64); err == nil && s > 0 {
			nl.speedMbps = s
		}
		nl.arpType, _ = strconv.Atoi(readLine(sys + "/type"))
		st.links = append(st.links, nl)
	}
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return st, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "netlink: cannot list addresses: " + err.Error(), Err: err}
	}
	for _, a := range addrs {
		if a.IPNet == nil {
			continue
		}
		ones, _ := a.Mask.Size()
		const ifaPermanent = 0x80
		dyn := a.IP.To4() != nil && a.Flags&ifaPermanent == 0 && a.ValidLft > 0 && uint32(a.ValidLft) != 0xFFFFFFFF
		st.addrs = append(st.addrs, netAddr{link: a.LinkIndex, ip: a.IP, prefix: ones, dynamic: dyn})
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return st, &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Description: "netlink: cannot list routes: " + err.Error(), Err: err}
	}
	for _, r := range routes {
		nr := netRoute{link: r.LinkIndex, gw: r.Gw, metric: r.Priority, proto: int(r.Protocol), typ: r.Type}
		if r.Dst != nil {
			nr.dst = *r.Dst
		} else {
			nr.dst = net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
		}
		st.routes = append(st.routes, nr)
	}
	return st, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// resolvConf is what gowbem uses of /etc/resolv.conf.
type resolvConf struct {
	servers []string
	domain  string
	search  []string
}

// MaxResolvServers is how many name servers resolv.conf lists at most
// that the providers report; the resolver itself uses three.
const MaxResolvServers = 16

// parseResolvConf reads nameserver, domain and search lines (resolv.conf(5)):
// comments start with # or ;, the last domain or search line wins.
func parseResolvConf(b []byte) resolvConf {
	var rc resolvConf
	for line := range bytes.Lines(b) {
		if i := bytes.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			if ip := net.ParseIP(strings.SplitN(f[1], "%", 2)[0]); ip != nil && len(rc.servers) < MaxResolvServers {
				rc.servers = append(rc.servers, f[1])
			}
		case "domain":
			rc.domain, rc.search = f[1], nil
		case "search":
			rc.search, rc.domain = f[1:], ""
		}
	}
	if rc.domain == "" && len(rc.search) > 0 {
		rc.domain = rc.search[0]
	}
	return rc
}

// adapterType names the link type as WMI's AdapterType and AdapterTypeId.
func adapterType(l netLink) (string, int, bool) {
	switch l.arpType {
	case 1: // ARPHRD_ETHER
		return "Ethernet 802.3", 0, true
	case 772: // ARPHRD_LOOPBACK: WMI reports its loopback adapter as Ethernet
		return "Ethernet 802.3", 0, true
	case 801: // ARPHRD_IEEE80211
		return "Wireless", 9, true
	case 32: // ARPHRD_INFINIBAND
		return "", 0, false
	case 512: // ARPHRD_PPP
		return "Wide Area Network (WAN)", 3, true
	}
	return "", 0, false
}

// netConnectionStatus maps the link's flags onto WMI's NetConnectionStatus:
// 2 connected, 7 media disconnected, 0 disconnected (down).
func netConnectionStatus(l netLink) uint16 {
	switch {
	case !l.up:
		return 0
	case l.lowerUp || l.loopback:
		return 2
	}
	return 7
}

// newNetworkAdapterProvider serves Win32_NetworkAdapter: one instance per
// interface, DeviceID its interface index.
func newNetworkAdapterProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		st, err := h.network()
		if err != nil {
			return err
		}
		sys := h.hostname()
		for _, l := range st.links {
			if err := emit(adapterInstance(class, sys, l)); err != nil {
				return err
			}
		}
		return nil
	}}
}

func adapterInstance(class *cim.Class, sys string, l netLink) *cim.Instance {
	id := strconv.Itoa(l.index)
	r := newRow(class).system(sys).
		set("DeviceID", cim.String(id)).
		set("Index", cim.Uint32(uint32(l.index))).
		set("InterfaceIndex", cim.Uint32(uint32(l.index))).
		set("Name", cim.String(l.name)).
		set("NetConnectionID", cim.String(l.name)).
		set("Caption", cim.String(l.name)).
		set("Description", cim.String(l.name)).
		set("MACAddress", str(l.mac)).
		set("PermanentAddress", str(l.permMAC)).
		set("NetEnabled", cim.Bool(l.up)).
		set("NetConnectionStatus", cim.Uint16(netConnectionStatus(l))).
		set("PhysicalAdapter", cim.Bool(l.physical)).
		set("ServiceName", str(l.driver)).
		set("ProductName", str(l.driver)).
		set("Installed", cim.Bool(true)).
		set("Status", cim.String(map[bool]string{true: "OK", false: "Degraded"}[netConnectionStatus(l) != 7]))
	if t, id, ok := adapterType(l); ok {
		r.set("AdapterType", cim.String(t)).set("AdapterTypeId", cim.Uint16(uint16(id)))
	}
	if l.speedMbps > 0 {
		r.set("Speed", cim.Uint64(uint64(l.speedMbps)*1_000_000))
	}
	return r.inst
}

// newAdapterConfigProvider serves Win32_NetworkAdapterConfiguration: the
// IP settings of each interface, Index its interface index.
func newAdapterConfigProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		st, err := h.network()
		if err != nil {
			return err
		}
		sys := h.hostname()
		for _, l := range st.links {
			if err := emit(adapterConfigInstance(class, sys, st, l)); err != nil {
				return err
			}
		}
		return nil
	}}
}

// adapterConfigInstance writes the addresses (IPv4 first, as WMI) with
// their subnets (a dotted mask for IPv4, the prefix length for IPv6), the
// gateways of the interface's default routes, and the name servers of
// resolv.conf on every interface that has a global address.
func adapterConfigInstance(class *cim.Class, sys string, st netState, l netLink) *cim.Instance {
	var ips, subnets []string
	dhcp, has4 := false, false
	global := false
	for _, v6 := range []bool{false, true} {
		for _, a := range st.addrs {
			if a.link != l.index || (a.ip.To4() == nil) != v6 {
				continue
			}
			ips = append(ips, a.ip.String())
			if v6 {
				subnets = append(subnets, strconv.Itoa(a.prefix))
			} else {
				has4 = true
				subnets = append(subnets, net.IP(net.CIDRMask(a.prefix, 32)).String())
				dhcp = dhcp || a.dynamic
			}
			if a.ip.IsGlobalUnicast() {
				global = true
			}
		}
	}
	var gws []string
	var metrics []cim.Value
	for _, r := range st.routes {
		if r.link == l.index && r.gw != nil && isDefault(r.dst) {
			gws = append(gws, r.gw.String())
			metrics = append(metrics, cim.Uint16(uint16(min(r.metric, 65535))))
		}
	}
	r := newRow(class).
		set("Index", cim.Uint32(uint32(l.index))).
		set("InterfaceIndex", cim.Uint32(uint32(l.index))).
		set("SettingID", cim.String(l.name)).
		set("Caption", cim.String(l.name)).
		set("Description", cim.String(l.name)).
		set("ServiceName", str(l.driver)).
		set("MACAddress", str(l.mac)).
		set("MTU", cim.Uint32(uint32(l.mtu))).
		set("IPEnabled", cim.Bool(len(ips) > 0)).
		set("IPAddress", stringArray(ips)).
		set("IPSubnet", stringArray(subnets)).
		set("DefaultIPGateway", stringArray(gws)).
		set("DNSHostName", str(sys))
	if len(metrics) > 0 {
		r.set("GatewayCostMetric", cim.Array(cim.TypeUint16, metrics...))
	}
	if has4 {
		r.set("DHCPEnabled", cim.Bool(dhcp))
	}
	if global && !l.loopback {
		r.set("DNSServerSearchOrder", stringArray(st.dns.servers)).
			set("DNSDomain", str(st.dns.domain)).
			set("DNSDomainSuffixSearchOrder", stringArray(st.dns.search))
	}
	return r.inst
}

func isDefault(n net.IPNet) bool {
	ones, _ := n.Mask.Size()
	return ones == 0
}

// routeProtocol maps the kernel's RTPROT_* onto WMI's Protocol: the kernel's
// own routes are local (2), boot-time and static ones network management
// (3), the rest other (1) unless a routing protocol gowbem knows.
func routeProtocol(p int) uint32 {
	switch p {
	case 2: // RTPROT_KERNEL
		return 2
	case 3, 4: // RTPROT_BOOT, RTPROT_STATIC
		return 3
	case 186: // RTPROT_BGP
		return 14
	case 188: // RTPROT_OSPF
		return 13
	case 189: // RTPROT_RIP
		return 8
	case 187: // RTPROT_ISIS
		return 9
	}
	return 1
}

// routeType maps the route onto WMI's Type: 3 direct (no gateway), 4
// indirect, 2 invalid (unreachable, prohibit, blackhole).
func routeType(r netRoute) uint32 {
	switch r.typ {
	case 6, 7, 8: // RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_PROHIBIT
		return 2
	}
	if r.gw != nil {
		return 4
	}
	return 3
}

// newRouteProvider serves Win32_IP4RouteTable: the main IPv4 table.
func newRouteProvider(h *host) *listProvider {
	return &listProvider{h: h, list: func(ctx context.Context, class *cim.Class, emit func(*cim.Instance) error) error {
		st, err := h.network()
		if err != nil {
			return err
		}
		sys := h.hostname()
		seen := map[string]bool{}
		for _, rt := range st.routes {
			inst := routeInstance(class, sys, rt)
			// The key is Destination, Mask and NextHop: routes that differ
			// only by metric or interface collapse to the first.
			k := inst.ObjectPath().KeyString()
			if seen[k] {
				continue
			}
			seen[k] = true
			if err := emit(inst); err != nil {
				return err
			}
		}
		return nil
	}}
}

func routeInstance(class *cim.Class, sys string, rt netRoute) *cim.Instance {
	dst := rt.dst.IP.To4()
	if dst == nil {
		dst = net.IPv4zero.To4()
	}
	hop := "0.0.0.0"
	if rt.gw != nil {
		hop = rt.gw.String()
	}
	r := newRow(class).system(sys).
		set("Destination", cim.String(dst.String())).
		set("Name", cim.String(dst.String())).
		set("Caption", cim.String(dst.String())).
		set("Description", cim.String(dst.String()+" - "+net.IP(rt.dst.Mask).String()+" - "+hop)).
		set("Mask", cim.String(net.IP(rt.dst.Mask).String())).
		set("NextHop", cim.String(hop)).
		set("InterfaceIndex", cim.Sint32(int32(rt.link))).
		set("Metric1", cim.Sint32(int32(rt.metric))).
		set("Metric2", cim.Sint32(-1)).
		set("Metric3", cim.Sint32(-1)).
		set("Metric4", cim.Sint32(-1)).
		set("Metric5", cim.Sint32(-1)).
		set("Protocol", cim.Uint32(routeProtocol(rt.proto))).
		set("Type", cim.Uint32(routeType(rt))).
		set("Information", cim.String("0.0"))
	return r.inst
}
