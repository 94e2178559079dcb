package providerhost

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/hashicorp/yamux"
	"google.golang.org/grpc"
)

// Limits of the decoupled providers' socket.
const (
	// DefaultMaxDecoupled is how many connections the registrar holds at
	// most; it closes further ones at once.
	DefaultMaxDecoupled = 64
	// MaxRegistrationsPerConnection is how many registrations one
	// connection may hold.
	MaxRegistrationsPerConnection = 64
	// DefaultRegisterTimeout is how long a connection may go without a
	// registration (after connecting, or after its last one ended) before it
	// is closed.
	DefaultRegisterTimeout = 10 * time.Second
)

// RegistrarConfig configures the socket decoupled providers connect to.
type RegistrarConfig struct {
	// Path is the Unix socket's path. Its directory is created (mode 0755)
	// when missing; a stale socket file left by a daemon that died is
	// replaced, a live one is an error.
	Path string
	// Group is the group (name or id) whose members may register decoupled
	// providers; the socket file belongs to it with mode 0660. Empty: the
	// socket's mode is 0600, and only root, the daemon's own account and the
	// accounts registrations name may register.
	Group string
	// MaxConnections bounds the connections held (DefaultMaxDecoupled).
	MaxConnections int
	// RegisterTimeout bounds a connection without a registration
	// (DefaultRegisterTimeout).
	RegisterTimeout time.Duration
}

// Registrar is the decoupled provider registrar (WMI's): running
// applications connect to its Unix socket, run yamux over the connection,
// and call the Registrar service (internal/providerwire/registrar.proto) to
// serve a registration with HostingModel "Decoupled" for as long as they
// stay connected; the daemon calls their Provider service over the same
// connection, through the same Proxy as out-of-process providers.
//
// Who may register: the kernel's record of the connecting process
// (SO_PEERCRED) is checked against the registration: root may register any;
// a registration naming an account (__Win32Provider.User) may be registered
// by that account only (and root); one naming none by the daemon's own
// account and members of Group. Refusals are logged.
type Registrar struct {
	cfg      RegistrarConfig
	registry *Registry
	host     *Host
	ln       *net.UnixListener
	gid      int // Group's id; -1 none

	mu     sync.Mutex
	conns  map[*decoupledConn]bool
	closed bool
	wg     sync.WaitGroup
}

// NewRegistrar listens on cfg.Path and serves decoupled providers of r's
// registrations until Close.
func NewRegistrar(r *Registry, cfg RegistrarConfig) (*Registrar, error) {
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxDecoupled
	}
	if cfg.RegisterTimeout <= 0 {
		cfg.RegisterTimeout = DefaultRegisterTimeout
	}
	d := &Registrar{cfg: cfg, registry: r, host: r.host, gid: -1, conns: map[*decoupledConn]bool{}}
	if cfg.Group != "" {
		g, err := user.LookupGroup(cfg.Group)
		if err != nil {
			if g, err = user.LookupGroupId(cfg.Group); err != nil {
				return nil, fmt.Errorf("the decoupled providers' group %q: %w", cfg.Group, err)
			}
		}
		d.gid, _ = strconv.Atoi(g.Gid)
	}
	ln, err := listenPrivate(cfg.Path, d.gid)
	if err != nil {
		return nil, err
	}
	d.ln = ln
	d.wg.Add(1)
	go d.accept()
	d.host.log.Info("decoupled providers' socket", "path", cfg.Path, "group", cfg.Group)
	return d, nil
}

