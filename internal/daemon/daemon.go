// Package daemon is wbemd: gowbem's object manager over the state
// directory's repository, served over WS-Management and CIM-XML, each on
// HTTP and HTTPS, until its context ends. Both protocols serve one object
// manager with one set of users and one limit of open enumerations per
// user.
//
// The daemon has no test hooks: what it serves is what Config.Install puts
// there. The end-to-end tests build their own wbemd (testdata/wbemd) whose
// Install adds a synthetic workload to the host classes.
package daemon

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/auth/pam"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/cimxml"
	"github.com/gowbem/gowbem/identity"
	"github.com/gowbem/gowbem/internal/enumctx"
	"github.com/gowbem/gowbem/internal/providerhost"
	"github.com/gowbem/gowbem/internal/users"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wsman"
)

// Defaults of the flags.
const (
	DefaultHTTPAddr  = "127.0.0.1:5985"
	DefaultHTTPSAddr = "127.0.0.1:5986" // when a certificate is given
	// DefaultCIMXMLAddr and DefaultCIMXMLSAddr are CIM-XML's ports
	// (DSP0200): HTTP, and HTTPS when a certificate is given.
	DefaultCIMXMLAddr  = "127.0.0.1:5988"
	DefaultCIMXMLSAddr = "127.0.0.1:5989"
	// AdminUser is the user the first start creates.
	AdminUser = "admin"
	// AdminPasswordFile is where the first start writes AdminUser's
	// password, in the state directory.
	AdminPasswordFile = "admin.password"
	// ProviderSocket is the decoupled providers' socket's name in the state
	// directory.
	ProviderSocket = "provider.sock"
	// UsersFile is the users file's name in the state directory.
	UsersFile = "users"
	// ShutdownTimeout bounds how long a shutdown waits for requests in
	// flight before it closes their connections.
	ShutdownTimeout = 3 * time.Second
	// Path is where the WS-Management endpoint is served.
	Path = "/wsman"
	// CIMXMLPath is where the CIM-XML endpoint is served.
	CIMXMLPath = "/cimom"
)

// Config configures a daemon. The zero value of a field takes the default
// named on it.
type Config struct {
	StateDir  string // repository.DefaultStateDir()
	HTTPAddr  string // "" serves no plain HTTP
	HTTPSAddr string // "" serves no HTTPS; needs TLSCert and TLSKey
	// CIMXMLAddr and CIMXMLSAddr serve CIM-XML over HTTP and HTTPS (""
	// serves none; HTTPS needs TLSCert and TLSKey).
	CIMXMLAddr  string
	CIMXMLSAddr string
	TLSCert     string // PEM certificate chain file
	TLSKey      string // PEM private key file
	UsersFile   string // <StateDir>/users
	// ClientCA is a PEM file of the certificate authorities whose client
	// certificates log in over HTTPS, as WinRM's certificate
	// authentication: as the user of the users file that the
	// certificate's subject common name names. "" accepts none.
	ClientCA string
	// PAMService, when set, lets Linux accounts log in with their own
	// passwords through that PAM service (/etc/pam.d/SERVICE), as OMI
	// does; the users file's users still log in with theirs. It needs a
	// build with the tag pam (package auth/pam). PAMAdminGroups are the
	// Linux groups whose members are administrators (uid 0 always is).
	PAMService     string
	PAMAdminGroups []string
	PAMConfDir     string // read instead of /etc/pam.d (tests)

	// ReadTimeout bounds the reading of a request's body once its headers
	// are in (DefaultReadTimeout): a stalled body is cut off with 408 and
	// its memory freed.
	ReadTimeout time.Duration
	// OperationTimeout bounds every operation but enumerations and event
	// subscriptions (DefaultOperationTimeout); a protocol's request may
	// ask less.
	OperationTimeout time.Duration
	// MaxConnections and MaxConnectionsPerAddress bound the open
	// connections of each listener (DefaultMaxConnections,
	// DefaultMaxConnectionsPerAddress); past them a connection is closed
	// as soon as it is accepted.
	MaxConnections           int
	MaxConnectionsPerAddress int
	// Login tunes password logins (throttling, the verification pool, the
	// login cache); the zero value takes package auth's defaults.
	Login auth.BasicOptions

	// ProviderUser is the account out-of-process providers run as when the
	// daemon runs as root and their registration names none
	// (providerhost.DefaultUser).
	ProviderUser string
	// ProviderSocket is the Unix socket running applications connect to
	// to serve a registration with HostingModel "Decoupled"
	// (providerhost.Registrar): "" <StateDir>/provider.sock (a failure to
	// listen there is logged, and decoupled providers are not served),
	// "none" none. ProviderGroup's members may register those that name no
	// account; the socket is then theirs too (mode 0660).
	ProviderSocket string
	ProviderGroup  string

	Logger *slog.Logger // slog.Default()

	// Reload, when set, makes the daemon read the users file again at
	// each receive (wbemd sends one on SIGHUP). The daemon also notices a
	// changed users file by itself.
	Reload <-chan struct{}

	// Install registers providers and their classes on the object manager
	// at every start (wbemd passes the host providers' Install). It must be
	// idempotent: the repository keeps what earlier starts put there.
	Install func(ctx context.Context, om *cimom.ObjectManager) error

	// Ready, when set, is called once the daemon serves, with the addresses
	// it listens on for WS-Management (nil for one it does not serve);
	// CIMXMLReady likewise for CIM-XML.
	Ready       func(http, https net.Addr)
	CIMXMLReady func(http, https net.Addr)
}

