package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gowbem/gowbem/auth"
	"github.com/gowbem/gowbem/identity"
)

var (
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
)

// counting is a PasswordChecker over Static that counts its calls, takes
// delay for each (like bcrypt) and records how many ran at once.
type counting struct {
	users   auth.Static
	delay   time.Duration
	calls   atomic.Int64
	running atomic.Int64
	peak    atomic.Int64
	gen     atomic.Uint64
	gate    chan struct{} // when set, every call waits for it to close
}

func (c *counting) CheckPassword(ctx context.Context, name, password string) (*identity.Caller, error) {
	c.calls.Add(1)
	n := c.running.Add(1)
	defer c.running.Add(-1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if c.gate != nil {
		<-c.gate
	}
	time.Sleep(c.delay)
	return c.users.CheckPassword(ctx, name, password)
}

func (c *counting) Generation() uint64 { return c.gen.Load() }

func newChecker() *counting {
	return &counting{delay: 50 * time.Millisecond, users: auth.Static{
		"alice": {Password: "wonderland", Groups: []string{"ops"}},
		"root":  {Password: "toor", Admin: true},
	}}
}

func TestBasicLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newChecker()
		b := auth.NewBasic(c, auth.BasicOptions{})
		ctx := context.Background()
		cases := []struct {
			name, user, pw string
			err            error
		}{
			{"right", "alice", "wonderland", nil},
			{"wrong password", "alice", "wonder", auth.ErrBadCredentials},
			{"unknown user", "bob", "wonderland", auth.ErrBadCredentials},
			{"empty user", "", "x", auth.ErrBadCredentials},
			{"long user", strings.Repeat("u", auth.MaxNameLength+1), "x", auth.ErrBadCredentials},
			{"long password", "alice", strings.Repeat("p", auth.MaxPasswordLength+1), auth.ErrBadCredentials},
		}
		for _, tc := range cases {
			got, err := b.Login(ctx, addrA, tc.user, tc.pw)
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			}
			if tc.err == nil && (got == nil || got.Name != tc.user || len(got.Groups) != 1) {
				t.Errorf("%s: caller %+v", tc.name, got)
			}
		}
		if n := c.calls.Load(); n != 3 {
			t.Errorf("%d password checks, want 3 (the malformed logins cost none)", n)
		}
		// The caller returned is the caller's to change.
		c1, _ := b.Login(ctx, addrA, "alice", "wonderland")
		c1.Address = "x"
		c2, _ := b.Login(ctx, addrA, "alice", "wonderland")
		if c2.Address != "" {
			t.Error("a change to one returned caller reached the next")
		}
	})
}

// 64 concurrent first requests of one user share one verification.
func TestBasicSingleflight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newChecker()
		b := auth.NewBasic(c, auth.BasicOptions{})
		start := time.Now()
		var wg sync.WaitGroup
		var fails atomic.Int64
		for range 64 {
			wg.Go(func() {
				if _, err := b.Login(context.Background(), addrA, "alice", "wonderland"); err != nil {
					fails.Add(1)
				}
			})
		}
		wg.Wait()
		if n := c.calls.Load(); n != 1 {
			t.Errorf("%d verifications for 64 concurrent logins, want 1", n)
		}
		if fails.Load() != 0 {
			t.Errorf("%d logins failed", fails.Load())
		}
		if d := time.Since(start); d != c.delay {
			t.Errorf("the logins took %v, one verification %v", d, c.delay)
		}
		// Different passwords do not share.
		for _, pw := range []string{"a", "b"} {
			wg.Go(func() { b.Login(context.Background(), addrB, "alice", pw) })
		}
		wg.Wait()
		if n := c.calls.Load(); n != 3 {
			t.Errorf("%d verifications, want 3", n)
		}
	})
}

// A remembered login lives while it is used (CacheIdle slides), not past
// CacheMaxAge, and not past a change of the users (Generation).
func TestBasicCacheLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newChecker()
		b := auth.NewBasic(c, auth.BasicOptions{CacheIdle: 5 * time.Minute, CacheMaxAge: time.Hour})
		login := func() {
			t.Helper()
			if _, err := b.Login(context.Background(), addrA, "alice", "wonderland"); err != nil {
				t.Fatal(err)
			}
		}
		login()
		for range 10 { // active for 40 minutes: no new verification
			time.Sleep(4 * time.Minute)
			login()
		}
		if n := c.calls.Load(); n != 1 {
			t.Fatalf("%d verifications while active, want 1", n)
		}
		time.Sleep(5*time.Minute + time.Second) // idle past CacheIdle
		login()
		if n := c.calls.Load(); n != 2 {
			t.Fatalf("%d verifications after idling, want 2", n)
		}
		for range 16 { // active past CacheMaxAge
			time.Sleep(4 * time.Minute)
			login()
		}
		if n := c.calls.Load(); n != 3 {
			t.Fatalf("%d verifications after an hour of activity, want 3", n)
		}
		c.gen.Add(1) // the users changed
		login()
		if n := c.calls.Load(); n != 4 {
			t.Fatalf("%d verifications after the users changed, want 4", n)
		}
		delete(c.users, "alice")
		c.gen.Add(1)
		if _, err := b.Login(context.Background(), addrA, "alice", "wonderland"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("a removed user: %v", err)
		}
		c.users["alice"] = auth.StaticUser{Password: "wonderland"}
		login()
		b.Forget("alice")
		login()
		b.ForgetAll()
		login()
		if n := c.calls.Load(); n != 8 {
			t.Fatalf("%d verifications after Forget and ForgetAll, want 8", n)
		}
	})
}