// listenPrivate listens on a Unix socket at path whose mode is 0600 (0660
// and group gid when gid >= 0) from the moment it exists there: it binds in
// a fresh private directory beside path, sets the mode, and renames it into
// place.
func listenPrivate(path string, gid int) (*net.UnixListener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("the decoupled providers' socket: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("the decoupled providers' socket %s: the file exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("the decoupled providers' socket %s: another process listens on it", path)
		}
		os.Remove(path) // a daemon that died left it
	}
	tmp, err := os.MkdirTemp(dir, ".provider-sock-")
	if err != nil {
		return nil, fmt.Errorf("the decoupled providers' socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	tmpPath := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmpPath, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("the decoupled providers' socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // Close removes path itself
	mode := os.FileMode(0o600)
	if gid >= 0 {
		mode = 0o660
		err = os.Lchown(tmpPath, -1, gid)
	}
	if err == nil {
		err = os.Chmod(tmpPath, mode)
	}
	if err == nil {
		err = os.Rename(tmpPath, path)
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("the decoupled providers' socket %s: %w", path, err)
	}
	return ln, nil
}

// Path returns the socket's path.
func (d *Registrar) Path() string { return d.cfg.Path }

// Close stops accepting, ends every connection (their registrations end,
// and their classes' calls fail) and removes the socket file.
func (d *Registrar) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	conns := make([]*decoupledConn, 0, len(d.conns))
	for c := range d.conns {
		conns = append(conns, c)
	}
	d.mu.Unlock()
	d.ln.Close()
	os.Remove(d.cfg.Path)
	for _, c := range conns {
		c.session.Close()
	}
	d.wg.Wait()
}

func (d *Registrar) accept() {
	defer d.wg.Done()
	for {
		c, err := d.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			d.host.log.Warn("decoupled providers' socket: accept failed", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		pe, err := peerCred(c)
		if err != nil {
			d.host.log.Warn("decoupled provider connection refused: its credentials cannot be read", "err", err)
			c.Close()
			continue
		}
		d.mu.Lock()
		if d.closed || len(d.conns) >= d.cfg.MaxConnections {
			n := len(d.conns)
			d.mu.Unlock()
			d.host.log.Warn("decoupled provider connection refused: too many connections", "max", d.cfg.MaxConnections, "held", n, "uid", pe.UID, "pid", pe.PID)
			c.Close()
			continue
		}
		dc := &decoupledConn{d: d, peer: pe, regs: map[*proc]bool{}}
		dc.session, err = yamux.Server(c, providerwire.SessionConfig())
		if err != nil {
			d.mu.Unlock()
			c.Close()
			continue
		}
		d.conns[dc] = true
		d.wg.Add(1)
		d.mu.Unlock()
		go dc.serve()
	}
}

// peer is who connected, as the kernel saw it.
type peer struct {
	UID, GID uint32
	PID      int32
}

// authorize says whether pe may serve reg, and if not why.
func (d *Registrar) authorize(pe peer, reg *Registration) error {
	if pe.UID == 0 {
		return nil
	}
	if reg.User != "" {
		u, err := user.Lookup(reg.User)
		if err != nil {
			u, err = user.LookupId(reg.User)
		}
		if err == nil && u.Uid == strconv.FormatUint(uint64(pe.UID), 10) {
			return nil
		}
		return fmt.Errorf("the registration names the account %s, and the application runs as uid %d", reg.User, pe.UID)
	}
	if int(pe.UID) == os.Geteuid() {
		return nil
	}
	if d.gid >= 0 {
		if int(pe.GID) == d.gid {
			return nil
		}
		if u, err := user.LookupId(strconv.FormatUint(uint64(pe.UID), 10)); err == nil {
			if gids, err := u.GroupIds(); err == nil && slices.Contains(gids, strconv.Itoa(d.gid)) {
				return nil
			}
		}
		return fmt.Errorf("uid %d is neither root, the daemon's account, nor a member of the group %s, and the registration names no account", pe.UID, d.cfg.Group)
	}
	return fmt.Errorf("uid %d is neither root nor the daemon's account, and the registration names no account (wbemd --provider-group lets a group's members register)", pe.UID)
}

// decoupledConn is one application's connection.
type decoupledConn struct {
	providerwire.UnimplementedRegistrarServer
	d       *Registrar
	peer    peer
	session *yamux.Session

	mu     sync.Mutex
	client *grpc.ClientConn // the application's Provider service, once it registers
	regs   map[*proc]bool
	timer  *time.Timer
}

// serve serves the connection's Registrar calls until it closes.
func (dc *decoupledConn) serve() {
	d := dc.d
	defer d.wg.Done()
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 10))
	providerwire.RegisterRegistrarServer(srv, dc)
	go srv.Serve(dc.session)
	dc.mu.Lock()
	dc.timer = time.AfterFunc(d.cfg.RegisterTimeout, dc.idle)
	dc.mu.Unlock()
	<-dc.session.CloseChan()
	srv.Stop() // ends the registrations' calls
	dc.mu.Lock()
	dc.timer.Stop()
	if dc.client != nil {
		dc.client.Close()
	}
	dc.mu.Unlock()
	d.mu.Lock()
	delete(d.conns, dc)
	d.mu.Unlock()
}

