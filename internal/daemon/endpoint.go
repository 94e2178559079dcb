package daemon

import (
	"log/slog"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/wsman"
)

// newEndpoint returns the WS-Management service of om, authenticating with
// users.
func newEndpoint(om *cimom.ObjectManager, users *wsman.Users, log *slog.Logger) *wsman.Server {
	log.Debug("WS-Management endpoint", "path", Path, "server", om.Server())
	return wsman.NewServer(om, wsman.Options{Users: users, ServerName: om.Server()})
}
