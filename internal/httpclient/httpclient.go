// Package httpclient is the HTTP set-up the protocol clients (wsman,
// cimxml) share: the endpoint a wbem.Connect URL names, and the transport.
package httpclient

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"strconv"
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

// Query reads a wbem.Connect URL's client options. Its methods parse one
// parameter each and leave the target alone when the parameter is absent;
// the first value that does not parse is kept as Err, a
// WBEM_E_INVALID_PARAMETER naming the parameter and the value, so that a
// mistyped option fails the connection instead of quietly falling back
// to the default.
type Query struct {
	q   url.Values
	Err error
}

// NewQuery returns the options of u.
func NewQuery(u *url.URL) *Query { return &Query{q: u.Query()} }

func (q *Query) fail(name, v, want string) {
	if q.Err == nil {
		q.Err = cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the URL's %s=%q is not %s", name, v, want)
	}
}

// Int sets *dst from the parameter name, a whole number ≥ 0.
func (q *Query) Int(name string, dst *int) {
	if v := q.q.Get(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			q.fail(name, v, "a whole number of 0 or more")
			return
		}
		*dst = n
	}
}

// Duration sets *dst from the parameter name, a Go duration ≥ 0 ("90s",
// "2m").
func (q *Query) Duration(name string, dst *time.Duration) {
	if v := q.q.Get(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			q.fail(name, v, `a duration of 0 or more such as "90s"`)
			return
		}
		*dst = d
	}
}

// Bool sets *dst from the parameter name: true, false, 1 or 0.
func (q *Query) Bool(name string, dst *bool) {
	if v := q.q.Get(name); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			q.fail(name, v, "true, false, 1 or 0")
			return
		}
		*dst = b
	}
}

// String returns the parameter name ("" when absent).
func (q *Query) String(name string) string { return q.q.Get(name) }