// check fills in the defaults and refuses what cannot be served.
func (cfg *Config) check() error {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.StateDir == "" {
		cfg.StateDir = repository.DefaultStateDir()
	}
	if cfg.UsersFile == "" {
		cfg.UsersFile = filepath.Join(cfg.StateDir, UsersFile)
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = DefaultOperationTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.MaxConnectionsPerAddress <= 0 {
		cfg.MaxConnectionsPerAddress = DefaultMaxConnectionsPerAddress
	}
	if cfg.HTTPAddr == "" && cfg.HTTPSAddr == "" && cfg.CIMXMLAddr == "" && cfg.CIMXMLSAddr == "" {
		return errors.New("nothing to serve: --http, --https, --cimxml and --cimxml-https are off")
	}
	if (cfg.HTTPSAddr != "" || cfg.CIMXMLSAddr != "") && (cfg.TLSCert == "" || cfg.TLSKey == "") {
		return errors.New("--https and --cimxml-https need --tls-cert and --tls-key")
	}
	if cfg.ClientCA != "" && cfg.HTTPSAddr == "" && cfg.CIMXMLSAddr == "" {
		return errors.New("--client-ca needs HTTPS (--tls-cert and --tls-key)")
	}
	return nil
}

// errStopped is a start cut short by the end of its ctx: a clean stop.
var errStopped = errors.New("stopped while starting")

// Run runs the daemon until ctx ends, then shuts down cleanly: it stops
// accepting connections, releases open enumerations (their providers see
// their context cancelled), waits up to ShutdownTimeout for requests in
// flight, and closes the repository. It returns nil after a clean shutdown.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.check(); err != nil {
		return err
	}
	log := cfg.Logger
	store, err := openStore(cfg.StateDir, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the repository", "err", err)
		}
	}()
	om, closeProviders, err := startObjectManager(ctx, cfg, store)
	defer closeProviders()
	if errors.Is(err, errStopped) {
		return nil
	}
	if err != nil {
		return err
	}
	us, err := ensureUsers(cfg.UsersFile, cfg.StateDir, log)
	if err != nil {
		return err
	}
	go reloadUsers(ctx, cfg.Reload, us, log)
	authn, lookup, err := newAuthenticator(cfg, us)
	if err != nil {
		return err
	}
	d := newEndpoints(cfg, om, authn, lookup)
	lns, err := listen(cfg, d)
	if err != nil {
		return err
	}
	return d.serve(ctx, cfg, lns)
}

// openStore opens the state directory's repository.
func openStore(dir string, log *slog.Logger) (*repository.Bolt, error) {
	store, err := repository.OpenStateDir(dir)
	if err != nil {
		if errors.Is(err, repository.ErrInUse) {
			return nil, fmt.Errorf("%w (is another wbemd running on %s?)", err, dir)
		}
		return nil, err
	}
	log.Info("repository open", "path", store.Path())
	return store, nil
}

