package plugin

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestSendBufferCreds: the server's end of a provider's socket gets the
// send buffer sendBuffer asks for, as far as the kernel allows
// (net.core.wmem_max; Linux reports twice what it grants).
func TestSendBufferCreds(t *testing.T) {
	b, err := os.ReadFile("/proc/sys/net/core/wmem_max")
	if err != nil {
		t.Skip("no /proc/sys/net/core/wmem_max")
	}
	wmemMax, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "s"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := l.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before := sendBufferOf(t, conn)
	got, _, err := newSendBufferCreds().ServerHandshake(conn)
	if err != nil || got != conn {
		t.Fatalf("handshake: %v, %v (want the connection itself)", got, err)
	}
	want := 2 * min(sendBuffer, wmemMax)
	if want <= before {
		t.Skipf("the kernel allows no more than the default send buffer (%d bytes)", before)
	}
	if after := sendBufferOf(t, conn); after != want {
		t.Errorf("send buffer %d bytes after the handshake (%d before), want %d", after, before, want)
	}
}

func sendBufferOf(t *testing.T, c *net.UnixConn) int {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var serr error
	if err := raw.Control(func(fd uintptr) { n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	return n
}
