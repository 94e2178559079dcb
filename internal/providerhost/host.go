// Package providerhost runs gowbem's out-of-process providers for the daemon:
// it starts a registered provider's executable on demand (HashiCorp
// go-plugin over gRPC, the service of internal/providerwire), hands the
// object manager a proxy that implements package provider's interfaces over
// it, and keeps the daemon safe from it: a crash fails only the calls in
// flight and the process is restarted with backoff (a crash loop is reported
// and not retried), a call that hangs past its timeout kills the process,
// idle processes stop, and each runs as its registered account within its
// resource limits. Decoupled providers, running applications that connect to
// the daemon's socket, are served the same way (decoupled.go); registrations
// are read from the repository (registry.go).
package providerhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Defaults of a registration's settings.
const (
	// DefaultTimeout is the longest a provider may take to answer a call or,
	// in an enumeration, to send its next batch while it may (its
	// registration's OperationTimeoutInterval overrides it).
	DefaultTimeout = 30 * time.Second
	// DefaultIdle is how long a provider process may sit without calls
	// before it is stopped (UnloadTimeout), as WMI's default for providers.
	DefaultIdle = 30 * time.Second
	// DefaultUser is the account providers run as when the daemon runs as
	// root and the registration names none: never root unless registered so.
	DefaultUser = "nobody"
	// DefaultStartTimeout bounds a provider process's start and handshake.
	DefaultStartTimeout = 20 * time.Second
	// credit is how many instances a provider may send ahead of the
	// consumer: eight batches, which the daemon holds (read, not yet
	// decoded) while its consumer is behind — 0.9 MB of the benchmark's
	// 10-property instances, at most the stream's window for any. With
	// the provider's larger socket buffer (provider/plugin's sendBuffer)
	// the provider goes on making batches while the daemon is busy, and
	// the daemon reads several at a time: measured (docs/benchmarks.md,
	// "Session 9 (h43)"), four batches left the provider waiting for
	// credit, eight took a further fifth off the context switches.
	credit = 8 * providerwire.MaxBatch
	// readBuffer is the most the daemon reads from a provider's connection
	// at once: a whole batch of the largest size (gRPC's default, 32 KiB,
	// is a few hundred small instances). The buffer comes from gRPC's pool
	// when the connection is readable and goes back when its bytes are
	// framed, so an idle connection holds none; one streaming provider
	// keeps about one in use. Measured (docs/benchmarks.md, "Session 8
	// (h40)"): ~10 % less CPU per instance at the boundary, mostly because
	// the daemon then collects less often (its live heap, ~3 MiB while a
	// provider streams, sets Go's heap goal), the rest fewer reads.
	readBuffer = providerwire.MaxBatchBytes
)

// Config configures a Host. The zero value of a field takes the default
// named on it.
type Config struct {
	Logger      *slog.Logger  // slog.Default()
	Policy      Policy        // DefaultPolicy
	DefaultUser string        // DefaultUser; used only when the daemon is root
	Sweep       time.Duration // how often idle processes are looked for: 1 s
	// StartTimeout bounds a process's start and handshake
	// (DefaultStartTimeout).
	StartTimeout time.Duration
}

// Host runs provider processes. It is safe for concurrent use.
type Host struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	procs   map[string]*proc
	history map[string]*restarts
	closed  bool

	stop chan struct{}
	wg   sync.WaitGroup

	clock func() time.Time // tests; nil: time.Now

	// batches counts the batches enumerations received, batched their
	// instances: the benchmarks report instances per batch.
	batches, batched atomic.Int64
}

// now is the host's clock: it decides whether a call outlived its timeout.
func (h *Host) now() time.Time {
	if h.clock != nil {
		return h.clock()
	}
	return time.Now()
}

// New returns a host; Close stops it and every process it started.
func New(cfg Config) *Host {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Policy == (Policy{}) {
		cfg.Policy = DefaultPolicy
	}
	if cfg.DefaultUser == "" {
		cfg.DefaultUser = DefaultUser
	}
	if cfg.Sweep <= 0 {
		cfg.Sweep = time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	h := &Host{cfg: cfg, log: cfg.Logger, procs: map[string]*proc{}, history: map[string]*restarts{}, stop: make(chan struct{})}
	h.wg.Add(1)
	go h.sweep()
	return h
}

// Close stops every provider process and waits for them.
func (h *Host) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	procs := h.procs
	h.procs = map[string]*proc{}
	h.mu.Unlock()
	close(h.stop)
	for _, p := range procs {
		p.shutdown("the daemon stops")
	}
	for _, p := range procs {
		<-p.dead
	}
	h.wg.Wait()
}