// startObjectManager makes the object manager over store and installs the
// providers; errStopped when ctx ended meanwhile (a signal during the
// start is a clean stop, not a failure). closeProviders stops the
// out-of-process providers: call it before the repository closes, also
// after an error.
func startObjectManager(ctx context.Context, cfg Config, store repository.Store) (om *cimom.ObjectManager, closeProviders func(), err error) {
	log := cfg.Logger
	stopped := func(err error) error {
		if ctx.Err() != nil {
			log.Info("stopped while starting", "cause", context.Cause(ctx), "err", err)
			return errStopped
		}
		return err
	}
	// Providers registered in the repository run out of process; they stop
	// before the repository closes.
	host := providerhost.New(providerhost.Config{Logger: log, DefaultUser: cfg.ProviderUser})
	registry := providerhost.NewRegistry(host)
	closeProviders = func() {
		registry.Close()
		host.Close()
	}
	om, err = cimom.New(ctx, store, cimom.WithProviderResolver(registry), cimom.WithSystemClasses(providerhost.RegistrationClasses()...))
	if err != nil {
		return nil, closeProviders, stopped(err)
	}
	registry.Attach(om)
	if cfg.ProviderSocket != "none" {
		path := cfg.ProviderSocket
		if path == "" {
			path = filepath.Join(cfg.StateDir, ProviderSocket)
		}
		d, err := providerhost.NewRegistrar(registry, providerhost.RegistrarConfig{Path: path, Group: cfg.ProviderGroup})
		switch {
		case err != nil && cfg.ProviderSocket == "" && cfg.ProviderGroup == "":
			log.Warn("decoupled providers are not served", "err", err)
		case err != nil:
			return nil, closeProviders, fmt.Errorf("--provider-socket: %w", err)
		default:
			closeProviders = func() {
				d.Close()
				registry.Close()
				host.Close()
			}
		}
	}
	if cfg.Install != nil {
		if err := cfg.Install(ctx, om); err != nil {
			return nil, closeProviders, stopped(fmt.Errorf("installing the providers: %w", err))
		}
	}
	return om, closeProviders, nil
}

// reloadUsers reads the users file again at each receive on reload, until
// ctx ends.
func reloadUsers(ctx context.Context, reload <-chan struct{}, us *users.File, log *slog.Logger) {
	if reload == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-reload:
			if err := us.Reload(); err == nil {
				log.Info("users file reloaded on request (SIGHUP)", "path", us.Path(), "users", len(us.Users()))
			}
		}
	}
}

// newAuthenticator is how callers log in: a client certificate that
// --client-ca's authorities signed, else HTTP Basic against the users
// file, and with --pam, PAM for the names the users file does not hold.
// lookup finds a user again by name, without a password, the same way
// (the users file, then PAM's accounts): the CIM-XML subscriptions
// restored at start run as the user it finds.
func newAuthenticator(cfg Config, us *users.File) (authn auth.Authenticator, lookup func(string) (*identity.Caller, error), err error) {
	opts := cfg.Login
	opts.Logger = cfg.Logger
	var checker auth.PasswordChecker = us
	lookup = fileThenPAMLookup(us.Lookup, nil)
	if cfg.PAMService != "" {
		p, err := pam.New(pam.Options{Service: cfg.PAMService, AdminGroups: cfg.PAMAdminGroups, ConfDir: cfg.PAMConfDir})
		if err != nil {
			return nil, nil, fmt.Errorf("--pam: %w", err)
		}
		checker = fileThenPAM{us, p}
		lookup = fileThenPAMLookup(us.Lookup, p.Lookup)
		cfg.Logger.Info("PAM logins", "service", cfg.PAMService, "admin_groups", cfg.PAMAdminGroups)
	}
	basic := auth.NewBasic(checker, opts)
	if cfg.ClientCA == "" {
		return basic, lookup, nil
	}
	return auth.Chain{auth.Certificates{Map: auth.UserByCommonName(us.Lookup), Logger: cfg.Logger}, basic}, lookup, nil
}

// fileThenPAMLookup finds a user as fileThenPAM logs one in: in the users
// file, else among PAM's accounts (pam nil: nowhere else). A name neither
// knows is identity.ErrNoUser; PAM's failure is its error.
func fileThenPAMLookup(file func(string) (*identity.Caller, bool), pam func(string) (*identity.Caller, error)) func(string) (*identity.Caller, error) {
	return func(name string) (*identity.Caller, error) {
		if c, ok := file(name); ok {
			return c, nil
		}
		if pam == nil {
			return nil, fmt.Errorf("%q is not in the users file: %w", name, identity.ErrNoUser)
		}
		return pam(name)
	}
}

// fileThenPAM checks the passwords of the users file's users there, and
// the others' with PAM: a user of the file is never a Linux account's
// password's way in.
type fileThenPAM struct {
	file *users.File
	pam  auth.PasswordChecker
}

