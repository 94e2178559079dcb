package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/gowbem/gowbem/identity"
)

// Limits and defaults of Basic (BasicOptions).
const (
	// MaxNameLength and MaxPasswordLength bound what a login may send; longer
	// ones fail without being checked.
	MaxNameLength     = 256
	MaxPasswordLength = 1024

	DefaultMaxWaiting     = 64
	DefaultMaxPerAddress  = 4
	DefaultCacheIdle      = 5 * time.Minute
	DefaultCacheMaxAge    = time.Hour
	DefaultMaxCached      = 1 << 16
	DefaultFreeFailures   = 5
	DefaultBackoffBase    = time.Second
	DefaultMaxAddressWait = 5 * time.Minute
	DefaultMaxUserWait    = time.Minute
	DefaultForgetFailures = 15 * time.Minute
	DefaultVerifyTimeout  = 30 * time.Second
)

// DefaultWorkers is how many passwords Basic verifies at once by default:
// half the processors, at least one, so that a flood of logins leaves CPU
// for the callers already logged in.
func DefaultWorkers() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// BasicOptions configure Basic; a zero field takes the default named.
type BasicOptions struct {
	// Workers is how many verifications run at once (DefaultWorkers()).
	Workers int
	// MaxWaiting is how many verifications may wait for a worker; a login
	// past it gets ErrBusy (DefaultMaxWaiting).
	MaxWaiting int
	// MaxPerAddress is how many verifications one address may have started
	// at once; past it a login is throttled (DefaultMaxPerAddress). Logins
	// with the same user and password share one verification and count
	// once. An address or a user that failed recently gets one at a time,
	// and waits behind the logins without failures.
	MaxPerAddress int
	// CacheIdle is how long a verified login is remembered after its last
	// use: the lifetime slides while the user is active (DefaultCacheIdle).
	CacheIdle time.Duration
	// CacheMaxAge bounds how long a login is remembered however active
	// (DefaultCacheMaxAge); then its password is verified again.
	CacheMaxAge time.Duration
	// MaxCached bounds the logins remembered (DefaultMaxCached).
	MaxCached int
	// FreeFailures is how many failed logins an address or a user may have
	// before it must wait (DefaultFreeFailures); the wait starts at
	// BackoffBase and doubles with each further failure, up to
	// MaxAddressWait for an address and MaxUserWait for a user. Failures
	// are forgotten after ForgetFailures without one, and a user's on a
	// successful login.
	FreeFailures   int
	BackoffBase    time.Duration
	MaxAddressWait time.Duration
	MaxUserWait    time.Duration
	ForgetFailures time.Duration
	// VerifyTimeout bounds one verification (DefaultVerifyTimeout).
	VerifyTimeout time.Duration
	// Logger receives the audit records of failed and throttled logins
	// (nothing is logged when nil). Passwords are never logged.
	Logger *slog.Logger
}

// Basic authenticates HTTP Basic credentials with a PasswordChecker.
//
// Verifying a password is slow by design (bcrypt costs tens of
// milliseconds) and Basic sends it with every request, so Basic remembers a
// verified login (a SHA-256 of the password, in memory only) while the user
// is active; later requests with the same password cost a hash. Concurrent
// first requests of one user share one verification. Verifications run in
// a bounded pool, and failed logins make their address and their user wait
// longer and longer, so that guessing passwords can neither go fast nor
// starve the users already logged in, whose requests never wait for the
// pool.
type Basic struct {
	checker PasswordChecker
	opts    BasicOptions
	pool    *pool
	addrs   *throttle
	users   *throttle

	mu       sync.Mutex
	flights  map[string]*flight
	inflight map[string]int // verifications started per address key
	waiting  int            // verifications waiting for a worker

	cacheMu sync.Mutex
	cache   map[string]*cachedLogin
}

type flight struct {
	done   chan struct{}
	caller *identity.Caller
	err    error
}

type cachedLogin struct {
	sum     [32]byte
	caller  *identity.Caller
	gen     uint64
	created time.Time
	expires time.Time
}