// Failed logins make their address and their user wait, doubling; the
// waits cost no verification; a logged-in user is not affected.
func TestBasicThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newChecker()
		b := auth.NewBasic(c, auth.BasicOptions{FreeFailures: 3, BackoffBase: time.Second, MaxAddressWait: 8 * time.Second,
			MaxUserWait: 4 * time.Second, ForgetFailures: time.Minute})
		ctx := context.Background()
		if _, err := b.Login(ctx, addrB, "root", "toor"); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := b.Login(ctx, addrA, "alice", "guess"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		// The fourth failure starts a wait of 1 s.
		b.Login(ctx, addrA, "alice", "guess")
		calls := c.calls.Load()
		var te *auth.ThrottledError
		if _, err := b.Login(ctx, addrA, "alice", "wonderland"); !errors.As(err, &te) || te.RetryAfter > time.Second {
			t.Fatalf("during the wait: %v", err)
		}
		// Another address guessing the same user waits too (the user's
		// count); root, logged in, does not.
		if _, err := b.Login(ctx, addrB, "alice", "x"); !errors.As(err, &te) {
			t.Fatalf("the user's wait from another address: %v", err)
		}
		if _, err := b.Login(ctx, addrB, "root", "toor"); err != nil {
			t.Fatalf("a logged-in user during a flood: %v", err)
		}
		if c.calls.Load() != calls {
			t.Fatal("a throttled login was verified")
		}
		// The waits double: 1 s, 2 s, 4 s, then the address's cap of 8 s.
		for i, want := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
			time.Sleep(te.RetryAfter)
			b.Login(ctx, addrA, "alice", "guess")
			_, err := b.Login(ctx, addrA, "bob", "guess")
			if !errors.As(err, &te) || te.RetryAfter != want {
				t.Fatalf("wait %d: %v, want %v", i, err, want)
			}
		}
		// Forgotten after ForgetFailures.
		time.Sleep(time.Minute + 10*time.Second)
		if _, err := b.Login(ctx, addrA, "alice", "wonderland"); err != nil {
			t.Fatalf("after the failures were forgotten: %v", err)
		}
	})
}

// Verifications run in a bounded pool; past its queue a login gets
// ErrBusy; one address cannot start more than MaxPerAddress at once.
func TestBasicPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newChecker()
		c.gate = make(chan struct{})
		b := auth.NewBasic(c, auth.BasicOptions{Workers: 2, MaxWaiting: 4, MaxPerAddress: 3})
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		guess := func(addr netip.Addr, pw string) {
			wg.Go(func() {
				_, err := b.Login(ctx, addr, "alice", pw)
				errs <- err
			})
		}
		for i := range 3 {
			guess(addrA, string(rune('a'+i)))
		}
		synctest.Wait()
		guess(addrA, "d") // a fourth from the same address
		synctest.Wait()
		var te *auth.ThrottledError
		if err := <-errs; !errors.As(err, &te) {
			t.Fatalf("a fourth verification from one address: %v", err)
		}
		for i := range 3 {
			guess(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), "x"+string(rune('a'+i)))
		}
		synctest.Wait()
		// 2 running + 4 waiting: the next gets ErrBusy.
		guess(addrB, "y")
		synctest.Wait()
		if err := <-errs; !errors.Is(err, auth.ErrBusy) {
			t.Fatalf("past the queue: %v", err)
		}
		if n := c.running.Load(); n != 2 {
			t.Errorf("%d verifications running, want the 2 workers", n)
		}
		close(c.gate)
		wg.Wait()
		if p := c.peak.Load(); p != 2 {
			t.Errorf("peak of %d verifications at once, want 2", p)
		}
	})
}

