package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// remoteHint adds to a failure against a daemon what the user can do: for
// a transport failure, what happened (refused, reset, TLS not trusted, the
// wrong scheme) and the exit code ExitUnreachable; for refused credentials,
// which flags to pass.
func (r *runner) remoteHint(err error) error {
	switch cim.StatusOf(err) {
	case cim.WBEM_E_TRANSPORT_FAILURE:
		return &unreachableError{err: err, hint: transportHint(err, r.conn.display)}
	case cim.WBEM_E_ACCESS_DENIED:
		if !errors.Is(err, wbem.ErrAuthentication) {
			return err // refused by the object manager, not at the door
		}
		if r.opts.passwordFile == "" {
			return &hintError{err: err, hint: "pass --password-file FILE (and --user NAME: wbemd's first user is admin, its password in <state-dir>/" + AdminPasswordFile + ")"}
		}
		return &hintError{err: err, hint: "check --user and --password-file (wbemd users list shows the users)"}
	}
	return err
}

// transportHint says what a transport failure was, from the network error
// behind it.
func transportHint(err error, u string) string {
	where := u
	if p, perr := url.Parse(u); perr == nil {
		where = p.Host
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		dns       *net.DNSError
	)
	msg := strings.ToLower(err.Error())
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &verify), errors.As(err, &invalid):
		return fmt.Sprintf("the TLS certificate of %s is not trusted: pass --ca-cert FILE (its certificate or CA) or, to skip the check, --insecure", where)
	case errors.As(err, &hostname):
		return fmt.Sprintf("the TLS certificate of %s is for another name (%v): use that name in --host, or --insecure", where, hostname.Error())
	case errors.As(err, &record), strings.Contains(msg, "first record does not look like a tls handshake"):
		return fmt.Sprintf("%s speaks plain http, not https: use --host http://%s", where, where)
	case strings.Contains(msg, "server gave http response to https client"):
		return fmt.Sprintf("%s speaks plain http, not https: use --host http://%s", where, where)
	case strings.Contains(msg, "speaks https"):
		return httpsHint(where)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("the connection to %s was refused: nothing listens there (is wbemd running? it serves http on 127.0.0.1:%s by default)", where, DefaultHTTPPort)
	case errors.Is(err, syscall.ECONNRESET), strings.Contains(msg, "connection reset"), errors.Is(err, io.EOF):
		// A TLS server resets a plain http request: find out.
		if strings.HasPrefix(u, "http:") && speaksTLS(where) {
			return httpsHint(where)
		}
		return fmt.Sprintf("%s reset the connection: is it a WS-Management server (wbemd)?", where)
	case errors.As(err, &dns):
		return fmt.Sprintf("the host name in %s is not known", where)
	case strings.Contains(msg, "timeout"), strings.Contains(msg, "deadline exceeded"):
		return fmt.Sprintf("%s did not answer in time", where)
	}
	return fmt.Sprintf("could not talk WS-Management with %s", u)
}

func httpsHint(where string) string {
	return fmt.Sprintf("%s speaks https, not plain http: use --host https://%s (with --ca-cert FILE or --insecure)", where, where)
}

// speaksTLS reports whether a TLS handshake with addr gets as far as the
// server's certificate (whether it is trusted or not).
func speaksTLS(addr string) bool {
	d := &net.Dialer{Timeout: 2 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// hintError is a failure with advice (exit code ExitFailed).
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