// NewBasic returns a Basic authenticator over checker.
func NewBasic(checker PasswordChecker, opts BasicOptions) *Basic {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defInt(&opts.Workers, DefaultWorkers())
	defInt(&opts.MaxWaiting, DefaultMaxWaiting)
	defInt(&opts.MaxPerAddress, DefaultMaxPerAddress)
	defInt(&opts.MaxCached, DefaultMaxCached)
	defInt(&opts.FreeFailures, DefaultFreeFailures)
	def(&opts.CacheIdle, DefaultCacheIdle)
	def(&opts.CacheMaxAge, DefaultCacheMaxAge)
	def(&opts.BackoffBase, DefaultBackoffBase)
	def(&opts.MaxAddressWait, DefaultMaxAddressWait)
	def(&opts.MaxUserWait, DefaultMaxUserWait)
	def(&opts.ForgetFailures, DefaultForgetFailures)
	def(&opts.VerifyTimeout, DefaultVerifyTimeout)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Basic{
		checker:  checker,
		opts:     opts,
		pool:     newPool(opts.Workers),
		addrs:    newThrottle(opts.FreeFailures, opts.BackoffBase, opts.MaxAddressWait, opts.ForgetFailures, 1<<16),
		users:    newThrottle(opts.FreeFailures, opts.BackoffBase, opts.MaxUserWait, opts.ForgetFailures, 1<<16),
		flights:  map[string]*flight{},
		inflight: map[string]int{},
		cache:    map[string]*cachedLogin{},
	}
}

// Authenticate implements Authenticator for HTTP Basic credentials.
func (b *Basic) Authenticate(r *http.Request) (*identity.Caller, error) {
	name, password, ok := r.BasicAuth()
	if !ok {
		return nil, ErrNoCredentials
	}
	c, err := b.Login(r.Context(), RemoteIP(r), name, password)
	if err != nil {
		return nil, err
	}
	if c.Method == "" { // a checker's own ("pam") stays: it tells which users the name is of
		c.Method = "basic"
	}
	return c, nil
}

// Login verifies name and password for a login from addr (the zero Addr
// when unknown). It returns a caller the caller may modify.
func (b *Basic) Login(ctx context.Context, addr netip.Addr, name, password string) (*identity.Caller, error) {
	now := time.Now()
	ak, uk := addressKey(addr), "u:"+name
	if name == "" || len(name) > MaxNameLength || len(password) > MaxPasswordLength {
		b.failed(ak, "", addr, now, "malformed user name or password")
		return nil, ErrBadCredentials
	}
	sum := sha256.Sum256([]byte(password))
	gen := b.generation()
	if c := b.cached(name, sum, gen, now); c != nil {
		return c, nil
	}
	if d := b.addrs.wait(ak, now); d > 0 {
		return nil, &ThrottledError{RetryAfter: d, Reason: "too many failed logins from this address"}
	}
	if d := b.users.wait(uk, now); d > 0 {
		return nil, &ThrottledError{RetryAfter: d, Reason: "too many failed logins for this user"}
	}
	key := name + "\x00" + string(sum[:])
	b.mu.Lock()
	f := b.flights[key]
	if f == nil {
		if c := b.cached(name, sum, gen, now); c != nil { // verified meanwhile
			b.mu.Unlock()
			return c, nil
		}
		// An address that failed recently verifies one login at a time.
		// A login goes before the others only when neither its address
		// nor its user failed recently and its address has no other
		// verification going: a new address's burst of guesses does not
		// all jump the queue.
		failing := b.addrs.failing(ak, now) || b.users.failing(uk, now)
		clean := !failing && b.inflight[ak] == 0
		limit := b.opts.MaxPerAddress
		if failing {
			limit = 1
		}
		if b.inflight[ak] >= limit {
			b.mu.Unlock()
			return nil, &ThrottledError{RetryAfter: time.Second, Reason: "too many logins at once from this address"}
		}
		if b.waiting >= b.opts.MaxWaiting {
			b.mu.Unlock()
			return nil, ErrBusy
		}
		f = &flight{done: make(chan struct{})}
		b.flights[key] = f
		b.inflight[ak]++
		b.waiting++
		// Its own goroutine: a verification goes on when the requests that
		// wait for it go away, so that their retries find it cached.
		go b.verify(f, key, ak, addr, name, password, sum, gen, clean)
	}
	b.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return nil, f.err
		}
		c := *f.caller
		return &c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *Basic) verify(f *flight, key, ak string, addr netip.Addr, name, password string, sum [32]byte, gen uint64, clean bool) {
	b.pool.acquire(clean)
	b.mu.Lock()
	b.waiting--
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.VerifyTimeout)
	c, err := b.checker.CheckPassword(ctx, name, password)
	cancel()
	b.pool.release()
	now := time.Now()
	switch {
	case err == nil && c != nil:
		c.Name = name
		b.remember(name, sum, gen, c, now)
		b.users.succeed("u:" + name)
	case err == nil, errors.Is(err, ErrBadCredentials):
		err = ErrBadCredentials
		b.failed(ak, "u:"+name, addr, now, "bad password or unknown user", slog.String("user", name))
	default:
		b.opts.Logger.Error("login: the password check failed", "user", name, "addr", addr.String(), "err", err)
	}
	f.caller, f.err = c, err
	b.mu.Lock()
	delete(b.flights, key)
	if b.inflight[ak]--; b.inflight[ak] <= 0 {
		delete(b.inflight, ak)
	}
	b.mu.Unlock()
	close(f.done)
}

