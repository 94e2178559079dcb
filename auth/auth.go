// Package auth authenticates the HTTP requests of gowbem's protocol servers:
// the Authenticator interface they call with a request's headers, HTTP
// Basic over a password store with a login cache, one verification per user
// at a time, a bounded verification pool and throttling of failed logins,
// and TLS client certificates mapped to users.
//
// An Authenticator reads only the request's headers and TLS state, never
// its body: a protocol server answers a request without valid credentials
// before reading what it sends.
package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gowbem/gowbem/identity"
)

// Authenticator finds out who sent a request, from its headers and TLS
// state alone. It returns the caller, or one of the errors below (others
// mean the authentication service failed).
type Authenticator interface {
	Authenticate(r *http.Request) (*identity.Caller, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (*identity.Caller, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (*identity.Caller, error) { return f(r) }

// The errors of an Authenticator.
var (
	// ErrNoCredentials: the request carries no credentials this
	// authenticator understands (the server challenges it with 401).
	ErrNoCredentials = errors.New("no credentials")
	// ErrBadCredentials: wrong user name or password, unknown user, or a
	// certificate that maps to no user (401).
	ErrBadCredentials = errors.New("bad credentials")
	// ErrBusy: too many logins are waiting for verification (503 with
	// Retry-After).
	ErrBusy = errors.New("too many logins waiting for verification")
)

// ThrottledError refuses a login because too many failed from the same
// address or for the same user: no password is checked until RetryAfter
// has passed (429 with Retry-After).
type ThrottledError struct {
	RetryAfter time.Duration
	Reason     string
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("login throttled (%s): retry after %v", e.Reason, e.RetryAfter)
}

// PasswordChecker verifies a user's password. It returns the caller the
// user is, or ErrBadCredentials for a wrong password or an unknown user
// (taking as long for both, so that timing does not tell which users
// exist). It may be slow (bcrypt, PAM): Basic calls it at most once per
// user and password at a time, in a bounded pool.
type PasswordChecker interface {
	CheckPassword(ctx context.Context, name, password string) (*identity.Caller, error)
}

// CheckerFunc adapts a function to PasswordChecker.
type CheckerFunc func(ctx context.Context, name, password string) (*identity.Caller, error)

// CheckPassword calls f.
func (f CheckerFunc) CheckPassword(ctx context.Context, name, password string) (*identity.Caller, error) {
	return f(ctx, name, password)
}

// Generationer is implemented by password checkers whose users change
// while the server runs (a users file that is edited): Generation changes
// whenever they do, and Basic then verifies again the logins it
// remembered, so that a removed user or a changed password loses access at
// once.
type Generationer interface {
	Generation() uint64
}

// StaticUser is a user of Static.
type StaticUser struct {
	Password string
	Groups   []string
	Admin    bool
	Account  *identity.Account
}

// Static is a PasswordChecker over users with plain-text passwords held in
// memory, for tests and examples; a program that keeps users on disk uses
// a store of hashed passwords (wbemd's users file).
type Static map[string]StaticUser

// CheckPassword implements PasswordChecker.
func (s Static) CheckPassword(_ context.Context, name, password string) (*identity.Caller, error) {
	u, ok := s[name]
	if subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 || !ok {
		return nil, ErrBadCredentials
	}
	return &identity.Caller{Name: name, Groups: u.Groups, Admin: u.Admin, Account: u.Account}, nil
}

// Chain tries each authenticator in turn: the first that finds credentials
// it understands decides.
type Chain []Authenticator

// Authenticate implements Authenticator.
func (c Chain) Authenticate(r *http.Request) (*identity.Caller, error) {
	for _, a := range c {
		caller, err := a.Authenticate(r)
		if !errors.Is(err, ErrNoCredentials) {
			return caller, err
		}
	}
	return nil, ErrNoCredentials
}

// Challenge answers a request that failed authentication with 401 and a
// Basic challenge, closing the connection so that a body the client is
// still sending is never read.
func Challenge(w http.ResponseWriter, realm string) {
	DontRead(w)
	h := w.Header()
	h.Set("WWW-Authenticate", `Basic realm="`+sanitizeRealm(realm)+`", charset="UTF-8"`)
	h.Set("Content-Length", "0")
	h.Set("Connection", "close")
	w.WriteHeader(http.StatusUnauthorized)
}

func sanitizeRealm(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '"' || c == '\\' || c < 0x20 || c == 0x7f {
			b[i] = '\''
		}
	}
	return string(b)
}

// DontRead makes sure nothing more of the request's body is read: net/http
// reads up to 256 KiB of an unread body after the handler returns, which a
// client that sends half a body and stalls would make wait for ever. The
// read deadline is set to now (the response is written before the body
// is drained) and the connection is closed after the response.
func DontRead(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	http.NewResponseController(w).SetReadDeadline(time.Now()) // unsupported by test recorders: ignored
}

// Gate is how a protocol server authenticates a request, from its headers
// alone: a caller marked remote unless IsLocal says the request came from
// this machine, with the request's address. Both protocol servers use it
// with their Options' fields of the same names.
type Gate struct {
	// Authenticator finds out who sent a request; when nil every request
	// is ErrNoCredentials, unless AllowAnonymous serves it.
	Authenticator Authenticator
	// AllowAnonymous serves a request without an Authorization header as
	// anonymous (tests only): a nil caller without error.
	AllowAnonymous bool
	// IsLocal reports whether a request came from this machine (IsLoopback
	// when nil).
	IsLocal func(r *http.Request) bool
}

// Caller finds out who sent r. A nil caller without error is an anonymous
// request AllowAnonymous lets through.
func (s Gate) Caller(r *http.Request) (*identity.Caller, error) {
	if s.AllowAnonymous && r.Header.Get("Authorization") == "" {
		return nil, nil
	}
	if s.Authenticator == nil {
		return nil, ErrNoCredentials
	}
	c, err := s.Authenticator.Authenticate(r)
	if err != nil {
		return nil, err
	}
	isLocal := s.IsLocal
	if isLocal == nil {
		isLocal = IsLoopback
	}
	c.Remote = !isLocal(r)
	c.Address = r.RemoteAddr
	return c, nil
}

// Refuse answers a request whose authentication failed with err: 401 with a
// challenge for missing or bad credentials, 429 or 503 with Retry-After for
// a throttled or busy login, 503 when the authentication service failed.
// The connection is closed, unread.
func Refuse(w http.ResponseWriter, realm string, err error) {
	var te *ThrottledError
	switch {
	case errors.As(err, &te):
		refuseRetry(w, http.StatusTooManyRequests, te.RetryAfter)
	case errors.Is(err, ErrBusy):
		refuseRetry(w, http.StatusServiceUnavailable, time.Second)
	case errors.Is(err, ErrNoCredentials), errors.Is(err, ErrBadCredentials):
		Challenge(w, realm)
	default:
		refuseRetry(w, http.StatusServiceUnavailable, time.Second)
	}
}

func refuseRetry(w http.ResponseWriter, status int, after time.Duration) {
	DontRead(w)
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(max(1, int((after+time.Second-1)/time.Second))))
	h.Set("Content-Length", "0")
	h.Set("Connection", "close")
	w.WriteHeader(status)
}

// RemoteIP returns the address a request came from, without its port.
func RemoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// IsLoopback reports whether the request came from this machine's loopback
// interface: WMI's local caller, who needs no RemoteAccess.
func IsLoopback(r *http.Request) bool { return RemoteIP(r).IsLoopback() }