func (c fileThenPAM) CheckPassword(ctx context.Context, name, password string) (*identity.Caller, error) {
	if _, ok := c.file.Lookup(name); ok {
		return c.file.CheckPassword(ctx, name, password)
	}
	return c.pam.CheckPassword(ctx, name, password)
}

// Generation implements auth.Generationer: a changed users file drops the
// remembered logins.
func (c fileThenPAM) Generation() uint64 { return c.file.Generation() }

// endpoints are what the daemon serves: the tracked object manager behind
// the WS-Management and CIM-XML services, each behind its HTTP server.
type endpoints struct {
	running *ops
	wsman   *wsman.Server
	cimxml  *cimxml.Server
	hs, hcx *http.Server
	log     *slog.Logger
}

// lookup finds a user of the users file again (CIM-XML subscriptions
// restored at start run as their creators).
func newEndpoints(cfg Config, om *cimom.ObjectManager, authn auth.Authenticator, lookup func(string) (*identity.Caller, error)) *endpoints {
	log := cfg.Logger
	running := newOps(om)
	running.timeout, running.log = cfg.OperationTimeout, log
	// One table of open enumerations: a user's limit counts both protocols.
	enums := enumctx.New(wsman.DefaultMaxContextsPerUser)
	d := &endpoints{running: running, log: log,
		wsman:  newEndpoint(running, om.Server(), authn, enums, cfg),
		cimxml: newCIMXMLEndpoint(running, om.Server(), authn, enums, lookup, cfg)}
	newServer := func(path string, h http.Handler) *http.Server {
		mux := http.NewServeMux()
		mux.Handle(path, h)
		return &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: ReadHeaderTimeout,
			MaxHeaderBytes:    MaxHeaderBytes,
			IdleTimeout:       IdleTimeout, // keep-alive connections of clients that went away
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
			ConnContext:       wsman.ConnContext,
		}
	}
	d.hs, d.hcx = newServer(Path, d.wsman), newServer(CIMXMLPath, d.cimxml)
	return d
}

// MaxHeaderBytes bounds a request's headers; ReadHeaderTimeout the time to
// send them; DefaultReadTimeout the time to send a body once the headers
// are in; IdleTimeout a keep-alive connection without requests.
const (
	MaxHeaderBytes     = 64 << 10
	ReadHeaderTimeout  = 10 * time.Second
	DefaultReadTimeout = 30 * time.Second
	IdleTimeout        = 2 * time.Minute
)

// listener is one of the four listeners: WS-Management's and CIM-XML's,
// each plain and TLS.
type listener struct {
	addr  string
	tls   bool
	proto string // in the log: http, https, cimxml, cimxml-https
	path  string
	hs    *http.Server
	ln    net.Listener
}

// listen opens the listeners cfg asks for, each bounded in connections.
func listen(cfg Config, d *endpoints) ([]*listener, error) {
	lns := []*listener{{cfg.HTTPAddr, false, "http", Path, d.hs, nil}, {cfg.HTTPSAddr, true, "https", Path, d.hs, nil},
		{cfg.CIMXMLAddr, false, "cimxml", CIMXMLPath, d.hcx, nil}, {cfg.CIMXMLSAddr, true, "cimxml-https", CIMXMLPath, d.hcx, nil}}
	closeAll := func() {
		for _, l := range lns {
			if l.ln != nil {
				l.ln.Close()
			}
		}
	}
	var tlsConfig *tls.Config
	for _, l := range lns {
		if l.addr == "" {
			continue
		}
		if l.tls && tlsConfig == nil {
			var err error
			if tlsConfig, err = serverTLS(cfg); err != nil {
				closeAll()
				return nil, err
			}
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			closeAll()
			return nil, listenError(err, l.proto, l.addr)
		}
		ln = newLimitListener(ln, cfg.MaxConnections, cfg.MaxConnectionsPerAddress, cfg.Logger)
		if l.tls {
			ln = tls.NewListener(ln, tlsConfig)
		}
		l.ln = ln
	}
	return lns, nil
}