// failed records a failed login and logs it, and logs when the address or
// the user starts waiting.
func (b *Basic) failed(ak, uk string, addr netip.Addr, now time.Time, reason string, attrs ...any) {
	attrs = append(attrs, slog.String("addr", addr.String()), slog.String("reason", reason))
	b.opts.Logger.Info("login failed", attrs...)
	if b.addrs.fail(ak, now) {
		b.opts.Logger.Warn("login throttled: too many failed logins from this address", "addr", addr.String())
	}
	if uk != "" && b.users.fail(uk, now) {
		b.opts.Logger.Warn("login throttled: too many failed logins for this user", "user", uk[2:])
	}
}

func (b *Basic) generation() uint64 {
	if g, ok := b.checker.(Generationer); ok {
		return g.Generation()
	}
	return 0
}

func (b *Basic) cached(name string, sum [32]byte, gen uint64, now time.Time) *identity.Caller {
	b.cacheMu.Lock()
	defer b.cacheMu.Unlock()
	e := b.cache[name]
	if e == nil {
		return nil
	}
	if e.gen != gen || !now.Before(e.expires) || now.Sub(e.created) >= b.opts.CacheMaxAge {
		delete(b.cache, name)
		return nil
	}
	if subtle.ConstantTimeCompare(e.sum[:], sum[:]) != 1 {
		return nil
	}
	e.expires = now.Add(b.opts.CacheIdle)
	c := *e.caller
	return &c
}

func (b *Basic) remember(name string, sum [32]byte, gen uint64, c *identity.Caller, now time.Time) {
	b.cacheMu.Lock()
	defer b.cacheMu.Unlock()
	if _, ok := b.cache[name]; !ok && len(b.cache) >= b.opts.MaxCached {
		for k, e := range b.cache {
			if !now.Before(e.expires) {
				delete(b.cache, k)
			}
		}
		for k := range b.cache {
			if len(b.cache) < b.opts.MaxCached {
				break
			}
			delete(b.cache, k)
		}
	}
	b.cache[name] = &cachedLogin{sum: sum, caller: c, gen: gen, created: now, expires: now.Add(b.opts.CacheIdle)}
}

// Forget drops the remembered login of name: its next request is verified
// again.
func (b *Basic) Forget(name string) {
	b.cacheMu.Lock()
	delete(b.cache, name)
	b.cacheMu.Unlock()
}

// ForgetAll drops every remembered login.
func (b *Basic) ForgetAll() {
	b.cacheMu.Lock()
	clear(b.cache)
	b.cacheMu.Unlock()
}
