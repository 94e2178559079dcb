//go:build !linux

package providerhost

import (
	"errors"
	"net"
)

// peerCred is Linux's SO_PEERCRED; elsewhere the registrar refuses every
// connection, since it cannot tell who connected.
func peerCred(c *net.UnixConn) (peer, error) {
	return peer{}, errors.New("the peer's credentials cannot be read on this system")
}
