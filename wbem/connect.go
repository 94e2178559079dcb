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
	protoMu   sync.RWMutex
	protocols = map[string]Connector{}
)

// RegisterProtocol makes a protocol available to Connect under name (e.g.
// "wsman"). It panics if name is registered twice.
func RegisterProtocol(name string, c Connector) {
	protoMu.Lock()
	defer protoMu.Unlock()
	if _, dup := protocols[name]; dup {
		panic("wbem: protocol " + name + " registered twice")
	}
	protocols[name] = c
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
// namespace (cim.DefaultNamespace when ""). The URL's path picks the protocol:
// a path ending in /wsman is WS-Management, one ending in /cimom CIM-XML; a
// "protocol+" prefix on the scheme ("wsman+https://…") picks one explicitly.
// The protocol's package must be imported (it registers itself).
func Connect(ctx context.Context, rawURL, namespace string, creds Credentials, opts ...Option) (*Services, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: rawURL, Description: "not a URL of an object manager: " + rawURL}
	}
	proto := "wsman"
	if p, scheme, ok := strings.Cut(u.Scheme, "+"); ok {
		proto, u.Scheme = p, scheme
	} else if strings.HasSuffix(u.Path, "/cimom") {
		proto = "cimxml"
	}
	protoMu.RLock()
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
