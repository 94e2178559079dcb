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
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/cimom"
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

	// ProviderUser is the account out-of-process providers run as when the
	// daemon runs as root and their registration names none
	// (providerhost.DefaultUser).
	ProviderUser string

	Logger *slog.Logger // slog.Default()

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

// Run runs the daemon until ctx ends, then shuts down cleanly: it stops
// accepting connections, releases open enumerations (their providers see
// their context cancelled), waits up to ShutdownTimeout for requests in
// flight, and closes the repository. It returns nil after a clean shutdown.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.StateDir == "" {
		cfg.StateDir = repository.DefaultStateDir()
	}
	if cfg.UsersFile == "" {
		cfg.UsersFile = filepath.Join(cfg.StateDir, UsersFile)
	}
	if cfg.HTTPAddr == "" && cfg.HTTPSAddr == "" && cfg.CIMXMLAddr == "" && cfg.CIMXMLSAddr == "" {
		return errors.New("nothing to serve: --http, --https, --cimxml and --cimxml-https are off")
	}
	if (cfg.HTTPSAddr != "" || cfg.CIMXMLSAddr != "") && (cfg.TLSCert == "" || cfg.TLSKey == "") {
		return errors.New("--https and --cimxml-https need --tls-cert and --tls-key")
	}

	store, err := repository.OpenStateDir(cfg.StateDir)
	if err != nil {
		if errors.Is(err, repository.ErrInUse) {
			return fmt.Errorf("%w (is another wbemd running on %s?)", err, cfg.StateDir)
		}
		return err
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the repository", "err", err)
		}
	}()
	log.Info("repository open", "path", store.Path())

	// A signal during the start is a clean stop, not a failure.
	interrupted := func(err error) bool {
		if ctx.Err() != nil {
			log.Info("stopped while starting", "cause", context.Cause(ctx), "err", err)
			return true
		}
		return false
	}
	// Providers registered in the repository run out of process; they stop
	// before the repository closes.
	host := providerhost.New(providerhost.Config{Logger: log, DefaultUser: cfg.ProviderUser})
	defer host.Close()
	registry := providerhost.NewRegistry(host)
	defer registry.Close()
	om, err := cimom.New(ctx, store, cimom.WithProviderResolver(registry), cimom.WithSystemClasses(providerhost.RegistrationClasses()...))
	if err != nil {
		if interrupted(err) {
			return nil
		}
		return err
	}
	registry.Attach(om)
	if cfg.Install != nil {
		if err := cfg.Install(ctx, om); err != nil {
			if interrupted(err) {
				return nil
			}
			return fmt.Errorf("installing the providers: %w", err)
		}
	}

	users, err := ensureUsers(cfg.UsersFile, cfg.StateDir, log)
	if err != nil {
		return err
	}
	authn := auth.NewBasic(users, auth.BasicOptions{Logger: log})

	running := newOps(om)
	// One table of open enumerations: a user's limit counts both protocols.
	enums := enumctx.New(wsman.DefaultMaxContextsPerUser)
	srv := newEndpoint(running, om.Server(), authn, enums, log)
	cx := newCIMXMLEndpoint(running, om.Server(), authn, enums, log)
	newServer := func(path string, h http.Handler) *http.Server {
		mux := http.NewServeMux()
		mux.Handle(path, h)
		return &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute, // keep-alive connections of clients that went away
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
			ConnContext:       wsman.ConnContext,
		}
	}
	hs, hcx := newServer(Path, srv), newServer(CIMXMLPath, cx)

	// The listeners: WS-Management's and CIM-XML's, each plain and TLS.
	type listener struct {
		addr  string
		tls   bool
		proto string // in the log: http, https, cimxml, cimxml-https
		path  string
		hs    *http.Server
		ln    net.Listener
	}
	lns := []*listener{{cfg.HTTPAddr, false, "http", Path, hs, nil}, {cfg.HTTPSAddr, true, "https", Path, hs, nil},
		{cfg.CIMXMLAddr, false, "cimxml", CIMXMLPath, hcx, nil}, {cfg.CIMXMLSAddr, true, "cimxml-https", CIMXMLPath, hcx, nil}}
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
			cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
			if err != nil {
				closeAll()
				return fmt.Errorf("TLS certificate: %w", err)
			}
			tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			closeAll()
			return err
		}
		if l.tls {
			ln = tls.NewListener(ln, tlsConfig)
		}
		l.ln = ln
	}

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

	// Stop accepting and wait for requests in flight while the endpoint
	// releases its enumerations and every running operation is cancelled,
	// so that a Pull waiting on a slow provider ends now rather than at its
	// timeout; the repository closes only once the producers have returned.
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	done := make(chan error, 2)
	go func() { done <- hs.Shutdown(sctx) }()
	go func() { done <- hcx.Shutdown(sctx) }()
	srv.Close()
	cx.Close()
	if !running.shutdown(ShutdownTimeout) {
		log.Warn("operations still running at the shutdown timeout")
	}
	for range 2 {
		if err := <-done; err != nil {
			log.Warn("requests still in flight at the shutdown timeout; closing their connections", "err", err)
			hs.Close()
			hcx.Close()
		}
	}
	wg.Wait()
	log.Info("stopped")
	return runErr
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
