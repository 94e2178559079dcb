package wbem

import (
	"context"
	"crypto/tls"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
)

// Credentials authenticate a remote connection.
type Credentials struct {
	User     string
	Password string
	// TLS configures https connections (nil: the system's roots).
	TLS *tls.Config
}

// Connector opens a backend for a remote object manager at u. Protocol
// packages register one with RegisterProtocol, as database/sql drivers do.
type Connector func(ctx context.Context, u *url.URL, creds Credentials) (Backend, error)

var (
	protoMu     sync.RWMutex
	protocols   = map[string]Connector{}
	protoByPath = map[string]string{} // URL path ending → protocol name
)

// DefaultProtocol is the protocol Connect uses for a URL that names none:
// WS-Management, whose package (wsman) registers it.
const DefaultProtocol = "wsman"

// RegisterProtocol makes a protocol available to Connect under name (e.g.
// "wsman"); paths are the URL path endings (e.g. "/wsman") by which Connect
// recognises its URLs without a "name+" prefix on the scheme. A protocol
// package calls it from its init function, so a program imports the package
// for that effect, as it imports a database/sql driver. It panics if name or
// a path is registered twice.
func RegisterProtocol(name string, c Connector, paths ...string) {
	protoMu.Lock()
	defer protoMu.Unlock()
	if _, dup := protocols[name]; dup {
		panic("wbem: protocol " + name + " registered twice")
	}
	for _, p := range paths {
		if other, dup := protoByPath[p]; dup {
			panic("wbem: path " + p + " of protocol " + name + " is registered by " + other)
		}
	}
	protocols[name] = c
	for _, p := range paths {
		protoByPath[p] = name
	}
}

// Protocols lists the registered protocols.
func Protocols() []string {
	protoMu.RLock()
	defer protoMu.RUnlock()
	var out []string
	for n := range protocols {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Connect connects to a remote object manager and returns the services of
// namespace (cim.DefaultNamespace when ""). A "protocol+" prefix on the scheme
// ("wsman+https://…") picks the protocol; otherwise the URL's path does, by
// the endings protocols registered (/wsman for WS-Management), and
// DefaultProtocol serves any other path. The protocol's package must be
// imported (it registers itself in its init function). Close the services
// when done: that releases the connection's resources.
// A scheme that is itself a protocol's name picks that protocol, whose URL
// may have no host: "wmi:" is the local WMI, "wmi://server/root/cimv2" a
// remote one, the path naming the namespace when namespace is "".
func Connect(ctx context.Context, rawURL, namespace string, creds Credentials, opts ...Option) (*Services, error) {
	u, err := url.Parse(rawURL)
	own := err == nil && ownScheme(u.Scheme)
	if own && namespace == "" {
		namespace = strings.Trim(u.Path, "/")
	}
	if err != nil || u.Host == "" && !own {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: rawURL, Description: "not a URL of an object manager: " + rawURL}
	}
	protoMu.RLock()
	proto := DefaultProtocol
	if own {
		proto = strings.ToLower(u.Scheme)
	} else if p, scheme, ok := strings.Cut(u.Scheme, "+"); ok {
		proto, u.Scheme = p, scheme
	} else {
		best := ""
		for suffix, name := range protoByPath {
			if strings.HasSuffix(u.Path, suffix) && len(suffix) > len(best) {
				best, proto = suffix, name
			}
		}
	}
	c := protocols[proto]
	protoMu.RUnlock()
	if c == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: proto,
			Description: "protocol " + proto + " is not available (import its package)"}
	}
	b, err := c(ctx, u, creds)
	if err != nil {
		return nil, err
	}
	if namespace == "" {
		namespace = cim.DefaultNamespace
	}
	return NewServices(b, cim.NormalNamespace(namespace), opts...), nil
}

// ownScheme reports whether scheme is itself a registered protocol's name
// (e.g. "wmi"), not a transport under one.
func ownScheme(scheme string) bool {
	scheme = strings.ToLower(scheme)
	if scheme == "http" || scheme == "https" {
		return false
	}
	protoMu.RLock()
	defer protoMu.RUnlock()
	return protocols[scheme] != nil
}
