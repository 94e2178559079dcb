//go:build linux

package providerhost

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerCred returns the account of the process at the other end of a Unix
// socket connection, as the kernel recorded it when it connected
// (SO_PEERCRED): it cannot be forged by the peer.
func peerCred(c *net.UnixConn) (peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return peer{}, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return peer{}, err
	}
	if cerr != nil {
		return peer{}, cerr
	}
	return peer{UID: cred.Uid, GID: cred.Gid, PID: cred.Pid}, nil
}
