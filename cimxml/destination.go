package cimxml

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"

	"github.com/gowbem/gowbem/identity"
)

// Who may name a listener (CIM_ListenerDestinationCIMXML.Destination).
//
// A listener destination makes the server send HTTP requests where the
// destination says: named freely, it would let a user reach, from the
// server's place in the network, hosts and ports the user cannot reach
// (server-side request forgery). So an administrator names any listener,
// and any other user only one on the host their own request came from:
//
//   - the destination's host is an IP address (no host name, which could
//     resolve elsewhere tomorrow), the address the request came from (the
//     HTTP connection's remote address); for a caller on this machine's
//     loopback, any loopback address (127.0.0.1 and ::1 are the same host);
//   - its port is 1024 or above: on the caller's host only privileged
//     processes listen below 1024, so a user's own listener is never
//     there, and the services that are stay out of reach;
//   - the server follows no redirect from a listener (Exporter), so the
//     listener cannot send the request on elsewhere.
//
// What such a destination reaches, the caller reaches already: it is their
// own host, addressed as the server sees it. The server's requests are
// CIM-XML export requests of the events the caller may read (the
// subscription's query runs as the caller), to a path the caller chose.
// A caller whose origin is unknown (Caller.Address empty: made in-process)
// may name no listener unless an administrator.

// notOwnListener tells why the caller may not name the listener u ("" when
// they may).
func notOwnListener(caller *identity.Caller, u *url.URL) string {
	host, _, err := net.SplitHostPort(caller.Address)
	if err != nil {
		host = caller.Address
	}
	from, err := netip.ParseAddr(host)
	if err != nil {
		return "the address this request came from is unknown, and only an administrator may name a listener elsewhere"
	}
	from = from.Unmap().WithZone("")
	to, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return "a listener of a user who is no administrator is named by the IP address of the user's own host (" + from.String() + "), not by a host name"
	}
	to = to.Unmap().WithZone("")
	if to != from && !(to.IsLoopback() && from.IsLoopback()) {
		return "a user who is no administrator may name a listener on the host the request came from (" + from.String() + ") only"
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || p < 1024 {
		return "a listener of a user who is no administrator listens on a port from 1024 to 65535, not " + strconv.Quote(port)
	}
	return ""
}
