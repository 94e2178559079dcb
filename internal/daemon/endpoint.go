package daemon

import (
	"log/slog"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// newEndpoint returns the WS-Management service of backend, authenticating
// with authn.
func newEndpoint(backend wbem.Backend, server string, authn auth.Authenticator, log *slog.Logger) *wsman.Server {
	log.Debug("WS-Management endpoint", "path", Path, "server", server)
	return wsman.NewServer(backend, wsman.Options{Authenticator: authn, ServerName: server, Logger: log})
}