// idle closes a connection that has held no registration for
// RegisterTimeout.
func (dc *decoupledConn) idle() {
	dc.mu.Lock()
	n := len(dc.regs)
	dc.mu.Unlock()
	if n == 0 {
		dc.d.host.log.Warn("decoupled provider connection closed: it registered nothing", "within", dc.d.cfg.RegisterTimeout, "uid", dc.peer.UID, "pid", dc.peer.PID)
		dc.session.Close()
	}
}

// providerClient returns the client of the application's Provider service.
func (dc *decoupledConn) providerClient() (providerwire.ProviderClient, error) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.client == nil {
		cc, err := providerwire.SessionClient(dc.session, grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(providerwire.MaxMessageBytes)))
		if err != nil {
			return nil, err
		}
		dc.client = cc
	}
	return providerwire.NewProviderClient(dc.client), nil
}

// Register implements providerwire.RegistrarServer.
func (dc *decoupledConn) Register(req *providerwire.RegisterRequest, stream providerwire.Registrar_RegisterServer) error {
	d, log := dc.d, dc.d.host.log
	ctx := stream.Context()
	ns, name := req.GetNamespace(), req.GetProvider()
	attrs := []any{"provider", name, "namespace", ns, "uid", dc.peer.UID, "pid", dc.peer.PID}
	refuse := func(err error) error {
		log.Warn("decoupled provider registration refused", append(attrs, "err", err)...)
		return stream.Send(&providerwire.RegisterReply{Error: providerwire.EncodeError(err)})
	}
	if req.GetProtocol() != providerwire.Version_VERSION_1 {
		return refuse(cim.Errorf(cim.WBEM_E_NOT_SUPPORTED, "the application speaks version %d of the protocol, not %d", req.GetProtocol(), providerwire.Version_VERSION_1))
	}
	if ns == "" || name == "" || len(ns) > maxRegistrationString || len(name) > maxRegistrationString {
		return refuse(&cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "RegisterRequest",
			Description: "a registration names a namespace and a provider, each at most 1024 bytes"})
	}
	reg, err := d.registry.read(ctx, ns, name)
	if err != nil {
		return refuse(err)
	}
	if reg == nil {
		return refuse(&cim.Error{Status: cim.WBEM_E_NOT_FOUND, Parameter: name, Provider: name,
			Description: fmt.Sprintf("namespace %s has no %s named %q: register the provider with MOF first (HostingModel \"Decoupled\")", ns, ProviderClass, name)})
	}
	if reg.Hosting != Decoupled {
		return refuse(reg.errorf(cim.WBEM_E_INVALID_PARAMETER, "provider %q of %s is registered with HostingModel %q, not Decoupled: the daemon starts it itself", name, ns, reg.Hosting))
	}
	if err := d.authorize(dc.peer, reg); err != nil {
		return refuse(reg.errorf(cim.WBEM_E_ACCESS_DENIED, "the application may not register provider %q of %s: %v", name, ns, err))
	}
	dc.mu.Lock()
	n := len(dc.regs)
	dc.mu.Unlock()
	if n >= MaxRegistrationsPerConnection {
		return refuse(reg.errorf(cim.WBEM_E_QUOTA_VIOLATION, "one connection holds at most %d registrations", MaxRegistrationsPerConnection))
	}
	rpc, err := dc.providerClient()
	if err != nil {
		return refuse(reg.errorf(cim.WBEM_E_PROVIDER_LOAD_FAILURE, "provider %q: %v", name, err))
	}
	h := d.host
	p := newProc(h, h.procKey(reg, ""), reg)
	p.rpc = rpc
	p.regs[regKey(reg.Namespace, reg.Name)] = true
	p.peerPID = dc.peer.PID
	ended := make(chan struct{})
	var once sync.Once
	p.closer = func() { once.Do(func() { close(ended) }) }
	if err := p.hello(); err != nil {
		return refuse(reg.errorf(cim.WBEM_E_PROVIDER_LOAD_FAILURE, "provider %q: %v", name, err))
	}
	close(p.ready)
	if err := h.attachDecoupled(p); err != nil {
		return refuse(err)
	}
	dc.mu.Lock()
	dc.regs[p] = true
	dc.mu.Unlock()
	p.heard()
	if err := stream.Send(&providerwire.RegisterReply{}); err != nil {
		p.kill("the application went away while registering")
	}
	log.Info("decoupled provider registered", attrs...)

	select {
	case <-ctx.Done():
	case <-ended:
	}
	p.mu.Lock()
	why := p.stopping
	p.mu.Unlock()
	if why == "" {
		p.deadErr = fmt.Errorf("its application (pid %d) disconnected", dc.peer.PID)
		why = "the application disconnected"
	} else {
		p.deadErr = fmt.Errorf("its registration was ended: %s", why)
	}
	h.detach(p)
	close(p.dead)
	dc.mu.Lock()
	delete(dc.regs, p)
	if len(dc.regs) == 0 {
		dc.timer.Reset(d.cfg.RegisterTimeout)
	}
	dc.mu.Unlock()
	log.Info("decoupled provider unregistered", append(attrs, "why", why)...)
	if ctx.Err() != nil {
		return nil
	}
	return stream.Send(&providerwire.RegisterReply{Error: providerwire.EncodeError(
		reg.errorf(cim.WBEM_E_PROVIDER_NOT_FOUND, "the daemon ended the registration of provider %q of %s: %s", name, ns, why))})
}