// sweep stops idle processes.
func (h *Host) sweep() {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.Sweep)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			h.mu.Lock()
			var idle []*proc
			for k, p := range h.procs {
				if p.idle(now) {
					idle = append(idle, p)
					delete(h.procs, k)
				}
			}
			h.mu.Unlock()
			for _, p := range idle {
				h.log.Info("stopping an idle provider process", "provider", p.name, "pid", p.pid(), "idle", p.idleFor)
				p.shutdown("idle")
			}
		}
	}
}

// StopProvider stops the processes serving the provider name of namespace
// (its registration was deleted or changed). Calls in flight fail.
func (h *Host) StopProvider(namespace, name, why string) {
	h.mu.Lock()
	var stop []*proc
	for k, p := range h.procs {
		if p.serves(namespace, name) {
			stop = append(stop, p)
			delete(h.procs, k)
			delete(h.history, k)
		}
	}
	h.mu.Unlock()
	for _, p := range stop {
		h.log.Info("stopping a provider process", "provider", name, "namespace", namespace, "pid", p.pid(), "why", why)
		p.shutdown(why)
	}
}

// procKey says which process serves reg: its own, or the shared host of its
// command line and account.
func (h *Host) procKey(reg *Registration, account string) string {
	switch reg.Hosting {
	case SharedHost:
		return "shared\x00" + account + "\x00" + strings.Join(reg.Command, "\x00")
	case Decoupled:
		return "decoupled\x00" + strings.ToLower(reg.Namespace) + "\x00" + strings.ToLower(reg.Name)
	}
	return "own\x00" + strings.ToLower(reg.Namespace) + "\x00" + strings.ToLower(reg.Name) + "\x00" + strings.Join(reg.Command, "\x00")
}

// acquire returns the running process for reg, starting it if need be (after
// the backoff its crash history asks for), with one more call counted in
// flight; release must be called when the call is over.
func (h *Host) acquire(ctx context.Context, reg *Registration) (*proc, error) {
	if reg.Hosting == Decoupled {
		return h.acquireDecoupled(reg)
	}
	account, cred, err := h.account(reg)
	if err != nil {
		return nil, err
	}
	key := h.procKey(reg, account)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, reg.errorf(cim.WBEM_E_SHUTTING_DOWN, "the daemon is shutting down")
	}
	p := h.procs[key]
	if p != nil && p.isDead() {
		delete(h.procs, key)
		p = nil
	}
	if p == nil {
		hist := h.history[key]
		if hist == nil {
			hist = &restarts{}
			h.history[key] = hist
		}
		wait, loop := hist.next(h.cfg.Policy, time.Now())
		if loop != nil {
			h.mu.Unlock()
			return nil, reg.errorf(cim.WBEM_E_PROVIDER_LOAD_FAILURE, "provider %q is not started: %v", reg.Name, loop)
		}
		p = newProc(h, key, reg)
		h.procs[key] = p
		go p.start(wait, cred)
	}
	p.enter(reg)
	h.mu.Unlock()

	select {
	case <-p.ready:
	case <-ctx.Done():
		p.leave(false)
		return nil, ctx.Err()
	}
	if p.startErr != nil {
		p.leave(false)
		return nil, p.startErr
	}
	return p, nil
}

// crashed records that the process of key died unasked.
func (h *Host) crashed(p *proc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.procs[p.key] == p {
		delete(h.procs, p.key)
	}
	hist := h.history[p.key]
	if hist == nil {
		return // the registration went away meanwhile
	}
	hist.crashed(h.cfg.Policy, time.Now())
	if _, loop := hist.next(h.cfg.Policy, time.Now()); loop != nil {
		h.log.Error("provider in a crash loop", "provider", p.name, "namespace", p.namespace, "err", loop)
	}
}

// healthy records that a process of key served a call.
func (h *Host) healthy(key string) {
	h.mu.Lock()
	if hist := h.history[key]; hist != nil && len(hist.crashes) > 0 {
		hist.healthy()
	}
	h.mu.Unlock()
}

