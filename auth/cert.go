package auth

import (
	"crypto/x509"
	"log/slog"
	"net/http"

	"github.com/gowbem/gowbem/identity"
)

// Certificates authenticates a TLS client certificate, as WinRM's
// certificate authentication does: the server's TLS configuration verifies
// the certificate against the client CAs it trusts (tls.Config.ClientCAs
// with ClientAuth VerifyClientCertIfGiven), and Map turns the verified
// certificate into the user it stands for.
type Certificates struct {
	// Map returns the caller a verified client certificate maps to, or
	// ErrBadCredentials. UserByCommonName is the usual mapping.
	Map func(cert *x509.Certificate) (*identity.Caller, error)
	// Logger receives the audit records of refused certificates (nothing
	// is logged when nil).
	Logger *slog.Logger
}

// Authenticate implements Authenticator: ErrNoCredentials without a
// verified client certificate.
func (c Certificates) Authenticate(r *http.Request) (*identity.Caller, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil, ErrNoCredentials
	}
	cert := r.TLS.VerifiedChains[0][0]
	caller, err := c.Map(cert)
	if err != nil {
		if c.Logger != nil {
			c.Logger.Info("login failed", "addr", r.RemoteAddr, "certificate", cert.Subject.String(), "reason", "the certificate maps to no user")
		}
		return nil, err
	}
	caller.Method = "certificate"
	return caller, nil
}

// UserByCommonName maps a certificate to the user its subject's common name
// names, looked up with lookup (which returns false for no such user).
func UserByCommonName(lookup func(name string) (*identity.Caller, bool)) func(*x509.Certificate) (*identity.Caller, error) {
	return func(cert *x509.Certificate) (*identity.Caller, error) {
		name := cert.Subject.CommonName
		if name == "" {
			return nil, ErrBadCredentials
		}
		c, ok := lookup(name)
		if !ok {
			return nil, ErrBadCredentials
		}
		return c, nil
	}
}
