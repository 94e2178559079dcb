package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// AdminPasswordFile is where wbemd writes the first user's password, in the
// state directory; error messages point at it.
const AdminPasswordFile = "admin.password"

// connection is the object manager a command works on: in-process (om set)
// or remote.
type connection struct {
	svc   *wbem.Services
	om    ObjectManager // nil when remote
	close func() error

	// remote only: how to reach other namespaces.
	url     string // with the client's parameters
	display string // as messages show it
	creds   wbem.Credentials
	mu      sync.Mutex
	other   map[string]*wbem.Services
}

// services returns the services of namespace ns on the same object manager.
func (c *connection) services(ctx context.Context, ns string) (*wbem.Services, error) {
	ns = cim.NormalNamespace(ns)
	if strings.EqualFold(ns, c.svc.Namespace()) {
		return c.svc, nil
	}
	if c.om != nil {
		return c.om.Services(ns), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.other[strings.ToLower(ns)]; s != nil {
		return s, nil
	}
	s, err := wbem.Connect(ctx, c.url, ns, c.creds)
	if err != nil {
		return nil, err
	}
	if c.other == nil {
		c.other = map[string]*wbem.Services{}
	}
	c.other[strings.ToLower(ns)] = s
	return s, nil
}

// closeRemote closes the services the command connected (their idle
// connections).
func (c *connection) closeRemote() error {
	err := c.svc.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.other {
		if cerr := s.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (r *runner) connect(ctx context.Context) (*connection, error) {
	ns := cim.NormalNamespace(r.opts.namespace)
	if r.opts.host == "" {
		om, closer, err := r.env.Local(ctx, r.opts.stateDir, r.read)
		if err != nil {
			if cim.StatusOf(err) == cim.WBEM_E_NOT_FOUND {
				return nil, err // no such state directory: said as it is
			}
			var h *hintError
			if errors.As(err, &h) {
				return nil, &unreachableError{err: h.err, hint: h.hint}
			}
			return nil, &unreachableError{err: err}
		}
		return &connection{svc: om.Services(ns), om: om, close: closer.Close}, nil
	}
	display := hostURL(r.opts.host)
	url := withPullWait(display)
	creds, err := r.credentials(url)
	if err != nil {
		return nil, err
	}
	svc, err := wbem.Connect(ctx, url, ns, creds)
	if err != nil {
		return nil, &unreachableError{err: err}
	}
	c := &connection{svc: svc, url: url, display: display, creds: creds}
	c.close = c.closeRemote
	return c, nil
}

// Default ports of WS-Management (WinRM's, which wbemd uses too).
const (
	DefaultHTTPPort  = "5985"
	DefaultHTTPSPort = "5986"
)

// hostURL completes a --host value: http:// when there is no scheme, port
// 5985 (5986 for https) when there is none, and when there is no path
// /cimom (CIM-XML) for CIM-XML's ports 5988 and 5989, /wsman otherwise.
func hostURL(h string) string {
	if !strings.Contains(h, "://") {
		h = "http://" + h
	}
	scheme, rest, _ := strings.Cut(h, "://")
	hostport, path, hasPath := strings.Cut(rest, "/")
	if scheme == "http" || scheme == "https" {
		if _, port, err := net.SplitHostPort(hostport); err != nil || port == "" {
			def := DefaultHTTPPort
			if scheme == "https" {
				def = DefaultHTTPSPort
			}
			host := strings.TrimSuffix(hostport, ":")
			if strings.Count(host, ":") > 1 && !strings.HasPrefix(host, "[") {
				host = "[" + host + "]" // a bare IPv6 address
			}
			hostport = host + ":" + def
		}
	}
	if !hasPath || path == "" {
		path = "wsman"
		if strings.HasSuffix(hostport, ":5988") || strings.HasSuffix(hostport, ":5989") {
			path = "cimom"
		}
	}
	return scheme + "://" + hostport + "/" + path
}

// RemotePullWait is how long a remote Pull waits to fill its batch before it
// returns what it has: rows from a slow provider then print within about
// that time of their arrival instead of when a whole batch has come.
const RemotePullWait = 200 * time.Millisecond

// withPullWait asks the WS-Management client for short pulls (its pullwait
// URL parameter) unless the URL sets its own.
func withPullWait(u string) string {
	if strings.Contains(u, "pullwait=") {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "pullwait=" + RemotePullWait.String()
}

func (r *runner) credentials(url string) (wbem.Credentials, error) {
	var c wbem.Credentials
	c.User = r.opts.user
	if r.opts.passwordFile != "" {
		b, err := os.ReadFile(r.opts.passwordFile)
		if err != nil {
			return c, usageErrorf("--password-file: %v", err)
		}
		c.Password = strings.TrimRight(string(b), "\r\n")
		if c.User == "" {
			c.User = "admin"
		}
	} else if c.User != "" {
		return c, usageErrorf("--user %s needs --password-file", c.User)
	}
	if r.opts.caCert != "" || r.opts.insecure {
		cfg := &tls.Config{InsecureSkipVerify: r.opts.insecure}
		if r.opts.caCert != "" {
			pem, err := os.ReadFile(r.opts.caCert)
			if err != nil {
				return c, usageErrorf("--ca-cert: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return c, usageErrorf("--ca-cert: %s holds no PEM certificate", r.opts.caCert)
			}
			cfg.RootCAs = pool
		}
		c.TLS = cfg
	}
	return c, nil
}

// isClassMissing reports whether err says a class does not exist.
func isClassMissing(err error) bool {
	return errors.Is(err, cim.ErrNotFound) || errors.Is(err, cim.ErrInvalidClass)
}