// account returns the account a registration's process runs as, and the
// credential to start it with (nil: the daemon's own).
func (h *Host) account(reg *Registration) (string, *credential, error) {
	name := reg.User
	if os.Geteuid() != 0 {
		if name == "" {
			return "", nil, nil
		}
		me, err := user.Current()
		if err == nil && (me.Username == name || me.Uid == name) {
			return name, nil, nil
		}
		return "", nil, reg.errorf(cim.WBEM_E_ACCESS_DENIED, "provider %q is registered to run as %s, which only a daemon running as root can do", reg.Name, name)
	}
	if name == "" {
		name = h.cfg.DefaultUser
	}
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return "", nil, reg.errorf(cim.WBEM_E_PROVIDER_LOAD_FAILURE, "provider %q: no account %s to run it as", reg.Name, name)
		}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if uid == 0 {
		return u.Username, nil, nil
	}
	cred := &credential{Uid: uint32(uid), Gid: uint32(gid)}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return u.Username, cred, nil
}

// proc is one provider process (or a decoupled provider's connection).
type proc struct {
	h         *Host
	key       string
	name      string // the first registration's, for messages
	namespace string
	command   []string
	idleFor   time.Duration
	reg       *Registration // the registration that started it

	ready    chan struct{} // closed once started or failed
	startErr error
	startup  startup // how long its start took, once ready
	rpc      providerwire.ProviderClient
	caps     map[string]*providerwire.Capabilities // lower-case name; "" any

	client  *goplugin.Client
	run     *procRunner
	closer  func() // decoupled only: ends the registration
	peerPID int32  // decoupled only: the application's process

	dead    chan struct{} // closed once the process is gone
	deadErr error         // why, once dead

	lastHeard atomic.Int64 // unix nanoseconds of its last answer on any call

	mu       sync.Mutex
	inflight int
	lastUse  time.Time
	regs     map[string]bool // namespace\x00name of the registrations it serves
	stopping string          // why the host stopped it, when it did
}

func newProc(h *Host, key string, reg *Registration) *proc {
	idle := reg.Idle
	if idle <= 0 {
		idle = DefaultIdle
	}
	return &proc{h: h, key: key, reg: reg, name: reg.Name, namespace: reg.Namespace, command: reg.Command, idleFor: idle,
		ready: make(chan struct{}), dead: make(chan struct{}), lastUse: time.Now(), regs: map[string]bool{}}
}

func regKey(ns, name string) string { return strings.ToLower(ns) + "\x00" + strings.ToLower(name) }

func (p *proc) enter(reg *Registration) {
	p.mu.Lock()
	p.inflight++
	p.regs[regKey(reg.Namespace, reg.Name)] = true
	p.mu.Unlock()
}

// leave ends a call; ok says it was served.
func (p *proc) leave(ok bool) {
	p.mu.Lock()
	p.inflight--
	p.lastUse = time.Now()
	p.mu.Unlock()
	if ok {
		p.h.healthy(p.key)
	}
}

// heard records that the process answered.
func (p *proc) heard() { p.lastHeard.Store(p.h.now().UnixNano()) }

// silentFor is how long the process has answered nothing.
func (p *proc) silentFor() time.Duration {
	return p.h.now().Sub(time.Unix(0, p.lastHeard.Load()))
}

func (p *proc) serves(ns, name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.regs[regKey(ns, name)]
}

