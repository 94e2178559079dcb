package daemon

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of the connection limits (Config.MaxConnections,
// Config.MaxConnectionsPerAddress).
const (
	DefaultMaxConnections           = 1024
	DefaultMaxConnectionsPerAddress = 128
)

// limitListener bounds the open connections of a listener, overall and per
// remote address: past a limit it closes a new connection at once (a
// refused accept), so that no stalled client can make the daemon hold more.
type limitListener struct {
	net.Listener
	max, perAddr int
	log          *slog.Logger

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int

	refused    atomic.Int64
	lastWarned atomic.Int64 // unix seconds of the last warning
}

func newLimitListener(l net.Listener, max, perAddr int, log *slog.Logger) *limitListener {
	return &limitListener{Listener: l, max: max, perAddr: perAddr, log: log, byAddr: map[netip.Addr]int{}}
}

// Accept returns the next connection within the limits, closing those past
// them.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := remoteAddr(c)
		l.mu.Lock()
		over := l.open >= l.max || l.byAddr[addr] >= l.perAddr
		if !over {
			l.open++
			l.byAddr[addr]++
		}
		l.mu.Unlock()
		if over {
			c.Close()
			l.refusedOne(addr)
			continue
		}
		return &limitConn{Conn: c, l: l, addr: addr}, nil
	}
}

func (l *limitListener) release(addr netip.Addr) {
	l.mu.Lock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
	l.mu.Unlock()
}

// refusedOne counts a refused connection and warns at most once a second.
func (l *limitListener) refusedOne(addr netip.Addr) {
	n := l.refused.Add(1)
	now := time.Now().Unix()
	if last := l.lastWarned.Load(); now > last && l.lastWarned.CompareAndSwap(last, now) {
		l.log.Warn("connection refused: too many open connections", "addr", addr.String(),
			"max", l.max, "max_per_address", l.perAddr, "refused_so_far", n)
	}
}

// Open returns the number of connections open.
func (l *limitListener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

func remoteAddr(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// limitConn gives its slot back when it closes.
type limitConn struct {
	net.Conn
	l    *limitListener
	addr netip.Addr
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}

// Unwrap returns the underlying connection (wsman.ConnContext sets
// TCP_NODELAY through it).
func (c *limitConn) Unwrap() net.Conn { return c.Conn }