// A request that goes away stops waiting; the verification goes on and is
// remembered.
func TestBasicCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newChecker()
		b := auth.NewBasic(c, auth.BasicOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		if _, err := b.Login(ctx, addrA, "alice", "wonderland"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		time.Sleep(time.Second)
		if _, err := b.Login(context.Background(), addrA, "alice", "wonderland"); err != nil || c.calls.Load() != 1 {
			t.Fatalf("retry: %v after %d verifications", err, c.calls.Load())
		}
	})
}

func TestAuthenticateHTTP(t *testing.T) {
	b := auth.NewBasic(auth.Static{"alice": {Password: "pw"}}, auth.BasicOptions{})
	req := func(h string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/wsman", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		return r
	}
	okReq := req("")
	okReq.SetBasicAuth("alice", "pw")
	cases := []struct {
		name string
		r    *http.Request
		err  error
	}{
		{"Basic", okReq, nil},
		{"none", req(""), auth.ErrNoCredentials},
		{"another scheme", req("Negotiate abc"), auth.ErrNoCredentials},
		{"broken Basic", req("Basic !!!"), auth.ErrNoCredentials},
	}
	for _, tc := range cases {
		c, err := b.Authenticate(tc.r)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		}
		if err == nil && (c.Name != "alice" || c.Method != "basic") {
			t.Errorf("%s: %+v", tc.name, c)
		}
	}
	// A chain: the first authenticator that finds credentials decides.
	never := auth.AuthenticatorFunc(func(*http.Request) (*identity.Caller, error) { return nil, auth.ErrNoCredentials })
	if c, err := (auth.Chain{never, b}).Authenticate(okReq); err != nil || c.Name != "alice" {
		t.Errorf("chain: %v, %v", c, err)
	}
	if _, err := (auth.Chain{never}).Authenticate(okReq); !errors.Is(err, auth.ErrNoCredentials) {
		t.Errorf("empty chain: %v", err)
	}
}

func TestRefuse(t *testing.T) {
	cases := []struct {
		err        error
		code       int
		challenge  bool
		retryAfter string
	}{
		{auth.ErrNoCredentials, 401, true, ""},
		{auth.ErrBadCredentials, 401, true, ""},
		{&auth.ThrottledError{RetryAfter: 2500 * time.Millisecond}, 429, false, "3"},
		{auth.ErrBusy, 503, false, "1"},
		{errors.New("pam down"), 503, false, "1"},
	}
	for _, tc := range cases {
		w := httptest.NewRecorder()
		auth.Refuse(w, `gow"bem`, tc.err)
		if w.Code != tc.code || (w.Header().Get("WWW-Authenticate") != "") != tc.challenge ||
			w.Header().Get("Retry-After") != tc.retryAfter || w.Header().Get("Connection") != "close" {
			t.Errorf("%v: %d %v", tc.err, w.Code, w.Header())
		}
		if tc.challenge && w.Header().Get("WWW-Authenticate") != `Basic realm="gow'bem", charset="UTF-8"` {
			t.Errorf("challenge %q", w.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestRemoteIP(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:2": true, "192.0.2.1:3": false, "[::ffff:127.0.0.1]:4": true, "garbage": false} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.RemoteAddr = addr
		if got := auth.IsLoopback(r); got != want {
			t.Errorf("IsLoopback(%s) = %v", addr, got)
		}
	}
}

// ordered records the order of its verifications.
type ordered struct {
	users auth.Static
	gate  chan struct{}
	mu    sync.Mutex
	order []string
}

func (o *ordered) CheckPassword(ctx context.Context, name, pw string) (*identity.Caller, error) {
	<-o.gate
	o.mu.Lock()
	o.order = append(o.order, name+"/"+pw)
	o.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	return o.users.CheckPassword(ctx, name, pw)
}

// A login without recent failures passes the guesses waiting for the pool,
// and an address that failed gets one verification at a time.
func TestBasicCleanFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := &ordered{users: auth.Static{"alice": {Password: "pw"}, "carol": {Password: "pw"}}, gate: make(chan struct{})}
		close(o.gate)
		b := auth.NewBasic(o, auth.BasicOptions{Workers: 1, FreeFailures: 100, MaxPerAddress: 8})
		ctx := context.Background()
		b.Login(ctx, addrA, "alice", "wrong") // addrA and alice have failed
		o.gate = make(chan struct{})
		o.order = nil
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		// Guesses of the failing user from three addresses: one
		// verification each, all behind the running one.
		for i := range 3 {
			wg.Go(func() {
				_, err := b.Login(ctx, netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), "alice", fmt.Sprint("guess", i))
				errs <- err
			})
			synctest.Wait()
		}
		// addrA failed before: one verification at a time.
		for _, pw := range []string{"again", "again2"} {
			wg.Go(func() {
				_, err := b.Login(ctx, addrA, "alice", pw)
				errs <- err
			})
			synctest.Wait()
		}
		var te *auth.ThrottledError
		if err := <-errs; !errors.As(err, &te) {
			t.Fatalf("a second verification from a failing address: %v", err)
		}
		wg.Go(func() { b.Login(ctx, addrB, "carol", "pw") })
		synctest.Wait()
		close(o.gate)
		wg.Wait()
		if len(o.order) < 2 || o.order[0] != "alice/guess0" || o.order[1] != "carol/pw" {
			// guess0 was running when carol came; guess1, guess2 and again waited.
			t.Errorf("verification order %v: the clean login should come right after the one running", o.order)
		}
	})
}