func (p *proc) idle(now time.Time) bool {
	if p.key[:len("decoupled")] == "decoupled" {
		return false // it lives as long as its application
	}
	select {
	case <-p.ready:
	default:
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inflight == 0 && now.Sub(p.lastUse) >= p.idleFor
}

func (p *proc) isDead() bool {
	select {
	case <-p.dead:
		return true
	default:
		return false
	}
}

func (p *proc) pid() int {
	if p.run == nil {
		return int(p.peerPID)
	}
	return p.run.pid
}

// start starts the process after wait, says hello, and watches it.
func (p *proc) start(wait time.Duration, cred *credential) {
	defer close(p.ready)
	fail := func(err error) {
		p.startErr = &cim.Error{Status: cim.WBEM_E_PROVIDER_LOAD_FAILURE, Provider: p.name,
			Description: fmt.Sprintf("provider %q could not be started (%s): %v", p.name, strings.Join(p.command, " "), err), Err: err}
		p.h.log.Error("provider start failed", "provider", p.name, "namespace", p.namespace, "err", err)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-p.h.stop:
			t.Stop()
			p.deadErr = errors.New("the daemon stopped")
			close(p.dead)
			fail(p.deadErr)
			return
		}
	}
	begin := time.Now()
	reg := p.reg
	if len(p.command) == 0 {
		p.deadErr = errors.New("no command line")
		close(p.dead)
		fail(p.deadErr)
		return
	}
	var run *procRunner
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  providerwire.Handshake,
		Plugins:          providerwire.Plugins(nil),
		RunnerFunc:       runnerFunc(p.command, providerEnv(cred), cred, reg.Limits, &run),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     p.h.cfg.StartTimeout,
		SkipHostEnv:      true,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "provider", Output: slogWriter{p.h.log, slog.LevelWarn, p.name, p.ending}, Level: hclog.Warn}),
		Stderr:           &lineLogger{log: p.h.log, provider: p.name},
		SyncStderr:       &lineLogger{log: p.h.log, provider: p.name},
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(providerwire.MaxMessageBytes)),
			// Credit bounds what a provider sends ahead; HTTP/2's own
			// window must not be the tighter bound.
			grpc.WithInitialWindowSize(providerwire.StreamWindow),
			grpc.WithInitialConnWindowSize(providerwire.StreamWindow),
			grpc.WithReadBufferSize(readBuffer),
		},
	})
	p.client = client
	rpcClient, err := client.Client()
	connected := time.Now()
	p.run = run
	if err != nil {
		client.Kill()
		p.deadErr = err
		close(p.dead)
		p.h.crashed(p)
		fail(err)
		return
	}
	raw, err := rpcClient.Dispense(providerwire.PluginName)
	if err == nil {
		p.rpc = raw.(providerwire.ProviderClient)
		err = p.hello()
	}
	go p.watch()
	if err != nil {
		p.kill(err.Error())
		<-p.dead
		fail(err)
		return
	}
	p.heard()
	started, line := run.times()
	p.startup = startup{exec: started.Sub(begin), handshake: line.Sub(started), connect: connected.Sub(line), hello: time.Since(connected)}
	p.h.log.Info("provider process started", "provider", p.name, "namespace", p.namespace, "pid", run.pid, "command", strings.Join(p.command, " "),
		"exec", p.startup.exec, "handshake", p.startup.handshake, "connect", p.startup.connect, "hello", p.startup.hello)
}

// startup is where a provider process's start went: exec (until the
// executable runs), handshake (its runtime, package initialisers and
// go-plugin's Serve, until its handshake line), connect (the daemon reads
// the line and connects: go-plugin's gRPC client and streams) and hello
// (the Hello call).
type startup struct {
	exec, handshake, connect, hello time.Duration
}

// hello checks the process's protocol and learns its capabilities.
func (p *proc) hello() error {
	ctx, cancel := context.WithTimeout(context.Background(), p.h.cfg.StartTimeout)
	defer cancel()
	r, err := p.rpc.Hello(ctx, &providerwire.HelloRequest{Protocol: providerwire.Version_VERSION_1})
	if err != nil {
		return fmt.Errorf("the Hello call: %w", err)
	}
	if r.Protocol != providerwire.Version_VERSION_1 {
		return fmt.Errorf("the provider speaks version %d of the protocol, not %d", r.Protocol, providerwire.Version_VERSION_1)
	}
	p.caps = map[string]*providerwire.Capabilities{}
	for _, c := range r.Providers {
		p.caps[strings.ToLower(c.Name)] = c
	}
	return nil
}

// capabilities returns what the process says provider name can do.
func (p *proc) capabilities(name string) *providerwire.Capabilities {
	if c, ok := p.caps[strings.ToLower(name)]; ok {
		return c
	}
	return p.caps[""]
}