// serverTLS is the HTTPS listeners' configuration: the daemon's
// certificate, and the client CAs of --client-ca.
func serverTLS(cfg Config) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.ClientCA != "" {
		pem, err := os.ReadFile(cfg.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca %s holds no PEM certificate", cfg.ClientCA)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return c, nil
}

// serve serves on lns until ctx ends or a listener fails, then shuts down.
func (d *endpoints) serve(ctx context.Context, cfg Config, lns []*listener) error {
	log := d.log
	serveErr := make(chan error, len(lns))
	var wg sync.WaitGroup
	for _, l := range lns {
		if l.ln == nil {
			continue
		}
		scheme := "http"
		if l.tls {
			scheme = "https"
		}
		log.Info("listening", "proto", l.proto, "addr", l.ln.Addr().String(), "url", scheme+"://"+l.ln.Addr().String()+l.path)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.hs.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				serveErr <- fmt.Errorf("serving %s: %w", l.proto, err)
			}
		}()
	}
	addr := func(l *listener) net.Addr {
		if l.ln == nil {
			return nil
		}
		return l.ln.Addr()
	}
	if cfg.Ready != nil {
		cfg.Ready(addr(lns[0]), addr(lns[1]))
	}
	if cfg.CIMXMLReady != nil {
		cfg.CIMXMLReady(addr(lns[2]), addr(lns[3]))
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "cause", context.Cause(ctx))
	case runErr = <-serveErr:
		log.Error("shutting down", "err", runErr)
	}
	d.shutdown()
	wg.Wait()
	log.Info("stopped")
	return runErr
}

// shutdown stops accepting and waits for requests in flight while the
// endpoints release their enumerations and every running operation is
// cancelled, so that a Pull waiting on a slow provider ends now rather than
// at its timeout; the repository closes only once the producers have
// returned (or ShutdownTimeout has passed).
func (d *endpoints) shutdown() {
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- d.hs.Shutdown(sctx) }()
	go func() { done <- d.hcx.Shutdown(sctx) }()
	d.wsman.Close()
	d.cimxml.Close()
	if !d.running.shutdown(ShutdownTimeout) {
		d.log.Warn("operations still running at the shutdown timeout")
	}
	for range 2 {
		if err := <-done; err != nil {
			d.log.Warn("requests still in flight at the shutdown timeout; closing their connections", "err", err)
			d.hs.Close()
			d.hcx.Close()
		}
	}
}

// ensureUsers opens the users file, or on the first start creates it with
// AdminUser, an administrator, and a random password written to
// <stateDir>/admin.password.
func ensureUsers(path, stateDir string, log *slog.Logger) (*users.File, error) {
	if _, err := os.Stat(path); err == nil {
		return users.Open(path, log)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("users file: %w", err)
	}
	password := randomPassword()
	hash, err := users.Hash(password, 0)
	if err != nil {
		return nil, err
	}
	// The password first: a start that dies between the two writes finds
	// no users file next time and makes both again, rather than leaving a
	// user nobody knows the password of.
	pwFile := filepath.Join(stateDir, AdminPasswordFile)
	if err := writeSecret(pwFile, password+"\n"); err != nil {
		return nil, fmt.Errorf("admin password file: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	err = users.Edit(path, func(l *users.List) error {
		l.Users = []*users.User{{Name: AdminUser, Hash: hash, Groups: []string{identity.AdministratorsGroup}}}
		return nil
	})
	if err != nil {
		return nil, err
	}
	log.Warn("first start: created user "+AdminUser+" with a random password", "users_file", path, "password_file", pwFile)
	return users.Open(path, log)
}

// writeSecret writes a file readable by its owner only, replacing any
// earlier one.
func writeSecret(path, content string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600) // whatever the umask did
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// randomPassword returns 128 random bits as URL-safe base64.
func randomPassword() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand panics rather)
	return base64.RawURLEncoding.EncodeToString(b)
}

// listenError says which flag moves a listener whose address another
// server holds: OMI and WinRM use WS-Management's ports 5985 and 5986,
// OpenPegasus and SFCB CIM-XML's 5988 and 5989.
func listenError(err error, proto, addr string) error {
	if !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	flag := map[string]string{"http": "--http", "https": "--https", "cimxml": "--cimxml", "cimxml-https": "--cimxml-https"}[proto]
	if flag == "" {
		return err
	}
	who := "another WS-Management server (OMI and WinRM use ports 5985 and 5986)"
	if strings.HasPrefix(proto, "cimxml") {
		who = "another CIM-XML server (OpenPegasus and SFCB use ports 5988 and 5989)"
	}
	return fmt.Errorf("%w: %s or another wbemd listens on %s; pass %s ADDR (e.g. %s 127.0.0.1:%s) or %s \"\" to serve elsewhere or not at all",
		err, who, addr, flag, flag, otherPort(proto), flag)
}

// otherPort is a free-looking port to suggest for proto.
func otherPort(proto string) string {
	return map[string]string{"http": "5995", "https": "5996", "cimxml": "5998", "cimxml-https": "5999"}[proto]
}