// A burst of guesses from an address that has not failed yet: only the
// first goes before the queue, so a clean login from elsewhere waits for
// one verification, not for the whole burst.
func TestBasicBurstDoesNotJump(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := &ordered{users: auth.Static{"alice": {Password: "pw"}, "carol": {Password: "pw"}}, gate: make(chan struct{})}
		b := auth.NewBasic(o, auth.BasicOptions{Workers: 1, FreeFailures: 100, MaxPerAddress: 8})
		ctx := context.Background()
		burst := netip.MustParseAddr("203.0.113.9")
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() { b.Login(ctx, burst, "alice", fmt.Sprint("guess", i)) })
			synctest.Wait()
		}
		wg.Go(func() { b.Login(ctx, addrB, "carol", "pw") })
		synctest.Wait()
		close(o.gate)
		wg.Wait()
		if len(o.order) != 5 || o.order[0] != "alice/guess0" || o.order[1] != "carol/pw" {
			t.Errorf("verification order %v: carol should come right after the first guess", o.order)
		}
	})
}

// A protocol server's gate: anonymous only where allowed and only without
// credentials, no authenticator refuses, the caller marked remote or local.
func TestGate(t *testing.T) {
	alice := auth.AuthenticatorFunc(func(r *http.Request) (*identity.Caller, error) {
		if r.Header.Get("Authorization") != "ok" {
			return nil, auth.ErrBadCredentials
		}
		return &identity.Caller{Name: "alice"}, nil
	})
	req := func(addr, authz string) *http.Request {
		r := httptest.NewRequest("POST", "/x", nil)
		r.RemoteAddr = addr
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		return r
	}
	for _, tt := range []struct {
		name      string
		gate      auth.Gate
		r         *http.Request
		user      string // "" with no error: anonymous
		remote    bool
		err       error
		anonymous bool
	}{
		{"anonymous allowed", auth.Gate{AllowAnonymous: true}, req("192.0.2.1:1", ""), "", false, nil, true},
		{"anonymous with credentials", auth.Gate{AllowAnonymous: true, Authenticator: alice}, req("192.0.2.1:1", "bad"), "", false, auth.ErrBadCredentials, false},
		{"no authenticator", auth.Gate{}, req("192.0.2.1:1", "ok"), "", false, auth.ErrNoCredentials, false},
		{"remote", auth.Gate{Authenticator: alice}, req("192.0.2.1:1", "ok"), "alice", true, nil, false},
		{"loopback", auth.Gate{Authenticator: alice}, req("127.0.0.1:1", "ok"), "alice", false, nil, false},
		{"IsLocal", auth.Gate{Authenticator: alice, IsLocal: func(*http.Request) bool { return true }}, req("192.0.2.1:1", "ok"), "alice", false, nil, false},
	} {
		c, err := tt.gate.Caller(tt.r)
		switch {
		case tt.err != nil:
			if !errors.Is(err, tt.err) || c != nil {
				t.Errorf("%s: %v %v, want %v", tt.name, c, err, tt.err)
			}
		case tt.anonymous:
			if c != nil || err != nil {
				t.Errorf("%s: %v %v, want anonymous", tt.name, c, err)
			}
		case err != nil || c == nil || c.Name != tt.user || c.Remote != tt.remote || c.Address != tt.r.RemoteAddr:
			t.Errorf("%s: %+v %v", tt.name, c, err)
		}
	}
}

// A checker's own Method (PAM's "pam") survives Basic: it tells which
// users a name is of (a restored CIM-XML subscription is matched by it);
// a checker that says none is "basic".
func TestBasicKeepsCheckerMethod(t *testing.T) {
	for _, method := range []string{"pam", ""} {
		b := auth.NewBasic(auth.CheckerFunc(func(_ context.Context, name, _ string) (*identity.Caller, error) {
			return &identity.Caller{Name: name, Method: method}, nil
		}), auth.BasicOptions{})
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.SetBasicAuth("alice", "pw")
		c, err := b.Authenticate(r)
		want := method
		if want == "" {
			want = "basic"
		}
		if err != nil || c.Method != want {
			t.Errorf("checker's method %q: %+v, %v", method, c, err)
		}
	}
}