// attachDecoupled makes p, a decoupled provider's registration, serve its
// registration's calls; another live one of the same registration refuses it.
func (h *Host) attachDecoupled(p *proc) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return p.reg.errorf(cim.WBEM_E_SHUTTING_DOWN, "the daemon is shutting down")
	}
	if old := h.procs[p.key]; old != nil && !old.isDead() {
		return p.reg.errorf(cim.WBEM_E_ALREADY_EXISTS, "provider %q of %s is already registered by a running application (pid %d)", p.name, p.namespace, old.peerPID)
	}
	h.procs[p.key] = p
	return nil
}

// detach forgets p.
func (h *Host) detach(p *proc) {
	h.mu.Lock()
	if h.procs[p.key] == p {
		delete(h.procs, p.key)
	}
	h.mu.Unlock()
}

// acquireDecoupled returns the registration of the running application that
// serves reg: with none, its classes are gone (WBEM_E_PROVIDER_NOT_FOUND).
func (h *Host) acquireDecoupled(reg *Registration) (*proc, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, reg.errorf(cim.WBEM_E_SHUTTING_DOWN, "the daemon is shutting down")
	}
	p := h.procs[h.procKey(reg, "")]
	if p == nil || p.isDead() {
		return nil, &cim.Error{Status: cim.WBEM_E_PROVIDER_NOT_FOUND, Provider: reg.Name, Parameter: reg.Name,
			Description: fmt.Sprintf("provider %q of %s is decoupled, and no running application has registered it (it is not running, or has disconnected)", reg.Name, reg.Namespace)}
	}
	p.enter(reg)
	return p, nil
}
