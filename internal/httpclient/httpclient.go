// Package httpclient is the HTTP set-up the protocol clients (wsman,
// cimxml) share: the endpoint a wbem.Connect URL names, and the transport.
package httpclient

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// Endpoint returns the endpoint u names for protocol (its name, for the
// message): u without its query (the caller reads its options from it)
// and without user information, which becomes creds' user and password
// unless creds name a user already. A scheme other than http and https is
// WBEM_E_INVALID_PARAMETER.
func Endpoint(u *url.URL, creds wbem.Credentials, protocol string) (string, wbem.Credentials, error) {
	v := *u
	v.RawQuery = ""
	if v.Scheme != "http" && v.Scheme != "https" {
		return "", creds, cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "%s needs an http or https URL, not %s", protocol, u.Redacted())
	}
	if v.User != nil {
		if creds.User == "" {
			creds.User = v.User.Username()
			creds.Password, _ = v.User.Password()
		}
		v.User = nil
	}
	return v.String(), creds, nil
}

// Transport returns a client's transport: no proxy, connections kept
// alive (256 idle ones, to one server as much as to many), no compression
// (the protocols' clients and servers do not ask for it), HTTP/1.1, and
// read buffers large enough that a large response costs few reads.
func Transport(tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		TLSClientConfig:     tlsConfig,
		ForceAttemptHTTP2:   false,
		ReadBufferSize:      64 << 10,
		WriteBufferSize:     16 << 10,
	}
}