// watch waits for the process to end; an end the host did not ask for is a
// crash.
func (p *proc) watch() {
	<-p.run.exited
	p.mu.Lock()
	why := p.stopping
	p.mu.Unlock()
	if why == "" {
		p.deadErr = fmt.Errorf("its process (pid %d) exited: %v", p.run.pid, exitText(p.run.status))
		p.h.log.Error("provider process crashed", "provider", p.name, "namespace", p.namespace, "pid", p.run.pid, "status", exitText(p.run.status))
	} else {
		p.deadErr = fmt.Errorf("its process (pid %d) was stopped: %s", p.run.pid, why)
	}
	// The crash is recorded before the calls in flight learn of the death
	// (they wait on dead): a call that follows theirs then waits for the
	// backoff.
	if why == "" || strings.HasPrefix(why, "timed out") {
		p.h.crashed(p)
	}
	close(p.dead)
	p.client.Kill() // reaps go-plugin's side
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// kill ends the process at once (a hang, a failed start); the next call
// starts another.
func (p *proc) kill(why string) {
	p.mu.Lock()
	if p.stopping == "" {
		p.stopping = why
	}
	p.mu.Unlock()
	p.h.mu.Lock()
	if p.h.procs[p.key] == p {
		delete(p.h.procs, p.key)
	}
	p.h.mu.Unlock()
	if p.closer != nil {
		p.closer()
		return
	}
	if p.run != nil {
		p.run.Kill(context.Background())
	}
}

// shutdown stops the process gracefully (idle, deregistered, the daemon
// stops): go-plugin asks it to exit and kills it after a grace period.
func (p *proc) shutdown(why string) {
	p.mu.Lock()
	if p.stopping == "" {
		p.stopping = why
	}
	p.mu.Unlock()
	go func() {
		<-p.ready
		if p.closer != nil {
			p.closer()
			return
		}
		if p.client != nil && p.run != nil {
			p.client.Kill()
			p.run.Kill(context.Background()) // its children too
		}
	}()
}

// failure turns a failed RPC into the call's WBEM status: the process died
// (WBEM_E_PROVIDER_FAILURE saying how) or the call failed on its own.
func (p *proc) failure(err error) error {
	t := time.NewTimer(200 * time.Millisecond) // the exit status follows a lost connection closely
	defer t.Stop()
	select {
	case <-p.dead:
		return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Provider: p.name,
			Description: fmt.Sprintf("provider %q failed: %v", p.name, p.deadErr), Err: err}
	case <-t.C:
	}
	return &cim.Error{Status: cim.WBEM_E_PROVIDER_FAILURE, Provider: p.name,
		Description: fmt.Sprintf("provider %q failed: %v", p.name, err), Err: err}
}

// providerEnv is the environment of a provider process: a minimal one, not
// the daemon's (which may hold secrets).
func providerEnv(cred *credential) []string {
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	for _, k := range []string{"TMPDIR", "GOCOVERDIR", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if cred == nil {
		if v, ok := os.LookupEnv("HOME"); ok {
			env = append(env, "HOME="+v)
		}
	} else {
		env = append(env, "HOME=/")
	}
	return env
}

// lineLogger logs a provider's standard error line by line.
type lineLogger struct {
	log      *slog.Logger
	provider string
	mu       sync.Mutex
	buf      []byte
}

func (l *lineLogger) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(l.buf[:i])); line != "" {
			l.log.Info("provider: "+line, "provider", l.provider)
		}
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 {
		l.log.Info("provider: "+string(l.buf), "provider", l.provider)
		l.buf = nil
	}
	return len(b), nil
}

// slogWriter takes go-plugin's own log lines.
type slogWriter struct {
	log      *slog.Logger
	level    slog.Level
	provider string
	ending   func() bool // when true, go-plugin's lines go to Debug
}

func (w slogWriter) Write(b []byte) (int, error) {
	level := w.level
	if w.ending != nil && w.ending() {
		// What go-plugin says while the process is being stopped or after
		// it died ("plugin failed to exit gracefully", "error closing
		// client during Kill", at every stop of a Go provider: go-plugin's
		// controller stops the gRPC server inside its Shutdown call, which
		// then fails) is no news: the host logs the stop or the crash.
		level = slog.LevelDebug
	}
	w.log.Log(context.Background(), level, "go-plugin: "+strings.TrimSpace(string(b)), "provider", w.provider)
	return len(b), nil
}

// ending reports whether the host is stopping the process or it has died.
func (p *proc) ending() bool {
	if p.isDead() {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping != ""
}

var _ io.Writer = slogWriter{}
