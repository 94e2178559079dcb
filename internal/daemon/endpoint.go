package daemon

import (
	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// newEndpoint returns the WS-Management service of backend, authenticating
// with authn.
func newEndpoint(backend wbem.Backend, server string, authn auth.Authenticator, enums *enumctx.Table, cfg Config) *wsman.Server {
	cfg.Logger.Debug("WS-Management endpoint", "path", Path, "server", server)
	return wsman.NewServer(backend, wsman.Options{Authenticator: authn, ServerName: server, Logger: cfg.Logger, Enumerations: enums,
		OperationTimeout: cfg.OperationTimeout, ReadTimeout: cfg.ReadTimeout})
}

// newCIMXMLEndpoint returns the CIM-XML service of backend with the same
// users and the same table of enumerations, and with indication
// subscriptions (a listener destination of a user who is no
// administrator stays on the host their request came from), kept in the
// repository and restored at start as their creators, whom lookup finds
// again (the users file, then PAM's accounts with --pam).
func newCIMXMLEndpoint(backend wbem.Backend, server string, authn auth.Authenticator, enums *enumctx.Table, lookup func(string) (*identity.Caller, error), cfg Config) *cimxml.Server {
	cfg.Logger.Debug("CIM-XML endpoint", "path", CIMXMLPath, "server", server)
	return cimxml.NewServer(backend, cimxml.Options{Authenticator: authn, ServerName: server, Logger: cfg.Logger, Enumerations: enums,
		ReadTimeout: cfg.ReadTimeout, CallTimeout: cfg.OperationTimeout, Indications: &cimxml.IndicationOptions{Persist: true, Lookup: lookup, ClassNamespaces: []string{cim.DefaultNamespace}}})
}
